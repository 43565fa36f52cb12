// SPDX-License-Identifier: GPL-2.0
//! A new connection: the real server (the scheduler's choice, or the one
//! the client's persistence template remembers), the local address and
//! port, the fresh ISN toward the real server, the table entry and its
//! counters. Each refusal is counted; the caller drops the packet.

use crate::conn_table::{Conn, Control, InsertError, NewConn, TEMPLATE};
use crate::kern::{self, RcuGuard};
use crate::pkt::Pkt;
use crate::rvs_core::ctl_text::persist_masked;
use crate::rvs_core::lport;
use crate::rvs_core::method::Method;
use crate::rvs_core::nat::Tuple;
use crate::rvs_core::seq::SeqDelta;
use crate::rvs_core::tcp_state::{self, Event, TcpState};
use crate::service::{Dest, Laddr, Service};
use crate::sp_state::SynproxyCtx;
use crate::stats::{Ctr, ObjCtr};
use crate::State;
use core::pin::Pin;
use core::sync::atomic::Ordering::Relaxed;
use kernel::prelude::KBox;
use kernel::sync::Arc;

/// How a connection starts.
pub(crate) struct Opening {
    /// Its first state (TCP: SynSent; UDP flows count as inactive: None).
    pub(crate) state: TcpState,
    /// The client's ISN, for TCP.
    pub(crate) syn_seq: Option<u32>,
    /// SYNPROXY's part, when the director made the client's handshake.
    pub(crate) sp: Option<Pin<KBox<SynproxyCtx>>>,
}

/// Opens a connection of service `svc` for the client packet `p`. `Err`: refused and counted; the packet is to be dropped.
pub(crate) fn open<'a>(
    st: &'a State,
    g: &'a RcuGuard,
    svc: &'a Service,
    p: &Pkt,
    how: Opening,
) -> core::result::Result<&'a Conn, ()> {
    let now = kern::jiffies();
    let Some((dest, control)) = pick_dest(st, g, svc, p, now) else {
        st.stats.inc(Ctr::DropNoDest);
        return Err(());
    };
    let proto = p.ip.proto;
    let method = dest.method();
    let (out_t, laddr, seq_in) = match method {
        Method::FullNat => {
            let (laddr, out_t) = fullnat_ends(st, g, svc, p, dest)?;
            // A fresh ISN toward the real server, keyed on the out-tuple
            // as the kernel keys its own.
            let seq_in = match how.syn_seq {
                Some(s) => SeqDelta::between(s, kern::secure_tcp_seq(&out_t.daddr, &dest.addr, out_t.dport, dest.port)),
                None => SeqDelta(0),
            };
            (out_t, Some(laddr.clone()), seq_in)
        }
        // The real server answers the client from its own address, by
        // way of the director.
        Method::Nat => (Tuple { saddr: dest.addr, daddr: p.tuple.saddr, sport: dest.port, dport: p.tuple.sport }, None, SeqDelta(0)),
        // The packet goes on as the client sent it; the real server
        // answers from the VIP.
        Method::DirectRoute | Method::Tunnel => (p.tuple.reversed(), None, SeqDelta(0)),
    };
    // Where the client's SYN leads: without the real server's side,
    // upstream's INPUT-ONLY table (the SYN itself is tracked next, and
    // leaves it there).
    let state = match (method.sees_replies(), p.l4.tcp) {
        (false, Some(_)) => tcp_state::next_input_only(TcpState::None, Event::Syn),
        _ => how.state,
    };
    let n = NewConn {
        net: p.net,
        proto,
        in_t: p.tuple,
        out_t,
        method,
        state,
        seq_in,
        syn_seq: how.syn_seq,
        dest: dest.clone(),
        svc_stats: svc.stats.clone(),
        sp: how.sp,
        control: control.cloned(),
    };
    let c = match st.conns.insert(g, Conn::new(n, laddr)) {
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
    if let Some(l) = c.laddr() {
        l.stats.add(ObjCtr::Conns, 1);
    }
    c.refresh(now, if p.l4.tcp.is_some() { p.net.settings().tcp_timeout(state) } else { p.net.settings().udp_timeout() });
    if p.l4.tcp.is_none() {
        crate::sync::conn_changed(st, g, c, state);
    }
    Ok(c)
}

