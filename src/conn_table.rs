// SPDX-License-Identifier: GPL-2.0
//! The connection table.
//!
//! One [`Conn`] per connection, linked into two hash chains: by its in-tuple
//! (client -> VIP, as the client's packets carry it) and by its out-tuple
//! (as the real server's replies carry it: RS -> LADDR for FULLNAT, RS ->
//! client for NAT, VIP -> client where the director never sees them). A lookup by a
//! packet's own 4-tuple finds the connection and the direction.
//!
//! Concurrency (`kern::rcu_hash`): lookups walk the chains under RCU with
//! no lock; insertion and unlinking take the striped bucket locks of the
//! chains involved. Only the collector and a namespace's exit unlink, and
//! what they unlink is freed after a grace period, so a packet that found a
//! connection can use it until its hook returns: the RCU read section is
//! the reference a packet holds.

use crate::kern::rcu_hash::{self, RcuHash};
use crate::kern::{self, NetRef, RcuGuard, RouteCache, Zeroed};
use crate::rvs_core::addr::Addr;
use crate::rvs_core::method::Method;
use crate::rvs_core::occupancy::{self, Occupancy};
use crate::rvs_core::nat::{conn_hash, Tuple};
use crate::rvs_core::seq::{self, SeqDelta};
use crate::rvs_core::tcp_state::{self, Dir, TcpState};
use crate::service::{Dest, Laddr};
use crate::stats::ObjStats;
use crate::sp_state::SynproxyCtx;
use core::pin::Pin;
use core::sync::atomic::{AtomicU32, AtomicU64, AtomicU8, Ordering::*};
use kernel::prelude::*;
use kernel::sync::Arc;

/// What a persistence template shares with the connections it placed:
/// while any of them lives, the template does not expire (as upstream's
/// `n_control`).
pub(crate) struct Control {
    /// Connections placed through the template, not yet freed.
    conns: AtomicU32,
    /// The template's timeout (the service's persistence timeout, seconds).
    timeout: u32,
    /// The client's address under the service's netmask: the template's
    /// key, for its sync record (`sync::template_record`).
    client: Addr,
}

impl Control {
    /// The template's timeout, seconds.
    pub(crate) fn timeout(&self) -> u32 {
        self.timeout
    }

    /// The address the template holds clients by.
    pub(crate) fn client(&self) -> &Addr {
        &self.client
    }
}

/// One connection.
pub(crate) struct Conn {
    /// The namespace whose hooks saw it; part of the key.
    pub(crate) net: NetRef,
    /// IPPROTO_TCP or IPPROTO_UDP.
    pub(crate) proto: u8,
    /// client -> VIP: saddr = client, daddr = VIP.
    pub(crate) in_t: Tuple,
    /// What the real server's packets carry: RS -> LADDR for FULLNAT
    /// (saddr = RS, daddr = LADDR), RS -> client for NAT; for direct
    /// routing and tunnelling, VIP -> client (`in_t` reversed: the real
    /// server's answer, which rvs lets through untouched where it passes
    /// the director at all: routed through it, or to a client on it;
    /// `dispatch::forward_hook`, `forward`).
    pub(crate) out_t: Tuple,
    /// How its packets reach the real server (the real server's method
    /// when it was made).
    pub(crate) method: Method,
    /// `TcpState` number (UDP: Established).
    state: AtomicU8,
    /// Jiffies after which the collector frees it.
    pub(crate) expires: AtomicU64,
    /// The client's sequence space -> the one the RS sees.
    pub(crate) seq_in: SeqDelta,
    /// The client's SYN sequence number as the real server sees it.
    rs_isn: u32,
    /// The last acknowledgement each side sent, in its own sequence space
    /// (`ACKS_CLIENT`/`ACKS_RS` in `flags` say which are known): where
    /// a reset to the other side must sit.
    client_ack: AtomicU32,
    rs_ack: AtomicU32,
    /// The end of what each side has sent (sequence number plus length,
    /// SYN and FIN counting one), furthest seen, in its own space
    /// (`ENDS_CLIENT`/`ENDS_RS` in `flags` say which are known): where
    /// its genuine RST sits at the latest.
    client_end: AtomicU32,
    rs_end: AtomicU32,
    /// One byte of bits (one byte, so that the connection stays within
    /// its allocation class): which acknowledgements and ends are known
    /// (`ACKS_*`, `ENDS_*`), and
    /// - `DEAD`: retired, a new connection took its tuple; lookups skip
    ///   it and the collector frees it on its next pass;
    /// - `TOA_DONE`: the real server has acknowledged client data, TOA is
    ///   no longer needed (always set for UDP and templates);
    /// - `FROM_PEER`: made or last updated from a peer's sync record, and
    ///   not forwarded here since: the peer's connection, which its
    ///   records keep up to date, this director's sync does not send on
    ///   and its expiry does not reset (`sync`, `sync_backup`, `expire`).
    flags: AtomicU8,
    /// The client's packets forwarded while a sync master of the
    /// namespace ran (`sync::conn_packet`: upstream's `in_pkts`, for its
    /// `sync_threshold` rule).
    in_pkts: AtomicU32,
    pub(crate) dest: Arc<Dest>,
    /// `None` for a persistence template and for a method without one.
    laddr: Option<Arc<Laddr>>,
    pub(crate) svc_stats: Arc<ObjStats>,
    /// SYNPROXY's part, for connections whose handshake the director made.
    pub(crate) sp: Option<Pin<KBox<SynproxyCtx>>>,
    /// A template's own control block, or for a connection the one of the
    /// template that placed it.
    control: Option<Arc<Control>>,
    /// The routes toward the real server and toward the client, looked up
    /// once (and again only when invalidated).
    pub(crate) route_in: RouteCache,
    pub(crate) route_out: RouteCache,
}

