// SPDX-License-Identifier: GPL-2.0
//! IPv6 for the director: header parsing, FULLNAT's rewrite of an IPv6
//! TCP/UDP packet, and the IPv6 segments SYNPROXY builds itself.
//!
//! IPv6 is not IPv4 with longer addresses, and each difference is handled
//! here once so that the packet path need not know it:
//! - the transport header is found by walking extension headers, as the
//!   kernel's `ipv6_skip_exthdr` does (and bounded, which it is not);
//! - there is no header checksum, but the transport checksum covers a
//!   pseudo header with both 16-byte addresses (RFC 8200 8.1);
//! - a UDP checksum of 0 is illegal (RFC 8200 8.1): never accepted for
//!   rewriting, never produced;
//! - an IPv4-mapped address on the wire is refused, because rvs holds IPv4
//!   addresses in that form (see `addr`) and an IPv6 packet must never be
//!   taken for an IPv4 flow.
//!
//! Like `packet`, every function works on byte slices and refuses what it
//! cannot handle with a [`Malformed`] reason instead of panicking.

use super::addr::Addr;
use super::csum::{self, FieldState};
use super::nat::Tuple;
use super::packet::{Malformed, TcpSpec, IPPROTO_TCP, IPPROTO_UDP};

/// Length of the fixed IPv6 header.
pub const IPV6_HDR_LEN: usize = 40;
/// The smallest link MTU IPv6 allows (RFC 8200 5), the kernel's
/// `IPV6_MIN_MTU`.
pub const IPV6_MIN_MTU: u32 = 1280;

/// Next header: hop-by-hop options (must come first).
pub const NEXTHDR_HOP: u8 = 0;
/// Next header: routing header.
pub const NEXTHDR_ROUTING: u8 = 43;
/// Next header: fragment header.
pub const NEXTHDR_FRAGMENT: u8 = 44;
/// Next header: encapsulating security payload (ends the walk).
pub const NEXTHDR_ESP: u8 = 50;
/// Next header: authentication header.
pub const NEXTHDR_AUTH: u8 = 51;
/// Next header: ICMPv6.
pub const IPPROTO_ICMPV6: u8 = 58;
/// Next header: none follows (ends the walk).
pub const NEXTHDR_NONE: u8 = 59;
/// Next header: destination options.
pub const NEXTHDR_DEST: u8 = 60;

/// The most extension headers [`parse_ipv6`] walks before refusing the
/// packet. The kernel has no such bound (only the packet's length); real
/// traffic carries two or three at most, and a bound keeps the cost of one
/// packet fixed.
pub const MAX_EXT_HEADERS: usize = 8;

/// A fragment header's fields.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fragment {
    /// Offset of the fragment's data in the original packet, in bytes (a
    /// multiple of 8).
    pub offset: u16,
    /// More-fragments flag.
    pub more: bool,
    /// Identification.
    pub id: u32,
    /// The protocol of the fragmentable part (the fragment header's next
    /// header).
    pub next_header: u8,
}

impl Fragment {
    /// True unless this is an atomic fragment (offset 0 and no more
    /// fragments, RFC 6946), which stands for a whole packet.
    pub const fn is_fragment(&self) -> bool {
        self.offset != 0 || self.more
    }
}

/// The fields of an IPv6 packet that rvs uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ipv6 {
    /// Payload length from the header.
    pub payload_len: usize,
    /// Bytes of the packet: the 40-byte header plus the payload.
    pub tot_len: usize,
    /// Traffic class (DSCP and ECN).
    pub traffic_class: u8,
    /// Flow label (20 bits).
    pub flow_label: u32,
    /// Hop limit.
    pub hop_limit: u8,
    /// Source address.
    pub saddr: [u8; 16],
    /// Destination address.
    pub daddr: [u8; 16],
    /// The protocol after the extension headers: TCP, UDP, ICMPv6, any
    /// other upper layer, or [`NEXTHDR_ESP`] / [`NEXTHDR_NONE`] which end
    /// the walk, or [`NEXTHDR_FRAGMENT`] for a fragment that is not the
    /// first (its data holds no header; see `frag`).
    pub proto: u8,
    /// Offset of what `proto` names from the start of the IPv6 header: the
    /// transport header, or for a non-first fragment its data.
    pub l4_off: usize,
    /// The fragment header, if one was walked (the last one if several).
    pub frag: Option<Fragment>,
    /// A routing header with segments left was walked: the destination is
    /// not the final one, and the transport checksum was computed with the
    /// final one (RFC 8200 8.1). FULLNAT must not take such a packet.
    pub routing_pending: bool,
}

impl Ipv6 {
    /// True for a fragment (a non-atomic fragment header was walked).
    pub const fn is_fragment(&self) -> bool {
        match self.frag {
            Some(f) => f.is_fragment(),
            None => false,
        }
    }

    /// Bytes from the transport header to the end of the packet (the
    /// upper-layer length of the pseudo header).
    pub const fn l4_len(&self) -> usize {
        self.tot_len.saturating_sub(self.l4_off)
    }

    /// Bytes of extension headers between the fixed header and `l4_off`.
    pub const fn ext_len(&self) -> usize {
        self.l4_off.saturating_sub(IPV6_HDR_LEN)
    }
}