/// FULLNAT's ends toward real server `dest`: a local address of the
/// service (of `dest`'s family; without one, of the namespace's default
/// pool) and a free local port on it, and the tuple
/// the real server's packets will carry. `Err`: none free, counted.
fn fullnat_ends<'a>(st: &'a State, g: &'a RcuGuard, svc: &'a Service, p: &Pkt, dest: &Dest) -> core::result::Result<(&'a Arc<Laddr>, Tuple), ()> {
    // The service's own, or the namespace's default pool's.
    let f = dest.addr.family();
    let Some(laddr) = svc.next_laddr(f).or_else(|| st.svcs.read(g).pool(p.net)?.next_laddr(f)) else {
        st.stats.inc(Ctr::DropNoLaddr);
        return Err(());
    };
    let proto = p.ip.proto;
    let start = laddr.next_port.fetch_add(1, Relaxed);
    let mut tried = 0u32;
    let port = lport::pick(&p.net.settings().lports(), start, |port| {
        tried += 1;
        let reply = Tuple { saddr: dest.addr, daddr: laddr.addr, sport: dest.port, dport: port };
        let taken = st.conns.lookup(g, p.net, proto, &reply).is_some();
        if taken {
            laddr.port_conflicts.fetch_add(1, Relaxed);
        }
        taken
    });
    // The next connection starts past the ports this one tried: a run of
    // used ports is crossed once, not by every connection in turn.
    if tried > 1 {
        laddr.next_port.fetch_add(tried - 1, Relaxed);
    }
    let Some(port) = port else {
        st.stats.inc(Ctr::DropNoPort);
        return Err(());
    };
    Ok((laddr, Tuple { saddr: dest.addr, daddr: laddr.addr, sport: dest.port, dport: port }))
}

/// Whether a persistence template placing clients on `dest` still may:
/// `dest` is still one of the service's real servers (a deleted one, or one
/// of a service deleted and made again, is not), and with
/// `expire_quiescent_template` its weight is not 0. One pointer compare per
/// real server, once per new connection of a persistent service.
fn still_places(svc: &Service, dest: &Arc<Dest>) -> bool {
    svc.dests.iter().any(|d| Arc::ptr_eq(d, dest))
        && !(svc.net.settings().expire_quiescent.load(Relaxed) && dest.weight.load(Relaxed) == 0)
}

/// The real server for a new connection: the scheduler's choice, or with
/// persistence the one the client's template remembers (a new template
/// when there is none), with the template's control block, which the new
/// connection joins. Each new connection renews the template for the
/// persistence timeout, and the template outlives every connection it
/// placed (see `expire`).
fn pick_dest<'a>(st: &'a State, g: &'a RcuGuard, svc: &'a Service, p: &Pkt, now: u64) -> Option<(&'a Arc<Dest>, Option<&'a Arc<Control>>)> {
    let (ip, l4, client) = (&p.ip, &p.l4, &p.tuple.saddr);
    let persist = svc.persist;
    if persist.timeout == 0 {
        return svc.schedule(client, l4.sport).map(|d| (d, None));
    }
    let key = Tuple { saddr: persist_masked(client, persist.mask), daddr: p.tuple.daddr, sport: 0, dport: l4.dport };
    let placed = |t: &'a Conn| (&t.dest, t.control());
    if let Some((t, _)) = st.conns.lookup(g, p.net, ip.proto | TEMPLATE, &key) {
        if still_places(svc, &t.dest) {
            t.refresh(now, persist.timeout);
            return Some(placed(t));
        }
        // As upstream's ip_vs_check_template: lookups miss it from now
        // on (the connections it placed keep their control block), the
        // collector frees it, and the client is scheduled anew.
        t.retire();
    }
    let dest = svc.schedule(client, l4.sport)?;
    let t = Conn::new_template(p.net, ip.proto, key, dest.clone(), svc.stats.clone(), persist.timeout).ok()?;
    match st.conns.insert(g, t) {
        Ok(t) => {
            t.refresh(now, persist.timeout);
            Some(placed(t))
        }
        // Another CPU made the template first: follow it.
        Err(InsertError::Exists) => st.conns.lookup(g, p.net, ip.proto | TEMPLATE, &key).map(|(t, _)| placed(t)),
        // No room for the template: schedule without persistence.
        Err(InsertError::Full) => Some((dest, None)),
        Err(InsertError::NoMem) => None,
    }
}
