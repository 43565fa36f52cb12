// SPDX-License-Identifier: GPL-2.0
//! The FULLNAT packet path (IPv4, TCP and UDP), from the LOCAL_IN hook:
//! client -> VIP:vport becomes LADDR:lport -> RS:rport, and the real
//! server's reply to LADDR:lport becomes VIP:vport -> client.

use crate::conn_table::{Conn, Control, InsertError, TEMPLATE};
use crate::service::{Dest, Service, ServiceSet};
use crate::synproxy::{self, SynproxyCtx};
use core::pin::Pin;
use kernel::prelude::KBox;
use kernel::sync::Arc;
use crate::kern::{self, HookState, NetRef, RcuGuard, Skb, Verdict};
use crate::rvs_core::nat::{self, Tuple4};
use crate::rvs_core::csum::FieldState;
use crate::rvs_core::icmp;
use crate::rvs_core::packet::{self, IPPROTO_ICMP, IPPROTO_TCP, IPPROTO_UDP};
use crate::rvs_core::seq::SeqDelta;
use crate::rvs_core::tcp_state::{self, Dir, Event, TcpState};
use crate::rvs_core::{lport, packet::tcp_flags, tcpopt, toa};
use core::sync::atomic::Ordering::Relaxed;
use crate::stats::{self, Ctr, ObjCtr};
use crate::State;

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

/// Parses the transport header; `Err(())` means malformed.
fn parse_l4(skb: &mut Skb, ip: &packet::Ipv4) -> core::result::Result<L4, ()> {
    let l4_len = ip.tot_len - ip.ihl;
    match ip.proto {
        IPPROTO_TCP => {
            let first = skb.pull(ip.ihl + 20).ok_or(())?;
            let doff = ((first[ip.ihl + 12] >> 4) as usize) * 4;
            // Options (most segments have none) need a second pull.
            let h = if doff <= 20 { first } else { skb.pull(ip.ihl + doff).ok_or(())? };
            let t = packet::parse_tcp(&h[ip.ihl..], l4_len).map_err(|_| ())?;
            Ok(L4 { sport: t.sport, dport: t.dport, hlen: t.doff, tcp: Some((t.flags, t.seq, t.ack_seq)) })
        }
        _ => {
            let h = skb.pull(ip.ihl + 8).ok_or(())?;
            let u = packet::parse_udp(&h[ip.ihl..], l4_len).map_err(|_| ())?;
            Ok(L4 { sport: u.sport, dport: u.dport, hlen: 8, tcp: None })
        }
    }
}

/// The LOCAL_IN hook (called by `kern::netfilter`, inside the hook's RCU
/// read section `g`).
pub(crate) fn local_in(st: &State, g: &RcuGuard, skb: Skb, state: &HookState<'_>) -> Verdict {
    let net = state.net();
    // Registered only where rvs works (see `ServiceSet::hook_newcomers`);
    // checked all the same, for the moment between a namespace's hooks
    // and its first service being published.
    if !st.svcs.read(g).works_in(net) {
        return skb.accept();
    }
    process(st, g, skb, net)
}

/// The PRE_ROUTING hook: the fragment guard.
pub(crate) fn pre_routing(st: &State, g: &RcuGuard, mut skb: Skb, state: &HookState<'_>) -> Verdict {
    if !st.settings.drop_frag.load(Relaxed) {
        return skb.accept();
    }
    // Every packet of the namespace passes here: the common case (not a
    // fragment) costs one read of the validated header.
    if !skb.pre_routing_is_fragment() {
        return skb.accept();
    }
    let len = skb.len();
    let Some(Ok(ip)) = skb.pull(20).map(|h| packet::parse_ipv4(h, len)) else {
        return skb.accept();
    };
    if !ip.fragment {
        return skb.accept();
    }
    let (set, net) = (st.svcs.read(g), state.net());
    if set.is_vip(net, IPPROTO_TCP, ip.daddr) || set.is_vip(net, IPPROTO_UDP, ip.daddr) {
        st.stats.inc(Ctr::DropFrag);
        return skb.discard();
    }
    skb.accept()
}