/// Parses an IPv6 header and walks its extension headers. `b` starts at the
/// network header and must hold every header up to the transport header's
/// first byte (the caller makes at most `tot_len` bytes linear; if `b` ends
/// inside the extension headers the answer is [`Malformed::IpTruncated`]
/// and the caller may retry with more); `pkt_len` is the number of bytes
/// the packet really has from there (skb->len).
///
/// Refused: fewer than 40 bytes, a version other than 6, a payload length
/// past `pkt_len` (a payload length of 0 with a hop-by-hop header, RFC
/// 2675's jumbogram and BIG TCP's form, fails here too), an IPv4-mapped
/// source or destination, and extension headers that run past the payload,
/// put hop-by-hop anywhere but first or number more than
/// [`MAX_EXT_HEADERS`]. Extension headers are those the kernel's
/// `ipv6_ext_hdr` names: hop-by-hop, routing and destination options
/// (`(len + 1) * 8` bytes), fragment (8), AH (`(len + 2) * 4`); ESP and
/// "no next header" end the walk and are the answer's `proto`. A fragment
/// whose offset is not 0 ends the walk too, with `proto`
/// [`NEXTHDR_FRAGMENT`]. Bytes past `tot_len` (link padding) are ignored.
pub fn parse_ipv6(b: &[u8], pkt_len: usize) -> Result<Ipv6, Malformed> {
    let tot_len = fixed_header(b)?;
    if pkt_len < IPV6_HDR_LEN {
        return Err(Malformed::IpTruncated);
    }
    if tot_len > pkt_len {
        return Err(Malformed::IpTotalLen);
    }
    finish(b, tot_len)
}

/// Parses the IPv6 header an ICMPv6 error quotes: `q` is the quote, which
/// may end anywhere after the fixed header (RFC 4443 quotes as much as
/// fits in 1280 bytes). As [`parse_ipv6`], except that the payload length
/// is not compared with the bytes quoted: the extension headers are
/// checked against the payload length the quoted header claims, and a
/// quote that ends before they do is [`Malformed::IpTruncated`].
pub fn parse_quoted_ipv6(q: &[u8]) -> Result<Ipv6, Malformed> {
    let tot_len = fixed_header(q)?;
    finish(q, tot_len)
}

/// Checks the fixed header's length and version; returns the packet length
/// it claims.
fn fixed_header(b: &[u8]) -> Result<usize, Malformed> {
    let h = b.get(..IPV6_HDR_LEN).ok_or(Malformed::IpTruncated)?;
    if h[0] >> 4 != 6 {
        return Err(Malformed::IpVersion);
    }
    Ok(IPV6_HDR_LEN + u16::from_be_bytes([h[4], h[5]]) as usize)
}

fn finish(b: &[u8], tot_len: usize) -> Result<Ipv6, Malformed> {
    let h = b.get(..IPV6_HDR_LEN).ok_or(Malformed::IpTruncated)?;
    let saddr = addr_at(h, 8);
    let daddr = addr_at(h, 24);
    if Addr::is_v4_mapped_wire(&saddr) || Addr::is_v4_mapped_wire(&daddr) {
        return Err(Malformed::Ip6MappedAddr);
    }
    let w = walk(b, tot_len, h[6])?;
    Ok(Ipv6 {
        payload_len: tot_len - IPV6_HDR_LEN,
        tot_len,
        traffic_class: (h[0] << 4) | (h[1] >> 4),
        flow_label: u32::from_be_bytes([0, h[1] & 0x0f, h[2], h[3]]),
        hop_limit: h[7],
        saddr,
        daddr,
        proto: w.proto,
        l4_off: w.off,
        frag: w.frag,
        routing_pending: w.routing_pending,
    })
}

fn addr_at(h: &[u8], o: usize) -> [u8; 16] {
    let mut a = [0u8; 16];
    if let Some(s) = h.get(o..o + 16) {
        a.copy_from_slice(s);
    }
    a
}

struct Walk {
    proto: u8,
    off: usize,
    frag: Option<Fragment>,
    routing_pending: bool,
}

/// Walks the extension headers from offset 40, the first being `nh`; none
/// may end past `end` (else malformed) or past `b` (else truncated).
fn walk(b: &[u8], end: usize, mut nh: u8) -> Result<Walk, Malformed> {
    let mut w = Walk { proto: nh, off: IPV6_HDR_LEN, frag: None, routing_pending: false };
    let mut walked = 0;
    while matches!(nh, NEXTHDR_HOP | NEXTHDR_ROUTING | NEXTHDR_DEST | NEXTHDR_AUTH | NEXTHDR_FRAGMENT) {
        if walked == MAX_EXT_HEADERS || (nh == NEXTHDR_HOP && walked != 0) {
            return Err(Malformed::Ip6ExtHeader);
        }
        walked += 1;
        // Every extension header is at least 8 bytes long.
        if w.off + 8 > end {
            return Err(Malformed::Ip6ExtHeader);
        }
        let h = b.get(w.off..w.off + 8).ok_or(Malformed::IpTruncated)?;
        let len = match nh {
            NEXTHDR_FRAGMENT => 8,
            NEXTHDR_AUTH => (h[1] as usize + 2) * 4,
            _ => (h[1] as usize + 1) * 8,
        };
        if w.off + len > end {
            return Err(Malformed::Ip6ExtHeader);
        }
        if w.off + len > b.len() {
            return Err(Malformed::IpTruncated);
        }
        if nh == NEXTHDR_FRAGMENT {
            let fo = u16::from_be_bytes([h[2], h[3]]);
            let f = Fragment { offset: fo & !7, more: fo & 1 != 0, id: u32::from_be_bytes([h[4], h[5], h[6], h[7]]), next_header: h[0] };
            w.frag = Some(f);
            if f.offset != 0 {
                // No header in a later fragment: stop, as the kernel does.
                w.proto = NEXTHDR_FRAGMENT;
                w.off += 8;
                return Ok(w);
            }
        }
        if nh == NEXTHDR_ROUTING && h[3] != 0 {
            w.routing_pending = true;
        }
        nh = h[0];
        w.off += len;
        w.proto = nh;
    }
    Ok(w)
}

/// Reads a big-endian 16-bit word at `o`, or `None` past the end.
pub(crate) fn get16(b: &[u8], o: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*b.get(o)?, *b.get(o.checked_add(1)?)?]))
}

