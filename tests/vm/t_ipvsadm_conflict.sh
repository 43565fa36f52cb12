# rvs and the in-tree ip_vs cannot both own the generic netlink family
# "IPVS" (nor /proc/net/ip_vs): with ip_vs loaded, rvs refuses to load and
# says why; with rvs loaded, ip_vs is refused before its init runs (no
# "already registered" WARN from its /proc files); ipvsadm talks to
# whichever is loaded.
. tests/lib/lib.sh
cleanup() { modprobe -r ip_vs_rr ip_vs 2>/dev/null || true; cleanup_all; }
trap cleanup EXIT
modprobe ip_vs
if load_rvs 2>/dev/null; then fail "rvs loaded beside ip_vs"; fi
dmesg | tail -5 | grep -q 'rvs: the generic netlink family "IPVS" is already registered (ip_vs loaded?)' \
  || fail "no message about the family: $(dmesg | tail -3)"
# ipvsadm talks to ip_vs (whose table size is not rvs's 2^20).
first=$(ipvsadm -Ln | sed -n 1p)
case "$first" in
  "IP Virtual Server version 1.2.1 (size=1048576)") fail "ipvsadm reached rvs" ;;
  "IP Virtual Server version "*) ;;
  *) fail "ipvsadm does not reach ip_vs: $first" ;;
esac
modprobe -r ip_vs
load_rvs
modprobe ip_vs 2>/dev/null || true
grep -q '^ip_vs ' /proc/modules && fail "ip_vs loaded beside rvs"
dmesg | tail -5 | grep -q 'rvs: ip_vs cannot load while rvs holds the "IPVS" family' || fail "no message about ip_vs"
ipvsadm -A -t 192.0.2.100:80 -s rr
assert_eq "rvs answers" "TCP  192.0.2.100:80 rr" "$(ipvsadm -Ln | grep ^TCP)"
grep -q "svc tcp 192.0.2.100:80 rr" /sys/module/rvs/parameters/stats || fail "service not in rvs"
ipvsadm -C
unload_rvs
