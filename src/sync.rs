// SPDX-License-Identifier: GPL-2.0
//! Connection sync, the master's side: upstream's protocol version 1
//! (`rvs_core::sync_msg` reads and writes it), so that a backup, rvs or
//! ip_vs, learns the connections this director makes.
//!
//! `ipvsadm --start-daemon master --mcast-interface IF [--syncid N]`
//! starts a namespace's master (`start`), `--stop-daemon master` stops it
//! (`stop`), `-L --daemon` lists it (`masters_of`). A namespace has at most
//! one master, as upstream; its socket is a kernel UDP socket in that
//! namespace, connected to the group (224.0.0.81:8848 unless given) out of
//! the interface.
//!
//! What is sent: a connection's record when its state changes to one
//! upstream syncs (TCP: established, FIN_WAIT, CLOSE, CLOSE_WAIT,
//! TIME_WAIT), and a UDP connection's when it is made. NAT, direct routing
//! and tunnelling records are upstream's own, which an ip_vs backup takes;
//! FULLNAT records carry method 5 and rvs's FULLNAT option (local address
//! and port, sequence offsets, SYNPROXY and TOA state), which ip_vs skips
//! as optional (it then holds the connection with a method it has no
//! transmit function for, and leaves its packets to its own stack).
//! Every connection (TCP ones past their handshake) is sent again once per
//! `sync_refresh_period`, with the time it has left, by a sweep of the
//! table that the work makes a share of at each tick (`Master::sweep`):
//! a backup's copy, which only records renew, then lives as long as the
//! master's, and a director that comes back (or starts its backup late)
//! learns every connection within one period, idle ones too.
//! Upstream's `sync_retries` (0..3) has the sweep walk the same buckets
//! again that many times, an eighth of the period apart (cursors that
//! lag the first by whole eighths of the table), so that a refresh lost
//! on the way is made good within the period.
//! A connection placed by a persistence template has the template's
//! record sent before each of its own (`template_record`): a backup then
//! places that client's new connections on the same real server, and
//! keeps the template as long as this director would. With
//! `sync_persist_mode` 1 (upstream's) the template's record goes alone:
//! less traffic, and a backup taking over places the client's new
//! connections but has none of its established ones.
//!
//! The packet path takes no lock shared by all CPUs: records go into
//! `STRIPES` rings, the ring picked from the connection's ports, each
//! under its own spin lock, held to copy one record. A ring holds `SLOTS`
//! messages of the datagram's size; when the last is full, further
//! records are counted lost (`sync_lost`) until the sync work has sent
//! what is there. The work (`tick`, every `PERIOD_MS`, and at once when
//! a ring is half full; under the configuration mutex) copies each ring's
//! messages out with softirqs off, then sends them from process context
//! (a send may sleep). Records of one connection pushed from two CPUs at
//! once may leave in either order (upstream's, too).
//!
//! Lifetime: the masters are in an RCU-published set (`State::sync`),
//! replaced under the configuration mutex; a replaced set is freed after
//! a grace period, in process context, which releases a stopped master's
//! socket. A namespace's exit stops its master (`net_gone`) before the
//! namespace is freed: a kernel socket holds no reference to it.

use crate::conn_table::{Conn, Control};
use crate::sync_backup::Backup;
use crate::kern::{self, BhOff, CfgGuard, McastSender, NetRef, RcuBox, RcuGuard};
use crate::rvs_core::ipvs_msg::DaemonCfg;
use crate::rvs_core::method::Method;
use crate::rvs_core::sync_msg::{flags, Builder, Full, Fullnat, Record, SynproxySync};
use crate::rvs_core::tcp_state::TcpState;
use crate::stats::Ctr;
use crate::State;
use core::pin::Pin;
use core::sync::atomic::{AtomicU32, AtomicU64, Ordering::Relaxed};
use kernel::new_mutex;
use kernel::new_spinlock;
use kernel::prelude::*;
use kernel::sync::{Arc, Mutex, SpinLock};
// (`Mutex` and `SpinLock` are the kernel crate's; `KVVec` may come from
// vmalloc: a large maxlen needs no contiguous pages.)

