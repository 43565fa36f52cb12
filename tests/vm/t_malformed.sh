# Malformed TCP segments toward the VIP are dropped and counted, and the
# service keeps working.
. tests/lib/lib.sh
fullnat_setup 1
n=$(nsx c python3 tests/lib/rawpkt.py malformed "$CLIENT" "$VIP" 80)
sleep 1
dropped=$(rvs_stat drop_malformed)
note "sent $n malformed, drop_malformed $dropped"
# The truncated one may be refused by the stack's own IP checks before rvs.
[ "$dropped" -ge $((n - 1)) ] || fail "only $dropped of $n malformed segments counted"
assert_eq "connections created" 0 "$(rvs_stat conns)"
client peers "$VIP" 80 3 >/dev/null || fail "service broken after malformed input"

# IPv6: the same segments toward an IPv6 VIP.
fullnat_service6 tcp 80 rr 1
start_servers6 1 8080
before=$(rvs_stat drop_malformed) conns=$(rvs_stat conns)
n=$(nsx c python3 tests/lib/rawpkt.py malformed "$CLIENT6" "$VIP6" 80)
for _ in $(seq 50); do [ $(( $(rvs_stat drop_malformed) - before )) -ge $((n - 1)) ] && break; sleep 0.1; done
dropped=$(( $(rvs_stat drop_malformed) - before ))
note "IPv6: sent $n malformed, drop_malformed +$dropped"
[ "$dropped" -ge $((n - 1)) ] || fail "IPv6: only $dropped of $n malformed segments counted"
assert_eq "IPv6: connections created" "$conns" "$(rvs_stat conns)"
client peers "$VIP6" 80 3 >/dev/null || fail "IPv6 service broken after malformed input"
