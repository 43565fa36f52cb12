# vm-tcg: single
# Connection sync, the backup's side, and a director lost under live
# connections. Director d runs the sync master (stock ipvsadm), d2 (the
# second director, director2) the backup; both have the same FULLNAT
# services, mh scheduled (VIP:80, and VIP:83 with SYNPROXY), d2 with the
# real servers added in another order, each director its own LADDR;
# toa.ko on the real servers.
# - An upload, a download and an echo connection through d on each
#   service, halfway: d2's table holds them, ESTABLISHED, toward the same
#   real servers as d's, from d's LADDR and ports.
# - Re-sync (first): with d's established timeout at 4 s, a connection through d
#   that carries a line every 0.3 s stays in d2's table well past 4 s
#   (d sends its record again every sync_refresh_period, here 1 s, while
#   its packets flow; without it d2's copy would expire).
# - The same for an IPv6 FULLNAT service ([VIP6]:80, IPv6 real servers
#   and LADDRs; its records go over the same IPv4 group).
# - d dies: its link to the client goes down and its LADDR goes; d2
#   takes the LADDR (the real servers' neighbour entries are flushed, as
#   a gratuitous ARP would update them) and the client's route moves to
#   d2. Every transfer completes intact (sha256) and every echo
#   connection goes on: no established connection is lost. The real
#   servers saw the client's own address (TOA) before and see it on new
#   connections through d2.
# - SYNPROXY: a handshake whose ACK reaches d2 is taken there only when
#   both hold the operator's cookie key (net.ipv4.vs.synproxy_cookie_key,
#   read back as a check value only).
# - A NAT record from a crafted sender makes a NAT connection; a record
#   of another sync id is ignored; one for a service d2 lacks is refused;
#   with net.ipv4.vs.sync_peers set, one from a sender outside it is
#   dropped and counted, and one from a listed sender taken.
# - 10,000 hostile datagrams (tests/lib/syncmsg.py fuzz): every one read
#   and counted, the connection synced before is still there, and the
#   kernel log stays clean (the harness checks it).
. tests/lib/lib.sh
trap cleanup_all EXIT
topo_up 3
load_rvs
load_toa
start_servers 3 8080
start_servers6 3 8080
LADDR2=198.51.100.220
director2 "$LADDR2"
for n in d d2; do
  if [ "$n" = d ]; then order="1 2 3" laddr=${LADDRS[0]}; else order="3 1 2" laddr=$LADDR2; fi
  # CLOSE_WAIT as upstream's 60 s, not Alibaba's 7: a download whose
  # server is done waits halfway longer than that.
  nsx "$n" sysctl -qw net.ipv4.vs.timeout_close_wait=60
  nsx "$n" "$RVSADM" -A -t "$VIP:80" -s mh
  nsx "$n" "$RVSADM" -A -t "$VIP:83" -s mh -j enable
  for p in 80 83; do
    for i in $order; do nsx "$n" "$RVSADM" -a -t "$VIP:$p" -r "$(rs_addr "$i"):8080" -b; done
    nsx "$n" "$RVSADM" -P -t "$VIP:$p" -z "$laddr"
  done
done
# IPv6 beside it: d2's inside address and its own IPv6 LADDR, the VIP,
# a link to the client; on both, a FULLNAT service [VIP6]:80 (mh), synced
# over the same IPv4 group as every other record.
LADDR2_6=2001:db8:1::220 D2_OUT6=2001:db8:d2::2
ip -n rvs-d2 addr add 2001:db8:1::2/64 dev e0 nodad
ip -n rvs-d2 addr add "$LADDR2_6/128" dev e0 nodad
ip -n rvs-d2 addr add "$VIP6/128" dev lo nodad
ip -n rvs-d2 addr add "$D2_OUT6/64" dev f0 nodad
ip -n rvs-c addr add 2001:db8:d2::1/64 dev c1 nodad
ip -n rvs-d2 -6 route add 2001:db8:c::/64 via 2001:db8:d2::1
nsx d2 sysctl -qw net.ipv6.conf.all.forwarding=1
for n in d d2; do
  if [ "$n" = d ]; then order="1 2 3" laddr=${LADDRS6[0]}; else order="2 3 1" laddr=$LADDR2_6; fi
  nsx "$n" "$RVSADM" -A -t "[$VIP6]:80" -s mh
  for i in $order; do nsx "$n" "$RVSADM" -a -t "[$VIP6]:80" -r "[$(rs6_addr "$i")]:8080" -b; done
  nsx "$n" "$RVSADM" -P -t "[$VIP6]:80" -z "$laddr"
