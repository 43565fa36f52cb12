# vm-tcg: single
# Both modules load and unload cleanly 20 times in a row; each load and
# unload is logged with the version.
. tests/lib/lib.sh
ver=$(sed -n 's/^pub const VERSION: &str = "\(.*\)";/\1/p' core/src/version.rs)
before_loaded=$(dmesg | grep -c "rvs $ver loaded" || true)
before_toa=$(dmesg | grep -c "toa $ver loaded" || true)
for i in $(seq 20); do
  load_rvs
  grep -q '^rvs ' /proc/modules || fail "rvs not in /proc/modules after insmod #$i"
  load_toa
  grep -q '^toa ' /proc/modules || fail "toa not in /proc/modules after insmod #$i"
  unload_toa
  unload_rvs
  grep -qE '^(rvs|toa) ' /proc/modules && fail "a module is still loaded after rmmod #$i"
done
assert_eq "rvs load messages" 20 $(( $(dmesg | grep -c "rvs $ver loaded") - before_loaded ))
assert_eq "toa load messages" 20 $(( $(dmesg | grep -c "toa $ver loaded") - before_toa ))
note "20 load/unload cycles of rvs and toa"
