# /proc/net/ip_vs, /proc/net/ip_vs_stats and /proc/net/ip_vs_conn in
# upstream's formats: the service table (FULLNAT real servers show
# "FullNat", -m ones "Masq"), the totals in hex, and the connections, which
# `ipvsadm -Lnc` lists. Each namespace's files show its own services and
# connections only: the client's namespace has the files, empty.
. tests/lib/lib.sh
fullnat_setup 2
nsx d ipvsadm -a -t "$VIP:80" -r "$(rs_addr 3):8080" -m -w 0
expect="IP Virtual Server version 1.2.1 (size=1048576)
Prot LocalAddress:Port Scheduler Flags
  -> RemoteAddress:Port Forward Weight ActiveConn InActConn
TCP  C0000264:0050 rr
  -> C633640B:1F90      FullNat 1      0          0
  -> C633640C:1F90      FullNat 1      0          0
  -> C633640D:1F90      Masq    0      0          0"
assert_eq "/proc/net/ip_vs" "$expect" "$(nsx d sed 's/ *$//' /proc/net/ip_vs)"
client peers "$VIP" 80 6 >/dev/null
read -r conns inpkts _ < <(nsx d sed -n 3p /proc/net/ip_vs_stats)
assert_eq "total conns (hex)" 6 "$((16#$conns))"
[ "$((16#$inpkts))" -ge 24 ] || fail "in packets $inpkts"
assert_eq "stats header" "   Total Incoming Outgoing         Incoming         Outgoing" "$(nsx d sed -n 1p /proc/net/ip_vs_stats)"
# A held connection in ip_vs_conn and in ipvsadm -Lnc.
coproc HOLD { nsx c python3 tests/lib/client.py hold "$VIP" 80 1; }
read -r _ got <&"${HOLD[0]}"
assert_eq "held" 1 "$got"
line=$(nsx d grep ' ESTABLISHED ' /proc/net/ip_vs_conn)
read -r pro caddr _ vaddr vport daddr dport state exp <<<"$line"
assert_eq "conn line" "TCP C0000202 C0000264 0050 1F90 ESTABLISHED" "$pro $caddr $vaddr $vport $dport $state"
case "$daddr" in C633640B|C633640C) ;; *) fail "destination $daddr" ;; esac
[ "$exp" -gt 0 ] && [ "$exp" -le 90 ] || fail "expires $exp"
assert_eq "ip_vs_conn header" "Pro FromIP   FPrt ToIP     TPrt DestIP   DPrt State       Expires PEName PEData" "$(nsx d head -1 /proc/net/ip_vs_conn)"
lnc=$(nsx d ipvsadm -Lnc | grep ESTABLISHED)
# The client's namespace (and the initial one) see neither the service nor
# the connection.
for ns in "nsx c" ""; do
  assert_eq "services elsewhere ($ns)" 3 "$($ns cat /proc/net/ip_vs | wc -l)"
  assert_eq "connections elsewhere ($ns)" 1 "$($ns cat /proc/net/ip_vs_conn | wc -l)"
  read -r conns _ < <($ns sed -n 3p /proc/net/ip_vs_stats)
  assert_eq "totals elsewhere ($ns)" 0 "$((16#$conns))"
done
note "$lnc"
grep -qE "^TCP +[0-9]+:[0-9]+ +ESTABLISHED +$CLIENT:[0-9]+ +$VIP:80 +198\.51\.100\.1[12]:8080$" <<<"$lnc" || fail "ipvsadm -Lnc: $lnc"
exec {HOLD[1]}>&-
wait "$HOLD_PID" 2>/dev/null || true
