// SPDX-License-Identifier: GPL-2.0
//! ICMPv6 errors about FULLNAT IPv6 connections, translated both ways, as
//! `icmp` does for IPv4: the outer addresses, the quoted (inner) IPv6
//! header's addresses and ports, the quoted TCP sequence number, the quoted
//! transport checksum, and the ICMPv6 checksum.
//!
//! Two differences from ICMPv4 shape this module. The ICMPv6 checksum
//! covers the IPv6 pseudo header (RFC 4443 2.3), so it changes with the
//! outer addresses; and since rvs recomputes it, a message that arrived
//! with a bad one is refused here, where ICMPv4 translation would have
//! laundered it. And Packet Too Big carries an MTU that the kernel ignores
//! below 1280 (IPv6's minimum, RFC 8200 5): such a message is refused
//! rather than passed on to a peer that must not act on it.

use super::addr::Addr;
use super::csum;
use super::ipv6::{self, get16, Ipv6, IPPROTO_ICMPV6, IPV6_MIN_MTU, NEXTHDR_FRAGMENT};
use super::nat::Tuple;
use super::packet::{Malformed, IPPROTO_TCP, IPPROTO_UDP};
use super::seq::SeqDelta;

/// Destination unreachable.
pub const DEST_UNREACH: u8 = 1;
/// Packet too big (carries the MTU).
pub const PKT_TOOBIG: u8 = 2;
/// Time exceeded.
pub const TIME_EXCEED: u8 = 3;
/// Parameter problem (carries a pointer).
pub const PARAMPROB: u8 = 4;
/// Length of the ICMPv6 header before the quote.
pub const ICMP6_HDR_LEN: usize = 8;

/// An MTU from a Packet Too Big, if valid: `Some(mtu)` from 1280 (IPv6's
/// minimum link MTU) up, `None` below. This validates, it does not clamp:
/// the kernel ignores a PTB below 1280 for path MTU (since RFC 8021 it no
/// longer turns it into an atomic-fragment request), and rvs treats one
/// as invalid for translation (dropped and counted as
/// [`Malformed::IcmpMtu`]) rather than inventing an MTU nobody reported.
pub const fn valid_ptb_mtu(mtu: u32) -> Option<u32> {
    if mtu < IPV6_MIN_MTU {
        None
    } else {
        Some(mtu)
    }
}

/// An ICMPv6 error about a TCP or UDP packet, and its quote. Offsets are
/// from the start of the packet (the outer IPv6 header).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Quoted6 {
    /// ICMPv6 type (1 to 4).
    pub icmp_type: u8,
    /// ICMPv6 code.
    pub code: u8,
    /// The 32 bits after the checksum: a Packet Too Big's MTU (at least
    /// 1280), a Parameter Problem's pointer, otherwise unused.
    pub info: u32,
    /// Offset of the ICMPv6 header.
    pub icmp_off: usize,
    /// End of the ICMPv6 message (the outer packet's length).
    pub end: usize,
    /// Offset of the quoted IPv6 header.
    pub ip_off: usize,
    /// Offset of the quoted transport header.
    pub l4_off: usize,
    /// TCP or UDP.
    pub proto: u8,
    /// The quoted packet's upper-layer length, as its header claims it (the
    /// quote may hold less).
    pub l4_len: usize,
    /// The quoted packet's 4-tuple, as it was sent.
    pub tuple: Tuple,
}

