# Direct routing (-g), IPv4 and IPv6, through stock ipvsadm: the client's
# packets reach the real server unchanged (its application sees the
# client's own address, and the VIP as its own), the real server answers
# from the VIP it holds, and the director handles one direction only
# (its counters: packets in, none out). Transfers both ways arrive intact
# (sha256 at both ends). A connection is tracked from the client's
# packets alone (upstream's INPUT-ONLY table: established after the
# handshake's ACK). An ICMP error about the real server's packets goes on
# to it unchanged. The packet loses one TTL on the way (TTL 1: dropped,
# ICMP time exceeded). Refused: a real server of another family, one at
# the director's own address (and, on the way, one whose address became
# the director's: no loop), and SYNPROXY on a service with a
# direct-routing real server. Deleting a link or the namespace with DR
# routes cached returns at once.
#
# The real servers are set up as operators set up DR (own_vip_servers in
# tests/lib: the VIP on lo, no ARP answers for it, and a route back to
# the clients through the director's namespace acting as their router).
. tests/lib/lib.sh
trap cleanup_all EXIT
topo_up 2
load_rvs
own_vip_servers 2
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

client_seen_traffic
# The director counted the client's bytes, the 5 MB upload among them
# (packets are counted as they come, aggregated by GRO). (Columns: Conns
# InPkts OutPkts InBytes OutBytes.)
read -r inp inb <<<"$(nsx d ipvsadm -Ln --stats --exact -t "$VIP:80" | awk '/^TCP/ {print $4, $6}')"
[ "$inp" -gt 0 ] && [ "$inb" -gt 5000000 ] || fail "inbound through DR: $inp packets, $inb bytes"

# Tracked from one side: a held connection is ESTABLISHED.
hold_conn "$VIP" 20
cport=$HELD_PORT
state=$(nsx d ipvsadm -Lnc | awk -v c="$CLIENT:$cport" '$4 == c {print $3}')
assert_eq "the held connection's state" ESTABLISHED "$state"

# An ICMP error about the real server's reply (VIP -> client) goes to the
# real server unchanged: it arrives there as a frag-needed to the VIP.
icmp_reaches_rs "$cport"

# The packet goes on with one less TTL: one that arrives with 1 is not
# sent, and its sender hears so (ICMP time exceeded).
ttl1_dropped

# Refusals, with their extack messages (through the family directly:
# stock ipvsadm refuses a DR server of another family itself).
errs=$(nsx d python3 -c "
import struct, sys
sys.path.insert(0, 'tests/lib')
import ipvsnl as n
g = n.Genl()
def show(what, cmd, attrs):
    err, msg, _ = g.request(cmd, attrs)
    print(what, err, msg)
# SYNPROXY (flag 0x8000) on a service with direct-routing real servers.
show('synproxy', n.SET_SERVICE, n.nest(n.CMD_SERVICE, n.svc_full('tcp', '$VIP', 80, flags=0x8000)))
# An IPv4 direct-routing real server on an IPv6 service.
show('family', n.NEW_DEST, n.nest(n.CMD_SERVICE, n.svc_id('tcp', '$VIP6', 80))
     + n.nest(n.CMD_DEST, n.nla(n.DEST_ADDR_FAMILY, struct.pack('=H', n.AF_INET)) + n.dest_full('$(rs_addr 1)', 81, fwd=3)))
# The director's own address.
show('local', n.NEW_DEST, n.nest(n.CMD_SERVICE, n.svc_id('tcp', '$VIP', 80)) + n.nest(n.CMD_DEST, n.dest_full('$DIR_IN', 80, fwd=3)))
")
grep -q "^synproxy 22 SYNPROXY hands connections to FULLNAT real servers only" <<<"$errs" || fail "SYNPROXY with DR servers: $errs"
grep -q "^family 97 NAT, direct routing and tunnelling keep the client.s address" <<<"$errs" || fail "an IPv4 DR server on an IPv6 service: $errs"
grep -q "^local 22 a NAT, direct-routing or tunnelled real server cannot be an address of the director's" <<<"$errs" || fail "the director as its own DR server: $errs"

# An address that becomes the director's after its real server was
# configured is not sent to: the packet would come back to rvs.
nsx d ipvsadm -A -t "$VIP:81" -s rr
nsx d ipvsadm -a -t "$VIP:81" -r 198.51.100.50 -g
nsx d ip addr add 198.51.100.50/32 dev br0
r0=$(rvs_stat drop_no_route) t0=$(rvs_stat drop_ttl)
nsx c python3 -c "
import socket
try:
    socket.create_connection(('$VIP', 81), 0.5)
except OSError:
    pass"
[ "$(rvs_stat drop_no_route)" -gt "$r0" ] || fail "a DR server at the director's own address: not refused on the way"
assert_eq "no loop through the director (drop_ttl)" "$t0" "$(rvs_stat drop_ttl)"
# Its service stays editable.
nsx d ipvsadm -E -t "$VIP:81" -s wrr || fail "a service with a DR server turned local could not be edited"

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
# through a new br0, the test's end deletes the director's namespace (the
# bridge goes before rvs's namespace exit runs, and the notifier lets go
# of it as above; a device left referenced stops the VM, scripts/vm-run).
nsx d ip link add br0 type bridge
for i in 1 2; do nsx d ip link set "d$i" master br0; done
nsx d ip link set br0 up
nsx d ip addr add "$DIR_IN6/64" dev br0 nodad
out=$(client peers "$VIP6" 80 2)
assert_eq "through the new br0" 2 "$(grep -c '^rs' <<<"$out")"
