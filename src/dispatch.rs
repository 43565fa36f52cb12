// SPDX-License-Identifier: GPL-2.0
//! The packet path's entry, as upstream's ip_vs_core.c: what the hooks
//! hand over is parsed, looked up in the connection table and sent on its
//! way. A packet of a known connection goes through SYNPROXY's checks
//! (when the director made its handshake) to `forward`; a packet of no
//! connection to a service opens one (`schedule`), or is SYNPROXY's to
//! answer; an ICMP error about a packet rvs sent is translated for the
//! other side (across the families for NAT64: `nat64_icmp`); everything
//! else is the stack's. The defence switches drop
//! what targets a VIP but no service. NAT real servers' answers are not
//! addressed to the director: the FORWARD hook catches them (and the ICMP
//! errors going the same way) as they pass. Nothing below this file calls
//! back into it.

use crate::conn_table::Conn;
use crate::forward::forward;
use crate::kern::{HookState, NetRef, RcuGuard, Skb, Verdict};
use crate::pkt::{NetHdr, Pkt};
use crate::rvs_core::addr::{Addr, Family};
use crate::rvs_core::ipv6;
use crate::rvs_core::nat::Tuple;
use crate::rvs_core::packet::{self, Malformed, IPPROTO_ICMP, IPPROTO_TCP, IPPROTO_UDP};
use crate::rvs_core::method::Method;
use crate::rvs_core::{icmp, icmp6};
use crate::rvs_core::seq::SeqDelta;
use crate::rvs_core::tcp_state::{Dir, TcpState};
use crate::schedule::{self, Opening};
use crate::stats::Ctr;
use crate::{nat64_icmp, synproxy, xmit, State};
use core::sync::atomic::Ordering::Relaxed;

/// The LOCAL_IN hook (called by `kern::netfilter`, inside the hook's RCU
/// read section `g`).
pub(crate) fn local_in(st: &State, g: &RcuGuard, skb: Skb, state: &HookState<'_>, f: Family) -> Verdict {
    let net = state.net();
    // Registered only where rvs works (see `ServiceSet::hook_newcomers`);
    // checked all the same, for the moment between a namespace's hooks
    // and its first service being published.
    if !st.svcs.read(g).works_in(net) {
        return skb.accept();
    }
    process(st, g, skb, net, f)
}

/// The FORWARD hook: NAT real servers' answers on their way through the
/// director to the client, and ICMP errors about NAT connections going
/// the same way, as upstream's ip_vs_reply4 and ip_vs_forward_icmp;
/// every other forwarded packet goes on untouched. A namespace where no
/// NAT real server was ever configured pays one load per forwarded
/// packet; one where one was, a connection lookup (as IPVS's).
pub(crate) fn forward_hook(st: &State, g: &RcuGuard, mut skb: Skb, state: &HookState<'_>, f: Family) -> Verdict {
    let net = state.net();
    if !net.settings().nat.load(Relaxed) || !st.svcs.read(g).works_in(net) {
        return skb.accept();
    }
    let mut len = skb.len();
    let Ok(mut ip) = NetHdr::parse(&mut skb, f, len) else {
        return skb.accept();
    };
    // An IPv4 answer of a NAT real server may come in fragments (a large
    // UDP datagram): gathered into the datagram first, as IPVS does, to
    // be translated whole (the stack fragments it again on its way out).
    // Only TCP and UDP, as IPVS; IPv6 fragments pass as they are.
    if ip.fragment && f == Family::V4 && matches!(ip.proto, IPPROTO_TCP | IPPROTO_UDP) {
        skb = match skb.gather_frags(net) {
            Ok(whole) => whole,
            Err(v) => return v,
        };
        len = skb.len();
        ip = match NetHdr::parse(&mut skb, f, len) {
            Ok(ip) if !ip.fragment => ip,
            _ => return skb.accept(),
        };
    }
    if ip.fragment || ip.routing_pending {
        return skb.accept();
    }
    match (f, ip.proto) {
        (Family::V4, IPPROTO_ICMP) => return icmp_error(st, g, skb, net, &ip, len, At::Forward),
        (Family::V6, ipv6::IPPROTO_ICMPV6) => return icmp6_error(st, g, skb, net, &ip, len, At::Forward),
        (_, IPPROTO_TCP | IPPROTO_UDP) => {}
        _ => return skb.accept(),
    }
    // A malformed packet passing through is not known to be rvs's: the
    // stack forwards it as it would without rvs.
    let Some(p) = Pkt::parse(&mut skb, net, ip, len) else {
        return skb.accept();
    };
    match st.conns.lookup(g, net, ip.proto, &p.tuple) {
        Some((c, Dir::Out)) if c.method == Method::Nat => forward(st, g, skb, &p, c, Dir::Out),
        _ => skb.accept(),
    }
}

