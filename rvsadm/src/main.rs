// SPDX-License-Identifier: GPL-2.0
//! rvsadm: administration of rvs (and of the kernel's own ip_vs) with
//! ipvsadm 1.31's syntax and output, plus Alibaba's FULLNAT extensions
//! (-b/--fullnat, -P/-Q/-G local addresses with -z, -j/--synproxy).
//!
//! Netlink crates: the rust-netlink family (netlink-sys for the socket,
//! netlink-packet-core for messages/attributes/errors, netlink-packet-generic
//! for the genl header and the controller that resolves the family id).
//! Why: the crates are small, synchronous use needs no async runtime (the
//! tokio/smol features stay off), netlink-packet-core 0.9 carries the NLA
//! helpers itself (no separate netlink-packet-utils), and its generic
//! `Nla`/`NlasIterator` let one tiny `Attr` type express every IPVS
//! attribute, nested ones included, without derive macros. neli would
//! do as well but brings a larger typed-builder API and proc-macros for the
//! same job.
//!
//! Modules: args (parsing, ipvsadm checks), msg (typed requests/replies <->
//! attributes), nl (socket, family, ACKs, dumps, extack), fmt (ipvsadm
//! output formats), save (-S/-R), names (libc name lookups), metrics
//! (--metrics: the counters for Prometheus).

mod args;
mod fmt;
mod metrics;
mod msg;
mod names;
mod nl;
mod save;
#[cfg(test)]
mod tests;

use args::{Cmd, Entry, Parsed};
use fmt::Listed;
use msg::{req, Service};
use nl::{Nl, NlError};
use std::io::{Read, Write};
use std::process::ExitCode;

/// Which libipvs call failed: ipvsadm's error texts depend on it.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Op {
    AddService,
    UpdateService,
    DelService,
    ZeroService,
    AddDest,
    UpdateDest,
    DelDest,
    StartDaemon,
    StopDaemon,
    GetServices,
    GetDests,
    GetService,
    AddLaddr,
    DelLaddr,
    GetLaddrs,
    Other,
}

/// ipvs_strerror, with texts for the local-address commands.
fn ipvs_strerror(op: Op, errno: i32) -> String {
    use Op::*;
    let specific = match (op, errno) {
        (AddService, libc::EEXIST) => Some("Service already exists"),
        (AddService, libc::ENOENT) => Some("Scheduler or persistence engine not found"),
        (UpdateService, libc::ESRCH) => Some("No such service"),
        (UpdateService, libc::ENOENT) => Some("Scheduler or persistence engine not found"),
        (DelService, libc::ESRCH) => Some("No such service"),
        (ZeroService, libc::ESRCH) => Some("No such service"),
        (AddDest, libc::ESRCH) => Some("Service not defined"),
        (AddDest, libc::EEXIST) => Some("Destination already exists"),
        (UpdateDest, libc::ESRCH) => Some("Service not defined"),
        (UpdateDest, libc::ENOENT) => Some("No such destination"),
        (DelDest, libc::ESRCH) => Some("Service not defined"),
        (DelDest, libc::ENOENT) => Some("No such destination"),
        (StartDaemon, libc::EEXIST) => Some("Daemon has already run"),
        (StopDaemon, libc::ESRCH) => Some("No daemon is running"),
        (GetServices | GetDests | GetService, libc::ESRCH) => Some("No such service"),
        (AddLaddr | DelLaddr | GetLaddrs, libc::ESRCH) => Some("Service not defined"),
        (AddLaddr, libc::EEXIST) => Some("Local address already exists"),
        (DelLaddr, libc::ENOENT) => Some("No such local address"),
        _ => None,
    };
    let generic = match errno {
        libc::EPERM => Some("Permission denied (you must be root)"),
        libc::EINVAL => Some("Invalid operation.  Possibly wrong module version, address not unicast, ..."),
        libc::ENOPROTOOPT => Some("Protocol not available"),
        libc::ENOMEM => Some("Memory allocation problem"),
        libc::EOPNOTSUPP => Some("Operation not supported with IPv6"),
        libc::EAFNOSUPPORT => Some("Operation not supported with specified address family"),
        libc::EMSGSIZE => Some("Module is wrong version"),
        _ => None,
    };
    specific.or(generic).map(String::from).unwrap_or_else(|| names::strerror(errno))
}