/// One packet at LOCAL_IN (or one SYNPROXY kept, released): the hook's
/// verdict.
pub(crate) fn process(st: &State, g: &RcuGuard, mut skb: Skb, net: NetRef) -> Verdict {
    let len = skb.len();
    let ip = match skb.pull(20).map(|h| packet::parse_ipv4(h, len)) {
        Some(Ok(ip)) => ip,
        // The stack validated the IP header before LOCAL_IN; not ours.
        _ => return skb.accept(),
    };
    if ip.proto == IPPROTO_ICMP && !ip.fragment {
        return icmp_error(st, g, skb, net, &ip, len);
    }
    if ip.proto != IPPROTO_TCP && ip.proto != IPPROTO_UDP || ip.fragment {
        return skb.accept();
    }
    let l4 = match parse_l4(&mut skb, &ip) {
        Ok(l4) => l4,
        Err(()) => {
            if st.svcs.read(g).is_vip(net, ip.proto, ip.daddr) {
                st.stats.inc(Ctr::DropMalformed);
                return skb.discard();
            }
            return skb.accept();
        }
    };
    let t = Tuple4 { saddr: ip.saddr, daddr: ip.daddr, sport: l4.sport, dport: l4.dport };
    match st.conns.lookup(g, net, ip.proto, &t) {
        // A client's new SYN on the tuple of a closing connection (the
        // client reuses its port while the entry waits out TIME_WAIT): a
        // new connection, scheduled afresh and with a fresh ISN, so the
        // real server takes it as new even from its own TIME_WAIT.
        Some((c, Dir::In)) if is_bare_syn(&l4) && c.state().is_closing() && c.retire() => {
            new_conn(st, g, skb, net, &ip, &l4, &t, len)
        }
        Some((c, dir)) => forward(st, g, skb, net, c, dir, &ip, &l4, len),
        None => new_conn(st, g, skb, net, &ip, &l4, &t, len),
    }
}

/// An ICMP error about a packet rvs sent: translated for the other side of
/// the connection (outer addresses, quoted header, quoted sequence number).
fn icmp_error(st: &State, g: &RcuGuard, mut skb: Skb, net: NetRef, ip: &packet::Ipv4, len: usize) -> Verdict {
    // ICMP errors are small (the quote is at most 576 bytes in all): take
    // the whole message linear and writable only once it is ours.
    let end = ip.tot_len.min(len);
    let q = match skb.pull(end).map(|p| icmp::parse_error(p, ip.ihl)) {
        Some(Ok(Some(q))) => q,
        // Not an error about TCP/UDP, or a quote too short to be about one
        // of our connections: the stack's business.
        _ => return skb.accept(),
    };
    // The quoted packet is one rvs sent; its reverse is the key a packet
    // of the connection carries.
    let Some((c, dir)) = st.conns.lookup(g, net, q.proto, &q.tuple.reversed()) else {
        return skb.accept();
    };
    let (outer, inner, seq) = match dir {
        // Quoted: VIP -> client, sent to the client. The error came from the
        // client's side; it goes to the real server about its own packet.
        Dir::In => (
            (c.out_t.daddr, c.out_t.saddr),
            c.out_t,
            SeqDelta(0u32.wrapping_sub(c.sp.as_deref().map_or(0, |sp| sp.seq_out().0))),
        ),
        // Quoted: LADDR -> RS. It goes to the client about its own packet,
        // the sequence number back in the client's space.
        Dir::Out => ((c.in_t.daddr, c.in_t.saddr), c.in_t, SeqDelta(0u32.wrapping_sub(c.seq_in.0))),
    };
    let Some(buf) = skb.writable(end) else {
        st.stats.inc(Ctr::DropNoMem);
        return skb.discard();
    };
    icmp::rewrite_error(buf, ip.ihl, &q, outer, &inner, seq);
    st.stats.inc(Ctr::IcmpFwd);
    if skb.route_v4(net, outer.0, outer.1).is_err() {
        st.stats.inc(Ctr::DropNoRoute);
        return skb.discard();
    }
    send(st, skb, net)
}

