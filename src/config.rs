// SPDX-License-Identifier: GPL-2.0
//! The configuration's operations: every change of the service set and of
//! the settings, in one place for every front-end (the "IPVS" generic
//! netlink family in `genl.rs`, the text interface in `ctl.rs`, the
//! sysctls in `sysctl.rs`), as upstream's ip_vs_ctl.c keeps one set of
//! internal add/edit/del functions under its two front-ends.
//!
//! Each operation runs under the configuration mutex (the `CfgGuard` it is
//! handed), checks the request against the current snapshot, builds the
//! successor and publishes it under RCU; the packet path never waits.
//! An edited service keeps its place in the list (listings come out in the
//! order services were added, whichever front-end edits them). A refusal
//! is an errno with an extack message (`ipvs_msg::Error`); the text and
//! sysctl front-ends return the errno alone.

use crate::kern::{CfgGuard, NetRef};
use crate::rvs_core::addr::Addr;
use crate::rvs_core::ctl_text::{Setting, SvcKey};
use crate::rvs_core::ipvs_msg::{errno, msg, Error, Tunnel};
use crate::rvs_core::method::Method;
use crate::rvs_core::sched::Algo;
use crate::service::{keep, Dest, Laddr, Parts, Persist, Service, ServiceSet};
use crate::stats::ObjStats;
use crate::State;
use core::ffi::CStr;
use core::sync::atomic::Ordering::{Relaxed, SeqCst};
use kernel::prelude::*;
use kernel::sync::Arc;

/// An operation's outcome.
pub(crate) type Res<T = ()> = core::result::Result<T, Error>;

/// A refusal: errno and the message user space sees with it.
pub(crate) const fn refuse(errno: i32, msg: &'static CStr) -> Error {
    Error { errno, msg }
}

/// A kernel error (allocation) as a refusal.
pub(crate) fn kerr(e: kernel::error::Error) -> Error {
    let n = -e.to_errno();
    refuse(n, if n == errno::ENOMEM { msg::NO_MEM } else { msg::TOO_BIG })
}

fn no_mem<E>(_: E) -> Error {
    refuse(errno::ENOMEM, msg::NO_MEM)
}

/// A service's own settings (its real servers and local addresses aside).
#[derive(Clone, Copy)]
pub(crate) struct SvcConf {
    pub(crate) algo: Algo,
    pub(crate) persist: Persist,
    pub(crate) synproxy: bool,
    /// Upstream's SCHED1..3, stored and reported back.
    pub(crate) sched_flags: u32,
}

impl SvcConf {
    /// A service scheduled by `algo`, nothing else set.
    pub(crate) fn new(algo: Algo) -> Self {
        SvcConf { algo, persist: Persist::default(), synproxy: false, sched_flags: 0 }
    }

    /// What service `s` has.
    pub(crate) fn of(s: &Service) -> Self {
        SvcConf { algo: s.algo, persist: s.persist, synproxy: s.synproxy, sched_flags: s.sched_flags }
    }

    fn apply(self, p: &mut Parts) {
        p.algo = self.algo;
        p.persist = self.persist;
        p.synproxy = self.synproxy;
        p.sched_flags = self.sched_flags;
    }
}

/// A real server's settings.
#[derive(Clone, Copy)]
pub(crate) struct DestConf {
    pub(crate) weight: u32,
    /// Forwarding method as the client gave it (`ipvs_nl::fwd`).
    pub(crate) fwd: u32,
    /// Upper and lower connection thresholds (0: none).
    pub(crate) u_thresh: u32,
    pub(crate) l_thresh: u32,
    /// Encapsulation, for tunnelling.
    pub(crate) tun: Tunnel,
}

impl DestConf {
    /// A FULLNAT real server of weight `weight`, no thresholds.
    pub(crate) fn fullnat(weight: u32) -> Self {
        DestConf { weight, fwd: crate::rvs_core::ipvs_nl::fwd::FULLNAT, u_thresh: 0, l_thresh: 0, tun: Tunnel::default() }
    }

    /// What real server `d` has.
    pub(crate) fn of(d: &Dest) -> Self {
        let t = d.thresholds();
        DestConf { weight: d.weight.load(Relaxed), fwd: d.fwd.load(Relaxed), u_thresh: t.upper, l_thresh: t.lower, tun: d.tunnel() }
    }

    /// Gives `d` these settings, and `m`, the method `fwd` gave.
    fn apply(self, d: &Dest, m: Method) {
        d.weight.store(self.weight, Relaxed);
        d.fwd.store(self.fwd, Relaxed);
        d.set_method(m);
        d.set_tunnel(self.tun);
        d.set_thresholds(self.u_thresh, self.l_thresh);
    }
}

