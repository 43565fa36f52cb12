// SPDX-License-Identifier: GPL-2.0
//! The text control path (see `core/src/ctl_text.rs`): commands written
//! to /sys/module/rvs/parameters/ctl, counters read from
//! /sys/module/rvs/parameters/stats (the parameters' callbacks are in
//! `kern::params`). It stays beside the "IPVS" generic netlink family, for
//! scripts and for the counters no netlink message carries.

use crate::kern::{CfgGuard, NetRef};
use crate::rvs_core::ctl_text::{self, Command, SvcKey};
use crate::service::{keep, Dest, Laddr, Persist, Service, ServiceSet};
use crate::stats::Writer;
use crate::State;
use core::sync::atomic::Ordering::Relaxed;
use kernel::prelude::*;
use kernel::sync::Arc;

/// Applies one command to the configuration of namespace `net`. The
/// caller holds the configuration mutex, so this is the only writer.
pub(crate) fn apply(st: &State, cfg: &CfgGuard, net: NetRef, cmd: Command) -> Result {
    let cur = st.svcs.read_locked(cfg);
    let mut svcs: KVec<Arc<Service>> = KVec::with_capacity(cur.svcs.len() + 1, GFP_KERNEL)?;
    let mut lports = cur.lports;
    let find = |k: &SvcKey| cur.position(net, k);
    // Copy the current services, replacing the one the command changes.
    let (target, replacement): (Option<usize>, Option<Arc<Service>>) = match cmd {
        Command::AddService(k, algo) => {
            if find(&k).is_some() {
                return Err(EEXIST);
            }
            (None, Some(Service::new(net, k, algo)?))
        }
        Command::DelService(k) => (Some(find(&k).ok_or(ENOENT)?), None),
        Command::AddDest(k, addr, port, w) => {
            let i = find(&k).ok_or(ENOENT)?;
            let s = &cur.svcs[i];
            if s.dests.iter().any(|d| d.addr == addr && d.port == port) {
                return Err(EEXIST);
            }
            let mut p = s.parts()?;
            p.dests.push(Dest::new(addr, port, w)?, GFP_KERNEL)?;
            (Some(i), Some(Service::from_parts(k, p)?))
        }
        Command::DelDest(k, addr, port) => {
            let i = find(&k).ok_or(ENOENT)?;
            let mut p = cur.svcs[i].parts()?;
            let before = p.dests.len();
            p.dests = keep(p.dests, |d| !(d.addr == addr && d.port == port))?;
            if p.dests.len() == before {
                return Err(ENOENT);
            }
            (Some(i), Some(Service::from_parts(k, p)?))
        }
        Command::DelLaddr(k, addr) => {
            let i = find(&k).ok_or(ENOENT)?;
            let mut p = cur.svcs[i].parts()?;
            let before = p.laddrs.len();
            p.laddrs = keep(p.laddrs, |l| l.addr != addr)?;
            if p.laddrs.len() == before {
                return Err(ENOENT);
            }
            (Some(i), Some(Service::from_parts(k, p)?))
        }
        Command::SetWeight(k, addr, port, w) => {
            let i = find(&k).ok_or(ENOENT)?;
            let s = &cur.svcs[i];
            let d = s.dests.iter().find(|d| d.addr == addr && d.port == port).ok_or(ENOENT)?;
            d.weight.store(w, Relaxed);
            // Rebuilt for the schedulers that precompute (mh).
            (Some(i), Some(Service::from_parts(k, s.parts()?)?))
        }
        Command::AddLaddr(k, addr) => {
            let i = find(&k).ok_or(ENOENT)?;
            let s = &cur.svcs[i];
            if s.laddrs.iter().any(|l| l.addr == addr) {
                return Err(EEXIST);
            }
            let mut p = s.parts()?;
            p.laddrs.push(Laddr::new(addr)?, GFP_KERNEL)?;
            (Some(i), Some(Service::from_parts(k, p)?))
        }
        Command::SetPersist(k, timeout, mask) => {
            let i = find(&k).ok_or(ENOENT)?;
            let mut p = cur.svcs[i].parts()?;
            p.persist = Persist { timeout, mask };
            (Some(i), Some(Service::from_parts(k, p)?))
        }
        Command::SetSynproxy(k, on) => {
            let i = find(&k).ok_or(ENOENT)?;
            let mut p = cur.svcs[i].parts()?;
            p.synproxy = on;
            (Some(i), Some(Service::from_parts(k, p)?))
        }
        Command::SetLportRange(lo, hi) => {
            lports.min = lo;
            lports.max = hi;
            (None, None)
        }
        Command::Set(what, v) => {
            st.settings.set(what, v);
            return Ok(());
        }
        Command::Flush => {
            st.svcs.replace(cfg, cur.without(net)?);
            return Ok(());
        }
    };
    for (i, s) in cur.svcs.iter().enumerate() {
        if Some(i) != target {
            svcs.push(s.clone(), GFP_KERNEL)?;
        }
    }
    if let Some(r) = replacement {
        svcs.push(r, GFP_KERNEL)?;
    }
    let set = ServiceSet::new(svcs, lports, cur.nets())?;
    set.hook_newcomers(cur)?;
    st.svcs.replace(cfg, set);
    Ok(())
}

/// One line written to the `ctl` parameter, by a task of namespace `net`
/// (`kern::params`, under the configuration mutex).
pub(crate) fn write(st: &State, cfg: &CfgGuard, net: NetRef, line: &[u8]) -> Result {
    let cmd = ctl_text::parse(line).map_err(|e| {
        pr_warn!("ctl: {:?} in {:?}\n", e, core::str::from_utf8(line).unwrap_or("?").trim_end());
        EINVAL
    })?;
    apply(st, cfg, net, cmd)
}

/// The `stats` parameter's text, into `out`; returns its length.
pub(crate) fn read_stats(st: &State, cfg: &CfgGuard, out: &mut [u8]) -> usize {
    let mut w = Writer { buf: out, len: 0 };
    st.stats.write(&mut w, st.conns.count(), st.conns.templates());
    st.svcs.read_locked(cfg).write(cfg, &mut w);
    w.len
}