/// Offset of the checksum field in the transport header.
pub(crate) const fn check_off(proto: u8) -> Option<usize> {
    match proto {
        IPPROTO_TCP => Some(16),
        IPPROTO_UDP => Some(6),
        _ => None,
    }
}

/// Bytes of the transport header that a rewrite reads and writes.
const fn l4_need(proto: u8) -> usize {
    match proto {
        IPPROTO_TCP => 20,
        IPPROTO_UDP => 8,
        _ => 4,
    }
}

/// FULLNAT's rewrite of an IPv6 packet, as `nat::rewrite_v4`: both
/// addresses (IPv6 header at 0) and both ports (transport header at
/// `l4_off`, protocol `proto` as [`parse_ipv6`] found them) become `to`'s,
/// and a TCP or UDP checksum is updated incrementally. `pkt` must hold
/// `l4_off` plus 20 (TCP), 8 (UDP) or 4 (other protocols: ports rewritten,
/// no checksum touched, as `rewrite_v4`) bytes, else
/// [`Malformed::L4Truncated`].
///
/// `state` as for IPv4: `Full` fields get every change; `Partial` fields
/// (`CHECKSUM_PARTIAL`: the folded pseudo-header sum, uncomplemented) get
/// the address change only, the ports being summed by whoever completes
/// the checksum. IPv6 has no header checksum to update.
///
/// A UDP checksum of 0 in a `Full` field is refused with
/// [`Malformed::UdpNoChecksum`] before anything is written: IPv6 receivers
/// drop such datagrams (RFC 8200 8.1), and an incremental update of a
/// missing checksum would forge one. A computed 0 is written as 0xffff.
pub fn rewrite_v6(pkt: &mut [u8], l4_off: usize, proto: u8, to: &Tuple, state: FieldState) -> Result<(), Malformed> {
    if pkt.len() < IPV6_HDR_LEN || l4_off < IPV6_HDR_LEN {
        return Err(Malformed::IpTruncated);
    }
    if l4_off > pkt.len() {
        return Err(Malformed::L4Truncated);
    }
    let (net, l4) = pkt.split_at_mut(l4_off);
    let l4 = l4.get_mut(..l4_need(proto)).ok_or(Malformed::L4Truncated)?;
    let co = check_off(proto);
    let old_check = co.and_then(|o| get16(l4, o));
    if proto == IPPROTO_UDP && old_check == Some(0) && state == FieldState::Full {
        return Err(Malformed::UdpNoChecksum);
    }
    let from_sp = get16(l4, 0).unwrap_or(0);
    let from_dp = get16(l4, 2).unwrap_or(0);
    let old_addrs = csum::sum_bytes(&net[8..40], 0);
    let new_addrs = csum::sum_bytes(to.daddr.octets(), csum::sum_bytes(to.saddr.octets(), 0));
    net[8..24].copy_from_slice(to.saddr.octets());
    net[24..40].copy_from_slice(to.daddr.octets());
    l4[0..2].copy_from_slice(&to.sport.to_be_bytes());
    l4[2..4].copy_from_slice(&to.dport.to_be_bytes());
    let (Some(co), Some(mut c)) = (co, old_check) else { return Ok(()) };
    c = csum::update_sum(state, c, old_addrs, new_addrs, true);
    c = csum::update16(state, c, from_sp, to.sport, false);
    c = csum::update16(state, c, from_dp, to.dport, false);
    if proto == IPPROTO_UDP && c == 0 && state == FieldState::Full {
        c = 0xffff; // 0 means "no checksum", which IPv6 forbids
    }
    l4[co..co + 2].copy_from_slice(&c.to_be_bytes());
    Ok(())
}


/// Writes the IPv6 + TCP packet `s` at the start of `out`, its checksum
/// complete; returns its length, or `None` (nothing written) if `out` is
/// shorter than `s.wire_len()`. Traffic class and flow label 0, no
/// extension headers.
pub fn write_tcp_v6(out: &mut [u8], s: &TcpSpec<'_>) -> Option<usize> {
    let olen = s.opt_len();
    let doff = 20 + olen;
    let tot = s.wire_len();
    let p = out.get_mut(..tot)?;
    p[..8].copy_from_slice(&[0x60, 0, 0, 0, (doff >> 8) as u8, doff as u8, IPPROTO_TCP, s.ttl]);
    p[8..24].copy_from_slice(s.saddr.octets());
    p[24..40].copy_from_slice(s.daddr.octets());
    let t = &mut p[IPV6_HDR_LEN..];
    t[0..2].copy_from_slice(&s.sport.to_be_bytes());
    t[2..4].copy_from_slice(&s.dport.to_be_bytes());
    t[4..8].copy_from_slice(&s.seq.to_be_bytes());
    t[8..12].copy_from_slice(&s.ack_seq.to_be_bytes());
    t[12] = ((doff / 4) << 4) as u8;
    t[13] = s.flags;
    t[14..16].copy_from_slice(&s.window.to_be_bytes());
    t[16..20].fill(0);
    t[20..doff].copy_from_slice(&s.opts[..olen]);
    let c = !csum::fold(csum::sum_bytes(t, csum::pseudo_v6(s.saddr.octets(), s.daddr.octets(), IPPROTO_TCP, doff as u32)));
    t[16..18].copy_from_slice(&c.to_be_bytes());
    Some(tot)
}

#[cfg(test)]
pub(crate) mod testpkt {
    //! Builders of well-formed IPv6 packets for the tests of this crate.
    use super::*;
    use crate::csum::{fold, pseudo_v6, sum_bytes};

