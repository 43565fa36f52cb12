// SPDX-License-Identifier: GPL-2.0
//! Argument parsing against ipvsadm 1.31's documented syntax and messages,
//! and Alibaba's FULLNAT options.

use crate::args::{self, parse, Cmd, Entry, Parsed};
use crate::msg::addr_bytes;
use rvs_core::ipvs_nl::{fwd, svc_flags, AF_INET, AF_INET6, IPPROTO_TCP, IPPROTO_UDP};

fn argv(s: &str) -> Vec<String> {
    std::iter::once("rvsadm").chain(s.split_whitespace()).map(String::from).collect()
}

fn ok(s: &str) -> Entry {
    match parse(&argv(s)) {
        Ok(Parsed::Run(e)) => *e,
        other => panic!("{s}: {other:?}"),
    }
}

/// The error message and exit status.
fn err(s: &str) -> (String, u8) {
    match parse(&argv(s)) {
        Err(e) => (e.msg, e.status),
        Ok(p) => panic!("{s}: parsed as {p:?}"),
    }
}

fn ip(s: &str) -> [u8; 16] {
    addr_bytes(s.parse().unwrap())
}

#[test]
fn option_table_rows_are_complete() {
    // Every command has one rule per option (ipvsadm's 34 + laddr + synproxy)
    // and the upstream columns are upstream's.
    for row in args::CMD_V_OPT {
        assert_eq!(row.len(), args::opt::COUNT, "{row:?}");
        assert!(row.bytes().all(|c| b"+x1 ".contains(&c)));
    }
    assert_eq!(&args::CMD_V_OPT[Cmd::Add as usize][..34], "xx+   xxxxxxxxxxxxxxx   xxxxxxxxxx");
    assert_eq!(&args::CMD_V_OPT[Cmd::List as usize][..34], " 11xxxxxxxxx11       xxxxxxx xxxxx");
    assert_eq!(&args::CMD_V_OPT[Cmd::AddDest as usize][..34], "xx+xxx+    xxxxxxxxxxxxxxxxxx     ");
    assert_eq!(&args::CMD_V_OPT[Cmd::StartDaemon as usize][..34], "xxxxxxxxxxx xxxxxxx xxxx    xxxxxx");
    assert_eq!(ok("-L").cmd, Cmd::List);
}

#[test]
fn add_service() {
    let e = ok("-A -t 192.0.2.100:80 -s rr");
    assert_eq!(e.cmd, Cmd::Add);
    assert_eq!((e.svc.af, e.svc.protocol, e.svc.port), (AF_INET, IPPROTO_TCP, 80));
    assert_eq!(e.svc.addr, ip("192.0.2.100"));
    assert_eq!(e.svc.sched_name, "rr");
    assert_eq!((e.svc.flags, e.svc.flags_mask, e.svc.timeout, e.svc.netmask), (0, !0, 0, 0xffff_ffff));
}

#[test]
fn default_scheduler_is_wlc() {
    assert_eq!(ok("-A -u 192.0.2.100:53").svc.sched_name, "wlc");
    assert_eq!(ok("-A -u 192.0.2.100:53").svc.protocol, IPPROTO_UDP);
    assert_eq!(ok("-E -t 192.0.2.100:80").svc.sched_name, "wlc");
}

#[test]
fn long_options_and_bundles() {
    let a = ok("--add-service --tcp-service 192.0.2.100:80 --scheduler rr");
    let b = ok("-At192.0.2.100:80 -srr");
    let c = ok("-A --tcp-service=192.0.2.100:80 -s rr");
    assert_eq!(a, b);
    assert_eq!(a, c);
    assert_eq!(ok("-Ln").format, args::fmt::NUMERIC);
    assert_eq!(ok("-lnc").cmd, Cmd::List);
    assert!(ok("-Lnc").has(args::opt::CONNECTION));
    assert_eq!(ok("--list --numeric --stats --exact").format, args::fmt::NUMERIC | args::fmt::STATS | args::fmt::EXACT);
    assert_eq!(ok("-L --sort").format, 0);
}

