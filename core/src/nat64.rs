// SPDX-License-Identifier: GPL-2.0
//! Stateless IP/ICMP header translation for NAT64 (RFC 7915): an IPv6
//! client reaches an IPv6 VIP, and the connection goes on to an IPv4 real
//! server from an IPv4 LADDR; the replies come back the same way.
//!
//! The connection table says which addresses and ports each side sees;
//! what is here is the translation of one packet once they are known:
//! - TCP/UDP packets both ways ([`v6_to_v4`], [`v4_to_v6`]): a new network
//!   header is written into a slice the caller chooses, and the transport
//!   header is fixed in place (ports, and the checksum for the pseudo
//!   header of the other family). The transport bytes never move, which
//!   suits an skb: the network header shrinks or grows in front of them.
//! - ICMP errors about a translated connection both ways
//!   ([`icmp6_to_icmp4`], [`icmp4_to_icmp6`]): type and code through the
//!   tables of RFC 7915 4.2 and 5.2, MTU and pointer adjusted, the quoted
//!   packet's header translated too (it shrinks or grows by 20 bytes in
//!   the middle of the message), so these build the whole message anew in
//!   a caller buffer.
//!
//! The IPv6 header is 20 bytes larger than IPv4's (without options); an MSS
//! or an MTU that crosses from one side to the other must say so
//! ([`HDR_GROWTH`], [`mss_v4_to_v6`], [`mtu_4to6`], [`mtu_6to4`]).

use super::csum::{self, FieldState};
use super::icmp::{self, Quoted};
use super::icmp6::{self, Quoted6};
use super::ipv6::{self, check_off, get16, Ipv6, IPPROTO_ICMPV6, IPV6_HDR_LEN, IPV6_MIN_MTU};
use super::nat::Tuple;
use super::packet::{Ipv4, Malformed, IPPROTO_ICMP, IPPROTO_TCP, IPPROTO_UDP};
use super::seq::SeqDelta;

/// Length of an IPv4 header without options, which is what translation
/// writes.
pub const IPV4_HDR_LEN: usize = 20;
/// How much larger the IPv6 header is than the IPv4 header: what a packet
/// gains from IPv4 to IPv6 (an IPv6 packet with extension headers loses
/// more: `l4_off - 20`).
pub const HDR_GROWTH: usize = IPV6_HDR_LEN - IPV4_HDR_LEN;
/// Length of an ICMP or ICMPv6 error header before its quote.
pub const ICMP_ERR_HDR_LEN: usize = 8;
/// The longest ICMPv4 error [`icmp6_to_icmp4`] builds (RFC 1812 4.3.2.3).
pub const ICMP4_MAX_LEN: usize = 576;
/// IPv4 flag "don't fragment", in the 16-bit flags/offset word.
const IP_DF: u16 = 0x4000;

/// An MSS that crosses from the IPv4 side to an IPv6 peer over a path of
/// the same MTU: 20 bytes less, since each of the peer's segments will
/// carry an IPv6 header (an MSS figured for IPv4, such as SYNPROXY's
/// `synproxy_init_mss` or a real server's, announced to an IPv6 client).
/// An MSS from the IPv6 side is valid for IPv4 as it is (its segments
/// shrink by 20 bytes on translation).
pub const fn mss_v4_to_v6(mss_v4: u16) -> u16 {
    mss_v4.saturating_sub(HDR_GROWTH as u16)
}

/// RFC 1191's plateau table (section 7), for an IPv4 router that reports
/// MTU 0.
const PLATEAUS: [u16; 11] = [65535, 32000, 17914, 8166, 4352, 2002, 1492, 1006, 508, 296, 68];

/// The IPv6 MTU to report to the IPv6 side for an IPv4 "fragmentation
/// needed" reporting `mtu4`, about a packet whose IPv4 total length was
/// `quoted_tot_len` (RFC 7915 4.2): `mtu4 + 20`, never below 1280 (an IPv6
/// node must not be told less; see `icmp6::valid_ptb_mtu`). An `mtu4` of 0
/// (a router that predates RFC 1191) is replaced by the greatest plateau
/// below `quoted_tot_len` first. The translator's own next-hop MTUs, which
/// RFC 7915 also takes the minimum with, are the caller's.
pub const fn mtu_4to6(mtu4: u16, quoted_tot_len: u16) -> u32 {
    let mut m = mtu4;
    if m == 0 {
        let mut i = 0;
        m = 68;
        while i < PLATEAUS.len() {
            if PLATEAUS[i] < quoted_tot_len {
                m = PLATEAUS[i];
                break;
            }
            i += 1;
        }
    }
    let v6 = m as u32 + HDR_GROWTH as u32;
    if v6 < IPV6_MIN_MTU {
        IPV6_MIN_MTU
    } else {
        v6
    }
}

/// The IPv4 MTU to report to the IPv4 side for an IPv6 Packet Too Big
/// reporting `mtu6` (RFC 7915 5.2): `mtu6 - 20`, at most 65535; `None` for
/// an `mtu6` below 1280, which is invalid (see `icmp6::valid_ptb_mtu`).
pub const fn mtu_6to4(mtu6: u32) -> Option<u16> {
    if mtu6 < IPV6_MIN_MTU {
        return None;
    }
    let m = mtu6 - HDR_GROWTH as u32;
    Some(if m > 0xffff { 0xffff } else { m as u16 })
}

/// The fields of the network header that the packet does not carry over.
struct Hdr4 {
    tos: u8,
    tot_len: u16,
    id: u16,
    flags: u16,
    ttl: u8,
    proto: u8,
    saddr: u32,
    daddr: u32,
}

impl Hdr4 {
    /// Writes the 20-byte header, checksum included, at the start of `h`
    /// (which holds at least 20 bytes).
    fn write(&self, h: &mut [u8]) {
        let (t, i, f) = (self.tot_len.to_be_bytes(), self.id.to_be_bytes(), self.flags.to_be_bytes());
        h[..12].copy_from_slice(&[0x45, self.tos, t[0], t[1], i[0], i[1], f[0], f[1], self.ttl, self.proto, 0, 0]);
        h[12..16].copy_from_slice(&self.saddr.to_be_bytes());
        h[16..20].copy_from_slice(&self.daddr.to_be_bytes());
        let c = csum::checksum(&h[..20]);
        h[10..12].copy_from_slice(&c.to_be_bytes());
    }
}

struct Hdr6<'a> {
    traffic_class: u8,
    payload_len: u16,
    next_header: u8,
    hop_limit: u8,
    saddr: &'a [u8; 16],
    daddr: &'a [u8; 16],
}

impl Hdr6<'_> {
    /// Writes the 40-byte header, flow label 0, at the start of `h` (which
    /// holds at least 40 bytes).
    fn write(&self, h: &mut [u8]) {
        let l = self.payload_len.to_be_bytes();
        let tc = self.traffic_class;
        h[..8].copy_from_slice(&[0x60 | (tc >> 4), tc << 4, 0, 0, l[0], l[1], self.next_header, self.hop_limit]);
        h[8..24].copy_from_slice(self.saddr);
        h[24..40].copy_from_slice(self.daddr);
    }
}

/// Bytes of the transport header that translation reads and writes.
const fn l4_need(proto: u8) -> Option<usize> {
    match proto {
        IPPROTO_TCP => Some(20),
        IPPROTO_UDP => Some(8),
        _ => None,
    }
}