/// Parses an ICMPv6 error. `pkt` holds the whole packet from the outer IPv6
/// header, `ip` is what [`ipv6::parse_ipv6`] found in it. `Ok(None)`: not
/// ICMPv6, not an error, or an error about something other than the start
/// of a TCP or UDP packet (another protocol, a non-first fragment); `Err`:
/// an error to drop, for a checksum that does not verify
/// ([`Malformed::IcmpChecksum`]), a Packet Too Big below 1280
/// ([`Malformed::IcmpMtu`], see [`valid_ptb_mtu`]), a fragmented error
/// ([`Malformed::Fragment`]), or a quote too short or malformed to name
/// the TCP/UDP packet (the quoted IPv6 header, its extension headers as
/// far as quoted, and 8 bytes of transport header: ports and TCP
/// sequence number).
pub fn parse_error(pkt: &[u8], ip: &Ipv6) -> Result<Option<Quoted6>, Malformed> {
    if ip.proto != IPPROTO_ICMPV6 {
        return Ok(None);
    }
    if ip.is_fragment() {
        return Err(Malformed::Fragment);
    }
    let icmp = pkt.get(ip.l4_off..ip.tot_len).ok_or(Malformed::L4Truncated)?;
    let Some(hdr) = icmp.get(..ICMP6_HDR_LEN) else { return Err(Malformed::L4Truncated) };
    let (icmp_type, code) = (hdr[0], hdr[1]);
    if !matches!(icmp_type, DEST_UNREACH | PKT_TOOBIG | TIME_EXCEED | PARAMPROB) {
        return Ok(None);
    }
    let sum = csum::sum_bytes(icmp, csum::pseudo_v6(&ip.saddr, &ip.daddr, IPPROTO_ICMPV6, icmp.len() as u32));
    if csum::fold(sum) != 0xffff {
        return Err(Malformed::IcmpChecksum);
    }
    let info = u32::from_be_bytes([hdr[4], hdr[5], hdr[6], hdr[7]]);
    if icmp_type == PKT_TOOBIG && valid_ptb_mtu(info).is_none() {
        return Err(Malformed::IcmpMtu);
    }
    let q = &icmp[ICMP6_HDR_LEN..];
    let qip = ipv6::parse_quoted_ipv6(q)?;
    if qip.proto == NEXTHDR_FRAGMENT || (qip.proto != IPPROTO_TCP && qip.proto != IPPROTO_UDP) {
        return Ok(None);
    }
    let l4 = q.get(qip.l4_off..qip.l4_off + 8).ok_or(Malformed::L4Truncated)?;
    let ip_off = ip.l4_off + ICMP6_HDR_LEN;
    Ok(Some(Quoted6 {
        icmp_type,
        code,
        info,
        icmp_off: ip.l4_off,
        end: ip.tot_len,
        ip_off,
        l4_off: ip_off + qip.l4_off,
        proto: qip.proto,
        l4_len: qip.l4_len(),
        tuple: Tuple {
            saddr: Addr::v6(qip.saddr),
            daddr: Addr::v6(qip.daddr),
            sport: u16::from_be_bytes([l4[0], l4[1]]),
            dport: u16::from_be_bytes([l4[2], l4[3]]),
        },
    }))
}

