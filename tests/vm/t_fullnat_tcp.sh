# FULLNAT over TCP: 1,002 short connections spread exactly evenly by rr
# over three real servers, each of which sees an LADDR as its peer, never
# the client (the servers have no route to the client). Global, service and
# real-server counters agree with what the servers saw.
. tests/lib/lib.sh
fullnat_setup 3
out=$(client peers "$VIP" 80 1002)
for i in 1 2 3; do
  n=$(grep -c "^rs$i " <<<"$out" || true)
  assert_eq "connections to rs$i" 334 "$n"
  line=$(grep "dest $(rs_addr $i):8080 " /sys/module/rvs/parameters/stats)
  assert_eq "rs$i conns counter" 334 "$(awk '{for (k=1;k<NF;k++) if ($k=="conns") print $(k+1)}' <<<"$line")"
done
bad=$(awk '$2 != "'"${LADDRS[0]}"'"' <<<"$out" | head -3)
[ -z "$bad" ] || fail "a real server saw a peer other than the LADDR: $bad"
assert_eq "conns counter" 1002 "$(rvs_stat conns)"
svc=$(grep "^svc tcp $VIP:80 rr " /sys/module/rvs/parameters/stats)
assert_eq "service conns counter" 1002 "$(awk '{for (k=1;k<NF;k++) if ($k=="conns") print $(k+1)}' <<<"$svc")"
laddr=$(grep "  laddr ${LADDRS[0]} " /sys/module/rvs/parameters/stats)
assert_eq "LADDR conns counter" 1002 "$(awk '{for (k=1;k<NF;k++) if ($k=="conns") print $(k+1)}' <<<"$laddr")"
# Each connection: SYN, ACK, data, FIN/ACKs in; SYN-ACK, data, FIN/ACKs out.
[ "$(rvs_stat in_pkts)" -ge $((1002 * 4)) ] || fail "in_pkts $(rvs_stat in_pkts)"
[ "$(rvs_stat out_pkts)" -ge $((1002 * 3)) ] || fail "out_pkts $(rvs_stat out_pkts)"
note "$(head -20 /sys/module/rvs/parameters/stats | tr '\n' ' ')"
