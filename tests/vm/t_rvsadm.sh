# rvsadm drives rvs.ko through the "IPVS" generic netlink family: a FULLNAT
# service with two real servers (-b), two local addresses (-P -z) and the
# SYNPROXY flag (-j enable), all set up by rvsadm alone; 20 connections flow
# over both servers, each of which sees only LADDRs as peers; -L shows
# FullNat and synproxy, --stats counts the connections, -G lists both LADDRs
# with their connection counts, -S | -C | -R rebuilds the same table, -Q and
# -D remove what -P and -A added.
# Until rvs.ko registers the family this test skips (exit 0).
. tests/lib/lib.sh
trap cleanup_all EXIT
[ -x "$RVSADM" ] || fail "no rvsadm binary at $RVSADM"
# The kernel's ip_vs would own the "IPVS" family name.
! grep -q "^ip_vs " /proc/modules || modprobe -r ip_vs
topo_up 2
load_rvs
# rvsadm runs in the director's namespace: services belong to the
# namespace that configures them.
rv() { nsx d "$RVSADM" "$@"; }
# Looking up a missing "IPVS" family makes the kernel load ip_vs (its
# module alias): then rvs has no family of its own yet.
rc=0; out=$(rv -Ln 2>&1) || rc=$?
if grep -q "^ip_vs " /proc/modules || grep -q 'family "IPVS" not found' <<<"$out"; then
  grep -q "^ip_vs " /proc/modules && modprobe -r ip_vs
  echo "# SKIP rvs has no IPVS genl family yet"
  exit 0
fi
[ "$rc" -eq 0 ] || fail "rvsadm -Ln: $out"
tmp=$(mktemp -d)

rv -A -t "$VIP:80" -s rr -j enable
rv -a -t "$VIP:80" -r "$(rs_addr 1):8080" -b
rv -a -t "$VIP:80" -r "$(rs_addr 2):8080" -b -w 1
rv -P -t "$VIP:80" -z "${LADDRS[0]}"
rv -P -t "$VIP:80" -z "${LADDRS[1]}"
rc=0; rv -P -t "$VIP:80" -z "${LADDRS[1]}" 2> "$tmp/err" || rc=$?
[ "$rc" -ne 0 ] || fail "adding the same LADDR twice succeeded"
note "duplicate LADDR: $(cat "$tmp/err")"
rc=0; rv -P -t 192.0.2.200:80 -z "${LADDRS[2]}" 2> "$tmp/err" || rc=$?
[ "$rc" -ne 0 ] || fail "adding an LADDR to no service succeeded"

rv -Ln > "$tmp/list"
cat "$tmp/list"
grep -qx "TCP  $VIP:80 rr synproxy" "$tmp/list" || fail "service line: $(cat "$tmp/list")"
for i in 1 2; do
  grep -qE "^  -> $(rs_addr "$i"):8080 +FullNat +1 +0 +0 *$" "$tmp/list" || fail "no FullNat line for rs$i"
done

start_servers 2 8080
out=$(client peers "$VIP" 80 20)
for i in 1 2; do assert_eq "connections to rs$i" 10 "$(grep -c "^rs$i " <<<"$out" || true)"; done
bad=$(awk -v a="${LADDRS[0]}" -v b="${LADDRS[1]}" '$2 != a && $2 != b' <<<"$out" | head -3)
[ -z "$bad" ] || fail "a real server saw a peer other than the LADDRs: $bad"

rv -Ln --stats > "$tmp/stats"
cat "$tmp/stats"
assert_eq "service conns" 20 "$(awk -v s="$VIP:80" '$1 == "TCP" && $2 == s {print $3}' "$tmp/stats")"
for i in 1 2; do
  assert_eq "rs$i conns" 10 "$(awk -v d="$(rs_addr "$i"):8080" '$1 == "->" && $2 == d {print $3}' "$tmp/stats")"
done

rv -G -t "$VIP:80" > "$tmp/laddrs"
cat "$tmp/laddrs"
assert_eq "-G title" "VIP:VPORT            TOTAL    LADDR                CONFLICTS  CONNS" "$(head -1 "$tmp/laddrs" | sed 's/ *$//')"
assert_eq "-G service line" "$VIP:80 2" "$(sed -n 2p "$tmp/laddrs" | awk '{print $1, $2}')"
total=0
for a in "${LADDRS[0]}" "${LADDRS[1]}"; do
  n=$(awk -v a="$a" '$1 == a {print $3}' "$tmp/laddrs")
  [ -n "$n" ] || fail "-G does not list $a"
  total=$((total + n))
done
# Connections still in TIME_WAIT count; none may exceed what was made.
[ "$total" -le 20 ] || fail "-G counts $total connections for 20"
rv -G | grep -q "^$VIP:80 " || fail "-G without a service does not list $VIP:80"

# Save, clear, restore: the same table.
rv -S -n > "$tmp/saved"
cat "$tmp/saved"
grep -qx -- "-A -t $VIP:80 -s rr -j enable" "$tmp/saved" || fail "-S lost synproxy"
grep -qx -- "-a -t $VIP:80 -r $(rs_addr 1):8080 -b -w 1" "$tmp/saved" || fail "-S lost -b"
grep -qx -- "-P -t $VIP:80 -z ${LADDRS[1]}" "$tmp/saved" || fail "-S lost the LADDRs"
cleanup_servers() { for j in $(jobs -p); do kill "$j" 2>/dev/null || true; done; wait 2>/dev/null || true; }
cleanup_servers
rv -C
assert_eq "table after -C" "" "$(rv -S -n)"
rv -R < "$tmp/saved"
rv -S -n | diff "$tmp/saved" - || fail "-S | -C | -R changed the table"

rv -Q -t "$VIP:80" -z "${LADDRS[1]}"
assert_eq "LADDRs after -Q" "$VIP:80 1" "$(rv -G -t "$VIP:80" | sed -n 2p | awk '{print $1, $2}')"
rv -E -t "$VIP:80" -s rr -j disable
rv -Ln | grep -qx "TCP  $VIP:80 rr" || fail "-j disable did not clear synproxy"
rv -D -t "$VIP:80"
assert_eq "table after -D" "" "$(rv -S -n)"
