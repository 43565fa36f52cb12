// SPDX-License-Identifier: GPL-2.0
//! rvs.ko: the director.
//!
//! Module init and exit, the collector's tick and a namespace's exit (the
//! state they share is `state.rs`). `Rvs` holds the registrations in the
//! order they are undone: the front-ends first (no new request), then the
//! hooks (no new packet; netfilter waits for the running ones), the
//! sync works and the collector, and last the state itself (with it the
//! sync daemons and their sockets). The state is reached from C only through
//! `kern::module`, which keeps that safe whatever the order; the order
//! makes sure no caller is left to find it gone. Every namespace's
//! settings (`NetSettings`) come first and go last: whatever reaches a
//! namespace finds them.

use core::sync::atomic::{AtomicU64, Ordering::*};
use kernel::prelude::*;

mod config;
mod conn_table;
mod ctl;
mod dispatch;
mod expire;
mod forward;
mod nat64_icmp;
mod genl;
mod kern;
mod procfs;
mod rvs_core;
mod pkt;
mod schedule;
mod service;
mod sp_state;
mod state;
mod stats;
mod sync;
mod sync_backup;
mod synproxy;
mod sysctl;
mod xmit;

use kern::module::Published;
pub(crate) use state::State;
use kern::{CfgGuard, GcGuard, GcWork, GenlFamily, Hook, NetRef, NetSettings, NfHooks, ProcFiles, SyncRxWork, SyncWork, Sysctls};
use rvs_core::addr::Family;
use rvs_core::version::VERSION;

module! {
    type: Rvs,
    name: "rvs",
    author: "rvs developers",
    description: "rvs: FULLNAT and SYNPROXY layer-4 load balancer (IPVS compatible)",
    license: "GPL",
}

/// Smallest and largest accepted `conn_tab_bits`.
const CONN_TAB_BITS_RANGE: core::ops::RangeInclusive<u32> = 8..=22;

/// LOCAL_IN priority: after the filter table (0), as upstream IPVS
/// (NF_IP_PRI_NAT_SRC - 2).
const PRI_LOCAL_IN: i32 = 98;
/// PRE_ROUTING priority of the fragment guard: before defragmentation
/// (NF_IP_PRI_CONNTRACK_DEFRAG and NF_IP6_PRI_CONNTRACK_DEFRAG, -400) so
/// that fragments are seen as such.
const PRI_PRE_ROUTING: i32 = -450;
/// FORWARD priority: after the filter table, as upstream IPVS catches NAT
/// answers there (ip_vs_reply4: 100).
const PRI_FORWARD: i32 = 100;

/// The collector runs this often and looks at this share of the table.
const GC_PERIOD_MS: u32 = 250;
const GC_SHARE: u32 = 4;
/// Rates are estimated this often (upstream: 2 s).
const EST_PERIOD_MS: u64 = 2000;

struct Rvs {
    /// First to go: no request reaches the state after this.
    _genl: GenlFamily,
    _proc: ProcFiles,
    _sysctl: Sysctls,
    _hooks: NfHooks,
    /// Before the state: no tick finds it gone (the masters go with it).
    _sync: SyncWork,
    /// Before the state: no run of the receive work finds it gone, and no
    /// arrival on a backup's socket (released with the state) queues it.
    _sync_rx: SyncRxWork,
    _gc: GcWork,
    /// Unpublished and freed once nothing above can call in.
    _state: Published,
    /// Last: every namespace's settings.
    _settings: NetSettings,
    conn_tab_bits: u32,
}

/// The collector's tick (workqueue context, the collector's mutex held):
/// a share of the table swept for expired connections, and the rates
/// estimated every `EST_PERIOD_MS`.
pub(crate) fn gc_tick(st: &State, _gc: &GcGuard) {
    let share = (1u32 << kern::param_conn_tab_bits().clamp(8, 22)) / GC_SHARE;
    let now = kern::jiffies();
    // An empty table has nothing to expire: an idle director does not
    // sweep its 2^conn_tab_bits buckets every second.
    if !st.conns.is_empty() {
        let n = st.conns.collect(share.max(1), now, |c| expire::expiring(st, c, now));
        st.stats.add(stats::Ctr::Expired, n as u64);
    }
    let now = kern::jiffies();
    let elapsed_ms = (now - st.est_last.load(Relaxed)) * 1000 / kern::hz();
    if elapsed_ms >= EST_PERIOD_MS {
        st.est_last.store(now, Relaxed);
        let g = kern::RcuGuard::new();
        st.svcs.read(&g).estimate(elapsed_ms);
    }
}