/// How often queued messages are sent (upstream: when a message is full,
/// or after at most 2 s).
pub(crate) const PERIOD_MS: u32 = 200;
/// Rings per master (a power of two).
const STRIPES: usize = 4;
/// Messages per ring. A ring half full has the work run at once.
const SLOTS: usize = 8;
/// A message's room at the least, whatever the maxlen asked for: one
/// record of any kind fits (upstream, too, sends one record per datagram
/// past a smaller maxlen).
const MIN_SLOT: usize = 128;
/// The largest record the master writes: IPv6, with the FULLNAT option
/// and an IPv6 local address.
const MAX_RECORD: usize = 72 + 2 + 36;
/// Buckets the refresh sweep walks in one RCU read section, between two
/// looks at how much it queued (one word of the occupancy bitmap).
const CHUNK: u32 = 64;
/// A retry's lag behind the sweep, in fractions of the period (upstream:
/// `sync_refresh_period / 8`).
const RETRY_SPACING: u32 = 8;

const IPPROTO_UDP: u8 = 17;

/// One ring of messages: `filled` complete ones from `head` on, then the
/// one being filled, whose header is always valid (`Builder::new`).
struct Ring {
    buf: KVVec<u8>,
    head: usize,
    filled: usize,
}

/// What only the work uses: the socket, and its copy of a ring's
/// messages, sent after the ring's lock is let go.
struct Out {
    buf: KVVec<u8>,
    /// `None` once the namespace is going: taken without allocating.
    sock: Option<McastSender>,
}

/// A namespace's sync master.
pub(crate) struct Master {
    pub(crate) net: NetRef,
    pub(crate) cfg: DaemonCfg,
    /// Payload bytes per datagram (as asked for, or from the interface).
    pub(crate) maxlen: usize,
    /// A message's room: `maxlen`, or `MIN_SLOT` if that is more.
    slot: usize,
    rings: KVec<Pin<KBox<SpinLock<Ring>>>>,
    out: Pin<KBox<Mutex<Out>>>,
    /// Where the refresh sweep goes on (a bucket of the table), and when
    /// it last went (jiffies); the work alone moves them.
    cursor: AtomicU32,
    swept_at: AtomicU64,
}

/// Every namespace's sync daemons: masters here, backups in
/// `sync_backup` (at most one of each per namespace).
pub(crate) struct Daemons {
    masters: KVec<Arc<Master>>,
    pub(crate) backups: KVec<Arc<Backup>>,
}

/// A copy of `v` without `net`'s entry, plus `add`.
fn replaced<T>(v: &KVec<Arc<T>>, net_of: impl Fn(&T) -> NetRef, net: NetRef, add: Option<Arc<T>>) -> Result<KVec<Arc<T>>> {
    let mut out = KVec::with_capacity(v.len() + 1, GFP_KERNEL)?;
    for m in v.iter().filter(|m| net_of(m) != net) {
        out.push(m.clone(), GFP_KERNEL)?;
    }
    if let Some(m) = add {
        out.push(m, GFP_KERNEL)?;
    }
    Ok(out)
}

impl Daemons {
    pub(crate) fn empty() -> Result<KBox<Daemons>> {
        Ok(KBox::new(Daemons { masters: KVec::new(), backups: KVec::new() }, GFP_KERNEL)?)
    }

    fn of(&self, net: NetRef) -> Option<&Arc<Master>> {
        self.masters.iter().find(|m| m.net == net)
    }

    pub(crate) fn backup_of(&self, net: NetRef) -> Option<&Arc<Backup>> {
        self.backups.iter().find(|b| b.net == net)
    }

    /// A copy with `net`'s master replaced by `add` (or gone).
    fn without(&self, net: NetRef, add: Option<Arc<Master>>) -> Result<KBox<Daemons>> {
        let masters = replaced(&self.masters, |m| m.net, net, add)?;
        let backups = replaced(&self.backups, |b| b.net, net, self.backup_of(net).cloned())?;
        Ok(KBox::new(Daemons { masters, backups }, GFP_KERNEL)?)
    }

    /// A copy with `net`'s backup replaced by `add` (or gone).
    pub(crate) fn with_backup(&self, net: NetRef, add: Option<Arc<Backup>>) -> Result<KBox<Daemons>> {
        let masters = replaced(&self.masters, |m| m.net, net, self.of(net).cloned())?;
        let backups = replaced(&self.backups, |b| b.net, net, add)?;
        Ok(KBox::new(Daemons { masters, backups }, GFP_KERNEL)?)
    }
}

