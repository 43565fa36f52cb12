# A full connection table (max_conns=5) refuses new connections and counts
# them; the connections already in it keep working.
. tests/lib/lib.sh
fullnat_setup 1 rr max_conns=5
coproc HOLD { client hold "$VIP" 80 6; }
read -r -t 120 word n <&"${HOLD[0]}" || fail "no answer from the hold client"
assert_eq "answered connections" 5 "$n"
[ "$(rvs_stat drop_table_full)" -ge 1 ] || fail "drop_table_full not counted"
assert_eq "connections in the table" 5 "$(rvs_stat conns_now)"