    /// An IPv6 packet around the transport bytes `l4` of protocol `proto`,
    /// the checksum at `check_at` in `l4` (if any) filled in.
    pub fn v6_packet(saddr: [u8; 16], daddr: [u8; 16], proto: u8, mut l4: Vec<u8>, check_at: Option<usize>) -> Vec<u8> {
        let mut p = vec![0x60, 0, 0, 0];
        p.extend_from_slice(&(l4.len() as u16).to_be_bytes());
        p.extend_from_slice(&[proto, 64]);
        p.extend_from_slice(&saddr);
        p.extend_from_slice(&daddr);
        if let Some(o) = check_at {
            l4[o..o + 2].fill(0);
            let c = !fold(sum_bytes(&l4, pseudo_v6(&saddr, &daddr, proto, l4.len() as u32)));
            l4[o..o + 2].copy_from_slice(&c.to_be_bytes());
        }
        p.extend_from_slice(&l4);
        p
    }

    /// An IPv6 + TCP packet with a valid checksum (seq 1000, ack 0).
    pub fn tcp_v6(saddr: [u8; 16], daddr: [u8; 16], sport: u16, dport: u16, flags: u8, opts: &[u8], payload: &[u8]) -> Vec<u8> {
        assert!(opts.len().is_multiple_of(4));
        let doff = 20 + opts.len();
        let mut t = Vec::new();
        t.extend_from_slice(&sport.to_be_bytes());
        t.extend_from_slice(&dport.to_be_bytes());
        t.extend_from_slice(&1000u32.to_be_bytes());
        t.extend_from_slice(&0u32.to_be_bytes());
        t.extend_from_slice(&[((doff / 4) << 4) as u8, flags, 0xff, 0xff, 0, 0, 0, 0]);
        t.extend_from_slice(opts);
        t.extend_from_slice(payload);
        v6_packet(saddr, daddr, IPPROTO_TCP, t, Some(16))
    }

    /// An IPv6 + UDP packet with a valid checksum.
    pub fn udp_v6(saddr: [u8; 16], daddr: [u8; 16], sport: u16, dport: u16, payload: &[u8]) -> Vec<u8> {
        let mut u = Vec::new();
        u.extend_from_slice(&sport.to_be_bytes());
        u.extend_from_slice(&dport.to_be_bytes());
        u.extend_from_slice(&((8 + payload.len()) as u16).to_be_bytes());
        u.extend_from_slice(&[0, 0]);
        u.extend_from_slice(payload);
        v6_packet(saddr, daddr, IPPROTO_UDP, u, Some(6))
    }

    /// An extension header of kind `kind`, `len` bytes long (a multiple of
    /// 8; of 4 for AH; 8 for a fragment header), its next-header byte to be
    /// set by [`with_ext`]. Routing headers get segments left 0, fragment
    /// headers offset 0, MF clear (an atomic fragment).
    pub fn ext(kind: u8, len: usize) -> (u8, Vec<u8>) {
        let mut h = vec![0u8; len];
        h[1] = match kind {
            NEXTHDR_AUTH => (len / 4 - 2) as u8,
            NEXTHDR_FRAGMENT => 0,
            _ => (len / 8 - 1) as u8,
        };
        for (i, b) in h.iter_mut().enumerate().skip(2) {
            *b = (i * 7) as u8;
        }
        if kind == NEXTHDR_FRAGMENT {
            h[2..8].copy_from_slice(&[0, 0, 0xde, 0xad, 0xbe, 0xef]);
        }
        if kind == NEXTHDR_ROUTING {
            h[3] = 0;
        }
        (kind, h)
    }

    /// `p` (an IPv6 packet without extension headers) with `exts` inserted
    /// after the fixed header, in order; the transport checksum stays valid
    /// since extension headers are outside it.
    pub fn with_ext(p: &[u8], exts: &[(u8, Vec<u8>)]) -> Vec<u8> {
        let mut out = p[..40].to_vec();
        let upper = p[6];
        let mut added = 0;
        for (i, (kind, h)) in exts.iter().enumerate() {
            if i == 0 {
                out[6] = *kind;
            }
            let mut h = h.clone();
            h[0] = exts.get(i + 1).map_or(upper, |e| e.0);
            added += h.len();
            out.extend_from_slice(&h);
        }
        out.extend_from_slice(&p[40..]);
        let pl = (p.len() - 40 + added) as u16;
        out[4..6].copy_from_slice(&pl.to_be_bytes());
        out
    }

    /// True if `p` parses as IPv6 and its TCP/UDP/ICMPv6 checksum verifies
    /// (a UDP checksum of 0 does not).
    pub fn verifies_v6(p: &[u8]) -> bool {
        let Ok(ip) = parse_ipv6(p, p.len()) else { return false };
        let l4 = &p[ip.l4_off..ip.tot_len];
        if ip.proto == IPPROTO_UDP && l4.get(6..8) == Some(&[0, 0]) {
            return false;
        }
        fold(sum_bytes(l4, pseudo_v6(&ip.saddr, &ip.daddr, ip.proto, l4.len() as u32))) == 0xffff
    }

    /// A 16-byte address in 2001:db8::/32 ending in `tail`.
    pub fn a6(tail: u16) -> [u8; 16] {
        let mut a = [0x20, 1, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        a[14..].copy_from_slice(&tail.to_be_bytes());
        a
    }

    /// A deterministic pseudo-random sequence (a 64-bit LCG, high bits).
    pub struct Lcg(pub u64);

    impl Lcg {
        /// The next 32 bits.
        pub fn next(&mut self) -> u32 {
            self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (self.0 >> 32) as u32
        }

        /// A value below `n`.
        pub fn below(&mut self, n: usize) -> usize {
            self.next() as usize % n
        }

        /// `n` random bytes.
        pub fn bytes(&mut self, n: usize) -> Vec<u8> {
            (0..n).map(|_| self.next() as u8).collect()
        }

        /// A random address outside ::ffff:0:0/96.
        pub fn addr(&mut self) -> [u8; 16] {
            let mut a: [u8; 16] = self.bytes(16).try_into().unwrap();
            a[0] |= 0x20;
            a
        }
    }
}

#[cfg(test)]
mod tests {
    use super::testpkt::*;
    use super::*;
    use crate::csum::{fold, pseudo_v6, sum_bytes};
    use crate::packet::{parse_tcp, parse_udp, tcp_flags};