impl Master {
    fn new(net: NetRef, cfg: DaemonCfg) -> Result<Arc<Master>> {
        let sock_size = net.settings().sync_sock_size.load(Relaxed);
        let (sock, mtu) = McastSender::new(net, cfg.ifname(), &cfg.group, cfg.port, cfg.ttl, sock_size)?;
        let maxlen = cfg.payload_max(mtu) as usize;
        let slot = maxlen.max(MIN_SLOT);
        let mut rings = KVec::with_capacity(STRIPES, GFP_KERNEL)?;
        for _ in 0..STRIPES {
            let mut buf = KVVec::from_elem(0u8, SLOTS * slot, GFP_KERNEL)?;
            // The first slot's header (`Ring`'s invariant).
            Builder::new(&mut buf[..slot], cfg.syncid).ok_or(EINVAL)?;
            rings.push(KBox::pin_init(new_spinlock!(Ring { buf, head: 0, filled: 0 }, "rvs_sync_ring"), GFP_KERNEL)?, GFP_KERNEL)?;
        }
        let out = Out { buf: KVVec::from_elem(0u8, SLOTS * slot, GFP_KERNEL)?, sock: Some(sock) };
        let out = KBox::pin_init(new_mutex!(out, "rvs_sync_out"), GFP_KERNEL)?;
        Ok(Arc::new(Master { net, cfg, maxlen, slot, rings, out, cursor: AtomicU32::new(0), swept_at: AtomicU64::new(kern::jiffies()) }, GFP_KERNEL)?)
    }

    /// Queues record `r` (`push`) and counts it (`sync_records`, or
    /// `sync_lost` without room); true if queued.
    fn queue(&self, st: &State, r: &Record<'_>, stripe: usize, kick: bool) -> bool {
        let ok = self.push(r, stripe, kick);
        st.stats.inc(if ok { Ctr::SyncRecords } else { Ctr::SyncLost });
        ok
    }

    /// Queues connection `c`'s record `r` (`queue`), after the record of
    /// the template that placed it, into the same ring: a backup that
    /// reads them in order has the client's template before its
    /// connection. With `sync_persist_mode` the template's goes alone.
    /// How many were queued.
    fn queue_conn(&self, st: &State, c: &Conn, r: &Record<'_>, kick: bool) -> usize {
        let stripe = (c.in_t.sport ^ c.in_t.dport) as usize;
        let mut n = 0;
        if let Some(ctl) = c.control() {
            n += self.queue(st, &template_record(c, ctl, r.timeout), stripe, kick) as usize;
            if c.net.settings().sync_persist_mode.load(Relaxed) {
                return n;
            }
        }
        n + self.queue(st, r, stripe, kick) as usize
    }

    /// Queues `r`; false if there was no room (or it can never fit). A
    /// ring half full has the work run at once if `kick` (the work's own
    /// sweep does not: it sends when it needs to).
    fn push(&self, r: &Record<'_>, stripe: usize, kick: bool) -> bool {
        // Softirqs off: the hooks run in softirq context, but also in a
        // process's, softirqs on (a verdict of an NFQUEUE rule before
        // rvs's hooks goes on through them from the process that gave
        // it); an interrupt's softirq must not find the lock held on its
        // own CPU. In a softirq this is a counter's increment.
        let _bh = BhOff::new();
        let mut ring = self.rings[stripe % STRIPES].lock();
        let ml = self.slot;
        for _ in 0..2 {
            let cur = (ring.head + ring.filled) % SLOTS;
            let slot = &mut ring.buf[cur * ml..(cur + 1) * ml];
            let Some(mut b) = Builder::resume(slot) else { return false };
            match b.push(r) {
                Ok(()) => return true,
                Err(Full::TooLarge) => return false,
                Err(Full::Room | Full::Count) => {
                    if ring.filled + 1 >= SLOTS {
                        return false;
                    }
                    ring.filled += 1;
                    if kick && ring.filled == SLOTS / 2 {
                        // Half full: sent now rather than at the next tick.
                        kern::sync_work_now();
                    }
                    let next = (ring.head + ring.filled) % SLOTS;
                    if Builder::new(&mut ring.buf[next * ml..(next + 1) * ml], self.cfg.syncid).is_none() {
                        return false;
                    }
                }
            }
        }
        false
    }