/// Sends a routed packet; the hook's verdict.
pub(crate) fn send(st: &State, skb: Skb, net: NetRef) -> Verdict {
    let (verdict, sent) = skb.output_v4(net);
    if sent.is_err() {
        st.stats.inc(Ctr::XmitErr);
    }
    verdict
}

/// The real server for a new connection: the scheduler's choice, or with
/// persistence the one the client's template remembers (a new template
/// when there is none), with the template's control block, which the new
/// connection joins. Each new connection renews the template for the
/// persistence timeout, and the template outlives every connection it
/// placed (see `expiring`).
fn pick_dest<'a>(
    st: &'a State,
    g: &'a RcuGuard,
    net: NetRef,
    svc: &'a Service,
    ip: &packet::Ipv4,
    l4: &L4,
    now: u64,
) -> Option<(&'a Arc<Dest>, Option<&'a Arc<Control>>)> {
    let p = svc.persist;
    if p.timeout == 0 {
        return svc.schedule(ip.saddr, l4.sport).map(|d| (d, None));
    }
    let key = Tuple4 { saddr: ip.saddr & p.mask, daddr: ip.daddr, sport: 0, dport: l4.dport };
    let placed = |t: &'a Conn| (&t.dest, t.control());
    if let Some((t, _)) = st.conns.lookup(g, net, ip.proto | TEMPLATE, &key) {
        t.refresh(now, p.timeout);
        return Some(placed(t));
    }
    let dest = svc.schedule(ip.saddr, l4.sport)?;
    let t = Conn::new_template(net, ip.proto, key, dest.clone(), svc.stats.clone(), p.timeout).ok()?;
    match st.conns.insert(g, t) {
        Ok(t) => {
            t.refresh(now, p.timeout);
            Some(placed(t))
        }
        // Another CPU made the template first: follow it.
        Err(InsertError::Exists) => st.conns.lookup(g, net, ip.proto | TEMPLATE, &key).map(|(t, _)| placed(t)),
        // No room for the template: schedule without persistence.
        Err(InsertError::Full) => Some((dest, None)),
        Err(InsertError::NoMem) => None,
    }
}

/// A SYN without ACK, RST or FIN: what opens a connection.
pub(crate) fn is_bare_syn(l4: &L4) -> bool {
    matches!(l4.tcp, Some((f, _, _)) if f & (tcp_flags::SYN | tcp_flags::ACK | tcp_flags::RST | tcp_flags::FIN) == tcp_flags::SYN)
}

