// SPDX-License-Identifier: GPL-2.0
//! ipvsadm 1.31's output formats (-L/-l with -n, --stats, --rate,
//! --thresholds, --persistent-conn, --tun-info, --exact, -S rules, -c) from
//! decoded replies, byte for byte; plus "FullNat"/"-b"/" synproxy" for the
//! FULLNAT extensions and Alibaba's -G local-address table.

use crate::args::fmt::*;
use crate::msg::{addr_ip, Dest, Info, Laddr, Service, Timeouts};
use rvs_core::ipvs_nl::{fwd, svc_flags, AF_INET, AF_INET6, IPPROTO_TCP, IPPROTO_UDP};
use std::fmt::Write;
use std::net::{IpAddr, Ipv4Addr};

const IPPROTO_SCTP: u16 = 132;

/// A service with what was dumped for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    pub svc: Service,
    pub dests: Vec<Dest>,
    pub laddrs: Vec<Laddr>,
}

fn ip_str(af: u16, addr: &[u8; 16]) -> String {
    addr_ip(af, addr).to_string()
}

/// addrport_to_anyname.
pub fn addrport(af: u16, addr: &[u8; 16], port: u16, proto: u16, format: u32) -> String {
    let (l, r) = if af == AF_INET { ("", "") } else { ("[", "]") };
    if format & NUMERIC != 0 {
        format!("{l}{}{r}:{port}", ip_str(af, addr))
    } else {
        let host = crate::names::addr_to_host(addr_ip(af, addr)).unwrap_or_else(|| ip_str(af, addr));
        let serv = crate::names::port_to_service(port, proto).unwrap_or_else(|| port.to_string());
        format!("{l}{host}{r}:{serv}")
    }
}

/// print_largenum.
pub fn largenum(i: u64, format: u32) -> String {
    if format & EXACT != 0 {
        let len = i.to_string().len();
        let w = if len <= 8 { 9 } else { len + 1 };
        return format!("{i:>w$}");
    }
    if i < 100_000_000 {
        format!("{i:>9}")
    } else if i < 1_000_000_000 {
        format!("{:>8}K", i / 1000)
    } else if i < 100_000_000_000 {
        format!("{:>8}M", i / 1_000_000)
    } else if i < 100_000_000_000_000 {
        format!("{:>8}G", i / 1_000_000_000)
    } else {
        format!("{:>8}T", i / 1_000_000_000_000)
    }
}

fn fwd_name(f: u32) -> &'static str {
    match f & fwd::MASK {
        fwd::MASQ => "Masq",
        fwd::LOCALNODE => "Local",
        fwd::TUNNEL => "Tunnel",
        fwd::DROUTE => "Route",
        fwd::FULLNAT => "FullNat",
        // glibc prints a NULL %s as "(null)".
        _ => "(null)",
    }
}

fn fwd_switch(f: u32) -> &'static str {
    match f & fwd::MASK {
        fwd::MASQ => "-m",
        fwd::TUNNEL => "-i",
        fwd::LOCALNODE | fwd::DROUTE => "-g",
        fwd::FULLNAT => "-b",
        _ => "(null)",
    }
}

const TUN_FLAGS: [&str; 3] = ["-c", "+c", "r+c"];
const TUN_FLAG_OPTS: [&str; 3] = ["--tun-nocsum", "--tun-csum", "--tun-remcsum"];

