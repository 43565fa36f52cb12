# The kernel's own IPVS selftest, tools/testing/selftests/net/netfilter/
# ipvs.sh of the prepared kernel tree (DR, NAT and TUN through stock
# ipvsadm, a socat transfer compared byte for byte), passes with rvs
# loaded instead of ip_vs. It is run as the tree has it, with its
# addresses moved into the documentation ranges (its 10.0.0.0/24,
# 172.16.0.0/24 and 207.175.44.110 become 192.0.2.0/24, 198.51.100.0/24
# and 203.0.113.110): nothing else is changed. Its namespaces are its
# own (lib.sh's setup_ns), removed by its own cleanup.
. tests/lib/lib.sh
kdir=${RVS_KDIR:-$(cat build/debug/.kdir)} || fail "no prepared kernel tree (RVS_KDIR, build/debug/.kdir)"
src=$kdir/source/tools/testing/selftests/net
[ -f "$src/netfilter/ipvs.sh" ] || fail "no ipvs.sh in $src/netfilter"
w=$(mktemp -d /tmp/rvs-ipvs-sh.XXXXXX)
trap 'cleanup_all; rm -rf "$w"' EXIT
mkdir -p "$w/net/netfilter"
cp "$src/lib.sh" "$w/net/lib.sh"
cp "$src/netfilter/lib.sh" "$src/netfilter/ipvs.sh" "$w/net/netfilter/"
sed -i -e 's/207\.175\.44\.110/203.0.113.110/g' -e 's/\b10\.0\.0\./192.0.2./g' -e 's/\b172\.16\.0\./198.51.100./g' \
  "$w/net/netfilter/ipvs.sh"
# Every address it uses is now a documentation one.
left=$(grep -oE '\b[0-9]{1,3}(\.[0-9]{1,3}){3}\b' "$w/net/netfilter/ipvs.sh" | grep -vE '^(192\.0\.2|198\.51\.100|203\.0\.113)\.' | sort -u | paste -sd' ' || true)
[ -z "$left" ] || fail "addresses outside the documentation ranges left in ipvs.sh: $left"
load_rvs
# The test loads ip_vs only when net.ipv4.vs is missing: rvs has it.
[ -d /proc/sys/net/ipv4/vs ] || fail "rvs gives no net.ipv4.vs"
out=$(cd "$w/net/netfilter" && bash ./ipvs.sh 2>&1) || fail "ipvs.sh failed:
$out"
note "$out"
grep -q "Testing Tunnel mode" <<<"$out" && grep -q "ipvs.sh: .*PASS" <<<"$out" || fail "ipvs.sh did not run all its modes: $out"
grep -q '^ip_vs ' /proc/modules && fail "ip_vs got loaded: the test did not run on rvs"
grep -q '^rvs ' /proc/modules || fail "rvs is gone"
echo "ipvs.sh ok"
