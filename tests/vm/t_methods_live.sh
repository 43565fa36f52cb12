# NAT, direct routing and tunnelling under change, one service each
# (VIP:81 masquerading to port 8080, VIP:80 direct routing, VIP:82 IPIP):
# - malformed TCP segments toward each are dropped and counted, create no
#   connection, and the service goes on;
# - with GRO on at the director's ports (as directors run: aggregated
#   packets come to rvs whole, both ways for NAT), all real servers
#   removed while an upload, a download and an echo connection run
#   halfway through each service: new connections find no
#   real server, the running ones finish intact (sha256) through the
#   removed servers, as upstream (expire_nodest_conn off, the default);
# - rvs unloaded while downloads run through all three: no crash, no leak,
#   no warning (the harness reads the kernel log and kmemleak).
. tests/lib/lib.sh
trap cleanup_all EXIT
topo_up 2
load_rvs
own_vip_servers 2
start_servers 2 8080
modprobe ipip
for i in 1 2; do
  nsx "rs$i" sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0
  nsx "rs$i" ip link set tunl0 up
  nsx "rs$i" sysctl -qw net.ipv4.conf.tunl0.rp_filter=0
  nsx "rs$i" python3 tests/lib/tcpsrv.py "rs$i" "$VIP" 82 &
done
for i in 1 2; do wait_port "rs$i" "$VIP" 82; done
add_servers() {
  local i
  for i in 1 2; do
    nsx d ipvsadm -a -t "$VIP:80" -r "$(rs_addr "$i")" -g
    nsx d ipvsadm -a -t "$VIP:81" -r "$(rs_addr "$i"):8080" -m
    nsx d ipvsadm -a -t "$VIP:82" -r "$(rs_addr "$i")" -i
  done
}
for p in 80 81 82; do nsx d ipvsadm -A -t "$VIP:$p" -s rr; done
add_servers
declare -A METHOD=([80]=Route [81]=Masq [82]=Tunnel)

# Malformed segments: dropped and counted whatever the method.
for p in 80 81 82; do
  m0=$(rvs_stat drop_malformed) c0=$(rvs_stat conns)
  n=$(nsx c python3 tests/lib/rawpkt.py malformed "$CLIENT" "$VIP" "$p")
  # The truncated one may be refused by the stack's own IP checks first.
  for _ in $(seq 50); do [ $(( $(rvs_stat drop_malformed) - m0 )) -ge $((n - 1)) ] && break; sleep 0.1; done
  d=$(( $(rvs_stat drop_malformed) - m0 ))
  [ "$d" -ge $((n - 1)) ] || fail "${METHOD[$p]}: $d of $n malformed segments counted"
  assert_eq "${METHOD[$p]}: connections made by malformed segments" "$c0" "$(rvs_stat conns)"
  out=$(client peers "$VIP" "$p" 2)
  assert_eq "${METHOD[$p]}: the service after malformed input" 2 "$(awk -v c="$CLIENT" '$2 == c' <<<"$out" | wc -l)"
done

for dev in d0 d1 d2; do nsx d ethtool -K "$dev" gro on >/dev/null 2>&1 || fail "cannot turn GRO on for $dev"; done
nsx d ethtool -k d1 | grep -q 'generic-receive-offload: on' || fail "GRO is not on"

# Removal under traffic. (The transfers are larger than what the
# sockets' buffers hold: the real server cannot have sent its last byte,
# and closed, before the client reads on.)
declare -A FD PID
OUT=$(mktemp -d /tmp/midway.XXXXXX)
for p in 80 81 82; do
  mkfifo "$OUT/in$p"
  nsx c python3 tests/lib/midway.py "$VIP" "$p" 32000000 < "$OUT/in$p" > "$OUT/out$p" 2>&1 &
  PID[$p]=$!
  exec {fd}> "$OUT/in$p"
  FD[$p]=$fd
done
for p in 80 81 82; do
  for _ in $(seq 300); do grep -q '^half$' "$OUT/out$p" && break; sleep 0.1; done
  grep -q '^half$' "$OUT/out$p" || fail "${METHOD[$p]}: transfers did not get halfway: $(cat "$OUT/out$p")"
done
for p in 80 81 82; do
  for i in 1 2; do
    nsx d ipvsadm -d -t "$VIP:$p" -r "$(rs_addr "$i"):$([ "$p" = 81 ] && echo 8080 || echo "$p")"
  done
done
nd0=$(rvs_stat drop_no_dest)
for p in 80 81 82; do
  assert_eq "${METHOD[$p]}: real servers left" "" "$(nsx d ipvsadm -Ln -t "$VIP:$p" | awk '$1 == "->" && $2 != "RemoteAddress:Port"')"
  if nsx c timeout 3 python3 tests/lib/client.py peers "$VIP" "$p" 1 > /dev/null 2>&1; then
    fail "${METHOD[$p]}: a new connection with no real server left"
  fi
  # The three running connections are still in the table.
  running=$(nsx d ipvsadm -Lnc | awk -v v="$VIP:$p" '$5 == v && $3 == "ESTABLISHED"' | wc -l)
  [ "$running" = 3 ] || fail "${METHOD[$p]}: running connections listed: $running of 3: $(nsx d ipvsadm -Lnc)"
done
[ "$(rvs_stat drop_no_dest)" -gt "$nd0" ] || fail "drop_no_dest did not count"
for p in 80 81 82; do
  echo go >&"${FD[$p]}"
  exec {FD[$p]}>&-
done
for p in 80 81 82; do
  wait "${PID[$p]}" || fail "${METHOD[$p]}: after the removal: $(grep -v '^half$' "$OUT/out$p" | paste -sd' ')"
  note "${METHOD[$p]}: $(grep -v '^half$' "$OUT/out$p" | paste -sd' ')"
done
rm -rf "$OUT"

# Unload under traffic.
add_servers
for p in 80 81 82; do
  client download "$VIP" "$p" 2000000000 > /dev/null 2>&1 &
done
for _ in $(seq 100); do
  [ "$(nsx d ipvsadm -Lnc | awk '$3 == "ESTABLISHED"' | wc -l)" -ge 3 ] && break
  sleep 0.1
done
# Packets are flowing when the module goes.
i0=$(rvs_stat in_pkts)
for _ in $(seq 50); do [ "$(rvs_stat in_pkts)" -gt $((i0 + 100)) ] && break; sleep 0.1; done
[ "$(rvs_stat in_pkts)" -gt $((i0 + 100)) ] || fail "no traffic through rvs to unload under"
unload_rvs
grep -q '^rvs ' /proc/modules && fail "rvs still loaded"
note "unloaded with downloads through NAT, DR and TUN"
