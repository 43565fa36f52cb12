# Connection thresholds (ipvsadm -x/-y), upstream's rule: a real server
# whose connections (active + inactive) reach its upper threshold takes no
# new connection; it takes them again once under its lower threshold (or,
# without one, under 3/4 of the upper); raising the upper threshold lifts
# the overload at once.
# rs1 has -x 2, rs2 none, rr: of 6 connections held at once rs1 gets
# exactly 2 and rs2 the other 4; new connections then all go to rs2; once
# the held ones are closed and expired, rs1 takes connections again.
# The real servers are NAT ones (-m): thresholds count connections
# whatever the method.
. tests/lib/lib.sh
trap cleanup_all EXIT
topo_up 2
load_rvs
RS1=$(rs_addr 1) RS2=$(rs_addr 2)
nsx d ipvsadm -A -t "$VIP:80" -s rr
nsx d ipvsadm -a -t "$VIP:80" -r "$RS1:8080" -m -w 1 -x 2
nsx d ipvsadm -a -t "$VIP:80" -r "$RS2:8080" -m -w 1
clients_via_director 2
for s in fin_wait time_wait close close_wait last_ack; do rvs_ctl set "timeout_$s" 1; done
start_servers 2 8080

conns() { # RS: its active + inactive connections, as ipvsadm lists them
  nsx d ipvsadm -Ln -t "$VIP:80" | awk -v d="$1:8080" '$1 == "->" && $2 == d {print $5 + $6}'
}
overloaded() { # RS: 1 while rs is over its threshold
  awk -v d="$1:8080" '$1 == "dest" && $2 == d {for (i = 3; i < NF; i++) if ($i == "overloaded") print $(i + 1)}' \
    /sys/module/rvs/parameters/stats
}
assert_eq "thresholds listed" "2 0" \
  "$(nsx d ipvsadm -Ln -t "$VIP:80" --thresholds | awk -v d="$RS1:8080" '$2 == d {print $3, $4}')"

coproc HOLD { client hold "$VIP" 80 6; }
read -r _ got <&"${HOLD[0]}"
assert_eq "held connections" 6 "$got"
assert_eq "rs1 at its upper threshold" 2 "$(conns "$RS1")"
assert_eq "rs2 took the rest" 4 "$(conns "$RS2")"
assert_eq "rs1 overloaded" 1 "$(overloaded "$RS1")"
out=$(client peers "$VIP" 80 4)
assert_eq "new connections while rs1 is overloaded" "0 4" \
  "$(grep -c '^rs1 ' <<<"$out") $(grep -c '^rs2 ' <<<"$out")"

# Closed and expired (1 s timeouts), rs1 falls under 3/4 of 2 and is
# available again.
exec {HOLD[1]}>&-
wait "$HOLD_PID" 2>/dev/null || true
for k in $(seq 150); do
  [ "$(overloaded "$RS1")" = 0 ] && break
  sleep 0.2
done
assert_eq "rs1 no longer overloaded" 0 "$(overloaded "$RS1")"
[ "$(conns "$RS1")" -le 1 ] || fail "rs1 lifted with $(conns "$RS1") connections"
out=$(client peers "$VIP" 80 2)
assert_eq "rs1 takes connections again" "1 1" \
  "$(grep -c '^rs1 ' <<<"$out") $(grep -c '^rs2 ' <<<"$out")"

# Lower threshold: -x 1 -y 1 overloads rs1 with its next connection (the
# one above is closing and still counted); raising -x lifts it at once.
for k in $(seq 150); do [ "$(conns "$RS1")" = 0 ] && break; sleep 0.2; done
nsx d ipvsadm -e -t "$VIP:80" -r "$RS1:8080" -m -w 1 -x 1 -y 1
client peers "$VIP" 80 2 >/dev/null
assert_eq "rs1 overloaded again at -x 1" 1 "$(overloaded "$RS1")"
nsx d ipvsadm -e -t "$VIP:80" -r "$RS1:8080" -m -w 1 -x 5 -y 1
assert_eq "raising the upper threshold lifts it" 0 "$(overloaded "$RS1")"