/// Rewrites an ICMPv6 error that [`parse_error`] parsed as `q` (`pkt` the
/// same bytes, holding the whole message): outer source and destination to
/// `outer`, the quoted packet's tuple to `inner`, and (TCP) its sequence
/// number forward by `seq`. The quoted transport checksum is updated
/// incrementally if the quote reaches it (a quoted UDP checksum of 0 is
/// left alone), and the ICMPv6 checksum is recomputed over the message as
/// it is, however much of the quoted packet it holds. The ICMPv6 fields
/// (type, code, MTU, pointer) are left as they are: FULLNAT's headers have
/// the same size on both sides. `Err` (nothing written) only if `pkt` is
/// not what `q` describes.
pub fn rewrite_error(pkt: &mut [u8], q: &Quoted6, outer: (&[u8; 16], &[u8; 16]), inner: &Tuple, seq: SeqDelta) -> Result<(), Malformed> {
    // Every offset below is bounded by `q.end`, hence by `pkt.len()`.
    if q.end > pkt.len() || q.l4_off.saturating_add(8) > q.end || q.ip_off.saturating_add(40) > q.l4_off || q.icmp_off.saturating_add(ICMP6_HDR_LEN) > q.ip_off || q.icmp_off < 40 {
        return Err(Malformed::L4Truncated);
    }
    pkt[8..24].copy_from_slice(outer.0);
    pkt[24..40].copy_from_slice(outer.1);

    let (ip, l4) = (q.ip_off, q.l4_off);
    let old_addrs = csum::sum_bytes(&pkt[ip + 8..ip + 40], 0);
    let new_addrs = csum::sum_bytes(inner.daddr.octets(), csum::sum_bytes(inner.saddr.octets(), 0));
    let old_seq = get32(pkt, l4 + 4).unwrap_or(0);
    let new_seq = if q.proto == IPPROTO_TCP { seq.forward(old_seq) } else { old_seq };
    // Quoted transport checksum, if the quote reaches it.
    let check_at = l4 + if q.proto == IPPROTO_TCP { 16 } else { 6 };
    if check_at + 2 <= q.end {
        if let Some(mut c) = get16(pkt, check_at).filter(|&c| !(q.proto == IPPROTO_UDP && c == 0)) {
            c = csum::replace_sum(c, old_addrs, new_addrs);
            c = csum::replace16(c, get16(pkt, l4).unwrap_or(0), inner.sport);
            c = csum::replace16(c, get16(pkt, l4 + 2).unwrap_or(0), inner.dport);
            c = csum::replace32(c, old_seq, new_seq);
            if q.proto == IPPROTO_UDP && c == 0 {
                c = 0xffff;
            }
            pkt[check_at..check_at + 2].copy_from_slice(&c.to_be_bytes());
        }
    }
    pkt[ip + 8..ip + 24].copy_from_slice(inner.saddr.octets());
    pkt[ip + 24..ip + 40].copy_from_slice(inner.daddr.octets());
    pkt[l4..l4 + 2].copy_from_slice(&inner.sport.to_be_bytes());
    pkt[l4 + 2..l4 + 4].copy_from_slice(&inner.dport.to_be_bytes());
    if q.proto == IPPROTO_TCP {
        pkt[l4 + 4..l4 + 8].copy_from_slice(&new_seq.to_be_bytes());
    }

    set_checksum(pkt, q.icmp_off, q.end);
    Ok(())
}

/// Recomputes the ICMPv6 checksum of the message at `pkt[icmp_off..end]`
/// (with the pseudo header of the IPv6 header at 0). `pkt` must hold `end`
/// bytes, `icmp_off` at least 40 and `icmp_off + 4 <= end`; otherwise
/// nothing is written.
pub fn set_checksum(pkt: &mut [u8], icmp_off: usize, end: usize) {
    if icmp_off < 40 || icmp_off.saturating_add(4) > end || end > pkt.len() {
        return;
    }
    pkt[icmp_off + 2..icmp_off + 4].fill(0);
    let (net, rest) = pkt.split_at_mut(icmp_off);
    let msg = &mut rest[..end - icmp_off];
    let mut s = [0u8; 16];
    let mut d = [0u8; 16];
    s.copy_from_slice(&net[8..24]);
    d.copy_from_slice(&net[24..40]);
    let c = !csum::fold(csum::sum_bytes(msg, csum::pseudo_v6(&s, &d, IPPROTO_ICMPV6, msg.len() as u32)));
    msg[2..4].copy_from_slice(&c.to_be_bytes());
}

