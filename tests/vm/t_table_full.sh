# A full connection table (max_conns=5) refuses new connections and counts
# them; the connections already in it keep working.
. tests/lib/lib.sh
trap cleanup_all EXIT
topo_up 1
load_rvs max_conns=5
fullnat_service tcp 80 rr 1
start_servers 1 8080
coproc HOLD { client hold "$VIP" 80 6; }
read -r -t 120 word n <&"${HOLD[0]}" || fail "no answer from the hold client"
assert_eq "answered connections" 5 "$n"
[ "$(rvs_stat drop_table_full)" -ge 1 ] || fail "drop_table_full not counted"
assert_eq "connections in the table" 5 "$(rvs_stat conns_now)"
