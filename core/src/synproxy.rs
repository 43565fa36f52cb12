// SPDX-License-Identifier: GPL-2.0
//! SYNPROXY's stateless half: the SYN cookie that carries what the client
//! offered in its SYN (MSS, window scale, SACK, timestamps) through the
//! handshake, and the TCP options of the director's SYN-ACK and of the SYN
//! it later sends to the real server.
//!
//! Cookie layout (the classic Linux syncookie construction, with 24 bits
//! of data instead of an MSS index only, as Alibaba's LVS did):
//!
//! ```text
//! cookie = H(tuple, 0) + client_isn + (minute << 24)
//!        + ((H(tuple, minute) + data) mod 2^24)
//! ```
//!
//! `H` is a keyed hash the caller provides (the kernel: SipHash with a
//! boot-time secret). A cookie is accepted for `MAX_AGE` minutes.

use super::tcpopt::{self, SynOptions};

/// Minutes a cookie stays valid.
pub const MAX_AGE: u32 = 4;

/// The MSS values a cookie can carry (index in 3 bits), ascending.
pub const MSS_TABLE: [u16; 8] = [536, 1024, 1220, 1300, 1360, 1400, 1440, 1460];

/// How much less than `synproxy_init_mss` an IPv6 client is offered: its
/// header is 20 bytes longer than IPv4's and its TOA 12 bytes longer, so
/// that the room the IPv4 default leaves (1452: 1500 less headers and an
/// 8-byte TOA) is the same for IPv6 (1420, offered as 1400).
pub const V6_MSS_LESS: u16 = 32;

/// What the client's SYN offered, as far as the handshake needs it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CookieData {
    /// Index into [`MSS_TABLE`].
    pub mss_idx: u8,
    /// Client's window scale (0..=14), if it offered one.
    pub wscale: Option<u8>,
    /// SACK permitted.
    pub sack: bool,
    /// Timestamps offered (and answered).
    pub ts: bool,
}

impl CookieData {
    /// From a SYN's options: the MSS rounded down to the table (at most
    /// `max_mss`), the rest as offered.
    pub fn from_syn(o: &SynOptions, max_mss: u16) -> CookieData {
        let mss = o.mss.unwrap_or(536).min(max_mss);
        let mss_idx = MSS_TABLE.iter().rposition(|&m| m <= mss).unwrap_or(0) as u8;
        CookieData { mss_idx, wscale: o.wscale.map(|w| w.min(14)), sack: o.sack_perm, ts: o.timestamp.is_some() }
    }

    /// The MSS this cookie stands for.
    pub fn mss(&self) -> u16 {
        MSS_TABLE[self.mss_idx as usize & 7]
    }

    /// Packs into 24 bits: mss_idx (3) | ws present (1) | ws (4) | sack (1) | ts (1).
    pub const fn pack(&self) -> u32 {
        let ws = match self.wscale {
            Some(w) => 0x10 | (w as u32 & 0xf),
            None => 0,
        };
        (self.mss_idx as u32 & 7) | (ws << 3) | ((self.sack as u32) << 8) | ((self.ts as u32) << 9)
    }

    /// Unpacks; `None` for bits no cookie of ours sets.
    pub const fn unpack(v: u32) -> Option<CookieData> {
        if v >> 10 != 0 {
            return None;
        }
        let ws = (v >> 3) & 0x1f;
        let wscale = if ws & 0x10 != 0 {
            if ws & 0xf > 14 {
                return None;
            }
            Some((ws & 0xf) as u8)
        } else if ws != 0 {
            return None;
        } else {
            None
        };
        Some(CookieData { mss_idx: (v & 7) as u8, wscale, sack: v & 0x100 != 0, ts: v & 0x200 != 0 })
    }
}

/// Makes the cookie (the director's ISN) for a SYN with sequence number
/// `client_isn`, at minute `minute`. `hash(minute_or_zero)` is the keyed
/// hash of the connection's 4-tuple with that extra word.
pub fn make(hash: impl Fn(u32) -> u32, client_isn: u32, minute: u32, data: &CookieData) -> u32 {
    hash(0)
        .wrapping_add(client_isn)
        .wrapping_add(minute << 24)
        .wrapping_add(hash(minute).wrapping_add(data.pack()) & 0xff_ffff)
}