    /// One tick's share of the refresh sweep: the table walked once per
    /// `sync_refresh_period` (default: half the established timeout), the
    /// namespace's connections queued again, TCP ones past their
    /// handshake (those whose packets pass here: not a peer's,
    /// `Conn::is_from_peer`),
    /// each with the time it has left; and the buckets the sweep walked
    /// k eighths of a period ago walked again, for k up to
    /// `sync_retries` (the lag rounded down to whole words of the
    /// occupancy bitmap: a table under 512 buckets has no retries).
    /// Sent whenever the queue may be half full, so that the sweep
    /// itself loses nothing. Process context.
    fn sweep(&self, st: &State) {
        let settings = self.net.settings();
        let period = match settings.sync_refresh.load(Relaxed) {
            0 => settings.tcp_timeout(TcpState::Established) / 2,
            p => p,
        }
        .max(1);
        // The share of the time since the last step in the period (the
        // work also runs between ticks, when a ring fills), in whole words
        // of the occupancy bitmap (the cursor stays on one's start): the
        // time of the words walked is used up, the rest waits for the
        // next step, so that a small table too is walked once a period.
        let now = kern::jiffies();
        let span = period as u64 * kern::hz();
        let buckets = st.conns.buckets() as u64;
        let last = self.swept_at.load(Relaxed);
        let elapsed = now.saturating_sub(last);
        let share = (buckets * elapsed.min(span) / span) & !63;
        if share == 0 {
            return;
        }
        self.swept_at.store(if elapsed >= span { now } else { last + share * span / buckets }, Relaxed);
        let share = share as u32;
        let lag = (st.conns.buckets() / RETRY_SPACING) & !(CHUNK - 1);
        let retries = if lag == 0 { 0 } else { settings.sync_retries.load(Relaxed) };
        // Records that fit the rings' halves whatever the ring each
        // falls into: a FULLNAT IPv6 record is the largest.
        let room = (SLOTS / 2) * (self.slot / MAX_RECORD).max(1);
        let (mut walked, mut queued) = (0, 0);
        while walked < share {
            let n = CHUNK.min(share - walked);
            let first = self.cursor.fetch_add(n, Relaxed);
            for k in 0..=retries {
                let start = first.wrapping_sub(k * lag);
                let g = RcuGuard::new();
                st.conns.for_each_from(&g, start, n, |c| {
                    // This director's own connections only: a peer's
                    // are its to send (and sent back they would keep
                    // each other's timers alive for ever).
                    if c.net != self.net || c.is_template() || c.is_from_peer() {
                        return;
                    }
                    let s = c.state();
                    if c.proto != IPPROTO_UDP && s.is_handshake() {
                        return;
                    }
                    let left = c.expires.load(Relaxed).saturating_sub(now) / kern::hz();
                    let r = record_of(c, s, Some((left as u32).max(1)));
                    queued += self.queue_conn(st, c, &r, false);
                });
            }
            walked += n;
            if queued >= room {
                self.flush(st);
                queued = 0;
            }
        }
    }

    /// Sends what the rings hold (or, once the socket is gone, drops it).
    /// Process context.
    fn flush(&self, st: &State) {
        let ml = self.slot;
        let mut guard = self.out.lock();
        let out = &mut *guard;
        for ring in self.rings.iter() {
            // The messages, copied out back to back (each `ml` bytes).
            let n = {
                let _bh = BhOff::new();
                let mut r = ring.lock();
                let cur = (r.head + r.filled) % SLOTS;
                let partial = Builder::resume(&mut r.buf[cur * ml..(cur + 1) * ml]).is_some_and(|b| !b.is_empty());
                let n = r.filled + partial as usize;
                for k in 0..n {
                    let s = (r.head + k) % SLOTS;
                    out.buf[k * ml..(k + 1) * ml].copy_from_slice(&r.buf[s * ml..(s + 1) * ml]);
                }
                r.head = 0;
                r.filled = 0;
                // Cannot fail: the slot is `ml` >= 8 bytes.
                let _ = Builder::new(&mut r.buf[..ml], self.cfg.syncid);
                n
            };
            let Some(sock) = &out.sock else { continue };
            for k in 0..n {
                let Some(len) = Builder::resume(&mut out.buf[k * ml..(k + 1) * ml]).map(|b| b.bytes().len()) else {
                    continue;
                };
                match sock.send(&out.buf[k * ml..k * ml + len]) {
                    Ok(_) => st.stats.inc(Ctr::SyncSent),
                    Err(_) => st.stats.inc(Ctr::SyncLost),
                }
            }
        }
    }
}

