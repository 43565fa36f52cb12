// SPDX-License-Identifier: GPL-2.0
//! The generic netlink family "IPVS", version 1: how stock ipvsadm and
//! rvsadm configure rvs. Family, policies and ops: src/kern/genl.c, whose
//! trampolines (src/kern/genl.rs) call `doit` and `dumpit` here; numbering:
//! core/src/ipvs_nl.rs; attribute decode/encode: core/src/ipvs_msg.rs. The
//! text interface (src/ctl.rs) stays beside it; both change the same
//! service set under the configuration mutex.
//!
//! # What rvs implements (for clients such as rvsadm)
//!
//! Every command needs CAP_NET_ADMIN in the initial user namespace
//! (GENL_ADMIN_PERM, reads included, as upstream's netlink operations).
//! Upstream's older setsockopt interface checks the capability in the user
//! namespace that owns the socket's network namespace instead; rvs has no
//! setsockopt interface and keeps the stricter rule, so that a user
//! namespace's root (which any local user can become where unprivileged
//! user namespaces are allowed) cannot make rvs allocate services or hook
//! a namespace. What a permitted request changes is its own network
//! namespace's alone (see Namespaces). Requests are validated strictly: unknown attribute types,
//! wrong lengths, trailing bytes and nests without NLA_F_NESTED are refused
//! by the kernel's policy check. Every refusal by rvs carries an errno and
//! an extended-ack message (static strings, see `ipvs_msg::msg`).
//!
//! Services are identified by CMD_ATTR_SERVICE {AF=AF_INET, PROTOCOL=TCP|UDP,
//! ADDR (16 bytes, IPv4 in the first 4), PORT (be16)}. FWMARK services:
//! EOPNOTSUPP; AF_INET6: EAFNOSUPPORT; other protocols: EPROTONOSUPPORT.
//!
//! - NEW_SERVICE / SET_SERVICE: identity + SCHED_NAME, FLAGS {flags, mask},
//!   TIMEOUT, NETMASK (all required, as upstream). Schedulers rr wrr lc wlc
//!   sed nq sh mh (else ENOENT). Flags kept: PERSISTENT (needs TIMEOUT
//!   1..2147483, else ERANGE; NETMASK is the client mask), SCHED1..3
//!   (stored, reported), SYNPROXY 0x8000 (`Service::synproxy`); ONEPACKET:
//!   EOPNOTSUPP. PE_NAME: ENOENT. Exists: EEXIST; SET on none: ESRCH.
//! - DEL_SERVICE: identity; ESRCH if none.
//! - GET_SERVICE: doit with identity -> one NEW_SERVICE message; dump ->
//!   one NEW_SERVICE message per service. Reply service nest: AF, PROTOCOL,
//!   ADDR, PORT, SCHED_NAME, FLAGS {flags | HASHED, ~0}, TIMEOUT, NETMASK,
//!   STATS (u32 counters, u64 bytes), STATS64.
//! - NEW_DEST / SET_DEST: SERVICE identity + DEST {ADDR, PORT, FWD_METHOD,
//!   WEIGHT (0..65535, else ERANGE), U_THRESH, L_THRESH (L > U: ERANGE),
//!   optional ADDR_FAMILY (0 or AF_INET), TUN_*}. FWD_METHOD: FULLNAT (5) or
//!   MASQ (0), both forwarded the FULLNAT way and reported back as given;
//!   others: EOPNOTSUPP. Thresholds are enforced as upstream: a server at
//!   its upper threshold takes no new connection until under the lower one
//!   (`sched::Thresholds`); the stats param's dest line says "overloaded".
//!   ESRCH: no service; EEXIST / ENOENT for the real server.
//! - DEL_DEST: SERVICE identity + DEST {ADDR, PORT}; connections through it
//!   live on to their end.
//! - GET_DEST: dump with SERVICE identity; NEW_DEST messages with DEST {ADDR,
//!   PORT, FWD_METHOD, WEIGHT, TUN_TYPE, TUN_PORT, TUN_FLAGS, U_THRESH,
//!   L_THRESH, ACTIVE_CONNS, INACT_CONNS, PERSIST_CONNS, ADDR_FAMILY, STATS,
//!   STATS64}.
//! - NEW_LADDR / DEL_LADDR (Alibaba, 18/19): SERVICE identity + CMD_ATTR_LADDR
//!   {ADDR}; EEXIST / ENOENT.
//! - GET_LADDR (20): dump with SERVICE identity in the request; each reply
//!   message (command NEW_LADDR) carries CMD_ATTR_SERVICE (identity) +
//!   CMD_ATTR_LADDR {ADDR, PORT_CONFLICT (u64), CONN_COUNTS (u32)}.
//! - The three LADDR commands name the namespace's default LADDR pool
//!   (used by FULLNAT services without local addresses of their own) by
//!   the service `0.0.0.0:0` or `[::]:0`, of either protocol: no service
//!   can be that (its address and port may not be zero).
//! - GET_INFO -> SET_INFO {VERSION 0x010201, CONN_TAB_SIZE}.
//! - GET_CONFIG -> SET_CONFIG {TIMEOUT_TCP (established), TIMEOUT_TCP_FIN
//!   (FIN_WAIT), TIMEOUT_UDP}; SET_CONFIG sets them (0: unchanged, else
//!   1..86400 s, ERANGE).
//! - ZERO: without SERVICE all counters, with it that service's (and its
//!   real servers' and local addresses'); rates too.
//! - FLUSH: removes every service (the local port range stays).
//! - NEW_DAEMON / DEL_DAEMON / GET_DAEMON: the namespace's connection sync
//!   master (`sync`) and backup (`sync_backup`).
//!
//! Dumps resume through `cb->args[0]` (an index into the service or real
//! server list, as upstream).
//!
//! # Namespaces
//! As upstream IPVS: each network namespace has its own services (each
//! `Service` carries its `net`); a request sees and changes only the
//! services of the namespace its socket lives in (GET_SERVICE dumps, FLUSH
//! and ZERO included), and the packet path looks up services of the
//! packet's namespace. A namespace going away takes its services along
//! (`rvs_net_gone`). The timeouts (GET/SET_CONFIG) are the namespace's
//! too, as are the sysctls and the local port range (`state::Settings`).
//! What stays global is what the module's parameters fix at load: the
//! connection table's size and limit.

