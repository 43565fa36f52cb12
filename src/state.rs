// SPDX-License-Identifier: GPL-2.0
//! What the packet path and the control plane share: the connection
//! table, the published service set and the counters, one value owned by
//! the module (`rvs_main.rs`) and reached from C callbacks through
//! `kern::module`; and each network namespace's runtime settings
//! (`Settings`, one per namespace, reached through `NetRef::settings`).
//!
//! Settings are per namespace as upstream keeps its timeouts and sysctls
//! (`struct netns_ipvs`): a container that sets its own timeouts changes
//! its own connections and nobody else's. They live from the namespace's
//! creation (or rvs's load) to its exit, allocated and freed by the pernet
//! operations in `kern/helpers.c`, which the packet path and every
//! front-end of that namespace run inside of.

use crate::rvs_core::ctl_text::Setting;
use crate::rvs_core::lport::PortRange;
use crate::rvs_core::prefixes::Prefixes;
use crate::rvs_core::sync_threshold::SyncThreshold;
use crate::rvs_core::tcp_state::{TcpState, Timeouts, NR_STATES};
use crate::{conn_table, kern, service, stats};
use core::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering::*};

/// A namespace's runtime switches, timeouts and local port range, read on
/// the packet path.
pub(crate) struct Settings {
    pub(crate) ts_strip: AtomicBool,
    pub(crate) mss_adjust: AtomicBool,
    pub(crate) toa: AtomicBool,
    /// The TOA kind for IPv6 clients (`toa::v6_kind_valid`).
    pub(crate) toa_v6_kind: AtomicU32,
    pub(crate) drop_frag: AtomicBool,
    pub(crate) drop_udp_tcp_vip: AtomicBool,
    pub(crate) drop_tcp_port: AtomicBool,
    pub(crate) expire_rst: AtomicBool,
    pub(crate) expire_quiescent: AtomicBool,
    /// `-m` makes FULLNAT real servers (read when a real server is given
    /// its method: `config`).
    pub(crate) masq_as_fullnat: AtomicBool,
    tcp: [AtomicU32; NR_STATES],
    udp: AtomicU32,
    /// `Setting::SyncRefreshPeriod` (0: half the state's timeout).
    pub(crate) sync_refresh: AtomicU32,
    /// `Setting::SyncRetries`: the refresh sweep's repeats.
    pub(crate) sync_retries: AtomicU32,
    /// `Setting::SyncPersistMode`: a template's connections go as their
    /// template's record alone.
    pub(crate) sync_persist_mode: AtomicBool,
    /// `Setting::SyncSockSize`: read when a daemon starts.
    pub(crate) sync_sock_size: AtomicU32,
    /// The `sync_threshold` pair (`SyncThreshold::pack`).
    sync_threshold: AtomicU64,
    /// The namespace runs a sync master (set once it is in
    /// `State::sync`, cleared as it leaves): the packet path's cheap
    /// look before it counts packets for `sync_threshold`.
    pub(crate) sync_master: AtomicBool,
    /// Whose sync messages the backup takes (the `sync_peers` sysctl;
    /// empty: anyone's), read by the receive work.
    pub(crate) sync_peers: kern::CfgCell<Prefixes>,
    pub(crate) sp: SynproxySettings,
    /// The local port range, `min << 16 | max` (one word: a reader never
    /// sees one bound of a range and the other of another).
    lports: AtomicU32,
    /// A direct-routing real server was configured here at some time
    /// (never cleared): only then may a device's going leave a route of
    /// rvs's holding it (`crate::dev_gone`). Set before the real server
    /// is published, so before any packet can use it.
    pub(crate) direct_routing: AtomicBool,
    /// A NAT real server was configured here at some time (never
    /// cleared): only then does the FORWARD hook look forwarded packets
    /// up (`dispatch::forward_hook`). Set before the real server is
    /// published.
    pub(crate) nat: AtomicBool,
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
    /// The SYN cookie key (`kern::CookieKey`'s two words): random per
    /// namespace, or one the operator gave every director of a cluster
    /// (the `synproxy_cookie_key` sysctl), so that a cookie one director
    /// issued is taken by another. Its two words are stored one after the
    /// other: a packet that reads them during a change hashes with a
    /// mixture, which takes no cookie either key made, as a cookie made
    /// before a change is not taken after it.
    cookie_key: [AtomicU64; 2],
    /// The key is the operator's (not this namespace's random one).
    pub(crate) cookie_key_shared: AtomicBool,
}