/// Checks the cookie acknowledged by the client's ACK (`ack_seq - 1`)
/// against the ACK's own `seq - 1` (the client's ISN), at minute `now`.
/// Returns what the SYN offered, or `None` for a forged or stale cookie.
pub fn check(hash: impl Fn(u32) -> u32, cookie: u32, client_isn: u32, now: u32) -> Option<CookieData> {
    let c = cookie.wrapping_sub(hash(0)).wrapping_sub(client_isn);
    // The minute in the top 8 bits; low 24 bits: hash + data.
    let minute_lo = c >> 24;
    let age = now.wrapping_sub(minute_lo) & 0xff;
    if age > MAX_AGE {
        return None;
    }
    let minute = now.wrapping_sub(age);
    let data = (c.wrapping_sub(hash(minute))) & 0xff_ffff;
    CookieData::unpack(data)
}

/// Writes the options of the director's SYN-ACK into `out` (at least 20
/// bytes) and returns their length (a multiple of 4): MSS, then SACK_PERM
/// and timestamps as agreed, then window scale if the client offered one.
/// `wscale`: the director's own shift to offer (`None`: no window scaling,
/// which also tells the client not to scale).
pub fn synack_options(out: &mut [u8], d: &CookieData, wscale: Option<u8>, ts: Option<(u32, u32)>) -> usize {
    let mut n = 0;
    let mut put = |b: &[u8]| {
        out[n..n + b.len()].copy_from_slice(b);
        n += b.len();
    };
    let m = d.mss().to_be_bytes();
    put(&[tcpopt::MSS, 4, m[0], m[1]]);
    match (d.sack, ts) {
        (true, Some((val, ecr))) => {
            put(&[tcpopt::SACK_PERM, 2, tcpopt::TIMESTAMP, 10]);
            put(&val.to_be_bytes());
            put(&ecr.to_be_bytes());
        }
        (false, Some((val, ecr))) => {
            put(&[tcpopt::NOP, tcpopt::NOP, tcpopt::TIMESTAMP, 10]);
            put(&val.to_be_bytes());
            put(&ecr.to_be_bytes());
        }
        (true, None) => put(&[tcpopt::NOP, tcpopt::NOP, tcpopt::SACK_PERM, 2]),
        (false, None) => {}
    }
    if let (Some(_), Some(w)) = (d.wscale, wscale) {
        put(&[tcpopt::NOP, tcpopt::WSCALE, 3, w.min(14)]);
    }
    n
}

/// Writes the options of the director's SYN to the real server, rebuilt
/// from the cookie (the client's own offer): MSS, SACK_PERM, window scale.
/// Timestamps are not passed on (FULLNAT removes them from client SYNs).
pub fn rs_syn_options(out: &mut [u8], d: &CookieData) -> usize {
    let mut n = 0;
    let m = d.mss().to_be_bytes();
    out[..4].copy_from_slice(&[tcpopt::MSS, 4, m[0], m[1]]);
    n += 4;
    if d.sack {
        out[n..n + 4].copy_from_slice(&[tcpopt::NOP, tcpopt::NOP, tcpopt::SACK_PERM, 2]);
        n += 4;
    }
    if let Some(w) = d.wscale {
        out[n..n + 4].copy_from_slice(&[tcpopt::NOP, tcpopt::WSCALE, 3, w]);
        n += 4;
    }
    n
}