/// The message printed for a failed request: the kernel's extack text with
/// strerror when there is one, else ipvsadm's message.
fn error_text(op: Op, e: &NlError) -> String {
    match e {
        NlError::Kernel { errno, extack: Some(m) } => format!("rvsadm: {m} ({})", names::strerror(*errno)),
        NlError::Kernel { errno, extack: None }
            if *errno == libc::EOPNOTSUPP && matches!(op, Op::AddLaddr | Op::DelLaddr | Op::GetLaddrs) =>
        {
            format!("rvsadm: the kernel's IPVS family has no local-address commands ({})", names::strerror(*errno))
        }
        NlError::Kernel { errno, extack: None } => ipvs_strerror(op, *errno),
        other => format!("rvsadm: {other}"),
    }
}

struct Ctx {
    nl: Option<Nl>,
    program: String,
}

/// Exit status plus an optional message for stderr.
struct Fail(u8, String);

impl Ctx {
    fn nl(&mut self) -> Result<&mut Nl, Fail> {
        if self.nl.is_none() {
            match Nl::open() {
                Ok(n) => self.nl = Some(n),
                Err(e) => {
                    let why = match &e {
                        NlError::Kernel { errno, .. } => ipvs_strerror(Op::Other, *errno),
                        other => other.to_string(),
                    };
                    return Err(Fail(
                        2,
                        format!(
                            "Can't initialize ipvs: {why}\nAre you sure that IP Virtual Server is built in the kernel or as module?"
                        ),
                    ));
                }
            }
        }
        Ok(self.nl.as_mut().unwrap())
    }

    fn call(&mut self, op: Op, m: msg::IpvsMsg, dump: bool) -> Result<Vec<msg::IpvsMsg>, Fail> {
        self.nl()?.request(m, dump).map_err(|e| Fail(255, error_text(op, &e)))
    }

    fn info(&mut self) -> Result<msg::Info, Fail> {
        let r = self.call(Op::Other, req::get_info(), false)?;
        r.first().ok_or_else(|| Fail(1, "rvsadm: no GET_INFO reply".into()))?.info().map_err(bad)
    }

    fn services(&mut self) -> Result<Vec<Service>, Fail> {
        let r = self.call(Op::GetServices, req::get_services(), true).map_err(exit1)?;
        r.iter().map(|m| m.service().map_err(bad)).collect()
    }

    fn service(&mut self, s: &Service) -> Result<Service, Fail> {
        // libipvs's ipvs_get_service: a zeroed service with the identity only.
        let q = Service {
            af: s.af,
            protocol: s.protocol,
            addr: s.addr,
            port: s.port,
            fwmark: s.fwmark,
            netmask: 0,
            ..Default::default()
        };
        let r = self.call(Op::GetService, req::get_service(&q), false).map_err(exit1)?;
        r.first().ok_or_else(|| Fail(1, ipvs_strerror(Op::GetService, libc::ESRCH)))?.service().map_err(bad)
    }

    fn dests(&mut self, s: &Service) -> Result<Vec<msg::Dest>, Fail> {
        let r = self.call(Op::GetDests, req::get_dests(s), true).map_err(exit1)?;
        r.iter().map(|m| m.dest(s.af).map_err(bad)).collect()
    }

