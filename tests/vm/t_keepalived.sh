# Stock keepalived (Debian's, unpatched, its health checker alone) runs
# the director on rvs as it runs one on ip_vs: from its configuration it
# makes a NAT service (VIP:81, lb_kind NAT) and a direct-routing one
# (VIP:80, lb_kind DR) over the same two real servers, each checked by
# TCP_CHECK; traffic goes through both (the real servers see the client
# itself); a real server whose check fails is taken out of both services
# and, once it answers again, put back; a reload (SIGHUP) that changes a
# weight, adds a service and removes another converges to the new
# configuration; stopping keepalived removes what it made. Then, with the
# namespace's masq_as_fullnat switch and a default LADDR pool, the same
# lb_kind NAT configuration gives FULLNAT services, the real servers
# seeing the pool's LADDR.
. tests/lib/lib.sh
command -v keepalived >/dev/null || fail "keepalived is not installed (scripts/install-deps)"
dir=$(mktemp -d /tmp/rvs-ka.XXXXXX)
ka_pid=
# keepalived's own process (its pid file; $ka_pid is the shell around it).
ka_main() { cat "$dir/ka.pid"; }
stop_ka() {
  [ -n "$ka_pid" ] || return 0
  kill "$(ka_main 2>/dev/null)" 2>/dev/null || kill "$ka_pid" 2>/dev/null || true
  # Nothing of it outlives the test; what does not stop in 10 s is killed.
  for _ in $(seq 100); do pgrep -f "keepalived -C -n -l -f $dir/" > /dev/null || break; sleep 0.1; done
  pkill -9 -f "keepalived -C -n -l -f $dir/" 2>/dev/null || true
  wait "$ka_pid" 2>/dev/null || true
  ka_pid=
}
trap 'stop_ka; cleanup_all; rm -rf "$dir"' EXIT
topo_up 2
load_rvs
own_vip_servers 2
start_servers 2 8080
RS1=$(rs_addr 1) RS2=$(rs_addr 2)

# conf W2 EXTRA: the configuration, rs2's weight on the NAT service W2,
# and EXTRA: "dr" for the direct-routing service, "udp" for a NAT UDP one.
conf() {
  local w2=$1 extra=$2 i
  echo "global_defs { router_id rvs-test }"
  echo "virtual_server $VIP 81 {
  delay_loop 1
  lb_algo wrr
  lb_kind NAT
  protocol TCP"
  for i in 1 2; do
    echo "  real_server $(rs_addr "$i") 8080 {
    weight $([ "$i" = 2 ] && echo "$w2" || echo 1)
    TCP_CHECK { connect_timeout 1 retry 1 delay_before_retry 1 }
  }"
  done
  echo "}"
  if [ "$extra" = dr ]; then
    echo "virtual_server $VIP 80 {
  delay_loop 1
  lb_algo wrr
  lb_kind DR
  protocol TCP"
    for i in 1 2; do
      echo "  real_server $(rs_addr "$i") 80 {
    weight 2
    TCP_CHECK { connect_port 8080 connect_timeout 1 retry 1 delay_before_retry 1 }
  }"
    done
    echo "}"
  else
    echo "virtual_server $VIP 53 {
  delay_loop 1
  lb_algo rr
  lb_kind NAT
  protocol UDP
  real_server $RS2 5353 {
    weight 1
    TCP_CHECK { connect_port 8080 connect_timeout 1 }
  }
}"
  fi
}
# ipvsadm -S -n, its lines sorted (the order of services is the kernel's).
saved() { nsx d ipvsadm -S -n | LC_ALL=C sort; }
# until_saved WHAT EXPECTED: waits (30 s at most) for ipvsadm -S -n to
# show EXPECTED's lines.
until_saved() {
  local k want
  want=$(LC_ALL=C sort <<<"$2")
  for k in $(seq 300); do [ "$(saved)" = "$want" ] && return 0; sleep 0.1; done
  fail "$1: expected
$want
got
$(saved)
keepalived said: $(tail -20 "$dir/ka.log")"
}

