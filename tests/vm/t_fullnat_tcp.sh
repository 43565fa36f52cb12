# FULLNAT over TCP: 300 connections spread exactly evenly by rr over three
# real servers, each of which sees an LADDR as its peer, never the client;
# the servers have no route to the client.
. tests/lib/lib.sh
trap cleanup_all EXIT
topo_up 3
load_rvs
fullnat_service tcp 80 rr 3
start_servers 3 8080
out=$(client peers "$VIP" 80 300)
for i in 1 2 3; do
  n=$(grep -c "^rs$i " <<<"$out" || true)
  assert_eq "connections to rs$i" 100 "$n"
done
bad=$(awk '$2 != "'"${LADDRS[0]}"'"' <<<"$out" | head -3)
[ -z "$bad" ] || fail "a real server saw a peer other than the LADDR: $bad"
assert_eq "conns counter" 300 "$(rvs_stat conns)"
[ "$(rvs_stat in_pkts)" -gt 900 ] || fail "in_pkts $(rvs_stat in_pkts)"
[ "$(rvs_stat out_pkts)" -gt 600 ] || fail "out_pkts $(rvs_stat out_pkts)"
note "$(tr '\n' ' ' < /sys/module/rvs/parameters/stats)"
