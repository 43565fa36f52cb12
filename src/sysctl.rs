// SPDX-License-Identifier: GPL-2.0
//! Sysctls under net.ipv4.vs (Alibaba's names where Alibaba had the knob),
//! mapped onto a namespace's runtime settings and local port range
//! (`state::Settings`), with bounds checked by proc_dointvec_minmax (the
//! tables in src/kern/proc.c, its handlers in src/kern/sysctl.rs).
//! Every network namespace has its own table over its own settings, as
//! upstream IPVS has; a namespace owned by another user namespace than the
//! initial one gets them read-only (see `kern/proc.c`).

use crate::config;
use crate::kern::{CfgGuard, NetRef};
use crate::rvs_core::ctl_text::Setting;
use crate::rvs_core::tcp_state::TcpState::*;
use core::ffi::CStr;
use kernel::prelude::*;

#[derive(Clone, Copy)]
enum Knob {
    S(Setting),
    LportMin,
    LportMax,
}

const KNOBS: [(&CStr, Knob); 29] = [
    (c"fullnat_timestamp_remove_entry", Knob::S(Setting::TsStrip)),
    (c"fullnat_mss_adjust_entry", Knob::S(Setting::MssAdjust)),
    (c"fullnat_toa_entry", Knob::S(Setting::Toa)),
    (c"fullnat_toa_v6_kind", Knob::S(Setting::ToaV6Kind)),
    (c"defence_frag_drop", Knob::S(Setting::DropFragments)),
    (c"defence_udp_drop", Knob::S(Setting::DropUdpToTcpVip)),
    (c"defence_tcp_drop", Knob::S(Setting::DropTcpUnknownPort)),
    (c"fullnat_lport_min", Knob::LportMin),
    (c"fullnat_lport_max", Knob::LportMax),
    (c"timeout_established", Knob::S(Setting::TcpTimeout(Established))),
    (c"timeout_syn_sent", Knob::S(Setting::TcpTimeout(SynSent))),
    (c"timeout_syn_recv", Knob::S(Setting::TcpTimeout(SynRecv))),
    (c"timeout_fin_wait", Knob::S(Setting::TcpTimeout(FinWait))),
    (c"timeout_time_wait", Knob::S(Setting::TcpTimeout(TimeWait))),
    (c"timeout_close", Knob::S(Setting::TcpTimeout(Close))),
    (c"timeout_close_wait", Knob::S(Setting::TcpTimeout(CloseWait))),
    (c"timeout_last_ack", Knob::S(Setting::TcpTimeout(LastAck))),
    (c"timeout_udp", Knob::S(Setting::UdpTimeout)),
    (c"conn_expire_tcp_rst", Knob::S(Setting::ExpireTcpRst)),
    (c"expire_quiescent_template", Knob::S(Setting::ExpireQuiescentTemplate)),
    (c"masq_as_fullnat", Knob::S(Setting::MasqAsFullnat)),
    (c"synproxy_init_mss", Knob::S(Setting::SynproxyInitMss)),
    (c"synproxy_sack", Knob::S(Setting::SynproxySack)),
    (c"synproxy_wscale", Knob::S(Setting::SynproxyWscale)),
    (c"synproxy_synack_ttl", Knob::S(Setting::SynproxySynackTtl)),
    (c"synproxy_ack_skb_store_thresh", Knob::S(Setting::SynproxyAckStore)),
    (c"synproxy_syn_retry", Knob::S(Setting::SynproxySynRetry)),
    (c"synproxy_ack_storm_thresh", Knob::S(Setting::SynproxyAckStorm)),
    (c"sync_refresh_period", Knob::S(Setting::SyncRefreshPeriod)),
];

/// Entry `idx`: its name and bounds; `None` past the last.
pub(crate) fn info(idx: u32) -> Option<(&'static CStr, i32, i32)> {
    let (n, k) = KNOBS.get(idx as usize)?;
    let (lo, hi) = match *k {
        Knob::S(s) => (s.min(), s.max()),
        Knob::LportMin | Knob::LportMax => (1, 65535),
    };
    Some((n, lo as i32, hi as i32))
}

/// The value of entry `idx` in namespace `net` (`kern::sysctl`, under the
/// configuration mutex).
pub(crate) fn get(_cfg: &CfgGuard, net: NetRef, idx: u32) -> Result<i32> {
    let &(_, k) = KNOBS.get(idx as usize).ok_or(EINVAL)?;
    let l = net.settings().lports();
    let v = match k {
        Knob::S(s) => net.settings().get(s),
        Knob::LportMin => l.min as u32,
        Knob::LportMax => l.max as u32,
    };
    Ok(v as i32)
}

/// Sets entry `idx` to `val` (already within the entry's bounds, which
/// `info` gave the table) in namespace `net`; the local port range must
/// stay min <= max.
pub(crate) fn set(cfg: &CfgGuard, net: NetRef, idx: u32, val: i32) -> Result {
    let &(_, k) = KNOBS.get(idx as usize).ok_or(EINVAL)?;
    let v = u32::try_from(val).map_err(|_| EINVAL)?;
    let r = match k {
        Knob::S(s) => config::set(cfg, net, s, v),
        Knob::LportMin | Knob::LportMax => {
            // The mutex makes this read and the write below one step.
            let l = net.settings().lports();
            let v = u16::try_from(v).map_err(|_| EINVAL)?;
            let (lo, hi) = if matches!(k, Knob::LportMin) { (v, l.max) } else { (l.min, v) };
            config::set_lport_range(cfg, net, lo, hi)
        }
    };
    // A sysctl write answers with the errno alone; out of bounds is
    // EINVAL, as proc_dointvec_minmax says it.
    r.map_err(|e| if e.errno == ERANGE.to_errno().abs() { EINVAL } else { Error::from_errno(-e.errno) })
}
