# Monitoring with what operators run: Prometheus's node_exporter (Debian's
# prometheus-node-exporter) in the director's namespace, its ipvs collector
# reading rvs's /proc/net/ip_vs and ip_vs_stats, and its textfile collector
# serving what `rvsadm --metrics` wrote (as rvs-metrics.service does, from
# the host's namespace, which sees the module's counters). After 12
# connections through a FULLNAT service (one held open), every ipvs
# metric equals what rvs counted (the stats file, ipvsadm over netlink),
# and the textfile's rvs_* and rvs_laddr_* series equal the stats file's.
. tests/lib/lib.sh
ne=$(command -v prometheus-node-exporter || command -v node_exporter) || fail "no node_exporter"
fullnat_setup 2
# Closed connections stay listed (inactive) for the whole test: the
# numbers compared are taken at different moments.
for t in fin_wait time_wait close close_wait last_ack; do nsx d sysctl -qw "net.ipv4.vs.timeout_$t=300"; done
textdir=$(mktemp -d /tmp/rvs-textfile.XXXXXX)
nsx d "$ne" --collector.disable-defaults --collector.ipvs --collector.textfile \
  --collector.textfile.directory="$textdir" --web.listen-address=127.0.0.1:9100 > /tmp/node_exporter.log 2>&1 &
