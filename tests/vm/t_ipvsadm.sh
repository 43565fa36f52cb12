# Debian's stock ipvsadm manages rvs through the generic netlink family
# "IPVS": add (-A, -a -m), edit (-E, -e), list (-Ln, --stats, --rate,
# --exact, --thresholds, --timeout) with exact output, save and restore
# (-S | -R) round trip, zero (-Z), delete (-D, -d), flush (-C); refusals
# (GUE remote checksum offload, fwmark, unknown scheduler, duplicates,
# unknown entries)
# fail. Then
# traffic: a FULLNAT service set up with ipvsadm (-m under the
# namespace's masq_as_fullnat switch, local address through the family's
# NEW_LADDR) carries connections, which ipvsadm --stats and GET_LADDR
# count.
. tests/lib/lib.sh
trap cleanup_all EXIT
topo_up 2
load_rvs
RS1=$(rs_addr 1) RS2=$(rs_addr 2)
lst() { nsx d ipvsadm "$@" | sed 's/ *$//'; }
hdr="IP Virtual Server version 1.2.1 (size=1048576)
Prot LocalAddress:Port Scheduler Flags
  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn"
assert_eq "empty list" "$hdr" "$(lst -Ln)"

nsx d ipvsadm -A -t "$VIP:80" -s rr
nsx d ipvsadm -a -t "$VIP:80" -r "$RS1:8080" -m -w 2
nsx d ipvsadm -a -t "$VIP:80" -r "$RS2:8080" -m -w 3 -x 100 -y 10
nsx d ipvsadm -A -u "$VIP:53" -s wlc -p 60
assert_eq "list" "$hdr
TCP  $VIP:80 rr
  -> $RS1:8080           Masq    2      0          0
  -> $RS2:8080           Masq    3      0          0
UDP  $VIP:53 wlc persistent 60" "$(lst -Ln)"
assert_eq "thresholds" "  -> $RS2:8080           100        10         0          0" \
  "$(lst -Ln --thresholds | grep "$RS2")"
assert_eq "one service" "TCP  $VIP:80 rr" "$(lst -Ln -t "$VIP:80" | grep ^TCP)"

# Refusals: ipvsadm exits non-zero (its messages are generic; rvs's
# extack messages are checked by ipvsnl.py errors below).
if nsx d ipvsadm -a -t "$VIP:80" -r "$(rs_addr 3):8080" -i --tun-type gue --tun-port 6080 --tun-remcsum 2>/dev/null; then fail "GUE remote checksum offload accepted"; fi
if nsx d ipvsadm -A -f 5 -s rr 2>/dev/null; then fail "fwmark service accepted"; fi
assert_eq "unknown scheduler" "Scheduler or persistence engine not found" "$(nsx d ipvsadm -A -t "$VIP:81" -s xyz 2>&1 || true)"
assert_eq "duplicate service" "Service already exists" "$(nsx d ipvsadm -A -t "$VIP:80" -s rr 2>&1 || true)"
assert_eq "duplicate dest" "Destination already exists" "$(nsx d ipvsadm -a -t "$VIP:80" -r "$RS1:8080" -m 2>&1 || true)"
# ipvsadm's default sync interface (eth0) is not in this namespace.
if nsx d ipvsadm --start-daemon master 2>/dev/null; then fail "a sync master on a missing interface accepted"; fi
nsx d python3 tests/lib/ipvsnl.py errors || fail "refusals"

# Edit.
nsx d ipvsadm -E -t "$VIP:80" -s wrr
nsx d ipvsadm -e -t "$VIP:80" -r "$RS1:8080" -m -w 5
assert_eq "edited" "TCP  $VIP:80 wrr
  -> $RS1:8080           Masq    5      0          0" "$(lst -Ln -t "$VIP:80" | grep -E "^TCP|$RS1")"

# Save, flush, restore: the same rules.
saved=$(nsx d ipvsadm -S -n)
assert_eq "save" "-A -t $VIP:80 -s wrr
-a -t $VIP:80 -r $RS1:8080 -m -w 5
-a -t $VIP:80 -r $RS2:8080 -m -w 3
-A -u $VIP:53 -s wlc -p 60" "$saved"
nsx d ipvsadm -C
assert_eq "flushed" "$hdr" "$(lst -Ln)"
nsx d ipvsadm -R <<<"$saved"
assert_eq "restored" "$saved" "$(nsx d ipvsadm -S -n)"

