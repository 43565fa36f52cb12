// SPDX-License-Identifier: GPL-2.0
//! rvs.ko: the director.
//!
//! Module init and exit, the settings, and the state the packet path and
//! the control plane share. `Rvs` holds the registrations in the order
//! they are undone: the front-ends first (no new request), then the hooks
//! (no new packet; netfilter waits for the running ones), the collector,
//! and last the state itself. The state is reached from C only through
//! `kern::module`, which keeps that safe whatever the order; the order
//! makes sure no caller is left to find it gone.

use core::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering::*};
use kernel::prelude::*;

mod config;
mod conn_table;
mod ctl;
mod fullnat;
mod genl;
mod kern;
mod procfs;
mod rvs_core;
mod service;
mod stats;
mod synproxy;
mod sysctl;

use kern::module::Published;
use kern::{CfgGuard, GcGuard, GcWork, GenlFamily, Hook, NetRef, NfHooks, ProcFiles, Sysctls};
use rvs_core::ctl_text::Setting;
use rvs_core::tcp_state::{TcpState, Timeouts, NR_STATES};
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
/// (NF_IP_PRI_CONNTRACK_DEFRAG, -400) so that fragments are seen as such.
const PRI_PRE_ROUTING: i32 = -450;

/// The collector runs this often and looks at this share of the table.
const GC_PERIOD_MS: u32 = 250;
const GC_SHARE: u32 = 4;
/// Rates are estimated this often (upstream: 2 s).
const EST_PERIOD_MS: u64 = 2000;

/// Runtime switches and timeouts, read on the packet path.
pub(crate) struct Settings {
    pub(crate) ts_strip: AtomicBool,
    pub(crate) mss_adjust: AtomicBool,
    pub(crate) toa: AtomicBool,
    pub(crate) drop_frag: AtomicBool,
    pub(crate) drop_udp_tcp_vip: AtomicBool,
    pub(crate) drop_tcp_port: AtomicBool,
    pub(crate) expire_rst: AtomicBool,
    tcp: [AtomicU32; NR_STATES],
    udp: AtomicU32,
    pub(crate) sp: SynproxySettings,
}

/// SYNPROXY's settings (Alibaba's sysctl names and defaults).
pub(crate) struct SynproxySettings {
    pub(crate) init_mss: AtomicU32,
    pub(crate) sack: AtomicBool,
    /// 0: no window scaling offered.
    pub(crate) wscale: AtomicU32,
    pub(crate) synack_ttl: AtomicU32,
    pub(crate) ack_store: AtomicU32,
    pub(crate) syn_retry: AtomicU32,
    /// 0: no guard.
    pub(crate) ack_storm: AtomicU32,
}

impl Settings {
    fn new(t: &Timeouts) -> Self {
        Settings {
            ts_strip: AtomicBool::new(true),
            mss_adjust: AtomicBool::new(true),
            toa: AtomicBool::new(true),
            drop_frag: AtomicBool::new(true),
            drop_udp_tcp_vip: AtomicBool::new(true),
            drop_tcp_port: AtomicBool::new(true),
            expire_rst: AtomicBool::new(true),
            tcp: core::array::from_fn(|i| AtomicU32::new(t.tcp[i])),
            udp: AtomicU32::new(t.udp),
            sp: SynproxySettings {
                init_mss: AtomicU32::new(1452),
                sack: AtomicBool::new(true),
                wscale: AtomicU32::new(7),
                synack_ttl: AtomicU32::new(63),
                ack_store: AtomicU32::new(3),
                syn_retry: AtomicU32::new(3),
                ack_storm: AtomicU32::new(10),
            },
        }
    }

    /// Timeout of a TCP state, seconds.
    pub(crate) fn tcp_timeout(&self, s: TcpState) -> u32 {
        self.tcp[s as usize].load(Relaxed)
    }

    /// UDP timeout, seconds.
    pub(crate) fn udp_timeout(&self) -> u32 {
        self.udp.load(Relaxed)
    }

