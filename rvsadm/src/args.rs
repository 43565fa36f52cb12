// SPDX-License-Identifier: GPL-2.0
//! Command-line parsing with ipvsadm 1.31's syntax (popt rules: bundled short
//! options, attached or separate arguments, an optional argument for -p,
//! leftover words for --set) and its checks and messages, plus Alibaba's
//! FULLNAT options: -b/--fullnat, -P/--add-laddr, -Q/--del-laddr,
//! -G/--get-laddr, -z/--laddr, -j/--synproxy.
//!
//! -b is --fullnat on -a/-e (Alibaba) and --sched-flags on -A/-E (upstream):
//! each meaning is only legal with its own commands, so both work.

use crate::msg::{addr_bytes, Daemon, Dest, Laddr, Service, Timeouts};
use rvs_core::ipvs_nl::{fwd, svc_flags, AF_INET, AF_INET6, IPPROTO_TCP, IPPROTO_UDP};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

const IPPROTO_SCTP: u16 = 132;
const MAX_TIMEOUT: i64 = 86400 * 31;
const DEF_SCHED: &str = "wlc";
const DEF_MCAST_IFN: &str = "eth0";
/// IPVS_SVC_PERSISTENT_TIMEOUT.
const DEF_PERSISTENT_TIMEOUT: u32 = 6 * 60;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cmd {
    Add,
    Edit,
    Del,
    Flush,
    List,
    AddDest,
    DelDest,
    EditDest,
    Timeout,
    StartDaemon,
    StopDaemon,
    Restore,
    Save,
    Zero,
    AddLaddr,
    DelLaddr,
    GetLaddr,
}

const CMDNAMES: [&str; 17] = [
    "add-service",
    "edit-service",
    "delete-service",
    "flush",
    "list",
    "add-server",
    "delete-server",
    "edit-server",
    "set",
    "start-daemon",
    "stop-daemon",
    "restore",
    "save",
    "zero",
    "add-laddr",
    "del-laddr",
    "get-laddr",
];

/// Option indices (ipvsadm's OPTC_*, then the Alibaba ones). The sync
/// daemon's multicast options keep their columns but are refused.
#[allow(dead_code)]
pub mod opt {
    pub const NUMERIC: u32 = 0;
    pub const CONNECTION: u32 = 1;
    pub const SERVICE: u32 = 2;
    pub const SCHEDULER: u32 = 3;
    pub const PERSISTENT: u32 = 4;
    pub const NETMASK: u32 = 5;
    pub const SERVER: u32 = 6;
    pub const FORWARD: u32 = 7;
    pub const WEIGHT: u32 = 8;
    pub const UTHRESHOLD: u32 = 9;
    pub const LTHRESHOLD: u32 = 10;
    pub const MCAST: u32 = 11;
    pub const TIMEOUT: u32 = 12;
    pub const DAEMON: u32 = 13;
    pub const STATS: u32 = 14;
    pub const RATE: u32 = 15;
    pub const THRESHOLDS: u32 = 16;
    pub const PERSISTENTCONN: u32 = 17;
    pub const NOSORT: u32 = 18;
    pub const SYNCID: u32 = 19;
    pub const EXACT: u32 = 20;
    pub const ONEPACKET: u32 = 21;
    pub const PE: u32 = 22;
    pub const SCHED_FLAGS: u32 = 23;
    pub const MCAST_GROUP: u32 = 24;
    pub const MCAST_PORT: u32 = 25;
    pub const MCAST_TTL: u32 = 26;
    pub const SYNC_MAXLEN: u32 = 27;
    pub const TUN_INFO: u32 = 28;
    pub const TUN_TYPE: u32 = 29;
    pub const TUN_PORT: u32 = 30;
    pub const TUN_NOCSUM: u32 = 31;
    pub const TUN_CSUM: u32 = 32;
    pub const TUN_REMCSUM: u32 = 33;
    pub const LADDR: u32 = 34;
    pub const SYNPROXY: u32 = 35;
    pub const COUNT: usize = 36;
}

const OPTNAMES: [&str; opt::COUNT] = [
    "numeric",
    "connection",
    "service-address",
    "scheduler",
    "persistent",
    "netmask",
    "real-server",
    "forwarding-method",
    "weight",
    "u-threshold",
    "l-threshold",
    "mcast-interface",
    "timeout",
    "daemon",
    "stats",
    "rate",
    "thresholds",
    "persistent-conn",
    "nosort",
    "syncid",
    "exact",
    "ops",
    "pe",
    "sched-flags",
    "mcast-group",
    "mcast-port",
    "mcast-ttl",
    "sync-maxlen",
    "tun-info",
    "tun-type",
    "tun-port",
    "tun-nocsum",
    "tun-csum",
    "tun-remcsum",
    "local-address",
    "synproxy",
];