    fn client() -> [u8; 16] {
        a6(2)
    }
    fn vip() -> [u8; 16] {
        a6(0x100)
    }

    #[test]
    fn parses_plain_tcp_and_udp() {
        let mut p = tcp_v6(client(), vip(), 40000, 80, tcp_flags::SYN, &[2, 4, 5, 0xa0], b"");
        p[1] = 0xa1; // traffic class 0x0a, flow label 0x1xxxx
        p[2] = 0x23;
        p[3] = 0x45;
        assert!(verifies_v6(&p));
        let ip = parse_ipv6(&p, p.len()).unwrap();
        assert_eq!((ip.proto, ip.l4_off, ip.tot_len, ip.payload_len), (IPPROTO_TCP, 40, 64, 24));
        assert_eq!((ip.traffic_class, ip.flow_label, ip.hop_limit), (0x0a, 0x1_2345, 64));
        assert_eq!((ip.saddr, ip.daddr), (client(), vip()));
        assert_eq!((ip.frag, ip.routing_pending, ip.is_fragment(), ip.l4_len(), ip.ext_len()), (None, false, false, 24, 0));
        let t = parse_tcp(&p[ip.l4_off..], ip.l4_len()).unwrap();
        assert_eq!((t.sport, t.dport, t.doff), (40000, 80, 24));

        let u = udp_v6(client(), vip(), 5353, 53, b"query");
        assert!(verifies_v6(&u));
        let ip = parse_ipv6(&u, u.len()).unwrap();
        assert_eq!((ip.proto, ip.l4_off, ip.l4_len()), (IPPROTO_UDP, 40, 13));
        assert_eq!(parse_udp(&u[40..], ip.l4_len()).unwrap().len, 13);
        // Link padding past the payload is not the packet's.
        let mut padded = u.clone();
        padded.extend_from_slice(&[0; 7]);
        assert_eq!(parse_ipv6(&padded, padded.len()).unwrap().tot_len, u.len());
    }

    #[test]
    fn refuses_bad_fixed_headers() {
        let p = tcp_v6(client(), vip(), 1, 80, tcp_flags::SYN, &[], b"x");
        assert_eq!(parse_ipv6(&p[..39], 39), Err(Malformed::IpTruncated));
        assert_eq!(parse_ipv6(&p, 39), Err(Malformed::IpTruncated));
        let mut q = p.clone();
        q[0] = 0x40;
        assert_eq!(parse_ipv6(&q, q.len()), Err(Malformed::IpVersion));
        let mut q = p.clone();
        q[5] += 1; // payload length one past the packet
        assert_eq!(parse_ipv6(&q, q.len()), Err(Malformed::IpTotalLen));
        for at in [8, 24] {
            let mut q = p.clone();
            q[at..at + 16].copy_from_slice(Addr::v4(0xc000_0201).octets());
            assert_eq!(parse_ipv6(&q, q.len()), Err(Malformed::Ip6MappedAddr), "at {at}");
        }
        // ::ffff:0:0 itself is mapped; ::1 and the NAT64 prefix are not.
        let mut q = p.clone();
        q[24..40].copy_from_slice(&[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 0, 0]);
        assert_eq!(parse_ipv6(&q, q.len()), Err(Malformed::Ip6MappedAddr));
        let mut q = p;
        q[24..40].copy_from_slice(&[0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0, 192, 0, 2, 1]);
        assert!(parse_ipv6(&q, q.len()).is_ok());
    }

    #[test]
    fn every_extension_header_shape() {
        let base = tcp_v6(client(), vip(), 40000, 80, tcp_flags::ACK, &[], b"data");
        let cases: Vec<Vec<(u8, Vec<u8>)>> = vec![
            vec![ext(NEXTHDR_HOP, 8)],
            vec![ext(NEXTHDR_HOP, 16)],
            vec![ext(NEXTHDR_ROUTING, 24)],
            vec![ext(NEXTHDR_DEST, 8)],
            vec![ext(NEXTHDR_DEST, 2048)], // the longest: length byte 255
            vec![ext(NEXTHDR_FRAGMENT, 8)], // atomic fragment
            vec![ext(NEXTHDR_AUTH, 12)],
            vec![ext(NEXTHDR_AUTH, 24)],
            vec![ext(NEXTHDR_HOP, 8), ext(NEXTHDR_DEST, 16), ext(NEXTHDR_ROUTING, 8), ext(NEXTHDR_FRAGMENT, 8), ext(NEXTHDR_AUTH, 16), ext(NEXTHDR_DEST, 8)],
            (0..MAX_EXT_HEADERS).map(|_| ext(NEXTHDR_DEST, 8)).collect(),
        ];
        for exts in cases {
            let p = with_ext(&base, &exts);
            let want: usize = 40 + exts.iter().map(|e| e.1.len()).sum::<usize>();
            let kinds: Vec<u8> = exts.iter().map(|e| e.0).collect();
            let ip = parse_ipv6(&p, p.len()).unwrap_or_else(|e| panic!("{kinds:?}: {e:?}"));
            assert_eq!((ip.proto, ip.l4_off, ip.ext_len()), (IPPROTO_TCP, want, want - 40), "{kinds:?}");
            assert!(verifies_v6(&p), "{kinds:?}");
            assert!(!ip.is_fragment() && !ip.routing_pending);
            let frag = kinds.iter().position(|&k| k == NEXTHDR_FRAGMENT).map(|i| Fragment {
                offset: 0,
                more: false,
                id: 0xdead_beef,
                next_header: kinds.get(i + 1).copied().unwrap_or(IPPROTO_TCP),
            });
            assert_eq!(ip.frag, frag, "{kinds:?}");
            assert_eq!(parse_tcp(&p[ip.l4_off..], ip.l4_len()).unwrap().dport, 80);
        }
    }