use crate::kern::{CfgGuard, DumpCtx, GenlInfo, NetRef};
use crate::rvs_core::ctl_text::Setting;
use crate::rvs_core::ipvs_msg::{self as m, errno, msg, Enc, StatsInfo};
use crate::rvs_core::ipvs_nl::{cmd, daemon_state, svc_flags};
use crate::rvs_core::tcp_state::TcpState;
use crate::config::{self, kerr, refuse, DestConf, Res, SvcConf};
use crate::rvs_core::ctl_text::SvcKey;
use crate::service::{Dest, Persist, Service, ServiceSet};
use crate::stats::{ObjCtr, ObjStats};
use crate::State;
use core::sync::atomic::Ordering::Relaxed;


/// Room for one encoded service or real server (about 350 bytes).
const ENC_BUF: usize = 512;

fn stats_info(o: &ObjStats) -> StatsInfo {
    use ObjCtr::*;
    StatsInfo {
        conns: o.get(Conns),
        inpkts: o.get(InPkts),
        outpkts: o.get(OutPkts),
        inbytes: o.get(InBytes),
        outbytes: o.get(OutBytes),
        cps: o.rate(Conns),
        inpps: o.rate(InPkts),
        outpps: o.rate(OutPkts),
        inbps: o.rate(InBytes),
        outbps: o.rate(OutBytes),
    }
}

/// The flags a service has, as a client set them (without HASHED).
fn flags_of(c: &SvcConf) -> u32 {
    let mut f = c.sched_flags;
    if c.persist.timeout != 0 {
        f |= svc_flags::PERSISTENT;
    }
    if c.synproxy {
        f |= svc_flags::SYNPROXY;
    }
    f
}

fn encode_service(e: &mut Enc<'_>, s: &Service) -> Res {
    let info = m::SvcInfo {
        key: s.key,
        sched: s.algo.name(),
        flags: flags_of(&SvcConf::of(s)) | svc_flags::HASHED,
        timeout: s.persist.timeout,
        netmask: s.persist.mask,
        stats: stats_info(&s.stats),
    };
    m::encode_service(e, &info).map_err(|_| refuse(errno::EMSGSIZE, msg::TOO_BIG))
}

