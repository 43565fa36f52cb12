// SPDX-License-Identifier: GPL-2.0
//! Services, their real servers (destinations) and local addresses.
//!
//! The set of services is an immutable snapshot published under RCU; a
//! configuration change builds a new snapshot and swaps it in. Destinations
//! and local addresses are shared (`Arc`) between snapshots and with the
//! connections that use them, so their counters survive reconfiguration.

use crate::kern::{CfgGuard, NetRef, RouteCache, TunRoute};
use crate::rvs_core::addr::{Addr, Family};
use crate::rvs_core::ctl_text::SvcKey;
use crate::rvs_core::ipvs_msg::Tunnel;
use crate::rvs_core::method::Method;
use crate::rvs_core::sched::{self, Algo, DestSet, DestView, Thresholds, WrrPos, MH_TABLE_SIZE};
use crate::rvs_core::svc_index;
use crate::stats::ObjStats;
use core::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicU8, AtomicUsize, Ordering::Relaxed};
use kernel::new_spinlock;
use kernel::prelude::*;
use kernel::sync::{Arc, SpinLock};

/// A real server.
pub(crate) struct Dest {
    /// Address.
    pub(crate) addr: Addr,
    /// Port.
    pub(crate) port: u16,
    /// Weight; 0 drains.
    pub(crate) weight: AtomicU32,
    /// Established connections.
    pub(crate) active: AtomicU32,
    /// Other connections.
    pub(crate) inactive: AtomicU32,
    /// Persistence templates pointing here.
    pub(crate) persist: AtomicU32,
    /// Traffic and connections.
    pub(crate) stats: ObjStats,
    /// Forwarding method as configured (`ipvs_nl::fwd`; see
    /// `method::Method::from_fwd`), reported back as given.
    pub(crate) fwd: AtomicU32,
    /// The method `fwd` gave when it was set (`Method::code`; `-m` reads
    /// the namespace's `masq_as_fullnat` then). A new connection takes
    /// its method from here.
    method: AtomicU8,
    /// How tunnelling encapsulates (`Tunnel` packed: kind << 32 | flags
    /// << 16 | port), as configured; read whole by each packet.
    tun: AtomicU64,
    /// Upper and lower connection thresholds (0: none); set through
    /// [`Dest::set_thresholds`].
    u_thresh: AtomicU32,
    l_thresh: AtomicU32,
    /// Over the upper threshold: no new connections (until under the
    /// lower, see `Thresholds`).
    overloaded: AtomicBool,
    /// The route toward it, which new connections take their own from
    /// (one route lookup per real server instead of one per connection).
    pub(crate) route: RouteCache,
    /// Direct routing's route to it (next hop the real server itself:
    /// `Skb::route_cached_to`), which its connections' packets borrow;
    /// emptied when a device leaves the namespace (`crate::dev_gone`).
    pub(crate) route_dr: RouteCache,
    /// Tunnelling's route to it, with the outer header's source.
    pub(crate) route_tun: TunRoute,
}

impl Dest {
    pub(crate) fn new(addr: Addr, port: u16, weight: u32) -> Result<Arc<Dest>> {
        Ok(Arc::new(
            Dest {
                addr,
                port,
                weight: AtomicU32::new(weight),
                active: AtomicU32::new(0),
                inactive: AtomicU32::new(0),
                persist: AtomicU32::new(0),
                stats: ObjStats::new()?,
                fwd: AtomicU32::new(crate::rvs_core::ipvs_nl::fwd::FULLNAT),
                method: AtomicU8::new(Method::FullNat.code()),
                tun: AtomicU64::new(0),
                u_thresh: AtomicU32::new(0),
                l_thresh: AtomicU32::new(0),
                overloaded: AtomicBool::new(false),
                route: RouteCache::new(),
                route_dr: RouteCache::new(),
                route_tun: TunRoute::new(),
            },
            GFP_KERNEL,
        )?)
    }

    fn view(&self) -> DestView {
        DestView {
            weight: self.weight.load(Relaxed),
            active: self.active.load(Relaxed),
            inactive: self.inactive.load(Relaxed),
            overloaded: self.overloaded.load(Relaxed),
        }
    }

    /// How its new connections are forwarded.
    pub(crate) fn method(&self) -> Method {
        Method::from_code(self.method.load(Relaxed))
    }

