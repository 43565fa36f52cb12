// SPDX-License-Identifier: GPL-2.0
//! Connection sync, the backup's side: the connections other directors
//! (rvs or ip_vs masters) announce are held here too, so that their
//! packets, when routing brings them to this director, go on as if the
//! connection had been made here.
//!
//! `ipvsadm --start-daemon backup --mcast-interface IF [--syncid N]`
//! starts a namespace's backup (`start`), `--stop-daemon backup` stops it;
//! a namespace may run a master and a backup at once (a cluster's
//! directors all do). The socket is bound to the group and port on the
//! interface and joined to the group there. Each datagram's arrival
//! queues the receive work (`receive`, process context, under the
//! configuration mutex), which reads at most `BUDGET` datagrams a run.
//!
//! What a record may do (`rvs_core::sync_conn` decides the rest): make or
//! update a connection of a service and real server this namespace has
//! configured, by the record's method, within the table's limit. It never
//! makes a service, a real server or a local address. A FULLNAT record's
//! local address is the master's: this director forwards the connection
//! from that address and port, so it needs the address as its own before
//! the connection's packets come (the takeover: `README`'s "Running a
//! cluster"); a FULLNAT connection made here never takes a tuple a synced
//! one holds (the insertion refuses a clash, and the local port search
//! skips ports in use). Who may send records: whoever can reach the group
//! on the interface, as upstream has it (the sync network is the
//! operator's to keep to the directors), unless the namespace's
//! `sync_peers` sysctl names the directors' prefixes; then a message from
//! any other sender is read, counted (`sync_rx_not_peer`) and dropped
//! before its first byte is parsed. The sender's address is the one its
//! datagram carries: on a network where addresses can be forged the
//! list narrows who can write records, it does not authenticate them.
//!
//! A persistence template's record (`apply_template`) makes or renews
//! the template, for a persistent service and real server configured
//! here, keyed by this namespace's netmask; one keyed otherwise is
//! refused. With it, a client the master placed keeps its real server
//! for its new connections here.
//!
//! Counters: `sync_rx_*` (`stats`; templates count with connections).
//! A malformed message costs what upstream lets it: a fault in its
//! framing ends it, a bad record is passed over (`rvs_core::sync_msg`).

use crate::conn_table::{Conn, InsertError, NewConn, TEMPLATE};
use crate::kern::{self, CfgGuard, McastReceiver, NetRef, RcuGuard};
use crate::rvs_core::ctl_text::persist_masked;
use crate::rvs_core::ipvs_msg::DaemonCfg;
use crate::rvs_core::method::Method;
use crate::rvs_core::seq::SeqDelta;
use crate::rvs_core::sync_conn::{self, Synced};
use crate::rvs_core::sync_msg::{flags, Item, Message, Record};
use crate::rvs_core::synproxy::CookieData;
use crate::rvs_core::tcp_state::Dir;
use crate::sp_state::SynproxyCtx;
use crate::stats::Ctr;
use crate::State;
use core::pin::Pin;
use core::sync::atomic::Ordering::Relaxed;
use kernel::new_mutex;
use kernel::prelude::*;
use kernel::sync::{Arc, Mutex};

/// Datagrams read per run of the receive work; more waits for the next
/// (the configuration mutex is not held for long).
const BUDGET: usize = 64;
/// The socket's receive buffer unless `sync_sock_size` says otherwise:
/// what a master's burst may hold while the work catches up (about 1,500
/// full datagrams).
const RCVBUF: u32 = 4 << 20;
const IPPROTO_UDP: u8 = 17;

/// What only the receive work uses.
struct Rx {
    /// `None` once the namespace is going: taken without allocating.
    sock: Option<McastReceiver>,
    /// One datagram (`maxlen` bytes).
    buf: KVVec<u8>,
}

/// A namespace's sync backup.
pub(crate) struct Backup {
    pub(crate) net: NetRef,
    pub(crate) cfg: DaemonCfg,
    /// The longest datagram read (as asked for, or from the interface);
    /// a longer one is refused.
    pub(crate) maxlen: usize,
    rx: Pin<KBox<Mutex<Rx>>>,
}

impl Backup {
    fn new(net: NetRef, cfg: DaemonCfg) -> Result<Arc<Backup>> {
        let sock_size = net.settings().sync_sock_size.load(Relaxed);
        let (sock, mtu) = McastReceiver::new(net, cfg.ifname(), &cfg.group, cfg.port, RCVBUF, sock_size)?;
        let maxlen = cfg.payload_max(mtu) as usize;
        let rx = Rx { sock: Some(sock), buf: KVVec::from_elem(0u8, maxlen, GFP_KERNEL)? };
        let rx = KBox::pin_init(new_mutex!(rx, "rvs_sync_rx"), GFP_KERNEL)?;
        Ok(Arc::new(Backup { net, cfg, maxlen, rx }, GFP_KERNEL)?)
    }