/// Rewrites and sends a packet of connection `c` travelling `dir`.
#[allow(clippy::too_many_arguments)]
fn forward(st: &State, g: &RcuGuard, mut skb: Skb, net: NetRef, c: &Conn, dir: Dir, ip: &packet::Ipv4, l4: &L4, len: usize) -> Verdict {
    let sp = c.sp.as_deref();
    if let Some(sp) = sp {
        skb = match synproxy::before_forward(st, skb, net, c, sp, dir, ip, l4) {
            Ok(skb) => skb,
            Err(verdict) => return verdict,
        };
    }
    // SYNPROXY's offset for the server's sequence space (0 without).
    let sp_out = sp.map_or(SeqDelta(0), |sp| sp.seq_out());
    let now = kern::jiffies();
    match l4.tcp {
        Some((flags, _, ack_seq)) => {
            if flags & tcp_flags::ACK != 0 {
                c.saw_ack(dir, ack_seq);
            }
            let old = c.state();
            let mut ns = tcp_state::next(old, dir, Event::from_flags(flags));
            if ns == old && flags & tcp_flags::ACK != 0 && old == TcpState::LastAck {
                ns = tcp_state::next_after_ack_of_fin(old);
            }
            c.set_state(ns);
            c.refresh(now, st.settings.tcp_timeout(ns));
        }
        None => c.refresh(now, st.settings.udp_timeout()),
    }
    let (to, seq_d, ack_d, route, shared) = match dir {
        Dir::In => (
            Tuple4 { saddr: c.out_t.daddr, daddr: c.out_t.saddr, sport: c.out_t.dport, dport: c.out_t.sport },
            c.seq_in,
            sp_out,
            &c.route_in,
            Some(&c.dest.route),
        ),
        Dir::Out => (
            Tuple4 { saddr: c.in_t.daddr, daddr: c.in_t.saddr, sport: c.in_t.dport, dport: c.in_t.sport },
            sp_out,
            c.seq_in,
            &c.route_out,
            None,
        ),
    };
    let Ok(()) = skb.route_v4_cached(g, net, route, shared, to.saddr, to.daddr) else {
        st.stats.inc(Ctr::DropNoRoute);
        return skb.discard();
    };
    let csum = skb.csum_state();
    let Some(buf) = skb.writable(ip.ihl + l4.hlen) else {
        st.stats.inc(Ctr::DropNoMem);
        return skb.discard();
    };
    nat::rewrite_v4(buf, ip.ihl, &to, csum);
    if let Some((flags, _, _)) = l4.tcp {
        let tcp = &mut buf[ip.ihl..];
        // Options were validated at parse time: the edits cannot fail.
        let _ = nat::adjust_tcp_seq(tcp, l4.hlen, seq_d, ack_d, csum);
        if let Some(sp) = sp {
            if flags & tcp_flags::SYN == 0 {
                synproxy::map_window(sp, dir, tcp, csum);
            }
        }
        let syn = flags & (tcp_flags::SYN | tcp_flags::ACK);
        if l4.hlen > 20 {
            if dir == Dir::In && syn == tcp_flags::SYN && st.settings.ts_strip.load(Relaxed) {
                // Clients behind one LADDR would share the RS's PAWS state.
                let _ = nat::edit_tcp_options(tcp, l4.hlen, |o, c| tcpopt::strip_timestamp(o, c, csum));
            }
            if dir == Dir::Out && syn == tcp_flags::SYN | tcp_flags::ACK && st.settings.mss_adjust.load(Relaxed) {
                // Room for TOA in the client's segments.
                let _ = nat::edit_tcp_options(tcp, l4.hlen, |o, c| tcpopt::lower_mss(o, toa::LEN_V4 as u16, c, csum));
            }
        }
    }
    if let Some((flags, _, ack_seq)) = l4.tcp {
        match dir {
            Dir::In if c.wants_toa() && flags & (tcp_flags::SYN | tcp_flags::RST | tcp_flags::ACK) == tcp_flags::ACK => {
                let inserted = if st.settings.toa.load(Relaxed) {
                    let Ok(done) = insert_toa(st, &mut skb, c, ip, l4, len, csum) else {
                        st.stats.inc(Ctr::DropNoMem);
                        return skb.discard();
                    };
                    done
                } else {
                    false
                };
                if !inserted && l4.hlen > 20 {
                    // A TOA the client wrote itself must not reach the real
                    // server as ours (insert_v4 blanks it when it inserts).
                    if let Some(buf) = skb.writable(ip.ihl + l4.hlen) {
                        let _ = nat::edit_tcp_options(&mut buf[ip.ihl..], l4.hlen, |o, c| toa::neutralize(o, c, csum));
                    }
                }
            }
            Dir::Out if flags & tcp_flags::ACK != 0 => c.rs_acked(ack_seq),
            _ => {}
        }
    }
    stats::account_packet(&st.stats, &c.dest.stats, &c.svc_stats, c.laddr().map(|l| &l.stats), dir == Dir::In, len as u64);
    send(st, skb, net)
}

/// Builds, routes and sends a packet of rvs's own.
pub(crate) fn send_new(st: &State, spec: &packet::TcpSpec<'_>, net: NetRef) {
    let Some(mut skb) = Skb::alloc_v4(spec.wire_len()) else {
        st.stats.inc(Ctr::DropNoMem);
        return;
    };
    let Some(buf) = skb.writable(spec.wire_len()) else {
        st.stats.inc(Ctr::DropNoMem);
        return;
    };
    packet::write_tcp_v4(buf, spec);
    if skb.route_v4(net, spec.saddr, spec.daddr).is_err() {
        st.stats.inc(Ctr::DropNoRoute);
        return;
    }
    let (_, sent) = skb.output_v4(net);
    if sent.is_err() {
        st.stats.inc(Ctr::XmitErr);
    }
}

