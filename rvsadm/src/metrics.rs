// SPDX-License-Identifier: GPL-2.0
//! `rvsadm --metrics`: rvs's and toa.ko's counters in Prometheus's text
//! format, for node_exporter's textfile collector (or any scraper).
//!
//! What node_exporter's own ipvs collector already shows (from
//! /proc/net/ip_vs and ip_vs_stats: the totals, each real server's active
//! and inactive connections and weight) is not repeated. This adds what
//! it cannot see: the module's counters (drops by reason, SYNPROXY, TOA,
//! sync, table occupancy), every local address's connections, port
//! conflicts and traffic (where port exhaustion shows first), and
//! toa.ko's counters on a real server.
//!
//! Inputs are the texts rvs and toa.ko already print: the stats file
//! (`name value` lines, then `svc`/`default-laddrs` lines each followed by
//! their `dest` and `laddr` lines) and /proc/net/toa_stats (`name value`
//! lines). A line this version does not know is skipped, so that an older
//! rvsadm keeps working with a newer module. The stats text is read from
//! /proc/net/rvs_stats, whole. A module older than that file has only the
//! `stats` parameter, which holds one page: the module's counters always
//! fit, but on a director with more than a dozen services and local
//! addresses the later ones are cut off. A cut last line is dropped (half
//! a number would read as a counter reset) and `rvs_stats_truncated`
//! says 1.

use std::fmt::Write;

/// The stats file's values that are levels, not running counts.
const GAUGES: &[(&str, &str)] = &[
    ("conns_now", "Connections in the table, every namespace's."),
    ("templates_now", "Persistence templates in the table."),
    ("synproxy_kept_bytes", "Memory held by SYNPROXY's kept packets (bytes)."),
];

/// Help texts of the stats file's counters. A counter missing here is
/// still exported, with a help text naming the stats file.
const HELP: &[(&str, &str)] = &[
    ("in_pkts", "Packets forwarded client to real server."),
    ("in_bytes", "Bytes forwarded client to real server."),
    ("out_pkts", "Packets forwarded real server to client."),
    ("out_bytes", "Bytes forwarded real server to client."),
    ("conns", "Connections made."),
    ("drop_malformed", "Packets dropped as malformed."),
    ("drop_no_conn", "Packets to a service that belonged to no connection and could not start one."),
    ("drop_no_dest", "New connections refused: no real server available."),
    ("drop_no_laddr", "New connections refused: no local address (FULLNAT)."),
    ("drop_no_port", "New connections refused: no free local port (FULLNAT port exhaustion)."),
    ("drop_table_full", "New connections refused: connection table full."),
    ("drop_no_mem", "Packets dropped for lack of memory."),
    ("xmit_err", "Packets the transmit step failed to send."),
    ("expired", "Connections expired."),
    ("icmp_fwd", "ICMP errors translated and forwarded."),
    ("drop_frag", "Fragments to a virtual address dropped (defence switch)."),
    ("drop_udp_tcp_vip", "UDP to a TCP-only virtual address dropped (defence switch)."),
    ("drop_vip_port", "Packets to a virtual address's unserved port dropped (defence switch)."),
    ("drop_no_route", "Packets dropped: no route to the next hop."),
    ("toa_inserted", "TOA options inserted."),
    ("toa_no_room", "Segments that had no room for the TOA option."),
    ("synproxy_syn_answered", "SYNs answered with a SYN cookie."),
    ("synproxy_cookie_ok", "ACKs with a valid cookie."),
    ("synproxy_cookie_bad", "ACKs with an invalid cookie."),
    ("synproxy_ack_queued", "Client packets kept until the real server answered."),
    ("synproxy_queue_full", "Client packets dropped: the keep queue was full."),
    ("synproxy_syn_retry", "SYNs re-sent to a silent real server."),
    ("synproxy_ack_storm", "Duplicate ACKs dropped (ACK storm defence)."),
    ("synproxy_rs_refused", "Handshakes a real server refused (client reset)."),
    ("synproxy_rs_timeout", "Handshakes a real server never answered (client reset)."),
    ("synproxy_dropped", "Packets SYNPROXY dropped."),
    ("expire_rst_sent", "Resets sent to both ends of expired TCP connections."),
    ("drop_bad_csum", "Packets dropped for a bad checksum."),
    ("rst_out_of_window", "Resets ignored as outside the window."),
    ("drop_too_big", "Packets dropped as larger than the path MTU (ICMP sent)."),
    ("drop_ttl", "Packets dropped as their TTL or hop limit ran out."),
    ("sync_records", "Sync records queued by the master."),
    ("sync_sent", "Sync datagrams sent."),
    ("sync_lost", "Sync records lost (queue full or send failed)."),
    ("sync_rx_msgs", "Sync datagrams received by the backup."),
    ("sync_rx_bad", "Sync datagrams refused as malformed."),
    ("sync_rx_other_id", "Sync datagrams of another sync id."),
    ("sync_rx_not_peer", "Sync datagrams from a sender outside sync_peers."),
    ("sync_rx_conns", "Connections made from sync records."),
    ("sync_rx_updated", "Connections updated from sync records."),
    ("sync_rx_refused", "Sync records refused (no such service or real server, or table full)."),
];

