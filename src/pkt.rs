// SPDX-License-Identifier: GPL-2.0
//! What the packet path knows of a packet once its headers are parsed: the
//! context every step after parsing is handed, instead of a list of
//! arguments.

use crate::kern::{NetRef, Skb};
use crate::rvs_core::addr::{Addr, Family};
use crate::rvs_core::ipv6::{self, IPV6_HDR_LEN};
use crate::rvs_core::nat::Tuple;
use crate::rvs_core::packet::{self, tcp_flags, Malformed, IPPROTO_TCP};

/// What the network header told us, of either family.
#[derive(Clone, Copy)]
pub(crate) struct NetHdr {
    pub(crate) family: Family,
    pub(crate) saddr: Addr,
    pub(crate) daddr: Addr,
    /// Transport protocol (IPv6: after the extension headers).
    pub(crate) proto: u8,
    /// Offset of the transport header (IPv4: the header length; IPv6: past
    /// the extension headers).
    pub(crate) l4_off: usize,
    /// Bytes the network header says the packet has from its start.
    pub(crate) tot_len: usize,
    /// A fragment (IPv4: more fragments or an offset; IPv6: a fragment
    /// header that is not an atomic fragment's).
    pub(crate) fragment: bool,
    /// IPv6: a routing header with segments left, for the stack to act
    /// on; never set for IPv4.
    pub(crate) routing_pending: bool,
}

impl NetHdr {
    /// Parses the network header of `skb` (of family `f`, its data at the
    /// network header, `len` bytes from there: `skb.len()`), pulling what
    /// it needs into the linear area: the fixed header, and for IPv6 the
    /// extension headers after it.
    #[inline]
    pub(crate) fn parse(skb: &mut Skb, f: Family, len: usize) -> Result<NetHdr, Malformed> {
        match f {
            Family::V4 => {
                let ip = packet::parse_ipv4(skb.pull(20).ok_or(Malformed::IpTruncated)?, len)?;
                Ok(NetHdr {
                    family: f,
                    saddr: Addr::v4(ip.saddr),
                    daddr: Addr::v4(ip.daddr),
                    proto: ip.proto,
                    l4_off: ip.ihl,
                    tot_len: ip.tot_len,
                    fragment: ip.fragment,
                    routing_pending: false,
                })
            }
            Family::V6 => {
                // Most packets carry no extension header: one pull of the
                // fixed header. Otherwise more, as far as the packet goes.
                let mut r = ipv6::parse_ipv6(skb.pull(IPV6_HDR_LEN).ok_or(Malformed::IpTruncated)?, len);
                for more in [IPV6_HDR_LEN + 1024, len] {
                    match r {
                        Err(Malformed::IpTruncated) if more.min(len) > IPV6_HDR_LEN => {
                            r = ipv6::parse_ipv6(skb.pull(more.min(len)).ok_or(Malformed::IpTruncated)?, len);
                        }
                        _ => break,
                    }
                }
                let ip = r?;
                Ok(NetHdr {
                    family: f,
                    saddr: Addr::v6(ip.saddr),
                    daddr: Addr::v6(ip.daddr),
                    proto: ip.proto,
                    l4_off: ip.l4_off,
                    tot_len: ip.tot_len,
                    fragment: ip.is_fragment(),
                    routing_pending: ip.routing_pending,
                })
            }
        }
    }
}

/// What the transport header told us.
#[derive(Clone, Copy)]
pub(crate) struct L4 {
    pub(crate) sport: u16,
    pub(crate) dport: u16,
    /// Header length (TCP data offset, or 8 for UDP).
    pub(crate) hlen: usize,
    /// TCP flags, sequence and acknowledgement numbers; `None` for UDP.
    pub(crate) tcp: Option<(u8, u32, u32)>,
}

impl L4 {
    /// A SYN without ACK, RST or FIN: what opens a connection.
    pub(crate) fn is_bare_syn(&self) -> bool {
        matches!(self.tcp, Some((f, _, _)) if f & (tcp_flags::SYN | tcp_flags::ACK | tcp_flags::RST | tcp_flags::FIN) == tcp_flags::SYN)
    }
}

/// A TCP or UDP packet at LOCAL_IN, parsed.
pub(crate) struct Pkt {
    /// The namespace whose hook saw it.
    pub(crate) net: NetRef,
    pub(crate) ip: NetHdr,
    pub(crate) l4: L4,
    /// Bytes from the network header on (`skb->len`).
    pub(crate) len: usize,
    /// Its own 4-tuple (source, destination), as the connection table keys
    /// one direction.
    pub(crate) tuple: Tuple,
}

impl Pkt {
    /// The transport header of `skb`, whose network header `ip` says TCP
    /// or UDP and no fragment; `None` if it is malformed.
    #[inline]
    pub(crate) fn parse(skb: &mut Skb, net: NetRef, ip: NetHdr, len: usize) -> Option<Pkt> {
        let l4 = parse_l4(skb, &ip)?;
        let tuple = Tuple { saddr: ip.saddr, daddr: ip.daddr, sport: l4.sport, dport: l4.dport };
        Some(Pkt { net, ip, l4, len, tuple })
    }
}

#[inline]
fn parse_l4(skb: &mut Skb, ip: &NetHdr) -> Option<L4> {
    let off = ip.l4_off;
    let l4_len = ip.tot_len.checked_sub(off)?;
    if ip.proto == IPPROTO_TCP {
        let first = skb.pull(off + 20)?;
        let doff = ((first[off + 12] >> 4) as usize) * 4;
        // Options (most segments have none) need a second pull.
        let h = if doff <= 20 { first } else { skb.pull(off + doff)? };
        let t = packet::parse_tcp(&h[off..], l4_len).ok()?;
        Some(L4 { sport: t.sport, dport: t.dport, hlen: t.doff, tcp: Some((t.flags, t.seq, t.ack_seq)) })
    } else {
        let h = skb.pull(off + 8)?;
        let u = packet::parse_udp(&h[off..], l4_len).ok()?;
        Some(L4 { sport: u.sport, dport: u.dport, hlen: 8, tcp: None })
    }
}