/// What a new connection or template is made of.
pub(crate) struct NewConn {
    /// The namespace whose hooks saw it; part of the key.
    pub(crate) net: NetRef,
    /// IPPROTO_TCP or IPPROTO_UDP (with `TEMPLATE` for a template).
    pub(crate) proto: u8,
    pub(crate) in_t: Tuple,
    pub(crate) out_t: Tuple,
    pub(crate) method: Method,
    pub(crate) state: TcpState,
    pub(crate) seq_in: SeqDelta,
    /// The client's ISN, for TCP.
    pub(crate) syn_seq: Option<u32>,
    pub(crate) dest: Arc<Dest>,
    pub(crate) svc_stats: Arc<ObjStats>,
    pub(crate) sp: Option<Pin<KBox<SynproxyCtx>>>,
    pub(crate) control: Option<Arc<Control>>,
}

impl Conn {
    /// A new connection (through `laddr` for FULLNAT), counted as
    /// inactive on its destination until it becomes established.
    pub(crate) fn new(n: NewConn, laddr: Option<Arc<Laddr>>) -> Conn {
        // Counted now: if the connection never makes it into the table,
        // dropping it (`Drop for Conn`) undoes the counts.
        n.dest.bind(n.state.is_active());
        if let Some(l) = &laddr {
            l.conns.fetch_add(1, Relaxed);
        }
        if let Some(ctl) = &n.control {
            ctl.conns.fetch_add(1, Relaxed);
        }
        Conn::make(n, laddr)
    }

    /// A persistence template: `key` is (client & netmask, VIP, 0, vport),
    /// looked up with protocol `proto | TEMPLATE`; it remembers `dest` for
    /// `timeout` seconds after its last new connection, and longer while
    /// connections it placed live.
    pub(crate) fn new_template(
        net: NetRef,
        proto: u8,
        key: Tuple,
        dest: Arc<Dest>,
        svc_stats: Arc<ObjStats>,
        timeout: u32,
    ) -> Result<Conn> {
        let ctl = Arc::new(Control { conns: AtomicU32::new(0), timeout, client: key.saddr }, GFP_ATOMIC)?;
        // As in `new`: `Drop` undoes this.
        dest.persist.fetch_add(1, Relaxed);
        let n = NewConn {
            net,
            proto: proto | TEMPLATE,
            in_t: key,
            out_t: Tuple::default(),
            method: Method::FullNat,
            state: TcpState::None,
            seq_in: SeqDelta(0),
            syn_seq: None,
            dest,
            svc_stats,
            sp: None,
            control: Some(ctl),
        };
        Ok(Conn::make(n, None))
    }

    /// A template's control block (for the connections it places).
    pub(crate) fn control(&self) -> Option<&Arc<Control>> {
        self.control.as_ref()
    }

    /// For a template with live connections: how long to keep it (its
    /// timeout, seconds).
    pub(crate) fn template_in_use(&self) -> Option<u32> {
        let ctl = self.control.as_ref().filter(|_| self.is_template())?;
        (ctl.conns.load(Relaxed) > 0).then_some(ctl.timeout)
    }