    /// Releases the socket (the namespace is going). Needs no memory.
    pub(crate) fn close(&self) {
        drop(self.rx.lock().sock.take());
    }

    /// Reads and takes up to `BUDGET` datagrams; true if there may be
    /// more.
    fn drain(&self, st: &State, cfg: &CfgGuard) -> bool {
        let peers = self.net.settings().sync_peers.get(cfg);
        let mut rx = self.rx.lock();
        let Rx { sock, buf } = &mut *rx;
        let Some(sock) = sock.as_ref() else { return false };
        for _ in 0..BUDGET {
            let d = match sock.recv(buf) {
                Ok(Some(d)) => d,
                // Empty; or an error the socket reports once (none is
                // expected of a bound UDP socket): the next arrival
                // queues the work again.
                Ok(None) | Err(_) => return false,
            };
            st.stats.inc(Ctr::SyncRxMsgs);
            if !peers.admits(&d.from) {
                st.stats.inc(Ctr::SyncRxNotPeer);
                continue;
            }
            if d.truncated {
                st.stats.inc(Ctr::SyncRxBad);
                continue;
            }
            self.take(st, &buf[..d.len]);
            kern::cond_resched();
        }
        true
    }

    /// One message's records, each made or updated in the table.
    fn take(&self, st: &State, msg: &[u8]) {
        let m = match Message::parse(msg, self.cfg.syncid) {
            Ok(m) => m,
            Err(None) => return st.stats.inc(Ctr::SyncRxOtherId),
            Err(Some(_)) => return st.stats.inc(Ctr::SyncRxBad),
        };
        let g = RcuGuard::new();
        let now = kern::jiffies();
        for item in m.records() {
            let c = match item {
                Ok(Item::Conn(r)) => apply(st, &g, self.net, &r, now),
                Ok(Item::Skipped(_)) => Ctr::SyncRxRefused,
                Err(_) => Ctr::SyncRxBad,
            };
            st.stats.inc(c);
        }
    }
}

/// Makes or updates the connection record `r` describes, in namespace
/// `net`; the counter that says which (or why not).
fn apply(st: &State, g: &RcuGuard, net: NetRef, r: &Record<'_>, now: u64) -> Ctr {
    if r.flags & flags::TEMPLATE != 0 {
        return apply_template(st, g, net, r, now);
    }
    let Ok(s) = sync_conn::admit(r) else { return Ctr::SyncRxRefused };
    let settings = net.settings();
    let timeout = s.timeout.unwrap_or_else(|| if s.proto == IPPROTO_UDP { settings.udp_timeout() } else { settings.tcp_timeout(s.state) });
    if let Some((c, dir)) = st.conns.lookup(g, net, s.proto, &s.in_t) {
        // The same connection, or another one on the client's tuple,
        // which stays as it is.
        if dir != Dir::In || c.is_template() || c.method != s.method || c.out_t != s.out_t || c.dest.addr != r.daddr || c.dest.port != r.dport {
            return Ctr::SyncRxRefused;
        }
        // The peer forwards it (it sends only connections whose packets
        // pass through it): it is the peer's now, with the peer's state,
        // until a packet of it passes here again (this director may have
        // been away, or see one direction of it only). It lives at least
        // as long as the record says, never less.
        c.set_from_peer();
        c.set_state(s.state);
        c.extend(now, timeout);
        return Ctr::SyncRxUpdated;
    }
    match make(st, g, net, r, &s) {
        Some(c) => {
            c.refresh(now, timeout);
            Ctr::SyncRxConns
        }
        None => Ctr::SyncRxRefused,
    }
}

/// Makes or renews the persistence template record `r` describes, in
/// namespace `net`: of a persistent service and a real server of it this
/// namespace has, keyed as its own lookups would key the client
/// (`schedule::pick_dest`). A template of the client toward another real
/// server gives way (as one that no longer places does there): the
/// master's record is the newer word (in a cluster whose directors all
/// send, two that placed one client apart would take turns; the mh
/// scheduler places it alike). The template is the backup's own
/// from then on: the new connections it places here keep it alive, with
/// this service's timeout.
fn apply_template(st: &State, g: &RcuGuard, net: NetRef, r: &Record<'_>, now: u64) -> Ctr {
    let Ok(t) = sync_conn::admit_template(r) else { return Ctr::SyncRxRefused };
    let svcs = st.svcs.read(g);
    let Some(svc) = svcs.find(net, t.proto, &t.key.daddr, t.key.dport) else { return Ctr::SyncRxRefused };
    let persist = svc.persist;
    if persist.timeout == 0 || persist_masked(&t.key.saddr, persist.mask) != t.key.saddr {
        return Ctr::SyncRxRefused;
    }
    let Some(dest) = svc.dests.iter().find(|d| d.addr == t.daddr && d.port == t.dport) else { return Ctr::SyncRxRefused };
    let timeout = t.timeout.unwrap_or(persist.timeout);
    if let Some((old, _)) = st.conns.lookup(g, net, t.proto | TEMPLATE, &t.key) {
        if Arc::ptr_eq(&old.dest, dest) {
            old.extend(now, timeout);
            return Ctr::SyncRxUpdated;
        }
        old.retire();
    }
    let Ok(c) = Conn::new_template(net, t.proto, t.key, dest.clone(), svc.stats.clone(), persist.timeout) else {
        return Ctr::SyncRxRefused;
    };
    match st.conns.insert(g, c) {
        Ok(c) => {
            c.refresh(now, timeout);
            Ctr::SyncRxConns
        }
        Err(InsertError::Full) => {
            st.stats.inc(Ctr::DropTableFull);
            Ctr::SyncRxRefused
        }
        Err(InsertError::NoMem | InsertError::Exists) => Ctr::SyncRxRefused,
    }
}