#[test]
fn persistence() {
    let e = ok("-A -t 192.0.2.100:80 -p");
    assert_eq!((e.svc.flags, e.svc.timeout), (svc_flags::PERSISTENT, 360));
    let e = ok("-A -t 192.0.2.100:80 -p 60 -M 255.255.255.0");
    assert_eq!(e.svc.timeout, 60);
    assert_eq!(e.svc.netmask.to_ne_bytes(), [255, 255, 255, 0]);
    // -p's argument is optional: the next option is not taken for it.
    let e = ok("-A -t 192.0.2.100:80 -p -s rr");
    assert_eq!((e.svc.timeout, e.svc.sched_name.as_str()), (360, "rr"));
    assert_eq!(ok("-A -t 192.0.2.100:80 -p120").svc.timeout, 120);
    // Port 0 is fine for persistent services.
    assert_eq!(ok("-A -t 192.0.2.100 -p").svc.port, 0);
}

#[test]
fn ipv6_and_fwmark() {
    let e = ok("-A -t [2001:db8::1]:443 -s wlc");
    assert_eq!((e.svc.af, e.svc.port, e.svc.netmask), (AF_INET6, 443, 128));
    assert_eq!(e.svc.addr, ip("2001:db8::1"));
    let e = ok("-A -f 7 -s sh");
    assert_eq!((e.svc.fwmark, e.svc.af, e.svc.protocol), (7, AF_INET, IPPROTO_TCP));
    let e = ok("-A -f 9 -6 -s rr");
    assert_eq!((e.svc.af, e.svc.netmask), (AF_INET6, 128));
    let e = ok("-A -t [2001:db8::1]:443 -p -M 64");
    assert_eq!(e.svc.netmask, 64);
    assert_eq!(err("-A -t [2001:db8::1]:443 -p -M 129").0, "illegal ipv6 netmask specified");
    assert_eq!(err("-A -6 -f 9").0, "-6 used before -f\n");
}

#[test]
fn service_names_and_hosts() {
    assert_eq!(ok("-A -t 192.0.2.1:http").svc.port, 80);
    let e = ok("-A -t localhost:80");
    assert_eq!(e.svc.addr, ip("127.0.0.1"));
}

#[test]
fn real_servers() {
    let e = ok("-a -t 192.0.2.100:80 -r 198.51.100.11:8080 -m -w 3");
    assert_eq!(e.cmd, Cmd::AddDest);
    assert_eq!((e.dest.af, e.dest.port, e.dest.fwd, e.dest.weight), (AF_INET, 8080, fwd::MASQ, 3));
    assert_eq!(e.dest.addr, ip("198.51.100.11"));
    // Without a port the server gets the service's.
    assert_eq!(ok("-a -t 192.0.2.100:80 -r 198.51.100.11 -m").dest.port, 80);
    // DR (the default) and tunneling force the service port.
    let e = ok("-a -t 192.0.2.100:80 -r 198.51.100.11:8080");
    assert_eq!((e.dest.fwd, e.dest.port, e.dest.weight), (fwd::DROUTE, 80, 1));
    assert_eq!(ok("-a -t 192.0.2.100:80 -r 198.51.100.11:8080 -i").dest.port, 80);
    let e = ok("-e -t 192.0.2.100:80 -r 198.51.100.11:8080 -m -x 100 -y 10 -w 0");
    assert_eq!((e.cmd, e.dest.u_threshold, e.dest.l_threshold, e.dest.weight), (Cmd::EditDest, 100, 10, 0));
    assert_eq!(ok("-d -t 192.0.2.100:80 -r 198.51.100.11:8080").cmd, Cmd::DelDest);
    let e = ok("-a -u 192.0.2.101:5060 -r 198.51.100.14 -i --tun-type gue --tun-port 6080 --tun-csum");
    assert_eq!((e.dest.tun_type, e.dest.tun_port, e.dest.tun_flags), (1, 6080, 1));
}