    /// Sets the method (control path, with `fwd`).
    pub(crate) fn set_method(&self, m: Method) {
        self.method.store(m.code(), Relaxed);
    }

    /// How tunnelling encapsulates its packets.
    pub(crate) fn tunnel(&self) -> Tunnel {
        let v = self.tun.load(Relaxed);
        Tunnel { kind: (v >> 32) as u8, flags: (v >> 16) as u16, port: v as u16 }
    }

    /// Sets the encapsulation (control path).
    pub(crate) fn set_tunnel(&self, t: Tunnel) {
        self.tun.store((t.kind as u64) << 32 | (t.flags as u64) << 16 | t.port as u64, Relaxed);
    }

    /// The connection thresholds.
    pub(crate) fn thresholds(&self) -> Thresholds {
        Thresholds { upper: self.u_thresh.load(Relaxed), lower: self.l_thresh.load(Relaxed) }
    }

    /// True while over the upper threshold.
    pub(crate) fn is_overloaded(&self) -> bool {
        self.overloaded.load(Relaxed)
    }

    /// Sets the thresholds (control path); raising or removing the upper
    /// one lifts an overload at once, as upstream.
    pub(crate) fn set_thresholds(&self, upper: u32, lower: u32) {
        let old = self.thresholds();
        self.u_thresh.store(upper, Relaxed);
        self.l_thresh.store(lower, Relaxed);
        let t = Thresholds { upper, lower };
        self.overloaded.store(t.after_change(&old, self.overloaded.load(Relaxed)), Relaxed);
    }

    fn total(&self) -> u32 {
        self.active.load(Relaxed).wrapping_add(self.inactive.load(Relaxed))
    }

    /// A connection to this server was made (`active`: established).
    pub(crate) fn bind(&self, active: bool) {
        if active { &self.active } else { &self.inactive }.fetch_add(1, Relaxed);
        let t = self.thresholds();
        if t.upper != 0 && !self.overloaded.load(Relaxed) && t.after_bind(self.total(), false) {
            self.overloaded.store(true, Relaxed);
        }
    }

    /// A connection to this server is gone.
    pub(crate) fn unbind(&self, active: bool) {
        if active { &self.active } else { &self.inactive }.fetch_sub(1, Relaxed);
        if self.overloaded.load(Relaxed) && !self.thresholds().after_unbind(self.total(), true) {
            self.overloaded.store(false, Relaxed);
        }
    }
}

/// A local address of the director (LADDR), the source of FULLNAT
/// connections toward real servers.
pub(crate) struct Laddr {
    /// Address.
    pub(crate) addr: Addr,
    /// Where the next port search starts.
    pub(crate) next_port: AtomicU32,
    /// Connections using this address.
    pub(crate) conns: AtomicU32,
    /// Candidate ports found taken during allocation (upstream Alibaba's
    /// "port conflict").
    pub(crate) port_conflicts: AtomicU64,
    /// Traffic and connections through this address.
    pub(crate) stats: ObjStats,
}

impl Laddr {
    pub(crate) fn new(addr: Addr) -> Result<Arc<Laddr>> {
        Ok(Arc::new(
            Laddr {
                addr,
                next_port: AtomicU32::new(crate::kern::random_u32()),
                conns: AtomicU32::new(0),
                port_conflicts: AtomicU64::new(0),
                stats: ObjStats::new()?,
            },
            GFP_KERNEL,
        )?)
    }
}

/// Persistence: a client (its address under `mask`) keeps going to the
/// real server it was first given, for `timeout` seconds after its last
/// new connection. `timeout == 0`: off.
#[derive(Clone, Copy, Default)]
pub(crate) struct Persist {
    pub(crate) timeout: u32,
    pub(crate) mask: u32,
}

/// A copy of a list of shared objects.
fn clone_vec<T>(v: &[Arc<T>]) -> Result<KVec<Arc<T>>> {
    let mut out = KVec::with_capacity(v.len(), GFP_KERNEL)?;
    for x in v {
        out.push(Arc::clone(x), GFP_KERNEL)?;
    }
    Ok(out)
}