fn encode_dest(e: &mut Enc<'_>, d: &Dest) -> Res {
    let t = d.thresholds();
    let info = m::DestInfo {
        addr: d.addr,
        port: d.port,
        fwd: d.fwd.load(Relaxed),
        weight: d.weight.load(Relaxed),
        u_thresh: t.upper,
        l_thresh: t.lower,
        active: d.active.load(Relaxed),
        inactive: d.inactive.load(Relaxed),
        persist: d.persist.load(Relaxed),
        tun: d.tunnel(),
        stats: stats_info(&d.stats),
    };
    m::encode_dest(e, &info).map_err(|_| refuse(errno::EMSGSIZE, msg::TOO_BIG))
}

/// The service key a request names (identity only).
fn svc_key(a: &m::CmdAttrs<'_>) -> Res<SvcKey> {
    Ok(m::decode_service(a.service.ok_or(refuse(errno::EINVAL, msg::NO_SERVICE_ATTR))?, false)?.key)
}

fn svc_cmd(st: &State, cfg: &CfgGuard, net: NetRef, c: u8, a: &m::CmdAttrs<'_>) -> Res {
    let spec = m::decode_service(a.service.ok_or(refuse(errno::EINVAL, msg::NO_SERVICE_ATTR))?, c != cmd::DEL_SERVICE)?;
    match (c, spec.full) {
        (cmd::NEW_SERVICE, Some(f)) => {
            let flags = m::merge_flags(0, &f)?;
            config::add_service(st, cfg, net, spec.key, conf_of(flags, &f))
        }
        (cmd::SET_SERVICE, Some(f)) => config::edit_service(st, cfg, net, &spec.key, |c| {
            *c = conf_of(m::merge_flags(flags_of(c), &f)?, &f);
            Ok(())
        }),
        (cmd::DEL_SERVICE, _) => config::del_service(st, cfg, net, &spec.key),
        // decode_service with `full` asked gives `full` or refuses.
        _ => Err(refuse(errno::EINVAL, msg::SVC_FULL)),
    }
}

const SCHED_FLAGS: u32 = svc_flags::SCHED1 | svc_flags::SCHED2 | svc_flags::SCHED3;

/// A service's settings as a request sets them: persistence on with the
/// PERSISTENT flag (the netmask is kept either way, reported back).
fn conf_of(flags: u32, f: &m::SvcFull) -> SvcConf {
    let timeout = if flags & svc_flags::PERSISTENT != 0 { f.timeout } else { 0 };
    SvcConf {
        algo: f.algo,
        persist: Persist { timeout, mask: f.netmask },
        synproxy: flags & svc_flags::SYNPROXY != 0,
        sched_flags: flags & SCHED_FLAGS,
    }
}

fn dest_cmd(st: &State, cfg: &CfgGuard, net: NetRef, c: u8, a: &m::CmdAttrs<'_>) -> Res {
    let key = svc_key(a)?;
    let spec = m::decode_dest(a.dest.ok_or(refuse(errno::EINVAL, msg::NO_DEST_ATTR))?, c != cmd::DEL_DEST, key.addr.family())?;
    let conf = spec.full.map(|f| DestConf { weight: f.weight, fwd: f.fwd, u_thresh: f.u_thresh, l_thresh: f.l_thresh, tun: f.tun });
    match (c, conf) {
        (cmd::NEW_DEST, Some(d)) => config::add_dest(st, cfg, net, &key, spec.addr, spec.port, d),
        (cmd::SET_DEST, Some(d)) => config::edit_dest(st, cfg, net, &key, (spec.addr, spec.port), |c| {
            *c = d;
            Ok(())
        }),
        (cmd::DEL_DEST, _) => config::del_dest(st, cfg, net, &key, spec.addr, spec.port),
        _ => Err(refuse(errno::EINVAL, msg::DEST_FULL)),
    }
}