/// Translates an IPv6 TCP/UDP packet to IPv4 (RFC 7915 5.1): writes the
/// IPv4 header into `hdr` and fixes the transport header `l4` in place
/// for `to`'s addresses and ports. Returns the header's length (20).
///
/// `ip6` is what `ipv6::parse_ipv6` found; `l4` holds at least the packet's
/// TCP (20) or UDP (8) header from `ip6.l4_off` on (the rest of the
/// segment may be absent: the checksum is updated incrementally); `hdr`
/// holds at least 20 bytes and may be the 20 bytes right before `l4` in
/// the same buffer, since everything read from the old header comes from
/// `ip6`:
///
/// ```text
/// let (net, l4) = pkt.split_at_mut(ip6.l4_off);
/// v6_to_v4(&ip6, &mut net[ip6.l4_off - 20..], l4, &to, id, state)?;
/// // the IPv4 packet starts at ip6.l4_off - 20: pull that many bytes
/// ```
///
/// The IPv4 header: version 4, IHL 5, TOS = traffic class, total length =
/// 20 + the transport length, identification `id`, DF set (RFC 7915 would
/// clear it for packets up to 1260 bytes; rvs keeps path MTU discovery end
/// to end, and needs an IPv4 path of at least 1260), TTL = hop limit (rvs
/// does not decrement, as for IPv4), protocol, checksum. Extension headers
/// are dropped.
///
/// The transport checksum: `Full` fields get the pseudo-header change (IPv6
/// out, IPv4 in) and the port change; `Partial` fields
/// (`CHECKSUM_PARTIAL`) get the pseudo-header change only, as in
/// `nat::rewrite_v4`; for them the caller must also keep `csum_start`
/// pointing at the transport header (it does not move here) and change a
/// GSO type from TCPV6 to TCPV4. A UDP result of 0 is written as 0xffff.
///
/// Refused, with nothing written: fragments ([`Malformed::Fragment`]; an
/// atomic fragment is translated), a pending routing header
/// ([`Malformed::Ip6ExtHeader`], RFC 7915 5.1), protocols other than TCP
/// and UDP ([`Malformed::L4Protocol`]), a UDP checksum of 0
/// ([`Malformed::UdpNoChecksum`]), an IPv4 total length past 65535
/// ([`Malformed::IpTotalLen`]), and slices too short.
pub fn v6_to_v4(ip6: &Ipv6, hdr: &mut [u8], l4: &mut [u8], to: &Tuple, id: u16, state: FieldState) -> Result<usize, Malformed> {
    if ip6.is_fragment() {
        return Err(Malformed::Fragment);
    }
    if ip6.routing_pending {
        return Err(Malformed::Ip6ExtHeader);
    }
    let proto = ip6.proto;
    let need = l4_need(proto).ok_or(Malformed::L4Protocol)?;
    let l4_len = ip6.l4_len();
    let tot_len = u16::try_from(l4_len.saturating_add(IPV4_HDR_LEN)).map_err(|_| Malformed::IpTotalLen)?;
    let l4 = l4.get_mut(..need).ok_or(Malformed::L4Truncated)?;
    let hdr = hdr.get_mut(..IPV4_HDR_LEN).ok_or(Malformed::IpTruncated)?;
    let co = check_off(proto).unwrap_or(6);
    let mut c = get16(l4, co).unwrap_or(0);
    if proto == IPPROTO_UDP && c == 0 && state == FieldState::Full {
        return Err(Malformed::UdpNoChecksum);
    }
    let old = csum::pseudo_v6(&ip6.saddr, &ip6.daddr, proto, l4_len as u32);
    let new = csum::pseudo_v4(to.saddr.low32(), to.daddr.low32(), proto, l4_len as u16);
    c = csum::update_sum(state, c, old, new, true);
    c = csum::update16(state, c, get16(l4, 0).unwrap_or(0), to.sport, false);
    c = csum::update16(state, c, get16(l4, 2).unwrap_or(0), to.dport, false);
    if proto == IPPROTO_UDP && c == 0 && state == FieldState::Full {
        c = 0xffff; // a computed 0 is sent as all ones (RFC 768)
    }
    l4[0..2].copy_from_slice(&to.sport.to_be_bytes());
    l4[2..4].copy_from_slice(&to.dport.to_be_bytes());
    l4[co..co + 2].copy_from_slice(&c.to_be_bytes());
    Hdr4 { tos: ip6.traffic_class, tot_len, id, flags: IP_DF, ttl: ip6.hop_limit, proto, saddr: to.saddr.low32(), daddr: to.daddr.low32() }.write(hdr);
    Ok(IPV4_HDR_LEN)
}

/// Translates an IPv4 TCP/UDP packet to IPv6 (RFC 7915 4.1): writes the
/// IPv6 header into `hdr` and fixes the transport header `l4` in place
/// for `to`'s addresses and ports. Returns the header's length (40).
///
/// `ip4` is what `packet::parse_ipv4` found, `tos` the header's second
/// byte; `l4` holds at least the TCP (20) or UDP (8) header from `ip4.ihl`
/// on; `hdr` holds at least 40 bytes and may be the 40 bytes right before
/// `l4` in the same buffer once the caller has made them so (push
/// `40 - ihl` bytes, 20 without options; the old header is not read
/// again):
///
/// ```text
/// // after skb_push(40 - ihl): the transport header at 40 of buf
/// let (net, l4) = buf.split_at_mut(40);
/// v4_to_v6(&ip4, tos, net, l4, &to, state)?;
/// ```
///
/// The IPv6 header: traffic class = TOS, flow label 0, payload length =
/// the transport length, next header, hop limit = TTL; IPv4 options are
/// dropped. The checksum as in [`v6_to_v4`], the other way.
///
/// A UDP datagram without checksum (0) gets one, as IPv6 requires (RFC
/// 7915 4.5), if `l4` holds all of it (`ip4.tot_len - ip4.ihl` bytes) and
/// `state` is `Full`; otherwise it is refused with
/// [`Malformed::UdpNoChecksum`]. Also refused, with nothing written:
/// fragments ([`Malformed::Fragment`]), protocols other than TCP and UDP
/// ([`Malformed::L4Protocol`]), and slices too short.
pub fn v4_to_v6(ip4: &Ipv4, tos: u8, hdr: &mut [u8], l4: &mut [u8], to: &Tuple, state: FieldState) -> Result<usize, Malformed> {
    if ip4.fragment {
        return Err(Malformed::Fragment);
    }
    let proto = ip4.proto;
    let need = l4_need(proto).ok_or(Malformed::L4Protocol)?;
    let l4_len = ip4.tot_len.checked_sub(ip4.ihl).filter(|&l| l <= 0xffff).ok_or(Malformed::IpTotalLen)?;
    if l4.len() < need || l4_len < need {
        return Err(Malformed::L4Truncated);
    }
    let hdr = hdr.get_mut(..IPV6_HDR_LEN).ok_or(Malformed::IpTruncated)?;
    let co = check_off(proto).unwrap_or(6);
    let mut c = get16(l4, co).unwrap_or(0);
    let new = csum::pseudo_v6(to.saddr.octets(), to.daddr.octets(), proto, l4_len as u32);
    if proto == IPPROTO_UDP && c == 0 && state == FieldState::Full {
        // No checksum to update: compute one over the whole datagram.
        let dgram = l4.get_mut(..l4_len).ok_or(Malformed::UdpNoChecksum)?;
        dgram[0..2].copy_from_slice(&to.sport.to_be_bytes());
        dgram[2..4].copy_from_slice(&to.dport.to_be_bytes());
        c = !csum::fold(csum::sum_bytes(dgram, new));
    } else {
        let old = csum::pseudo_v4(ip4.saddr, ip4.daddr, proto, l4_len as u16);
        c = csum::update_sum(state, c, old, new, true);
        c = csum::update16(state, c, get16(l4, 0).unwrap_or(0), to.sport, false);
        c = csum::update16(state, c, get16(l4, 2).unwrap_or(0), to.dport, false);
    }
    if proto == IPPROTO_UDP && c == 0 && state == FieldState::Full {
        c = 0xffff; // 0 means "no checksum", which IPv6 forbids
    }
    l4[0..2].copy_from_slice(&to.sport.to_be_bytes());
    l4[2..4].copy_from_slice(&to.dport.to_be_bytes());
    l4[co..co + 2].copy_from_slice(&c.to_be_bytes());
    Hdr6 { traffic_class: tos, payload_len: l4_len as u16, next_header: proto, hop_limit: ip4.ttl, saddr: to.saddr.octets(), daddr: to.daddr.octets() }.write(hdr);
    Ok(IPV6_HDR_LEN)
}

/// What goes in the 4 bytes after the checksum of a translated ICMP error.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rest {
    /// Nothing (zero).
    Unused,
    /// The MTU, adjusted ([`mtu_4to6`], [`mtu_6to4`]).
    Mtu,
    /// The parameter-problem pointer, through [`map_pointer_4to6`] or
    /// [`map_pointer_6to4`] (a pointer the table lacks drops the message).
    Pointer,
    /// This pointer value (IPv4 protocol unreachable becomes a parameter
    /// problem pointing at the IPv6 next header field, 6).
    FixedPointer(u32),
}

/// RFC 7915 4.2: the ICMPv6 type, code and rest-of-header an ICMPv4 error
/// becomes, or `None`: dropped. Destination unreachable (3): net/host (0,
/// 1), source route failed (5) and codes 6, 7, 8, 11, 12 become no route
/// (1/0); protocol unreachable (2) a parameter problem (4/1) at the next
/// header; port unreachable (3) port unreachable (1/4); fragmentation
/// needed (4) Packet Too Big (2/0); administratively prohibited (9, 10,
/// 13) and precedence cutoff (15) administratively prohibited (1/1); host
/// precedence violation (14) and other codes are dropped. Time exceeded
/// (11) keeps its code (3/code). Parameter problem (12) codes 0 and 2
/// become 4/0 with the pointer mapped; code 1 and others are dropped.
/// Source quench, redirect and everything else are dropped.
pub const fn map_type_4to6(icmp_type: u8, code: u8) -> Option<(u8, u8, Rest)> {
    match (icmp_type, code) {
        (icmp::DEST_UNREACH, 0 | 1 | 5 | 6 | 7 | 8 | 11 | 12) => Some((icmp6::DEST_UNREACH, 0, Rest::Unused)),
        (icmp::DEST_UNREACH, 2) => Some((icmp6::PARAMPROB, 1, Rest::FixedPointer(6))),
        (icmp::DEST_UNREACH, 3) => Some((icmp6::DEST_UNREACH, 4, Rest::Unused)),
        (icmp::DEST_UNREACH, 4) => Some((icmp6::PKT_TOOBIG, 0, Rest::Mtu)),
        (icmp::DEST_UNREACH, 9 | 10 | 13 | 15) => Some((icmp6::DEST_UNREACH, 1, Rest::Unused)),
        (icmp::TIME_EXCEEDED, c) => Some((icmp6::TIME_EXCEED, c, Rest::Unused)),
        (icmp::PARAMETER_PROB, 0 | 2) => Some((icmp6::PARAMPROB, 0, Rest::Pointer)),
        _ => None,
    }
}