done
# A NAT service on d2 only (for the crafted record).
nsx d2 ipvsadm -A -t "$VIP:81" -s rr
nsx d2 ipvsadm -a -t "$VIP:81" -r "$(rs_addr 1):8080" -m

nsx d ipvsadm --start-daemon master --mcast-interface br0 --syncid 9
nsx d2 ipvsadm --start-daemon backup --mcast-interface e0 --syncid 9
assert_eq "the backup listed" "backup sync daemon (mcast=e0, syncid=9, maxlen=1472, group=224.0.0.81, port=8848, ttl=1)" \
  "$(nsx d2 ipvsadm -L --daemon | sed 's/  */ /g')"
assert_eq "rvsadm lists it as ipvsadm does" "$(nsx d2 ipvsadm -L --daemon)" "$(nsx d2 "$RVSADM" -L --daemon)"
if out=$(nsx d2 ipvsadm --start-daemon backup --mcast-interface e0 2>&1); then fail "a second backup started"; fi
grep -qi "already" <<<"$out" || fail "a second backup: $out"
# A master beside the backup, as every director of a cluster runs.
nsx d2 ipvsadm --start-daemon master --mcast-interface e0 --syncid 9
[ "$(nsx d2 ipvsadm -L --daemon | wc -l)" = 2 ] || fail "master and backup not both listed: $(nsx d2 ipvsadm -L --daemon)"

OUT=$(mktemp -d /tmp/syncb.XXXXXX)
# listing NS PORT: "client-port real-server" of the namespace's
# ESTABLISHED connections to VIP:PORT, as stock ipvsadm lists them.
listing() {
  nsx "$1" ipvsadm -L -n -c | awk -v v="$(virt "$2")" '$3 == "ESTABLISHED" && $5 == v {n = split($4, a, ":"); print a[n], $6}' | sort
}
# virt TAG: the virtual service a transfer tag goes to, as ipvsadm lists
# it (80, 83: VIP:80, VIP:83; v6: [VIP6]:80).
virt() { case $1 in v6) echo "[$VIP6]:80" ;; *) echo "$VIP:$1" ;; esac; }
# Re-sync of a connection whose state stays (before the transfers below:
# d's short timeout would reach their copies too).
nsx d ipvsadm --set 4 0 0
nsx d sysctl -qw net.ipv4.vs.sync_refresh_period=1
u0=$(rvs_stat sync_rx_updated)
nsx c python3 -c "
import socket, time
s = socket.create_connection(('$VIP', 80), 5)
s.sendall(b'HOLD\n'); f = s.makefile(); f.readline()
print(s.getsockname()[1], flush=True)
end = time.time() + 8
while time.time() < end:
    s.sendall(b'x\n'); f.readline(); time.sleep(0.3)
print('done', flush=True)
time.sleep(30)" > "$OUT/live" &
live=$!
wait_until 30 "the live connection's 8 seconds" grep -q done "$OUT/live"
lport=$(head -1 "$OUT/live")
listing d2 80 | grep -q "^$lport " || fail "d2 lost the live connection from port $lport (its state stayed; no re-sync)"
[ "$(($(rvs_stat sync_rx_updated) - u0))" -ge 4 ] || fail "re-synced records: $(($(rvs_stat sync_rx_updated) - u0))"
note "re-synced records in 8 s: $(($(rvs_stat sync_rx_updated) - u0))"
kill "$live"
closed_on_d2() { ! listing d2 80 | grep -q "^$lport "; }
wait_until 10 "the live connection's close synced" closed_on_d2
nsx d ipvsadm --set 90 0 0
nsx d sysctl -qw net.ipv4.vs.sync_refresh_period=0