/// Starts `net`'s master. `EEXIST` if it has one; `ENODEV` for an
/// interface it does not have.
pub(crate) fn start(st: &State, cfg: &CfgGuard, net: NetRef, c: DaemonCfg) -> Result {
    let set = st.sync.read_locked(cfg);
    if set.of(net).is_some() {
        return Err(EEXIST);
    }
    let m = Master::new(net, c)?;
    let new = set.without(net, Some(m))?;
    st.sync.replace(cfg, new);
    // After the master is published: a packet that sees the flag finds it.
    net.settings().sync_master.store(true, Relaxed);
    Ok(())
}

/// Stops `net`'s master, sending what it had queued. `ESRCH` if it has
/// none (as upstream).
pub(crate) fn stop(st: &State, cfg: &CfgGuard, net: NetRef) -> Result {
    let set = st.sync.read_locked(cfg);
    let Some(m) = set.of(net).cloned() else { return Err(ESRCH) };
    let new = set.without(net, None)?;
    net.settings().sync_master.store(false, Relaxed);
    st.sync.replace(cfg, new);
    // Out of the set, and no packet still adds to it (a grace period has
    // passed): what it holds now is all it will send.
    m.flush(st);
    Ok(())
}

/// `net`'s master, for a listing.
pub(crate) fn master_of<'a>(st: &'a State, cfg: &'a CfgGuard, net: NetRef) -> Option<&'a Master> {
    st.sync.read_locked(cfg).of(net).map(|m| &**m)
}

/// The namespace is going away: its master and backup go (without
/// sending: the namespace's devices are going too). Their sockets are
/// released first, which needs no memory: they must not outlive the
/// namespace; the daemons then leave the set (if there is no memory for
/// a new set, they stay, socketless, a master's records dropped, until
/// rvs unloads).
pub(crate) fn net_gone(st: &State, cfg: &CfgGuard, net: NetRef) {
    let set = st.sync.read_locked(cfg);
    let (m, b) = (set.of(net), set.backup_of(net));
    if m.is_none() && b.is_none() {
        return;
    }
    if let Some(m) = m {
        net.settings().sync_master.store(false, Relaxed);
        drop(m.out.lock().sock.take());
    }
    if let Some(b) = b {
        b.close();
    }
    if let Ok(new) = set.without(net, None).and_then(|s| s.with_backup(net, None)) {
        st.sync.replace(cfg, new);
    }
}

/// Whether any namespace runs a master (the tick's first look).
pub(crate) fn any(st: &State, g: &RcuGuard) -> bool {
    !st.sync.read(g).masters.is_empty()
}

/// The sync work's tick: every master's share of the refresh sweep
/// queued, and its queued messages sent.
pub(crate) fn tick(st: &State, cfg: &CfgGuard) {
    for m in st.sync.read_locked(cfg).masters.iter() {
        m.sweep(st);
        m.flush(st);
    }
}

/// A connection moved to `new` (or, for UDP, was made): queued for the
/// namespace's master if it has one and upstream would sync the change.
pub(crate) fn conn_changed(st: &State, g: &RcuGuard, c: &Conn, new: TcpState) {
    if let Some(m) = master_of_conn(st, g, c) {
        if syncs(c, new) {
            send(st, m, c, new);
        }
    }
}

/// One of the client's packets of connection `c` is forwarded (in state
/// `s` after it; `changed`: the packet changed the state, and
/// `conn_changed` had its say): with a master in the namespace, counted,
/// and the connection's record sent again when `sync_threshold`'s rule
/// says (`SyncThreshold::due`), as upstream's `in_pkts`. The count is
/// kept only while the namespace's master runs.
pub(crate) fn conn_packet(st: &State, g: &RcuGuard, c: &Conn, s: TcpState, changed: bool) {
    let Some(m) = master_of_conn(st, g, c) else { return };
    let pkts = c.count_in_packet();
    if !changed && c.net.settings().sync_threshold().due(pkts) && syncs(c, s) {
        send(st, m, c, s);
    }
}