/// The elements of `v` for which `f` holds (control path).
pub(crate) fn keep<T>(v: KVec<T>, f: impl Fn(&T) -> bool) -> Result<KVec<T>> {
    let mut out = KVec::with_capacity(v.len(), GFP_KERNEL)?;
    for x in v {
        if f(&x) {
            out.push(x, GFP_KERNEL)?;
        }
    }
    Ok(out)
}

/// What a service is made of (see [`Service::parts`]).
pub(crate) struct Parts {
    pub(crate) net: NetRef,
    pub(crate) algo: Algo,
    pub(crate) dests: KVec<Arc<Dest>>,
    pub(crate) laddrs: KVec<Arc<Laddr>>,
    pub(crate) persist: Persist,
    pub(crate) stats: Arc<ObjStats>,
    pub(crate) synproxy: bool,
    pub(crate) sched_flags: u32,
}

/// The destinations of a service as the schedulers see them.
struct Dests<'a>(&'a [Arc<Dest>]);

impl DestSet for Dests<'_> {
    fn len(&self) -> usize {
        self.0.len()
    }
    fn get(&self, i: usize) -> DestView {
        self.0[i].view()
    }
}

/// A virtual service.
#[pin_data]
pub(crate) struct Service {
    /// The network namespace the service belongs to: only its packets and
    /// its control requests see it (as upstream IPVS's per-netns tables).
    pub(crate) net: NetRef,
    pub(crate) key: SvcKey,
    pub(crate) algo: Algo,
    pub(crate) dests: KVec<Arc<Dest>>,
    pub(crate) laddrs: KVec<Arc<Laddr>>,
    pub(crate) persist: Persist,
    /// Kept across rebuilds of the service.
    pub(crate) stats: Arc<ObjStats>,
    /// SYNPROXY on this service (Alibaba's service flag 0x8000): the
    /// director answers client SYNs with cookies.
    pub(crate) synproxy: bool,
    /// Scheduler flags as configured (upstream's SCHED1..3), reported back.
    pub(crate) sched_flags: u32,
    /// Its namespace went away: seen by no lookup (see [`Service::retire`]).
    retired: AtomicBool,
    rr: AtomicUsize,
    laddr_rr: AtomicU32,
    #[pin]
    wrr: SpinLock<WrrPos>,
    mh: KBox<[u16; MH_TABLE_SIZE]>,
}

/// The hashing schedulers' (sh, mh) seed: fixed, as upstream's, so that
/// every director of a cluster with the same configuration sends a client
/// to the same real server (a random seed per service would make each
/// director choose its own). What a client gains by choosing its port is
/// the choice of a real server for its own connections, nothing more.
const HASH_SEED: u32 = 0;

impl Service {
    /// What the service is made of, for building its successor (the real
    /// servers, local addresses and counters are shared with it).
    pub(crate) fn parts(&self) -> Result<Parts> {
        Ok(Parts {
            net: self.net,
            algo: self.algo,
            dests: clone_vec(&self.dests)?,
            laddrs: clone_vec(&self.laddrs)?,
            persist: self.persist,
            stats: self.stats.clone(),
            synproxy: self.synproxy,
            sched_flags: self.sched_flags,
        })
    }

    /// Builds a service from its parts.
    pub(crate) fn from_parts(key: SvcKey, p: Parts) -> Result<Arc<Service>> {
        let Parts { net, algo, dests, laddrs, persist, stats, synproxy, sched_flags } = p;
        let mut mh = KBox::new([u16::MAX; MH_TABLE_SIZE], GFP_KERNEL)?;
        if algo == Algo::Mh {
            let mut views = KVec::with_capacity(dests.len(), GFP_KERNEL)?;
            let mut keys = KVec::with_capacity(dests.len(), GFP_KERNEL)?;
            for d in dests.iter() {
                views.push(d.view(), GFP_KERNEL)?;
                keys.push(mh_key(&d.addr, d.port), GFP_KERNEL)?;
            }
            sched::mh_build(&views, &keys, &mut mh);
        }
        Arc::pin_init(
            pin_init!(Service {
                net,
                key,
                algo,
                dests,
                laddrs,
                persist,
                stats,
                synproxy,
                sched_flags,
                retired: AtomicBool::new(false),
                rr: AtomicUsize::new(usize::MAX),
                laddr_rr: AtomicU32::new(0),
                wrr <- new_spinlock!(WrrPos::default(), "rvs_wrr"),
                mh,
            }),
            GFP_KERNEL,
        )
    }