# SYNPROXY across directors: a handshake whose SYN reaches d and whose
# ACK reaches d2 (the client's route moved in between). With each its own
# random cookie key, d2 refuses d's cookie; with the operator's key on
# both, d2 takes it and the client reaches the real server through d2.
# The key is never read back, only a check value that both show alike.
# (The client's kernel knows nothing of the handshake: its RSTs, which
# carry no ACK, are dropped; sp_keep.py's own RST carries one.)
nsx c iptables-legacy -A OUTPUT -p tcp --tcp-flags RST,ACK RST -j DROP
moved() {
  nsx c python3 tests/lib/sp_keep.py --between "ip route replace $VIP/32 via $D2_OUT src $CLIENT" --say PEER \
    "$CLIENT" "$VIP" 83 "$1" 0 | awk '$1 == "reply" {print $3}'
  nsx c ip route del "$VIP/32"
}
assert_eq "the cookie key reads as random" random "$(nsx d2 sysctl -n net.ipv4.vs.synproxy_cookie_key)"
b0=$(rvs_stat synproxy_cookie_bad)
assert_eq "d's cookie at d2, keys of their own: no connection" "" "$(moved 43001)"
[ "$(($(rvs_stat synproxy_cookie_bad) - b0))" -ge 1 ] || fail "d2 did not count d's cookie as bad"
KEY=0123456789abcdef0123456789ABCDEF
for n in d d2; do nsx "$n" sysctl -qw net.ipv4.vs.synproxy_cookie_key="$KEY"; done
chk=$(nsx d sysctl -n net.ipv4.vs.synproxy_cookie_key)
grep -Eq '^shared, check [0-9a-f]{8}$' <<<"$chk" || fail "a shared key reads as '$chk'"
assert_eq "the same key, the same check value" "$chk" "$(nsx d2 sysctl -n net.ipv4.vs.synproxy_cookie_key)"
[ "$(stat -c %a /proc/sys/net/ipv4/vs/synproxy_cookie_key)" = 600 ] || fail "the key's sysctl is not root's alone"
if nsx d2 sysctl -qw net.ipv4.vs.synproxy_cookie_key=0123 2>/dev/null; then fail "a short key was taken"; fi
if nsx d2 sysctl -qw net.ipv4.vs.synproxy_cookie_key=0123456789abcdef0123456789abcdeg 2>/dev/null; then fail "a key with a non-hex digit was taken"; fi
assert_eq "a refused key changes nothing" "$chk" "$(nsx d2 sysctl -n net.ipv4.vs.synproxy_cookie_key)"
assert_eq "d's cookie at d2, one key: through d2 to the real server (TOA)" "$CLIENT" "$(moved 43002)"
for n in d d2; do nsx "$n" sysctl -qw net.ipv4.vs.synproxy_cookie_key=random; done
assert_eq "random again" random "$(nsx d sysctl -n net.ipv4.vs.synproxy_cookie_key)"
nsx c iptables-legacy -D OUTPUT -p tcp --tcp-flags RST,ACK RST -j DROP
gone_43002() { ! nsx d2 "$RVSADM" -L -n -c | grep -q ":43002 "; }
wait_until 5 "the moved handshake's connection ended by its RST" gone_43002

c0=$(rvs_stat sync_rx_conns)
# Transfers through d, stopped halfway (tests/lib/midway.py).
declare -A FD PID
TAGS="80 83 v6"
for p in $TAGS; do
  mkfifo "$OUT/in$p"
  # (16 MB: more than the sockets' buffers hold, so that no server is
  # done halfway.)
  if [ "$p" = v6 ]; then a=$VIP6 port=80; else a=$VIP port=$p; fi
  nsx c python3 tests/lib/midway.py "$a" "$port" 16000000 < "$OUT/in$p" > "$OUT/out$p" 2>&1 &
  PID[$p]=$!
  exec {fd}> "$OUT/in$p"
  FD[$p]=$fd