/// Which hook an ICMP error came through.
#[derive(Clone, Copy, PartialEq, Eq)]
enum At {
    /// Addressed to the director (a VIP, a LADDR).
    LocalIn,
    /// Passing through it (to a NAT connection's client).
    Forward,
}

/// The PRE_ROUTING hook: the fragment guard. Every packet of the
/// namespace passes the hook; only IPv4 fragments and IPv6 packets with
/// an extension header come here (the hook's C part, in kern/helpers.c).
pub(crate) fn pre_routing(st: &State, g: &RcuGuard, skb: Skb, state: &HookState<'_>, f: Family) -> Verdict {
    if !state.net().settings().drop_frag.load(Relaxed) {
        return skb.accept();
    }
    match f {
        Family::V4 => guard_v4(st, g, skb, state),
        Family::V6 => guard_v6(st, g, skb, state),
    }
}

/// The fragment guard for IPv4.
fn guard_v4(st: &State, g: &RcuGuard, mut skb: Skb, state: &HookState<'_>) -> Verdict {
    let len = skb.len();
    let Some(Ok(ip)) = skb.pull(20).map(|h| packet::parse_ipv4(h, len)) else {
        return skb.accept();
    };
    if !ip.fragment {
        return skb.accept();
    }
    drop_if_vip(st, g, skb, state.net(), &Addr::v4(ip.daddr))
}

/// The fragment guard for IPv6. IPv6 reassembles after LOCAL_IN (unless
/// conntrack's defragmentation runs), so without the guard a fragment
/// to a VIP is the stack's, never forwarded.
fn guard_v6(st: &State, g: &RcuGuard, mut skb: Skb, state: &HookState<'_>) -> Verdict {
    let len = skb.len();
    let Ok(ip) = NetHdr::parse(&mut skb, Family::V6, len) else {
        return skb.accept();
    };
    if !ip.fragment {
        return skb.accept();
    }
    drop_if_vip(st, g, skb, state.net(), &ip.daddr)
}

/// A fragment to a VIP is dropped and counted; any other goes on.
fn drop_if_vip(st: &State, g: &RcuGuard, skb: Skb, net: NetRef, daddr: &Addr) -> Verdict {
    let set = st.svcs.read(g);
    if set.is_vip(net, IPPROTO_TCP, daddr) || set.is_vip(net, IPPROTO_UDP, daddr) {
        st.stats.inc(Ctr::DropFrag);
        return skb.discard();
    }
    skb.accept()
}

/// One packet at LOCAL_IN (or one SYNPROXY kept, released): the hook's
/// verdict.
pub(crate) fn process(st: &State, g: &RcuGuard, mut skb: Skb, net: NetRef, f: Family) -> Verdict {
    let len = skb.len();
    let ip = match NetHdr::parse(&mut skb, f, len) {
        Ok(ip) => ip,
        // The stack validated the fixed header before LOCAL_IN; what rvs
        // cannot parse (an IPv6 header chain past its limits, say) is not
        // its to forward.
        Err(_) => return skb.accept(),
    };
    if f == Family::V4 && ip.proto == IPPROTO_ICMP && !ip.fragment {
        return icmp_error(st, g, skb, net, &ip, len, At::LocalIn);
    }
    if f == Family::V6 && ip.proto == ipv6::IPPROTO_ICMPV6 && !ip.fragment {
        return icmp6_error(st, g, skb, net, &ip, len, At::LocalIn);
    }
    if ip.proto != IPPROTO_TCP && ip.proto != IPPROTO_UDP || ip.fragment || ip.routing_pending {
        return skb.accept();
    }
    let Some(p) = Pkt::parse(&mut skb, net, ip, len) else {
        if st.svcs.read(g).is_vip(net, ip.proto, &ip.daddr) {
            st.stats.inc(Ctr::DropMalformed);
            return skb.discard();
        }
        return skb.accept();
    };
    match st.conns.lookup(g, net, ip.proto, &p.tuple) {
        // A client's new SYN on the tuple of a closing connection (the
        // client reuses its port while the entry waits out TIME_WAIT): a
        // new connection, scheduled afresh and with a fresh ISN, so the
        // real server takes it as new even from its own TIME_WAIT.
        Some((c, Dir::In)) if p.l4.is_bare_syn() && c.state().is_closing() && c.retire() => new_conn(st, g, skb, &p),
        Some((c, dir)) => {
            if let Some(sp) = c.sp.as_deref() {
                skb = match synproxy::before_forward(st, skb, &p, c, sp, dir) {
                    Ok(skb) => skb,
                    Err(verdict) => return verdict,
                };
            }
            forward(st, g, skb, &p, c, dir)
        }
        None => new_conn(st, g, skb, &p),
    }
}

