# rmmod while a transfer runs and connections are in the table: no crash,
# no leak, no warning (the harness checks the kernel log and kmemleak).
. tests/lib/lib.sh
fullnat_setup 2
client peers "$VIP" 80 20 >/dev/null
client download "$VIP" 80 100000000 >/dev/null 2>&1 &
dl=$!
sleep 3
[ "$(rvs_stat conns_now)" -ge 21 ] || fail "expected live connections"
unload_rvs
grep -q '^rvs ' /proc/modules && fail "rvs still loaded"
wait "$dl" || true
note "unloaded with traffic in flight"