/// ipvsadm's commands_v_options table ('+' compulsory, 'x' illegal,
/// '1' exclusive, ' ' optional), one column per option above.
pub(crate) const CMD_V_OPT: [&str; 17] = [
    /*ADD*/ "xx+   xxxxxxxxxxxxxxx   xxxxxxxxxxx ",
    /*EDIT*/ "xx+   xxxxxxxxxxxxxxx   xxxxxxxxxxx ",
    /*DEL*/ "xx+xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
    /*FLUSH*/ "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
    /*LIST*/ " 11xxxxxxxxx11       xxxxxxx xxxxxxx",
    /*ADDSRV*/ "xx+xxx+    xxxxxxxxxxxxxxxxxx     xx",
    /*DELSRV*/ "xx+xxx+xxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
    /*EDITSRV*/ "xx+xxx+    xxxxxxxxxxxxxxxxxx     xx",
    /*TIMEOUT*/ "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
    /*STARTD*/ "xxxxxxxxxxx xxxxxxx xxxx    xxxxxxxx",
    /*STOPD*/ "xxxxxxxxxxxxxxxxxxx xxxxxxxxxxxxxxxx",
    /*RESTORE*/ "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
    /*SAVE*/ " xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
    /*ZERO*/ "xx xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
    /*ADDLADDR*/ "xx+xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx+x",
    /*DELLADDR*/ "xx+xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx+x",
    /*GETLADDR*/ " x xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
];

/// Output format flags (ipvsadm's FMT_*).
pub mod fmt {
    pub const NUMERIC: u32 = 0x0001;
    pub const RULE: u32 = 0x0002;
    pub const STATS: u32 = 0x0004;
    pub const RATE: u32 = 0x0008;
    pub const THRESHOLDS: u32 = 0x0010;
    pub const PERSISTENTCONN: u32 = 0x0020;
    pub const NOSORT: u32 = 0x0040;
    pub const EXACT: u32 = 0x0080;
    pub const TUN_INFO: u32 = 0x0100;
}

/// What one command line asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub cmd: Cmd,
    pub svc: Service,
    pub dest: Dest,
    pub laddr: Laddr,
    pub timeouts: Timeouts,
    pub daemon: Daemon,
    /// Bit set of `opt::*`.
    pub options: u64,
    /// Bit set of `fmt::*`.
    pub format: u32,
}

