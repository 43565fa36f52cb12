// SPDX-License-Identifier: GPL-2.0
//! ICMP errors about FULLNAT connections, translated both ways: the outer
//! addresses, the quoted (inner) IP header and ports, the quoted TCP
//! sequence number, and every checksum involved.

use super::csum;
use super::addr::Addr;
use super::nat::Tuple;
use super::packet::{self, Malformed, IPPROTO_TCP, IPPROTO_UDP};
use super::seq::SeqDelta;

/// Destination unreachable (code 4: fragmentation needed, carries the MTU).
pub const DEST_UNREACH: u8 = 3;
/// Destination unreachable's code for "fragmentation needed and DF set".
pub const FRAG_NEEDED: u8 = 4;
/// The smallest next-hop MTU a frag-needed may carry: the kernel's
/// default `net.ipv4.route.min_pmtu` (512 + 20 + 20). The kernel raises a
/// smaller one to this and stops setting DF on the path; passed on, one
/// forged error would do that to every connection between the real server
/// and the LADDR it names.
pub const MIN_PMTU: u16 = 552;
/// Source quench.
pub const SOURCE_QUENCH: u8 = 4;
/// Time exceeded.
pub const TIME_EXCEEDED: u8 = 11;
/// Parameter problem.
pub const PARAMETER_PROB: u8 = 12;

/// An ICMP error's quoted packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Quoted {
    /// Offset of the quoted IP header in the packet.
    pub ip_off: usize,
    /// Its header length.
    pub ihl: usize,
    /// TCP or UDP.
    pub proto: u8,
    /// The quoted packet's 4-tuple, as it was sent.
    pub tuple: Tuple,
}

/// Parses an ICMP error, checksum first (`pkt`: the whole packet from the outer IP header
/// to its total length, `outer_ihl` its header length). `Ok(None)`: not an
/// error about a TCP or UDP packet; `Err`: an error whose checksum does not
/// verify (`IcmpChecksum`: the translation would give it a fresh one), or
/// one whose quote is malformed.
pub fn parse_error(pkt: &[u8], outer_ihl: usize) -> Result<Option<Quoted>, Malformed> {
    let icmp = pkt.get(outer_ihl..).ok_or(Malformed::L4Truncated)?;
    if icmp.len() < 8 {
        return Err(Malformed::L4Truncated);
    }
    if !matches!(icmp[0], DEST_UNREACH | SOURCE_QUENCH | TIME_EXCEEDED | PARAMETER_PROB) {
        return Ok(None);
    }
    if csum::fold(csum::sum_bytes(icmp, 0)) != 0xffff {
        return Err(Malformed::IcmpChecksum);
    }
    let ip_off = outer_ihl + 8;
    let q = &pkt[ip_off..];
    // The quote's total length may exceed what was quoted: validate the
    // header against its own claim only as far as the quote goes.
    let ip = packet::parse_ipv4(q, usize::MAX)?;
    if ip.proto != IPPROTO_TCP && ip.proto != IPPROTO_UDP {
        return Ok(None);
    }
    // RFC 792 quotes the IP header and at least 8 bytes: the ports and,
    // for TCP, the sequence number.
    let l4 = q.get(ip.ihl..ip.ihl + 8).ok_or(Malformed::L4Truncated)?;
    Ok(Some(Quoted {
        ip_off,
        ihl: ip.ihl,
        proto: ip.proto,
        tuple: Tuple {
            saddr: Addr::v4(ip.saddr),
            daddr: Addr::v4(ip.daddr),
            sport: u16::from_be_bytes([l4[0], l4[1]]),
            dport: u16::from_be_bytes([l4[2], l4[3]]),
        },
    }))
}

/// Refuses a frag-needed (in a message that [`parse_error`] accepted) whose
/// next-hop MTU is under [`MIN_PMTU`] (`IcmpMtu`), 0 included: passed on
/// to a host that has no other path MTU source, it would only lower its
/// path MTU to the kernel's floor for ten minutes, which no real path
/// needs and a forged error wants.
pub fn check_frag_needed(pkt: &[u8], outer_ihl: usize) -> Result<(), Malformed> {
    match pkt.get(outer_ihl..outer_ihl + 8) {
        Some(h) if h[0] == DEST_UNREACH && h[1] == FRAG_NEEDED && rd16(h, 6) < MIN_PMTU => Err(Malformed::IcmpMtu),
        Some(_) => Ok(()),
        None => Err(Malformed::L4Truncated),
    }
}

