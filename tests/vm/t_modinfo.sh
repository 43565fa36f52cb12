# modinfo shows the license, the version and a description for both modules.
. tests/lib/lib.sh
ver=$(sed -n 's/^pub const VERSION: &str = "\(.*\)";/\1/p' core/src/version.rs)
for m in rvs toa; do
  f=$RVS_MODDIR/$m.ko
  assert_eq "$m license" GPL "$(modinfo -F license "$f" | head -1)"
  assert_eq "$m version" "$ver" "$(modinfo -F version "$f")"
  desc=$(modinfo -F description "$f")
  [ -n "$desc" ] || fail "$m has no description"
  note "$m: $desc"
done
modinfo -F parm "$RVS_MODDIR/rvs.ko" | grep -q '^conn_tab_bits:' || fail "rvs has no conn_tab_bits parameter"
