#!/usr/bin/env python3
"""Turn benchmarks/run-in-vm's result lines into the markdown of results.md.

    format.py RESULTS_TXT META_TXT > results.md

RESULTS_TXT: lines "workload contender rep value unit".
META_TXT: free text lines (date, kernel, machine, commit) put at the top.
For every workload and contender: the median over the repetitions, the
spread (min..max and half the range relative to the median), and the
median's ratio to the ceiling (plain forwarding), to the in-tree IPVS and,
for the SYNPROXY workloads, to nf_synproxy. IPv6 contenders (names ending
in 6) are divided by the IPv6 ceiling and IPv6 IPVS; direct routing
(ipvsdr, rvsdr) by IPVS's direct routing.
"""
import statistics
import sys
from collections import OrderedDict

NAMES = OrderedDict([
    ("fwd", "forwarding (ceiling)"),
    ("ipvs", "IPVS NAT (in-tree)"),
    ("rvs", "rvs FULLNAT"),
    ("rvsnat", "rvs NAT (ipvsadm -m)"),
    ("ipvsdr", "IPVS direct routing (in-tree)"),
    ("rvsdr", "rvs direct routing (ipvsadm -g)"),
    ("rvsopt", "rvs FULLNAT, client's TCP options kept"),
    ("rvssp", "rvs FULLNAT+SYNPROXY+TOA"),
    ("nfsp", "nf_synproxy (iptables)"),
    ("fwd6", "IPv6 forwarding (ceiling)"),
    ("ipvs6", "IPv6: IPVS NAT (in-tree)"),
    ("rvs6", "IPv6: rvs FULLNAT"),
])

WORKLOADS = OrderedDict([
    ("tcp1", "bulk TCP, 1 stream (iperf3)"),
    ("tcp4", "bulk TCP, 4 streams (iperf3)"),
    ("tcp1big", "bulk TCP, 1 stream, 1 MiB writes (iperf3 -l 1M)"),
    ("tcp1_aggr", "bulk TCP, 1 stream: client bytes per packet at the director"),
    ("tcp4_aggr", "bulk TCP, 4 streams: client bytes per packet at the director"),
    ("tcp1big_aggr", "bulk TCP, 1 stream, 1 MiB writes: client bytes per packet at the director"),
    ("cps", "new connections/s, 64 B request / 128 B answer, 4 threads"),
    ("cps_fail", "failed connections in the cps run (lower is better)"),
    ("udp", "UDP 18 B datagrams/s received by the RS"),
    ("udp_arrived", "UDP datagrams/s that reached the RS's socket layer (read or dropped on a full buffer)"),
    ("udp_sent", "UDP datagrams/s offered by the client"),
    ("syn_sent", "SYN flood alone: spoofed SYNs/s sent"),
    ("syn_synack", "SYN flood alone: SYN-ACKs/s returned by the director"),
    ("flood_syn_sent", "SYN flood: spoofed SYNs/s sent"),
    ("flood_synack", "SYN flood: SYN-ACKs/s returned by the director"),
    ("flood_synack_ratio", "SYN flood: SYN-ACKs returned / SYNs sent"),
    ("flood_legit_cps", "SYN flood: legitimate connections/s that succeeded (1 thread)"),
    ("flood_legit_fail", "SYN flood: legitimate connections that failed (lower is better)"),
    ("mem_conns", "memory: entries in the table"),
    ("mem", "memory: slab bytes per idle (half-open) connection (lower is better)"),
    ("mem_entry", "memory: slab size of one table entry (IPVS: ip_vs_conn)"),
    ("sync_conns", "sync: UDP FULLNAT connections made on the master (one spoofed flow each)"),
    ("sync_rate", "sync: connections/s the backup made, from the first flow to the last record"),
    ("sync_lag", "sync: seconds from the last flow sent to the backup's last connection (lower is better)"),
    ("sync_bytes", "sync: bytes on the backup's link per connection (lower is better)"),
    ("sync_records_per_dgram", "sync: records per datagram"),
    ("sync_lost", "sync: records the master could not queue (lower is better)"),
    ("sync_mismatch", "sync: lines of the two tables (/proc/net/ip_vs_conn, timers aside) that differ (lower is better)"),
])


def fmt(v):
    if v == 0:
        return "0"
    if abs(v) >= 100:
        return f"{v:,.0f}"
    if abs(v) >= 10:
        return f"{v:.1f}"
    return f"{v:.3g}"


def ratio(a, b):
    if a is None or b is None or b == 0:
        return "—"
    return f"{a / b:.2f}"