fn tun_flag(i: u16, table: &[&'static str; 3]) -> &'static str {
    table.get(i as usize).copied().unwrap_or("(null)")
}

fn fwd_tun_info(e: &Dest) -> Option<String> {
    if e.fwd & fwd::MASK != fwd::TUNNEL {
        return None;
    }
    match e.tun_type {
        0 => Some("ipip".to_string()),
        1 => Some(format!("gue:{}:{}", e.tun_port, tun_flag(e.tun_flags, &TUN_FLAGS))),
        2 => Some(format!("gre:{}", tun_flag(e.tun_flags, &TUN_FLAGS))),
        _ => None,
    }
}

fn sched_flags(se: &Service) -> String {
    let mut v = Vec::new();
    let (n1, n2, n3) = match se.sched_name.as_str() {
        "sh" => ("sh-fallback", "sh-port", ""),
        "mh" => ("mh-fallback", "mh-port", ""),
        _ => ("flag-1", "flag-2", "flag-3"),
    };
    if se.flags & svc_flags::SCHED1 != 0 {
        v.push(n1);
    }
    if se.flags & svc_flags::SCHED2 != 0 {
        v.push(n2);
    }
    if se.flags & svc_flags::SCHED3 != 0 && !n3.is_empty() {
        v.push(n3);
    }
    v.join(",")
}

/// print_title.
pub fn title(format: u32) -> String {
    if format & STATS != 0 {
        format!(
            "{:<33} {:>8} {:>8} {:>8} {:>8} {:>8}\n  -> RemoteAddress:Port\n",
            "Prot LocalAddress:Port", "Conns", "InPkts", "OutPkts", "InBytes", "OutBytes"
        )
    } else if format & RATE != 0 {
        format!(
            "{:<33} {:>8} {:>8} {:>8} {:>8} {:>8}\n  -> RemoteAddress:Port\n",
            "Prot LocalAddress:Port", "CPS", "InPPS", "OutPPS", "InBPS", "OutBPS"
        )
    } else if format & THRESHOLDS != 0 {
        format!(
            "{:<33} {:<10} {:<10} {:<10} {:<10}\n  -> RemoteAddress:Port\n",
            "Prot LocalAddress:Port", "Uthreshold", "Lthreshold", "ActiveConn", "InActConn"
        )
    } else if format & PERSISTENTCONN != 0 {
        format!(
            "{:<33} {:<9} {:<11} {:<10} {:<10}\n  -> RemoteAddress:Port\n",
            "Prot LocalAddress:Port", "Weight", "PersistConn", "ActiveConn", "InActConn"
        )
    } else if format & TUN_INFO != 0 {
        "Prot LocalAddress:Port Scheduler Flags\n  -> RemoteAddress:Port           Forward TunnelInfo    Weight ActiveConn InActConn\n".to_string()
    } else if format & RULE == 0 {
        "Prot LocalAddress:Port Scheduler Flags\n  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n".to_string()
    } else {
        String::new()
    }
}

/// C's `int r = a - b` on unsigned values, as ipvsadm's comparators do.
fn csub(a: u32, b: u32) -> i32 {
    a.wrapping_sub(b) as i32
}

fn addr_key(af: u16, a: &[u8; 16]) -> Vec<u32> {
    let n = if af == AF_INET6 { 4 } else { 1 };
    (0..n).map(|i| u32::from_be_bytes(a[i * 4..i * 4 + 4].try_into().unwrap())).collect()
}

fn cmp_addr(af: u16, a: &[u8; 16], b: &[u8; 16]) -> i32 {
    let (ka, kb) = (addr_key(af, a), addr_key(af, b));
    let mut r = 0;
    for i in 0..ka.len() {
        r = csub(ka[i], kb[i]);
        if r != 0 {
            break;
        }
    }
    r
}

/// ipvs_cmp_services (with its int wrap-around).
pub fn cmp_services(s1: &Service, s2: &Service) -> std::cmp::Ordering {
    let mut r = csub(s1.fwmark, s2.fwmark);
    if r == 0 {
        r = s1.af as i32 - s2.af as i32;
    }
    if r == 0 {
        r = s1.protocol as i32 - s2.protocol as i32;
    }
    if r == 0 {
        r = cmp_addr(s1.af, &s1.addr, &s2.addr);
    }
    if r == 0 {
        r = s1.port as i32 - s2.port as i32;
    }
    r.cmp(&0)
}

/// ipvs_cmp_dests (with its int wrap-around).
pub fn cmp_dests(d1: &Dest, d2: &Dest) -> std::cmp::Ordering {
    let mut r = cmp_addr(d1.af, &d1.addr, &d2.addr);
    if r == 0 {
        r = d1.port as i32 - d2.port as i32;
    }
    r.cmp(&0)
}

fn netmask_v4(m: u32) -> Ipv4Addr {
    Ipv4Addr::from(m.to_ne_bytes())
}

pub fn svc_name(se: &Service, format: u32) -> String {
    if se.fwmark != 0 {
        let v6 = se.af == AF_INET6;
        return match (format & RULE != 0, v6) {
            (true, true) => format!("-f {} -6", se.fwmark as i32),
            (true, false) => format!("-f {}", se.fwmark as i32),
            (false, true) => format!("FWM  {} IPv6", se.fwmark as i32),
            (false, false) => format!("FWM  {}", se.fwmark as i32),
        };
    }
    let vname = addrport(se.af, &se.addr, se.port, se.protocol, format);
    if format & RULE != 0 {
        let stype = match se.protocol {
            IPPROTO_TCP => "-t",
            IPPROTO_UDP => "-u",
            IPPROTO_SCTP => "--sctp-service",
            _ => "--xxx-service",
        };
        format!("{stype} {vname}")
    } else {
        let stype = match se.protocol {
            IPPROTO_TCP => "TCP",
            IPPROTO_UDP => "UDP",
            IPPROTO_SCTP => "SCTP",
            _ => "?",
        };
        let mut s = format!("{stype:<4} {vname}");
        if se.af != AF_INET6 {
            truncate_bytes(&mut s, 33);
        }
        s
    }
}

fn truncate_bytes(s: &mut String, n: usize) {
    if s.len() > n {
        let mut n = n;
        while !s.is_char_boundary(n) {
            n -= 1;
        }
        s.truncate(n);
    }
}

/// print_service_entry: the service line and its destinations.
pub fn service_entry(se: &Service, dests: &[Dest], format: u32) -> String {
    let mut o = String::new();
    let name = svc_name(se, format);
    if format & RULE != 0 {
        let _ = write!(o, "-A {name} -s {}", se.sched_name);
        if se.flags & svc_flags::PERSISTENT != 0 {
            let _ = write!(o, " -p {}", se.timeout);
            if se.af == AF_INET && se.netmask != 0xffff_ffff {
                let _ = write!(o, " -M {}", netmask_v4(se.netmask));
            }
            if se.af == AF_INET6 && se.netmask != 128 {
                let _ = write!(o, " -M {}", se.netmask as i32);
            }
        }
        if !se.pe_name.is_empty() {
            let _ = write!(o, " --pe {}", se.pe_name);
        }
        if se.flags & svc_flags::ONEPACKET != 0 {
            o.push_str(" -o");
        }
        if se.flags & (svc_flags::SCHED1 | svc_flags::SCHED2 | svc_flags::SCHED3) != 0 {
            let _ = write!(o, " -b {}", sched_flags(se));
        }
        if se.flags & svc_flags::SYNPROXY != 0 {
            o.push_str(" -j enable");
        }
    } else if format & STATS != 0 {
        let s = &se.stats;
        let _ = write!(o, "{name:<33}");
        for v in [s.conns, s.inpkts, s.outpkts, s.inbytes, s.outbytes] {
            o.push_str(&largenum(v, format));
        }
    } else if format & RATE != 0 {
        let s = &se.stats;
        let _ = write!(o, "{name:<33}");
        for v in [s.cps, s.inpps, s.outpps, s.inbps, s.outbps] {
            o.push_str(&largenum(v, format));
        }
    } else {
        let _ = write!(o, "{name} {}", se.sched_name);
        if se.flags & (svc_flags::SCHED1 | svc_flags::SCHED2 | svc_flags::SCHED3) != 0 {
            let _ = write!(o, " ({})", sched_flags(se));
        }
        if se.flags & svc_flags::PERSISTENT != 0 {
            let _ = write!(o, " persistent {}", se.timeout);
            if se.af == AF_INET && se.netmask != 0xffff_ffff {
                let _ = write!(o, " mask {}", netmask_v4(se.netmask));
            }
            if se.af == AF_INET6 && se.netmask != 128 {
                let _ = write!(o, " mask {}", se.netmask as i32);
            }
            if !se.pe_name.is_empty() {
                let _ = write!(o, " pe {}", se.pe_name);
            }
        }
        if se.flags & svc_flags::ONEPACKET != 0 {
            o.push_str(" ops");
        }
        if se.flags & svc_flags::SYNPROXY != 0 {
            o.push_str(" synproxy");
        }
    }
    o.push('\n');

    let mut d: Vec<&Dest> = dests.iter().collect();
    if format & NOSORT == 0 {
        d.sort_by(|a, b| cmp_dests(a, b));
    }
    for e in d {
        let mut dname = addrport(e.af, &e.addr, e.port, se.protocol, format);
        if format & RULE == 0 && e.af != AF_INET6 {
            truncate_bytes(&mut dname, 28);
        }
        let weight = e.weight as i32;
        let s = &e.stats;
        if format & RULE != 0 {
            let sw = fwd_switch(e.fwd);
            if e.fwd & fwd::MASK == fwd::TUNNEL {
                match e.tun_type {
                    2 => {
                        let _ = writeln!(
                            o,
                            "-a {name} -r {dname} {sw} -w {weight} --tun-type gre {}",
                            tun_flag(e.tun_flags, &TUN_FLAG_OPTS)
                        );
                    }
                    1 => {
                        let _ = writeln!(
                            o,
                            "-a {name} -r {dname} {sw} -w {weight} --tun-type gue --tun-port {} {}",
                            e.tun_port,
                            tun_flag(e.tun_flags, &TUN_FLAG_OPTS)
                        );
                    }
                    0 => {
                        let _ = writeln!(o, "-a {name} -r {dname} {sw} -w {weight} --tun-type ipip");
                    }
                    _ => {
                        let _ = writeln!(o, "-a {name} -r {dname} {sw} -w {weight}");
                    }
                }
            } else {
                let _ = writeln!(o, "-a {name} -r {dname} {sw} -w {weight}");
            }
        } else if format & STATS != 0 {
            let _ = write!(o, "  -> {dname:<28}");
            for v in [s.conns, s.inpkts, s.outpkts, s.inbytes, s.outbytes] {
                o.push_str(&largenum(v, format));
            }
            o.push('\n');
        } else if format & RATE != 0 {
            let _ = write!(o, "  -> {dname:<28} {:>8} {:>8} {:>8}", s.cps, s.inpps, s.outpps);
            o.push_str(&largenum(s.inbps, format));
            o.push_str(&largenum(s.outbps, format));
            o.push('\n');
        } else if format & THRESHOLDS != 0 {
            let _ = writeln!(
                o,
                "  -> {dname:<28} {:<10} {:<10} {:<10} {:<10}",
                e.u_threshold, e.l_threshold, e.activeconns, e.inactconns
            );
        } else if format & PERSISTENTCONN != 0 {
            let _ = writeln!(
                o,
                "  -> {dname:<28} {:<9} {:<11} {:<10} {:<10}",
                e.weight, e.persistconns, e.activeconns, e.inactconns
            );
        } else if format & TUN_INFO != 0 {
            let ti = fwd_tun_info(e).unwrap_or_else(|| "n/a".to_string());
            let _ = writeln!(
                o,
                "  -> {dname:<28} {:<7} {ti:<13} {weight:<6} {:<10} {:<10}",
                fwd_name(e.fwd),
                e.activeconns,
                e.inactconns
            );
        } else {
            let _ = writeln!(
                o,
                "  -> {dname:<28} {:<7} {weight:<6} {:<10} {:<10}",
                fwd_name(e.fwd),
                e.activeconns,
                e.inactconns
            );
        }
    }
    o
}

/// Sorts services as ipvsadm does unless --nosort.
pub fn sort_services(list: &mut [Listed], format: u32) {
    if format & NOSORT == 0 {
        list.sort_by(|a, b| cmp_services(&a.svc, &b.svc));
    }
}

fn version_str(v: u32) -> String {
    format!("{}.{}.{}", (v >> 16) & 0xff, (v >> 8) & 0xff, v & 0xff)
}

/// list_all: header (unless -S), title, every service.
pub fn list_all(info: &Info, services: &[Listed], format: u32) -> String {
    let mut o = String::new();
    if format & RULE == 0 {
        let _ = writeln!(o, "IP Virtual Server version {} (size={})", version_str(info.version), info.size as i32);
    }
    let mut list = services.to_vec();
    sort_services(&mut list, format);
    o.push_str(&title(format));
    for l in &list {
        o.push_str(&service_entry(&l.svc, &l.dests, format));
    }
    o
}

/// list_service: title and one service.
pub fn list_service(l: &Listed, format: u32) -> String {
    let mut o = title(format);
    o.push_str(&service_entry(&l.svc, &l.dests, format));
    o
}

pub fn timeouts(t: &Timeouts) -> String {
    format!("Timeout (tcp tcpfin udp): {} {} {}\n", t.tcp as i32, t.tcp_fin as i32, t.udp as i32)
}

pub fn daemons(list: &[crate::msg::Daemon]) -> String {
    let mut o = String::new();
    for d in list {
        let t = if d.state & 1 != 0 {
            "master"
        } else if d.state & 2 != 0 {
            "backup"
        } else {
            continue;
        };
        // As ipvsadm's print_daemon: the optional parts when present.
        let _ = write!(o, "{t} sync daemon (mcast={}, syncid={}", d.mcast_ifn, d.syncid as i32);
        if let Some(m) = d.maxlen.filter(|&m| m != 0) {
            let _ = write!(o, ", maxlen={m}");
        }
        if let Some(g) = d.group {
            let _ = write!(o, ", group={g}");
        }
        if let Some(p) = d.port.filter(|&p| p != 0) {
            let _ = write!(o, ", port={p}");
        }
        if let Some(t) = d.ttl.filter(|&t| t != 0) {
            let _ = write!(o, ", ttl={t}");
        }
        let _ = writeln!(o, ")");
    }
    o
}

/// Alibaba's -G table: title once, then per service its line and one line
/// per local address.
pub fn laddrs(list: &[Listed]) -> String {
    let mut o = format!("{:<20} {:<8} {:<20} {:<10} {:<10}\n", "VIP:VPORT", "TOTAL", "LADDR", "CONFLICTS", "CONNS");
    for l in list {
        let s = &l.svc;
        let vname = if s.fwmark != 0 {
            format!("FWM  {}", s.fwmark)
        } else {
            addrport(s.af, &s.addr, s.port, s.protocol, NUMERIC)
        };
        let _ = writeln!(o, "{vname:<20} {:<8} ", l.laddrs.len());
        for a in &l.laddrs {
            let ip = ip_str(laddr_af(s.af, a), &a.addr);
            let _ = writeln!(o, "{:<20} {:<8} {ip:<20} {:<10} {:<10}", "", "", a.port_conflict, a.conn_counts);
        }
    }
    o
}

/// The family of a local address: the one the kernel reported, else the
/// service's.
pub fn laddr_af(svc_af: u16, l: &Laddr) -> u16 {
    match l.af {
        AF_INET | AF_INET6 => l.af,
        _ if svc_af == AF_INET6 => AF_INET6,
        _ => AF_INET,
    }
}

/// -c: /proc/net/ip_vs_conn in ipvsadm's layout.
pub fn conns(proc_text: &str, format: u32) -> String {
    let mut o = String::from("IPVS connection entries\n");
    if format & PERSISTENTCONN != 0 {
        o.push_str(
            "pro expire state       source             virtual            destination        pe name          pe_data\n",
        );
    } else {
        o.push_str("pro expire state       source             virtual            destination\n");
    }
    for line in proc_text.lines().skip(1) {
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.len() < 9 {
            continue;
        }
        let proto = match f[0] {
            "TCP" => IPPROTO_TCP,
            "UDP" => IPPROTO_UDP,
            "SCTP" => IPPROTO_SCTP,
            _ => 0,
        };
        let port = |s: &str| u16::from_str_radix(s, 16).unwrap_or(0);
        let addr = |s: &str| -> (u16, [u8; 16]) {
            if let Ok(IpAddr::V6(v6)) = s.parse::<IpAddr>() {
                (AF_INET6, v6.octets())
            } else {
                let v4 = s.parse::<Ipv4Addr>().unwrap_or_else(|_| Ipv4Addr::from(u32::from_str_radix(s, 16).unwrap_or(0)));
                (AF_INET, crate::msg::addr_bytes(IpAddr::V4(v4)))
            }
        };
        let (caf, ca) = addr(f[1]);
        let (_, va) = addr(f[3]);
        let (daf, da) = addr(f[5]);
        let cname = addrport(caf, &ca, port(f[2]), proto, format);
        let vname = addrport(caf, &va, port(f[4]), proto, format);
        let dname = addrport(daf, &da, port(f[6]), proto, format);
        let expires: u32 = f[8].parse().unwrap_or(0);
        let exp = format!("{:02}:{:02}", expires / 60, expires % 60);
        if format & PERSISTENTCONN != 0 && f.len() >= 11 {
            let _ = writeln!(
                o,
                "{:<3} {exp:<6} {:<11} {cname:<18} {vname:<18} {dname:<16} {:<18} {}",
                f[0], f[7], f[9], f[10]
            );
        } else {
            let _ = writeln!(o, "{:<3} {exp:<6} {:<11} {cname:<18} {vname:<18} {dname}", f[0], f[7]);
        }
    }
    o
}