/// The collector found `c` expired: SYNPROXY may keep it for a retry
/// (true); an established TCP connection going away resets both ends
/// (`conn_expire_tcp_rst`), each at the sequence number it last
/// acknowledged, so that neither keeps a dead connection open.
pub(crate) fn expiring(st: &State, c: &Conn, now: u64) -> bool {
    // A template lives on while connections it placed do.
    if let Some(timeout) = c.template_in_use() {
        c.refresh(now, timeout);
        return true;
    }
    if c.sp.is_some() && synproxy::expiring(st, c, now) {
        return true;
    }
    if c.proto != IPPROTO_TCP || c.is_template() || c.state() != TcpState::Established || !st.settings.expire_rst.load(Relaxed) {
        return false;
    }
    let Some((client_ack, rs_ack)) = c.last_acks() else {
        return false;
    };
    let to_client = packet::TcpSpec {
        saddr: c.in_t.daddr,
        daddr: c.in_t.saddr,
        sport: c.in_t.dport,
        dport: c.in_t.sport,
        seq: client_ack,
        ack_seq: 0,
        flags: tcp_flags::RST,
        window: 0,
        ttl: 64,
        opts: &[],
    };
    let to_rs = packet::TcpSpec {
        saddr: c.out_t.daddr,
        daddr: c.out_t.saddr,
        sport: c.out_t.dport,
        dport: c.out_t.sport,
        seq: rs_ack,
        ..to_client
    };
    send_new(st, &to_client, c.net);
    send_new(st, &to_rs, c.net);
    st.stats.add(Ctr::ExpireRst, 2);
    false
}

/// Puts the client's address in a TOA option after the TCP header of a
/// client -> RS segment (already translated), or counts why it could not.
/// `Ok(true)` if it did, `Ok(false)` if the packet is unchanged, `Err` if
/// the room was made but not filled: the packet must be dropped.
#[allow(clippy::too_many_arguments)]
fn insert_toa(st: &State, skb: &mut Skb, c: &Conn, ip: &packet::Ipv4, l4: &L4, len: usize, csum: FieldState) -> core::result::Result<bool, ()> {
    let hl = ip.ihl + l4.hlen;
    // Aggregated packets would carry it in every segment: leave them be
    // (the handshake's ACK, which toa.ko reads, is never one).
    if skb.is_gso() || len + toa::LEN_V4 > skb.dst_mtu() || l4.hlen + toa::LEN_V4 > 60 || skb.insert_room(hl, toa::LEN_V4, ip.ihl).is_err() {
        st.stats.inc(Ctr::ToaNoRoom);
        return Ok(false);
    }
    // The room is made (the headers are private and linear, so neither
    // step below fails in practice); the packet must not leave half-built.
    let buf = skb.writable(hl + toa::LEN_V4).ok_or(())?;
    let client = c.in_t.saddr.to_be_bytes();
    if !toa::insert_v4(buf, ip.ihl, l4.hlen, client, c.in_t.sport, csum) {
        return Err(());
    }
    st.stats.inc(Ctr::ToaInserted);
    Ok(true)
}

/// A packet without a connection: for a service, a new connection (TCP:
/// only from a SYN, or for SYNPROXY from the ACK with its cookie);
/// otherwise not ours.
#[allow(clippy::too_many_arguments)]
fn new_conn(st: &State, g: &RcuGuard, skb: Skb, net: NetRef, ip: &packet::Ipv4, l4: &L4, t: &Tuple4, len: usize) -> Verdict {
    let set = st.svcs.read(g);
    let Some(svc) = set.find(net, ip.proto, ip.daddr, l4.dport) else {
        // Defence switches: traffic to a VIP that no service takes.
        if ip.proto == IPPROTO_TCP && set.is_vip(net, IPPROTO_TCP, ip.daddr) && st.settings.drop_tcp_port.load(Relaxed) {
            st.stats.inc(Ctr::DropVipPort);
            return skb.discard();
        }
        if ip.proto == IPPROTO_UDP
            && !set.is_vip(net, IPPROTO_UDP, ip.daddr)
            && set.is_vip(net, IPPROTO_TCP, ip.daddr)
            && st.settings.drop_udp_tcp_vip.load(Relaxed)
        {
            st.stats.inc(Ctr::DropUdpTcpVip);
            return skb.discard();
        }
        return skb.accept();
    };
    if l4.tcp.is_some() && svc.synproxy {
        return synproxy::no_conn(st, g, skb, net, ip, l4, t, svc, set);
    }
    let (state, seq) = match l4.tcp {
        Some((_, seq, _)) => {
            if !is_bare_syn(l4) {
                st.stats.inc(Ctr::DropNoConn);
                return skb.discard();
            }
            (TcpState::SynSent, Some(seq))
        }
        // UDP flows count as inactive, as upstream lists them.
        None => (TcpState::None, None),
    };
    let now = kern::jiffies();
    match open(st, g, net, set, svc, ip, l4, t, state, seq, None, now) {
        // The SYN itself moves nothing: SynSent is where a client SYN leads.
        Ok(c) => forward(st, g, skb, net, c, Dir::In, ip, l4, len),
        Err(()) => skb.discard(),
    }
}

