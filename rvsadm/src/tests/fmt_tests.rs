// SPDX-License-Identifier: GPL-2.0
//! Output formats from decoded replies, compared with real ipvsadm 1.31
//! output (golden strings captured by tests/vm/t_rvsadm_vs_ipvs.sh from
//! stock ipvsadm on the in-tree ip_vs, after 10 NAT connections), and the
//! FULLNAT additions.

use crate::args::fmt::*;
use crate::fmt::{self, Listed};
use crate::msg::*;
use rvs_core::ipvs_nl::{fwd, svc_flags, AF_INET, AF_INET6, IPPROTO_TCP, IPPROTO_UDP};
use std::net::IpAddr;

fn ip(s: &str) -> [u8; 16] {
    addr_bytes(s.parse::<IpAddr>().unwrap())
}

fn svc(proto: u16, addr: &str, port: u16, sched: &str) -> Service {
    let a: IpAddr = addr.parse().unwrap();
    Service {
        af: af_of(a),
        protocol: proto,
        addr: ip(addr),
        port,
        sched_name: sched.into(),
        netmask: if a.is_ipv6() { 128 } else { 0xffff_ffff },
        ..Default::default()
    }
}

fn dest(addr: &str, port: u16, f: u32, weight: u32) -> Dest {
    let a: IpAddr = addr.parse().unwrap();
    Dest { af: af_of(a), addr: ip(addr), port, fwd: f, weight, ..Default::default() }
}

fn st(conns: u64, inpkts: u64, outpkts: u64, inbytes: u64, outbytes: u64, rates: [u64; 5]) -> Stats {
    Stats {
        conns,
        inpkts,
        outpkts,
        inbytes,
        outbytes,
        cps: rates[0],
        inpps: rates[1],
        outpps: rates[2],
        inbps: rates[3],
        outbps: rates[4],
    }
}

/// The table of the VM test, in a kernel (hash) order that is not sorted.
fn table() -> Vec<Listed> {
    let mut web = svc(IPPROTO_TCP, "192.0.2.100", 80, "rr");
    web.stats = WEB_STATS;
    let mut rs1 = dest("198.51.100.11", 8080, fwd::MASQ, 3);
    rs1.stats = RS1_STATS;
    rs1.inactconns = 5;
    let mut rs2 = dest("198.51.100.12", 8080, fwd::MASQ, 1);
    rs2.u_threshold = 100;
    rs2.l_threshold = 10;
    rs2.stats = RS2_STATS;
    rs2.inactconns = 5;

    let mut dns = svc(IPPROTO_UDP, "192.0.2.100", 53, "wrr");
    dns.flags = svc_flags::PERSISTENT;
    dns.timeout = 120;
    dns.netmask = u32::from_ne_bytes([255, 255, 255, 0]);
    let mut fw7 = Service { af: AF_INET, fwmark: 7, sched_name: "sh".into(), flags: svc_flags::SCHED2, ..Default::default() };
    fw7.protocol = 0;
    let mut tun = dest("198.51.100.13", 0, fwd::TUNNEL, 0);
    tun.tun_type = 0;
    let mut v6 = svc(IPPROTO_TCP, "2001:db8::1", 443, "wlc");
    v6.flags = svc_flags::PERSISTENT;
    v6.timeout = 360;
    let mut sip = svc(IPPROTO_UDP, "192.0.2.101", 5060, "rr");
    sip.flags = svc_flags::ONEPACKET;
    let mut gue = dest("198.51.100.14", 5060, fwd::TUNNEL, 1);
    gue.tun_type = 1;
    gue.tun_port = 6080;
    gue.tun_flags = 1;
    let mut tls = svc(IPPROTO_TCP, "203.0.113.5", 443, "wlc");
    tls.flags = svc_flags::SCHED1 | svc_flags::SCHED2;
    let fw9 = Service { af: AF_INET6, fwmark: 9, sched_name: "rr".into(), netmask: 128, ..Default::default() };
    vec![
        Listed { svc: fw9, dests: vec![], laddrs: vec![] },
        Listed { svc: sip, dests: vec![gue], laddrs: vec![] },
        Listed { svc: web, dests: vec![rs2, rs1], laddrs: vec![] },
        Listed { svc: v6, dests: vec![dest("2001:db8::2", 8443, fwd::MASQ, 1)], laddrs: vec![] },
        Listed { svc: fw7, dests: vec![tun], laddrs: vec![] },
        Listed { svc: dns, dests: vec![dest("198.51.100.11", 53, fwd::DROUTE, 1)], laddrs: vec![] },
        Listed { svc: tls, dests: vec![dest("198.51.100.15", 443, fwd::DROUTE, 70000)], laddrs: vec![] },
    ]
}