/// RFC 7915 5.2: the ICMPv4 type, code and rest-of-header an ICMPv6 error
/// becomes, or `None`: dropped. Destination unreachable (1): no route,
/// beyond scope, address unreachable (0, 2, 3) become host unreachable
/// (3/1); administratively prohibited (1) 3/10; port unreachable (4) 3/3;
/// other codes are dropped. Packet Too Big (2) becomes fragmentation
/// needed (3/4). Time exceeded (3) keeps its code (11/code). Parameter
/// problem (4): erroneous header field (0) becomes 12/0 with the pointer
/// mapped; unrecognized next header (1) protocol unreachable (3/2);
/// unrecognized option (2) and others are dropped. Everything else is
/// dropped.
pub const fn map_type_6to4(icmp_type: u8, code: u8) -> Option<(u8, u8, Rest)> {
    match (icmp_type, code) {
        (icmp6::DEST_UNREACH, 0 | 2 | 3) => Some((icmp::DEST_UNREACH, 1, Rest::Unused)),
        (icmp6::DEST_UNREACH, 1) => Some((icmp::DEST_UNREACH, 10, Rest::Unused)),
        (icmp6::DEST_UNREACH, 4) => Some((icmp::DEST_UNREACH, 3, Rest::Unused)),
        (icmp6::PKT_TOOBIG, _) => Some((icmp::DEST_UNREACH, 4, Rest::Mtu)),
        (icmp6::TIME_EXCEED, c) => Some((icmp::TIME_EXCEEDED, c, Rest::Unused)),
        (icmp6::PARAMPROB, 0) => Some((icmp::PARAMETER_PROB, 0, Rest::Pointer)),
        (icmp6::PARAMPROB, 1) => Some((icmp::DEST_UNREACH, 2, Rest::Unused)),
        _ => None,
    }
}

/// RFC 7915 figure 3: the IPv6 header offset for an IPv4 parameter
/// problem's pointer, or `None` (n/a or past the header: dropped).
pub const fn map_pointer_4to6(ptr: u8) -> Option<u8> {
    match ptr {
        0 => Some(0),
        1 => Some(1),
        2 | 3 => Some(4),
        8 => Some(7),
        9 => Some(6),
        12..=15 => Some(8),
        16..=19 => Some(24),
        _ => None, // identification, flags/offset, checksum, options
    }
}

/// RFC 7915 figure 6: the IPv4 header offset for an IPv6 parameter
/// problem's pointer, or `None` (n/a or past the header: dropped).
pub const fn map_pointer_6to4(ptr: u32) -> Option<u8> {
    match ptr {
        0 => Some(0),
        1 => Some(1),
        4 | 5 => Some(2),
        6 => Some(9),
        7 => Some(8),
        8..=23 => Some(12),
        24..=39 => Some(16),
        _ => None, // flow label, extension headers
    }
}

/// Parses an ICMPv4 error for translation to ICMPv6: `icmp::parse_error`,
/// which verifies the ICMP checksum ([`Malformed::IcmpChecksum`]; the
/// translation recomputes it, which would launder a corrupt message).
/// `pkt` holds the whole packet (`ip4.tot_len` bytes), `ip4` is its parsed
/// header. `Ok(None)` as `icmp::parse_error`, and for an error about a
/// non-first fragment (its quote has no ports). A fragmented error is
/// [`Malformed::Fragment`].
pub fn parse_icmp4_error(pkt: &[u8], ip4: &Ipv4) -> Result<Option<Quoted>, Malformed> {
    if ip4.proto != IPPROTO_ICMP {
        return Ok(None);
    }
    if ip4.fragment {
        return Err(Malformed::Fragment);
    }
    let pkt = pkt.get(..ip4.tot_len).ok_or(Malformed::L4Truncated)?;
    let Some(q) = icmp::parse_error(pkt, ip4.ihl)? else { return Ok(None) };
    if get16(pkt, q.ip_off.saturating_add(6)).unwrap_or(0) & 0x1fff != 0 {
        return Ok(None);
    }
    Ok(Some(q))
}

/// Addresses for an ICMPv6 error made from an ICMPv4 one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ToIcmp6 {
    /// Outer source (the VIP, as FULLNAT sends errors to the client).
    pub saddr: [u8; 16],
    /// Outer destination (the client).
    pub daddr: [u8; 16],
    /// The quoted packet's tuple: the client's own packet, as it sent it.
    pub inner: Tuple,
    /// Added to the quoted TCP sequence number (see `icmp::rewrite_error`).
    pub seq: SeqDelta,
}

/// Addresses for an ICMPv4 error made from an ICMPv6 one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ToIcmp4 {
    /// Outer source (the LADDR, toward the real server).
    pub saddr: u32,
    /// Outer destination (the real server).
    pub daddr: u32,
    /// The quoted packet's tuple: the real server's own packet, as it sent
    /// it.
    pub inner: Tuple,
    /// Added to the quoted TCP sequence number.
    pub seq: SeqDelta,
    /// Identification of the outer IPv4 header.
    pub id: u16,
}

/// Copies the quoted transport bytes `src` to `dst` (same length, at least
/// 8) with ports and (TCP) sequence number changed, and the checksum, if
/// quoted and not a UDP 0, updated for the pseudo-header sums `old` to
/// `new` as well.
fn quote_l4(dst: &mut [u8], src: &[u8], proto: u8, pseudo: (u32, u32), ports: (u16, u16), seq: SeqDelta) {
    // The same length by the callers' construction; taken as the shorter
    // all the same, so that no length-mismatch panic is compiled in (the
    // 6.12 objtool does not know rustc's newer panic helpers as noreturn
    // and warns about the function falling through).
    let n = dst.len().min(src.len());
    dst[..n].copy_from_slice(&src[..n]);
    let old_seq = u32::from_be_bytes([dst[4], dst[5], dst[6], dst[7]]);
    let new_seq = if proto == IPPROTO_TCP { seq.forward(old_seq) } else { old_seq };
    let co = check_off(proto).unwrap_or(6);
    if let Some(mut c) = get16(dst, co).filter(|&c| !(proto == IPPROTO_UDP && c == 0)) {
        c = csum::replace_sum(c, pseudo.0, pseudo.1);
        c = csum::replace16(c, get16(dst, 0).unwrap_or(0), ports.0);
        c = csum::replace16(c, get16(dst, 2).unwrap_or(0), ports.1);
        c = csum::replace32(c, old_seq, new_seq);
        if proto == IPPROTO_UDP && c == 0 {
            c = 0xffff;
        }
        dst[co..co + 2].copy_from_slice(&c.to_be_bytes());
    }
    dst[0..2].copy_from_slice(&ports.0.to_be_bytes());
    dst[2..4].copy_from_slice(&ports.1.to_be_bytes());
    dst[4..8].copy_from_slice(&new_seq.to_be_bytes());
}

/// Translates an ICMPv4 error about a translated connection into the
/// ICMPv6 error the IPv6 side must see (RFC 7915 4.2), written whole at the
/// start of `out`; returns its length, or `Ok(None)` for an error the
/// tables drop ([`map_type_4to6`], [`map_pointer_4to6`]).
///
/// `pkt` holds the whole packet, `ip4` its parsed header and `q` what
/// [`parse_icmp4_error`] found in it. The message built: an IPv6 header
/// (`to`'s addresses, traffic class = TOS, hop limit = TTL), the ICMPv6
/// header (type, code, MTU or pointer mapped), the quoted packet's IPv6
/// header (`to.inner`'s addresses, payload length from the quoted total
/// length, traffic class, hop limit; IPv4 options dropped) and as much of
/// the quoted transport bytes as fit in `out` and in 1280 bytes (RFC 4443
/// 2.4), with ports, TCP sequence number (`to.seq`) and the quoted
/// checksum (if quoted) translated; then the ICMPv6 checksum.
///
/// `out` needs `pkt`'s length plus 40 bytes (both the outer and the quoted
/// header grow by 20) to hold every quoted byte, and at least 96 (else
/// [`Malformed::L4Truncated`]).
pub fn icmp4_to_icmp6(pkt: &[u8], ip4: &Ipv4, q: &Quoted, out: &mut [u8], to: &ToIcmp6) -> Result<Option<usize>, Malformed> {
    let end = ip4.tot_len;
    let hdr = pkt.get(ip4.ihl..ip4.ihl.saturating_add(ICMP_ERR_HDR_LEN)).ok_or(Malformed::L4Truncated)?;
    let qh = pkt.get(q.ip_off..q.ip_off.saturating_add(IPV4_HDR_LEN)).ok_or(Malformed::L4Truncated)?;
    let q_tot = u16::from_be_bytes([qh[2], qh[3]]);
    let l4_len = (q_tot as usize).checked_sub(q.ihl).ok_or(Malformed::IpTotalLen)?;
    let src = pkt.get(q.ip_off.saturating_add(q.ihl)..end).filter(|s| s.len() >= 8).ok_or(Malformed::L4Truncated)?;
    let Some((icmp_type, code, rest)) = map_type_4to6(hdr[0], hdr[1]) else { return Ok(None) };
    let info = match rest {
        Rest::Unused => 0,
        Rest::Mtu => mtu_4to6(u16::from_be_bytes([hdr[6], hdr[7]]), q_tot),
        Rest::Pointer => match map_pointer_4to6(hdr[4]) {
            Some(p) => p as u32,
            None => return Ok(None),
        },
        Rest::FixedPointer(p) => p,
    };
    let head = IPV6_HDR_LEN + ICMP_ERR_HDR_LEN + IPV6_HDR_LEN;
    let room = out.len().min(IPV6_MIN_MTU as usize);
    if room < head + 8 {
        return Err(Malformed::L4Truncated);
    }
    let n = src.len().min(room - head);
    let total = head + n;
    let out = &mut out[..total];
    Hdr6 { traffic_class: pkt.get(1).copied().unwrap_or(0), payload_len: (total - IPV6_HDR_LEN) as u16, next_header: IPPROTO_ICMPV6, hop_limit: ip4.ttl, saddr: &to.saddr, daddr: &to.daddr }
        .write(out);
    out[40..44].copy_from_slice(&[icmp_type, code, 0, 0]);
    out[44..48].copy_from_slice(&info.to_be_bytes());
    let inner = &to.inner;
    Hdr6 { traffic_class: qh[1], payload_len: l4_len as u16, next_header: q.proto, hop_limit: qh[8], saddr: inner.saddr.octets(), daddr: inner.daddr.octets() }.write(&mut out[48..]);
    let pseudo = (csum::pseudo_v4(q.tuple.saddr.low32(), q.tuple.daddr.low32(), q.proto, l4_len as u16), csum::pseudo_v6(inner.saddr.octets(), inner.daddr.octets(), q.proto, l4_len as u32));
    quote_l4(&mut out[head..], &src[..n], q.proto, pseudo, (inner.sport, inner.dport), to.seq);
    icmp6::set_checksum(out, IPV6_HDR_LEN, total);
    Ok(Some(total))
}