scrape() { nsx d curl -sf "$@" http://127.0.0.1:9100/metrics; }
wait_until 30 "node_exporter answering" scrape -o /dev/null
# metric TEXT SERIES: the value of one series ("name" or "name{labels}").
metric() { awk -v s="$2" '$1 == s {print $2}' <<<"$1"; }
# node_exporter prints integers above 1e6 in exponent form.
num() { python3 -c 'import sys; print(int(float(sys.argv[1])))' "$1"; }

out=$(client peers "$VIP" 80 11) || fail "connections failed: $out"
hold_conn "$VIP" 60
# Until the last ACKs have gone through: two reads of the counters alike.
pkts() { grep -E '^(in|out)_pkts ' /sys/module/rvs/parameters/stats; }
settled() { local a; a=$(pkts); sleep 0.3; [ "$a" = "$(pkts)" ]; }
wait_until 20 "traffic settled" settled
rvsadm_line=$(nsx d ipvsadm -Ln | awk -v r="$(rs_addr 1):8080" '$2 == r')
# Closing connections leave the table as they expire: the level written
# lies between the two reads around the write.
now_before=$(rvs_stat conns_now)
"$RVSADM" --metrics --output "$textdir/rvs.prom" || fail "rvsadm --metrics failed"
now_after=$(rvs_stat conns_now)
m=$(scrape) || fail "scrape failed"
grep -q '^node_scrape_collector_success{collector="ipvs"} 1$' <<<"$m" || fail "ipvs collector failed: $(grep ipvs <<<"$m" | head -5)"
grep -q '^node_textfile_scrape_error 0$' <<<"$m" || fail "textfile collector error: $(grep textfile <<<"$m")"

# The ipvs collector's totals against rvs's own count (per namespace, as
# the file it reads).
svc=$(awk -v v="$VIP:80" '$1 == "svc" && $3 == v' /sys/module/rvs/parameters/stats)
field() { awk -v k="$1" '{for (i = 1; i < NF; i++) if ($i == k) {print $(i + 1); exit}}' <<<"$svc"; }
assert_eq "node_ipvs_connections_total" 12 "$(num "$(metric "$m" node_ipvs_connections_total)")"
assert_eq "node_ipvs_incoming_packets_total" "$(field inpkts)" "$(num "$(metric "$m" node_ipvs_incoming_packets_total)")"
assert_eq "node_ipvs_outgoing_packets_total" "$(field outpkts)" "$(num "$(metric "$m" node_ipvs_outgoing_packets_total)")"
assert_eq "node_ipvs_incoming_bytes_total" "$(field inbytes)" "$(num "$(metric "$m" node_ipvs_incoming_bytes_total)")"
assert_eq "node_ipvs_outgoing_bytes_total" "$(field outbytes)" "$(num "$(metric "$m" node_ipvs_outgoing_bytes_total)")"
# Each real server: active, inactive and weight as ipvsadm lists them.
for i in 1 2; do
  line=$(nsx d ipvsadm -Ln | awk -v r="$(rs_addr "$i"):8080" '$2 == r')
  lab="{local_address=\"$VIP\",local_mark=\"\",local_port=\"80\",proto=\"TCP\",remote_address=\"$(rs_addr "$i")\",remote_port=\"8080\"}"
  assert_eq "rs$i weight" "$(awk '{print $4}' <<<"$line")" "$(metric "$m" "node_ipvs_backend_weight$lab")"
  assert_eq "rs$i active" "$(awk '{print $5}' <<<"$line")" "$(metric "$m" "node_ipvs_backend_connections_active$lab")"
  assert_eq "rs$i inactive" "$(awk '{print $6}' <<<"$line")" "$(metric "$m" "node_ipvs_backend_connections_inactive$lab")"
done
active=$(metric "$m" "node_ipvs_backend_connections_active{local_address=\"$VIP\",local_mark=\"\",local_port=\"80\",proto=\"TCP\",remote_address=\"$(rs_addr 1)\",remote_port=\"8080\"}")
active2=$(metric "$m" "node_ipvs_backend_connections_active{local_address=\"$VIP\",local_mark=\"\",local_port=\"80\",proto=\"TCP\",remote_address=\"$(rs_addr 2)\",remote_port=\"8080\"}")
assert_eq "active connections (the held one)" 1 "$((active + active2))"
note "rs1 as ipvsadm lists it: $rvsadm_line"

# The textfile: the module's counters and the LADDR's, as the stats file has them.
for c in conns in_pkts out_bytes drop_no_port synproxy_cookie_ok; do
  assert_eq "rvs_${c}_total" "$(rvs_stat "$c")" "$(num "$(metric "$m" "rvs_${c}_total")")"
done
now=$(metric "$m" rvs_conns_now)
[ "$now" -le "$now_before" ] && [ "$now" -ge "$now_after" ] || fail "rvs_conns_now $now, the stats file $now_before then $now_after"
netns=$(awk '{print $6}' <<<"$svc")
# (node_exporter sorts the labels.)
lab="{laddr=\"${LADDRS[0]}\",netns=\"$netns\",proto=\"tcp\",vip=\"$VIP\",vport=\"80\"}"
grep -qF "rvs_laddr_conns_total$lab " <<<"$m" || fail "no series rvs_laddr_conns_total$lab: $(grep '^rvs_laddr_conns' <<<"$m")"
assert_eq "rvs_laddr_conns_total" 12 "$(metric "$m" "rvs_laddr_conns_total$lab")"
laddr_line=$(awk -v a="${LADDRS[0]}" '$1 == "laddr" && $2 == a' /sys/module/rvs/parameters/stats)
# Every connection still in the table uses it (closed ones stay 300 s).
assert_eq "rvs_laddr_conns_now" "$(awk '{print $4}' <<<"$laddr_line")" "$(metric "$m" "rvs_laddr_conns_now$lab")"
assert_eq "rvs_laddr_conns_now" 12 "$(metric "$m" "rvs_laddr_conns_now$lab")"
assert_eq "rvs_laddr_in_bytes_total" "$(awk '{for (i = 1; i < NF; i++) if ($i == "inbytes") print $(i + 1)}' <<<"$laddr_line")" \
  "$(num "$(metric "$m" "rvs_laddr_in_bytes_total$lab")")"
grep -q '^# TYPE rvs_laddr_port_conflicts_total counter$' <<<"$m" || fail "no port conflict counter"
assert_eq "rvs_module_loaded" 1 "$(metric "$m" rvs_module_loaded)"
assert_eq "rvs_stats_truncated" 0 "$(metric "$m" rvs_stats_truncated)"

# Past the stats parameter's page: 40 services more, each with a local
# address. The parameter's text is cut there; /proc/net/rvs_stats (the
# namespace root's alone) has every line, and so have the metrics.
for i in $(seq 40); do
  echo "-A -t $VIP:$((1000 + i)) -s rr"
  echo "-P -t $VIP:$((1000 + i)) -z ${LADDRS[1]}"
done | nsx d "$RVSADM" -R || fail "rvsadm -R of 40 services failed"
param=$(cat /sys/module/rvs/parameters/stats)
whole=$(cat /proc/net/rvs_stats) || fail "cannot read /proc/net/rvs_stats"
assert_eq "/proc/net/rvs_stats's mode" 400 "$(stat -c %a /proc/net/rvs_stats)"
assert_eq "services in /proc/net/rvs_stats" 41 "$(grep -c '^svc ' <<<"$whole")"
assert_eq "local addresses in /proc/net/rvs_stats" 41 "$(grep -c '^  laddr ' <<<"$whole")"
n_param=$(grep -c '^svc ' <<<"$param")
[ "$n_param" -lt 41 ] || fail "the parameter holds all 41 services: the test does not pass its page"
note "the parameter's page holds $n_param of 41 services; /proc/net/rvs_stats all"
# The module's counters open both texts alike.
grep -qE '^conns_now [0-9]+$' <<<"$whole" || fail "no module counters in /proc/net/rvs_stats"
assert_eq "the module's counters in both" "$(grep -E '^[a-z_]+ [0-9]+$' <<<"$param" | cut -d' ' -f1)" \
  "$(grep -E '^[a-z_]+ [0-9]+$' <<<"$whole" | cut -d' ' -f1)"
m=$("$RVSADM" --metrics) || fail "rvsadm --metrics failed"
assert_eq "rvs_stats_truncated with 41 services" 0 "$(metric "$m" rvs_stats_truncated)"
assert_eq "rvs_laddr_conns_now series" 41 "$(grep -c '^rvs_laddr_conns_now{' <<<"$m")"
grep -qF "vport=\"1040\",laddr=\"${LADDRS[1]}\"} 0" <<<"$m" || fail "the last service's local address is not in the metrics"
# Each namespace reads its own: the director's, its services without
# the module's counters; the client's, nothing.
in_d=$(nsx d cat /proc/net/rvs_stats)
assert_eq "services the director's namespace reads" 41 "$(grep -c '^svc ' <<<"$in_d")"
assert_eq "the module's counters in the director's namespace" "" "$(grep -E '^conns_now ' <<<"$in_d")"
in_c=$(nsx c cat /proc/net/rvs_stats) || fail "the client's namespace cannot read its /proc/net/rvs_stats"
assert_eq "what the client's namespace reads" "" "$in_c"