    #[test]
    fn fragments() {
        let base = tcp_v6(client(), vip(), 40000, 80, tcp_flags::ACK, &[], &[7; 64]);
        // First fragment: the walk goes on to the transport header.
        let (k, mut f) = ext(NEXTHDR_FRAGMENT, 8);
        f[2..4].copy_from_slice(&1u16.to_be_bytes()); // offset 0, MF
        let p = with_ext(&base, &[(k, f.clone())]);
        let ip = parse_ipv6(&p, p.len()).unwrap();
        assert_eq!((ip.proto, ip.l4_off), (IPPROTO_TCP, 48));
        assert_eq!(ip.frag, Some(Fragment { offset: 0, more: true, id: 0xdead_beef, next_header: IPPROTO_TCP }));
        assert!(ip.is_fragment());
        // Later fragments: the walk stops after the fragment header.
        for (field, off, more) in [(0x00b9u16, 0xb8u16, true), (0x0010, 0x10, false), (0xfff8, 0xfff8, false)] {
            f[2..4].copy_from_slice(&field.to_be_bytes());
            let p = with_ext(&base, &[ext(NEXTHDR_HOP, 8), (k, f.clone()), ext(NEXTHDR_DEST, 8)]);
            let ip = parse_ipv6(&p, p.len()).unwrap();
            assert_eq!((ip.proto, ip.l4_off), (NEXTHDR_FRAGMENT, 56));
            assert_eq!(ip.frag, Some(Fragment { offset: off, more, id: 0xdead_beef, next_header: NEXTHDR_DEST }));
            assert!(ip.is_fragment());
        }
    }

    #[test]
    fn walk_ends_and_refusals() {
        let base = tcp_v6(client(), vip(), 40000, 80, tcp_flags::ACK, &[], &[1; 40]);
        // ESP and "no next header" end the walk and are reported.
        for end in [NEXTHDR_ESP, NEXTHDR_NONE] {
            let mut p = with_ext(&base, &[ext(NEXTHDR_DEST, 8)]);
            p[40] = end;
            let ip = parse_ipv6(&p, p.len()).unwrap();
            assert_eq!((ip.proto, ip.l4_off), (end, 48));
            let mut p = base.clone();
            p[6] = end;
            assert_eq!(parse_ipv6(&p, p.len()).unwrap().proto, end);
        }
        // ICMPv6 and unknown protocols are upper layers.
        let mut p = base.clone();
        p[6] = IPPROTO_ICMPV6;
        assert_eq!(parse_ipv6(&p, p.len()).unwrap().proto, IPPROTO_ICMPV6);
        // A routing header with segments left.
        let (k, mut r) = ext(NEXTHDR_ROUTING, 8);
        r[3] = 2;
        let p = with_ext(&base, &[(k, r)]);
        assert!(parse_ipv6(&p, p.len()).unwrap().routing_pending);
        // Hop-by-hop anywhere but first.
        let p = with_ext(&base, &[ext(NEXTHDR_DEST, 8), ext(NEXTHDR_HOP, 8)]);
        assert_eq!(parse_ipv6(&p, p.len()), Err(Malformed::Ip6ExtHeader));
        // One header too many.
        let p = with_ext(&base, &(0..=MAX_EXT_HEADERS).map(|_| ext(NEXTHDR_DEST, 8)).collect::<Vec<_>>());
        assert_eq!(parse_ipv6(&p, p.len()), Err(Malformed::Ip6ExtHeader));
        // A header longer than the payload.
        let mut p = with_ext(&base, &[ext(NEXTHDR_DEST, 8)]);
        p[41] = 20;
        assert_eq!(parse_ipv6(&p, p.len()), Err(Malformed::Ip6ExtHeader));
        let mut p = with_ext(&base, &[ext(NEXTHDR_AUTH, 12)]);
        p[41] = 30;
        assert_eq!(parse_ipv6(&p, p.len()), Err(Malformed::Ip6ExtHeader));
        // A jumbogram's form: payload length 0, a hop-by-hop header.
        let mut p = with_ext(&base, &[ext(NEXTHDR_HOP, 8)]);
        p[4..6].fill(0);
        assert_eq!(parse_ipv6(&p, p.len()), Err(Malformed::Ip6ExtHeader));
        // Headers in the packet but not in the bytes given: pull more.
        let p = with_ext(&base, &[ext(NEXTHDR_DEST, 8), ext(NEXTHDR_DEST, 8)]);
        assert_eq!(parse_ipv6(&p[..50], p.len()), Err(Malformed::IpTruncated));
        assert!(parse_ipv6(&p[..56], p.len()).is_ok());
    }