/// Where service `key` of `net` is in `cur`; ESRCH if it is not there.
fn find(cur: &ServiceSet, net: NetRef, key: &SvcKey) -> Res<usize> {
    cur.position(net, key).ok_or(refuse(errno::ESRCH, msg::NO_SUCH_SVC))
}

/// Publishes `cur` with the service at `at` replaced by `new` (removed if
/// `None`), or `new` appended if `at` is `None`. `cur` is freed by this
/// call: the caller must not use it afterwards.
fn publish(st: &State, cfg: &CfgGuard, cur: &ServiceSet, at: Option<usize>, mut new: Option<Arc<Service>>) -> Res {
    let mut svcs = KVec::with_capacity(cur.svcs.len() + 1, GFP_KERNEL).map_err(no_mem)?;
    for (i, s) in cur.svcs.iter().enumerate() {
        let s = if Some(i) == at {
            match new.take() {
                Some(n) => n,
                None => continue,
            }
        } else {
            s.clone()
        };
        svcs.push(s, GFP_KERNEL).map_err(no_mem)?;
    }
    if let Some(n) = new {
        svcs.push(n, GFP_KERNEL).map_err(no_mem)?;
    }
    let set = ServiceSet::new(svcs, cur.nets()).map_err(kerr)?;
    set.hook_newcomers(cur).map_err(|e| {
        let n = -e.to_errno();
        refuse(n, if n == errno::ENOMEM { msg::NO_MEM } else { msg::HOOKS })
    })?;
    st.svcs.replace(cfg, set);
    Ok(())
}

/// Rebuilds service `key` of `net` from its parts as `edit` leaves them,
/// in its place.
fn rebuild(st: &State, cfg: &CfgGuard, net: NetRef, key: &SvcKey, edit: impl FnOnce(&Service, &mut Parts) -> Res) -> Res {
    let cur = st.svcs.read_locked(cfg);
    let i = find(cur, net, key)?;
    let s = &cur.svcs[i];
    let mut p = s.parts().map_err(kerr)?;
    edit(s, &mut p)?;
    let new = Service::from_parts(s.key, p).map_err(kerr)?;
    publish(st, cfg, cur, Some(i), Some(new))
}

/// What rvs forwards: real servers and local addresses of the service's
/// own family, and for an IPv6 service IPv4 ones too (NAT64: a connection
/// to an IPv4 server leaves from an IPv4 local address; see
/// `Service::next_laddr`). An IPv4 service takes IPv4 only: NAT46 (an
/// IPv4 client to an IPv6 server) is refused here, the one place every
/// front-end passes (`other`: a real server's or local address's).
fn forwarded(svc: &Addr, other: &Addr) -> Res {
    if svc.is_v4() && !other.is_v4() {
        return Err(refuse(errno::EAFNOSUPPORT, msg::NAT46));
    }
    Ok(())
}

/// The method a real server given `fwd` in `net` forwards by: `-m`
/// reads the namespace's `masq_as_fullnat` switch, once, here (its later
/// changes apply to real servers given their method afterwards).
fn method_of(net: NetRef, fwd: u32) -> Res<Method> {
    Method::from_fwd(fwd, net.settings().masq_as_fullnat.load(Relaxed)).ok_or(refuse(errno::EOPNOTSUPP, msg::FWD))
}

/// Whether a real server at `addr` forwarding by `m` may serve service
/// `key` (with SYNPROXY if `synproxy`): NAT, direct routing and
/// tunnelling keep the client's address, so their real servers have the
/// service's family (NAT64 is FULLNAT's; tunnelling across families: not
/// yet); SYNPROXY hands the client's handshake over by rewriting the
/// sequence space, which only FULLNAT does. A namespace that gets a
/// direct-routing or NAT real server is marked so
/// (`Settings::direct_routing`, `Settings::nat`).
fn dest_fits(net: NetRef, key: &SvcKey, synproxy: bool, addr: &Addr, m: Method) -> Res {
    if !m.owns_server_side() && addr.family() != key.addr.family() {
        return Err(refuse(errno::EAFNOSUPPORT, msg::DR_FAMILY));
    }
    if synproxy && !m.owns_server_side() {
        return Err(refuse(errno::EINVAL, msg::SYNPROXY_FWD));
    }
    match m {
        Method::DirectRoute => net.settings().direct_routing.store(true, SeqCst),
        Method::Nat => net.settings().nat.store(true, SeqCst),
        _ => {}
    }
    Ok(())
}

