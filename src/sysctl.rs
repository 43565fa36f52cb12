// SPDX-License-Identifier: GPL-2.0
//! Sysctls under net.ipv4.vs (Alibaba's names where Alibaba had the knob),
//! mapped onto a namespace's runtime settings and local port range
//! (`state::Settings`), with bounds checked by proc_dointvec_minmax (the
//! tables in src/kern/proc.c, its handlers in src/kern/sysctl.rs).
//! Every network namespace has its own table over its own settings, as
//! upstream IPVS has; a namespace owned by another user namespace than the
//! initial one gets them read-only (see `kern/proc.c`).

use crate::config;
use crate::kern::{self, CfgGuard, NetRef};
use crate::rvs_core::addr::Addr;
use crate::rvs_core::nat::Tuple;
use crate::rvs_core::prefixes::Prefixes;
use crate::rvs_core::sync_threshold::SyncThreshold;
use crate::rvs_core::ctl_text::Setting;
use crate::rvs_core::tcp_state::TcpState::*;
use core::ffi::CStr;
use core::fmt::{self, Write};
use core::sync::atomic::Ordering::Relaxed;
use kernel::prelude::*;

#[derive(Clone, Copy)]
enum Knob {
    S(Setting),
    LportMin,
    LportMax,
    /// Text: the prefixes whose sync messages the backup takes.
    SyncPeers,
    /// Text, root only: the SYN cookie key (written, never read back).
    CookieKey,
    /// Text: upstream's two numbers (`SyncThreshold`).
    SyncThreshold,
}

/// What kind of entry an index is, as the C table builds it.
pub(crate) enum Kind {
    /// An integer within bounds (proc_dointvec_minmax).
    Int { min: i32, max: i32 },
    /// A line of text (proc_dostring), readable by everyone or
    /// (`secret`) by root only.
    Text { secret: bool },
}

const KNOBS: [(&CStr, Knob); 35] = [
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
    (c"sync_threshold", Knob::SyncThreshold),
    (c"sync_retries", Knob::S(Setting::SyncRetries)),
    (c"sync_persist_mode", Knob::S(Setting::SyncPersistMode)),
    (c"sync_sock_size", Knob::S(Setting::SyncSockSize)),
    (c"sync_peers", Knob::SyncPeers),
    (c"synproxy_cookie_key", Knob::CookieKey),
];

/// Entry `idx`: its name and kind; `None` past the last.
pub(crate) fn info(idx: u32) -> Option<(&'static CStr, Kind)> {
    let (n, k) = KNOBS.get(idx as usize)?;
    let kind = match *k {
        Knob::S(s) => Kind::Int { min: s.min() as i32, max: s.max() as i32 },
        Knob::LportMin | Knob::LportMax => Kind::Int { min: 1, max: 65535 },
        Knob::SyncPeers | Knob::SyncThreshold => Kind::Text { secret: false },
        Knob::CookieKey => Kind::Text { secret: true },
    };
    Some((n, kind))
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
        Knob::SyncPeers | Knob::CookieKey | Knob::SyncThreshold => return Err(EINVAL),
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
        Knob::SyncPeers | Knob::CookieKey | Knob::SyncThreshold => return Err(EINVAL),
    };
    // A sysctl write answers with the errno alone; out of bounds is
    // EINVAL, as proc_dointvec_minmax says it.
    r.map_err(|e| if e.errno == ERANGE.to_errno().abs() { EINVAL } else { Error::from_errno(-e.errno) })
}

/// The text of entry `idx` in namespace `net`, written into `out`; its
/// length. The cookie key is never given back: what is read says whether
/// it is the operator's, and a check value (a keyed hash of a fixed
/// input) that is the same on directors that were given the same key.
pub(crate) fn get_text(cfg: &CfgGuard, net: NetRef, idx: u32, out: &mut [u8]) -> Result<usize> {
    let &(_, k) = KNOBS.get(idx as usize).ok_or(EINVAL)?;
    let mut w = TextOut { buf: out, len: 0 };
    let r = match k {
        Knob::SyncPeers => write!(w, "{}", net.settings().sync_peers.get(cfg)),
        Knob::SyncThreshold => write!(w, "{}", net.settings().sync_threshold()),
        Knob::CookieKey => {
            let sp = &net.settings().sp;
            if sp.cookie_key_shared.load(Relaxed) {
                write!(w, "shared, check {:08x}", cookie_key_check(&sp.cookie_key()))
            } else {
                write!(w, "random")
            }
        }
        _ => return Err(EINVAL),
    };
    r.map_err(|_| ENOSPC)?;
    Ok(w.len)
}

/// Sets text entry `idx` of namespace `net` from `text` (a line, its
/// newline gone).
///
/// `sync_peers`: a comma-separated list of ADDR[/LEN] (`Prefixes`), empty
/// for anyone. `synproxy_cookie_key`: 32 hexadecimal digits (SipHash's
/// 128-bit key), the same on every director of a cluster; or `random`, a
/// key of this namespace's own again. `sync_threshold`: two numbers,
/// as upstream's (`SyncThreshold::parse`).
pub(crate) fn set_text(cfg: &CfgGuard, net: NetRef, idx: u32, text: &[u8]) -> Result {
    let &(_, k) = KNOBS.get(idx as usize).ok_or(EINVAL)?;
    let text = text.trim_ascii();
    match k {
        Knob::SyncPeers => {
            let p = Prefixes::parse(text).map_err(|_| EINVAL)?;
            net.settings().sync_peers.set(cfg, p);
        }
        Knob::SyncThreshold => net.settings().set_sync_threshold(SyncThreshold::parse(text).ok_or(EINVAL)?),
        Knob::CookieKey => {
            let sp = &net.settings().sp;
            if text == b"random" {
                sp.set_cookie_key(kern::new_cookie_key(), false);
            } else {
                let k = parse_key(text).ok_or(EINVAL)?;
                sp.set_cookie_key(k, true);
            }
        }
        _ => return Err(EINVAL),
    }
    Ok(())
}

/// 32 hexadecimal digits as a cookie key (the first 16 the first word).
fn parse_key(s: &[u8]) -> Option<kern::CookieKey> {
    if s.len() != 32 {
        // (`None` alone is `TcpState::None` here.)
        return Option::None;
    }
    let word = |h: &[u8]| h.iter().try_fold(0u64, |v, &c| Some(v << 4 | (c as char).to_digit(16)? as u64));
    Some([word(&s[..16])?, word(&s[16..])?])
}

/// A key's check value: its hash of a fixed tuple, which says whether two
/// directors hold the same key without saying the key.
fn cookie_key_check(k: &kern::CookieKey) -> u32 {
    let t = Tuple { saddr: Addr::v4(0), daddr: Addr::v4(0), sport: 0, dport: 0 };
    kern::cookie_hash(k, &t, 0x6368_6b31)
}

/// A `fmt::Write` into a fixed buffer that fails when it is full.
struct TextOut<'a> {
    buf: &'a mut [u8],
    len: usize,
}

impl fmt::Write for TextOut<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let end = self.len + s.len();
        self.buf.get_mut(self.len..end).ok_or(fmt::Error)?.copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}
