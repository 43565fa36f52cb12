// SPDX-License-Identifier: GPL-2.0
//! SYNPROXY's stateless half: the SYN cookie that carries what the client
//! offered in its SYN (MSS, window scale, SACK, timestamps) through the
//! handshake, and the TCP options of the director's SYN-ACK and of the SYN
//! it later sends to the real server.
//!
//! Cookie layout (the classic Linux syncookie construction; 8 bits of data
//! where Linux keeps a 2-bit MSS index, since the director answers without
//! timestamps and so carries window scale and SACK in the cookie itself):
//!
//! ```text
//! cookie = H(tuple, 0) + client_isn + (minute << 24) + (data << 16)
//!        + (H(tuple, minute << 8 | data) mod 2^16)
//! ```
//!
//! `H` is a keyed hash the caller provides (the kernel: SipHash under the
//! namespace's key, random or one a cluster's directors share; the minute
//! is the wall clock's, which they share too). A cookie is accepted in the minute it was made and
//! the next (Linux's two minutes), with data the director's settings would
//! issue now ([`Allowed`]), and only if its 16 check bits match the
//! minute and the data: an ACK number moved by an attacker (to change the
//! MSS or window scale) fails the check but once in 65,536.
//!
//! What a blind forger gets: of the 2^32 values an ACK number can take,
//! those the director accepts for a tuple and client ISN are 2 minutes x
//! the data allowed, one check value each. With SACK and window scaling
//! offered (the defaults): 2 x 256 = 2^9, one random ACK in 2^23 (8.4
//! million). Without either (`synproxy_sack 0`, `synproxy_wscale 0`),
//! only the MSS index remains: at most 2 x 8, one in 2^28, against Linux's
//! 2^29 (2 minutes x 4 MSS values). Carrying the options costs that much
//! strength; it buys window scaling and SACK through a flood.

use super::tcpopt::{self, SynOptions};

/// Minutes a cookie stays valid after the one it was made in (ages 0 and
/// 1: Linux's two minutes).
pub const MAX_AGE: u32 = 1;

/// The low bits of a cookie that are the keyed check.
const CHECK_MASK: u32 = 0xffff;

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
}

/// What a cookie may carry under the director's current settings: data no
/// SYN-ACK of the director could have had is refused outright.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Allowed {
    /// Highest MSS index (the offer is capped by `synproxy_init_mss`).
    pub max_mss_idx: u8,
    /// SACK is offered (`synproxy_sack`).
    pub sack: bool,
    /// Window scaling is offered (`synproxy_wscale` not 0).
    pub wscale: bool,
}

impl Allowed {
    /// Under MSS cap `max_mss` and the two switches.
    pub fn new(max_mss: u16, sack: bool, wscale: bool) -> Allowed {
        Allowed { max_mss_idx: mss_index(max_mss), sack, wscale }
    }

    /// Whether `d` is data a SYN-ACK made under these settings can carry.
    pub const fn admits(&self, d: &CookieData) -> bool {
        d.mss_idx <= self.max_mss_idx && (self.sack || !d.sack) && (self.wscale || d.wscale.is_none())
    }
}

/// The index of the largest table MSS not above `mss` (0 below 536).
fn mss_index(mss: u16) -> u8 {
    MSS_TABLE.iter().rposition(|&m| m <= mss).unwrap_or(0) as u8
}

impl CookieData {
    /// From a SYN's options: the MSS rounded down to the table (at most
    /// `max_mss`), the rest as offered.
    pub fn from_syn(o: &SynOptions, max_mss: u16) -> CookieData {
        let mss_idx = mss_index(o.mss.unwrap_or(536).min(max_mss));
        CookieData { mss_idx, wscale: o.wscale.map(|w| w.min(14)), sack: o.sack_perm }
    }

    /// The MSS this cookie stands for.
    pub fn mss(&self) -> u16 {
        MSS_TABLE[self.mss_idx as usize & 7]
    }

    /// Packs into 8 bits: mss_idx (3) | window scale (4: 0..=14, 15 for
    /// none) | sack (1). Every value of the 8 bits is some data.
    pub const fn pack(&self) -> u32 {
        let ws = match self.wscale {
            Some(w) => w as u32 & 0xf,
            None => 15,
        };
        (self.mss_idx as u32 & 7) | (ws << 3) | ((self.sack as u32) << 7)
    }

    /// Unpacks the low 8 bits of `v`.
    pub const fn unpack(v: u32) -> CookieData {
        let ws = (v >> 3) & 0xf;
        CookieData { mss_idx: (v & 7) as u8, wscale: if ws == 15 { None } else { Some(ws as u8) }, sack: v & 0x80 != 0 }
    }
}

/// Makes the cookie (the director's ISN) for a SYN with sequence number
/// `client_isn`, at minute `minute`. `hash(minute_or_zero)` is the keyed
/// hash of the connection's 4-tuple with that extra word.
pub fn make(hash: impl Fn(u32) -> u32, client_isn: u32, minute: u32, data: &CookieData) -> u32 {
    let d = data.pack();
    hash(0)
        .wrapping_add(client_isn)
        .wrapping_add(minute << 24)
        .wrapping_add(d << 16)
        .wrapping_add(hash(check_word(minute, d)) & CHECK_MASK)
}

/// The hash input of a cookie's check: the minute (its low 24 bits, a
/// span of 31 years) and the data.
const fn check_word(minute: u32, d: u32) -> u32 {
    minute << 8 | d
}

