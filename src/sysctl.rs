// SPDX-License-Identifier: GPL-2.0
//! Sysctls under net.ipv4.vs (Alibaba's names where Alibaba had the knob),
//! mapped onto the runtime settings (`Settings` in rvs_main.rs) and the
//! local port range, with bounds checked by proc_dointvec_minmax
//! (src/procfs.c). Registered in the initial namespace: the configuration
//! is global.

use crate::kern::CfgGuard;
use crate::rvs_core::ctl_text::{Command, Setting};
use crate::rvs_core::tcp_state::TcpState::*;
use crate::{State, STATE};
use core::ffi::{c_char, c_int, c_uint, CStr};
use core::sync::atomic::Ordering::Acquire;
use kernel::prelude::*;

#[derive(Clone, Copy)]
enum Knob {
    S(Setting),
    LportMin,
    LportMax,
}

const KNOBS: [(&CStr, Knob); 25] = [
    (c"fullnat_timestamp_remove_entry", Knob::S(Setting::TsStrip)),
    (c"fullnat_mss_adjust_entry", Knob::S(Setting::MssAdjust)),
    (c"fullnat_toa_entry", Knob::S(Setting::Toa)),
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
    (c"synproxy_init_mss", Knob::S(Setting::SynproxyInitMss)),
    (c"synproxy_sack", Knob::S(Setting::SynproxySack)),
    (c"synproxy_wscale", Knob::S(Setting::SynproxyWscale)),
    (c"synproxy_synack_ttl", Knob::S(Setting::SynproxySynackTtl)),
    (c"synproxy_ack_skb_store_thresh", Knob::S(Setting::SynproxyAckStore)),
    (c"synproxy_syn_retry", Knob::S(Setting::SynproxySynRetry)),
    (c"synproxy_ack_storm_thresh", Knob::S(Setting::SynproxyAckStorm)),
];

/// Entry `idx`: its name and bounds; non-zero past the last entry.
#[no_mangle]
pub(crate) extern "C" fn rvs_sysctl_info(idx: c_uint, name: *mut *const c_char, min: *mut c_int, max: *mut c_int) -> c_int {
    let Some((n, k)) = KNOBS.get(idx as usize) else { return 1 };
    let (lo, hi) = match *k {
        Knob::S(s) => (s.min(), s.max()),
        Knob::LportMin | Knob::LportMax => (1, 65535),
    };
    // SAFETY: the C caller passes valid pointers for the three results.
    unsafe {
        *name = n.as_ptr();
        *min = lo as c_int;
        *max = hi as c_int;
    }
    0
}

fn with_state<R>(f: impl FnOnce(&State, &CfgGuard) -> Result<R>) -> Result<R> {
    let cfg = CfgGuard::lock();
    let p = STATE.load(Acquire);
    if p.is_null() {
        return Err(ENODEV);
    }
    // SAFETY: `STATE` is cleared under the configuration mutex before the
    // state is freed, and we hold that mutex.
    f(unsafe { &*p }, &cfg)
}

/// The value of entry `idx`.
#[no_mangle]
pub(crate) extern "C" fn rvs_sysctl_get(idx: c_uint, val: *mut c_int) -> c_int {
    let Some(&(_, k)) = KNOBS.get(idx as usize) else { return EINVAL.to_errno() };
    let r = with_state(|st, cfg| {
        let l = st.svcs.read_locked(cfg).lports;
        Ok(match k {
            Knob::S(s) => st.settings.get(s),
            Knob::LportMin => l.min as u32,
            Knob::LportMax => l.max as u32,
        })
    });
    match r {
        Ok(v) => {
            // SAFETY: the C caller passes a valid pointer.
            unsafe { *val = v as c_int };
            0
        }
        Err(e) => e.to_errno(),
    }
}

/// Sets entry `idx` to `val` (already within the entry's bounds); the
/// local port range must stay min <= max (EINVAL).
#[no_mangle]
pub(crate) extern "C" fn rvs_sysctl_set(idx: c_uint, val: c_int) -> c_int {
    let Some(&(_, k)) = KNOBS.get(idx as usize) else { return EINVAL.to_errno() };
    let Ok(v) = u32::try_from(val) else { return EINVAL.to_errno() };
    let r = with_state(|st, cfg| match k {
        Knob::S(s) => {
            if v < s.min() || v > s.max() {
                return Err(EINVAL);
            }
            st.settings.set(s, v);
            Ok(())
        }
        Knob::LportMin | Knob::LportMax => {
            let l = st.svcs.read_locked(cfg).lports;
            let v = u16::try_from(v).map_err(|_| EINVAL)?;
            let (lo, hi) = if matches!(k, Knob::LportMin) { (v, l.max) } else { (l.min, v) };
            if lo == 0 || lo > hi {
                return Err(EINVAL);
            }
            crate::ctl::apply(st, cfg, crate::kern::NetRef::current(), Command::SetLportRange(lo, hi))
        }
    });
    match r {
        Ok(()) => 0,
        Err(e) => e.to_errno(),
    }
}