# Timeouts map onto rvs's settings.
nsx d ipvsadm --set 900 120 300
assert_eq "timeouts" "Timeout (tcp tcpfin udp): 900 120 300" "$(nsx d ipvsadm -L --timeout)"

# Delete.
nsx d ipvsadm -d -t "$VIP:80" -r "$RS2:8080"
assert_eq "dest gone" "No such destination" "$(nsx d ipvsadm -d -t "$VIP:80" -r "$RS2:8080" 2>&1 || true)"
nsx d ipvsadm -D -u "$VIP:53"
assert_eq "service gone" "No such service" "$(nsx d ipvsadm -D -u "$VIP:53" 2>&1 || true)"
assert_eq "after deletes" "-A -t $VIP:80 -s wrr
-a -t $VIP:80 -r $RS1:8080 -m -w 5" "$(nsx d ipvsadm -S -n)"

# Traffic through a service configured with ipvsadm only: -m gives
# FULLNAT real servers under the switch.
nsx d ipvsadm -C
nsx d sysctl -qw net.ipv4.vs.masq_as_fullnat=1
nsx d ipvsadm -A -t "$VIP:80" -s rr
nsx d ipvsadm -a -t "$VIP:80" -r "$RS1:8080" -m -w 1
nsx d ipvsadm -a -t "$VIP:80" -r "$RS2:8080" -m -w 1
nsx d python3 tests/lib/ipvsnl.py add-laddr tcp "$VIP:80" "${LADDRS[1]}"
if nsx d python3 tests/lib/ipvsnl.py add-laddr tcp "$VIP:80" "${LADDRS[1]}" 2>/dev/null; then fail "duplicate LADDR accepted"; fi
start_servers 2 8080
out=$(client peers "$VIP" 80 20)
assert_eq "rs1 connections" 10 "$(grep -c "^rs1 ${LADDRS[1]} " <<<"$out" || true)"
assert_eq "rs2 connections" 10 "$(grep -c "^rs2 ${LADDRS[1]} " <<<"$out" || true)"
st=$(nsx d ipvsadm -Ln --stats --exact)
note "$st"
read -r _ _ conns inpkts outpkts inbytes outbytes < <(grep "^TCP  $VIP:80 " <<<"$st")
assert_eq "service conns" 20 "$conns"
[ "$inpkts" -ge 80 ] && [ "$outpkts" -ge 60 ] || fail "packets $inpkts/$outpkts"
[ "$inbytes" -gt 0 ] && [ "$outbytes" -gt 0 ] || fail "bytes $inbytes/$outbytes"
for rs in "$RS1" "$RS2"; do
  assert_eq "$rs conns" 10 "$(awk -v a="$rs:8080" '$2 == a {print $3}' <<<"$st")"
done
assert_eq "laddr" "${LADDRS[1]} conflicts 0 conns" "$(nsx d python3 tests/lib/ipvsnl.py get-laddr tcp "$VIP:80" | awk '{print $1, $2, $3, $4}')"
assert_eq "laddr conns (text)" 20 "$(grep "  laddr ${LADDRS[1]} " /sys/module/rvs/parameters/stats | awk '{for (k=1;k<NF;k++) if ($k=="conns") print $(k+1)}')"
# A held connection is active on its real server.
coproc HOLD { nsx c python3 tests/lib/client.py hold "$VIP" 80 1; }
read -r _ got <&"${HOLD[0]}"
assert_eq "held" 1 "$got"
assert_eq "active conns" 1 "$(nsx d ipvsadm -Ln | awk '$1 == "->" && $2 ~ /8080/ {s += $5} END {print s}')"
exec {HOLD[1]}>&-
wait "$HOLD_PID" 2>/dev/null || true

# Zero: counters of the service and its real servers restart.
nsx d ipvsadm -Z -t "$VIP:80"
assert_eq "zeroed" "0 0 0" "$(nsx d ipvsadm -Ln --stats --exact | awk '/^TCP|8080/ {printf "%s%s", s, $3; s=" "}')"
client peers "$VIP" 80 2 >/dev/null
assert_eq "after zero" 2 "$(nsx d ipvsadm -Ln --stats --exact | awk '/^TCP/ {print $3}')"
nsx d python3 tests/lib/ipvsnl.py del-laddr tcp "$VIP:80" "${LADDRS[1]}"
assert_eq "laddr removed" "" "$(nsx d python3 tests/lib/ipvsnl.py get-laddr tcp "$VIP:80")"
nsx d ipvsadm -C
assert_eq "flushed at end" "$hdr" "$(lst -Ln)"