/// How the window field of a proxied connection's segment must be
/// re-expressed, as `(from, to)` shifts for [`super::nat::scale_window`], or
/// `None` when it stands as it is. `client_ws`: the client's shift when
/// window scaling was agreed with it (the director offered `offered`);
/// `rs_ws`: the real server's shift when it agreed to scaling. The real
/// server was sent the client's own shift, so the client's windows need no
/// change unless the server refused scaling.
pub fn window_shifts(to_rs: bool, client_ws: Option<u8>, rs_ws: Option<u8>, offered: u8) -> Option<(u8, u8)> {
    let cws = client_ws?;
    let (from, to) = match (to_rs, rs_ws) {
        (true, None) => (cws, 0),
        (true, Some(_)) => return None,
        (false, None) => (0, offered),
        (false, Some(w)) => (w, offered),
    };
    if from == to {
        None
    } else {
        Some((from, to))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A stand-in for the kernel's keyed hash.
    fn h(key: u32) -> impl Fn(u32) -> u32 {
        move |x| {
            let mut v = key ^ x.wrapping_mul(0x9e37_79b9);
            v ^= v >> 15;
            v = v.wrapping_mul(0x2c1b_3c6d);
            v ^ (v >> 12)
        }
    }

    fn linux_syn() -> SynOptions {
        SynOptions { mss: Some(1460), wscale: Some(7), sack_perm: true, timestamp: Some((1, 0)) }
    }

    #[test]
    fn data_roundtrip_all_values() {
        for mss_idx in 0..8u8 {
            for wscale in [None, Some(0), Some(7), Some(14)] {
                for sack in [false, true] {
                    for ts in [false, true] {
                        let d = CookieData { mss_idx, wscale, sack, ts };
                        assert_eq!(CookieData::unpack(d.pack()), Some(d));
                        assert!(d.pack() < 1 << 10);
                    }
                }
            }
        }
        assert_eq!(CookieData::unpack(1 << 12), None);
        assert_eq!(CookieData::unpack(0x1f << 3), None); // wscale 15
        assert_eq!(CookieData::unpack(0x03 << 3), None); // scale bits without the flag
    }

    #[test]
    fn mss_rounds_down_and_clamps() {
        let d = CookieData::from_syn(&linux_syn(), 1452);
        assert_eq!(d.mss(), 1440);
        assert_eq!(CookieData::from_syn(&linux_syn(), 1460).mss(), 1460);
        let none = SynOptions::default();
        assert_eq!(CookieData::from_syn(&none, 1452).mss(), 536);
        let tiny = SynOptions { mss: Some(100), ..none };
        assert_eq!(CookieData::from_syn(&tiny, 1452).mss(), 536);
        let big_ws = SynOptions { wscale: Some(20), ..none };
        assert_eq!(CookieData::from_syn(&big_ws, 1452).wscale, Some(14));
    }

    #[test]
    fn cookie_roundtrip_and_age() {
        let d = CookieData::from_syn(&linux_syn(), 1452);
        let isn = 0xdead_beef;
        for minute in [0u32, 1, 255, 256, 1000] {
            let c = make(h(42), isn, minute, &d);
            for age in 0..=MAX_AGE {
                assert_eq!(check(h(42), c, isn, minute + age), Some(d), "minute {minute} age {age}");
            }
            assert_eq!(check(h(42), c, isn, minute + MAX_AGE + 1), None);
            // Another tuple (other hash): refused. Another client ISN does
            // not give back this SYN's data (an attacker cannot aim it: it
            // would need the keyed hash).
            assert_eq!(check(h(43), c, isn, minute), None);
            assert_ne!(check(h(42), c, isn + 1, minute), Some(d));
        }
    }

    #[test]
    fn forged_cookies_rarely_pass() {
        // Random cookies for one tuple: the data check refuses almost all.
        let mut x: u32 = 0x1234_5678;
        let mut passed = 0;
        for _ in 0..100_000 {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            if check(h(7), x, 1000, 50).is_some() {
                passed += 1;
            }
        }
        // 1024 valid data values of 2^24, times 5 minutes of 256.
        assert!(passed < 20, "{passed} forged cookies passed");
    }

    #[test]
    fn synack_options_layout() {
        let d = CookieData::from_syn(&linux_syn(), 1452);
        let mut o = [0u8; 40];
        let n = synack_options(&mut o, &d, Some(7), None);
        assert_eq!(&o[..n], &[2, 4, 0x05, 0xa0, 1, 1, 4, 2, 1, 3, 3, 7]);
        let n = synack_options(&mut o, &d, None, Some((5, 1)));
        assert_eq!(n % 4, 0);
        let s = tcpopt::parse_syn(&o[..n]).unwrap();
        assert_eq!(s, SynOptions { mss: Some(1440), wscale: None, sack_perm: true, timestamp: Some((5, 1)) });
        let plain = CookieData { mss_idx: 0, wscale: None, sack: false, ts: false };
        assert_eq!(synack_options(&mut o, &plain, Some(7), None), 4);
    }

    #[test]
    fn rs_syn_rebuilt_from_cookie() {
        let d = CookieData::from_syn(&linux_syn(), 1452);
        let mut o = [0u8; 40];
        let n = rs_syn_options(&mut o, &d);
        let s = tcpopt::parse_syn(&o[..n]).unwrap();
        assert_eq!(s, SynOptions { mss: Some(1440), wscale: Some(7), sack_perm: true, timestamp: None });
    }

    #[test]
    fn window_rescaling_cases() {
        // No scaling agreed with the client: nothing to do either way.
        assert_eq!(window_shifts(true, None, Some(7), 7), None);
        assert_eq!(window_shifts(false, None, None, 7), None);
        // Same shift on both sides: nothing to do.
        assert_eq!(window_shifts(false, Some(9), Some(7), 7), None);
        assert_eq!(window_shifts(true, Some(9), Some(7), 7), None);
        // The server scales by 7, the client was told 3.
        assert_eq!(window_shifts(false, Some(9), Some(7), 3), Some((7, 3)));
        // The server refused scaling: its windows are unscaled, the
        // client's must be unscaled for it.
        assert_eq!(window_shifts(false, Some(9), None, 7), Some((0, 7)));
        assert_eq!(window_shifts(true, Some(9), None, 7), Some((9, 0)));
    }
}