fn rd16(b: &[u8], o: usize) -> u16 {
    u16::from_be_bytes([b[o], b[o + 1]])
}
fn rd32(b: &[u8], o: usize) -> u32 {
    u32::from_be_bytes([b[o], b[o + 1], b[o + 2], b[o + 3]])
}

/// Rewrites an ICMP error: outer source/destination to `outer`, the quoted
/// packet's tuple to `inner`, and (TCP) its sequence number forward by
/// `seq`. `pkt` holds the whole packet. The ICMP checksum is recomputed;
/// the quoted checksums are updated where they were quoted. `outer` holds
/// big-endian values, `inner` IPv4 addresses.
pub fn rewrite_error(pkt: &mut [u8], outer_ihl: usize, q: &Quoted, outer: (u32, u32), inner: &Tuple, seq: SeqDelta) {
    let (in_s, in_d) = (inner.saddr.low32(), inner.daddr.low32());
    // Outer IP header.
    let mut c = rd16(pkt, 10);
    c = csum::replace32(c, rd32(pkt, 12), outer.0);
    c = csum::replace32(c, rd32(pkt, 16), outer.1);
    pkt[10..12].copy_from_slice(&c.to_be_bytes());
    pkt[12..16].copy_from_slice(&outer.0.to_be_bytes());
    pkt[16..20].copy_from_slice(&outer.1.to_be_bytes());

    // Quoted IP header.
    let ip = q.ip_off;
    let mut c = rd16(pkt, ip + 10);
    c = csum::replace32(c, rd32(pkt, ip + 12), in_s);
    c = csum::replace32(c, rd32(pkt, ip + 16), in_d);
    pkt[ip + 10..ip + 12].copy_from_slice(&c.to_be_bytes());

    // Quoted transport checksum, if the quote reaches it.
    let l4 = ip + q.ihl;
    let check_at = l4 + if q.proto == IPPROTO_TCP { 16 } else { 6 };
    if check_at + 2 <= pkt.len() {
        let mut c = rd16(pkt, check_at);
        if !(q.proto == IPPROTO_UDP && c == 0) {
            c = csum::replace32(c, rd32(pkt, ip + 12), in_s);
            c = csum::replace32(c, rd32(pkt, ip + 16), in_d);
            c = csum::replace16(c, rd16(pkt, l4), inner.sport);
            c = csum::replace16(c, rd16(pkt, l4 + 2), inner.dport);
            if q.proto == IPPROTO_TCP && !seq.is_zero() {
                let s = rd32(pkt, l4 + 4);
                c = csum::replace32(c, s, seq.forward(s));
            }
            pkt[check_at..check_at + 2].copy_from_slice(&c.to_be_bytes());
        }
    }
    pkt[ip + 12..ip + 16].copy_from_slice(&in_s.to_be_bytes());
    pkt[ip + 16..ip + 20].copy_from_slice(&in_d.to_be_bytes());
    pkt[l4..l4 + 2].copy_from_slice(&inner.sport.to_be_bytes());
    pkt[l4 + 2..l4 + 4].copy_from_slice(&inner.dport.to_be_bytes());
    if q.proto == IPPROTO_TCP && !seq.is_zero() {
        let s = rd32(pkt, l4 + 4);
        pkt[l4 + 4..l4 + 8].copy_from_slice(&seq.forward(s).to_be_bytes());
    }

    // ICMP checksum over the whole message.
    pkt[outer_ihl + 2] = 0;
    pkt[outer_ihl + 3] = 0;
    let c = csum::checksum(&pkt[outer_ihl..]);
    pkt[outer_ihl + 2..outer_ihl + 4].copy_from_slice(&c.to_be_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::packet::testpkt::{tcp_v4, verifies};

    fn icmp_about(quoted: &[u8], qlen: usize) -> Vec<u8> {
        let body_len = 8 + qlen;
        let tot = 20 + body_len;
        let mut p = vec![0x45, 0, (tot >> 8) as u8, tot as u8, 0, 0, 0, 0, 64, 1, 0, 0, 198, 51, 100, 1, 198, 51, 100, 201];
        let c = csum::checksum(&p);
        p[10..12].copy_from_slice(&c.to_be_bytes());
        p.extend_from_slice(&[DEST_UNREACH, 4, 0, 0, 0, 0, 0x05, 0x00]); // frag needed, MTU 1280
        p.extend_from_slice(&quoted[..qlen]);
        let c = csum::checksum(&p[20..]);
        p[22..24].copy_from_slice(&c.to_be_bytes());
        p
    }

    #[test]
    fn frag_needed_translated_to_client() {
        // What rvs sent toward the RS: LADDR:5000 -> RS:8080, seq in RS space.
        let sent = tcp_v4([198, 51, 100, 201], [198, 51, 100, 11], 5000, 8080, 0x10, &[], &[0u8; 100]);
        for qlen in [28, 48, sent.len()] {
            let mut p = icmp_about(&sent, qlen);
            let q = parse_error(&p, 20).unwrap().unwrap();
            assert_eq!(q.proto, IPPROTO_TCP);
            assert_eq!(q.tuple, Tuple::v4(0xc633_64c9, 0xc633_640b, 5000, 8080));
            // Back to what the client sent: client:40000 -> VIP:80, seq - delta.
            let inner = Tuple::v4(0xc000_0202, 0xc000_0264, 40000, 80);
            rewrite_error(&mut p, 20, &q, (0xc000_0264, 0xc000_0202), &inner, SeqDelta(0u32.wrapping_sub(0x100)));
            assert_eq!(csum::fold(csum::sum_bytes(&p[..20], 0)), 0xffff, "outer IP checksum");
            assert_eq!(csum::fold(csum::sum_bytes(&p[20..], 0)), 0xffff, "ICMP checksum");
            assert_eq!(csum::fold(csum::sum_bytes(&p[28..48], 0)), 0xffff, "quoted IP checksum");
            assert_eq!(&p[12..20], &[192, 0, 2, 100, 192, 0, 2, 2]);
            assert_eq!(&p[40..48], &[192, 0, 2, 2, 192, 0, 2, 100]);
            assert_eq!(rd32(&p, 52), 1000 - 0x100, "quoted seq back in the client's space");
            if qlen == sent.len() {
                // The whole segment was quoted: its TCP checksum must verify.
                assert!(verifies(&p[28..]));
            }
        }
    }

    /// A damaged error is refused, not translated with a fresh checksum
    /// (every byte of the message is covered), and so is a frag-needed
    /// under the kernel's minimum path MTU.
    #[test]
    fn bad_checksum_and_tiny_mtu_refused() {
        let sent = tcp_v4([198, 51, 100, 201], [198, 51, 100, 11], 5000, 8080, 0x10, &[], &[0u8; 20]);
        let good = icmp_about(&sent, sent.len());
        assert!(parse_error(&good, 20).unwrap().is_some());
        // Every byte but the type (another type is another message).
        for i in 21..good.len() {
            let mut p = good.clone();
            p[i] ^= 0x40;
            assert_eq!(parse_error(&p, 20), Err(Malformed::IcmpChecksum), "byte {i} changed");
        }
        for (mtu, ok) in [(0u16, false), (68, false), (551, false), (552, true), (1280, true)] {
            let mut p = good.clone();
            p[26..28].copy_from_slice(&mtu.to_be_bytes());
            p[22..24].copy_from_slice(&[0, 0]);
            let c = csum::checksum(&p[20..]);
            p[22..24].copy_from_slice(&c.to_be_bytes());
            assert!(parse_error(&p, 20).unwrap().is_some());
            let want = if ok { Ok(()) } else { Err(Malformed::IcmpMtu) };
            assert_eq!(check_frag_needed(&p, 20), want, "MTU {mtu}");
        }
        // Another unreachable code carries no MTU: not checked as one.
        let mut p = good.clone();
        p[21] = 3; // port unreachable
        p[26..28].copy_from_slice(&[0, 0]);
        p[22..24].copy_from_slice(&[0, 0]);
        let c = csum::checksum(&p[20..]);
        p[22..24].copy_from_slice(&c.to_be_bytes());
        assert!(parse_error(&p, 20).unwrap().is_some());
        assert_eq!(check_frag_needed(&p, 20), Ok(()));
    }

    #[test]
    fn non_errors_and_short_quotes() {
        let sent = tcp_v4([198, 51, 100, 201], [198, 51, 100, 11], 5000, 8080, 0x10, &[], b"");
        let mut p = icmp_about(&sent, 28);
        p[20] = 8; // echo request
        assert_eq!(parse_error(&p, 20), Ok(None));
        let p = icmp_about(&sent, 24); // only 4 bytes of TCP quoted
        assert_eq!(parse_error(&p, 20), Err(Malformed::L4Truncated));
        let p = icmp_about(&sent, 10);
        assert!(parse_error(&p, 20).is_err());
        assert!(parse_error(&p[..25], 20).is_err());
    }
}