impl Entry {
    pub fn has(&self, o: u32) -> bool {
        self.options & (1u64 << o) != 0
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Parsed {
    Help,
    Version,
    Run(Box<Entry>),
}

/// A usage error: the message (printed to stderr as is) and the exit status
/// ipvsadm uses for it (2 for its fail(), 255 for popt and try-help errors).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArgError {
    pub msg: String,
    pub status: u8,
}

fn fail<T>(msg: impl Into<String>) -> Result<T, ArgError> {
    Err(ArgError { msg: msg.into(), status: 2 })
}

pub fn tryhelp(program: &str) -> ArgError {
    ArgError {
        msg: format!("Try `{program} -h' or '{program} --help' for more information."),
        status: 255,
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum ArgKind {
    None,
    Required,
    Optional,
}

/// (long name, short, argument kind, tag)
const LONG: &[(&str, Option<char>, ArgKind, &str)] = &[
    ("add-service", Some('A'), ArgKind::None, "A"),
    ("edit-service", Some('E'), ArgKind::None, "E"),
    ("delete-service", Some('D'), ArgKind::None, "D"),
    ("clear", Some('C'), ArgKind::None, "C"),
    ("list", Some('L'), ArgKind::None, "L"),
    ("list", Some('l'), ArgKind::None, "L"),
    ("zero", Some('Z'), ArgKind::None, "Z"),
    ("add-server", Some('a'), ArgKind::None, "a"),
    ("edit-server", Some('e'), ArgKind::None, "e"),
    ("delete-server", Some('d'), ArgKind::None, "d"),
    ("set", None, ArgKind::None, "set"),
    ("help", Some('h'), ArgKind::None, "h"),
    ("version", Some('v'), ArgKind::None, "v"),
    ("restore", Some('R'), ArgKind::None, "R"),
    ("save", Some('S'), ArgKind::None, "S"),
    ("start-daemon", None, ArgKind::Required, "start-daemon"),
    ("stop-daemon", None, ArgKind::Required, "stop-daemon"),
    ("add-laddr", Some('P'), ArgKind::None, "P"),
    ("del-laddr", Some('Q'), ArgKind::None, "Q"),
    ("get-laddr", Some('G'), ArgKind::None, "G"),
    ("tcp-service", Some('t'), ArgKind::Required, "t"),
    ("udp-service", Some('u'), ArgKind::Required, "u"),
    ("sctp-service", None, ArgKind::Required, "sctp"),
    ("fwmark-service", Some('f'), ArgKind::Required, "f"),
    ("scheduler", Some('s'), ArgKind::Required, "s"),
    ("persistent", Some('p'), ArgKind::Optional, "p"),
    ("netmask", Some('M'), ArgKind::Required, "M"),
    ("real-server", Some('r'), ArgKind::Required, "r"),
    ("masquerading", Some('m'), ArgKind::None, "m"),
    ("ipip", Some('i'), ArgKind::None, "i"),
    ("gatewaying", Some('g'), ArgKind::None, "g"),
    ("fullnat", None, ArgKind::None, "fullnat"),
    ("weight", Some('w'), ArgKind::Required, "w"),
    ("u-threshold", Some('x'), ArgKind::Required, "x"),
    ("l-threshold", Some('y'), ArgKind::Required, "y"),
    ("numeric", Some('n'), ArgKind::None, "n"),
    ("connection", Some('c'), ArgKind::None, "c"),
    ("mcast-interface", None, ArgKind::Required, "mcast-interface"),
    ("syncid", None, ArgKind::Required, "syncid"),
    ("timeout", None, ArgKind::None, "timeout"),
    ("daemon", None, ArgKind::None, "daemon"),
    ("stats", None, ArgKind::None, "stats"),
    ("rate", None, ArgKind::None, "rate"),
    ("thresholds", None, ArgKind::None, "thresholds"),
    ("persistent-conn", None, ArgKind::None, "persistent-conn"),
    ("nosort", None, ArgKind::None, "nosort"),
    ("sort", None, ArgKind::None, "sort"),
    ("exact", Some('X'), ArgKind::None, "X"),
    ("ipv6", Some('6'), ArgKind::None, "6"),
    ("ops", Some('o'), ArgKind::None, "o"),
    ("pe", None, ArgKind::Required, "pe"),
    ("sched-flags", None, ArgKind::Required, "sched-flags"),
    ("mcast-group", None, ArgKind::Required, "mcast-group"),
    ("mcast-port", None, ArgKind::Required, "mcast-port"),
    ("mcast-ttl", None, ArgKind::Required, "mcast-ttl"),
    ("sync-maxlen", None, ArgKind::Required, "sync-maxlen"),
    ("tun-info", None, ArgKind::None, "tun-info"),
    ("tun-type", None, ArgKind::Required, "tun-type"),
    ("tun-port", None, ArgKind::Required, "tun-port"),
    ("tun-nocsum", None, ArgKind::None, "tun-nocsum"),
    ("tun-csum", None, ArgKind::None, "tun-csum"),
    ("tun-remcsum", None, ArgKind::None, "tun-remcsum"),
    ("laddr", Some('z'), ArgKind::Required, "z"),
    ("synproxy", Some('j'), ArgKind::Required, "j"),
];

/// One option occurrence found by the tokenizer.
struct Occ {
    tag: &'static str,
    arg: Option<String>,
}

/// popt-like tokenizer. `b_takes_arg` tells how to read a short -b (it
/// depends on the command, the first option).
struct Tokens<'a> {
    argv: &'a [String],
    pos: usize,
    /// Remaining chars of a bundle of short options.
    bundle: Vec<char>,
    leftovers: Vec<String>,
    only_args: bool,
}

fn popt_err(what: &str, why: &str) -> ArgError {
    ArgError { msg: format!("{what}: {why}"), status: 255 }
}

impl<'a> Tokens<'a> {
    fn new(argv: &'a [String]) -> Self {
        Tokens { argv, pos: 1, bundle: Vec::new(), leftovers: Vec::new(), only_args: false }
    }

    fn next_word(&mut self) -> Option<String> {
        let w = self.argv.get(self.pos).cloned();
        if w.is_some() {
            self.pos += 1;
        }
        w
    }

    fn next_opt(&mut self, b_takes_arg: bool) -> Result<Option<Occ>, ArgError> {
        if let Some(&c) = self.bundle.first() {
            self.bundle.remove(0);
            return self.short(c, b_takes_arg).map(Some);
        }
        loop {
            let Some(w) = self.next_word() else { return Ok(None) };
            if self.only_args || w == "-" || !w.starts_with('-') {
                self.leftovers.push(w);
                continue;
            }
            if w == "--" {
                self.only_args = true;
                continue;
            }
            if let Some(long) = w.strip_prefix("--") {
                let (name, inline) = match long.split_once('=') {
                    Some((n, v)) => (n, Some(v.to_string())),
                    None => (long, None),
                };
                let Some(&(_, _, kind, tag)) = LONG.iter().find(|(n, ..)| *n == name) else {
                    return Err(popt_err(&w, "unknown option"));
                };
                let arg = match kind {
                    ArgKind::None => {
                        if inline.is_some() {
                            return Err(popt_err(&w, "option does not take an argument"));
                        }
                        None
                    }
                    ArgKind::Required => match inline {
                        Some(v) => Some(v),
                        None => Some(self.next_word().ok_or_else(|| popt_err(&w, "missing argument"))?),
                    },
                    ArgKind::Optional => inline.or_else(|| self.optional_word()),
                };
                return Ok(Some(Occ { tag, arg }));
            }
            self.bundle = w.chars().skip(1).collect();
            let c = self.bundle.remove(0);
            return self.short(c, b_takes_arg).map(Some);
        }
    }

    fn optional_word(&mut self) -> Option<String> {
        match self.argv.get(self.pos) {
            Some(n) if !n.starts_with('-') => self.next_word(),
            _ => None,
        }
    }

    fn short(&mut self, c: char, b_takes_arg: bool) -> Result<Occ, ArgError> {
        let (tag, kind) = if c == 'b' {
            if b_takes_arg { ("sched-flags", ArgKind::Required) } else { ("fullnat", ArgKind::None) }
        } else {
            match LONG.iter().find(|(_, s, ..)| *s == Some(c)) {
                Some(&(_, _, kind, tag)) => (tag, kind),
                None => return Err(popt_err(&format!("-{c}"), "unknown option")),
            }
        };
        let rest: String = self.bundle.iter().collect();
        let arg = match kind {
            ArgKind::None => None,
            ArgKind::Required => {
                self.bundle.clear();
                if !rest.is_empty() {
                    Some(rest)
                } else {
                    Some(self.next_word().ok_or_else(|| popt_err(&format!("-{c}"), "missing argument"))?)
                }
            }
            ArgKind::Optional => {
                self.bundle.clear();
                if !rest.is_empty() { Some(rest) } else { self.optional_word() }
            }
        };
        Ok(Occ { tag, arg })
    }
}

/// string_to_number: a whole decimal number within [min, max].
fn number(s: &str, min: i64, max: i64) -> Option<i64> {
    let t = s.trim_start();
    let n: i64 = t.parse().ok()?;
    (min..=max).contains(&n).then_some(n)
}

fn parse_timeout(s: Option<&str>, min: i64, max: i64) -> Result<u32, ArgError> {
    match s {
        None => Ok(DEF_PERSISTENT_TIMEOUT),
        Some(s) => match number(s, min, max) {
            Some(n) => Ok(n as u32),
            None => fail(format!("invalid timeout value `{s}' specified")),
        },
    }
}

fn parse_fwmark(s: &str) -> Result<u32, ArgError> {
    match s.parse::<i64>() {
        Ok(n) if n > 0 && n <= u32::MAX as i64 => Ok(n as u32),
        _ => fail(format!("invalid fwmark value `{s}' specified")),
    }
}

fn parse_ipv4(s: &str) -> Option<Ipv4Addr> {
    s.parse().ok().or_else(|| crate::names::host_to_ipv4(s))
}

/// parse_service: Some((ip, port if given)) or None (SERVICE_NONE).
pub fn parse_service(buf: &str, proto: u16) -> Option<(IpAddr, Option<u16>)> {
    if buf.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let (host, portp): (&str, Option<&str>) = if let Some(b) = buf.strip_prefix('[') {
        let (h, rest) = b.split_once(']')?;
        (h, Some(rest.strip_prefix(':')?))
    } else {
        (buf, None)
    };
    let ip: IpAddr;
    let mut port_str = portp;
    if let Ok(v6) = host.parse::<Ipv6Addr>() {
        ip = IpAddr::V6(v6);
    } else {
        let h = match host.rsplit_once(':') {
            Some((h, p)) if portp.is_none() => {
                port_str = Some(p);
                h
            }
            _ => host,
        };
        ip = IpAddr::V4(parse_ipv4(h)?);
    }
    let port = match port_str {
        None => None,
        Some(p) => Some(match number(p, 0, 65535) {
            Some(n) => n as u16,
            None => crate::names::service_to_port(p, proto)?,
        }),
    };
    Some((ip, port))
}

fn parse_netmask(s: &str) -> Option<u32> {
    parse_ipv4(s).map(|m| u32::from_ne_bytes(m.octets()))
}

fn parse_sched_flags(sched: &str, arg: &str) -> Result<u32, ArgError> {
    let sched = if sched.is_empty() { DEF_SCHED } else { sched };
    let mut flags = 0;
    for flag in arg.split(',').filter(|f| !f.is_empty()) {
        let (bit, only) = match flag {
            "flag-1" => (svc_flags::SCHED1, None),
            "flag-2" => (svc_flags::SCHED2, None),
            "flag-3" => (svc_flags::SCHED3, None),
            "sh-fallback" => (svc_flags::SCHED1, Some("sh")),
            "sh-port" => (svc_flags::SCHED2, Some("sh")),
            "mh-fallback" => (svc_flags::SCHED1, Some("mh")),
            "mh-port" => (svc_flags::SCHED2, Some("mh")),
            _ => return fail(format!("invalid scheduler flag `{flag}'")),
        };
        if only.is_some_and(|s| s != sched) {
            return fail(format!("incompatible scheduler flag `{flag}'"));
        }
        flags |= bit;
    }
    Ok(flags)
}

fn set_option(options: &mut u64, o: u32) -> Result<(), ArgError> {
    let bit = 1u64 << o;
    if *options & bit != 0 {
        return fail(format!("multiple '{}' options specified", OPTNAMES[o as usize]));
    }
    *options |= bit;
    Ok(())
}

fn generic_opt_check(cmd: Cmd, options: u64) -> Result<(), ArgError> {
    let i = cmd as usize;
    let row = CMD_V_OPT[i].as_bytes();
    let mut last = None;
    for (j, &rule) in row.iter().enumerate() {
        if options & (1u64 << j) == 0 {
            if rule == b'+' {
                return fail(format!(
                    "You need to supply the '{}' option for the '{}' command",
                    OPTNAMES[j], CMDNAMES[i]
                ));
            }
        } else {
            if rule == b'x' {
                return fail(format!("Illegal '{}' option with the '{}' command", OPTNAMES[j], CMDNAMES[i]));
            }
            if rule == b'1' {
                if let Some(l) = last {
                    return fail(format!(
                        "The option '{}' conflicts with the '{}' option in the '{}' command",
                        OPTNAMES[j], OPTNAMES[l], CMDNAMES[i]
                    ));
                }
                last = Some(j);
            }
        }
    }
    Ok(())
}

const TUN_NAMES: [&str; 3] = ["ipip", "gue", "gre"];
/// tunnel_types_v_options: columns tun-port, tun-nocsum, tun-csum, tun-remcsum.
const TUN_V_OPT: [&str; 3] = ["xxxx", "+111", "x11x"];
const TUN_OPTS: [u32; 4] = [opt::TUN_PORT, opt::TUN_NOCSUM, opt::TUN_CSUM, opt::TUN_REMCSUM];

fn tunnel_opt_check(tun_type: u8, options: u64) -> Result<(), ArgError> {
    let i = tun_type as usize;
    let row = TUN_V_OPT[i].as_bytes();
    let mut last = None;
    for (j, &k) in TUN_OPTS.iter().enumerate() {
        let name = OPTNAMES[k as usize];
        if options & (1u64 << k) == 0 {
            if row[j] == b'+' {
                return fail(format!("You need to supply the '{name}' option for the '{}' tunnel type", TUN_NAMES[i]));
            }
        } else {
            if row[j] == b'x' {
                return fail(format!("Illegal '{name}' option with the '{}' tunnel type", TUN_NAMES[i]));
            }
            if row[j] == b'1' {
                if let Some(l) = last {
                    return fail(format!(
                        "The option '{name}' conflicts with the '{}' option in the '{}' tunnel type",
                        OPTNAMES[l as usize],
                        TUN_NAMES[i]
                    ));
                }
                last = Some(k);
            }
        }
    }
    Ok(())
}

/// Parses one command line (argv[0] is the program name) and applies
/// ipvsadm's process_options checks.
pub fn parse(argv: &[String]) -> Result<Parsed, ArgError> {
    let program = argv.first().map(String::as_str).unwrap_or("rvsadm");
    let mut tok = Tokens::new(argv);
    let first = tok.next_opt(false)?.ok_or_else(|| tryhelp(program))?;
    let mut e = Entry {
        cmd: Cmd::List,
        svc: Service::default(),
        dest: Dest::default(),
        laddr: Laddr { addr: [0; 16], af: 0, port_conflict: 0, conn_counts: 0 },
        timeouts: Timeouts::default(),
        daemon: Daemon::default(),
        options: 0,
        format: 0,
    };
    let daemon_state = |a: &Option<String>, msg: &str| -> Result<u32, ArgError> {
        match a.as_deref() {
            Some("master") => Ok(1),
            Some("backup") => Ok(2),
            _ => fail(msg),
        }
    };
    e.cmd = match first.tag {
        "A" => Cmd::Add,
        "E" => Cmd::Edit,
        "D" => Cmd::Del,
        "a" => Cmd::AddDest,
        "e" => Cmd::EditDest,
        "d" => Cmd::DelDest,
        "C" => Cmd::Flush,
        "L" => Cmd::List,
        "Z" => Cmd::Zero,
        "set" => Cmd::Timeout,
        "R" => Cmd::Restore,
        "S" => Cmd::Save,
        "P" => Cmd::AddLaddr,
        "Q" => Cmd::DelLaddr,
        "G" => Cmd::GetLaddr,
        "start-daemon" => {
            e.daemon.state = daemon_state(&first.arg, "illegal start-daemon parameter specified")?;
            Cmd::StartDaemon
        }
        "stop-daemon" => {
            e.daemon.state = daemon_state(&first.arg, "illegal start_daemon specified")?;
            Cmd::StopDaemon
        }
        "h" => return Ok(Parsed::Help),
        "v" => return Ok(Parsed::Version),
        _ => return Err(tryhelp(program)),
    };
    let b_arg = matches!(e.cmd, Cmd::Add | Cmd::Edit);
    let mut sched_flags_arg: Option<String> = None;
    let mut synproxy: Option<bool> = None;
    let o = &mut e.options;
    while let Some(occ) = tok.next_opt(b_arg)? {
        let arg = occ.arg.clone().unwrap_or_default();
        match occ.tag {
            "A" | "E" | "D" | "a" | "e" | "d" | "C" | "L" | "Z" | "set" | "R" | "S" | "P" | "Q"
            | "G" | "start-daemon" | "stop-daemon" => return fail("multiple commands specified"),
            "h" | "v" => return fail(format!("invalid option `{}'", occ.tag)),
            "t" | "u" | "sctp" => {
                set_option(o, opt::SERVICE)?;
                e.svc.protocol = match occ.tag {
                    "t" => IPPROTO_TCP,
                    "u" => IPPROTO_UDP,
                    _ => IPPROTO_SCTP,
                };
                match parse_service(&arg, e.svc.protocol) {
                    Some((ip, port)) => {
                        e.svc.addr = addr_bytes(ip);
                        e.svc.af = crate::msg::af_of(ip);
                        if e.svc.af == AF_INET6 {
                            e.svc.netmask = 128;
                        }
                        if let Some(p) = port {
                            e.svc.port = p;
                        }
                    }
                    None => return fail("illegal virtual server address[:port] specified"),
                }
            }
            "f" => {
                set_option(o, opt::SERVICE)?;
                e.svc.af = AF_INET;
                e.svc.protocol = IPPROTO_TCP;
                e.svc.fwmark = parse_fwmark(&arg)?;
            }
            "s" => {
                set_option(o, opt::SCHEDULER)?;
                e.svc.sched_name = arg.chars().take(rvs_core::ipvs_nl::SCHEDNAME_MAXLEN - 1).collect();
            }
            "p" => {
                set_option(o, opt::PERSISTENT)?;
                e.svc.flags |= svc_flags::PERSISTENT;
                e.svc.timeout = parse_timeout(occ.arg.as_deref(), 1, MAX_TIMEOUT)?;
            }
            "M" => {
                set_option(o, opt::NETMASK)?;
                if e.svc.af != AF_INET6 {
                    match parse_netmask(&arg) {
                        Some(m) => e.svc.netmask = m,
                        None => return fail("illegal virtual server persistent mask specified"),
                    }
                } else {
                    match number(&arg, 1, 128) {
                        Some(n) => e.svc.netmask = n as u32,
                        None => return fail("illegal ipv6 netmask specified"),
                    }
                }
            }
            "r" => {
                set_option(o, opt::SERVER)?;
                match parse_service(&arg, e.svc.protocol) {
                    Some((ip, port)) => {
                        e.dest.af = crate::msg::af_of(ip);
                        e.dest.addr = addr_bytes(ip);
                        e.dest.port = port.unwrap_or(e.svc.port);
                    }
                    None => return fail("illegal real server address[:port] specified"),
                }
            }
            "i" | "g" | "m" | "fullnat" => {
                set_option(o, opt::FORWARD)?;
                e.dest.fwd = match occ.tag {
                    "i" => fwd::TUNNEL,
                    "g" => fwd::DROUTE,
                    "m" => fwd::MASQ,
                    _ => fwd::FULLNAT,
                };
            }
            "w" => {
                set_option(o, opt::WEIGHT)?;
                // Debian's ipvsadm 1.31 takes weights up to INT_MAX (as the
                // kernel does); upstream stops at 65535.
                e.dest.weight = number(&arg, 0, i32::MAX as i64)
                    .ok_or(())
                    .or_else(|_| fail("illegal weight specified"))? as u32;
            }
            "x" => {
                set_option(o, opt::UTHRESHOLD)?;
                e.dest.u_threshold = number(&arg, 0, i32::MAX as i64)
                    .ok_or(())
                    .or_else(|_| fail("illegal u_threshold specified"))? as u32;
            }
            "y" => {
                set_option(o, opt::LTHRESHOLD)?;
                e.dest.l_threshold = number(&arg, 0, i32::MAX as i64)
                    .ok_or(())
                    .or_else(|_| fail("illegal l_threshold specified"))? as u32;
            }
            "c" => set_option(o, opt::CONNECTION)?,
            "n" => {
                set_option(o, opt::NUMERIC)?;
                e.format |= fmt::NUMERIC;
            }
            "mcast-interface" => {
                set_option(o, opt::MCAST)?;
                e.daemon.mcast_ifn = arg.chars().take(15).collect();
            }
            "syncid" => {
                set_option(o, opt::SYNCID)?;
                e.daemon.syncid =
                    number(&arg, 0, 255).ok_or(()).or_else(|_| fail("illegal syncid specified"))? as u32;
            }
            "timeout" => set_option(o, opt::TIMEOUT)?,
            "daemon" => set_option(o, opt::DAEMON)?,
            "stats" => {
                set_option(o, opt::STATS)?;
                e.format |= fmt::STATS;
            }
            "rate" => {
                set_option(o, opt::RATE)?;
                e.format |= fmt::RATE;
            }
            "thresholds" => {
                set_option(o, opt::THRESHOLDS)?;
                e.format |= fmt::THRESHOLDS;
            }
            "persistent-conn" => {
                set_option(o, opt::PERSISTENTCONN)?;
                e.format |= fmt::PERSISTENTCONN;
            }
            "nosort" => {
                set_option(o, opt::NOSORT)?;
                e.format |= fmt::NOSORT;
            }
            "sort" => {}
            "X" => {
                set_option(o, opt::EXACT)?;
                e.format |= fmt::EXACT;
            }
            "6" => {
                if e.svc.fwmark != 0 {
                    e.svc.af = AF_INET6;
                    e.svc.netmask = 128;
                } else {
                    return fail("-6 used before -f\n");
                }
            }
            "o" => {
                set_option(o, opt::ONEPACKET)?;
                e.svc.flags |= svc_flags::ONEPACKET;
            }
            "pe" => {
                set_option(o, opt::PE)?;
                e.svc.pe_name = arg.chars().take(rvs_core::ipvs_nl::PENAME_MAXLEN - 1).collect();
            }
            "sched-flags" => {
                set_option(o, opt::SCHED_FLAGS)?;
                sched_flags_arg = Some(arg);
            }
            "mcast-group" | "mcast-port" | "mcast-ttl" | "sync-maxlen" => {
                return fail(format!("option `--{}' is not supported by rvsadm", occ.tag));
            }
            "tun-info" => {
                set_option(o, opt::TUN_INFO)?;
                e.format |= fmt::TUN_INFO;
            }
            "tun-type" => {
                set_option(o, opt::TUN_TYPE)?;
                e.dest.tun_type = match TUN_NAMES.iter().position(|n| *n == arg) {
                    Some(i) => i as u8,
                    None => return fail("illegal tunnel type specified"),
                };
            }
            "tun-port" => {
                set_option(o, opt::TUN_PORT)?;
                e.dest.tun_port =
                    number(&arg, 1, 65535).ok_or(()).or_else(|_| fail("illegal tunnel port specified"))? as u16;
            }
            "tun-nocsum" => {
                set_option(o, opt::TUN_NOCSUM)?;
            }
            "tun-csum" => {
                set_option(o, opt::TUN_CSUM)?;
                e.dest.tun_flags |= 1;
            }
            "tun-remcsum" => {
                set_option(o, opt::TUN_REMCSUM)?;
                e.dest.tun_flags |= 2;
            }
            "z" => {
                set_option(o, opt::LADDR)?;
                match parse_service(&arg, IPPROTO_TCP) {
                    Some((ip, _)) => {
                        e.laddr.addr = addr_bytes(ip);
                        e.laddr.af = if ip.is_ipv4() { AF_INET } else { AF_INET6 };
                    }
                    None => return fail("illegal local address"),
                }
            }
            "j" => {
                set_option(o, opt::SYNPROXY)?;
                synproxy = Some(match arg.as_str() {
                    "enable" => true,
                    "disable" => false,
                    _ => return fail("synproxy switch must be enable or disable"),
                });
            }
            other => return fail(format!("invalid option `{other}'")),
        }
    }
    let mut left = tok.leftovers.into_iter();
    if e.cmd == Cmd::Timeout {
        match (left.next(), left.next(), left.next()) {
            (Some(a), Some(b), Some(c)) => {
                e.timeouts = Timeouts {
                    tcp: parse_timeout(Some(&a), 0, MAX_TIMEOUT)?,
                    tcp_fin: parse_timeout(Some(&b), 0, MAX_TIMEOUT)?,
                    udp: parse_timeout(Some(&c), 0, MAX_TIMEOUT)?,
                };
            }
            _ => return fail("--set option requires 3 timeout values"),
        }
    }
    if let Some(x) = left.next() {
        return fail(format!("unexpected argument {x}"));
    }
    if let Some(a) = sched_flags_arg {
        e.svc.flags &= !(svc_flags::SCHED1 | svc_flags::SCHED2 | svc_flags::SCHED3);
        e.svc.flags |= parse_sched_flags(&e.svc.sched_name, &a)?;
    }
    match synproxy {
        Some(true) => e.svc.flags |= svc_flags::SYNPROXY,
        Some(false) => e.svc.flags &= !svc_flags::SYNPROXY,
        // -E without -j keeps the service's SYNPROXY bit.
        None if e.cmd == Cmd::Edit => e.svc.flags_mask = !svc_flags::SYNPROXY,
        None => {}
    }

    generic_opt_check(e.cmd, e.options)?;

    if matches!(e.cmd, Cmd::Add | Cmd::Edit) {
        if e.svc.fwmark == 0 && e.svc.port == 0 && e.svc.flags & svc_flags::PERSISTENT == 0 {
            return fail("Zero port specified for non-persistent service");
        }
        if e.svc.flags & svc_flags::ONEPACKET != 0 && e.svc.fwmark == 0 && e.svc.protocol != IPPROTO_UDP {
            return fail("One-Packet Scheduling is only for UDP virtual services");
        }
        if e.svc.sched_name.is_empty() {
            e.svc.sched_name = DEF_SCHED.to_string();
        }
    }
    if e.cmd == Cmd::StartDaemon && e.daemon.mcast_ifn.is_empty() {
        e.daemon.mcast_ifn = DEF_MCAST_IFN.to_string();
    }
    if matches!(e.cmd, Cmd::AddDest | Cmd::EditDest) {
        if e.svc.fwmark == 0 && (e.dest.fwd == fwd::TUNNEL || e.dest.fwd == fwd::DROUTE) {
            e.dest.port = e.svc.port;
        }
        // rvs adds NAT64 (an IPv6 service's IPv4 real servers) for
        // FULLNAT, and for -m where the namespace's masq_as_fullnat makes
        // it FULLNAT (only the kernel knows); it says why it refuses the
        // rest.
        if e.dest.af != e.svc.af && !matches!(e.dest.fwd, fwd::TUNNEL | fwd::FULLNAT | fwd::MASQ) {
            return fail("Different address family is allowed only for tunneling and FULLNAT servers");
        }
        let tun = (1u64 << opt::TUN_TYPE)
            | (1u64 << opt::TUN_PORT)
            | (1u64 << opt::TUN_NOCSUM)
            | (1u64 << opt::TUN_CSUM)
            | (1u64 << opt::TUN_REMCSUM);
        if e.options & tun != 0 && e.dest.fwd != fwd::TUNNEL {
            return fail("Tunnel options conflict with forward method");
        }
        tunnel_opt_check(e.dest.tun_type, e.options)?;
    }
    if matches!(e.cmd, Cmd::AddLaddr | Cmd::DelLaddr) && e.svc.af == AF_INET && e.laddr.af != AF_INET {
        return fail("local address family differs from the service's");
    }
    if e.cmd == Cmd::List {
        let a = |x: u32| e.has(x);
        if ((a(opt::CONNECTION) || a(opt::TIMEOUT) || a(opt::DAEMON))
            && (a(opt::STATS) || a(opt::RATE) || a(opt::THRESHOLDS)))
            || ((a(opt::TIMEOUT) || a(opt::DAEMON)) && a(opt::PERSISTENTCONN))
        {
            return fail("options conflicts in the list command");
        }
    }
    Ok(Parsed::Run(Box::new(e)))
}

/// Usage text (ipvsadm's, with the FULLNAT additions).
pub fn usage(program: &str) -> String {
    let p = program;
    format!(
        "Usage:
  {p} -A|E virtual-service [-s scheduler] [-p [timeout]] [-M netmask] [--pe persistence_engine] [-b sched-flags] [-j enable|disable]
  {p} -D virtual-service
  {p} -C
  {p} -R
  {p} -S [-n]
  {p} -a|e virtual-service -r server-address [options]
  {p} -d virtual-service -r server-address
  {p} -L|l [virtual-service] [options]
  {p} -Z [virtual-service]
  {p} --set tcp tcpfin udp
  {p} --start-daemon {{master|backup}} [daemon-options]
  {p} --stop-daemon {{master|backup}}
  {p} -P|Q virtual-service -z local-address
  {p} -G [virtual-service]
  {p} -h

Commands:
Either long or short options are allowed.
  --add-service     -A        add virtual service with options
  --edit-service    -E        edit virtual service with options
  --delete-service  -D        delete virtual service
  --clear           -C        clear the whole table
  --restore         -R        restore rules from stdin
  --save            -S        save rules to stdout
  --add-server      -a        add real server with options
  --edit-server     -e        edit real server with options
  --delete-server   -d        delete real server
  --list            -L|-l     list the table
  --zero            -Z        zero counters in a service or all services
  --set tcp tcpfin udp        set connection timeout values
  --start-daemon              start connection sync daemon
  --stop-daemon               stop connection sync daemon
  --add-laddr       -P        add local address (FULLNAT)
  --del-laddr       -Q        delete local address (FULLNAT)
  --get-laddr       -G        list local addresses (FULLNAT)
  --help            -h        display this help message

virtual-service:
  --tcp-service|-t  service-address   service-address is host[:port]
  --udp-service|-u  service-address   service-address is host[:port]
  --sctp-service    service-address   service-address is host[:port]
  --fwmark-service|-f fwmark          fwmark is an integer greater than zero

Options:
  --ipv6         -6                   fwmark entry uses IPv6
  --scheduler    -s scheduler         one of rr|wrr|lc|wlc|lblc|lblcr|dh|sh|sed|nq|fo|ovf|mh,
                                      the default scheduler is {DEF_SCHED}.
  --pe            engine              alternate persistence engine may be sip,
                                      not set by default.
  --persistent   -p [timeout]         persistent service
  --netmask      -M netmask           persistent granularity mask
  --real-server  -r server-address    server-address is host (and port)
  --gatewaying   -g                   gatewaying (direct routing) (default)
  --ipip         -i                   ipip encapsulation (tunneling)
  --masquerading -m                   masquerading (NAT)
  --fullnat      -b                   fullnat (with -a|-e)
  --tun-type      type                one of ipip|gue|gre,
                                      the default tunnel type is ipip.
  --tun-port      port                tunnel destination port
  --tun-nocsum                        tunnel encapsulation without checksum
  --tun-csum                          tunnel encapsulation with checksum
  --tun-remcsum                       tunnel encapsulation with remote checksum
  --weight       -w weight            capacity of real server
  --u-threshold  -x uthreshold        upper threshold of connections
  --l-threshold  -y lthreshold        lower threshold of connections
  --laddr        -z local-address     local address of a FULLNAT service
  --synproxy     -j enable|disable    SYN proxy of a service
  --connection   -c                   output of current IPVS connections
  --timeout                           output of timeout (tcp tcpfin udp)
  --daemon                            output of daemon information
  --stats                             output of statistics information
  --rate                              output of rate information
  --exact                             expand numbers (display exact values)
  --thresholds                        output of thresholds information
  --persistent-conn                   output of persistent connection info
  --tun-info                          output of tunnel information
  --nosort                            disable sorting output of service/server entries
  --sort                              does nothing, for backwards compatibility
  --ops          -o                   one-packet scheduling
  --numeric      -n                   numeric output of addresses and ports
  --sched-flags  -b flags             scheduler flags (comma-separated, with -A|-E)
Daemon Options:
  --syncid sid                        syncid for connection sync (default=255)
  --mcast-interface interface         multicast interface for connection sync
"
    )
}
