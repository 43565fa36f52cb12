// SPDX-License-Identifier: GPL-2.0
//! The text control path (see `core/src/ctl_text.rs`): commands written
//! to /sys/module/rvs/parameters/ctl, counters read from
//! /sys/module/rvs/parameters/stats (the parameters' callbacks are in
//! `kern::params`). It stays beside the "IPVS" generic netlink family, for
//! scripts and for the counters no netlink message carries.

use crate::config::{self, DestConf, SvcConf};
use crate::kern::{CfgGuard, NetRef};
use crate::rvs_core::ctl_text::{self, Command};
use crate::service::Persist;
use crate::stats::Writer;
use crate::State;
use kernel::prelude::*;

/// Applies one command to the configuration of namespace `net`, through
/// the operations every front-end shares (`config`). The caller holds the
/// configuration mutex.
pub(crate) fn apply(st: &State, cfg: &CfgGuard, net: NetRef, cmd: Command) -> Result {
    let r = match cmd {
        Command::AddService(k, algo) => config::add_service(st, cfg, net, k, SvcConf::new(algo)),
        Command::DelService(k) => config::del_service(st, cfg, net, &k),
        Command::AddDest(k, addr, port, w) => config::add_dest(st, cfg, net, &k, addr, port, DestConf::fullnat(w)),
        Command::DelDest(k, addr, port) => config::del_dest(st, cfg, net, &k, addr, port),
        Command::SetWeight(k, addr, port, w) => config::edit_dest(st, cfg, net, &k, (addr, port), |d| {
            d.weight = w;
            Ok(())
        }),
        Command::AddLaddr(k, addr) => config::add_laddr(st, cfg, net, &k, addr),
        Command::DelLaddr(k, addr) => config::del_laddr(st, cfg, net, &k, addr),
        Command::SetPersist(k, timeout, mask) => config::edit_service(st, cfg, net, &k, |c| {
            c.persist = Persist { timeout, mask };
            Ok(())
        }),
        Command::SetSynproxy(k, on) => config::edit_service(st, cfg, net, &k, |c| {
            c.synproxy = on;
            Ok(())
        }),
        Command::SetLportRange(lo, hi) => config::set_lport_range(cfg, net, lo, hi),
        Command::Set(what, v) => config::set(cfg, net, what, v),
        Command::Flush => config::flush(st, cfg, net),
    };
    // The text interface answers with the errno alone.
    r.map_err(|e| Error::from_errno(-e.errno))
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

/// The `stats` parameter's text, into `out` (one page: the rest is cut
/// off); returns its length.
pub(crate) fn read_stats(st: &State, cfg: &CfgGuard, reader: NetRef, out: &mut [u8]) -> usize {
    let mut w = Writer { buf: out, len: 0 };
    write_stats(st, cfg, reader, &mut w);
    w.len
}

/// The stats text as namespace `reader` sees it, into `w`: the
/// `stats` parameter's and /proc/net/rvs_stats's (`procfs`, whole).
/// The caller holds the configuration mutex.
pub(crate) fn write_stats(st: &State, cfg: &CfgGuard, reader: NetRef, w: &mut impl core::fmt::Write) {
    if reader.is_init() {
        // The host: the module's counters and every namespace's services.
        st.stats.write(w, st.conns.count(), st.conns.templates(), crate::sp_state::kept_bytes());
        st.svcs.read_locked(cfg).write(cfg, None, w);
    } else {
        // A container: its own services, nothing of the others' (the
        // module's counters sum every namespace's traffic).
        st.svcs.read_locked(cfg).write(cfg, Some(reader), w);
    }
}