    fn make(n: NewConn, laddr: Option<Arc<Laddr>>) -> Conn {
        let rs_isn = n.syn_seq.map(|s| n.seq_in.forward(s));
        Conn {
            net: n.net,
            proto: n.proto,
            in_t: n.in_t,
            out_t: n.out_t,
            method: n.method,
            state: AtomicU8::new(n.state as u8),
            expires: AtomicU64::new(0),
            seq_in: n.seq_in,
            rs_isn: rs_isn.unwrap_or(0),
            client_ack: AtomicU32::new(0),
            rs_ack: AtomicU32::new(0),
            client_end: AtomicU32::new(0),
            rs_end: AtomicU32::new(0),
            flags: AtomicU8::new(if rs_isn.is_none() || !n.method.owns_server_side() { TOA_DONE } else { 0 }),
            in_pkts: AtomicU32::new(0),
            dest: n.dest,
            laddr,
            svc_stats: n.svc_stats,
            sp: n.sp,
            control: n.control,
            route_in: RouteCache::new(),
            route_out: RouteCache::new(),
        }
    }

    /// The ISN of the client's side as the real server sees it (the SYN
    /// rvs sent or passed on).
    pub(crate) fn rs_isn(&self) -> u32 {
        self.rs_isn
    }

    /// Records the acknowledgement a packet of direction `dir` carried (in
    /// its sender's space, before translation).
    pub(crate) fn saw_ack(&self, dir: Dir, ack_seq: u32) {
        let (field, bit) = match dir {
            Dir::In => (&self.client_ack, ACKS_CLIENT),
            Dir::Out => (&self.rs_ack, ACKS_RS),
        };
        field.store(ack_seq, Relaxed);
        if self.flags.load(Relaxed) & bit == 0 {
            self.flags.fetch_or(bit, Relaxed);
        }
    }

    /// Records that a segment of direction `dir` ended at `end` (its
    /// sender's space), if that is further than any before. Two CPUs may
    /// race; the loser's smaller value can stand, which only makes
    /// `rst_in_window` stricter until the next segment.
    pub(crate) fn saw_end(&self, dir: Dir, end: u32) {
        let (field, bit) = match dir {
            Dir::In => (&self.client_end, ENDS_CLIENT),
            Dir::Out => (&self.rs_end, ENDS_RS),
        };
        let seen = self.flags.load(Relaxed);
        if seen & bit == 0 {
            field.store(end, Relaxed);
            self.flags.fetch_or(bit, Relaxed);
        } else if seq::after(end, field.load(Relaxed)) {
            field.store(end, Relaxed);
        }
    }

    /// Whether a RST travelling `dir` with sequence number `seq` (its
    /// sender's space) lies where a genuine one would: between what the
    /// other side last acknowledged and the end of what its sender sent
    /// (`tcp_state::rst_in_window`). The other side's acknowledgement is
    /// taken back into the sender's space: FULLNAT's offset for the
    /// client's numbers, SYNPROXY's for the real server's.
    pub(crate) fn rst_in_window(&self, dir: Dir, seq: u32) -> bool {
        let seen = self.flags.load(Relaxed);
        let known = |bit: u8, v: &AtomicU32| (seen & bit != 0).then(|| v.load(Relaxed));
        let (acked, end) = match dir {
            Dir::In => (known(ACKS_RS, &self.rs_ack).map(|a| self.seq_in.backward(a)), known(ENDS_CLIENT, &self.client_end)),
            Dir::Out => {
                let d = self.sp.as_deref().map_or(SeqDelta(0), |sp| sp.seq_out());
                (known(ACKS_CLIENT, &self.client_ack).map(|a| d.backward(a)), known(ENDS_RS, &self.rs_end))
            }
        };
        tcp_state::rst_in_window(seq, acked, end)
    }

    /// The last acknowledgements of the client and of the real server, if
    /// both have sent one.
    pub(crate) fn last_acks(&self) -> Option<(u32, u32)> {
        if self.flags.load(Relaxed) & (ACKS_CLIENT | ACKS_RS) != ACKS_CLIENT | ACKS_RS {
            return None;
        }
        Some((self.client_ack.load(Relaxed), self.rs_ack.load(Relaxed)))
    }

    /// True while client segments should carry TOA.
    pub(crate) fn wants_toa(&self) -> bool {
        self.flags.load(Relaxed) & TOA_DONE == 0
    }

    /// TOA has reached the real server (known from elsewhere: a synced
    /// connection's master saw it).
    pub(crate) fn toa_reached(&self) {
        self.flags.fetch_or(TOA_DONE, Relaxed);
    }

