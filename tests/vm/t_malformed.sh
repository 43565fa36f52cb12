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