const INFO: Info = Info { version: 0x010201, size: 524288 };

include!("golden.rs");

#[test]
fn list_numeric() {
    assert_eq!(fmt::list_all(&INFO, &table(), NUMERIC), GOLDEN_LN);
}

#[test]
fn list_stats() {
    assert_eq!(fmt::list_all(&INFO, &table(), NUMERIC | STATS), GOLDEN_STATS);
}

#[test]
fn list_exact_stats() {
    assert_eq!(fmt::list_all(&INFO, &table(), NUMERIC | STATS | EXACT), GOLDEN_EXACT_STATS);
}

#[test]
fn list_rate() {
    let mut t = table();
    for l in t.iter_mut() {
        if l.svc.port == 80 {
            l.svc.stats = WEB_RATE;
            l.dests[0].stats = RS2_RATE;
            l.dests[1].stats = RS1_RATE;
        }
    }
    assert_eq!(fmt::list_all(&INFO, &t, NUMERIC | RATE), GOLDEN_RATE);
}

#[test]
fn list_thresholds_persistent_conn_tun_info() {
    assert_eq!(fmt::list_all(&INFO, &table(), NUMERIC | THRESHOLDS), GOLDEN_THRESHOLDS);
    assert_eq!(fmt::list_all(&INFO, &table(), NUMERIC | PERSISTENTCONN), GOLDEN_PERSISTENT_CONN);
    assert_eq!(fmt::list_all(&INFO, &table(), NUMERIC | TUN_INFO), GOLDEN_TUN_INFO);
}

#[test]
fn list_one_service() {
    let t = table();
    let web = t.iter().find(|l| l.svc.port == 80).unwrap();
    assert_eq!(fmt::list_service(web, NUMERIC), GOLDEN_LN_WEB);
    let fw7 = t.iter().find(|l| l.svc.fwmark == 7).unwrap();
    assert_eq!(fmt::list_service(fw7, NUMERIC), GOLDEN_LN_FW7);
}

#[test]
fn save_numeric() {
    assert_eq!(crate::save::save(None, &table(), NUMERIC), GOLDEN_SAVE);
}

#[test]
fn timeouts_line() {
    assert_eq!(fmt::timeouts(&Timeouts { tcp: 900, tcp_fin: 120, udp: 300 }), GOLDEN_TIMEOUT);
}

#[test]
fn connections() {
    assert_eq!(fmt::conns(PROC_IP_VS_CONN, NUMERIC), GOLDEN_CONNS);
    assert_eq!(fmt::conns(PROC_IP_VS_CONN, NUMERIC | PERSISTENTCONN), GOLDEN_CONNS_PC);
}

#[test]
fn largenum() {
    assert_eq!(fmt::largenum(0, 0), "        0");
    assert_eq!(fmt::largenum(99_999_999, 0), " 99999999");
    assert_eq!(fmt::largenum(100_000_000, 0), "  100000K");
    assert_eq!(fmt::largenum(999_999_999, 0), "  999999K");
    assert_eq!(fmt::largenum(1_000_000_000, 0), "    1000M");
    assert_eq!(fmt::largenum(99_999_999_999, 0), "   99999M");
    assert_eq!(fmt::largenum(100_000_000_000, 0), "     100G");
    assert_eq!(fmt::largenum(100_000_000_000_000, 0), "     100T");
    assert_eq!(fmt::largenum(u64::MAX, 0), "18446744T");
    assert_eq!(fmt::largenum(12, EXACT), "       12");
    assert_eq!(fmt::largenum(123_456_789, EXACT), " 123456789");
    assert_eq!(fmt::largenum(123_456_789_012, EXACT), " 123456789012");
}

#[test]
fn sorting_keeps_ipvsadms_int_wraparound() {
    // ipvsadm compares addresses as `int r = ntohl(a) - ntohl(b)`: 10.0.0.1
    // minus 203.0.113.5 wraps to a positive int, so 203.0.113.5 comes first.
    let a = svc(IPPROTO_TCP, "10.0.0.1", 80, "rr");
    let b = svc(IPPROTO_TCP, "203.0.113.5", 80, "rr");
    assert_eq!(fmt::cmp_services(&a, &b), std::cmp::Ordering::Greater);
    let c = svc(IPPROTO_TCP, "192.0.2.1", 80, "rr");
    assert_eq!(fmt::cmp_services(&c, &b), std::cmp::Ordering::Less);
    // fwmark services after the others, TCP before UDP, IPv4 before IPv6.
    let f = Service { fwmark: 1, af: AF_INET, ..Default::default() };
    assert_eq!(fmt::cmp_services(&f, &a), std::cmp::Ordering::Greater);
    let u = svc(IPPROTO_UDP, "10.0.0.1", 80, "rr");
    assert_eq!(fmt::cmp_services(&a, &u), std::cmp::Ordering::Less);
    let d1 = dest("198.51.100.11", 80, fwd::MASQ, 1);
    let d2 = dest("198.51.100.11", 81, fwd::MASQ, 1);
    assert_eq!(fmt::cmp_dests(&d1, &d2), std::cmp::Ordering::Less);
}