impl SynproxySettings {
    /// The SYN cookie key now.
    pub(crate) fn cookie_key(&self) -> kern::CookieKey {
        [self.cookie_key[0].load(Relaxed), self.cookie_key[1].load(Relaxed)]
    }

    /// Sets the SYN cookie key: the operator's (`shared`) or a random one.
    pub(crate) fn set_cookie_key(&self, k: kern::CookieKey, shared: bool) {
        self.cookie_key[0].store(k[0], Relaxed);
        self.cookie_key[1].store(k[1], Relaxed);
        self.cookie_key_shared.store(shared, Relaxed);
    }
}

impl Settings {
    pub(crate) fn new(t: &Timeouts) -> Self {
        let key = kern::new_cookie_key();
        Settings {
            ts_strip: AtomicBool::new(true),
            mss_adjust: AtomicBool::new(true),
            toa: AtomicBool::new(true),
            toa_v6_kind: AtomicU32::new(crate::rvs_core::toa::KIND_V4 as u32),
            drop_frag: AtomicBool::new(true),
            drop_udp_tcp_vip: AtomicBool::new(true),
            drop_tcp_port: AtomicBool::new(true),
            expire_rst: AtomicBool::new(true),
            expire_quiescent: AtomicBool::new(false),
            masq_as_fullnat: AtomicBool::new(false),
            tcp: core::array::from_fn(|i| AtomicU32::new(t.tcp[i])),
            udp: AtomicU32::new(t.udp),
            sync_refresh: AtomicU32::new(0),
            sync_retries: AtomicU32::new(0),
            sync_persist_mode: AtomicBool::new(false),
            sync_sock_size: AtomicU32::new(0),
            sync_threshold: AtomicU64::new(SyncThreshold::DEFAULT.pack()),
            sync_master: AtomicBool::new(false),
            sync_peers: kern::CfgCell::new(Prefixes::everyone()),
            sp: SynproxySettings {
                init_mss: AtomicU32::new(1452),
                sack: AtomicBool::new(true),
                wscale: AtomicU32::new(7),
                synack_ttl: AtomicU32::new(63),
                ack_store: AtomicU32::new(3),
                syn_retry: AtomicU32::new(3),
                ack_storm: AtomicU32::new(10),
                cookie_key: key.map(AtomicU64::new),
                cookie_key_shared: AtomicBool::new(false),
            },
            lports: AtomicU32::new(pack(PortRange::default())),
            direct_routing: AtomicBool::new(false),
            nat: AtomicBool::new(false),
        }
    }

    /// The local port range FULLNAT picks from.
    pub(crate) fn lports(&self) -> PortRange {
        let v = self.lports.load(Relaxed);
        PortRange { min: (v >> 16) as u16, max: v as u16, ..PortRange::default() }
    }

    /// Sets the local port range (the caller checked `1 <= min <= max`).
    pub(crate) fn set_lports(&self, min: u16, max: u16) {
        self.lports.store(pack(PortRange { min, max, ..PortRange::default() }), Relaxed);
    }

    /// Upstream's packet rule for re-sending a connection's sync record.
    pub(crate) fn sync_threshold(&self) -> SyncThreshold {
        SyncThreshold::unpack(self.sync_threshold.load(Relaxed))
    }