done
for p in $TAGS; do
  wait_until 30 "$(virt "$p"): transfers halfway" grep -q '^half$' "$OUT/out$p"
  if [ "$p" = v6 ]; then want=$CLIENT6; else want=$CLIENT; fi
  assert_eq "$(virt "$p"): the address the real server sees (TOA)" "$want" "$(awk '$1 == "peer" {print $2}' "$OUT/out$p")"
done

holds3() { [ "$(listing d2 "$1" | wc -l)" -ge 3 ]; }
for p in $TAGS; do
  wait_until 10 "$(virt "$p"): d2 holds d's three connections" holds3 "$p"
  assert_eq "$(virt "$p"): d2's connections are d's" "$(listing d "$p")" "$(listing d2 "$p")"
done
[ "$(($(rvs_stat sync_rx_conns) - c0))" -ge 9 ] || fail "sync_rx_conns counted $(($(rvs_stat sync_rx_conns) - c0))"
note "d2 holds: $(nsx d2 "$RVSADM" -L -n -c | grep -c ESTABLISHED) established connections"

# d dies; d2 takes over its LADDR and the client's route.
ip -n rvs-d link set d0 down
ip -n rvs-d addr del "${LADDRS[0]}/32" dev br0
ip -n rvs-d2 addr add "${LADDRS[0]}/32" dev e0
ip -n rvs-d addr del "${LADDRS6[0]}/128" dev br0
ip -n rvs-d2 addr add "${LADDRS6[0]}/128" dev e0 nodad
for i in 1 2 3; do ip -n "rvs-rs$i" neigh flush all; ip -n "rvs-rs$i" -6 neigh flush all; done
nsx c ip route replace "$VIP/32" via "$D2_OUT" src "$CLIENT"
nsx c ip -6 route replace "$VIP6/128" via "$D2_OUT6" src "$CLIENT6"
for p in $TAGS; do echo go >&"${FD[$p]}"; done
for p in $TAGS; do
  wait "${PID[$p]}" || fail "$(virt "$p") after d's loss: $(grep -v '^half$' "$OUT/out$p" | paste -sd' ')"
  assert_eq "$(virt "$p"): every connection intact" "upload ok download ok echo ok" \
    "$(grep -E '^(upload|download|echo) ' "$OUT/out$p" | paste -sd' ')"