    #[test]
    fn truncated_anywhere_never_panics() {
        let base = tcp_v6(client(), vip(), 40000, 80, tcp_flags::ACK, &[1, 1, 1, 1], b"abc");
        let shapes = [
            base.clone(),
            with_ext(&base, &[ext(NEXTHDR_HOP, 8), ext(NEXTHDR_ROUTING, 16), ext(NEXTHDR_FRAGMENT, 8), ext(NEXTHDR_AUTH, 12), ext(NEXTHDR_DEST, 8)]),
            udp_v6(client(), vip(), 1, 2, b"0123456789"),
        ];
        for p in &shapes {
            let full = parse_ipv6(p, p.len()).unwrap();
            for n in 0..p.len() {
                // The packet itself cut short: its payload length lies.
                assert!(parse_ipv6(&p[..n], n).is_err(), "len {n}");
                // The bytes given cut short: fine once the headers are in.
                match parse_ipv6(&p[..n], p.len()) {
                    Ok(ip) => assert!(n >= ip.l4_off && ip == full),
                    Err(e) => assert!(n < full.l4_off, "{n}: {e:?}"),
                }
                let _ = parse_quoted_ipv6(&p[..n]);
                let mut q = p[..n].to_vec();
                let _ = rewrite_v6(&mut q, full.l4_off, full.proto, &Tuple::default(), FieldState::Full);
            }
        }
        // Random bytes with a plausible first byte.
        let mut r = Lcg(7);
        for _ in 0..20_000 {
            let n = r.below(120);
            let mut b = r.bytes(n);
            if let Some(x) = b.first_mut() {
                *x = 0x60 | (*x & 0x0f);
            }
            if b.len() > 6 && r.below(2) == 0 {
                b[6] = [0, 43, 44, 50, 51, 59, 60][r.below(7)];
            }
            let _ = parse_ipv6(&b, n + r.below(3));
            let _ = parse_quoted_ipv6(&b);
        }
    }

    #[test]
    fn quoted_header_may_be_cut() {
        let p = with_ext(&tcp_v6(client(), vip(), 40000, 80, tcp_flags::ACK, &[], &[0; 500]), &[ext(NEXTHDR_DEST, 16)]);
        let ip = parse_quoted_ipv6(&p[..64]).unwrap();
        assert_eq!((ip.proto, ip.l4_off, ip.tot_len), (IPPROTO_TCP, 56, p.len()));
        assert_eq!(parse_quoted_ipv6(&p[..50]), Err(Malformed::IpTruncated));
        assert!(parse_ipv6(&p[..64], 64).is_err());
    }

    /// A FULLNAT rewrite, checked against a checksum computed from scratch,
    /// over random addresses, ports, payloads, extension headers.
    #[test]
    fn rewrite_matches_recompute() {
        let mut r = Lcg(0x5eed);
        for i in 0..3000 {
            let n = r.below(300);
            let payload = r.bytes(n);
            let (s, d) = (r.addr(), r.addr());
            let (sp, dp) = (r.next() as u16, r.next() as u16);
            let base = if i % 2 == 0 {
                tcp_v6(s, d, sp, dp, tcp_flags::ACK, &[1, 1, 1, 1][..4 * r.below(2)], &payload)
            } else {
                udp_v6(s, d, sp, dp, &payload)
            };
            let exts: Vec<_> = (0..r.below(3))
                .map(|_| match r.below(3) {
                    0 => ext(NEXTHDR_DEST, 8 * (1 + r.below(3))),
                    1 => ext(NEXTHDR_FRAGMENT, 8),
                    _ => ext(NEXTHDR_AUTH, 4 * (2 + r.below(4))),
                })
                .collect();
            let mut p = with_ext(&base, &exts);
            let ip = parse_ipv6(&p, p.len()).unwrap();
            let to = Tuple { saddr: Addr::v6(r.addr()), daddr: Addr::v6(r.addr()), sport: r.next() as u16, dport: r.next() as u16 };
            rewrite_v6(&mut p, ip.l4_off, ip.proto, &to, FieldState::Full).unwrap();
            assert!(verifies_v6(&p), "case {i}");
            let after = parse_ipv6(&p, p.len()).unwrap();
            assert_eq!((&after.saddr, &after.daddr), (to.saddr.octets(), to.daddr.octets()));
            assert_eq!(&p[ip.l4_off..ip.l4_off + 4], &[(to.sport >> 8) as u8, to.sport as u8, (to.dport >> 8) as u8, to.dport as u8]);
            // And back, by the reversed tuple's inverse: the original bytes.
            let back = Tuple { saddr: Addr::v6(s), daddr: Addr::v6(d), sport: sp, dport: dp };
            rewrite_v6(&mut p, ip.l4_off, ip.proto, &back, FieldState::Full).unwrap();
            assert!(verifies_v6(&p));
            let orig = with_ext(&base, &exts);
            let co = ip.l4_off + check_off(ip.proto).unwrap();
            assert_eq!(p[..co], orig[..co]);
            assert_eq!(p[co + 2..], orig[co + 2..]);
        }
    }

    #[test]
    fn rewrite_partial_updates_pseudo_header_only() {
        let mut r = Lcg(99);
        for i in 0..500 {
            let (s, d) = (r.addr(), r.addr());
            let mut p = if i % 2 == 0 { tcp_v6(s, d, 1, 2, tcp_flags::ACK, &[], &r.bytes(20)) } else { udp_v6(s, d, 1, 2, &r.bytes(20)) };
            let ip = parse_ipv6(&p, p.len()).unwrap();
            let co = 40 + check_off(ip.proto).unwrap();
            // CHECKSUM_PARTIAL: the field holds the folded pseudo-header sum.
            let field = fold(pseudo_v6(&s, &d, ip.proto, ip.l4_len() as u32));
            p[co..co + 2].copy_from_slice(&field.to_be_bytes());
            let to = Tuple { saddr: Addr::v6(r.addr()), daddr: Addr::v6(r.addr()), sport: 7, dport: 8 };
            rewrite_v6(&mut p, 40, ip.proto, &to, FieldState::Partial).unwrap();
            let want = fold(pseudo_v6(to.saddr.octets(), to.daddr.octets(), ip.proto, ip.l4_len() as u32));
            let got = u16::from_be_bytes([p[co], p[co + 1]]);
            assert!(got == want || (got ^ want) == 0xffff && (got == 0 || want == 0), "{got:x} {want:x}");
            // Completing it as the hardware would gives a valid packet.
            p[co..co + 2].copy_from_slice(&want.to_be_bytes());
            let c = !fold(sum_bytes(&p[40..], 0));
            p[co..co + 2].copy_from_slice(&c.to_be_bytes());
            assert!(verifies_v6(&p) || ip.proto == IPPROTO_UDP && c == 0);
        }
    }