    /// Local addresses; an empty list when the kernel has no such command
    /// (the in-tree ip_vs).
    fn laddrs(&mut self, s: &Service, tolerate_missing: bool) -> Result<Vec<msg::Laddr>, Fail> {
        match self.nl()?.request(req::get_laddrs(s), true) {
            Ok(r) => r.iter().map(|m| m.laddr().map_err(bad)).collect(),
            Err(NlError::Kernel { errno, .. }) if tolerate_missing && errno == libc::EOPNOTSUPP => Ok(vec![]),
            Err(e) => Err(Fail(1, error_text(Op::GetLaddrs, &e))),
        }
    }

    /// The namespace's default LADDR pool (rvs's; named by the service
    /// 0.0.0.0:0), as a listed entry; `None` when it has none, or the
    /// kernel has no pools (the in-tree ip_vs).
    fn pool(&mut self) -> Result<Option<Listed>, Fail> {
        let svc = Service { af: libc::AF_INET as u16, protocol: libc::IPPROTO_TCP as u16, ..Service::default() };
        match self.nl()?.request(req::get_laddrs(&svc), true) {
            Ok(r) => {
                let laddrs = r.iter().map(|m| m.laddr().map_err(bad)).collect::<Result<Vec<_>, _>>()?;
                Ok((!laddrs.is_empty()).then_some(Listed { svc, dests: vec![], laddrs }))
            }
            Err(NlError::Kernel { errno, .. }) if errno == libc::ESRCH || errno == libc::EOPNOTSUPP => Ok(None),
            Err(e) => Err(Fail(1, error_text(Op::GetLaddrs, &e))),
        }
    }

    fn listed(&mut self, svcs: Vec<Service>, with_laddrs: bool) -> Result<Vec<Listed>, Fail> {
        let mut out = Vec::new();
        for svc in svcs {
            let dests = self.dests(&svc)?;
            let laddrs = if with_laddrs { self.laddrs(&svc, true)? } else { vec![] };
            out.push(Listed { svc, dests, laddrs });
        }
        Ok(out)
    }
}

fn bad(e: String) -> Fail {
    Fail(1, format!("rvsadm: malformed reply: {e}"))
}

fn exit1(f: Fail) -> Fail {
    Fail(1, f.1)
}

fn out(s: &str) {
    let mut o = std::io::stdout().lock();
    let _ = o.write_all(s.as_bytes());
    let _ = o.flush();
}

fn list_all(ctx: &mut Ctx, format: u32) -> Result<(), Fail> {
    let info = if format & args::fmt::RULE == 0 { ctx.info()? } else { msg::Info::default() };
    let svcs = ctx.services()?;
    let listed = ctx.listed(svcs, format & args::fmt::RULE != 0)?;
    if format & args::fmt::RULE != 0 {
        out(&save::save(ctx.pool()?.as_ref(), &listed, format));
    } else {
        out(&fmt::list_all(&info, &listed, format));
    }
    Ok(())
}

