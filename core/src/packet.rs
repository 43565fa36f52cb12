// SPDX-License-Identifier: GPL-2.0
//! IPv4, TCP and UDP header parsing with validation.
//!
//! The datapath hands these functions the linear bytes of a packet's
//! headers; whatever fails here is dropped and counted by its reason, never
//! looked at further.

use super::addr::Addr;
use super::tcpopt::{self, OptError};

/// IP protocol number of ICMP.
pub const IPPROTO_ICMP: u8 = 1;
/// IP protocol number of TCP.
pub const IPPROTO_TCP: u8 = 6;
/// IP protocol number of UDP.
pub const IPPROTO_UDP: u8 = 17;

/// TCP flag bits (byte 13 of the header).
pub mod tcp_flags {
    /// FIN.
    pub const FIN: u8 = 0x01;
    /// SYN.
    pub const SYN: u8 = 0x02;
    /// RST.
    pub const RST: u8 = 0x04;
    /// PSH.
    pub const PSH: u8 = 0x08;
    /// ACK.
    pub const ACK: u8 = 0x10;
}

/// Why a packet's headers were refused. Each reason has its own counter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Malformed {
    /// Fewer bytes than an IPv4 header.
    IpTruncated,
    /// Version field is not 4.
    IpVersion,
    /// IHL below 5 or past the packet.
    IpHeaderLen,
    /// Total length below the header, or above the bytes received.
    IpTotalLen,
    /// Fewer bytes than the fixed transport header.
    L4Truncated,
    /// TCP data offset below 5 or past the segment.
    TcpDataOffset,
    /// TCP options that run past the header or have bad lengths.
    TcpOptions(OptError),
    /// UDP length field inconsistent with the IP payload.
    UdpLength,
    /// An IPv6 packet with an IPv4-mapped source or destination
    /// (`::ffff:0:0/96`), which no IPv6 packet may carry: rvs holds IPv4
    /// addresses in that form (see `addr`).
    Ip6MappedAddr,
    /// IPv6 extension headers that run past the packet (or past the bytes
    /// given), a hop-by-hop header that is not first, or a chain longer
    /// than `ipv6::MAX_EXT_HEADERS`.
    Ip6ExtHeader,
    /// A UDP checksum of 0 where IPv6 forbids it (RFC 8200 8.1), or an IPv4
    /// UDP datagram without checksum that cannot be given one to become
    /// IPv6 (NAT64 without the whole datagram at hand).
    UdpNoChecksum,
    /// An ICMP or ICMPv6 message whose checksum does not verify.
    IcmpChecksum,
    /// An ICMPv6 Packet Too Big whose MTU is below IPv6's minimum (1280).
    IcmpMtu,
    /// A fragment where the operation needs the whole packet (NAT64
    /// translation of a non-atomic fragment).
    Fragment,
    /// A transport protocol the operation does not handle (NAT64 translates
    /// TCP and UDP only).
    L4Protocol,
}

/// The fields of an IPv4 header that rvs uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ipv4 {
    /// Header length in bytes.
    pub ihl: usize,
    /// Total length from the header.
    pub tot_len: usize,
    /// Transport protocol.
    pub proto: u8,
    /// Source address (big-endian value).
    pub saddr: u32,
    /// Destination address (big-endian value).
    pub daddr: u32,
    /// More-fragments set or a non-zero fragment offset.
    pub fragment: bool,
    /// Time to live.
    pub ttl: u8,
}

/// Parses an IPv4 header. `b` starts at the network header; `pkt_len` is the
/// number of bytes the packet really has from there (skb->len).
pub fn parse_ipv4(b: &[u8], pkt_len: usize) -> Result<Ipv4, Malformed> {
    if b.len() < 20 || pkt_len < 20 {
        return Err(Malformed::IpTruncated);
    }
    if b[0] >> 4 != 4 {
        return Err(Malformed::IpVersion);
    }
    let ihl = ((b[0] & 0x0f) as usize) * 4;
    if ihl < 20 || ihl > pkt_len {
        return Err(Malformed::IpHeaderLen);
    }
    let tot_len = u16::from_be_bytes([b[2], b[3]]) as usize;
    if tot_len < ihl || tot_len > pkt_len {
        return Err(Malformed::IpTotalLen);
    }
    let frag = u16::from_be_bytes([b[6], b[7]]);
    Ok(Ipv4 {
        ihl,
        tot_len,
        proto: b[9],
        saddr: u32::from_be_bytes([b[12], b[13], b[14], b[15]]),
        daddr: u32::from_be_bytes([b[16], b[17], b[18], b[19]]),
        fragment: frag & 0x3fff != 0,
        ttl: b[8],
    })
}