done
# New connections, through d2 alone now.
for p in 80 83; do
  got=$(nsx c python3 -c "
import socket
s = socket.create_connection(('$VIP', $p), 5)
s.sendall(b'PEER\n'); print(s.makefile().readline().split()[1])")
  assert_eq "VIP:$p: a new connection through d2 sees the client (TOA)" "$CLIENT" "$got"
done

# Crafted records: NAT; another sync id; a service d2 has not.
c1=$(rvs_stat sync_rx_conns) o1=$(rvs_stat sync_rx_other_id) r1=$(rvs_stat sync_rx_refused)
nsx rs2 python3 tests/lib/syncmsg.py send "$(rs_addr 2)" 9 6 192.0.2.77:40001 "$VIP:81" "$(rs_addr 1):8080" 0 1
nsx rs2 python3 tests/lib/syncmsg.py send "$(rs_addr 2)" 8 6 192.0.2.77:40002 "$VIP:81" "$(rs_addr 1):8080" 0 1
nsx rs2 python3 tests/lib/syncmsg.py send "$(rs_addr 2)" 9 6 192.0.2.77:40003 "$VIP:89" "$(rs_addr 1):8080" 0 1
wait_until 5 "the crafted records counted" stat_reaches sync_rx_refused $((r1 + 1))
# (The counter is the module's: d's backup may count the records of the
# two connections just made through d2 too, if they come late. Which
# connections the records made is d2's table's to say, below.)
[ "$(($(rvs_stat sync_rx_conns) - c1))" -ge 1 ] || fail "the NAT record made no connection"
assert_eq "another sync id ignored" 1 "$(($(rvs_stat sync_rx_other_id) - o1))"
nat=$(nsx d2 "$RVSADM" -L -n -c | grep "192.0.2.77:40001" || true)
grep -q "ESTABLISHED" <<<"$nat" && grep -q "$(rs_addr 1):8080" <<<"$nat" || fail "the NAT connection: '$nat'"
nsx d2 "$RVSADM" -L -n -c | grep -q "192.0.2.77:4000[23]" && fail "a refused record made a connection"

# Peers: with sync_peers naming d's address (its master sends from
# DIR_IN) and an IPv6 prefix, rs2's record is read,
# counted and dropped; with rs2's address added, it makes its connection.
np0=$(rvs_stat sync_rx_not_peer) c1=$(rvs_stat sync_rx_conns)
nsx d2 sysctl -qw net.ipv4.vs.sync_peers=" $DIR_IN/32 , 2001:db8:1::/64"
assert_eq "sync_peers reads back as written, in its own form" "$DIR_IN/32,2001:db8:1::/64" "$(nsx d2 sysctl -n net.ipv4.vs.sync_peers)"
if nsx d2 sysctl -qw net.ipv4.vs.sync_peers="198.51.100.0/33" 2>/dev/null; then fail "a bad prefix was taken"; fi
assert_eq "a refused list changes nothing" "$DIR_IN/32,2001:db8:1::/64" "$(nsx d2 sysctl -n net.ipv4.vs.sync_peers)"
assert_eq "another namespace's list is its own" "" "$(nsx d sysctl -n net.ipv4.vs.sync_peers)"
nsx rs2 python3 tests/lib/syncmsg.py send "$(rs_addr 2)" 9 6 192.0.2.77:40004 "$VIP:81" "$(rs_addr 1):8080" 0 1
wait_until 5 "a record from outside sync_peers counted" stat_reaches sync_rx_not_peer $((np0 + 1))
nsx d2 "$RVSADM" -L -n -c | grep -q "192.0.2.77:40004" && fail "a record from outside sync_peers made a connection"
nsx d2 sysctl -qw net.ipv4.vs.sync_peers="$DIR_IN,$(rs_addr 2)"
nsx rs2 python3 tests/lib/syncmsg.py send "$(rs_addr 2)" 9 6 192.0.2.77:40005 "$VIP:81" "$(rs_addr 1):8080" 0 1
wait_until 5 "a record from a listed peer taken" stat_reaches sync_rx_conns $((c1 + 1))
nsx d2 "$RVSADM" -L -n -c | grep "192.0.2.77:40005" | grep -q ESTABLISHED || fail "a listed peer's record made no connection"
nsx d2 sysctl -qw net.ipv4.vs.sync_peers=""
assert_eq "an empty list: everyone" "" "$(nsx d2 sysctl -n net.ipv4.vs.sync_peers)"

# Hostile input.
m0=$(rvs_stat sync_rx_msgs) b0=$(rvs_stat sync_rx_bad)
kinds=$(nsx rs2 python3 tests/lib/syncmsg.py fuzz "$(rs_addr 2)" 9 10000 7 "$VIP:80" "$(rs_addr 1):8080")
note "fuzz: $kinds"
wait_until 30 "all 10,000 datagrams read" stat_reaches sync_rx_msgs $((m0 + 10000))
# (d, its link to the client gone, still sends its own connections' refreshes.)
[ "$(($(rvs_stat sync_rx_bad) - b0))" -gt 1000 ] || fail "malformed messages counted: $(($(rvs_stat sync_rx_bad) - b0))"
note "counters: msgs +$(($(rvs_stat sync_rx_msgs) - m0)) bad +$(($(rvs_stat sync_rx_bad) - b0)) other_id $(rvs_stat sync_rx_other_id) refused $(rvs_stat sync_rx_refused) conns $(rvs_stat sync_rx_conns) updated $(rvs_stat sync_rx_updated)"
nsx d2 "$RVSADM" -L -n -c | grep "192.0.2.77:40001" | grep -q ESTABLISHED || fail "the synced NAT connection did not outlive the hostile input"
nsx d2 ipvsadm --stop-daemon backup
if nsx d2 ipvsadm --stop-daemon backup 2>/dev/null; then fail "a stopped backup stopped again"; fi
# A namespace deleted with its backup running releases its socket.
ip netns del rvs-d2