    /// The current value of a setting (0/1 for switches).
    pub(crate) fn get(&self, s: Setting) -> u32 {
        match s {
            Setting::TsStrip => self.ts_strip.load(Relaxed) as u32,
            Setting::MssAdjust => self.mss_adjust.load(Relaxed) as u32,
            Setting::Toa => self.toa.load(Relaxed) as u32,
            Setting::DropFragments => self.drop_frag.load(Relaxed) as u32,
            Setting::DropUdpToTcpVip => self.drop_udp_tcp_vip.load(Relaxed) as u32,
            Setting::DropTcpUnknownPort => self.drop_tcp_port.load(Relaxed) as u32,
            Setting::TcpTimeout(st) => self.tcp[st as usize].load(Relaxed),
            Setting::UdpTimeout => self.udp.load(Relaxed),
            Setting::ExpireTcpRst => self.expire_rst.load(Relaxed) as u32,
            Setting::SynproxyInitMss => self.sp.init_mss.load(Relaxed),
            Setting::SynproxySack => self.sp.sack.load(Relaxed) as u32,
            Setting::SynproxyWscale => self.sp.wscale.load(Relaxed),
            Setting::SynproxySynackTtl => self.sp.synack_ttl.load(Relaxed),
            Setting::SynproxyAckStore => self.sp.ack_store.load(Relaxed),
            Setting::SynproxySynRetry => self.sp.syn_retry.load(Relaxed),
            Setting::SynproxyAckStorm => self.sp.ack_storm.load(Relaxed),
        }
    }

    pub(crate) fn set(&self, s: Setting, v: u32) {
        match s {
            Setting::TsStrip => self.ts_strip.store(v != 0, Relaxed),
            Setting::MssAdjust => self.mss_adjust.store(v != 0, Relaxed),
            Setting::Toa => self.toa.store(v != 0, Relaxed),
            Setting::DropFragments => self.drop_frag.store(v != 0, Relaxed),
            Setting::DropUdpToTcpVip => self.drop_udp_tcp_vip.store(v != 0, Relaxed),
            Setting::DropTcpUnknownPort => self.drop_tcp_port.store(v != 0, Relaxed),
            Setting::TcpTimeout(st) => self.tcp[st as usize].store(v, Relaxed),
            Setting::UdpTimeout => self.udp.store(v, Relaxed),
            Setting::ExpireTcpRst => self.expire_rst.store(v != 0, Relaxed),
            Setting::SynproxyInitMss => self.sp.init_mss.store(v, Relaxed),
            Setting::SynproxySack => self.sp.sack.store(v != 0, Relaxed),
            Setting::SynproxyWscale => self.sp.wscale.store(v, Relaxed),
            Setting::SynproxySynackTtl => self.sp.synack_ttl.store(v, Relaxed),
            Setting::SynproxyAckStore => self.sp.ack_store.store(v, Relaxed),
            Setting::SynproxySynRetry => self.sp.syn_retry.store(v, Relaxed),
            Setting::SynproxyAckStorm => self.sp.ack_storm.store(v, Relaxed),
        }
    }
}

/// Everything the packet path and the control path share.
pub(crate) struct State {
    pub(crate) conns: conn_table::ConnTable,
    pub(crate) svcs: kern::RcuBox<service::ServiceSet>,
    pub(crate) stats: stats::Stats,
    pub(crate) settings: Settings,
    /// Jiffies of the last rate estimation.
    est_last: AtomicU64,
}

struct Rvs {
    /// First to go: no request reaches the state after this.
    _genl: GenlFamily,
    _proc: ProcFiles,
    _sysctl: Sysctls,
    _hooks: NfHooks,
    _gc: GcWork,
    /// Last: unpublished and freed once nothing above can call in.
    _state: Published,
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
        let n = st.conns.collect(share.max(1), now, |c| fullnat::expiring(st, c, now));
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
        let cur = st.svcs.read_locked(&cfg);
        if cur.of(net).next().is_some() || cur.works_in(net) {
            // First made inert (no allocation: a later namespace at the
            // same address never sees them), then dropped from the set.
            cur.of(net).for_each(|s| s.retire());
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

impl kernel::Module for Rvs {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        kern::cookie_init();
        let bits = kern::param_conn_tab_bits();
        if !CONN_TAB_BITS_RANGE.contains(&bits) {
            pr_err!("conn_tab_bits={} is out of range 8..22\n", bits);
            return Err(EINVAL);
        }
        let st = KBox::new(
            State {
                conns: conn_table::ConnTable::new(bits, kern::param_max_conns())?,
                svcs: kern::RcuBox::new(service::ServiceSet::empty()?),
                stats: stats::Stats::new()?,
                settings: Settings::new(&Timeouts::default()),
                est_last: AtomicU64::new(kern::jiffies()),
            },
            GFP_KERNEL,
        )?;
        let state = Published::new(st)?;
        let gc = GcWork::start(GC_PERIOD_MS);
        let hooks = NfHooks::register([Hook::LocalIn(PRI_LOCAL_IN), Hook::PreRouting(PRI_PRE_ROUTING)])?;
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
        Ok(Rvs { _genl: genl, _proc: proc_files, _sysctl: sysctls, _hooks: hooks, _gc: gc, _state: state, conn_tab_bits: bits })
    }
}

impl Drop for Rvs {
    fn drop(&mut self) {
        pr_info!("rvs {} unloaded (2^{} buckets)\n", VERSION, self.conn_tab_bits);
    }
}