/// Opens a connection of `svc` for the client tuple `t`: real server,
/// local address and port, fresh ISN (`syn_seq`: the client's ISN), table
/// entry, counters. `Err`: refused (counted); the packet is to be dropped.
#[allow(clippy::too_many_arguments)]
pub(crate) fn open<'a>(
    st: &'a State,
    g: &'a RcuGuard,
    net: NetRef,
    set: &'a ServiceSet,
    svc: &'a Service,
    ip: &packet::Ipv4,
    l4: &L4,
    t: &Tuple4,
    state: TcpState,
    syn_seq: Option<u32>,
    sp: Option<Pin<KBox<SynproxyCtx>>>,
    now: u64,
) -> core::result::Result<&'a Conn, ()> {
    let Some((dest, control)) = pick_dest(st, g, net, svc, ip, l4, now) else {
        st.stats.inc(Ctr::DropNoDest);
        return Err(());
    };
    let Some(laddr) = svc.next_laddr() else {
        st.stats.inc(Ctr::DropNoLaddr);
        return Err(());
    };
    let start = laddr.next_port.fetch_add(1, Relaxed);
    let port = lport::pick(&set.lports, start, |p| {
        let reply = Tuple4 { saddr: dest.addr, daddr: laddr.addr, sport: dest.port, dport: p };
        let taken = st.conns.lookup(g, net, ip.proto, &reply).is_some();
        if taken {
            laddr.port_conflicts.fetch_add(1, Relaxed);
        }
        taken
    });
    let Some(port) = port else {
        st.stats.inc(Ctr::DropNoPort);
        return Err(());
    };
    let out_t = Tuple4 { saddr: dest.addr, daddr: laddr.addr, sport: dest.port, dport: port };
    // A fresh ISN toward the real server, keyed on the out-tuple as the
    // kernel keys its own.
    let seq_in = match syn_seq {
        Some(s) => SeqDelta::between(s, kern::secure_tcp_seq(laddr.addr, dest.addr, port, dest.port)),
        None => SeqDelta(0),
    };
    let c = Conn::new(net, ip.proto, *t, out_t, state, seq_in, syn_seq, dest.clone(), laddr.clone(), svc.stats.clone(), sp, control.cloned());
    let c = match st.conns.insert(g, c) {
        Ok(c) => c,
        Err(InsertError::Full) => {
            st.stats.inc(Ctr::DropTableFull);
            return Err(());
        }
        Err(InsertError::NoMem) => {
            st.stats.inc(Ctr::DropNoMem);
            return Err(());
        }
        Err(InsertError::Exists) => {
            // Lost a race with another CPU for the same tuple: the client
            // retransmits and finds the winner's connection.
            return Err(());
        }
    };
    st.stats.inc(Ctr::Conns);
    c.dest.stats.add(ObjCtr::Conns, 1);
    c.svc_stats.add(ObjCtr::Conns, 1);
    laddr.stats.add(ObjCtr::Conns, 1);
    c.refresh(now, if l4.tcp.is_some() { st.settings.tcp_timeout(state) } else { st.settings.udp_timeout() });
    Ok(c)
}