    #[test]
    fn udp_checksum_never_zero() {
        // A missing checksum is refused, and nothing is written.
        let mut p = udp_v6(client(), vip(), 5000, 53, b"abc");
        p[46..48].fill(0);
        let before = p.clone();
        let to = Tuple { saddr: Addr::v6(a6(9)), daddr: Addr::v6(a6(10)), sport: 1, dport: 2 };
        assert_eq!(rewrite_v6(&mut p, 40, IPPROTO_UDP, &to, FieldState::Full), Err(Malformed::UdpNoChecksum));
        assert_eq!(p, before);
        // A rewrite whose checksum comes out 0 writes 0xffff: choose the
        // destination port that makes it so.
        let p0 = udp_v6(client(), vip(), 5000, 53, b"abc");
        let mut p = p0.clone();
        rewrite_v6(&mut p, 40, IPPROTO_UDP, &to, FieldState::Full).unwrap();
        let c0 = u16::from_be_bytes([p[46], p[47]]);
        let dport = !csum::fold(csum::add((!c0) as u32, (!to.dport) as u32 & 0xffff));
        let to0 = Tuple { dport, ..to };
        let mut p = p0;
        rewrite_v6(&mut p, 40, IPPROTO_UDP, &to0, FieldState::Full).unwrap();
        assert_eq!(&p[46..48], &[0xff, 0xff]);
        assert!(verifies_v6(&p));
    }

    #[test]
    fn rewrite_refuses_short_buffers() {
        let mut p = tcp_v6(client(), vip(), 1, 2, tcp_flags::ACK, &[], b"");
        let to = Tuple::default();
        assert_eq!(rewrite_v6(&mut p[..59], 40, IPPROTO_TCP, &to, FieldState::Full), Err(Malformed::L4Truncated));
        assert_eq!(rewrite_v6(&mut p, 39, IPPROTO_TCP, &to, FieldState::Full), Err(Malformed::IpTruncated));
        assert_eq!(rewrite_v6(&mut p, 1000, IPPROTO_TCP, &to, FieldState::Full), Err(Malformed::L4Truncated));
        assert_eq!(rewrite_v6(&mut p[..20], 40, IPPROTO_TCP, &to, FieldState::Full), Err(Malformed::IpTruncated));
        assert!(rewrite_v6(&mut p[..48], 40, IPPROTO_UDP, &to, FieldState::Full).is_ok());
        // Another protocol: ports only, as rewrite_v4.
        let mut q = tcp_v6(client(), vip(), 1, 2, tcp_flags::ACK, &[], b"");
        q[6] = 132;
        assert!(rewrite_v6(&mut q[..44], 40, 132, &Tuple { sport: 9, ..to }, FieldState::Full).is_ok());
        assert_eq!(&q[40..44], &[0, 9, 0, 0]);
    }

    #[test]
    fn built_segments_parse_and_verify() {
        let opts = [2, 4, 5, 0x8c, 1, 3, 3, 7];
        let s = TcpSpec { saddr: Addr::v6(vip()), daddr: Addr::v6(client()), sport: 80, dport: 40000, seq: 7, ack_seq: 9, flags: tcp_flags::SYN | tcp_flags::ACK, window: 65535, ttl: 63, opts: &opts };
        let mut b = [0u8; 100];
        let n = write_tcp_v6(&mut b, &s).unwrap();
        assert_eq!((n, s.wire_len()), (68, 68));
        assert!(verifies_v6(&b[..n]));
        let ip = parse_ipv6(&b[..n], n).unwrap();
        assert_eq!((ip.saddr, ip.daddr, ip.hop_limit, ip.proto, ip.l4_off, ip.traffic_class, ip.flow_label), (vip(), client(), 63, IPPROTO_TCP, 40, 0, 0));
        let t = parse_tcp(&b[40..n], ip.l4_len()).unwrap();
        assert_eq!((t.sport, t.dport, t.seq, t.ack_seq, t.flags, t.doff, t.window), (80, 40000, 7, 9, s.flags, 28, 65535));
        let bare = TcpSpec { opts: &[], flags: tcp_flags::RST, ..s };
        let n = write_tcp_v6(&mut b, &bare).unwrap();
        assert_eq!(n, 60);
        assert!(verifies_v6(&b[..n]));
        // Too small a buffer: nothing written.
        let mut small = [0u8; 67];
        assert_eq!(write_tcp_v6(&mut small, &s), None);
        assert_eq!(small, [0; 67]);
        // A ragged or oversized option area is cut as write_tcp_v4 cuts it.
        let long = [1u8; 45];
        let n = write_tcp_v6(&mut b, &TcpSpec { opts: &long, ..s }).unwrap();
        assert_eq!(n, 100);
        assert!(verifies_v6(&b[..n]));
        let n = write_tcp_v6(&mut b, &TcpSpec { opts: &long[..6], ..s }).unwrap();
        assert_eq!(n, 64);
    }

    #[test]
    fn tuples_reverse() {
        let t = Tuple { saddr: Addr::v6(a6(1)), daddr: Addr::v6(a6(2)), sport: 3, dport: 4 };
        assert_eq!(t.reversed(), Tuple { saddr: Addr::v6(a6(2)), daddr: Addr::v6(a6(1)), sport: 4, dport: 3 });
        assert_eq!(t.reversed().reversed(), t);
        assert_eq!(get16(&[1, 2], 1), None);
        assert_eq!(get16(&[1, 2], usize::MAX), None);
    }
}