fn run(ctx: &mut Ctx, e: &Entry, reading_stdin: bool) -> Result<(), Fail> {
    let ack = |r: Result<Vec<msg::IpvsMsg>, Fail>| r.map(|_| ());
    match e.cmd {
        Cmd::List => {
            if e.has(args::opt::CONNECTION) {
                let text = std::fs::read_to_string("/proc/net/ip_vs_conn")
                    .map_err(|_| Fail(1, "cannot open file /proc/net/ip_vs_conn".into()))?;
                out(&fmt::conns(&text, e.format));
                Ok(())
            } else if e.has(args::opt::SERVICE) {
                let svc = ctx.service(&e.svc)?;
                let dests = ctx.dests(&svc)?;
                out(&fmt::list_service(&Listed { svc, dests, laddrs: vec![] }, e.format));
                Ok(())
            } else if e.has(args::opt::TIMEOUT) {
                let r = ctx.call(Op::Other, req::get_timeouts(), false).map_err(exit1)?;
                let t = r.first().map(|m| m.timeouts()).transpose().map_err(bad)?.unwrap_or_default();
                out(&fmt::timeouts(&t));
                Ok(())
            } else if e.has(args::opt::DAEMON) {
                let r = ctx.call(Op::Other, req::get_daemons(), true).map_err(exit1)?;
                let d: Vec<msg::Daemon> = r.iter().map(|m| m.daemon()).collect::<Result<_, _>>().map_err(bad)?;
                out(&fmt::daemons(&d));
                Ok(())
            } else {
                list_all(ctx, e.format)
            }
        }
        Cmd::Save => list_all(ctx, e.format | args::fmt::RULE),
        Cmd::Restore => {
            if reading_stdin {
                return Err(Fail(255, args::tryhelp(&ctx.program).msg));
            }
            let mut input = String::new();
            let _ = std::io::stdin().read_to_string(&mut input);
            let mut last = Ok(());
            for argv in save::restore_lines(&input, &ctx.program.clone()) {
                last = process(ctx, &argv, true);
                if let Err(Fail(_, m)) = &last {
                    if !m.is_empty() {
                        eprintln!("{m}");
                    }
                    // ipvsadm's fail() ends the whole restore with status 2.
                    if matches!(last, Err(Fail(2, _))) {
                        return Err(Fail(2, String::new()));
                    }
                }
            }
            last.map_err(|Fail(c, _)| Fail(c, String::new()))
        }
        Cmd::Flush => ack(ctx.call(Op::Other, req::flush(), false)),
        Cmd::Add => ack(ctx.call(Op::AddService, req::new_service(&e.svc), false)),
        Cmd::Edit => ack(ctx.call(Op::UpdateService, req::set_service(&e.svc), false)),
        Cmd::Del => ack(ctx.call(Op::DelService, req::del_service(&e.svc), false)),
        Cmd::Zero => {
            let named = e.svc.fwmark != 0 || e.svc.addr != [0; 16] || e.svc.port != 0;
            ack(ctx.call(Op::ZeroService, req::zero(named.then_some(&e.svc)), false))
        }
        Cmd::AddDest => ack(ctx.call(Op::AddDest, req::new_dest(&e.svc, &e.dest), false)),
        Cmd::EditDest => ack(ctx.call(Op::UpdateDest, req::set_dest(&e.svc, &e.dest), false)),
        Cmd::DelDest => ack(ctx.call(Op::DelDest, req::del_dest(&e.svc, &e.dest), false)),
        Cmd::Timeout => ack(ctx.call(Op::Other, req::set_timeouts(&e.timeouts), false)),
        Cmd::StartDaemon => ack(ctx.call(Op::StartDaemon, req::new_daemon(&e.daemon), false)),
        Cmd::StopDaemon => ack(ctx.call(Op::StopDaemon, req::del_daemon(&e.daemon), false)),
        Cmd::AddLaddr => ack(ctx.call(Op::AddLaddr, req::new_laddr(&e.svc, &e.laddr), false)),
        Cmd::DelLaddr => ack(ctx.call(Op::DelLaddr, req::del_laddr(&e.svc, &e.laddr), false)),
        Cmd::GetLaddr if e.has(args::opt::SERVICE) && e.svc.addr == [0; 16] && e.svc.port == 0 && e.svc.fwmark == 0 => {
            // `-G -t 0.0.0.0:0`: the default pool (no service to look up).
            out(&fmt::laddrs(&ctx.pool()?.into_iter().collect::<Vec<_>>()));
            Ok(())
        }
        Cmd::GetLaddr => {
            let svcs = if e.has(args::opt::SERVICE) {
                vec![ctx.service(&e.svc)?]
            } else {
                let mut s = ctx.services()?;
                s.sort_by(fmt::cmp_services);
                s
            };
            let mut listed = Vec::new();
            // Without a service: the default pool too, first, as 0.0.0.0:0.
            if !e.has(args::opt::SERVICE) {
                listed.extend(ctx.pool()?);
            }
            for svc in svcs {
                let laddrs = ctx.laddrs(&svc, false)?;
                listed.push(Listed { svc, dests: vec![], laddrs });
            }
            out(&fmt::laddrs(&listed));
            Ok(())
        }
    }
}