/// A new connection from record `r` (admitted as `s`): of the service and
/// real server this namespace has with the record's addresses.
fn make<'a>(st: &'a State, g: &'a RcuGuard, net: NetRef, r: &Record<'_>, s: &Synced) -> Option<&'a Conn> {
    let svcs = st.svcs.read(g);
    let svc = svcs.find(net, s.proto, &r.vaddr, r.vport)?;
    let dest = svc.dests.iter().find(|d| d.addr == r.daddr && d.port == r.dport)?;
    let (seq_in, syn_seq, sp, toa_done, laddr) = match (&s.fullnat, s.method) {
        (Some(f), Method::FullNat) => {
            let seq_in = SeqDelta(f.seq_in);
            let sp = match f.synproxy {
                Some(x) => {
                    let client_ws = (x.client_ws <= 14).then_some(x.client_ws);
                    let data = CookieData { mss_idx: 0, wscale: client_ws, sack: false };
                    Some(SynproxyCtx::synced(data, x.offered_ws, SeqDelta(x.seq_out), x.rs_ws).ok()?)
                }
                None => None,
            };
            // The local address, if this director has it configured too
            // (its counters then count the connection).
            let pool = svcs.pool(net).map_or(&[][..], |p| &p.laddrs[..]);
            let laddr = Iterator::chain(svc.laddrs.iter(), pool.iter()).find(|l| l.addr == s.out_t.daddr).cloned();
            (seq_in, Some(seq_in.backward(f.rs_isn)), sp, f.toa_done, laddr)
        }
        _ => (SeqDelta(0), None, None, true, None),
    };
    let n = NewConn {
        net,
        proto: s.proto,
        in_t: s.in_t,
        out_t: s.out_t,
        method: s.method,
        state: s.state,
        seq_in,
        syn_seq,
        dest: dest.clone(),
        svc_stats: svc.stats.clone(),
        sp,
        control: None,
    };
    let c = Conn::new(n, laddr);
    c.set_from_peer();
    if toa_done {
        c.toa_reached();
    }
    match st.conns.insert(g, c) {
        Ok(c) => Some(c),
        Err(InsertError::Full) => {
            st.stats.inc(Ctr::DropTableFull);
            None
        }
        Err(InsertError::NoMem | InsertError::Exists) => None,
    }
}

/// Starts `net`'s backup. `EEXIST` if it has one; `ENODEV` for an
/// interface it does not have.
pub(crate) fn start(st: &State, cfg: &CfgGuard, net: NetRef, c: DaemonCfg) -> Result {
    let set = st.sync.read_locked(cfg);
    if set.backup_of(net).is_some() {
        return Err(EEXIST);
    }
    let b = Backup::new(net, c)?;
    let new = set.with_backup(net, Some(b))?;
    st.sync.replace(cfg, new);
    Ok(())
}

/// Stops `net`'s backup. `ESRCH` if it has none. Its connections stay.
pub(crate) fn stop(st: &State, cfg: &CfgGuard, net: NetRef) -> Result {
    let set = st.sync.read_locked(cfg);
    if set.backup_of(net).is_none() {
        return Err(ESRCH);
    }
    let new = set.with_backup(net, None)?;
    st.sync.replace(cfg, new);
    Ok(())
}

/// `net`'s backup, for a listing.
pub(crate) fn backup_of<'a>(st: &'a State, cfg: &'a CfgGuard, net: NetRef) -> Option<&'a Backup> {
    st.sync.read_locked(cfg).backup_of(net).map(|b| &**b)
}

/// The receive work: what every backup's socket holds, taken. True if a
/// backup may have more.
pub(crate) fn receive(st: &State, cfg: &CfgGuard) -> bool {
    let mut more = false;
    for b in st.sync.read_locked(cfg).backups.iter() {
        more |= b.drain(st, cfg);
    }
    more
}
