# rmmod while a transfer runs and connections are in the table: no crash,
# no leak, no warning (the harness checks the kernel log and kmemleak).
. tests/lib/lib.sh
trap cleanup_all EXIT
topo_up 2
load_rvs
fullnat_service tcp 80 rr 2
start_servers 2 8080
client peers "$VIP" 80 20 >/dev/null
client download "$VIP" 80 100000000 >/dev/null 2>&1 &
dl=$!
sleep 3
[ "$(rvs_stat conns_now)" -ge 21 ] || fail "expected live connections"
unload_rvs
grep -q '^rvs ' /proc/modules && fail "rvs still loaded"
wait "$dl" || true
note "unloaded with traffic in flight"