    /// Chooses a real server for a new connection from `caddr:cport`.
    pub(crate) fn schedule(&self, caddr: &Addr, cport: u16) -> Option<&Arc<Dest>> {
        let d = Dests(&self.dests);
        let i = match self.algo {
            Algo::Rr => {
                // One atomic step per decision: exactly even under any
                // concurrency; skips unavailable destinations.
                let start = self.rr.fetch_add(1, Relaxed);
                let mut cur = start;
                sched::rr(&d, &mut cur)
            }
            Algo::Wrr => sched::wrr(&d, &mut self.wrr.lock()),
            Algo::Lc => sched::lc(&d),
            Algo::Wlc => sched::wlc(&d),
            Algo::Sed => sched::sed(&d),
            Algo::Nq => sched::nq(&d),
            Algo::Sh => sched::sh(&d, sched::hash_client(caddr, 0, HASH_SEED)),
            Algo::Mh => sched::mh(&self.mh, sched::hash_client(caddr, cport, HASH_SEED))
                .filter(|&i| i < self.dests.len() && self.dests[i].view().available()),
        }?;
        self.dests.get(i)
    }

    /// Hides the service from every lookup: its namespace is going away
    /// (the address of a later namespace may be the same).
    pub(crate) fn retire(&self) {
        self.retired.store(true, Relaxed);
    }

    /// True if the service belongs to `net` (and was not retired).
    pub(crate) fn is_in(&self, net: NetRef) -> bool {
        self.net == net && !self.retired.load(Relaxed)
    }

    /// True if this is its namespace's default LADDR pool (kept in the set
    /// as a service of key `SvcKey::DEFAULT_POOL` with local addresses
    /// only; no packet finds it, no listing shows it as a service).
    pub(crate) fn is_pool(&self) -> bool {
        self.key == SvcKey::DEFAULT_POOL
    }

    /// True if some real server can take a new connection.
    pub(crate) fn has_available_dest(&self) -> bool {
        self.dests.iter().any(|d| d.view().available())
    }

    /// The next local address of family `f` (the real server's), round
    /// robin. A pool of one family (all but NAT64 services with both kinds
    /// of real server) takes the first one looked at; a mixed one skips
    /// the others' addresses, at most once round the pool.
    pub(crate) fn next_laddr(&self, f: Family) -> Option<&Arc<Laddr>> {
        let n = self.laddrs.len();
        if n == 0 {
            return None;
        }
        let start = self.laddr_rr.fetch_add(1, Relaxed) as usize;
        (0..n).map(|k| &self.laddrs[(start + k) % n]).find(|l| l.addr.family() == f)
    }
}

/// One snapshot of the configuration: the services of every namespace,
/// with two indexes for the packet path (by namespace, protocol, address
/// and port; by namespace, protocol and address).
pub(crate) struct ServiceSet {
    pub(crate) svcs: KVec<Arc<Service>>,
    by_key: KVec<u32>,
    by_vip: KVec<u32>,
    /// The namespaces rvs works in: each one that has had a service since
    /// it was created (a flush keeps it there: connections outlive their
    /// services). The hooks are registered in these only (see
    /// `hook_newcomers`), and check the list first all the same.
    nets: KVec<NetRef>,
}

/// An address as two 64-bit words, for the index hashes.
fn addr_words(a: &Addr) -> (u64, u64) {
    let w = a.words();
    (((w[0] as u64) << 32) | w[1] as u64, ((w[2] as u64) << 32) | w[3] as u64)
}

fn key_hash(net: NetRef, proto: u8, addr: &Addr, port: u16) -> u32 {
    let (hi, lo) = addr_words(addr);
    svc_index::hash([net.id(), ((proto as u64) << 16) | port as u64, hi, lo])
}

/// As `key_hash` without the port; bit 32 keeps the two kinds apart.
fn vip_hash(net: NetRef, proto: u8, addr: &Addr) -> u32 {
    let (hi, lo) = addr_words(addr);
    svc_index::hash([net.id(), (1 << 32) | proto as u64, hi, lo])
}