/// The master of `c`'s namespace, if it runs one. Without one this costs
/// the packet path a load of the namespace's settings, which it reads
/// anyway (`Settings::sync_master`); the daemon set is looked at only
/// where a master runs.
#[inline]
fn master_of_conn<'a>(st: &'a State, g: &'a RcuGuard, c: &Conn) -> Option<&'a Master> {
    if !c.net.settings().sync_master.load(Relaxed) {
        return None;
    }
    st.sync.read(g).of(c.net).map(|m| &**m)
}

/// Whether upstream syncs connection `c` in state `s`: TCP once past its
/// handshake (established, FIN_WAIT, CLOSE, CLOSE_WAIT, TIME_WAIT), UDP
/// always; never a template by itself (it goes with its connections).
fn syncs(c: &Conn, s: TcpState) -> bool {
    !c.is_template()
        && (c.proto == IPPROTO_UDP
            || matches!(s, TcpState::Established | TcpState::FinWait | TcpState::Close | TcpState::CloseWait | TcpState::TimeWait))
}

/// Queues `c`'s record (state `s`, its full timeout) for master `m`.
fn send(st: &State, m: &Master, c: &Conn, s: TcpState) {
    m.queue_conn(st, c, &record_of(c, s, None), true);
}

/// The record of the persistence template `ctl` that placed connection
/// `c`, which has `conn_left` seconds to live. The template lives here
/// while `c` does and its own timeout after (`expire`): the record gives
/// the backup's copy as long, which the next record of `c` extends, so
/// that a backup taking over has the template for as long as this
/// director would have had it.
fn template_record(c: &Conn, ctl: &Control, conn_left: u32) -> Record<'static> {
    Record {
        protocol: c.proto,
        flags: flags::TEMPLATE | c.method.fwd(),
        state: 0,
        caddr: *ctl.client(),
        cport: 0,
        vaddr: c.in_t.daddr,
        vport: c.in_t.dport,
        daddr: c.dest.addr,
        dport: c.dest.port,
        fwmark: 0,
        timeout: conn_left.saturating_add(ctl.timeout()),
        seq: None,
        pe_data: None,
        pe_name: None,
        fullnat: None,
    }
}

/// The record of connection `c` in state `s`, with `timeout` seconds to
/// live (default: the state's timeout).
fn record_of(c: &Conn, s: TcpState, timeout: Option<u32>) -> Record<'static> {
    let settings = c.net.settings();
    let (state, full) = if c.proto == IPPROTO_UDP {
        (0, settings.udp_timeout())
    } else {
        (s as u16, settings.tcp_timeout(s))
    };
    let timeout = timeout.unwrap_or(full);
    // UDP connections are never active (as upstream's).
    let mut f = c.method.fwd();
    if c.proto == IPPROTO_UDP || !s.is_active() {
        f |= flags::INACTIVE;
    }
    let fullnat = (c.method == Method::FullNat).then(|| Fullnat {
        laddr: c.out_t.daddr,
        lport: c.out_t.dport,
        seq_in: c.seq_in.0,
        rs_isn: c.rs_isn(),
        toa_done: !c.wants_toa(),
        synproxy: c.sp.as_ref().map(|sp| SynproxySync {
            seq_out: sp.seq_out().0,
            rs_ws: sp.rs_ws.load(core::sync::atomic::Ordering::Relaxed),
            offered_ws: sp.offered_ws,
            client_ws: sp.data.wscale.unwrap_or(255),
        }),
    });
    Record {
        protocol: c.proto,
        flags: f,
        state,
        caddr: c.in_t.saddr,
        cport: c.in_t.sport,
        vaddr: c.in_t.daddr,
        vport: c.in_t.dport,
        daddr: c.dest.addr,
        dport: c.dest.port,
        fwmark: 0,
        timeout,
        seq: None,
        pe_data: None,
        pe_name: None,
        fullnat,
    }
}

/// The empty set the state starts with.
pub(crate) fn new_set() -> Result<RcuBox<Daemons>> {
    Ok(kern::RcuBox::new(Daemons::empty()?))
}