    /// The real server acknowledged up to `ack_seq` (its own space): once
    /// that covers client data, TOA has reached it.
    pub(crate) fn rs_acked(&self, ack_seq: u32) {
        if self.wants_toa() && seq::after(ack_seq, self.rs_isn.wrapping_add(1)) {
            self.toa_reached();
        }
    }

    /// Retires an entry: a closing connection whose client tuple a new SYN
    /// reuses, or a persistence template that no longer places its client.
    /// From now on lookups miss it, so the packet makes a new one (new
    /// scheduling decision, fresh ISN), and the collector frees this one.
    /// True for the one caller that retired it.
    pub(crate) fn retire(&self) -> bool {
        if self.flags.fetch_or(DEAD, AcqRel) & DEAD != 0 {
            return false;
        }
        self.expires.store(0, Relaxed);
        true
    }

    /// Retired (`retire`): lookups skip it.
    #[inline]
    fn is_dead(&self) -> bool {
        self.flags.load(Acquire) & DEAD != 0
    }

    /// Current state.
    pub(crate) fn state(&self) -> TcpState {
        TcpState::from_u8(self.state.load(Relaxed)).unwrap_or(TcpState::Close)
    }

    /// Moves to `new`, keeping the destination's active/inactive counts
    /// right when packets of both directions race. True for the caller
    /// that made the change (one, when several race).
    pub(crate) fn set_state(&self, new: TcpState) -> bool {
        let mut old = self.state.load(Relaxed);
        loop {
            if old == new as u8 {
                return false;
            }
            match self.state.compare_exchange_weak(old, new as u8, AcqRel, Relaxed) {
                Ok(_) => break,
                Err(cur) => old = cur,
            }
        }
        let was_active = TcpState::from_u8(old).is_some_and(|s| s.is_active());
        if was_active != new.is_active() {
            let (inc, dec) = if new.is_active() {
                (&self.dest.active, &self.dest.inactive)
            } else {
                (&self.dest.inactive, &self.dest.active)
            };
            inc.fetch_add(1, Relaxed);
            dec.fetch_sub(1, Relaxed);
        }
        true
    }

    /// Marks a connection made or updated from a peer's record.
    pub(crate) fn set_from_peer(&self) {
        self.flags.fetch_or(FROM_PEER, Relaxed);
    }

    /// True while the connection is a peer's: made or last updated from
    /// its record, no packet of it forwarded here since.
    pub(crate) fn is_from_peer(&self) -> bool {
        self.flags.load(Relaxed) & FROM_PEER != 0
    }

    /// One more of the client's packets, for the sync rule; their count.
    #[inline]
    pub(crate) fn count_in_packet(&self) -> u32 {
        self.in_pkts.fetch_add(1, Relaxed).wrapping_add(1)
    }

    /// A packet of it is forwarded here: it is this director's from now
    /// on. One load per packet; one store, once.
    #[inline]
    pub(crate) fn adopt(&self) {
        if self.flags.load(Relaxed) & FROM_PEER != 0 {
            self.flags.fetch_and(!FROM_PEER, Relaxed);
        }
    }

    /// Pushes the expiry to `secs` seconds past `now` unless it is later
    /// already (a peer's word never shortens a connection's life here).
    pub(crate) fn extend(&self, now: u64, secs: u32) {
        self.expires.fetch_max(now + secs as u64 * kern::hz(), Relaxed);
    }

    /// Sets the expiry `secs` seconds past `now`. A later expiry within an
    /// eighth of a second of the current one is not written: a busy flow
    /// then reads its connection's expiry instead of storing to it on
    /// every packet. An earlier one (a shorter timeout) always is.
    #[inline]
    pub(crate) fn refresh(&self, now: u64, secs: u32) {
        let e = now + secs as u64 * kern::hz();
        let old = self.expires.load(Relaxed);
        if e < old || e - old >= kern::hz() / 8 {
            self.expires.store(e, Relaxed);
        }
    }
}

impl Conn {
    /// True for a persistence template.
    pub(crate) fn is_template(&self) -> bool {
        self.proto & TEMPLATE != 0
    }

    /// The local address (`None` for a template and without FULLNAT).
    pub(crate) fn laddr(&self) -> Option<&Arc<Laddr>> {
        self.laddr.as_ref()
    }
}