/// A real server's key in the Maglev table: what makes its permutation.
/// An IPv4 server's is its address and port as before IPv6 (so tables do
/// not move on upgrade); an IPv6 server's folds the address's words.
fn mh_key(a: &Addr, port: u16) -> u64 {
    let v = match a.as_v4() {
        Some(v) => v as u64,
        None => {
            let (hi, lo) = addr_words(a);
            (hi ^ lo.rotate_left(29)) & 0xffff_ffff_ffff
        }
    };
    (v << 16) | port as u64
}

impl ServiceSet {
    /// A snapshot of `svcs` (indexed here), working in their namespaces
    /// and in those of `keep`.
    pub(crate) fn new(svcs: KVec<Arc<Service>>, keep: &[NetRef]) -> Result<KBox<ServiceSet>> {
        let mut nets = KVec::with_capacity(keep.len(), GFP_KERNEL)?;
        let live = svcs.iter().filter(|s| !s.retired.load(Relaxed)).map(|s| s.net);
        for n in Iterator::chain(keep.iter().copied(), live) {
            if !nets.contains(&n) {
                nets.push(n, GFP_KERNEL)?;
            }
        }
        let n = svc_index::slots_for(svcs.len());
        let mut by_key = KVec::with_capacity(n, GFP_KERNEL)?;
        let mut by_vip = KVec::with_capacity(n, GFP_KERNEL)?;
        for _ in 0..n {
            by_key.push(svc_index::EMPTY, GFP_KERNEL)?;
            by_vip.push(svc_index::EMPTY, GFP_KERNEL)?;
        }
        for (i, s) in svcs.iter().enumerate() {
            let k = &s.key;
            svc_index::insert(&mut by_key, key_hash(s.net, k.proto, &k.addr, k.port), i as u32);
            svc_index::insert(&mut by_vip, vip_hash(s.net, k.proto, &k.addr), i as u32);
        }
        Ok(KBox::new(ServiceSet { svcs, by_key, by_vip, nets }, GFP_KERNEL)?)
    }

    pub(crate) fn empty() -> Result<KBox<ServiceSet>> {
        ServiceSet::new(KVec::new(), &[])
    }

    /// True if rvs works in `net` (see `nets`): the hooks' first test.
    #[inline]
    pub(crate) fn works_in(&self, net: NetRef) -> bool {
        self.nets.contains(&net)
    }

    /// The namespaces rvs works in.
    pub(crate) fn nets(&self) -> &[NetRef] {
        &self.nets
    }

    /// Registers rvs's hooks in the namespaces this snapshot works in and
    /// `prev` did not (their first service), before the snapshot is
    /// published in place of `prev`.
    pub(crate) fn hook_newcomers(&self, prev: &ServiceSet) -> Result {
        for &n in self.nets.iter().filter(|&&n| !prev.works_in(n)) {
            crate::kern::hooks_on(n)?;
        }
        Ok(())
    }

    /// The service for a packet of namespace `net`: its protocol and
    /// destination.
    pub(crate) fn find(&self, net: NetRef, proto: u8, addr: &Addr, port: u16) -> Option<&Arc<Service>> {
        let i = svc_index::find(&self.by_key, key_hash(net, proto, addr, port), |i| {
            self.svcs.get(i).is_some_and(|s| s.key.proto == proto && s.key.addr == *addr && s.key.port == port && s.is_in(net))
        })?;
        self.svcs.get(i)
    }

    /// True if `addr` is a VIP of any service of `proto` in `net`.
    pub(crate) fn is_vip(&self, net: NetRef, proto: u8, addr: &Addr) -> bool {
        svc_index::find(&self.by_vip, vip_hash(net, proto, addr), |i| {
            self.svcs.get(i).is_some_and(|s| s.key.proto == proto && s.key.addr == *addr && s.is_in(net))
        })
        .is_some()
    }

    /// Where the service `k` of `net` is in `svcs` (control path).
    pub(crate) fn position(&self, net: NetRef, k: &SvcKey) -> Option<usize> {
        self.svcs.iter().position(|s| s.key == *k && s.is_in(net))
    }

    /// This snapshot without the services of `net` (flush; its default
    /// LADDR pool stays, as its settings do); rvs still works in `net`,
    /// for the connections that remain.
    pub(crate) fn without(&self, net: NetRef) -> Result<KBox<ServiceSet>> {
        self.keeping(|s| s.net != net || s.is_pool(), &self.nets)
    }

