// SPDX-License-Identifier: GPL-2.0
//! What the packet path knows of a packet once its headers are parsed: the
//! context every step after parsing is handed, instead of a list of
//! arguments.

use crate::kern::{NetRef, Skb};
use crate::rvs_core::nat::Tuple;
use crate::rvs_core::packet::{self, tcp_flags, IPPROTO_TCP};

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
    pub(crate) ip: packet::Ipv4,
    pub(crate) l4: L4,
    /// Bytes from the network header on (`skb->len`).
    pub(crate) len: usize,
    /// Its own 4-tuple (source, destination), as the connection table keys
    /// one direction.
    pub(crate) tuple: Tuple,
}

impl Pkt {
    /// The transport header of `skb`, whose IP header `ip` says TCP or UDP
    /// and no fragment; `None` if it is malformed.
    pub(crate) fn parse(skb: &mut Skb, net: NetRef, ip: packet::Ipv4, len: usize) -> Option<Pkt> {
        let l4 = parse_l4(skb, &ip)?;
        let tuple = Tuple::v4(ip.saddr, ip.daddr, l4.sport, l4.dport);
        Some(Pkt { net, ip, l4, len, tuple })
    }
}

fn parse_l4(skb: &mut Skb, ip: &packet::Ipv4) -> Option<L4> {
    let l4_len = ip.tot_len - ip.ihl;
    if ip.proto == IPPROTO_TCP {
        let first = skb.pull(ip.ihl + 20)?;
        let doff = ((first[ip.ihl + 12] >> 4) as usize) * 4;
        // Options (most segments have none) need a second pull.
        let h = if doff <= 20 { first } else { skb.pull(ip.ihl + doff)? };
        let t = packet::parse_tcp(&h[ip.ihl..], l4_len).ok()?;
        Some(L4 { sport: t.sport, dport: t.dport, hlen: t.doff, tcp: Some((t.flags, t.seq, t.ack_seq)) })
    } else {
        let h = skb.pull(ip.ihl + 8)?;
        let u = packet::parse_udp(&h[ip.ihl..], l4_len).ok()?;
        Some(L4 { sport: u.sport, dport: u.dport, hlen: 8, tcp: None })
    }
}