/// The fields of a TCP header that rvs uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tcp {
    /// Source port.
    pub sport: u16,
    /// Destination port.
    pub dport: u16,
    /// Sequence number.
    pub seq: u32,
    /// Acknowledgement number.
    pub ack_seq: u32,
    /// Header length in bytes (data offset * 4).
    pub doff: usize,
    /// Flags byte.
    pub flags: u8,
    /// Receive window (unscaled).
    pub window: u16,
}

impl Tcp {
    /// True if every bit of `f` is set.
    pub const fn has(&self, f: u8) -> bool {
        self.flags & f == f
    }
}

/// Parses a TCP header. `b` starts at the TCP header and holds at least the
/// whole header if the segment is well formed; `l4_len` is the segment's
/// length from the IP header (tot_len - ihl). Options are validated.
pub fn parse_tcp(b: &[u8], l4_len: usize) -> Result<Tcp, Malformed> {
    if b.len() < 20 || l4_len < 20 {
        return Err(Malformed::L4Truncated);
    }
    let doff = ((b[12] >> 4) as usize) * 4;
    if doff < 20 || doff > l4_len || doff > b.len() {
        return Err(Malformed::TcpDataOffset);
    }
    tcpopt::validate(&b[20..doff]).map_err(Malformed::TcpOptions)?;
    Ok(Tcp {
        sport: u16::from_be_bytes([b[0], b[1]]),
        dport: u16::from_be_bytes([b[2], b[3]]),
        seq: u32::from_be_bytes([b[4], b[5], b[6], b[7]]),
        ack_seq: u32::from_be_bytes([b[8], b[9], b[10], b[11]]),
        doff,
        flags: b[13],
        window: u16::from_be_bytes([b[14], b[15]]),
    })
}

/// The fields of a UDP header that rvs uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Udp {
    /// Source port.
    pub sport: u16,
    /// Destination port.
    pub dport: u16,
    /// Length field.
    pub len: usize,
    /// Checksum field (0: none).
    pub check: u16,
}

/// Parses a UDP header; `l4_len` as for [`parse_tcp`].
pub fn parse_udp(b: &[u8], l4_len: usize) -> Result<Udp, Malformed> {
    if b.len() < 8 || l4_len < 8 {
        return Err(Malformed::L4Truncated);
    }
    let len = u16::from_be_bytes([b[4], b[5]]) as usize;
    // GSO packets carry the length of one segment; a length below the header
    // or above the payload is wrong either way.
    if len < 8 || len > l4_len {
        return Err(Malformed::UdpLength);
    }
    Ok(Udp {
        sport: u16::from_be_bytes([b[0], b[1]]),
        dport: u16::from_be_bytes([b[2], b[3]]),
        len,
        check: u16::from_be_bytes([b[6], b[7]]),
    })
}

/// A TCP segment without payload that rvs builds itself (SYNPROXY's
/// SYN-ACK to the client, its SYN to the real server, RSTs). Both
/// addresses are of one family, which says how it is written.
#[derive(Clone, Copy, Debug)]
pub struct TcpSpec<'a> {
    pub saddr: Addr,
    pub daddr: Addr,
    pub sport: u16,
    pub dport: u16,
    pub seq: u32,
    pub ack_seq: u32,
    pub flags: u8,
    pub window: u16,
    pub ttl: u8,
    /// Options, a multiple of 4 bytes, at most 40.
    pub opts: &'a [u8],
}

impl TcpSpec<'_> {
    /// Option bytes that will be written: a multiple of 4, at most 40 (a
    /// ragged tail is dropped, more is cut).
    pub const fn opt_len(&self) -> usize {
        let olen = self.opts.len() & !3;
        if olen > tcpopt::MAX_OPT_LEN {
            tcpopt::MAX_OPT_LEN
        } else {
            olen
        }
    }

    /// Bytes of the whole packet, IPv4 or IPv6 by the addresses' family.
    pub fn wire_len(&self) -> usize {
        (if self.saddr.is_v4() { 20 } else { 40 }) + 20 + self.opt_len()
    }
}