#[test]
fn nosort_keeps_kernel_order() {
    let out = fmt::list_all(&INFO, &table(), NUMERIC | NOSORT);
    let first = out.lines().nth(3).unwrap();
    assert_eq!(first, "FWM  9 IPv6 rr");
    assert!(out.contains("TCP  192.0.2.100:80 rr\n  -> 198.51.100.12:8080"));
}

fn fullnat_table() -> Vec<Listed> {
    let mut s = svc(IPPROTO_TCP, "192.0.2.100", 80, "rr");
    s.flags = svc_flags::SYNPROXY;
    s.stats = st(20, 100, 80, 6000, 5000, [0; 5]);
    let mut d1 = dest("198.51.100.11", 8080, fwd::FULLNAT, 1);
    d1.activeconns = 2;
    d1.inactconns = 8;
    let d2 = dest("198.51.100.12", 8080, fwd::FULLNAT, 2);
    let laddrs = vec![
        Laddr { addr: ip("198.51.100.201"), af: 0, port_conflict: 3, conn_counts: 12 },
        Laddr { addr: ip("198.51.100.202"), af: 0, port_conflict: 0, conn_counts: 8 },
    ];
    vec![Listed { svc: s, dests: vec![d2, d1], laddrs }]
}

#[test]
fn fullnat_list() {
    let want = "\
IP Virtual Server version 1.2.1 (size=524288)
Prot LocalAddress:Port Scheduler Flags
  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn
TCP  192.0.2.100:80 rr synproxy
  -> 198.51.100.11:8080           FullNat 1      2          8         
  -> 198.51.100.12:8080           FullNat 2      0          0         
";
    assert_eq!(fmt::list_all(&INFO, &fullnat_table(), NUMERIC), want);
    let stats = fmt::list_all(&INFO, &fullnat_table(), NUMERIC | STATS);
    assert!(stats.contains("\nTCP  192.0.2.100:80                     20      100       80     6000     5000\n"), "{stats}");
}

#[test]
fn fullnat_save_restores() {
    let want = "\
-A -t 192.0.2.100:80 -s rr -j enable
-a -t 192.0.2.100:80 -r 198.51.100.11:8080 -b -w 1
-a -t 192.0.2.100:80 -r 198.51.100.12:8080 -b -w 2
-P -t 192.0.2.100:80 -z 198.51.100.201
-P -t 192.0.2.100:80 -z 198.51.100.202
";
    let saved = crate::save::save(None, &fullnat_table(), NUMERIC);
    assert_eq!(saved, want);
    // Every saved line parses back into the request that rebuilds it.
    use crate::args::{parse, Cmd, Parsed};
    let lines = crate::save::restore_lines(&saved, "rvsadm");
    let cmds: Vec<_> = lines
        .iter()
        .map(|l| match parse(l) {
            Ok(Parsed::Run(e)) => *e,
            other => panic!("{l:?}: {other:?}"),
        })
        .collect();
    assert_eq!(cmds[0].cmd, Cmd::Add);
    assert_eq!(cmds[0].svc.flags, svc_flags::SYNPROXY);
    assert_eq!((cmds[1].cmd, cmds[1].dest.fwd, cmds[1].dest.port), (Cmd::AddDest, fwd::FULLNAT, 8080));
    assert_eq!((cmds[3].cmd, cmds[3].laddr.addr), (Cmd::AddLaddr, ip("198.51.100.201")));
    assert_eq!(cmds[4].laddr.addr, ip("198.51.100.202"));
}