/// toa.ko's levels; the rest of /proc/net/toa_stats are counters.
const TOA_GAUGES: &[&str] = &["records"];

/// A metric name from a counter's: Prometheus names take [a-zA-Z0-9_:].
fn metric_name(prefix: &str, name: &str, counter: bool) -> Option<String> {
    if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        return None;
    }
    Some(format!("{prefix}_{name}{}", if counter { "_total" } else { "" }))
}

/// A label value with Prometheus's escapes.
fn label(v: &str) -> String {
    v.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

fn family(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

/// `name value` lines (module-wide values) of a stats text, in order.
fn name_values(text: &str) -> impl Iterator<Item = (&str, u64)> {
    text.lines().filter_map(|l| {
        let mut it = l.split_whitespace();
        let (n, v) = (it.next()?, it.next()?);
        if it.next().is_some() {
            return None;
        }
        Some((n, v.parse().ok()?))
    })
}

/// "tcp" "192.0.2.100:80" or "[2001:db8::1]:80" -> (proto, address, port).
fn split_service(proto: &str, addr_port: &str) -> Option<(String, String, String)> {
    let (a, p) = addr_port.rsplit_once(':')?;
    let a = a.strip_prefix('[').and_then(|a| a.strip_suffix(']')).unwrap_or(a);
    Some((proto.to_string(), a.to_string(), p.to_string()))
}

/// Every `key value` pair after position `from` of a line's words.
fn pairs<'a>(words: &'a [&'a str], from: usize) -> impl Iterator<Item = (&'a str, u64)> + 'a {
    words[from.min(words.len())..].chunks(2).filter_map(|c| match c {
        [k, v] => Some((*k, v.parse().ok()?)),
        _ => None,
    })
}

/// One local address's values: labels, then (conns_now, port_conflicts,
/// conns, inpkts, outpkts, inbytes, outbytes).
struct Laddr {
    labels: String,
    vals: [u64; 7],
}

/// `text` without a last line that does not end in a newline (cut off by
/// the page the stats file fills), and whether there was one.
fn whole_lines(text: &str) -> (&str, bool) {
    match text.rfind('\n') {
        Some(i) if i + 1 == text.len() => (text, false),
        Some(i) => (&text[..i + 1], true),
        None => ("", !text.is_empty()),
    }
}

/// The metrics of rvs's stats text (`stats`) and toa.ko's (`toa`), each
/// `None` when its module is not loaded.
pub(crate) fn render(stats: Option<&str>, toa: Option<&str>) -> String {
    let mut out = String::new();
    family(&mut out, "rvs_module_loaded", "gauge", "1 when rvs.ko is loaded.");
    let _ = writeln!(out, "rvs_module_loaded {}", stats.is_some() as u8);
    family(&mut out, "toa_module_loaded", "gauge", "1 when toa.ko is loaded.");
    let _ = writeln!(out, "toa_module_loaded {}", toa.is_some() as u8);
    if let Some(text) = stats {
        let (text, cut) = whole_lines(text);
        family(
            &mut out,
            "rvs_stats_truncated",
            "gauge",
            "1 when the stats text was cut at the parameter's page: later services and local addresses are missing.",
        );
        let _ = writeln!(out, "rvs_stats_truncated {}", cut as u8);
        for (n, v) in name_values(text) {
            let gauge = GAUGES.iter().find(|(g, _)| *g == n);
            let Some(m) = metric_name("rvs", n, gauge.is_none()) else { continue };
            let help = match gauge {
                Some((_, h)) => h.to_string(),
                None => HELP
                    .iter()
                    .find(|(c, _)| *c == n)
                    .map(|(_, h)| h.to_string())
                    .unwrap_or_else(|| format!("The stats file's {n}.")),
            };
            family(&mut out, &m, if gauge.is_some() { "gauge" } else { "counter" }, &help);
            let _ = writeln!(out, "{m} {v}");
        }
        // Local addresses, labelled by their service (or the namespace's
        // default pool) and namespace.
        let mut laddrs: Vec<Laddr> = Vec::new();
        let mut owner: Option<String> = None;
        for l in text.lines() {
            let w: Vec<&str> = l.split_whitespace().collect();
            match w.as_slice() {
                ["svc", proto, addr, _sched, "netns", ns, ..] => {
                    owner = split_service(proto, addr).map(|(p, a, port)| {
                        format!("netns=\"{}\",proto=\"{}\",vip=\"{}\",vport=\"{}\"", label(ns), p, label(&a), label(&port))
                    });
                }
                ["default-laddrs", "netns", ns] => {
                    owner = Some(format!("netns=\"{}\",proto=\"\",vip=\"default\",vport=\"\"", label(ns)));
                }
                ["laddr", addr, ..] => {
                    let Some(o) = &owner else { continue };
                    let mut vals = [0u64; 7];
                    for (k, v) in pairs(&w, 2) {
                        let i = match k {
                            "conns_now" => 0,
                            "port_conflicts" => 1,
                            "conns" => 2,
                            "inpkts" => 3,
                            "outpkts" => 4,
                            "inbytes" => 5,
                            "outbytes" => 6,
                            _ => continue,
                        };
                        vals[i] = v;
                    }
                    laddrs.push(Laddr { labels: format!("{o},laddr=\"{}\"", label(addr)), vals });
                }
                ["dest", ..] => {}
                _ => {
                    if !l.starts_with(' ') {
                        owner = None;
                    }
                }
            }
        }
        if !laddrs.is_empty() {
            let fams: [(&str, &str, &str); 7] = [
                ("rvs_laddr_conns_now", "gauge", "Connections using the local address now."),
                ("rvs_laddr_port_conflicts_total", "counter", "Local ports found taken while choosing one (port pressure)."),
                ("rvs_laddr_conns_total", "counter", "Connections made from the local address."),
                ("rvs_laddr_in_pkts_total", "counter", "Packets client to real server through the local address."),
                ("rvs_laddr_out_pkts_total", "counter", "Packets real server to client through the local address."),
                ("rvs_laddr_in_bytes_total", "counter", "Bytes client to real server through the local address."),
                ("rvs_laddr_out_bytes_total", "counter", "Bytes real server to client through the local address."),
            ];
            for (i, (name, kind, help)) in fams.iter().enumerate() {
                family(&mut out, name, kind, help);
                for l in &laddrs {
                    let _ = writeln!(out, "{name}{{{}}} {}", l.labels, l.vals[i]);
                }
            }
        }
    }
    if let Some(text) = toa {
        for (n, v) in name_values(whole_lines(text).0) {
            let gauge = TOA_GAUGES.contains(&n);
            // "toa_seen" is toa_seen_total, not toa_toa_seen_total.
            let Some(m) = metric_name("toa", n.strip_prefix("toa_").unwrap_or(n), !gauge) else { continue };
            family(&mut out, &m, if gauge { "gauge" } else { "counter" }, &format!("toa.ko's {n} (/proc/net/toa_stats)."));
            let _ = writeln!(out, "{m} {v}");
        }
    }
    out
}