fn get32(b: &[u8], o: usize) -> Option<u32> {
    let s = b.get(o..o.checked_add(4)?)?;
    Some(u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
}

#[cfg(test)]
pub(crate) mod testpkt {
    //! Builders of ICMPv6 errors for the tests of this crate.
    use crate::ipv6::testpkt::v6_packet;
    use crate::ipv6::IPPROTO_ICMPV6;

    /// An ICMPv6 error from `saddr` to `daddr` quoting the first `qlen`
    /// bytes of `quoted`, checksum valid.
    pub fn icmp6_error(saddr: [u8; 16], daddr: [u8; 16], icmp_type: u8, code: u8, info: u32, quoted: &[u8], qlen: usize) -> Vec<u8> {
        let mut m = vec![icmp_type, code, 0, 0];
        m.extend_from_slice(&info.to_be_bytes());
        m.extend_from_slice(&quoted[..qlen]);
        v6_packet(saddr, daddr, IPPROTO_ICMPV6, m, Some(2))
    }
}

#[cfg(test)]
mod tests {
    use super::testpkt::*;
    use super::*;
    use crate::ipv6::testpkt::*;
    use crate::ipv6::{parse_ipv6, NEXTHDR_DEST};

    // FULLNAT v6: client:40000 -> VIP:80 becomes LADDR:5000 -> RS:8080.
    fn client() -> [u8; 16] {
        a6(2)
    }
    fn vip() -> [u8; 16] {
        a6(0x100)
    }
    fn laddr() -> [u8; 16] {
        let mut a = a6(0xc9);
        a[4] = 0x51;
        a
    }
    fn rs() -> [u8; 16] {
        let mut a = a6(0x0b);
        a[4] = 0x51;
        a
    }
    fn router() -> [u8; 16] {
        let mut a = a6(0xfe);
        a[4] = 0x51;
        a
    }

    fn parse(p: &[u8]) -> Result<Option<Quoted6>, Malformed> {
        parse_error(p, &parse_ipv6(p, p.len())?)
    }

    fn rd32(b: &[u8], o: usize) -> u32 {
        u32::from_be_bytes([b[o], b[o + 1], b[o + 2], b[o + 3]])
    }

    #[test]
    fn packet_too_big_translated_to_client() {
        // What rvs sent toward the RS, seq in the RS's space.
        let plain = tcp_v6(laddr(), rs(), 5000, 8080, 0x10, &[], &[0u8; 100]);
        let with_dest = with_ext(&plain, &[ext(NEXTHDR_DEST, 16)]);
        for sent in [plain, with_dest] {
            let l4 = parse_ipv6(&sent, sent.len()).unwrap().l4_off;
            for qlen in [l4 + 8, l4 + 20, sent.len()] {
                let mut p = icmp6_error(router(), laddr(), PKT_TOOBIG, 0, 1400, &sent, qlen);
                assert!(verifies_v6(&p));
                let q = parse(&p).unwrap().unwrap();
                assert_eq!((q.icmp_type, q.code, q.info, q.proto), (PKT_TOOBIG, 0, 1400, IPPROTO_TCP));
                assert_eq!((q.icmp_off, q.ip_off, q.l4_off, q.end, q.l4_len), (40, 48, 48 + l4, p.len(), 120));
                assert_eq!(q.tuple, Tuple { saddr: Addr::v6(laddr()), daddr: Addr::v6(rs()), sport: 5000, dport: 8080 });
                // Back to what the client sent: client:40000 -> VIP:80, seq - delta.
                let inner = Tuple { saddr: Addr::v6(client()), daddr: Addr::v6(vip()), sport: 40000, dport: 80 };
                rewrite_error(&mut p, &q, (&vip(), &client()), &inner, SeqDelta(0u32.wrapping_sub(0x100))).unwrap();
                assert!(verifies_v6(&p), "ICMPv6 checksum, quote {qlen}");
                assert_eq!(&p[8..40], [vip(), client()].concat().as_slice());
                assert_eq!(&p[56..88], [client(), vip()].concat().as_slice());
                assert_eq!(&p[q.l4_off..q.l4_off + 4], &[0x9c, 0x40, 0, 80]);
                assert_eq!(rd32(&p, q.l4_off + 4), 1000 - 0x100, "quoted seq back in the client's space");
                assert_eq!(rd32(&p, 44), 1400, "MTU kept");
                if qlen == sent.len() {
                    // The whole segment was quoted: its TCP checksum must verify.
                    assert!(verifies_v6(&p[48..]));
                }
            }
        }
    }

    #[test]
    fn udp_quote_and_other_types() {
        let sent = udp_v6(laddr(), rs(), 5000, 53, b"a question");
        for (t, code, info) in [(DEST_UNREACH, 4, 0), (TIME_EXCEED, 0, 0), (PARAMPROB, 0, 6), (PKT_TOOBIG, 0, 1280)] {
            let mut p = icmp6_error(router(), laddr(), t, code, info, &sent, sent.len());
            let q = parse(&p).unwrap().unwrap();
            assert_eq!((q.icmp_type, q.code, q.info, q.proto, q.l4_len), (t, code, info, IPPROTO_UDP, 18));
            let inner = Tuple { saddr: Addr::v6(client()), daddr: Addr::v6(vip()), sport: 1234, dport: 53 };
            rewrite_error(&mut p, &q, (&vip(), &client()), &inner, SeqDelta(77)).unwrap();
            assert!(verifies_v6(&p));
            assert!(verifies_v6(&p[48..]), "quoted UDP checksum");
            assert_eq!(&p[48 + 40 + 4..48 + 40 + 6], &sent[44..46], "UDP length kept: no sequence number");
            assert_eq!(&p[48 + 40 + 8..], &sent[48..]);
        }
        // A quoted UDP checksum of 0 stays 0.
        let mut zero = sent.clone();
        zero[46..48].fill(0);
        let mut p = icmp6_error(router(), laddr(), DEST_UNREACH, 4, 0, &zero, zero.len());
        let q = parse(&p).unwrap().unwrap();
        rewrite_error(&mut p, &q, (&vip(), &client()), &Tuple::default(), SeqDelta(0)).unwrap();
        assert_eq!(&p[48 + 46..48 + 48], &[0, 0]);
        assert!(verifies_v6(&p));
    }

    #[test]
    fn refusals() {
        let sent = tcp_v6(laddr(), rs(), 5000, 8080, 0x10, &[], b"");
        // Bad checksum.
        let mut p = icmp6_error(router(), laddr(), DEST_UNREACH, 0, 0, &sent, 60);
        p[50] ^= 1;
        assert_eq!(parse(&p), Err(Malformed::IcmpChecksum));
        // PTB below 1280.
        let p = icmp6_error(router(), laddr(), PKT_TOOBIG, 0, 1279, &sent, 60);
        assert_eq!(parse(&p), Err(Malformed::IcmpMtu));
        let p = icmp6_error(router(), laddr(), PKT_TOOBIG, 0, 0, &sent, 60);
        assert_eq!(parse(&p), Err(Malformed::IcmpMtu));
        // Only 4 bytes of TCP quoted; a quote cut inside the IPv6 header.
        let p = icmp6_error(router(), laddr(), DEST_UNREACH, 0, 0, &sent, 44);
        assert_eq!(parse(&p), Err(Malformed::L4Truncated));
        let p = icmp6_error(router(), laddr(), DEST_UNREACH, 0, 0, &sent, 30);
        assert!(parse(&p).is_err());
        // The ICMPv6 message longer than the bytes given.
        let p = icmp6_error(router(), laddr(), DEST_UNREACH, 0, 0, &sent, 60);
        let ip = parse_ipv6(&p, p.len()).unwrap();
        assert_eq!(parse_error(&p[..p.len() - 1], &ip), Err(Malformed::L4Truncated));
        // A quote with an IPv4-mapped address.
        let mut bad = sent.clone();
        bad[24..40].copy_from_slice(crate::addr::Addr::v4(0x0a00_0001).octets());
        let p = icmp6_error(router(), laddr(), DEST_UNREACH, 0, 0, &bad, 60);
        assert_eq!(parse(&p), Err(Malformed::Ip6MappedAddr));
        // A fragmented error.
        let (k, mut f) = ext(crate::ipv6::NEXTHDR_FRAGMENT, 8);
        f[3] = 1;
        let p = with_ext(&icmp6_error(router(), laddr(), DEST_UNREACH, 0, 0, &sent, 60), &[(k, f)]);
        assert_eq!(parse(&p), Err(Malformed::Fragment));
    }

    #[test]
    fn not_ours() {
        let sent = tcp_v6(laddr(), rs(), 5000, 8080, 0x10, &[], b"");
        // Informational messages, unknown types.
        for t in [128, 129, 135, 0, 5, 127] {
            let p = icmp6_error(router(), laddr(), t, 0, 0, &sent, 60);
            assert_eq!(parse(&p), Ok(None), "type {t}");
        }
        // Not ICMPv6 at all.
        assert_eq!(parse(&sent), Ok(None));
        // An error about ICMPv6.
        let echo = icmp6_error(laddr(), rs(), 128, 0, 1, b"", 0);
        let p = icmp6_error(router(), laddr(), DEST_UNREACH, 0, 0, &echo, echo.len());
        assert_eq!(parse(&p), Ok(None));
        // An error about a non-first fragment: no ports to look at.
        let (k, mut f) = ext(crate::ipv6::NEXTHDR_FRAGMENT, 8);
        f[2..4].copy_from_slice(&0x0100u16.to_be_bytes());
        let frag = with_ext(&sent, &[(k, f)]);
        let p = icmp6_error(router(), laddr(), TIME_EXCEED, 1, 0, &frag, frag.len());
        assert_eq!(parse(&p), Ok(None));
    }

    #[test]
    fn ptb_mtu_validation() {
        assert_eq!(valid_ptb_mtu(0), None);
        assert_eq!(valid_ptb_mtu(1279), None);
        assert_eq!(valid_ptb_mtu(1280), Some(1280));
        assert_eq!(valid_ptb_mtu(9000), Some(9000));
        assert_eq!(valid_ptb_mtu(u32::MAX), Some(u32::MAX));
    }

    #[test]
    fn truncated_and_random_never_panic() {
        let sent = with_ext(&tcp_v6(laddr(), rs(), 5000, 8080, 0x10, &[], &[5; 30]), &[ext(NEXTHDR_DEST, 8)]);
        let p = icmp6_error(router(), laddr(), PKT_TOOBIG, 0, 1300, &sent, sent.len());
        let ip = parse_ipv6(&p, p.len()).unwrap();
        let q = parse_error(&p, &ip).unwrap().unwrap();
        for n in 0..p.len() {
            assert!(parse_error(&p[..n], &ip).is_err(), "{n}");
            let _ = parse(&p[..n]);
            let mut t = p[..n].to_vec();
            assert!(rewrite_error(&mut t, &q, (&vip(), &client()), &q.tuple, SeqDelta(1)).is_err());
            assert_eq!(t, p[..n]);
            set_checksum(&mut t, 40, n);
        }
        // Quotes cut at every length: an answer or an error, never a panic,
        // and a rewrite of what parses verifies.
        for qlen in 0..=sent.len() {
            let mut p = icmp6_error(router(), laddr(), PKT_TOOBIG, 0, 1300, &sent, qlen);
            match parse(&p) {
                Ok(Some(q)) => {
                    assert!(qlen >= 48 + 8);
                    rewrite_error(&mut p, &q, (&vip(), &client()), &Tuple::default(), SeqDelta(9)).unwrap();
                    assert!(verifies_v6(&p));
                }
                r => assert!(qlen < 56 && r.is_err(), "{qlen}: {r:?}"),
            }
        }
        // Random quotes after a valid ICMPv6 header.
        let mut r = Lcg(3);
        for _ in 0..5000 {
            let n = r.below(100);
            let mut quote = r.bytes(n);
            if n > 6 {
                quote[0] = 0x60;
                quote[6] = [6, 17, 0, 44, 60][r.below(5)];
            }
            let mut p = icmp6_error(router(), laddr(), 1 + r.below(4) as u8, 0, 1280 + r.below(100) as u32, &quote, n);
            if let Ok(Some(q)) = parse(&p) {
                let t = Tuple { saddr: Addr::v6(r.addr()), daddr: Addr::v6(r.addr()), sport: 1, dport: 2 };
                rewrite_error(&mut p, &q, (&vip(), &client()), &t, SeqDelta(r.next())).unwrap();
                assert!(verifies_v6(&p));
            }
        }
    }
}