#[test]
fn fullnat_extensions() {
    let e = ok("-a -t 192.0.2.100:80 -r 198.51.100.11:8080 -b");
    assert_eq!((e.dest.fwd, e.dest.port), (fwd::FULLNAT, 8080));
    assert_eq!(ok("-a -t 192.0.2.100:80 -r 198.51.100.11:8080 --fullnat").dest.fwd, fwd::FULLNAT);
    let e = ok("-A -t 192.0.2.100:80 -s rr -j enable");
    assert_eq!((e.svc.flags, e.svc.flags_mask), (svc_flags::SYNPROXY, !0));
    let e = ok("-E -t 192.0.2.100:80 -s rr --synproxy disable");
    assert_eq!((e.svc.flags, e.svc.flags_mask), (0, !0));
    // -E without -j leaves the service's SYNPROXY bit alone.
    assert_eq!(ok("-E -t 192.0.2.100:80 -s rr").svc.flags_mask, !svc_flags::SYNPROXY);
    let e = ok("-P -t 192.0.2.100:80 -z 198.51.100.201");
    assert_eq!((e.cmd, e.laddr.addr), (Cmd::AddLaddr, ip("198.51.100.201")));
    assert_eq!(ok("--del-laddr -t 192.0.2.100:80 --laddr 198.51.100.201").cmd, Cmd::DelLaddr);
    assert_eq!(ok("-G").cmd, Cmd::GetLaddr);
    assert!(ok("-G -t 192.0.2.100:80").has(args::opt::SERVICE));
    assert_eq!(
        err("-P -t 192.0.2.100:80"),
        ("You need to supply the 'local-address' option for the 'add-laddr' command".into(), 2)
    );
    assert_eq!(err("-Q -z 198.51.100.201").0, "You need to supply the 'service-address' option for the 'del-laddr' command");
    assert_eq!(err("-A -t 192.0.2.100:80 -j maybe").0, "synproxy switch must be enable or disable");
    assert_eq!(err("-a -t 192.0.2.100:80 -r 198.51.100.11 -j enable").0, "Illegal 'synproxy' option with the 'add-server' command");
    assert_eq!(err("-A -t 192.0.2.100:80 -z 198.51.100.201").0, "Illegal 'local-address' option with the 'add-service' command");
    assert_eq!(err("-P -t 192.0.2.100:80 -z nonsense..").0, "illegal local address");
    assert_eq!(err("-a -t 192.0.2.100:80 -r 198.51.100.11 -b -m").0, "multiple 'forwarding-method' options specified");
}

#[test]
fn sched_flags_on_services() {
    // -b on -A/-E is upstream's --sched-flags.
    let e = ok("-A -t 192.0.2.100:80 -s wlc -b flag-1,flag-3");
    assert_eq!(e.svc.flags, svc_flags::SCHED1 | svc_flags::SCHED3);
    assert_eq!(ok("-A -t 192.0.2.100:80 -s sh --sched-flags sh-port").svc.flags, svc_flags::SCHED2);
    assert_eq!(err("-A -t 192.0.2.100:80 -s rr -b sh-port").0, "incompatible scheduler flag `sh-port'");
    assert_eq!(err("-A -t 192.0.2.100:80 -b bogus").0, "invalid scheduler flag `bogus'");
}