/// An ICMP error about a packet rvs sent: translated for the other side of
/// the connection (outer addresses, quoted header, quoted sequence number).
/// Through the FORWARD hook (`at`), only one going to a NAT connection's
/// client is rvs's.
fn icmp_error(st: &State, g: &RcuGuard, mut skb: Skb, net: NetRef, ip: &NetHdr, len: usize, at: At) -> Verdict {
    // ICMP errors are small (the quote is at most 576 bytes in all): take
    // the whole message linear and writable only once it is ours.
    let end = ip.tot_len.min(len);
    let q = match skb.pull(end).map(|p| icmp::parse_error(p, ip.l4_off)) {
        Some(Ok(Some(q))) => q,
        // One passing through is not known to be about a connection of
        // rvs's: the stack forwards it as a router does.
        Some(Err(Malformed::IcmpChecksum)) if at == At::LocalIn => {
            st.stats.inc(Ctr::DropMalformed);
            return skb.discard();
        }
        // Not an error about TCP/UDP, or a quote too short to be about one
        // of our connections: the stack's business.
        _ => return skb.accept(),
    };
    // The quoted packet is one rvs sent; its reverse is the key a packet
    // of the connection carries.
    let Some((c, dir)) = st.conns.lookup(g, net, q.proto, &q.tuple.reversed()) else {
        return skb.accept();
    };
    if at == At::Forward && !(c.method == Method::Nat && dir == Dir::Out) {
        return skb.accept();
    }
    if !plausible(ip, &q.tuple) {
        st.stats.inc(Ctr::DropMalformed);
        return skb.discard();
    }
    if c.method.keeps_addresses() {
        return pass_on_icmp(st, g, skb, len, c, dir);
    }
    if nat64_icmp::crosses(c) {
        return nat64_icmp::icmp4_to_client(st, skb, net, ip, len, c, dir);
    }
    // FULLNAT and NAT pass the MTU on as it is: one under the kernel's
    // floor would only pull the other side's path MTU down to it.
    if skb.pull(end).map(|p| icmp::check_frag_needed(p, ip.l4_off)) != Some(Ok(())) {
        st.stats.inc(Ctr::DropMalformed);
        return skb.discard();
    }
    if c.method == Method::Nat {
        let (outer, inner) = nat_icmp_ends(ip, c, dir);
        let Some(buf) = skb.writable(end) else {
            st.stats.inc(Ctr::DropNoMem);
            return skb.discard();
        };
        icmp::rewrite_error(buf, ip.l4_off, &q, (outer.0.low32(), outer.1.low32()), &inner, SeqDelta(0));
        return nat_icmp_send(st, skb, net, &outer, dir, Family::V4);
    }
    let (outer, inner, seq) = match dir {
        // Quoted: VIP -> client, sent to the client. The error came from the
        // client's side; it goes to the real server about its own packet.
        Dir::In => (
            (c.out_t.daddr.low32(), c.out_t.saddr.low32()),
            c.out_t,
            SeqDelta(0u32.wrapping_sub(c.sp.as_deref().map_or(0, |sp| sp.seq_out().0))),
        ),
        // Quoted: LADDR -> RS. It goes to the client about its own packet,
        // the sequence number back in the client's space.
        Dir::Out => ((c.in_t.daddr.low32(), c.in_t.saddr.low32()), c.in_t, SeqDelta(0u32.wrapping_sub(c.seq_in.0))),
    };
    let Some(buf) = skb.writable(end) else {
        st.stats.inc(Ctr::DropNoMem);
        return skb.discard();
    };
    icmp::rewrite_error(buf, ip.l4_off, &q, outer, &inner, seq);
    st.stats.inc(Ctr::IcmpFwd);
    if skb.route(net, &Addr::v4(outer.0), &Addr::v4(outer.1)).is_err() {
        st.stats.inc(Ctr::DropNoRoute);
        return skb.discard();
    }
    xmit::send(st, skb, net, Family::V4)
}