/// A new service `key` in `net`. EEXIST if it exists.
pub(crate) fn add_service(st: &State, cfg: &CfgGuard, net: NetRef, key: SvcKey, conf: SvcConf) -> Res {
    // For every front-end (netlink's decoder refuses them too): a service
    // at the unspecified address or port 0 could not be reached, and
    // `0.0.0.0:0` names the default LADDR pool.
    if key.addr.is_unspecified() {
        return Err(refuse(errno::EINVAL, msg::ADDR_ZERO));
    }
    if key.port == 0 {
        return Err(refuse(errno::EINVAL, msg::PORT_ZERO));
    }
    let cur = st.svcs.read_locked(cfg);
    if cur.position(net, &key).is_some() {
        return Err(refuse(errno::EEXIST, msg::SVC_EXISTS));
    }
    let mut p = Parts {
        net,
        algo: conf.algo,
        dests: KVec::new(),
        laddrs: KVec::new(),
        persist: Persist::default(),
        stats: Arc::new(ObjStats::new().map_err(kerr)?, GFP_KERNEL).map_err(no_mem)?,
        synproxy: false,
        sched_flags: 0,
    };
    conf.apply(&mut p);
    let s = Service::from_parts(key, p).map_err(kerr)?;
    publish(st, cfg, cur, None, Some(s))
}

/// Changes the settings of service `key` as `edit` says (it sees the
/// current ones; it may refuse).
pub(crate) fn edit_service(st: &State, cfg: &CfgGuard, net: NetRef, key: &SvcKey, edit: impl FnOnce(&mut SvcConf) -> Res) -> Res {
    rebuild(st, cfg, net, key, |s, p| {
        let mut c = SvcConf::of(s);
        edit(&mut c)?;
        for d in s.dests.iter() {
            dest_fits(net, key, c.synproxy, &d.addr, d.method())?;
        }
        c.apply(p);
        Ok(())
    })
}

/// Removes service `key` (its connections live on to their end).
pub(crate) fn del_service(st: &State, cfg: &CfgGuard, net: NetRef, key: &SvcKey) -> Res {
    let cur = st.svcs.read_locked(cfg);
    let i = find(cur, net, key)?;
    publish(st, cfg, cur, Some(i), None)
}

/// Whether a real server at `addr` may be given method `m`: one that
/// keeps the client's address cannot be an address of the director's own
/// (rvs has no local node: the packet would come back to it, or the
/// answer would never pass it). Checked when the method is set, not on
/// every later edit: a packet for a real server whose address became the
/// director's afterwards is dropped on the way instead (`drop_no_route`),
/// and its service stays editable.
fn not_local(net: NetRef, addr: &Addr, m: Method) -> Res {
    if !m.owns_server_side() && net.has_addr(addr) {
        return Err(refuse(errno::EINVAL, msg::KEEP_LOCAL));
    }
    Ok(())
}

/// A new real server `addr:port` of service `key`. EEXIST if it exists.
pub(crate) fn add_dest(st: &State, cfg: &CfgGuard, net: NetRef, key: &SvcKey, addr: Addr, port: u16, conf: DestConf) -> Res {
    forwarded(&key.addr, &addr)?;
    rebuild(st, cfg, net, key, |s, p| {
        if s.dests.iter().any(|d| d.addr == addr && d.port == port) {
            return Err(refuse(errno::EEXIST, msg::DEST_EXISTS));
        }
        let m = method_of(net, conf.fwd)?;
        dest_fits(net, key, s.synproxy, &addr, m)?;
        not_local(net, &addr, m)?;
        let d = Dest::new(addr, port, conf.weight).map_err(kerr)?;
        conf.apply(&d, m);
        p.dests.push(d, GFP_KERNEL).map_err(no_mem)
    })
}

/// Changes real server `addr:port` of service `key` as `edit` says.
/// ENOENT if there is none.
pub(crate) fn edit_dest(
    st: &State,
    cfg: &CfgGuard,
    net: NetRef,
    key: &SvcKey,
    (addr, port): (Addr, u16),
    edit: impl FnOnce(&mut DestConf) -> Res,
) -> Res {
    // Rebuilt even though the real server is changed in place: the
    // schedulers that precompute (mh) see the new weight.
    rebuild(st, cfg, net, key, |s, _| {
        let d = s.dests.iter().find(|d| d.addr == addr && d.port == port).ok_or(refuse(errno::ENOENT, msg::NO_SUCH_DEST))?;
        let mut c = DestConf::of(d);
        edit(&mut c)?;
        // Checked before anything changes: the real server is edited in
        // place.
        let new_method = c.fwd != d.fwd.load(Relaxed);
        let m = if new_method { method_of(net, c.fwd)? } else { d.method() };
        dest_fits(net, key, s.synproxy, &addr, m)?;
        if new_method {
            not_local(net, &addr, m)?;
        }
        c.apply(d, m);
        Ok(())
    })
}