#[test]
fn default_pool_saved_first_and_restores() {
    let pool = Listed {
        svc: Service { af: AF_INET, protocol: IPPROTO_TCP, ..Default::default() },
        dests: vec![],
        laddrs: vec![
            Laddr { addr: ip("198.51.100.221"), af: 0, port_conflict: 0, conn_counts: 0 },
            Laddr { addr: ip("2001:db8:1::221"), af: AF_INET6, port_conflict: 0, conn_counts: 0 },
        ],
    };
    let saved = crate::save::save(Some(&pool), &fullnat_table(), NUMERIC);
    assert!(saved.starts_with("-P -t 0.0.0.0:0 -z 198.51.100.221\n-P -t [::]:0 -z 2001:db8:1::221\n-A -t 192.0.2.100:80"), "{saved}");
    // Both lines parse back into LADDR requests naming the pool (the
    // unspecified address, port 0), of the address's family.
    use crate::args::{parse, Cmd, Parsed};
    let lines = crate::save::restore_lines(&saved, "rvsadm");
    for (l, af) in lines.iter().take(2).zip([AF_INET, AF_INET6]) {
        let Ok(Parsed::Run(e)) = parse(l) else { panic!("{l:?}") };
        assert_eq!((e.cmd, e.svc.addr, e.svc.port, e.svc.af, e.laddr.af), (Cmd::AddLaddr, [0; 16], 0, af, af), "{l:?}");
    }
}

#[test]
fn laddr_table() {
    // Alibaba's -G layout.
    let want = "\
VIP:VPORT            TOTAL    LADDR                CONFLICTS  CONNS     
192.0.2.100:80       2        
                              198.51.100.201       3          12        
                              198.51.100.202       0          8         
";
    assert_eq!(fmt::laddrs(&fullnat_table()), want);
}

#[test]
fn long_names_are_cut_like_ipvsadm() {
    // The service column is cut at 33 bytes and the server one at 28.
    let mut s = svc(IPPROTO_UDP, "192.0.2.100", 65535, "rr");
    s.fwmark = 0;
    let d = dest("198.51.100.111", 65535, fwd::MASQ, 1);
    let out = fmt::service_entry(&s, &[d], 0);
    let first = out.lines().next().unwrap();
    assert!(first.starts_with("UDP  "), "{first}");
    for l in out.lines() {
        if let Some(rest) = l.strip_prefix("  -> ") {
            let name = rest.split_whitespace().next().unwrap();
            assert!(name.len() <= 28, "{name}");
        }
    }
}

#[test]
fn rates_use_largenum_for_services_and_plain_columns_for_servers() {
    // ipvsadm prints a server's CPS/InPPS/OutPPS with "%8llu" (never
    // abbreviated) but every service column through print_largenum.
    let mut s = svc(IPPROTO_TCP, "192.0.2.100", 80, "rr");
    let r = st(0, 0, 0, 0, 0, [5, 123_456_789, 40, 1_500_000_000, 7]);
    s.stats = r;
    let mut d = dest("198.51.100.11", 8080, fwd::MASQ, 1);
    d.stats = r;
    let out = fmt::service_entry(&s, &[d], NUMERIC | RATE);
    assert_eq!(
        out,
        "TCP  192.0.2.100:80                      5  123456K       40    1500M        7\n  \
         -> 198.51.100.11:8080                  5 123456789       40    1500M        7\n"
    );
}

#[test]
fn kernel_error_texts_are_ipvsadms() {
    // Golden stderr of stock ipvsadm for the same failures (VM test).
    use crate::{ipvs_strerror, Op};
    assert_eq!(ipvs_strerror(Op::AddService, libc::EEXIST), "Service already exists");
    assert_eq!(ipvs_strerror(Op::DelService, libc::ESRCH), "No such service");
    assert_eq!(ipvs_strerror(Op::DelDest, libc::ENOENT), "No such destination");
    assert_eq!(ipvs_strerror(Op::AddService, libc::ENOENT), "Scheduler or persistence engine not found");
    assert_eq!(ipvs_strerror(Op::AddDest, libc::ESRCH), "Service not defined");
    assert_eq!(ipvs_strerror(Op::Other, libc::EPERM), "Permission denied (you must be root)");
    assert_eq!(ipvs_strerror(Op::Other, libc::ENOENT), "No such file or directory");
    assert_eq!(ipvs_strerror(Op::DelLaddr, libc::ENOENT), "No such local address");
    let kernel = crate::nl::NlError::Kernel { errno: libc::EINVAL, extack: Some("laddr is not IPv4".into()) };
    assert_eq!(crate::error_text(Op::AddLaddr, &kernel), "rvsadm: laddr is not IPv4 (Invalid argument)");
    let old = crate::nl::NlError::Kernel { errno: libc::EOPNOTSUPP, extack: None };
    assert!(crate::error_text(Op::GetLaddrs, &old).contains("no local-address commands"));
}