conf 1 dr > "$dir/keepalived.conf"
nsx d keepalived -C -n -l -f "$dir/keepalived.conf" -p "$dir/ka.pid" -c "$dir/ka-c.pid" > "$dir/ka.log" 2>&1 &
ka_pid=$!
both="-A -t $VIP:80 -s wrr
-a -t $VIP:80 -r $RS1:80 -g -w 2
-a -t $VIP:80 -r $RS2:80 -g -w 2
-A -t $VIP:81 -s wrr
-a -t $VIP:81 -r $RS1:8080 -m -w 1
-a -t $VIP:81 -r $RS2:8080 -m -w 1"
until_saved "the services keepalived made" "$both"

for port in 80 81; do
  out=$(client peers "$VIP" "$port" 4)
  assert_eq "VIP:$port: both real servers, each twice" "2 2" "$(grep -c '^rs1 ' <<<"$out") $(grep -c '^rs2 ' <<<"$out")"
  assert_eq "VIP:$port: the real server sees the client itself" 4 "$(awk -v c="$CLIENT" '$2 == c' <<<"$out" | wc -l)"
done
client download "$VIP" 81 1000000 | grep -q ' ok$' || fail "download through keepalived's NAT service corrupted"

# rs1's checked server stops: keepalived takes rs1 out of both services;
# everything goes to rs2. It comes back: rs1 is put back.
pkill -f "tcpsrv.py rs1 $RS1 8080" || fail "no server to stop on rs1"
until_saved "rs1 out after its check failed" "-A -t $VIP:80 -s wrr
-a -t $VIP:80 -r $RS2:80 -g -w 2
-A -t $VIP:81 -s wrr
-a -t $VIP:81 -r $RS2:8080 -m -w 1"
assert_eq "all to rs2" "rs2 rs2 rs2" "$(client peers "$VIP" 81 3 | awk '{print $1}' | paste -sd' ')"
nsx rs1 python3 tests/lib/tcpsrv.py rs1 "$RS1" 8080 &
until_saved "rs1 back once it answers" "$both"

# A reload: rs2's weight on VIP:81 changes, the DR service goes, a NAT
# UDP service comes.
conf 3 udp > "$dir/keepalived.conf"
kill -HUP "$(ka_main)"
until_saved "after the reload" "-A -u $VIP:53 -s rr
-a -u $VIP:53 -r $RS2:5353 -m -w 1
-A -t $VIP:81 -s wrr
-a -t $VIP:81 -r $RS1:8080 -m -w 1
-a -t $VIP:81 -r $RS2:8080 -m -w 3"
out=$(client peers "$VIP" 81 8)
assert_eq "weights 1:3 after the reload" "2 6" "$(grep -c '^rs1 ' <<<"$out") $(grep -c '^rs2 ' <<<"$out")"

stop_ka
assert_eq "keepalived's services gone with it" "" "$(saved)"

# With the namespace's masq_as_fullnat switch and a default LADDR pool,
# the same lb_kind NAT configuration gives FULLNAT real servers (listed
# as Masq all the same) that leave from the pool's LADDR.
nsx d sysctl -qw net.ipv4.vs.masq_as_fullnat=1
nsx d "$RVSADM" -P -t 0.0.0.0:0 -z "${LADDRS[2]}"
conf 1 dr > "$dir/keepalived.conf"
nsx d keepalived -C -n -l -f "$dir/keepalived.conf" -p "$dir/ka.pid" -c "$dir/ka-c.pid" > "$dir/ka.log" 2>&1 &
ka_pid=$!
until_saved "keepalived's services under the switch" "$both"
out=$(client peers "$VIP" 81 4)
assert_eq "lb_kind NAT under the switch: the real servers see the pool's LADDR" 4 "$(awk -v l="${LADDRS[2]}" '$2 == l' <<<"$out" | wc -l)"
stop_ka
echo "keepalived ok"
