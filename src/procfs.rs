// SPDX-License-Identifier: GPL-2.0
//! /proc/net/ip_vs, /proc/net/ip_vs_stats and /proc/net/ip_vs_conn in
//! upstream's formats (net/netfilter/ipvs/ip_vs_ctl.c, ip_vs_conn.c), so
//! that `ipvsadm -Lnc` and scripts reading them work. Real servers show
//! their method as upstream names it ("Masq", "Route", ...), FULLNAT ones
//! "FullNat" (Alibaba's name). Connections
//! are listed with upstream's columns (client, VIP, real server); the
//! local address is not shown, as ipvsadm parses a fixed layout. The
//! files and their callbacks: src/kern/proc.c and src/kern/proc.rs.

use crate::kern::{CfgGuard, NetRef, RcuGuard, SeqFile};
use crate::rvs_core::addr::Addr;
use crate::rvs_core::method;
use crate::rvs_core::packet::IPPROTO_TCP;
use crate::stats::{ObjCtr, Writer};
use crate::State;
use core::fmt::Write;
use core::sync::atomic::Ordering::Relaxed;

/// One line at a time into the seq_file.
struct Lines<'a> {
    seq: &'a mut SeqFile,
    buf: [u8; 256],
}

impl Lines<'_> {
    fn line(&mut self, args: core::fmt::Arguments<'_>) {
        let mut w = Writer { buf: &mut self.buf, len: 0 };
        let _ = w.write_fmt(args);
        let n = w.len;
        self.seq.write(&self.buf[..n]);
    }
}

/// An address as upstream's /proc files print it: IPv4 as eight hex
/// digits (`%08X` of the host-order value), IPv6 as `%pI6`.
struct ProcAddr<'a>(&'a Addr);

impl core::fmt::Display for ProcAddr<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self.0.as_v4() {
            Some(v) => write!(f, "{:08X}", v),
            None => write!(f, "{}", self.0.display_full()),
        }
    }
}

/// An address and port in /proc/net/ip_vs: `%08X:%04X`, or
/// `[%pI6]:%04X` for IPv6.
struct ProcSock<'a>(&'a Addr, u16);

impl core::fmt::Display for ProcSock<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        if self.0.is_v4() {
            write!(f, "{}:{:04X}", ProcAddr(self.0), self.1)
        } else {
            write!(f, "[{}]:{:04X}", ProcAddr(self.0), self.1)
        }
    }
}

fn proto_name(p: u8) -> &'static str {
    if p == IPPROTO_TCP {
        "TCP"
    } else {
        "UDP"
    }
}

fn ip_vs(st: &State, cfg: &CfgGuard, net: NetRef, l: &mut Lines<'_>) {
    let size = 1u32 << crate::kern::param_conn_tab_bits().clamp(8, 22);
    l.line(format_args!("IP Virtual Server version 1.2.1 (size={})\n", size));
    l.line(format_args!("Prot LocalAddress:Port Scheduler Flags\n"));
    l.line(format_args!("  -> RemoteAddress:Port Forward Weight ActiveConn InActConn\n"));
    for s in st.svcs.read_locked(cfg).of(net) {
        // Upstream: "%s  %08X:%04X %s %s " (the last for one-packet
        // scheduling) for IPv4, "%s  [%pI6]:%04X %s " for IPv6.
        let gap = if s.key.addr.is_v4() { "  " } else { " " };
        l.line(format_args!("{}  {} {}{}", proto_name(s.key.proto), ProcSock(&s.key.addr, s.key.port), s.algo.name(), gap));
        if s.persist.timeout != 0 {
            // Upstream prints ntohl() of the netmask field, which for
            // IPv6 holds the prefix length in host order.
            let mask = if s.key.addr.is_v4() { s.persist.mask } else { u32::from_be(s.persist.mask) };
            l.line(format_args!("persistent {} {:08X}\n", s.persist.timeout, mask));
        } else {
            l.line(format_args!("\n"));
        }
        for d in s.dests.iter() {
            let name = method::name(d.fwd.load(Relaxed));
            l.line(format_args!(
                "  -> {}      {:<7} {:<6} {:<10} {:<10}\n",
                ProcSock(&d.addr, d.port),
                name,
                d.weight.load(Relaxed),
                d.active.load(Relaxed),
                d.inactive.load(Relaxed)
            ));
        }
    }
}