    /// This snapshot without `net` at all (namespace exit).
    pub(crate) fn forget(&self, net: NetRef) -> Result<KBox<ServiceSet>> {
        let mut keep = KVec::with_capacity(self.nets.len(), GFP_KERNEL)?;
        for n in self.nets.iter().copied().filter(|&n| n != net) {
            keep.push(n, GFP_KERNEL)?;
        }
        self.keeping(|s| s.net != net, &keep)
    }

    /// This snapshot with the services for which `f` holds, working in the
    /// namespaces `keep` (and theirs).
    fn keeping(&self, f: impl Fn(&Service) -> bool, keep: &[NetRef]) -> Result<KBox<ServiceSet>> {
        let mut svcs = KVec::with_capacity(self.svcs.len(), GFP_KERNEL)?;
        // Retired services (of namespaces gone) are dropped as well.
        for s in self.svcs.iter().filter(|s| f(s) && !s.retired.load(Relaxed)) {
            svcs.push(s.clone(), GFP_KERNEL)?;
        }
        ServiceSet::new(svcs, keep)
    }

    /// The services of `net`, in the order they were added (not its
    /// default LADDR pool).
    pub(crate) fn of(&self, net: NetRef) -> impl Iterator<Item = &Arc<Service>> + '_ {
        self.entries_of(net).filter(|s| !s.is_pool())
    }

    /// The services of `net` and its default LADDR pool.
    pub(crate) fn entries_of(&self, net: NetRef) -> impl Iterator<Item = &Arc<Service>> + '_ {
        self.svcs.iter().filter(move |s| s.is_in(net))
    }

    /// The default LADDR pool of `net` (one index lookup: asked by new
    /// FULLNAT connections of services without local addresses of their
    /// own).
    pub(crate) fn pool(&self, net: NetRef) -> Option<&Arc<Service>> {
        let k = SvcKey::DEFAULT_POOL;
        self.find(net, k.proto, &k.addr, k.port)
    }

    /// Writes one line per service (with its namespace's inode number, 0
    /// once the namespace is gone), real server and local address; with
    /// `only`, of that namespace's services alone. The caller holds the
    /// configuration mutex (namespace exits retire their services under
    /// it).
    pub(crate) fn write(&self, _cfg: &CfgGuard, only: Option<NetRef>, w: &mut impl core::fmt::Write) {
        for s in self.svcs.iter().filter(|s| only.is_none_or(|n| s.is_in(n))) {
            let proto = if s.key.proto == crate::rvs_core::packet::IPPROTO_TCP { "tcp" } else { "udp" };
            // A service not retired belongs to a live namespace: its exit
            // retires it under the mutex `_cfg` holds, before the namespace
            // is freed (`NetRef`'s invariant); a retired one is shown as 0.
            let netns = if s.retired.load(Relaxed) { 0 } else { s.net.inum() };
            if s.is_pool() {
                let _ = writeln!(w, "default-laddrs netns {}", netns);
            } else {
                let _ = write!(w, "svc {} {} {} netns {} ", proto, s.key.addr.with_port(s.key.port), s.algo.name(), netns);
                s.stats.write(w);
                let _ = writeln!(w);
            }
            for x in s.dests.iter() {
                let _ = write!(
                    w,
                    "  dest {} weight {} active {} inactive {} persist {} overloaded {} ",
                    x.addr.with_port(x.port),
                    x.weight.load(Relaxed),
                    x.active.load(Relaxed),
                    x.inactive.load(Relaxed),
                    x.persist.load(Relaxed),
                    x.is_overloaded() as u8
                );
                x.stats.write(w);
                let _ = writeln!(w);
            }
            for l in s.laddrs.iter() {
                let _ = write!(
                    w,
                    "  laddr {} conns_now {} port_conflicts {} ",
                    l.addr.display(),
                    l.conns.load(Relaxed),
                    l.port_conflicts.load(Relaxed)
                );
                l.stats.write(w);
                let _ = writeln!(w);
            }
        }
    }

    /// Updates the rate estimates of every service, real server and local
    /// address.
    pub(crate) fn estimate(&self, period_ms: u64) {
        for s in self.svcs.iter() {
            s.stats.estimate(period_ms);
            for d in s.dests.iter() {
                d.stats.estimate(period_ms);
            }
            for l in s.laddrs.iter() {
                l.stats.estimate(period_ms);
            }
        }
    }
}