impl Drop for Conn {
    fn drop(&mut self) {
        if self.is_template() {
            self.dest.persist.fetch_sub(1, Relaxed);
            return;
        }
        self.dest.unbind(self.state().is_active());
        if let Some(l) = &self.laddr {
            l.conns.fetch_sub(1, Relaxed);
        }
        if let Some(ctl) = &self.control {
            ctl.conns.fetch_sub(1, Relaxed);
        }
    }
}

const ACKS_CLIENT: u8 = 1;
const ACKS_RS: u8 = 2;
const ENDS_CLIENT: u8 = 4;
const ENDS_RS: u8 = 8;
const TOA_DONE: u8 = 16;
const FROM_PEER: u8 = 32;
const DEAD: u8 = 64;

/// Protocol bit of persistence templates' keys (real entries are TCP or
/// UDP, both below it).
pub(crate) const TEMPLATE: u8 = 0x80;

/// Why an insertion was refused (the connection is dropped).
pub(crate) enum InsertError {
    /// The table holds `max_conns` connections.
    Full,
    /// A connection with the same in- or out-tuple exists.
    Exists,
    /// No memory for the entry.
    NoMem,
}

/// The table.
pub(crate) struct ConnTable {
    /// Each connection in the chain of its in-tuple (slot 0) and, but for
    /// templates, of its out-tuple (slot 1).
    table: RcuHash<Conn>,
    /// Buckets whose in-chain may hold entries, for the collector.
    occupied: Zeroed<AtomicU64>,
    mask: u32,
    seed: u32,
    count: AtomicU32,
    templates: AtomicU32,
    max: u32,
    gc_cursor: AtomicU32,
}

/// Number of bucket locks.
const NR_LOCKS: u32 = 1024;

/// The chain slot of each direction's tuple.
const fn slot(d: Dir) -> usize {
    match d {
        Dir::In => 0,
        Dir::Out => 1,
    }
}

impl ConnTable {
    /// A table of `2^bits` buckets holding at most `max` connections.
    pub(crate) fn new(bits: u32, max: u32) -> Result<Self> {
        let table = RcuHash::new(bits, NR_LOCKS)?;
        let n = table.buckets();
        Ok(ConnTable {
            table,
            occupied: Zeroed::new(occupancy::words_for(n as usize))?,
            mask: n - 1,
            seed: kern::random_u32(),
            count: AtomicU32::new(0),
            templates: AtomicU32::new(0),
            max,
            gc_cursor: AtomicU32::new(0),
        })
    }

    /// Connections in the table (persistence templates not included).
    pub(crate) fn count(&self) -> u32 {
        self.count.load(Relaxed).saturating_sub(self.templates.load(Relaxed))
    }

    /// True if the table holds nothing (no connection, no template).
    pub(crate) fn is_empty(&self) -> bool {
        self.count.load(Relaxed) == 0
    }

    /// Persistence templates in the table.
    pub(crate) fn templates(&self) -> u32 {
        self.templates.load(Relaxed)
    }

    #[inline]
    fn bucket(&self, proto: u8, t: &Tuple) -> u32 {
        conn_hash(proto, t, self.seed) & self.mask
    }

