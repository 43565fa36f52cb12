// SPDX-License-Identifier: GPL-2.0
//! `--metrics`: the stats texts rvs and toa.ko print, as Prometheus reads them.

use crate::metrics::render;

const STATS: &str = "conns_now 3
templates_now 0
synproxy_kept_bytes 128
in_pkts 10
conns 7
drop_no_port 2
some_future_counter 5
default-laddrs netns 4026531840
  laddr 198.51.100.202 conns_now 1 port_conflicts 0 conns 1 inpkts 4 outpkts 3 inbytes 240 outbytes 180 cps 0 inpps 0 outpps 0 inbps 0 outbps 0
svc tcp 192.0.2.100:80 rr netns 4026531840 conns 7 inpkts 10 outpkts 9 inbytes 600 outbytes 500 cps 0 inpps 0 outpps 0 inbps 0 outbps 0
  dest 198.51.100.11:8080 weight 1 active 2 inactive 0 persist 0 overloaded 0 conns 7 inpkts 10 outpkts 9 inbytes 600 outbytes 500 cps 0 inpps 0 outpps 0 inbps 0 outbps 0
  laddr 198.51.100.201 conns_now 2 port_conflicts 9 conns 6 inpkts 6 outpkts 6 inbytes 360 outbytes 320 cps 0 inpps 0 outpps 0 inbps 0 outbps 0
svc udp [2001:db8::100]:53 mh netns 4026532000 conns 0 inpkts 0 outpkts 0 inbytes 0 outbytes 0 cps 0 inpps 0 outpps 0 inbps 0 outbps 0
  laddr 2001:db8:1::201 conns_now 0 port_conflicts 0 conns 0 inpkts 0 outpkts 0 inbytes 0 outbytes 0 cps 0 inpps 0 outpps 0 inbps 0 outbps 0
";

fn value(text: &str, series: &str) -> Option<String> {
    text.lines().find_map(|l| l.strip_prefix(series)?.strip_prefix(' ').map(str::to_string))
}

#[test]
fn module_counters_and_gauges() {
    let t = render(Some(STATS), None);
    assert_eq!(value(&t, "rvs_conns_now").as_deref(), Some("3"));
    assert!(t.contains("# TYPE rvs_conns_now gauge\n"));
    assert_eq!(value(&t, "rvs_synproxy_kept_bytes").as_deref(), Some("128"));
    assert_eq!(value(&t, "rvs_drop_no_port_total").as_deref(), Some("2"));
    assert!(t.contains("# TYPE rvs_drop_no_port_total counter\n"));
    assert!(t.contains("# HELP rvs_drop_no_port_total New connections refused: no free local port"));
    // A counter a newer module adds is exported with a generic help.
    assert_eq!(value(&t, "rvs_some_future_counter_total").as_deref(), Some("5"));
    assert!(t.contains("# HELP rvs_some_future_counter_total The stats file's some_future_counter.\n"));
    // Services and real servers are node_exporter's ipvs collector's.
    assert!(!t.contains("198.51.100.11"));
}

#[test]
fn local_addresses_labelled_by_service_and_namespace() {
    let t = render(Some(STATS), None);
    let l = "netns=\"4026531840\",proto=\"tcp\",vip=\"192.0.2.100\",vport=\"80\",laddr=\"198.51.100.201\"";
    assert_eq!(value(&t, &format!("rvs_laddr_conns_now{{{l}}}")).as_deref(), Some("2"));
    assert_eq!(value(&t, &format!("rvs_laddr_port_conflicts_total{{{l}}}")).as_deref(), Some("9"));
    assert_eq!(value(&t, &format!("rvs_laddr_out_bytes_total{{{l}}}")).as_deref(), Some("320"));
    let pool = "netns=\"4026531840\",proto=\"\",vip=\"default\",vport=\"\",laddr=\"198.51.100.202\"";
    assert_eq!(value(&t, &format!("rvs_laddr_in_pkts_total{{{pool}}}")).as_deref(), Some("4"));
    let v6 = "netns=\"4026532000\",proto=\"udp\",vip=\"2001:db8::100\",vport=\"53\",laddr=\"2001:db8:1::201\"";
    assert_eq!(value(&t, &format!("rvs_laddr_conns_now{{{v6}}}")).as_deref(), Some("0"));
    // One HELP/TYPE per family, before its samples.
    assert_eq!(t.matches("# TYPE rvs_laddr_conns_now gauge\n").count(), 1);
}

#[test]
fn every_line_is_prometheus_text() {
    let toa = "toa_seen 4\nrecords 1\nmissed_getname 0\n";
    let t = render(Some(STATS), Some(toa));
    assert_eq!(value(&t, "toa_seen_total").as_deref(), Some("4"));
    assert_eq!(value(&t, "toa_records").as_deref(), Some("1"));
    assert!(t.contains("# TYPE toa_records gauge\n"));
    for l in t.lines() {
        if l.starts_with("# HELP ") || l.starts_with("# TYPE ") {
            continue;
        }
        let (series, v) = l.rsplit_once(' ').expect(l);
        assert!(v.parse::<u64>().is_ok(), "{l}");
        let name = series.split('{').next().unwrap();
        assert!(name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'), "{l}");
        assert!(t.contains(&format!("# TYPE {name} ")), "{l}");
    }
}

#[test]
fn odd_lines_are_skipped() {
    let t = render(Some("conns_now x\nbad-name 3\n  laddr 1.2.3.4 conns_now 1\n\nconns 1\n"), None);
    let samples = |t: &str| t.lines().filter(|l| !l.starts_with('#')).map(String::from).collect::<Vec<_>>();
    assert_eq!(
        samples(&t),
        ["rvs_module_loaded 1", "toa_module_loaded 0", "rvs_stats_truncated 0", "rvs_conns_total 1"]
    );
    assert_eq!(samples(&render(None, None)), ["rvs_module_loaded 0", "toa_module_loaded 0"]);
}

#[test]
fn a_cut_page_drops_its_last_line_and_says_so() {
    // The stats file stops at a page, mid-line: "inbytes 12" of 12345
    // would read as a counter reset.
    let cut = &STATS[..STATS.find("inbytes 360").unwrap() + "inbytes 36".len()];
    let t = render(Some(cut), None);
    assert_eq!(value(&t, "rvs_stats_truncated").as_deref(), Some("1"));
    assert!(!t.contains("laddr=\"198.51.100.201\""), "{t}");
    // What came before the cut line is there.
    assert_eq!(value(&t, "rvs_drop_no_port_total").as_deref(), Some("2"));
    assert!(t.contains("laddr=\"198.51.100.202\""));
    assert_eq!(value(&render(Some(STATS), None), "rvs_stats_truncated").as_deref(), Some("0"));
}
