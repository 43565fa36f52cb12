# Direct routing (-g), IPv4 and IPv6, through stock ipvsadm: the client's
# packets reach the real server unchanged (its application sees the
# client's own address, and the VIP as its own), the real server answers
# from the VIP it holds, and the director handles one direction only
# (its counters: packets in, none out). Transfers both ways arrive intact
# (sha256 at both ends). A connection is tracked from the client's
# packets alone (upstream's INPUT-ONLY table: established after the
# handshake's ACK). An ICMP error about the real server's packets goes on
# to it unchanged. Refused: a real server of another family, and SYNPROXY
# on a service with a direct-routing real server.
#
# The real servers are set up as operators set up DR: the VIP on lo, no
# ARP answers for it, and a route back to the clients; here that route
# goes through the director's namespace acting as the clients' router
# (accept_local: the replies come from its own VIP, so it must take them
# as a router would).
. tests/lib/lib.sh
trap cleanup_all EXIT
topo_up 2
load_rvs
nsx d sysctl -qw net.ipv4.conf.all.accept_local=1 net.ipv4.conf.br0.accept_local=1 \
  net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.br0.rp_filter=0 net.ipv6.conf.all.forwarding=1
for i in 1 2; do
  nsx "rs$i" ip addr add "$VIP/32" dev lo
  nsx "rs$i" ip addr add "$VIP6/128" dev lo nodad
  nsx "rs$i" sysctl -qw net.ipv4.conf.all.arp_ignore=1 net.ipv4.conf.all.arp_announce=2
  nsx "rs$i" ip route add 192.0.2.0/24 via "$DIR_IN"
  nsx "rs$i" ip -6 route add 2001:db8:c::/64 via "$DIR_IN6"
  nsx "rs$i" python3 tests/lib/tcpsrv.py "rs$i" "$VIP" 80 &
  nsx "rs$i" python3 tests/lib/tcpsrv.py "rs$i" "$VIP6" 80 &
done
for i in 1 2; do wait_port "rs$i" "$VIP" 80; wait_port "rs$i" "$VIP6" 80; done
for v in "$VIP:80" "[$VIP6]:80"; do
  nsx d ipvsadm -A -t "$v" -s rr
done
for i in 1 2; do
  nsx d ipvsadm -a -t "$VIP:80" -r "$(rs_addr "$i")" -g
  nsx d ipvsadm -a -t "[$VIP6]:80" -r "[$(rs6_addr "$i")]:80" -g
done
# Without a port, ipvsadm gives the real server the service's.
assert_eq "listed as Route" "-> $(rs_addr 1):80 Route 1|-> $(rs_addr 2):80 Route 1" \
  "$(nsx d ipvsadm -Ln -t "$VIP:80" | awk '$1 == "->" && $2 != "RemoteAddress:Port" {print $1, $2, $3, $4}' | paste -sd'|')"
grep -q "Route" <(nsx d cat /proc/net/ip_vs) || fail "/proc/net/ip_vs does not name the method"

for pair in "$VIP $CLIENT" "$VIP6 $CLIENT6"; do
  read -r vip cl <<<"$pair"
  out=$(client peers "$vip" 80 4)
  assert_eq "$vip: both real servers, each twice" "2 2" "$(grep -c '^rs1 ' <<<"$out") $(grep -c '^rs2 ' <<<"$out")"
  assert_eq "$vip: the real server sees the client itself" 4 "$(awk -v c="$cl" '$2 == c' <<<"$out" | wc -l)"
  client upload "$vip" 80 5000000 | grep -q ' ok$' || fail "$vip: upload corrupted"
  client download "$vip" 80 5000000 | grep -q ' ok$' || fail "$vip: download corrupted"
done
# One direction only: the director counted the client's bytes (the 5 MB
# upload among them; packets are counted as they come, aggregated by GRO)
# and none of the replies (5 MB came back past it).
# (Columns: Conns InPkts OutPkts InBytes OutBytes.)
read -r inp outp inb outb <<<"$(nsx d ipvsadm -Ln --stats --exact -t "$VIP:80" | awk '/^TCP/ {print $4, $5, $6, $7}')"
[ "$inp" -gt 0 ] && [ "$inb" -gt 5000000 ] || fail "inbound through DR: $inp packets, $inb bytes"
assert_eq "outbound through DR (packets bytes)" "0 0" "$outp $outb"

# Tracked from one side: a held connection is ESTABLISHED.
hold_conn "$VIP" 20
cport=$HELD_PORT
state=$(nsx d ipvsadm -Lnc | awk -v c="$CLIENT:$cport" '$4 == c {print $3}')
assert_eq "the held connection's state" ESTABLISHED "$state"

# An ICMP error about the real server's reply (VIP -> client) goes to the
# real server unchanged: it arrives there as a frag-needed to the VIP.
icmp_in() { # the destination unreachables received by both real servers
  local n=0 i
  for i in 1 2; do n=$((n + $(nsx "rs$i" nstat -az IcmpInDestUnreachs | awk '/IcmpInDestUnreachs/ {print $2}'))); done
  echo "$n"
}
before=$(icmp_in) fwd0=$(rvs_stat icmp_fwd)
nsx c python3 tests/lib/rawpkt.py ptb "$CLIENT" "$VIP" 80 "$cport" 1400 good > /dev/null
for _ in $(seq 20); do [ "$(icmp_in)" -gt "$before" ] && break; sleep 0.1; done
assert_eq "frag-needed received by the real server" $((before + 1)) "$(icmp_in)"
assert_eq "icmp_fwd" $((fwd0 + 1)) "$(rvs_stat icmp_fwd)"

# Refusals, with their extack messages.
if out=$(nsx d ipvsadm -a -t "[$VIP6]:80" -r "$(rs_addr 1):80" -g 2>&1); then fail "an IPv4 DR server on an IPv6 service: $out"; fi
errs=$(nsx d python3 -c "
import sys
sys.path.insert(0, 'tests/lib')
import ipvsnl as n
g = n.Genl()
# SYNPROXY (flag 0x8000) on a service with direct-routing real servers.
err, msg, _ = g.request(n.SET_SERVICE, n.nest(n.CMD_SERVICE, n.svc_full('tcp', '$VIP', 80, flags=0x8000)))
print(err, msg)
")
grep -q "SYNPROXY hands connections to FULLNAT real servers only" <<<"$errs" || fail "SYNPROXY with DR servers: $errs"

# A device going away is let go of at once: direct routing caches its
# routes to the real servers, and an IPv6 one keeps its device referenced
# (through its fib entry) for as long as it is cached, so the device
# could never be freed; rvs drops them when a device leaves. Deleting the
# real servers' link returns only once nothing references it.
nsx d ip link del br0 &
del=$!
for _ in $(seq 100); do kill -0 "$del" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$del" 2>/dev/null; then fail "br0 still referenced 10 s after its deletion"; fi

# ... and so is one whose namespace goes away: with a route cached again
# through a new br0, the test's end deletes the director's namespace (rvs
# lets go of that namespace's caches before its devices go; a device
# left referenced stops the VM, scripts/vm-run).
nsx d ip link add br0 type bridge
for i in 1 2; do nsx d ip link set "d$i" master br0; done
nsx d ip link set br0 up
nsx d ip addr add "$DIR_IN6/64" dev br0 nodad
out=$(client peers "$VIP6" 80 2)
assert_eq "through the new br0" 2 "$(grep -c '^rs' <<<"$out")"