    fn occupancy(&self) -> Occupancy<'_> {
        Occupancy::new(self.occupied.as_slice())
    }

    /// Finds the connection a packet with 4-tuple `t` belongs to, and the
    /// direction it travels.
    pub(crate) fn lookup<'a>(&'a self, g: &'a RcuGuard, net: NetRef, proto: u8, t: &Tuple) -> Option<(&'a Conn, Dir)> {
        self.table.walk(g, self.bucket(proto, t)).find_map(|(c, s)| {
            let (key, dir) = if s == 0 { (&c.in_t, Dir::In) } else { (&c.out_t, Dir::Out) };
            (c.proto == proto && key == t && c.net == net && !c.is_dead()).then_some((c, dir))
        })
    }

    /// Number of buckets.
    pub(crate) fn buckets(&self) -> u32 {
        self.mask + 1
    }

    /// Calls `f` for each live connection or template whose in-tuple is
    /// in bucket `b` (each entry once), for /proc/net/ip_vs_conn.
    pub(crate) fn for_each_in_bucket<'a>(&'a self, g: &'a RcuGuard, b: u32, mut f: impl FnMut(&'a Conn)) {
        if b > self.mask {
            return;
        }
        for (c, s) in self.table.walk(g, b) {
            if s == slot(Dir::In) && !c.is_dead() {
                f(c);
            }
        }
    }

    /// Calls `f` for each live connection or template whose in-tuple is
    /// in one of the buckets `[start, start + n)` (wrapping; rounded to
    /// the occupancy bitmap's words) that hold entries, changing nothing:
    /// a reader beside the collector (sync's refresh sweep).
    pub(crate) fn for_each_from<'a>(&'a self, g: &'a RcuGuard, start: u32, n: u32, mut f: impl FnMut(&'a Conn)) {
        self.occupancy().marked(start & self.mask, n, self.mask, |b| self.for_each_in_bucket(g, b, &mut f));
    }

    /// Calls `f` for each entry linked in bucket `b` by its in-tuple,
    /// dead or alive (a dead one still holds its real server until the
    /// collector frees it).
    pub(crate) fn for_each_linked_in_bucket<'a>(&'a self, g: &'a RcuGuard, b: u32, mut f: impl FnMut(&'a Conn)) {
        if b > self.mask {
            return;
        }
        for (c, s) in self.table.walk(g, b) {
            if s == slot(Dir::In) {
                f(c);
            }
        }
    }

    /// Links `c` into both chains. On success the table owns it; the
    /// returned reference is valid for the read section `g`.
    pub(crate) fn insert<'a>(&'a self, g: &'a RcuGuard, c: Conn) -> core::result::Result<&'a Conn, InsertError> {
        if self.count.fetch_add(1, AcqRel) >= self.max {
            self.count.fetch_sub(1, AcqRel);
            return Err(InsertError::Full);
        }
        let b_in = self.bucket(c.proto, &c.in_t);
        // A template lives in its in-chain only.
        let b_out = (!c.is_template()).then(|| self.bucket(c.proto, &c.out_t));
        let template = c.is_template();
        let same = |x: &Conn, new: &Conn, s: usize| {
            let (a, b) = if s == slot(Dir::In) { (&x.in_t, &new.in_t) } else { (&x.out_t, &new.out_t) };
            x.proto == new.proto && x.net == new.net && a == b && !x.is_dead()
        };
        match self.table.insert(g, c, b_in, b_out, same) {
            Ok(c) => {
                // Linked first, marked after (see `occupancy`). The
                // collector looks at in-chains only.
                self.occupancy().mark(b_in);
                if template {
                    self.templates.fetch_add(1, Relaxed);
                }
                Ok(c)
            }
            Err(e) => {
                self.count.fetch_sub(1, AcqRel);
                Err(match e {
                    rcu_hash::InsertError::Clash => InsertError::Exists,
                    rcu_hash::InsertError::NoMem => InsertError::NoMem,
                })
            }
        }
    }

    /// Accounts for a connection about to be freed.
    fn forget(&self, c: &Conn) {
        if c.is_template() {
            self.templates.fetch_sub(1, Relaxed);
        }
        self.count.fetch_sub(1, AcqRel);
    }

    /// One step of the collector: looks at `n` buckets from the cursor
    /// (those the occupancy bitmap marks), unlinks the connections expired
    /// at `now` and frees them after a grace period; returns how many.
    /// `expiring` sees each expired connection first and may keep it
    /// (true), having pushed its expiry on (SYNPROXY's SYN retries).
    /// Process context.
    pub(crate) fn collect(&self, n: u32, now: u64, mut expiring: impl FnMut(&Conn) -> bool) -> usize {
        let start = self.gc_cursor.fetch_add(n, Relaxed) & self.mask;
        let mut reaper = self.table.reaper();
        let mut room = true;
        let g = RcuGuard::new();
        self.occupancy().sweep(start, n, self.mask, |b| {
            if !room {
                // The rest waits for the next round.
                return true;
            }
            let (ok, remain) = reaper.sweep(&g, b, |c| c.expires.load(Relaxed) <= now && (c.is_dead() || !expiring(c)));
            room = ok;
            remain
        });
        drop(g);
        reaper.finish(|c| self.forget(c))
    }

    /// Unlinks and frees every connection of namespace `net` (process
    /// context).
    pub(crate) fn unlink_net(&self, net: NetRef) {
        loop {
            // Every namespace's exit comes here: with nothing in the table
            // (no packet of `net` is in flight to add one), nothing to walk.
            if self.is_empty() {
                return;
            }
            let mut reaper = self.table.reaper();
            let mut complete = true;
            let g = RcuGuard::new();
            for b in 0..=self.mask {
                if !reaper.sweep(&g, b, |c| c.net == net).0 {
                    // Out of memory to record them: free what we have,
                    // then go on.
                    complete = false;
                    break;
                }
            }
            drop(g);
            reaper.finish(|c| self.forget(c));
            if complete {
                break;
            }
        }
    }
}
