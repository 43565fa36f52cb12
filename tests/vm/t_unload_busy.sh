# rmmod while a transfer runs and connections are in the table: no crash,
# no leak, no warning (the harness checks the kernel log and kmemleak).
. tests/lib/lib.sh
fullnat_setup 2
# The closed connections stay in the table until the unload (TIME_WAIT's
# 7 s could pass while they are made on a loaded machine).
sysctl -qw net.ipv4.vs.timeout_time_wait=120
client peers "$VIP" 80 20 >/dev/null
client download "$VIP" 80 100000000 >/dev/null 2>&1 &
dl=$!
sleep 3
# Most of the closed ones wait in TIME_WAIT; the last may still be closing
# (FIN_WAIT's timeout is a few seconds): not all 21 need be there.
[ "$(rvs_stat conns_now)" -ge 11 ] || fail "expected live connections, have $(rvs_stat conns_now)"
unload_rvs
grep -q '^rvs ' /proc/modules && fail "rvs still loaded"
wait "$dl" || true
note "unloaded with traffic in flight"