#[test]
fn other_commands() {
    assert_eq!(ok("-D -t 192.0.2.100:80").cmd, Cmd::Del);
    assert_eq!(ok("-C").cmd, Cmd::Flush);
    assert_eq!(ok("--clear").cmd, Cmd::Flush);
    assert_eq!(ok("-Z").cmd, Cmd::Zero);
    assert_eq!(ok("-Z -t 192.0.2.100:80").svc.port, 80);
    assert_eq!(ok("-S -n").cmd, Cmd::Save);
    assert_eq!(ok("-R").cmd, Cmd::Restore);
    let e = ok("--set 900 120 300");
    assert_eq!((e.cmd, e.timeouts.tcp, e.timeouts.tcp_fin, e.timeouts.udp), (Cmd::Timeout, 900, 120, 300));
    assert!(ok("-L --timeout").has(args::opt::TIMEOUT));
    assert!(ok("-L --daemon").has(args::opt::DAEMON));
    let e = ok("--start-daemon master --mcast-interface eth1 --syncid 3");
    assert_eq!((e.cmd, e.daemon.state, e.daemon.mcast_ifn.as_str(), e.daemon.syncid), (Cmd::StartDaemon, 1, "eth1", 3));
    assert_eq!(ok("--start-daemon backup").daemon.mcast_ifn, "eth0");
    assert_eq!(ok("--stop-daemon backup").daemon.state, 2);
    assert_eq!(parse(&argv("-h")), Ok(Parsed::Help));
    assert_eq!(parse(&argv("--version")), Ok(Parsed::Version));
    assert!(ok("-L -t 192.0.2.100:80 --stats").has(args::opt::SERVICE));
}