fn laddr_cmd(st: &State, cfg: &CfgGuard, net: NetRef, c: u8, a: &m::CmdAttrs<'_>) -> Res {
    let key = svc_key(a)?;
    let addr = m::decode_laddr(a.laddr.ok_or(refuse(errno::EINVAL, msg::NO_LADDR_ATTR))?, key.addr.family())?;
    if c == cmd::NEW_LADDR {
        config::add_laddr(st, cfg, net, &key, addr)
    } else {
        config::del_laddr(st, cfg, net, &key, addr)
    }
}

/// The service of `net` a request names; ESRCH if there is none.
fn existing(cur: &ServiceSet, net: NetRef, a: &m::CmdAttrs<'_>) -> Res<usize> {
    cur.position(net, &svc_key(a)?).ok_or(refuse(errno::ESRCH, msg::NO_SUCH_SVC))
}

/// As `existing`, where the request may name the default LADDR pool
/// (`0.0.0.0:0`, `SvcKey::names_default_pool`): the LADDR commands.
fn existing_or_pool(cur: &ServiceSet, net: NetRef, a: &m::CmdAttrs<'_>) -> Res<usize> {
    cur.position(net, &svc_key(a)?.or_default_pool()).ok_or(refuse(errno::ESRCH, msg::NO_SUCH_SVC))
}

/// NEW_DAEMON / DEL_DAEMON: a namespace's sync master or backup started
/// or stopped (`sync`, `sync_backup`).
fn daemon_cmd(st: &State, cfg: &CfgGuard, net: NetRef, c: u8, a: &m::CmdAttrs<'_>) -> Res {
    let d = a.daemon.ok_or(refuse(errno::EINVAL, msg::DAEMON_ID))?;
    let dc = m::decode_daemon(d, c == cmd::NEW_DAEMON)?;
    let start = c == cmd::NEW_DAEMON;
    let r = match (dc.state == daemon_state::MASTER, start) {
        (true, true) => crate::sync::start(st, cfg, net, dc),
        (true, false) => crate::sync::stop(st, cfg, net),
        (false, true) => crate::sync_backup::start(st, cfg, net, dc),
        (false, false) => crate::sync_backup::stop(st, cfg, net),
    };
    r.map_err(|e| match -e.to_errno() {
        errno::EEXIST => refuse(errno::EEXIST, msg::DAEMON_RUNNING),
        errno::ESRCH => refuse(errno::ESRCH, msg::DAEMON_NONE),
        ENODEV => refuse(ENODEV, msg::DAEMON_IF),
        n => refuse(n, msg::DAEMON_SOCK),
    })
}

/// No such device.
const ENODEV: i32 = 19;

/// One doit request: command `c` with its attributes `buf`, from namespace
/// `net` (`kern::genl`, under the configuration mutex).
pub(crate) fn doit(st: &State, cfg: &CfgGuard, net: NetRef, c: u8, buf: &[u8], info: &GenlInfo) -> Res {
    let a = m::decode_cmd(buf)?;
    let mut out = [0u8; ENC_BUF];
    let mut e = Enc::new(&mut out);
    let reply_cmd = match c {
        cmd::NEW_SERVICE | cmd::SET_SERVICE | cmd::DEL_SERVICE => return svc_cmd(st, cfg, net, c, &a),
        cmd::NEW_DEST | cmd::SET_DEST | cmd::DEL_DEST => return dest_cmd(st, cfg, net, c, &a),
        cmd::NEW_LADDR | cmd::DEL_LADDR => return laddr_cmd(st, cfg, net, c, &a),
        cmd::NEW_DAEMON | cmd::DEL_DAEMON => return daemon_cmd(st, cfg, net, c, &a),
        cmd::FLUSH => return config::flush(st, cfg, net),
        cmd::ZERO => {
            let key = a.service.map(|_| svc_key(&a)).transpose()?;
            return config::zero(st, cfg, net, key.as_ref());
        }
        cmd::SET_CONFIG => {
            // All checked before any is set.
            let tcp = m::check_timeout(a.timeout_tcp)?;
            let fin = m::check_timeout(a.timeout_tcp_fin)?;
            let udp = m::check_timeout(a.timeout_udp)?;
            for (what, v) in [
                (Setting::TcpTimeout(TcpState::Established), tcp),
                (Setting::TcpTimeout(TcpState::FinWait), fin),
                (Setting::UdpTimeout, udp),
            ] {
                if let Some(v) = v {
                    config::set(cfg, net, what, v)?;
                }
            }
            return Ok(());
        }
        cmd::GET_SERVICE => {
            let cur = st.svcs.read_locked(cfg);
            encode_service(&mut e, &cur.svcs[existing(cur, net, &a)?])?;
            cmd::NEW_SERVICE
        }
        cmd::GET_INFO => {
            let size = 1u32 << crate::kern::param_conn_tab_bits().clamp(8, 22);
            m::encode_info(&mut e, size).map_err(|_| refuse(errno::EMSGSIZE, msg::TOO_BIG))?;
            cmd::SET_INFO
        }
        cmd::GET_CONFIG => {
            let s = net.settings();
            m::encode_config(&mut e, s.tcp_timeout(TcpState::Established), s.tcp_timeout(TcpState::FinWait), s.udp_timeout())
                .map_err(|_| refuse(errno::EMSGSIZE, msg::TOO_BIG))?;
            cmd::SET_CONFIG
        }
        _ => return Err(refuse(errno::EOPNOTSUPP, c"command not supported by rvs")),
    };
    info.reply(reply_cmd, e.bytes()).map_err(kerr)
}