/// An ICMP or ICMPv6 error about a packet the real server sent the client
/// itself (direct routing, tunnelling: it quotes VIP -> client): passed on
/// unchanged to the real server by the connection's method, as IPVS
/// passes it, so that its stack learns the path MTU or the failure.
/// Only an error about the real server's answer is the real server's
/// (`dir` In: the quoted packet's reverse is the client's side); one
/// quoting client -> VIP concerns a client on this host: the stack's.
fn pass_on_icmp(st: &State, g: &RcuGuard, skb: Skb, len: usize, c: &Conn, dir: Dir) -> Verdict {
    if dir != Dir::In {
        return skb.accept();
    }
    st.stats.inc(Ctr::IcmpFwd);
    xmit::as_is(st, g, skb, len, c)
}

/// The outer addresses and the quoted tuple an ICMP error about NAT
/// connection `c`, travelling `dir`, takes (as upstream's ip_vs_nat_icmp).
/// In: it came from the client's side about the answer (VIP -> client)
/// and goes on, from the same sender, to the real server about its own
/// (RS -> client). Out: it came from the real server's side about the
/// client's packet as it left (client -> RS) and goes on to the client,
/// from the VIP, about the packet it sent (client -> VIP).
fn nat_icmp_ends(ip: &NetHdr, c: &Conn, dir: Dir) -> ((Addr, Addr), Tuple) {
    match dir {
        Dir::In => ((ip.saddr, c.dest.addr), c.out_t),
        Dir::Out => ((c.in_t.daddr, c.in_t.saddr), c.in_t),
    }
}

/// Sends an ICMP error rewritten for NAT: toward the real server routed
/// and sent from here; toward the client it goes on where the stack was
/// taking it (forwarded, or delivered to a client on this host).
fn nat_icmp_send(st: &State, mut skb: Skb, net: NetRef, outer: &(Addr, Addr), dir: Dir, f: Family) -> Verdict {
    st.stats.inc(Ctr::IcmpFwd);
    if dir == Dir::Out {
        skb.rewritten();
        return skb.accept();
    }
    if skb.route(net, &outer.0, &outer.1).is_err() {
        st.stats.inc(Ctr::DropNoRoute);
        return skb.discard();
    }
    xmit::send(st, skb, net, f)
}

/// Whether an ICMP error about a packet of ours that was `quoted` can be
/// genuine: errors go to the sender of the packet they quote (RFC 792,
/// RFC 4443), here the VIP or the LADDR. One sent elsewhere (a client
/// quoting the real server's side of its own connection, say) is not
/// translated.
fn plausible(ip: &NetHdr, quoted: &Tuple) -> bool {
    ip.daddr == quoted.saddr
}