#[test]
fn usage_errors() {
    let tryhelp = "Try `rvsadm -h' or 'rvsadm --help' for more information.".to_string();
    assert_eq!(err("-t 192.0.2.100:80"), (tryhelp.clone(), 255));
    assert_eq!(err("192.0.2.100"), (tryhelp, 255));
    assert_eq!(err("--bogus"), ("--bogus: unknown option".into(), 255));
    assert_eq!(err("-A -k"), ("-k: unknown option".into(), 255));
    assert_eq!(err("-A -t"), ("-t: missing argument".into(), 255));
    assert_eq!(err("-A -D -t 192.0.2.100:80"), ("multiple commands specified".into(), 2));
    assert_eq!(err("-A"), ("You need to supply the 'service-address' option for the 'add-service' command".into(), 2));
    assert_eq!(err("-a -t 192.0.2.100:80").0, "You need to supply the 'real-server' option for the 'add-server' command");
    assert_eq!(err("-A -t 192.0.2.100:80 -t 192.0.2.100:81").0, "multiple 'service-address' options specified");
    assert_eq!(err("-D -t 192.0.2.100:80 -s rr").0, "Illegal 'scheduler' option with the 'delete-service' command");
    assert_eq!(err("-C -n").0, "Illegal 'numeric' option with the 'flush' command");
    assert_eq!(
        err("-L -c -t 192.0.2.100:80").0,
        "The option 'service-address' conflicts with the 'connection' option in the 'list' command"
    );
    assert_eq!(err("-L -c --stats").0, "options conflicts in the list command");
    assert_eq!(err("-L --timeout --persistent-conn").0, "options conflicts in the list command");
    assert_eq!(err("--set 1 2").0, "--set option requires 3 timeout values");
    assert_eq!(err("--set 1 2 x").0, "invalid timeout value `x' specified");
    assert_eq!(err("-L extra").0, "unexpected argument extra");
    assert_eq!(err("-A -t 192.0.2.100").0, "Zero port specified for non-persistent service");
    assert_eq!(err("-A -t 192.0.2.100:80 -o").0, "One-Packet Scheduling is only for UDP virtual services");
    assert_eq!(err("-A -t 192.0.2.100:80 -p 0").0, "invalid timeout value `0' specified");
    assert_eq!(err("-A -t 192.0.2.100:80 -p 2678401").0, "invalid timeout value `2678401' specified");
    assert_eq!(err("-A -t 300.1.1.1:80").0, "illegal virtual server address[:port] specified");
    assert_eq!(err("-A -t 192.0.2.100:99999").0, "illegal virtual server address[:port] specified");
    assert_eq!(err("-A -t 80").0, "illegal virtual server address[:port] specified");
    assert_eq!(err("-A -t [2001:db8::1]443").0, "illegal virtual server address[:port] specified");
    assert_eq!(err("-A -f 0").0, "invalid fwmark value `0' specified");
    assert_eq!(err("-A -f x").0, "invalid fwmark value `x' specified");
    assert_eq!(err("-A -t 192.0.2.100:80 -p -M 1.2.3.4.5").0, "illegal virtual server persistent mask specified");
    assert_eq!(err("-a -t 192.0.2.100:80 -r 198.51.100.11 -w 2147483648").0, "illegal weight specified");
    assert_eq!(ok("-a -t 192.0.2.100:80 -r 198.51.100.11 -w 70000").dest.weight, 70000);
    assert_eq!(err("-a -t 192.0.2.100:80 -r 198.51.100.11 -w -1").0, "illegal weight specified");
    assert_eq!(err("-a -t 192.0.2.100:80 -r 198.51.100.11 -x 2147483648").0, "illegal u_threshold specified");
    assert_eq!(err("-a -t 192.0.2.100:80 -r 198.51.100.11 -y z").0, "illegal l_threshold specified");
    assert_eq!(err("-a -t 192.0.2.100:80 -r 1.2.3.4.5").0, "illegal real server address[:port] specified");
    assert_eq!(
        err("-a -t 192.0.2.100:80 -r [2001:db8::2]:80 -g").0,
        "Different address family is allowed only for tunneling and FULLNAT servers"
    );
    // NAT64 (and NAT46, which the kernel refuses with its reason) pass.
    let e = ok("-a -t [2001:db8:100::100]:80 -r 198.51.100.11:8080 -b");
    assert_eq!((e.svc.af, e.dest.af, e.dest.addr), (AF_INET6, AF_INET, ip("198.51.100.11")));
    assert_eq!(ok("-a -t 192.0.2.100:80 -r [2001:db8::2]:80 -m").dest.af, AF_INET6);
    // A local address says its family; an IPv4 service takes IPv4 ones only.
    let e = ok("-P -t [2001:db8:100::100]:80 -z 198.51.100.201");
    assert_eq!((e.laddr.af, e.laddr.addr), (AF_INET, ip("198.51.100.201")));
    assert_eq!(ok("-P -t [2001:db8:100::100]:80 -z 2001:db8:1::201").laddr.af, AF_INET6);
    assert_eq!(err("-P -t 192.0.2.100:80 -z 2001:db8:1::201").0, "local address family differs from the service's");
    assert_eq!(err("-a -t 192.0.2.100:80 -r 198.51.100.11 -m --tun-type gre").0, "Tunnel options conflict with forward method");
    assert_eq!(
        err("-a -t 192.0.2.100:80 -r 198.51.100.11 -i --tun-type gue").0,
        "You need to supply the 'tun-port' option for the 'gue' tunnel type"
    );
    assert_eq!(err("-a -t 192.0.2.100:80 -r 198.51.100.11 -i --tun-type vxlan").0, "illegal tunnel type specified");
    assert_eq!(err("--start-daemon leader").0, "illegal start-daemon parameter specified");
    assert_eq!(err("--start-daemon master --syncid 256").0, "illegal syncid specified");
    assert_eq!(err("-L --add-service").0, "multiple commands specified");
    assert_eq!(err("-A -t 192.0.2.100:80 --scheduler").1, 255);
    assert_eq!(err("-L --numeric=yes").1, 255);
}

#[test]
fn restore_lines_follow_config_stream() {
    let input = "# comment\n-A -t 192.0.2.100:80 -s rr\n\n  ipvsadm -a -t 192.0.2.100:80 -r 198.51.100.11:8080 -m -w 1 # tail\nrvsadm -C\n";
    let lines = crate::save::restore_lines(input, "rvsadm");
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0], argv("-A -t 192.0.2.100:80 -s rr"));
    assert_eq!(lines[1], argv("-a -t 192.0.2.100:80 -r 198.51.100.11:8080 -m -w 1"));
    assert_eq!(lines[2], argv("-C"));
    for l in &lines {
        assert!(matches!(parse(l), Ok(Parsed::Run(_))));
    }
}

#[test]
fn usage_mentions_the_extensions() {
    let u = args::usage("rvsadm");
    for s in ["--fullnat", "--add-laddr", "--get-laddr", "--synproxy", "--laddr", "--sched-flags"] {
        assert!(u.contains(s), "{s}");
    }
}