    pub(crate) fn set_sync_threshold(&self, t: SyncThreshold) {
        self.sync_threshold.store(t.pack(), Relaxed);
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
            Setting::ToaV6Kind => self.toa_v6_kind.load(Relaxed),
            Setting::DropFragments => self.drop_frag.load(Relaxed) as u32,
            Setting::DropUdpToTcpVip => self.drop_udp_tcp_vip.load(Relaxed) as u32,
            Setting::DropTcpUnknownPort => self.drop_tcp_port.load(Relaxed) as u32,
            Setting::TcpTimeout(st) => self.tcp[st as usize].load(Relaxed),
            Setting::UdpTimeout => self.udp.load(Relaxed),
            Setting::ExpireTcpRst => self.expire_rst.load(Relaxed) as u32,
            Setting::ExpireQuiescentTemplate => self.expire_quiescent.load(Relaxed) as u32,
            Setting::MasqAsFullnat => self.masq_as_fullnat.load(Relaxed) as u32,
            Setting::SynproxyInitMss => self.sp.init_mss.load(Relaxed),
            Setting::SynproxySack => self.sp.sack.load(Relaxed) as u32,
            Setting::SynproxyWscale => self.sp.wscale.load(Relaxed),
            Setting::SynproxySynackTtl => self.sp.synack_ttl.load(Relaxed),
            Setting::SynproxyAckStore => self.sp.ack_store.load(Relaxed),
            Setting::SynproxySynRetry => self.sp.syn_retry.load(Relaxed),
            Setting::SynproxyAckStorm => self.sp.ack_storm.load(Relaxed),
            Setting::SyncRefreshPeriod => self.sync_refresh.load(Relaxed),
            Setting::SyncRetries => self.sync_retries.load(Relaxed),
            Setting::SyncPersistMode => self.sync_persist_mode.load(Relaxed) as u32,
            Setting::SyncSockSize => self.sync_sock_size.load(Relaxed),
        }
    }

    pub(crate) fn set(&self, s: Setting, v: u32) {
        match s {
            Setting::TsStrip => self.ts_strip.store(v != 0, Relaxed),
            Setting::MssAdjust => self.mss_adjust.store(v != 0, Relaxed),
            Setting::Toa => self.toa.store(v != 0, Relaxed),
            Setting::ToaV6Kind => self.toa_v6_kind.store(v, Relaxed),
            Setting::DropFragments => self.drop_frag.store(v != 0, Relaxed),
            Setting::DropUdpToTcpVip => self.drop_udp_tcp_vip.store(v != 0, Relaxed),
            Setting::DropTcpUnknownPort => self.drop_tcp_port.store(v != 0, Relaxed),
            Setting::TcpTimeout(st) => self.tcp[st as usize].store(v, Relaxed),
            Setting::UdpTimeout => self.udp.store(v, Relaxed),
            Setting::ExpireTcpRst => self.expire_rst.store(v != 0, Relaxed),
            Setting::ExpireQuiescentTemplate => self.expire_quiescent.store(v != 0, Relaxed),
            Setting::MasqAsFullnat => self.masq_as_fullnat.store(v != 0, Relaxed),
            Setting::SynproxyInitMss => self.sp.init_mss.store(v, Relaxed),
            Setting::SynproxySack => self.sp.sack.store(v != 0, Relaxed),
            Setting::SynproxyWscale => self.sp.wscale.store(v, Relaxed),
            Setting::SynproxySynackTtl => self.sp.synack_ttl.store(v, Relaxed),
            Setting::SynproxyAckStore => self.sp.ack_store.store(v, Relaxed),
            Setting::SynproxySynRetry => self.sp.syn_retry.store(v, Relaxed),
            Setting::SynproxyAckStorm => self.sp.ack_storm.store(v, Relaxed),
            Setting::SyncRefreshPeriod => self.sync_refresh.store(v, Relaxed),
            Setting::SyncRetries => self.sync_retries.store(v, Relaxed),
            Setting::SyncPersistMode => self.sync_persist_mode.store(v != 0, Relaxed),
            Setting::SyncSockSize => self.sync_sock_size.store(v, Relaxed),
        }
    }
}

const fn pack(r: PortRange) -> u32 {
    (r.min as u32) << 16 | r.max as u32
}

/// Everything the packet path and the control path share, every
/// namespace's (their settings aside).
pub(crate) struct State {
    pub(crate) conns: conn_table::ConnTable,
    pub(crate) svcs: kern::RcuBox<service::ServiceSet>,
    /// Every namespace's connection sync master and backup (`sync`,
    /// `sync_backup`).
    pub(crate) sync: kern::RcuBox<crate::sync::Daemons>,
    pub(crate) stats: stats::Stats,
    /// Jiffies of the last rate estimation.
    pub(crate) est_last: AtomicU64,
}