def name(c):
    """A contender's label; rvsbase-<hash> is the build of commit <hash>."""
    if c.startswith("rvsbase-"):
        return "rvs FULLNAT, build of {} (BENCH_BASE)".format(c[len("rvsbase-"):])
    return NAMES.get(c, c)


def main():
    data = OrderedDict()
    units = {}
    for line in open(sys.argv[1]):
        f = line.split()
        if len(f) != 5:
            continue
        w, c, _rep, v, u = f
        try:
            val = float(v)
        except ValueError:
            continue
        data.setdefault(w, OrderedDict()).setdefault(c, []).append(val)
        units[w] = u
    meta = open(sys.argv[2]).read().strip() if len(sys.argv) > 2 else ""

    out = ["# rvs benchmark results", ""]
    if meta:
        out += [meta, ""]
    out += [
        "**Read only the ratios.** The VM runs under software emulation (QEMU TCG) on a",
        "shared host: absolute figures are far below real hardware and drift between",
        "runs. Contenders were measured in the same VM boot, interleaved repetition by",
        "repetition, on the same topology (client netns -> director netns -> RS netns,",
        "veth + bridge), so only ratios between figures of this one run mean anything.",
        "",
        "Median of the repetitions; spread = (max - min) / 2 / median.",
        "Ratios are medians divided by the ceiling's (plain forwarding), IPVS's and",
        "nf_synproxy's medians for the same workload; IPv6 rows by IPv6's ceiling and IPVS,",
        "direct routing rows by IPVS's direct routing.",
        "",
    ]
    order = [w for w in WORKLOADS if w in data] + [w for w in data if w not in WORKLOADS]
    out += ["| workload | contender | median | unit | min .. max | spread | n | ÷ ceiling | ÷ IPVS | ÷ nf_synproxy |",
            "|---|---|---:|---|---|---:|---:|---:|---:|---:|"]
    for w in order:
        meds = {c: statistics.median(v) for c, v in data[w].items()}
        cs = [c for c in NAMES if c in data[w]] + [c for c in data[w] if c not in NAMES]
        for c in cs:
            v = data[w][c]
            m = meds[c]
            six = "6" if c.endswith("6") else ""
            fwd, ipvs = "fwd" + six, "ipvs" + six
            if c.endswith("dr"):
                ipvs = "ipvsdr"
            spread = (max(v) - min(v)) / 2 / m if m else 0
            out.append("| {} | {} | {} | {} | {} .. {} | {:.1%} | {} | {} | {} | {} |".format(
                WORKLOADS.get(w, w), name(c), fmt(m), units[w], fmt(min(v)), fmt(max(v)),
                spread, len(v),
                ratio(m, meds.get(fwd)) if c != fwd else "1",
                ratio(m, meds.get(ipvs)) if c != ipvs else ("1" if ipvs in meds else "—"),
                (ratio(m, meds.get("nfsp")) if c != "nfsp" else "1") if not six else "—"))
    # rvs against baseline builds of other commits, when the run has them.
    for b in sorted({c for w in order for c in data[w] if c.startswith("rvsbase-")}):
        base = [w for w in order if "rvs" in data[w] and b in data[w]]
        if base:
            out += ["", "rvs against the build of {} (median / median):".format(b[len("rvsbase-"):]), ""]
            for w in base:
                out.append("- {}: {}".format(WORKLOADS.get(w, w),
                           ratio(statistics.median(data[w]["rvs"]), statistics.median(data[w][b]))))
    # What benchmarks/run-in-vm runs for each contender (workloads_of).
    expected = {"fwd": "tcp1 tcp4 tcp1big cps udp", "ipvs": "tcp1 tcp4 tcp1big cps udp mem",
                "rvs": "tcp1 tcp4 tcp1big cps udp mem sync_rate", "rvsnat": "tcp1 tcp4 tcp1big cps udp",
                "ipvsdr": "tcp1 tcp4 tcp1big cps udp", "rvsdr": "tcp1 tcp4 tcp1big cps udp", "rvsopt": "tcp1 tcp4 tcp1big", "rvssp": "tcp1 tcp4 tcp1big cps udp syn_synack flood_synack", "nfsp": "cps syn_synack flood_synack",
                "fwd6": "tcp1 tcp4 tcp1big cps udp", "ipvs6": "tcp1 tcp4 tcp1big cps udp", "rvs6": "tcp1 tcp4 tcp1big cps udp"}
    missing = [f"{w} / {NAMES[c]}" for c, ws in expected.items() for w in ws.split() if c not in data.get(w, {})]
    out += ["", "Missing from this run (setup or measurement failed, or not selected): "
            + (", ".join(missing) if missing else "none") + "."]
    print("\n".join(out))


if __name__ == "__main__":
    main()
