# conn_tab_bits is range-checked at load: out-of-range values refuse to load
# with EINVAL, in-range ones are used.
. tests/lib/lib.sh
for bad in 7 23 100; do
  if out=$(load_rvs conn_tab_bits=$bad 2>&1); then fail "conn_tab_bits=$bad was accepted"; fi
  grep -qE 'Invalid (argument|parameters)' <<<"$out" || fail "conn_tab_bits=$bad: expected EINVAL, got: $out"
  dmesg | tail -5 | grep -q "conn_tab_bits=$bad is out of range" || fail "no message for conn_tab_bits=$bad"
done
load_rvs conn_tab_bits=8
dmesg | tail -3 | grep -q 'connection table 2^8 buckets' || fail "conn_tab_bits=8 not used"
unload_rvs
load_rvs
dmesg | tail -3 | grep -q 'connection table 2^20 buckets' || fail "default is not 2^20"
unload_rvs