/// Translates an ICMPv6 error about a translated connection into the
/// ICMPv4 error the IPv4 side must see (RFC 7915 5.2), written whole at the
/// start of `out`; returns its length, or `Ok(None)` for an error the
/// tables drop ([`map_type_6to4`], [`map_pointer_6to4`]).
///
/// `pkt` holds the whole packet, `ip6` its parsed header and `q` what
/// `icmp6::parse_error` found in it (checksum verified). The message
/// built: an IPv4 header (`to`'s addresses and `to.id`, TOS = traffic
/// class, TTL = hop limit, DF clear as the kernel's own ICMP errors), the
/// ICMP header (type, code, MTU or pointer mapped), the quoted packet's
/// IPv4 header (`to.inner`'s addresses, total length from the quoted
/// payload length less extension headers, TOS, TTL, DF set and
/// identification 0 as [`v6_to_v4`] writes them; extension headers
/// dropped) and as much of the quoted transport bytes as fit in `out`,
/// translated as in [`icmp4_to_icmp6`]; then the ICMP checksum.
///
/// The message is at most 576 bytes (RFC 1812 4.3.2.3, the kernel's own
/// limit for ICMP errors; the quote is cut to fit). `out` needs `pkt`'s
/// length or 576 bytes, whichever is less, to hold every quoted byte that
/// fits (the message shrinks by at least 40), and at least 56 (else
/// [`Malformed::L4Truncated`]). A Packet Too Big below 1280 is
/// [`Malformed::IcmpMtu`].
pub fn icmp6_to_icmp4(pkt: &[u8], ip6: &Ipv6, q: &Quoted6, out: &mut [u8], to: &ToIcmp4) -> Result<Option<usize>, Malformed> {
    let quote = pkt.get(q.ip_off..q.end).ok_or(Malformed::L4Truncated)?;
    let qip = ipv6::parse_quoted_ipv6(quote)?;
    let src = pkt.get(q.l4_off..q.end).filter(|s| s.len() >= 8).ok_or(Malformed::L4Truncated)?;
    let q_tot = u16::try_from(q.l4_len.saturating_add(IPV4_HDR_LEN)).map_err(|_| Malformed::IpTotalLen)?;
    let Some((icmp_type, code, rest)) = map_type_6to4(q.icmp_type, q.code) else { return Ok(None) };
    let info = match rest {
        Rest::Mtu => (mtu_6to4(q.info).ok_or(Malformed::IcmpMtu)? as u32).to_be_bytes(),
        Rest::Pointer => match map_pointer_6to4(q.info) {
            Some(p) => [p, 0, 0, 0],
            None => return Ok(None),
        },
        Rest::Unused | Rest::FixedPointer(_) => [0; 4],
    };
    let head = IPV4_HDR_LEN + ICMP_ERR_HDR_LEN + IPV4_HDR_LEN;
    let room = out.len().min(ICMP4_MAX_LEN);
    if room < head + 8 {
        return Err(Malformed::L4Truncated);
    }
    let n = src.len().min(room - head);
    let total = head + n;
    let out = &mut out[..total];
    Hdr4 { tos: ip6.traffic_class, tot_len: total as u16, id: to.id, flags: 0, ttl: ip6.hop_limit, proto: IPPROTO_ICMP, saddr: to.saddr, daddr: to.daddr }.write(out);
    out[20..24].copy_from_slice(&[icmp_type, code, 0, 0]);
    out[24..28].copy_from_slice(&info);
    let inner = &to.inner;
    Hdr4 { tos: qip.traffic_class, tot_len: q_tot, id: 0, flags: IP_DF, ttl: qip.hop_limit, proto: q.proto, saddr: inner.saddr.low32(), daddr: inner.daddr.low32() }.write(&mut out[28..]);
    let pseudo = (csum::pseudo_v6(q.tuple.saddr.octets(), q.tuple.daddr.octets(), q.proto, q.l4_len as u32), csum::pseudo_v4(inner.saddr.low32(), inner.daddr.low32(), q.proto, q.l4_len as u16));
    quote_l4(&mut out[head..], &src[..n], q.proto, pseudo, (inner.sport, inner.dport), to.seq);
    let c = csum::checksum(&out[IPV4_HDR_LEN..]);
    out[22..24].copy_from_slice(&c.to_be_bytes());
    Ok(Some(total))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::addr::Addr;
    use crate::icmp6::testpkt::icmp6_error;
    use crate::ipv6::testpkt::*;
    use crate::ipv6::{parse_ipv6, NEXTHDR_DEST, NEXTHDR_FRAGMENT, NEXTHDR_ROUTING};
    use crate::packet::testpkt::{tcp_v4, verifies};
    use crate::packet::{parse_ipv4, parse_tcp, tcp_flags};

    // The client 2001:db8::2 reaches the VIP 2001:db8::100; rvs goes on
    // from LADDR 198.51.100.201 to the RS 198.51.100.11.
    const LADDR: u32 = 0xc633_64c9;
    const RS: u32 = 0xc633_640b;
    const ROUTER4: u32 = 0xc633_6401;
    fn client() -> [u8; 16] {
        a6(2)
    }
    fn vip() -> [u8; 16] {
        a6(0x100)
    }
    fn router6() -> [u8; 16] {
        a6(0xfe)
    }
    fn to_rs() -> Tuple {
        Tuple { saddr: Addr::v4(LADDR), daddr: Addr::v4(RS), sport: 5000, dport: 8080 }
    }
    fn from_client() -> Tuple {
        Tuple { saddr: Addr::v6(client()), daddr: Addr::v6(vip()), sport: 40000, dport: 80 }
    }

    fn same_sum(a: u16, b: u16) -> bool {
        a == b || (a ^ b) == 0xffff && (a == 0 || b == 0)
    }

    /// An IPv4 + UDP packet with a valid checksum (or none: `check` false).
    fn udp_v4(saddr: u32, daddr: u32, sport: u16, dport: u16, payload: &[u8], check: bool) -> Vec<u8> {
        let tot = 28 + payload.len();
        let mut p = vec![0x45, 0x28, (tot >> 8) as u8, tot as u8, 0, 7, 0, 0, 33, IPPROTO_UDP, 0, 0];
        p.extend_from_slice(&saddr.to_be_bytes());
        p.extend_from_slice(&daddr.to_be_bytes());
        let c = csum::checksum(&p);
        p[10..12].copy_from_slice(&c.to_be_bytes());
        p.extend_from_slice(&sport.to_be_bytes());
        p.extend_from_slice(&dport.to_be_bytes());
        p.extend_from_slice(&((8 + payload.len()) as u16).to_be_bytes());
        p.extend_from_slice(&[0, 0]);
        p.extend_from_slice(payload);
        if check {
            let mut c = !csum::fold(csum::sum_bytes(&p[20..], csum::pseudo_v4(saddr, daddr, IPPROTO_UDP, (tot - 20) as u16)));
            if c == 0 {
                c = 0xffff;
            }
            p[26..28].copy_from_slice(&c.to_be_bytes());
        }
        p
    }

    /// An ICMPv4 error from `saddr` to `daddr` quoting `qlen` bytes of
    /// `quoted`, checksums valid.
    fn icmp4_error(saddr: u32, daddr: u32, icmp_type: u8, code: u8, rest: [u8; 4], quoted: &[u8], qlen: usize) -> Vec<u8> {
        let tot = 28 + qlen;
        let mut p = vec![0x45, 0xb8, (tot >> 8) as u8, tot as u8, 0, 0, 0, 0, 250, IPPROTO_ICMP, 0, 0];
        p.extend_from_slice(&saddr.to_be_bytes());
        p.extend_from_slice(&daddr.to_be_bytes());
        let c = csum::checksum(&p);
        p[10..12].copy_from_slice(&c.to_be_bytes());
        p.extend_from_slice(&[icmp_type, code, 0, 0]);
        p.extend_from_slice(&rest);
        p.extend_from_slice(&quoted[..qlen]);
        let c = csum::checksum(&p[20..]);
        p[22..24].copy_from_slice(&c.to_be_bytes());
        p
    }

    /// v6 -> v4 in place as the docs say; returns the IPv4 packet.
    fn to_v4(p6: &[u8], to: &Tuple, state: FieldState) -> Result<Vec<u8>, Malformed> {
        let ip6 = parse_ipv6(p6, p6.len())?;
        let mut buf = p6.to_vec();
        let (net, l4) = buf.split_at_mut(ip6.l4_off);
        assert_eq!(v6_to_v4(&ip6, &mut net[ip6.l4_off - 20..], l4, to, 0x1234, state)?, 20);
        Ok(buf[ip6.l4_off - 20..ip6.tot_len].to_vec())
    }

    /// v4 -> v6 in place as the docs say; returns the IPv6 packet.
    fn to_v6(p4: &[u8], to: &Tuple, state: FieldState) -> Result<Vec<u8>, Malformed> {
        let ip4 = parse_ipv4(p4, p4.len())?;
        let mut buf = vec![0u8; 40 - ip4.ihl];
        buf.extend_from_slice(&p4[..ip4.tot_len]);
        let (net, l4) = buf.split_at_mut(40);
        assert_eq!(v4_to_v6(&ip4, p4[1], net, l4, to, state)?, 40);
        Ok(buf)
    }

    #[test]
    fn sizes_and_mss() {
        assert_eq!((IPV4_HDR_LEN, IPV6_HDR_LEN, HDR_GROWTH), (20, 40, 20));
        assert_eq!(mss_v4_to_v6(1460), 1440);
        assert_eq!(mss_v4_to_v6(1452), 1432);
        assert_eq!(mss_v4_to_v6(10), 0);
    }

    #[test]
    fn mtus() {
        assert_eq!(mtu_4to6(1400, 1500), 1420);
        assert_eq!(mtu_4to6(1260, 1500), 1280);
        assert_eq!(mtu_4to6(1000, 1500), 1280, "never below 1280 on the IPv6 side");
        assert_eq!(mtu_4to6(68, 1500), 1280);
        assert_eq!(mtu_4to6(65535, 1500), 65555);
        // MTU 0: the greatest plateau below the quoted length, then + 20.
        assert_eq!(mtu_4to6(0, 1500), 1512);
        assert_eq!(mtu_4to6(0, 1493), 1512);
        assert_eq!(mtu_4to6(0, 1492), 1280);
        assert_eq!(mtu_4to6(0, 9000), 8186);
        assert_eq!(mtu_4to6(0, 65535), 32020);
        assert_eq!(mtu_4to6(0, 0), 1280);
        assert_eq!(mtu_6to4(1280), Some(1260));
        assert_eq!(mtu_6to4(1500), Some(1480));
        assert_eq!(mtu_6to4(1279), None);
        assert_eq!(mtu_6to4(0), None);
        assert_eq!(mtu_6to4(65555), Some(65535));
        assert_eq!(mtu_6to4(u32::MAX), Some(65535));
    }

    #[test]
    fn type_table_4to6() {
        // RFC 7915 4.2, row by row.
        let rows: &[(u8, u8, (u8, u8, Rest))] = &[
            (3, 0, (1, 0, Rest::Unused)),
            (3, 1, (1, 0, Rest::Unused)),
            (3, 2, (4, 1, Rest::FixedPointer(6))),
            (3, 3, (1, 4, Rest::Unused)),
            (3, 4, (2, 0, Rest::Mtu)),
            (3, 5, (1, 0, Rest::Unused)),
            (3, 6, (1, 0, Rest::Unused)),
            (3, 7, (1, 0, Rest::Unused)),
            (3, 8, (1, 0, Rest::Unused)),
            (3, 9, (1, 1, Rest::Unused)),
            (3, 10, (1, 1, Rest::Unused)),
            (3, 11, (1, 0, Rest::Unused)),
            (3, 12, (1, 0, Rest::Unused)),
            (3, 13, (1, 1, Rest::Unused)),
            (3, 15, (1, 1, Rest::Unused)),
            (12, 0, (4, 0, Rest::Pointer)),
            (12, 2, (4, 0, Rest::Pointer)),
        ];
        for t in 0..=255u8 {
            for c in 0..=255u8 {
                let want = rows.iter().find(|r| (r.0, r.1) == (t, c)).map(|r| r.2).or(if t == 11 { Some((3, c, Rest::Unused)) } else { None });
                assert_eq!(map_type_4to6(t, c), want, "{t}/{c}");
            }
        }
    }

    #[test]
    fn type_table_6to4() {
        // RFC 7915 5.2, row by row.
        let rows: &[(u8, u8, (u8, u8, Rest))] = &[
            (1, 0, (3, 1, Rest::Unused)),
            (1, 1, (3, 10, Rest::Unused)),
            (1, 2, (3, 1, Rest::Unused)),
            (1, 3, (3, 1, Rest::Unused)),
            (1, 4, (3, 3, Rest::Unused)),
            (4, 0, (12, 0, Rest::Pointer)),
            (4, 1, (3, 2, Rest::Unused)),
        ];
        for t in 0..=255u8 {
            for c in 0..=255u8 {
                let want = rows.iter().find(|r| (r.0, r.1) == (t, c)).map(|r| r.2).or(match t {
                    2 => Some((3, 4, Rest::Mtu)),
                    3 => Some((11, c, Rest::Unused)),
                    _ => None,
                });
                assert_eq!(map_type_6to4(t, c), want, "{t}/{c}");
            }
        }
    }

    #[test]
    fn pointer_tables() {
        // RFC 7915 figures 3 and 6.
        let fig3: [Option<u8>; 20] = [Some(0), Some(1), Some(4), Some(4), None, None, None, None, Some(7), Some(6), None, None, Some(8), Some(8), Some(8), Some(8), Some(24), Some(24), Some(24), Some(24)];
        for p in 0..=255u8 {
            assert_eq!(map_pointer_4to6(p), fig3.get(p as usize).copied().flatten(), "{p}");
        }
        for p in 0..=300u32 {
            let want = match p {
                0 => Some(0),
                1 => Some(1),
                4 | 5 => Some(2),
                6 => Some(9),
                7 => Some(8),
                8..=23 => Some(12),
                24..=39 => Some(16),
                _ => None,
            };
            assert_eq!(map_pointer_6to4(p), want, "{p}");
        }
        assert_eq!(map_pointer_6to4(u32::MAX), None);
        // Each mapped pointer names the same field in the other header.
        let field_start = |p: u8| match p {
            3 => 2,
            12..=15 => 12,
            16..=19 => 16,
            _ => p,
        };
        for p in 0..20u8 {
            if let Some(q) = map_pointer_4to6(p) {
                assert_eq!(map_pointer_6to4(q as u32), Some(field_start(p)), "{p}");
            }
        }
    }

    #[test]
    fn tcp_and_udp_round_trip() {
        let mut r = Lcg(0x64);
        for i in 0..2000 {
            let n = r.below(200);
            let payload = r.bytes(n);
            let c = r.addr();
            let base = if i % 2 == 0 {
                tcp_v6(c, vip(), r.next() as u16, 80, tcp_flags::ACK | tcp_flags::PSH, &[1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2][..4 * r.below(4)], &payload)
            } else {
                udp_v6(c, vip(), r.next() as u16, 53, &payload)
            };
            let mut p6 = match r.below(3) {
                0 => base.clone(),
                1 => with_ext(&base, &[ext(NEXTHDR_DEST, 16)]),
                _ => with_ext(&base, &[ext(0, 8), ext(NEXTHDR_FRAGMENT, 8), ext(NEXTHDR_ROUTING, 24)]),
            };
            p6[1] = 0xb0 | (p6[1] & 0x0f); // traffic class 0xb?, flow label kept below
            p6[7] = 1 + r.below(255) as u8;
            let ip6 = parse_ipv6(&p6, p6.len()).unwrap();
            let orig_l4 = p6[ip6.l4_off..].to_vec();
            let to = Tuple::v4(r.next(), r.next(), r.next() as u16, r.next() as u16);
            let p4 = to_v4(&p6, &to, FieldState::Full).unwrap();
            assert!(verifies(&p4), "case {i}: IPv4 header and transport checksums");
            let ip4 = parse_ipv4(&p4, p4.len()).unwrap();
            assert_eq!((ip4.saddr, ip4.daddr, ip4.proto, ip4.ttl, ip4.tot_len, ip4.fragment), (to.saddr.low32(), to.daddr.low32(), ip6.proto, ip6.hop_limit, 20 + orig_l4.len(), false));
            assert_eq!((p4[1], &p4[4..8]), (ip6.traffic_class, &[0x12, 0x34, 0x40, 0][..]), "TOS, id, DF");
            assert_eq!(&p4[20..22], &to.sport.to_be_bytes());
            let co = check_off(ip6.proto).unwrap();
            let (a, b) = (&p4[20..], &orig_l4[..]);
            assert_eq!((&a[4..co], &a[co + 2..]), (&b[4..co], &b[co + 2..]), "case {i}: the rest of the transport bytes kept");
            // Back, to the original tuple: the same transport bytes.
            let back = Tuple { saddr: Addr::v6(ip6.saddr), daddr: Addr::v6(ip6.daddr), sport: u16::from_be_bytes([orig_l4[0], orig_l4[1]]), dport: u16::from_be_bytes([orig_l4[2], orig_l4[3]]) };
            let q6 = to_v6(&p4, &back, FieldState::Full).unwrap();
            assert!(verifies_v6(&q6), "case {i}: IPv6 transport checksum");
            let ipq = parse_ipv6(&q6, q6.len()).unwrap();
            assert_eq!((ipq.traffic_class, ipq.flow_label, ipq.hop_limit, ipq.l4_off, ipq.proto), (ip6.traffic_class, 0, ip6.hop_limit, 40, ip6.proto));
            let (a, b) = (&q6[40..], &orig_l4[..]);
            assert_eq!((&a[..co], &a[co + 2..]), (&b[..co], &b[co + 2..]), "case {i}");
            assert!(same_sum(u16::from_be_bytes([a[co], a[co + 1]]), u16::from_be_bytes([b[co], b[co + 1]])), "case {i}");
        }
    }

    #[test]
    fn partial_checksums_round_trip() {
        let mut r = Lcg(0x65);
        for i in 0..500 {
            let payload = r.bytes(40);
            let mut p6 = if i % 2 == 0 { tcp_v6(r.addr(), vip(), 1, 80, tcp_flags::ACK, &[], &payload) } else { udp_v6(r.addr(), vip(), 1, 53, &payload) };
            let ip6 = parse_ipv6(&p6, p6.len()).unwrap();
            let co = check_off(ip6.proto).unwrap();
            let len = ip6.l4_len();
            // CHECKSUM_PARTIAL: the folded pseudo-header sum.
            let field = csum::fold(csum::pseudo_v6(&ip6.saddr, &ip6.daddr, ip6.proto, len as u32));
            p6[40 + co..42 + co].copy_from_slice(&field.to_be_bytes());
            let to = Tuple::v4(r.next(), r.next(), 9, 10);
            let p4 = to_v4(&p6, &to, FieldState::Partial).unwrap();
            let got = u16::from_be_bytes([p4[20 + co], p4[21 + co]]);
            assert!(same_sum(got, csum::fold(csum::pseudo_v4(to.saddr.low32(), to.daddr.low32(), ip6.proto, len as u16))), "case {i}");
            assert_eq!(csum::fold(csum::sum_bytes(&p4[..20], 0)), 0xffff);
            let back = Tuple { saddr: Addr::v6(ip6.saddr), daddr: Addr::v6(ip6.daddr), sport: 1, dport: 2 };
            let q6 = to_v6(&p4, &back, FieldState::Partial).unwrap();
            let got = u16::from_be_bytes([q6[40 + co], q6[41 + co]]);
            assert!(same_sum(got, field), "case {i}");
        }
    }

    #[test]
    fn udp_without_checksum_to_v6() {
        let p4 = udp_v4(RS, LADDR, 53, 5000, b"an answer", false);
        let to = Tuple { saddr: Addr::v6(vip()), daddr: Addr::v6(client()), sport: 53, dport: 40000 };
        let q6 = to_v6(&p4, &to, FieldState::Full).unwrap();
        assert!(verifies_v6(&q6), "computed over the whole datagram");
        // Not all of it at hand: refused, nothing written.
        let ip4 = parse_ipv4(&p4, p4.len()).unwrap();
        let mut buf = vec![0u8; 20];
        buf.extend_from_slice(&p4[..p4.len() - 1]);
        let before = buf.clone();
        let (net, l4) = buf.split_at_mut(40);
        assert_eq!(v4_to_v6(&ip4, 0, net, l4, &to, FieldState::Full), Err(Malformed::UdpNoChecksum));
        assert_eq!(buf, before);
        // With a checksum, only the header is needed.
        let p4 = udp_v4(RS, LADDR, 53, 5000, b"an answer", true);
        let ip4 = parse_ipv4(&p4, p4.len()).unwrap();
        let mut buf = vec![0u8; 20];
        buf.extend_from_slice(&p4);
        let (net, l4) = buf.split_at_mut(40);
        v4_to_v6(&ip4, 0, net, &mut l4[..8], &to, FieldState::Full).unwrap();
        assert!(verifies_v6(&buf));
        // An IPv6 UDP checksum of 0 is refused.
        let mut p6 = udp_v6(client(), vip(), 40000, 53, b"q");
        p6[46..48].fill(0);
        assert_eq!(to_v4(&p6, &to_rs(), FieldState::Full), Err(Malformed::UdpNoChecksum));
    }

    #[test]
    fn refusals() {
        let p6 = tcp_v6(client(), vip(), 40000, 80, tcp_flags::ACK, &[], b"abc");
        let ip6 = parse_ipv6(&p6, p6.len()).unwrap();
        let (mut h, mut l4) = ([0u8; 40], p6[40..].to_vec());
        let try6 = |ip: &Ipv6, h: &mut [u8], l4: &mut [u8]| v6_to_v4(ip, h, l4, &to_rs(), 0, FieldState::Full);
        let frag = Fragment6 { offset: 0, more: true, id: 1, next_header: IPPROTO_TCP };
        assert_eq!(try6(&Ipv6 { frag: Some(frag), ..ip6 }, &mut h, &mut l4), Err(Malformed::Fragment));
        assert!(try6(&Ipv6 { frag: Some(Fragment6 { more: false, ..frag }), ..ip6 }, &mut h, &mut l4).is_ok(), "atomic fragment");
        let (mut h, mut l4) = ([0u8; 40], p6[40..].to_vec());
        let try6 = |ip: &Ipv6, h: &mut [u8], l4: &mut [u8]| v6_to_v4(ip, h, l4, &to_rs(), 0, FieldState::Full);
        assert_eq!(try6(&Ipv6 { routing_pending: true, ..ip6 }, &mut h, &mut l4), Err(Malformed::Ip6ExtHeader));
        assert_eq!(try6(&Ipv6 { proto: IPPROTO_ICMPV6, ..ip6 }, &mut h, &mut l4), Err(Malformed::L4Protocol));
        assert_eq!(try6(&Ipv6 { tot_len: 40 + 65535, payload_len: 65535, ..ip6 }, &mut h, &mut l4), Err(Malformed::IpTotalLen));
        assert_eq!(try6(&ip6, &mut h[..19], &mut l4), Err(Malformed::IpTruncated));
        assert_eq!(try6(&ip6, &mut h, &mut l4[..19]), Err(Malformed::L4Truncated));
        assert_eq!(l4, p6[40..], "nothing written on refusal");
        assert_eq!(h, [0; 40]);
        assert!(try6(&Ipv6 { tot_len: 40 + 65515, payload_len: 65515, ..ip6 }, &mut h, &mut l4).is_ok());
        assert_eq!(&h[2..4], &[0xff, 0xff]);

        let p4 = tcp_v4([198, 51, 100, 11], [198, 51, 100, 201], 8080, 5000, tcp_flags::ACK, &[], b"abc");
        let ip4 = parse_ipv4(&p4, p4.len()).unwrap();
        let (mut h, mut l4) = ([0u8; 40], p4[20..].to_vec());
        let try4 = |ip: &Ipv4, h: &mut [u8], l4: &mut [u8]| v4_to_v6(ip, 0, h, l4, &from_client(), FieldState::Full);
        assert_eq!(try4(&Ipv4 { fragment: true, ..ip4 }, &mut h, &mut l4), Err(Malformed::Fragment));
        assert_eq!(try4(&Ipv4 { proto: IPPROTO_ICMP, ..ip4 }, &mut h, &mut l4), Err(Malformed::L4Protocol));
        assert_eq!(try4(&Ipv4 { tot_len: 10, ..ip4 }, &mut h, &mut l4), Err(Malformed::IpTotalLen));
        assert_eq!(try4(&Ipv4 { tot_len: 30, ..ip4 }, &mut h, &mut l4), Err(Malformed::L4Truncated));
        assert_eq!(try4(&ip4, &mut h[..39], &mut l4), Err(Malformed::IpTruncated));
        assert_eq!(try4(&ip4, &mut h, &mut l4[..19]), Err(Malformed::L4Truncated));
        assert_eq!(l4, p4[20..]);
    }

    use crate::ipv6::Fragment as Fragment6;

    /// What rvs sent the RS for the client (LADDR:5000 -> RS:8080, seq in
    /// the RS's space), and the ICMPv4 error a router returns about it.
    fn sent4(payload: usize) -> Vec<u8> {
        tcp_v4([198, 51, 100, 201], [198, 51, 100, 11], 5000, 8080, tcp_flags::ACK, &[], &vec![0x5a; payload])
    }

    fn to_client() -> ToIcmp6 {
        ToIcmp6 { saddr: vip(), daddr: client(), inner: from_client(), seq: SeqDelta(0u32.wrapping_sub(0x100)) }
    }

    fn xlate4(p: &[u8], out: &mut [u8]) -> Result<Option<usize>, Malformed> {
        let ip4 = parse_ipv4(p, p.len())?;
        let q = parse_icmp4_error(p, &ip4)?.ok_or(Malformed::L4Protocol)?;
        icmp4_to_icmp6(p, &ip4, &q, out, &to_client())
    }

    #[test]
    fn icmp4_errors_to_client() {
        let sent = sent4(100);
        // ICMPv4 type, code, rest of header; ICMPv6 type, code, MTU/pointer.
        type Row = (u8, u8, [u8; 4], Option<(u8, u8, u32)>);
        let rows: &[Row] = &[
            (3, 0, [0; 4], Some((1, 0, 0))),
            (3, 1, [0; 4], Some((1, 0, 0))),
            (3, 2, [0; 4], Some((4, 1, 6))),
            (3, 3, [0; 4], Some((1, 4, 0))),
            (3, 4, [0, 0, 0x05, 0x78], Some((2, 0, 1420))),
            (3, 4, [0, 0, 0x02, 0x40], Some((2, 0, 1280))),
            (3, 4, [0; 4], Some((2, 0, 1280))), // plateau 68 below the 140-byte packet
            (3, 5, [0; 4], Some((1, 0, 0))),
            (3, 9, [0; 4], Some((1, 1, 0))),
            (3, 10, [0; 4], Some((1, 1, 0))),
            (3, 13, [0; 4], Some((1, 1, 0))),
            (3, 14, [0; 4], None),
            (3, 15, [0; 4], Some((1, 1, 0))),
            (3, 16, [0; 4], None),
            (4, 0, [0; 4], None),
            (11, 0, [0; 4], Some((3, 0, 0))),
            (11, 1, [0; 4], Some((3, 1, 0))),
            (12, 0, [9, 0, 0, 0], Some((4, 0, 6))),
            (12, 0, [16, 0, 0, 0], Some((4, 0, 24))),
            (12, 2, [2, 0, 0, 0], Some((4, 0, 4))),
            (12, 0, [10, 0, 0, 0], None),
            (12, 1, [0; 4], None),
        ];
        for &(t, c, rest, want) in rows {
            for qlen in [28, 40, sent.len()] {
                let p = icmp4_error(ROUTER4, LADDR, t, c, rest, &sent, qlen);
                let ip4 = parse_ipv4(&p, p.len()).unwrap();
                let q = parse_icmp4_error(&p, &ip4).unwrap().unwrap();
                assert_eq!(q.tuple, to_rs());
                let mut out = vec![0u8; p.len() + 40];
                let got = icmp4_to_icmp6(&p, &ip4, &q, &mut out, &to_client()).unwrap();
                let Some((t6, c6, info)) = want else {
                    assert_eq!(got, None, "{t}/{c}");
                    continue;
                };
                let n = got.unwrap();
                assert_eq!(n, p.len() + 40, "{t}/{c}: outer and quoted headers both grow");
                let m = &out[..n];
                assert!(verifies_v6(m), "{t}/{c}: ICMPv6 checksum");
                let ip6 = parse_ipv6(m, n).unwrap();
                assert_eq!((ip6.saddr, ip6.daddr, ip6.proto, ip6.hop_limit, ip6.traffic_class), (vip(), client(), IPPROTO_ICMPV6, 250, 0xb8));
                assert_eq!((m[40], m[41], u32::from_be_bytes([m[44], m[45], m[46], m[47]])), (t6, c6, info), "{t}/{c}");
                // The quote: the client's own packet, seq in its space.
                let qip = ipv6::parse_quoted_ipv6(&m[48..]).unwrap();
                assert_eq!((qip.saddr, qip.daddr, qip.proto, qip.payload_len, qip.hop_limit), (client(), vip(), IPPROTO_TCP, 120, 64));
                assert_eq!(&m[88..92], &[0x9c, 0x40, 0, 80]);
                assert_eq!(u32::from_be_bytes([m[92], m[93], m[94], m[95]]), 1000 - 0x100);
                if qlen == sent.len() {
                    assert!(verifies_v6(&m[48..]), "the whole segment quoted: its checksum verifies");
                    assert_eq!(parse_tcp(&m[88..], 120).unwrap().doff, 20);
                }
                // The whole message back in the right order as well.
                let icmp = crate::icmp6::parse_error(m, &ip6);
                assert!(matches!(icmp, Ok(Some(q)) if q.tuple == from_client()), "{t}/{c}/{qlen}: {icmp:?}");
            }
        }
    }

    #[test]
    fn icmp4_refusals() {
        let sent = sent4(10);
        // Bad ICMP checksum.
        let mut p = icmp4_error(ROUTER4, LADDR, 3, 3, [0; 4], &sent, sent.len());
        p[30] ^= 0x40;
        let ip4 = parse_ipv4(&p, p.len()).unwrap();
        assert_eq!(parse_icmp4_error(&p, &ip4), Err(Malformed::IcmpChecksum));
        // About a non-first fragment.
        let mut frag = sent.clone();
        frag[6..8].copy_from_slice(&0x0010u16.to_be_bytes());
        let p = icmp4_error(ROUTER4, LADDR, 11, 1, [0; 4], &frag, 28);
        let ip4 = parse_ipv4(&p, p.len()).unwrap();
        assert_eq!(parse_icmp4_error(&p, &ip4), Ok(None));
        // Not ICMP; a fragmented error; not an error.
        let ip4 = parse_ipv4(&sent, sent.len()).unwrap();
        assert_eq!(parse_icmp4_error(&sent, &ip4), Ok(None));
        let p = icmp4_error(ROUTER4, LADDR, 3, 3, [0; 4], &sent, 28);
        let ip4 = parse_ipv4(&p, p.len()).unwrap();
        assert_eq!(parse_icmp4_error(&p, &Ipv4 { fragment: true, ..ip4 }), Err(Malformed::Fragment));
        let p = icmp4_error(ROUTER4, LADDR, 8, 0, [0; 4], &sent, 28);
        assert_eq!(parse_icmp4_error(&p, &parse_ipv4(&p, p.len()).unwrap()), Ok(None));
        // The output buffer: the quote is cut to fit, down to 8 bytes of it.
        let p = icmp4_error(ROUTER4, LADDR, 3, 3, [0; 4], &sent, sent.len());
        let mut out = [0u8; 200];
        for len in 0..out.len() {
            match xlate4(&p, &mut out[..len]) {
                Ok(Some(n)) => {
                    assert!(len >= 96 && n == len.min(p.len() + 40), "{len}: {n}");
                    assert!(verifies_v6(&out[..n]));
                }
                r => assert!(len < 96 && r == Err(Malformed::L4Truncated), "{len}: {r:?}"),
            }
        }
        // At most 1280 bytes.
        let big = sent4(1400);
        let p = icmp4_error(ROUTER4, LADDR, 3, 4, [0, 0, 0x05, 0xdc], &big, big.len());
        let mut out = vec![0u8; 2000];
        assert_eq!(xlate4(&p, &mut out), Ok(Some(1280)));
        assert!(verifies_v6(&out[..1280]));
    }

    /// What rvs sent the client for the RS (VIP:80 -> client:40000, seq in
    /// the client's view), and the ICMPv6 error a router returns about it.
    fn sent6(payload: usize) -> Vec<u8> {
        let mut p = tcp_v6(vip(), client(), 80, 40000, tcp_flags::ACK, &[], &vec![0xa5; payload]);
        p[1] = 0x20; // traffic class 2
        p
    }

    fn to_rs_icmp() -> ToIcmp4 {
        ToIcmp4 { saddr: LADDR, daddr: RS, inner: Tuple { saddr: Addr::v4(RS), daddr: Addr::v4(LADDR), sport: 8080, dport: 5000 }, seq: SeqDelta(0x100), id: 77 }
    }

    fn xlate6(p: &[u8], out: &mut [u8]) -> Result<Option<usize>, Malformed> {
        let ip6 = parse_ipv6(p, p.len())?;
        let q = crate::icmp6::parse_error(p, &ip6)?.ok_or(Malformed::L4Protocol)?;
        icmp6_to_icmp4(p, &ip6, &q, out, &to_rs_icmp())
    }

    #[test]
    fn icmp6_errors_to_rs() {
        let plain = sent6(100);
        let with_dest = with_ext(&plain, &[ext(NEXTHDR_DEST, 8)]);
        // ICMPv6 type, code, MTU/pointer; ICMPv4 type, code, rest of header.
        type Row = (u8, u8, u32, Option<(u8, u8, [u8; 4])>);
        let rows: &[Row] = &[
            (1, 0, 0, Some((3, 1, [0; 4]))),
            (1, 1, 0, Some((3, 10, [0; 4]))),
            (1, 2, 0, Some((3, 1, [0; 4]))),
            (1, 3, 0, Some((3, 1, [0; 4]))),
            (1, 4, 0, Some((3, 3, [0; 4]))),
            (1, 5, 0, None),
            (1, 6, 0, None),
            (2, 0, 1500, Some((3, 4, [0, 0, 0x05, 0xc8]))),
            (2, 0, 1280, Some((3, 4, [0, 0, 0x04, 0xec]))),
            (3, 0, 0, Some((11, 0, [0; 4]))),
            (3, 1, 0, Some((11, 1, [0; 4]))),
            (4, 0, 6, Some((12, 0, [9, 0, 0, 0]))),
            (4, 0, 24, Some((12, 0, [16, 0, 0, 0]))),
            (4, 0, 2, None),
            (4, 0, 40, None),
            (4, 1, 6, Some((3, 2, [0; 4]))),
            (4, 2, 0, None),
        ];
        for sent in [&plain, &with_dest] {
            let l4 = parse_ipv6(sent, sent.len()).unwrap().l4_off;
            for &(t, c, info, want) in rows {
                for qlen in [l4 + 8, l4 + 20, sent.len()] {
                    let p = icmp6_error(router6(), vip(), t, c, info, sent, qlen);
                    let mut out = vec![0u8; p.len()];
                    let got = xlate6(&p, &mut out).unwrap();
                    let Some((t4, c4, rest)) = want else {
                        assert_eq!(got, None, "{t}/{c}/{info}");
                        continue;
                    };
                    let n = got.unwrap();
                    assert_eq!(n, p.len() - 20 - l4 + 20, "{t}/{c}");
                    let m = &out[..n];
                    let ip4 = parse_ipv4(m, n).unwrap();
                    assert_eq!((ip4.saddr, ip4.daddr, ip4.proto, ip4.ttl, ip4.tot_len, m[1], &m[4..8]), (LADDR, RS, IPPROTO_ICMP, 64, n, 0, &[0, 77, 0, 0][..]));
                    assert_eq!(csum::fold(csum::sum_bytes(&m[..20], 0)), 0xffff, "outer IP checksum");
                    assert_eq!(csum::fold(csum::sum_bytes(&m[20..], 0)), 0xffff, "ICMP checksum");
                    assert_eq!((m[20], m[21], [m[24], m[25], m[26], m[27]]), (t4, c4, rest), "{t}/{c}/{info}");
                    // The quote: the RS's own packet, seq in its space.
                    assert_eq!(csum::fold(csum::sum_bytes(&m[28..48], 0)), 0xffff, "quoted IP checksum");
                    let qip = parse_ipv4(&m[28..], usize::MAX).unwrap();
                    assert_eq!((qip.saddr, qip.daddr, qip.proto, qip.tot_len, qip.ttl, m[29], qip.fragment), (RS, LADDR, IPPROTO_TCP, 140, 64, 2, false));
                    assert_eq!(&m[34..36], &[0x40, 0], "quoted DF");
                    assert_eq!(&m[48..52], &[0x1f, 0x90, 0x13, 0x88]);
                    assert_eq!(u32::from_be_bytes([m[52], m[53], m[54], m[55]]), 1000 + 0x100);
                    if qlen == sent.len() {
                        assert!(verifies(&m[28..]), "the whole segment quoted: its checksum verifies");
                    }
                    let q = icmp::parse_error(m, 20).unwrap().unwrap();
                    assert_eq!(q.tuple, to_rs_icmp().inner);
                }
            }
        }
    }

    #[test]
    fn icmp6_refusals_and_buffers() {
        let sent = sent6(30);
        let p = icmp6_error(router6(), vip(), 2, 0, 1400, &sent, sent.len());
        let ip6 = parse_ipv6(&p, p.len()).unwrap();
        let q = crate::icmp6::parse_error(&p, &ip6).unwrap().unwrap();
        // A PTB below 1280 that got past the parser is refused here too.
        let mut out = [0u8; 200];
        assert_eq!(icmp6_to_icmp4(&p, &ip6, &Quoted6 { info: 1000, ..q }, &mut out, &to_rs_icmp()), Err(Malformed::IcmpMtu));
        // Output buffers of every size: the quote is cut, down to 8 bytes.
        for len in 0..out.len() {
            match icmp6_to_icmp4(&p, &ip6, &q, &mut out[..len], &to_rs_icmp()) {
                Ok(Some(n)) => {
                    assert!(len >= 56 && n == len.min(p.len() - 40));
                    assert_eq!(csum::fold(csum::sum_bytes(&out[20..n], 0)), 0xffff);
                }
                r => assert!(len < 56 && r == Err(Malformed::L4Truncated), "{len}: {r:?}"),
            }
        }
    }

    #[test]
    fn icmp4_errors_at_most_576() {
        let big = sent6(1100);
        let p = icmp6_error(router6(), vip(), 2, 0, 1280, &big, big.len());
        assert_eq!(p.len(), 1208);
        let mut out = [0u8; 1300];
        assert_eq!(xlate6(&p, &mut out), Ok(Some(576)));
        assert_eq!(csum::fold(csum::sum_bytes(&out[20..576], 0)), 0xffff);
        assert_eq!(parse_ipv4(&out, 576).unwrap().tot_len, 576);
        assert_eq!(parse_ipv4(&out[28..], usize::MAX).unwrap().tot_len, 1140, "the quoted length is the whole packet's");
    }

    #[test]
    fn truncated_inputs_never_panic() {
        let s4 = sent4(40);
        let p4 = icmp4_error(ROUTER4, LADDR, 3, 4, [0, 0, 5, 0], &s4, s4.len());
        let ip4 = parse_ipv4(&p4, p4.len()).unwrap();
        let q4 = parse_icmp4_error(&p4, &ip4).unwrap().unwrap();
        let s6 = with_ext(&sent6(40), &[ext(NEXTHDR_DEST, 8)]);
        let p6 = icmp6_error(router6(), vip(), 2, 0, 1300, &s6, s6.len());
        let ip6 = parse_ipv6(&p6, p6.len()).unwrap();
        let q6 = crate::icmp6::parse_error(&p6, &ip6).unwrap().unwrap();
        let mut out = [0u8; 300];
        for n in 0..p4.len().max(p6.len()) {
            // Parsed headers from the whole packet, bytes cut short.
            if n < p4.len() {
                assert!(icmp4_to_icmp6(&p4[..n], &ip4, &q4, &mut out, &to_client()).is_err(), "{n}");
                assert!(parse_icmp4_error(&p4[..n], &ip4).is_err());
                let _ = xlate4(&p4[..n], &mut out);
            }
            if n < p6.len() {
                assert!(icmp6_to_icmp4(&p6[..n], &ip6, &q6, &mut out, &to_rs_icmp()).is_err(), "{n}");
                let _ = xlate6(&p6[..n], &mut out);
            }
        }
        // Quotes cut anywhere, from valid outer headers.
        for qlen in 0..=s4.len() {
            let p = icmp4_error(ROUTER4, LADDR, 3, 3, [0; 4], &s4, qlen);
            let r = xlate4(&p, &mut out);
            assert!(r.is_ok() == (qlen >= 28), "{qlen}: {r:?}");
        }
        for qlen in 0..=s6.len() {
            let p = icmp6_error(router6(), vip(), 1, 4, 0, &s6, qlen);
            let r = xlate6(&p, &mut out);
            assert!(r.is_ok() == (qlen >= 56), "{qlen}: {r:?}");
        }
        // Parsed structures with absurd fields: refused, no panic.
        let big = usize::MAX;
        let bad6 = [Quoted6 { ip_off: big, ..q6 }, Quoted6 { l4_off: big, ..q6 }, Quoted6 { end: big, ..q6 }, Quoted6 { l4_len: big, ..q6 }, Quoted6 { icmp_off: big, ..q6 }];
        for q in bad6 {
            let _ = icmp6_to_icmp4(&p6, &ip6, &q, &mut out, &to_rs_icmp());
            let mut t = p6.clone();
            let _ = crate::icmp6::rewrite_error(&mut t, &q, (&vip(), &client()), &from_client(), SeqDelta(1));
        }
        for q in [Quoted { ip_off: big, ..q4 }, Quoted { ihl: big, ..q4 }] {
            assert!(icmp4_to_icmp6(&p4, &ip4, &q, &mut out, &to_client()).is_err());
        }
        let _ = icmp4_to_icmp6(&p4, &Ipv4 { ihl: big, tot_len: big, ..ip4 }, &q4, &mut out, &to_client());
        assert!(parse_icmp4_error(&p4, &Ipv4 { tot_len: big, ..ip4 }).is_err());
        let t6 = tcp_v6(client(), vip(), 1, 2, tcp_flags::ACK, &[], b"");
        let i6 = parse_ipv6(&t6, t6.len()).unwrap();
        let mut h = [0u8; 40];
        let mut l = t6[40..].to_vec();
        for ip in [Ipv6 { tot_len: big, ..i6 }, Ipv6 { l4_off: big, ..i6 }, Ipv6 { tot_len: 0, ..i6 }] {
            let _ = v6_to_v4(&ip, &mut h, &mut l, &to_rs(), 0, FieldState::Full);
        }
        let t4 = tcp_v4([1, 2, 3, 4], [5, 6, 7, 8], 1, 2, tcp_flags::ACK, &[], b"");
        let i4 = parse_ipv4(&t4, t4.len()).unwrap();
        let mut l = t4[20..].to_vec();
        assert_eq!(v4_to_v6(&Ipv4 { tot_len: big, ..i4 }, 0, &mut h, &mut l, &from_client(), FieldState::Full), Err(Malformed::IpTotalLen));
        assert_eq!(v4_to_v6(&Ipv4 { tot_len: 0x1_0014, ..i4 }, 0, &mut h, &mut l, &from_client(), FieldState::Full), Err(Malformed::IpTotalLen));
        assert_eq!(v4_to_v6(&Ipv4 { ihl: big, ..i4 }, 0, &mut h, &mut l, &from_client(), FieldState::Full), Err(Malformed::IpTotalLen));

        // Random transport packets cut short: translation refuses, no panic.
        let mut r = Lcg(11);
        for _ in 0..3000 {
            let p6 = udp_v6(r.addr(), vip(), 1, 2, &r.bytes(20));
            let ip6 = parse_ipv6(&p6, p6.len()).unwrap();
            let (h, l) = (r.below(30), r.below(30));
            let mut hb = vec![0u8; h];
            let mut lb = p6[40..].to_vec();
            lb.truncate(l);
            let res = v6_to_v4(&ip6, &mut hb, &mut lb, &to_rs(), 0, FieldState::Full);
            assert_eq!(res.is_ok(), h >= 20 && l >= 8);
            let p4 = udp_v4(r.next(), r.next(), 1, 2, &r.bytes(20), r.below(2) == 0);
            let ip4 = parse_ipv4(&p4, p4.len()).unwrap();
            let (h, l) = (r.below(50), r.below(30));
            let mut hb = vec![0u8; h];
            let mut lb = p4[20..].to_vec();
            lb.truncate(l);
            let _ = v4_to_v6(&ip4, 0, &mut hb, &mut lb, &from_client(), FieldState::Full);
        }
    }
}