fn process(ctx: &mut Ctx, argv: &[String], reading_stdin: bool) -> Result<(), Fail> {
    match args::parse(argv) {
        Err(e) => Err(Fail(e.status, e.msg)),
        Ok(Parsed::Help) => {
            out(&format!("{}\n{}", version(), args::usage(&ctx.program)));
            Ok(())
        }
        Ok(Parsed::Version) => {
            out(&format!("{}\n", version()));
            Ok(())
        }
        Ok(Parsed::Run(e)) => run(ctx, &e, reading_stdin),
    }
}

fn version() -> String {
    format!(
        "rvsadm v{} (ipvsadm 1.31 compatible, generic netlink family \"{}\" v{})",
        rvs_core::VERSION,
        rvs_core::ipvs_nl::FAMILY_NAME,
        rvs_core::ipvs_nl::FAMILY_VERSION
    )
}

fn main() -> ExitCode {
    let argv: Vec<String> = std::env::args().collect();
    let program = argv.first().cloned().unwrap_or_else(|| "rvsadm".into());
    if argv.get(1).map(String::as_str) == Some("--metrics") {
        return match metrics_cmd(&argv[2..]) {
            Ok(()) => ExitCode::SUCCESS,
            Err(m) => {
                eprintln!("{program}: {m}");
                ExitCode::from(2)
            }
        };
    }
    let mut ctx = Ctx { nl: None, program };
    let r = if argv.len() == 1 { list_all(&mut ctx, 0) } else { process(&mut ctx, &argv, false) };
    match r {
        Ok(()) => ExitCode::SUCCESS,
        Err(Fail(code, m)) => {
            if !m.is_empty() {
                eprintln!("{m}");
            }
            ExitCode::from(code)
        }
    }
}

/// `rvsadm --metrics [--stats-file P] [--toa-file P] [--output FILE]`:
/// rvs's and toa.ko's counters in Prometheus's text format, to stdout or
/// to FILE (written beside it and renamed over it, so that a scraper never
/// reads half of it: node_exporter's textfile collector).
fn metrics_cmd(args: &[String]) -> Result<(), String> {
    // The stats text whole, from /proc/net/rvs_stats; a module older than
    // that file has the parameter alone, one page of it.
    let mut stats_file = if std::path::Path::new("/proc/net/rvs_stats").exists() {
        "/proc/net/rvs_stats".to_string()
    } else {
        "/sys/module/rvs/parameters/stats".to_string()
    };
    let mut toa_file = "/proc/net/toa_stats".to_string();
    let mut output: Option<String> = None;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let slot = match a.as_str() {
            "--stats-file" => &mut stats_file,
            "--toa-file" => &mut toa_file,
            "--output" => output.insert(String::new()),
            _ => return Err(format!("--metrics: unknown argument '{a}' (--stats-file P, --toa-file P, --output FILE)")),
        };
        *slot = it.next().ok_or_else(|| format!("--metrics: {a} needs a value"))?.clone();
    }
    let read = |p: &str| match std::fs::read_to_string(p) {
        Ok(t) => Ok(Some(t)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(format!("cannot read {p}: {e}")),
    };
    // A module not loaded reads as such (rvs_module_loaded 0), so that
    // the file the timer writes never goes stale.
    let stats = read(&stats_file)?;
    let toa = read(&toa_file)?;
    let text = metrics::render(stats.as_deref(), toa.as_deref());
    match output {
        None => std::io::stdout().write_all(text.as_bytes()).map_err(|e| format!("stdout: {e}")),
        Some(path) => {
            let tmp = format!("{path}.tmp{}", std::process::id());
            std::fs::write(&tmp, &text)
                .and_then(|()| std::fs::rename(&tmp, &path))
                .map_err(|e| {
                    let _ = std::fs::remove_file(&tmp);
                    format!("cannot write {path}: {e}")
                })
        }
    }
}