/// An ICMPv6 error about a packet rvs sent, as [`icmp_error`] for IPv4:
/// translated for the other side of the connection (outer addresses,
/// quoted header, ports and sequence number; the MTU of a Packet Too Big
/// as it is, FULLNAT's headers being the same size on both sides). One
/// addressed to the director whose checksum does not verify, or a Packet
/// Too Big under IPv6's minimum MTU, is dropped and counted, as IPVS
/// drops them: forwarding it with a fresh checksum would vouch for it
/// (one only passing through is the stack's, as for IPv4).
fn icmp6_error(st: &State, g: &RcuGuard, mut skb: Skb, net: NetRef, ip: &NetHdr, len: usize, at: At) -> Verdict {
    let end = ip.tot_len.min(len);
    let parsed = skb.pull(end).map(|p| ipv6::parse_ipv6(p, len).and_then(|h| icmp6::parse_error(p, &h)));
    let q = match parsed {
        Some(Ok(Some(q))) => q,
        // As for IPv4: one passing through is the stack's to forward.
        Some(Err(Malformed::IcmpChecksum | Malformed::IcmpMtu)) if at == At::LocalIn => {
            st.stats.inc(Ctr::DropMalformed);
            return skb.discard();
        }
        // Not an error about TCP/UDP, or one rvs cannot read: the stack's.
        _ => return skb.accept(),
    };
    let Some((c, dir)) = st.conns.lookup(g, net, q.proto, &q.tuple.reversed()) else {
        return skb.accept();
    };
    if at == At::Forward && !(c.method == Method::Nat && dir == Dir::Out) {
        return skb.accept();
    }
    if !plausible(ip, &q.tuple) {
        st.stats.inc(Ctr::DropMalformed);
        return skb.discard();
    }
    if c.method.keeps_addresses() {
        return pass_on_icmp(st, g, skb, len, c, dir);
    }
    if nat64_icmp::crosses(c) {
        return nat64_icmp::icmp6_to_server(st, skb, net, ip, len, c, dir);
    }
    if c.method == Method::Nat {
        let (outer, inner) = nat_icmp_ends(ip, c, dir);
        let Some(buf) = skb.writable(end) else {
            st.stats.inc(Ctr::DropNoMem);
            return skb.discard();
        };
        if icmp6::rewrite_error(buf, &q, (outer.0.octets(), outer.1.octets()), &inner, SeqDelta(0)).is_err() {
            return skb.discard();
        }
        return nat_icmp_send(st, skb, net, &outer, dir, Family::V6);
    }
    let (outer, inner, seq) = match dir {
        Dir::In => (
            (c.out_t.daddr, c.out_t.saddr),
            c.out_t,
            SeqDelta(0u32.wrapping_sub(c.sp.as_deref().map_or(0, |sp| sp.seq_out().0))),
        ),
        Dir::Out => ((c.in_t.daddr, c.in_t.saddr), c.in_t, SeqDelta(0u32.wrapping_sub(c.seq_in.0))),
    };
    let Some(buf) = skb.writable(end) else {
        st.stats.inc(Ctr::DropNoMem);
        return skb.discard();
    };
    if icmp6::rewrite_error(buf, &q, (outer.0.octets(), outer.1.octets()), &inner, seq).is_err() {
        return skb.discard();
    }
    st.stats.inc(Ctr::IcmpFwd);
    if skb.route(net, &outer.0, &outer.1).is_err() {
        st.stats.inc(Ctr::DropNoRoute);
        return skb.discard();
    }
    xmit::send(st, skb, net, Family::V6)
}

/// A packet without a connection: for a service, a new connection (TCP:
/// only from a SYN, or for SYNPROXY from the ACK with its cookie);
/// otherwise not ours.
fn new_conn(st: &State, g: &RcuGuard, skb: Skb, p: &Pkt) -> Verdict {
    let (net, ip, vip) = (p.net, &p.ip, &p.tuple.daddr);
    let set = st.svcs.read(g);
    let Some(svc) = set.find(net, ip.proto, vip, p.l4.dport) else {
        // Defence switches: traffic to a VIP that no service takes.
        if ip.proto == IPPROTO_TCP && set.is_vip(net, IPPROTO_TCP, vip) && net.settings().drop_tcp_port.load(Relaxed) {
            st.stats.inc(Ctr::DropVipPort);
            return skb.discard();
        }
        if ip.proto == IPPROTO_UDP
            && !set.is_vip(net, IPPROTO_UDP, vip)
            && set.is_vip(net, IPPROTO_TCP, vip)
            && net.settings().drop_udp_tcp_vip.load(Relaxed)
        {
            st.stats.inc(Ctr::DropUdpTcpVip);
            return skb.discard();
        }
        return skb.accept();
    };
    if p.l4.tcp.is_some() && svc.synproxy {
        return synproxy::no_conn(st, g, skb, p, svc);
    }
    let how = match p.l4.tcp {
        Some((_, seq, _)) => {
            if !p.l4.is_bare_syn() {
                st.stats.inc(Ctr::DropNoConn);
                return skb.discard();
            }
            Opening { state: TcpState::SynSent, syn_seq: Some(seq), sp: None }
        }
        // UDP flows count as inactive, as upstream lists them.
        None => Opening { state: TcpState::None, syn_seq: None, sp: None },
    };
    match schedule::open(st, g, svc, p, how) {
        // The SYN itself moves nothing: SynSent is where a client SYN leads.
        Ok(c) => forward(st, g, skb, p, c, Dir::In),
        Err(()) => skb.discard(),
    }
}
