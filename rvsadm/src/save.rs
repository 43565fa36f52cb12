// SPDX-License-Identifier: GPL-2.0
//! -S (save) and -R (restore). -S prints ipvsadm's rules, then, for rvs's
//! extensions, "-j enable" on synproxy services (done by fmt), "-b" on
//! FULLNAT servers (fmt) and one "-P <service> -z <laddr>" line per local
//! address, so that `rvsadm -S | rvsadm -R` rebuilds the whole table. The
//! namespace's default LADDR pool comes first, one "-P -t 0.0.0.0:0 -z
//! <laddr>" line per address ("[::]:0" for an IPv6 one; either names the
//! pool: no service can be that).

use crate::args::fmt::{NOSORT, RULE};
use crate::fmt::{laddr_af, service_entry, sort_services, svc_name, Listed};
use crate::msg::addr_ip;
use std::fmt::Write;

/// The rules of the default pool (if any) and of every service, sorted
/// as ipvsadm sorts them.
pub fn save(pool: Option<&Listed>, services: &[Listed], format: u32) -> String {
    let format = (format | RULE) & !NOSORT;
    let mut list = services.to_vec();
    sort_services(&mut list, format);
    let mut o = String::new();
    for a in pool.map_or(&[][..], |p| &p.laddrs) {
        let af = laddr_af(libc::AF_INET as u16, a);
        let name = if af == libc::AF_INET6 as u16 { "[::]:0" } else { "0.0.0.0:0" };
        let _ = writeln!(o, "-P -t {name} -z {}", addr_ip(af, &a.addr));
    }
    for l in &list {
        o.push_str(&service_entry(&l.svc, &l.dests, format));
        let name = svc_name(&l.svc, format);
        for a in &l.laddrs {
            let _ = writeln!(o, "-P {name} -z {}", addr_ip(laddr_af(l.svc.af, a), &a.addr));
        }
    }
    o
}

/// Splits restore input into command lines as ipvsadm's config_stream_read
/// does: whitespace-separated words, '#' starts a comment, the words
/// "ipvsadm" and "rvsadm" are skipped; each line gets `program` as argv[0].
/// Lines with no word are dropped.
pub fn restore_lines(input: &str, program: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    for line in input.lines() {
        let line = line.split('#').next().unwrap_or("");
        let mut argv = vec![program.to_string()];
        argv.extend(line.split_whitespace().filter(|w| *w != "ipvsadm" && *w != "rvsadm").map(String::from));
        if argv.len() > 1 {
            out.push(argv);
        }
    }
    out
}