/// A namespace is going away; its hooks are already unregistered (no
/// packet of it is in flight): its services and connections are freed.
pub(crate) fn net_gone(net: NetRef) {
    {
        let cfg = CfgGuard::lock();
        let Some(st) = kern::module::state_cfg(&cfg) else { return };
        // Its sync master's socket must go before the namespace.
        sync::net_gone(st, &cfg, net);
        let cur = st.svcs.read_locked(&cfg);
        if cur.entries_of(net).next().is_some() || cur.works_in(net) {
            // First made inert (no allocation: a later namespace at the
            // same address never sees them), then dropped from the set.
            // Their direct-routing routes go now: the namespace's
            // devices may wait for them, and no packet refills them.
            cur.entries_of(net).for_each(|s| {
                s.retire();
                s.dests.iter().for_each(|d| d.route_dr.clear());
            });
            match cur.forget(net) {
                Ok(set) => st.svcs.replace(&cfg, set),
                Err(_) => pr_warn!("no memory to drop the services of a namespace going away; they stay inert\n"),
            }
        }
    }
    let gc = GcGuard::lock();
    let Some(st) = kern::module::state_gc(&gc) else { return };
    st.conns.unlink_net(net);
}

/// A device is leaving namespace `net` (`rvs_netdev_event` in
/// kern/helpers.c says why): the direct-routing routes are dropped, of
/// the real servers configured there and of those that only its
/// connections or templates still hold (removed from their service).
/// Nothing to do, and no cost, where direct routing was never configured;
/// elsewhere a grace period and a walk of the connection table, in pieces
/// with rescheduling points between them. Process context, RTNL held.
pub(crate) fn dev_gone(net: NetRef) {
    const PIECE: u32 = 4096;
    // Ordered after the device's routes left the tree (and against the
    // flag's setting, before its real server was published).
    core::sync::atomic::fence(SeqCst);
    if !net.settings().direct_routing.load(Relaxed) {
        return;
    }
    {
        let g = kern::RcuGuard::new();
        let Some(st) = kern::module::state_rcu(&g) else { return };
        if st.svcs.read(&g).of(net).next().is_none() && st.conns.is_empty() {
            return;
        }
    }
    // A packet that found one of the device's routes before they went has
    // cached it by now.
    kern::synchronize_net();
    let mut b = 0u32;
    loop {
        {
            let g = kern::RcuGuard::new();
            let Some(st) = kern::module::state_rcu(&g) else { return };
            if b == 0 {
                for s in st.svcs.read(&g).of(net) {
                    s.dests.iter().for_each(|d| d.route_dr.clear());
                }
            }
            let end = b.saturating_add(PIECE).min(st.conns.buckets());
            for bucket in b..end {
                // Templates too: one may be the last holder of a real
                // server whose connections are gone.
                st.conns.for_each_linked_in_bucket(&g, bucket, |c| {
                    if c.net == net {
                        c.dest.route_dr.clear();
                    }
                });
            }
            if end == st.conns.buckets() {
                return;
            }
            b = end;
        }
        kern::cond_resched();
    }
}

impl kernel::Module for Rvs {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        let bits = kern::param_conn_tab_bits();
        if !CONN_TAB_BITS_RANGE.contains(&bits) {
            pr_err!("conn_tab_bits={} is out of range 8..22\n", bits);
            return Err(EINVAL);
        }
        let settings = NetSettings::register()?;
        let st = KBox::new(
            State {
                conns: conn_table::ConnTable::new(bits, kern::param_max_conns())?,
                svcs: kern::RcuBox::new(service::ServiceSet::empty()?),
                sync: sync::new_set()?,
                stats: stats::Stats::new()?,
                est_last: AtomicU64::new(kern::jiffies()),
            },
            GFP_KERNEL,
        )?;
        let state = Published::new(st)?;
        let gc = GcWork::start(GC_PERIOD_MS);
        let sync_work = SyncWork::start(sync::PERIOD_MS);
        let sync_rx = SyncRxWork::start();
        let hooks = NfHooks::register([
            Hook::LocalIn(Family::V4, PRI_LOCAL_IN),
            Hook::PreRouting(Family::V4, PRI_PRE_ROUTING),
            Hook::LocalIn(Family::V6, PRI_LOCAL_IN),
            Hook::PreRouting(Family::V6, PRI_PRE_ROUTING),
            Hook::Forward(Family::V4, PRI_FORWARD),
            Hook::Forward(Family::V6, PRI_FORWARD),
        ])?;
        let genl = GenlFamily::register().map_err(|e| {
            if e == EEXIST {
                pr_err!("the generic netlink family \"IPVS\" is already registered (ip_vs loaded?): rvs does not load beside it; unload ip_vs first\n");
            } else {
                pr_err!("registering the generic netlink family \"IPVS\" failed ({:?})\n", e);
            }
            e
        })?;
        // After the family: with ip_vs loaded, the family refuses cleanly
        // before /proc/net/ip_vs would clash.
        let proc_files = ProcFiles::register()?;
        let sysctls = Sysctls::register()?;
        pr_info!("rvs {} loaded (connection table 2^{} buckets)\n", VERSION, bits);
        Ok(Rvs { _genl: genl, _proc: proc_files, _sysctl: sysctls, _hooks: hooks, _sync: sync_work, _sync_rx: sync_rx, _gc: gc, _state: state, _settings: settings, conn_tab_bits: bits })
    }
}

impl Drop for Rvs {
    fn drop(&mut self) {
        pr_info!("rvs {} unloaded (2^{} buckets)\n", VERSION, self.conn_tab_bits);
    }
}