/// The namespace's totals: the sums over its services (every connection
/// has a service), counters and rates.
fn ip_vs_stats(st: &State, cfg: &CfgGuard, net: NetRef, l: &mut Lines<'_>) {
    let mut t = [0u64; 5];
    let mut r = [0u64; 5];
    for s in st.svcs.read_locked(cfg).of(net) {
        for (i, c) in [ObjCtr::Conns, ObjCtr::InPkts, ObjCtr::OutPkts, ObjCtr::InBytes, ObjCtr::OutBytes].into_iter().enumerate() {
            t[i] += s.stats.get(c);
            r[i] += s.stats.rate(c);
        }
    }
    l.line(format_args!("   Total Incoming Outgoing         Incoming         Outgoing\n"));
    l.line(format_args!("   Conns  Packets  Packets            Bytes            Bytes\n"));
    l.line(format_args!("{:8X} {:8X} {:8X} {:16X} {:16X}\n\n", t[0], t[1], t[2], t[3], t[4]));
    l.line(format_args!(" Conns/s   Pkts/s   Pkts/s          Bytes/s          Bytes/s\n"));
    l.line(format_args!("{:8X} {:8X} {:8X} {:16X} {:16X}\n", r[0], r[1], r[2], r[3], r[4]));
}

/// Text of any length into the seq_file (which grows its buffer and
/// shows again when a show overflows it).
struct SeqText<'a>(&'a mut SeqFile);

impl Write for SeqText<'_> {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        self.0.write(s.as_bytes());
        Ok(())
    }
}

/// Show of /proc/net/ip_vs (0), /proc/net/ip_vs_stats (1) and
/// /proc/net/rvs_stats (2, the `stats` parameter's text without its
/// page limit), for the reader's namespace `net` (`kern::proc`, under
/// the configuration mutex).
pub(crate) fn show(st: &State, cfg: &CfgGuard, net: NetRef, which: u32, seq: &mut SeqFile) {
    match which {
        0 => ip_vs(st, cfg, net, &mut Lines { seq, buf: [0; 256] }),
        1 => ip_vs_stats(st, cfg, net, &mut Lines { seq, buf: [0; 256] }),
        _ => crate::ctl::write_stats(st, cfg, net, &mut SeqText(seq)),
    }
}

/// The connections of namespace `net` in bucket `b`, in upstream's
/// ip_vs_conn format (`kern::proc`, under RCU).
pub(crate) fn conn_show(st: &State, g: &RcuGuard, net: NetRef, b: u32, seq: &mut SeqFile) {
    let mut l = Lines { seq, buf: [0; 256] };
    let now = crate::kern::jiffies();
    st.conns.for_each_in_bucket(g, b, |c| {
        if c.net != net {
            return;
        }
        let proto = c.proto & !crate::conn_table::TEMPLATE;
        let state = if c.is_template() {
            "NONE"
        } else if proto == IPPROTO_TCP {
            c.state().name()
        } else {
            "UDP"
        };
        let secs = c.expires.load(Relaxed).saturating_sub(now) / crate::kern::hz();
        let t = &c.in_t;
        l.line(format_args!(
            "{:<3} {} {:04X} {} {:04X} {} {:04X} {:<11} {:>7}\n",
            proto_name(proto),
            ProcAddr(&t.saddr),
            t.sport,
            ProcAddr(&t.daddr),
            t.dport,
            ProcAddr(&c.dest.addr),
            c.dest.port,
            state,
            secs
        ));
    });
}