/// Fills `d` with one message per element of `items` from where the
/// previous call stopped.
fn dump_each<T>(d: &mut DumpCtx, items: impl Iterator<Item = T>, reply: u8, mut enc: impl FnMut(&mut Enc<'_>, T) -> Res) -> Res {
    let start = d.resume();
    let mut out = [0u8; ENC_BUF];
    let mut idx = start;
    for x in items.skip(start) {
        let mut e = Enc::new(&mut out);
        enc(&mut e, x)?;
        if !d.put(reply, e.bytes()) {
            if d.len() == 0 {
                // Not even one message fits an empty skb.
                return Err(refuse(errno::EMSGSIZE, msg::TOO_BIG));
            }
            break;
        }
        idx += 1;
    }
    d.set_resume(idx);
    Ok(())
}

/// One call of a dump (`kern::genl`, under the configuration mutex).
pub(crate) fn dumpit(st: &State, cfg: &CfgGuard, net: NetRef, c: u8, buf: &[u8], d: &mut DumpCtx) -> Res {
    let a = m::decode_cmd(buf)?;
    let cur = st.svcs.read_locked(cfg);
    match c {
        cmd::GET_SERVICE => dump_each(d, cur.of(net), cmd::NEW_SERVICE, |e, s| encode_service(e, s)),
        cmd::GET_DEST => {
            let s = &cur.svcs[existing(cur, net, &a)?];
            dump_each(d, s.dests.iter(), cmd::NEW_DEST, |e, x| encode_dest(e, x))
        }
        cmd::GET_LADDR => {
            let s = &cur.svcs[existing_or_pool(cur, net, &a)?];
            // The pool's entries carry the identity the request named it by.
            let key = if s.is_pool() { svc_key(&a)? } else { s.key };
            dump_each(d, s.laddrs.iter(), cmd::NEW_LADDR, |e, l| {
                m::encode_laddr(e, &key, &l.addr, l.port_conflicts.load(Relaxed), l.conns.load(Relaxed))
                    .map_err(|_| refuse(errno::EMSGSIZE, msg::TOO_BIG))
            })
        }
        cmd::GET_DAEMON => {
            // The master first, then the backup, as upstream lists them.
            let master = crate::sync::master_of(st, cfg, net).map(|x| (&x.cfg, x.maxlen));
            let backup = crate::sync_backup::backup_of(st, cfg, net).map(|x| (&x.cfg, x.maxlen));
            dump_each(d, master.into_iter().chain(backup), cmd::NEW_DAEMON, |e, (dc, maxlen)| {
                m::encode_daemon(e, dc, maxlen as u16).map_err(|_| refuse(errno::EMSGSIZE, msg::TOO_BIG))
            })
        }
        _ => Err(refuse(errno::EOPNOTSUPP, c"command not supported by rvs")),
    }
}