/// Checks the cookie acknowledged by the client's ACK (`ack_seq - 1`)
/// against the ACK's own `seq - 1` (the client's ISN), at minute `now`,
/// under the settings `allowed`. Returns what the SYN offered, or `None`
/// for a forged, shifted or stale cookie.
pub fn check(hash: impl Fn(u32) -> u32, cookie: u32, client_isn: u32, now: u32, allowed: &Allowed) -> Option<CookieData> {
    let c = cookie.wrapping_sub(hash(0)).wrapping_sub(client_isn);
    // The minute in the top 8 bits, the data in the next 8, the check in
    // the low 16.
    let age = now.wrapping_sub(c >> 24) & 0xff;
    if age > MAX_AGE {
        return None;
    }
    let d = (c >> 16) & 0xff;
    let data = CookieData::unpack(d);
    if !allowed.admits(&data) {
        return None;
    }
    let minute = now.wrapping_sub(age);
    (c & CHECK_MASK == hash(check_word(minute, d)) & CHECK_MASK).then_some(data)
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

    const ALL: Allowed = Allowed { max_mss_idx: 7, sack: true, wscale: true };

    #[test]
    fn data_roundtrip_all_values() {
        for mss_idx in 0..8u8 {
            for wscale in [None, Some(0), Some(7), Some(14)] {
                for sack in [false, true] {
                    let d = CookieData { mss_idx, wscale, sack };
                    assert_eq!(CookieData::unpack(d.pack()), d);
                    assert!(d.pack() < 1 << 8);
                }
            }
        }
        // Every byte is some data, each once.
        let mut seen = [false; 256];
        for v in 0..256u32 {
            let p = CookieData::unpack(v).pack() as usize;
            assert!(!seen[p]);
            seen[p] = true;
        }
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
        let allowed = Allowed::new(1452, true, true);
        let isn = 0xdead_beef;
        for minute in [0u32, 1, 255, 256, 1000] {
            let c = make(h(42), isn, minute, &d);
            for age in 0..=MAX_AGE {
                assert_eq!(check(h(42), c, isn, minute + age, &allowed), Some(d), "minute {minute} age {age}");
            }
            // Linux's two minutes, no more (and none from the future).
            assert_eq!(check(h(42), c, isn, minute + MAX_AGE + 1, &allowed), None);
            assert_eq!(check(h(42), c, isn, minute.wrapping_sub(1), &allowed), None);
            // Another tuple (other hash), another client ISN: refused.
            assert_eq!(check(h(43), c, isn, minute, &allowed), None);
            assert_eq!(check(h(42), c, isn + 1, minute, &allowed), None);
        }
    }

    #[test]
    fn data_the_settings_never_issue_refused() {
        let d = CookieData::from_syn(&linux_syn(), 1460); // MSS 1460, ws 7, SACK
        let c = make(h(1), 5, 10, &d);
        assert_eq!(check(h(1), c, 5, 10, &ALL), Some(d));
        assert_eq!(check(h(1), c, 5, 10, &Allowed::new(1452, true, true)), None, "MSS above the cap");
        assert_eq!(check(h(1), c, 5, 10, &Allowed::new(1460, false, true)), None, "SACK not offered");
        assert_eq!(check(h(1), c, 5, 10, &Allowed::new(1460, true, false)), None, "no window scaling offered");
    }

    /// xorshift32, for reproducible random ACK numbers.
    fn rng(mut x: u32) -> impl FnMut() -> u32 {
        move || {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x
        }
    }

    /// The acceptance rate of random ACK numbers for one tuple and client
    /// ISN: 2 minutes x the data allowed, one check value each, of 2^32.
    /// Expected hits over 2^22 tries: 0.5 with everything offered (2^-23),
    /// 0.016 with neither SACK nor window scaling (2^-28). Linux: 2^-29.
    #[test]
    fn random_acks_acceptance_rate() {
        for (allowed, max_hits) in [(ALL, 4), (Allowed { max_mss_idx: 7, sack: false, wscale: false }, 1)] {
            let mut next = rng(0x1234_5678);
            let hits = (0..1u32 << 22).filter(|_| check(h(7), next(), 1000, 50, &allowed).is_some()).count();
            assert!(hits <= max_hits, "{hits} of 2^22 random ACKs accepted under {allowed:?}");
        }
    }

    /// An ACK number moved from a valid cookie (to change the MSS, window
    /// scale or SACK it stands for, or to hit another minute) passes only
    /// if the 16 check bits happen to match: about once in 65,536 moves.
    #[test]
    fn shifted_acks_refused() {
        let d = CookieData::from_syn(&linux_syn(), 1452);
        let c = make(h(9), 77, 300, &d);
        let mut passed = 0;
        for k in 1..=(1u32 << 20) {
            if check(h(9), c.wrapping_add(k), 77, 300, &ALL).is_some() {
                passed += 1;
            }
        }
        // 2^20 moves: 16 expected by chance (2^20 / 2^16), none of them a
        // systematic one (the old layout took every move of the data bits).
        assert!(passed <= 40, "{passed} of 2^20 shifted ACKs accepted");
        for k in 1..256u32 {
            assert_eq!(check(h(9), c.wrapping_add(k << 16), 77, 300, &ALL), None, "data moved by {k}");
        }
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
        let plain = CookieData { mss_idx: 0, wscale: None, sack: false };
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