/// Removes real server `addr:port` of service `key` (its connections live
/// on to their end). ENOENT if there is none.
pub(crate) fn del_dest(st: &State, cfg: &CfgGuard, net: NetRef, key: &SvcKey, addr: Addr, port: u16) -> Res {
    rebuild(st, cfg, net, key, |_, p| {
        let before = p.dests.len();
        p.dests = keep(core::mem::replace(&mut p.dests, KVec::new()), |d| !(d.addr == addr && d.port == port)).map_err(kerr)?;
        if p.dests.len() == before {
            return Err(refuse(errno::ENOENT, msg::NO_SUCH_DEST));
        }
        Ok(())
    })
}

/// A new local address of service `key` (or of the namespace's default
/// LADDR pool, which a key naming it, `SvcKey::names_default_pool`, makes
/// at its first address: the pool takes addresses of both families, for
/// IPv4 and IPv6 services alike). EEXIST if it has it.
pub(crate) fn add_laddr(st: &State, cfg: &CfgGuard, net: NetRef, key: &SvcKey, addr: Addr) -> Res {
    let key = &key.or_default_pool();
    if *key == SvcKey::DEFAULT_POOL {
        let cur = st.svcs.read_locked(cfg);
        if cur.position(net, key).is_none() {
            let mut laddrs = KVec::new();
            laddrs.push(Laddr::new(addr).map_err(kerr)?, GFP_KERNEL).map_err(no_mem)?;
            let p = Parts {
                net,
                algo: Algo::Rr,
                dests: KVec::new(),
                laddrs,
                persist: Persist::default(),
                stats: Arc::new(ObjStats::new().map_err(kerr)?, GFP_KERNEL).map_err(no_mem)?,
                synproxy: false,
                sched_flags: 0,
            };
            let pool = Service::from_parts(*key, p).map_err(kerr)?;
            return publish(st, cfg, cur, None, Some(pool));
        }
    } else {
        forwarded(&key.addr, &addr)?;
    }
    rebuild(st, cfg, net, key, |s, p| {
        if s.laddrs.iter().any(|l| l.addr == addr) {
            return Err(refuse(errno::EEXIST, msg::LADDR_EXISTS));
        }
        p.laddrs.push(Laddr::new(addr).map_err(kerr)?, GFP_KERNEL).map_err(no_mem)
    })
}

/// Removes local address `addr` of service `key` or of the default pool
/// (its connections live on). ENOENT if it has none such; ESRCH for a
/// pool never made.
pub(crate) fn del_laddr(st: &State, cfg: &CfgGuard, net: NetRef, key: &SvcKey, addr: Addr) -> Res {
    rebuild(st, cfg, net, &key.or_default_pool(), |_, p| {
        let before = p.laddrs.len();
        p.laddrs = keep(core::mem::replace(&mut p.laddrs, KVec::new()), |l| l.addr != addr).map_err(kerr)?;
        if p.laddrs.len() == before {
            return Err(refuse(errno::ENOENT, msg::NO_SUCH_LADDR));
        }
        Ok(())
    })
}

/// Removes every service of `net` (the local port range stays; rvs still
/// works in `net` for the connections that remain).
pub(crate) fn flush(st: &State, cfg: &CfgGuard, net: NetRef) -> Res {
    let set = st.svcs.read_locked(cfg).without(net).map_err(kerr)?;
    st.svcs.replace(cfg, set);
    Ok(())
}

/// Zeroes the counters and rates of service `key` (and of its real servers
/// and local addresses), or with `None` of every service of `net`.
pub(crate) fn zero(st: &State, cfg: &CfgGuard, net: NetRef, key: Option<&SvcKey>) -> Res {
    let cur = st.svcs.read_locked(cfg);
    let zero_one = |s: &Service| {
        s.stats.zero();
        s.dests.iter().for_each(|d| d.stats.zero());
        s.laddrs.iter().for_each(|l| l.stats.zero());
    };
    match key {
        Some(k) => zero_one(&cur.svcs[find(cur, net, k)?]),
        None => cur.entries_of(net).for_each(|s| zero_one(s)),
    }
    Ok(())
}

/// The local port range of namespace `net`. EINVAL unless
/// `1 <= lo <= hi`.
pub(crate) fn set_lport_range(_cfg: &CfgGuard, net: NetRef, lo: u16, hi: u16) -> Res {
    if lo == 0 || lo > hi {
        return Err(refuse(errno::EINVAL, msg::LPORT_RANGE));
    }
    net.settings().set_lports(lo, hi);
    Ok(())
}

/// A runtime setting of namespace `net`, within its bounds
/// (`Setting::min`/`max`, the one definition every front-end checks
/// against). ERANGE beyond them.
pub(crate) fn set(_cfg: &CfgGuard, net: NetRef, what: Setting, v: u32) -> Res {
    if v < what.min() || v > what.max() {
        return Err(refuse(errno::ERANGE, msg::SETTING_RANGE));
    }
    net.settings().set(what, v);
    Ok(())
}