/// Writes the IPv4 + TCP packet `s` (IPv4 addresses) at the start of `out`
/// (at least `s.wire_len()` bytes), both checksums complete; returns its
/// length. IP ID 0 with DF, as the kernel sends SYN-ACKs.
pub fn write_tcp_v4(out: &mut [u8], s: &TcpSpec<'_>) -> usize {
    use super::csum::{checksum, fold, pseudo_v4, sum_bytes};
    let (saddr, daddr) = (s.saddr.low32(), s.daddr.low32());
    let olen = s.opt_len();
    let doff = 20 + olen;
    let tot = 20 + doff;
    let p = &mut out[..tot];
    p[..20].copy_from_slice(&[0x45, 0, (tot >> 8) as u8, tot as u8, 0, 0, 0x40, 0, s.ttl, IPPROTO_TCP, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    p[12..16].copy_from_slice(&saddr.to_be_bytes());
    p[16..20].copy_from_slice(&daddr.to_be_bytes());
    let c = checksum(&p[..20]);
    p[10..12].copy_from_slice(&c.to_be_bytes());
    let t = &mut p[20..];
    t[0..2].copy_from_slice(&s.sport.to_be_bytes());
    t[2..4].copy_from_slice(&s.dport.to_be_bytes());
    t[4..8].copy_from_slice(&s.seq.to_be_bytes());
    t[8..12].copy_from_slice(&s.ack_seq.to_be_bytes());
    t[12] = ((doff / 4) << 4) as u8;
    t[13] = s.flags;
    t[14..16].copy_from_slice(&s.window.to_be_bytes());
    t[16..20].fill(0);
    t[20..doff].copy_from_slice(&s.opts[..olen]);
    let c = !fold(sum_bytes(t, pseudo_v4(saddr, daddr, IPPROTO_TCP, doff as u16)));
    t[16..18].copy_from_slice(&c.to_be_bytes());
    tot
}

#[cfg(test)]
pub(crate) mod testpkt {
    //! Builders of well-formed packets for the tests of this crate.
    use crate::csum::{checksum, fold, pseudo_v4, sum_bytes};

    /// An IPv4 + TCP packet with valid checksums.
    pub fn tcp_v4(saddr: [u8; 4], daddr: [u8; 4], sport: u16, dport: u16, flags: u8, opts: &[u8], payload: &[u8]) -> Vec<u8> {
        assert!(opts.len().is_multiple_of(4));
        let doff = 20 + opts.len();
        let tot = 20 + doff + payload.len();
        let mut p = vec![0x45, 0, (tot >> 8) as u8, tot as u8, 0, 1, 0x40, 0, 64, 6, 0, 0];
        p.extend_from_slice(&saddr);
        p.extend_from_slice(&daddr);
        let c = checksum(&p[..20]);
        p[10..12].copy_from_slice(&c.to_be_bytes());
        p.extend_from_slice(&sport.to_be_bytes());
        p.extend_from_slice(&dport.to_be_bytes());
        p.extend_from_slice(&1000u32.to_be_bytes());
        p.extend_from_slice(&0u32.to_be_bytes());
        p.extend_from_slice(&[((doff / 4) << 4) as u8, flags, 0xff, 0xff, 0, 0, 0, 0]);
        p.extend_from_slice(opts);
        p.extend_from_slice(payload);
        let ps = pseudo_v4(u32::from_be_bytes(saddr), u32::from_be_bytes(daddr), 6, (doff + payload.len()) as u16);
        let c = !fold(sum_bytes(&p[20..], ps));
        p[36..38].copy_from_slice(&c.to_be_bytes());
        p
    }

    /// True if the IPv4 header and the TCP/UDP checksum of `p` verify.
    pub fn verifies(p: &[u8]) -> bool {
        let ihl = ((p[0] & 15) * 4) as usize;
        if fold(sum_bytes(&p[..ihl], 0)) != 0xffff {
            return false;
        }
        let saddr = u32::from_be_bytes([p[12], p[13], p[14], p[15]]);
        let daddr = u32::from_be_bytes([p[16], p[17], p[18], p[19]]);
        let ps = pseudo_v4(saddr, daddr, p[9], (p.len() - ihl) as u16);
        fold(sum_bytes(&p[ihl..], ps)) == 0xffff
    }
}

#[cfg(test)]
mod tests {
    use super::testpkt::*;
    use super::*;

    #[test]
    fn parses_good_syn() {
        let p = tcp_v4([192, 0, 2, 2], [192, 0, 2, 100], 40000, 80, tcp_flags::SYN, &[2, 4, 5, 0xb4], b"");
        assert!(verifies(&p));
        let ip = parse_ipv4(&p, p.len()).unwrap();
        assert_eq!(ip.proto, IPPROTO_TCP);
        assert_eq!(ip.daddr, u32::from_be_bytes([192, 0, 2, 100]));
        assert!(!ip.fragment);
        let t = parse_tcp(&p[ip.ihl..], ip.tot_len - ip.ihl).unwrap();
        assert_eq!((t.sport, t.dport, t.doff), (40000, 80, 24));
        assert!(t.has(tcp_flags::SYN) && !t.has(tcp_flags::ACK));
    }

    #[test]
    fn refuses_malformed_ip() {
        let p = tcp_v4([192, 0, 2, 2], [192, 0, 2, 100], 1, 80, tcp_flags::SYN, &[], b"x");
        assert_eq!(parse_ipv4(&p[..19], 19), Err(Malformed::IpTruncated));
        let mut q = p.clone();
        q[0] = 0x65;
        assert_eq!(parse_ipv4(&q, q.len()), Err(Malformed::IpVersion));
        q[0] = 0x44;
        assert_eq!(parse_ipv4(&q, q.len()), Err(Malformed::IpHeaderLen));
        q[0] = 0x4f; // 60 bytes of header in a 41-byte packet
        assert_eq!(parse_ipv4(&q, q.len()), Err(Malformed::IpHeaderLen));
        let mut q = p.clone();
        q[3] = 200;
        assert_eq!(parse_ipv4(&q, q.len()), Err(Malformed::IpTotalLen));
        let mut q = p.clone();
        q[6] = 0x20; // MF
        assert!(parse_ipv4(&q, q.len()).unwrap().fragment);
        let mut q = p;
        q[6] = 0x40; // DF only: not a fragment
        assert!(!parse_ipv4(&q, q.len()).unwrap().fragment);
    }

    #[test]
    fn refuses_malformed_tcp() {
        let p = tcp_v4([192, 0, 2, 2], [192, 0, 2, 100], 1, 80, tcp_flags::ACK, &[1, 1, 8, 10, 0, 0, 0, 0, 0, 0, 0, 0], b"");
        let l4 = &p[20..];
        assert_eq!(parse_tcp(&l4[..19], 19), Err(Malformed::L4Truncated));
        let mut q = l4.to_vec();
        q[12] = 0x40; // doff 4
        assert_eq!(parse_tcp(&q, q.len()), Err(Malformed::TcpDataOffset));
        q[12] = 0xf0; // doff 15 past a 32-byte segment
        assert_eq!(parse_tcp(&q, q.len()), Err(Malformed::TcpDataOffset));
        let mut q = l4.to_vec();
        q[23] = 30; // timestamp length runs past the header
        assert_eq!(parse_tcp(&q, q.len()), Err(Malformed::TcpOptions(OptError::BadLength)));
        assert!(parse_tcp(l4, l4.len()).is_ok());
    }

    #[test]
    fn udp_lengths() {
        let u = [0x13, 0x88, 0x00, 0x35, 0x00, 0x0a, 0, 0, 1, 2];
        assert_eq!(parse_udp(&u, 10).unwrap().len, 10);
        assert_eq!(parse_udp(&u, 9), Err(Malformed::UdpLength));
        assert_eq!(parse_udp(&u[..7], 7), Err(Malformed::L4Truncated));
        let mut v = u;
        v[5] = 7;
        assert_eq!(parse_udp(&v, 10), Err(Malformed::UdpLength));
    }

    #[test]
    fn built_segments_parse_and_verify() {
        let opts = [2, 4, 5, 0xa0, 1, 3, 3, 7];
        let s = TcpSpec { saddr: Addr::v4(0xc000_0264), daddr: Addr::v4(0xc000_0202), sport: 80, dport: 40000, seq: 7, ack_seq: 9, flags: tcp_flags::SYN | tcp_flags::ACK, window: 65535, ttl: 63, opts: &opts };
        let mut b = [0u8; 80];
        let n = write_tcp_v4(&mut b, &s);
        assert_eq!(n, 48);
        assert_eq!(n, s.wire_len());
        assert!(verifies(&b[..n]));
        let ip = parse_ipv4(&b[..n], n).unwrap();
        assert_eq!((ip.saddr, ip.daddr, ip.ttl, ip.proto, ip.fragment), (s.saddr.low32(), s.daddr.low32(), 63, IPPROTO_TCP, false));
        let t = parse_tcp(&b[20..n], n - 20).unwrap();
        assert_eq!((t.sport, t.dport, t.seq, t.ack_seq, t.flags, t.doff), (80, 40000, 7, 9, s.flags, 28));
        let bare = TcpSpec { opts: &[], flags: tcp_flags::RST, ..s };
        let n = write_tcp_v4(&mut b, &bare);
        assert_eq!(n, 40);
        assert!(verifies(&b[..n]));
    }
}
