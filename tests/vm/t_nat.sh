# Masquerading (-m, NAT), IPv4 and IPv6, through stock ipvsadm: the
# client's packets reach the real server with the client's own address
# (its application sees the client), the real server answers the client
# through the director (its route back), which rewrites the answers'
# source to the VIP on their way through (the FORWARD hook). Transfers
# both ways arrive intact (sha256 at both ends); the director counts both
# directions. ICMP errors are translated both ways: a UDP port
# unreachable from the real server reaches the client's connected socket
# (ECONNREFUSED: it quotes client -> VIP), a frag-needed from the client's
# side reaches the real server; an ICMP error that only passes through
# is forwarded as it is, even with a bad checksum; a packet too big for the real server's
# link gets the client a frag-needed / packet too big quoting its own
# packet (its path MTU to the VIP drops, the upload completes). TTL goes
# down by one (TTL 1: dropped, time exceeded). With the namespace's
# masq_as_fullnat switch, -m makes FULLNAT real servers instead, still
# listed as Masq; a service without LADDRs of its own takes them from the
# namespace's default pool (the real server sees the pool's LADDR), which
# rvsadm -S lists as 0.0.0.0:0 and a flush keeps.
. tests/lib/lib.sh
trap cleanup_all EXIT
topo_up 2
load_rvs
clients_via_director 2
start_servers 2 8080
start_servers6 2 8080
for v in "$VIP:80" "[$VIP6]:80" "$VIP:81"; do nsx d ipvsadm -A -t "$v" -s rr; done
nsx d ipvsadm -A -u "$VIP:53" -s rr
nsx d ipvsadm -A -u "[$VIP6]:53" -s rr
for i in 1 2; do
  nsx d ipvsadm -a -t "$VIP:80" -r "$(rs_addr "$i"):8080" -m
  nsx d ipvsadm -a -t "[$VIP6]:80" -r "[$(rs6_addr "$i")]:8080" -m
done
nsx d ipvsadm -a -u "$VIP:53" -r "$(rs_addr 1):5353" -m
nsx d ipvsadm -a -u "[$VIP6]:53" -r "[$(rs6_addr 1)]:5353" -m
assert_eq "listed as Masq" "-> $(rs_addr 1):8080 Masq 1|-> $(rs_addr 2):8080 Masq 1" \
  "$(nsx d ipvsadm -Ln -t "$VIP:80" | awk '$1 == "->" && $2 != "RemoteAddress:Port" {print $1, $2, $3, $4}' | paste -sd'|')"

client_seen_traffic
# Both directions counted (Conns InPkts OutPkts InBytes OutBytes).
read -r inb outb <<<"$(nsx d ipvsadm -Ln --stats --exact -t "$VIP:80" | awk '/^TCP/ {print $6, $7}')"
[ "$inb" -gt 5000000 ] && [ "$outb" -gt 5000000 ] || fail "bytes through NAT: in $inb, out $outb"

# The real server's port unreachable reaches the client as one about the
# datagram it sent (client -> VIP:53): its connected socket is refused.
for vip in "$VIP" "$VIP6"; do
  f0=$(rvs_stat icmp_fwd)
  got=$(nsx c python3 -c "
import socket, sys
v = sys.argv[1]
s = socket.socket(socket.AF_INET6 if ':' in v else socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(3)
s.connect((v, 53))
s.send(b'x' * 16)
try:
    s.recv(100)
    print('answer')
except ConnectionRefusedError:
    print('refused')
except socket.timeout:
    print('timeout')" "$vip")
  assert_eq "$vip: port unreachable seen by the client's socket" refused "$got"
  [ "$(rvs_stat icmp_fwd)" -gt "$f0" ] || fail "$vip: icmp_fwd did not count the port unreachable"
done

# A UDP answer larger than the real server's link (3000 bytes, sent in
# fragments) is gathered at the director, translated, and reaches the
# client's connected socket whole, from the VIP (IPv4; as IPVS).
nsx rs1 python3 tests/lib/tcpsrv.py rs1 "$(rs_addr 1)" 5355 udp &
wait_udp_port rs1 5355
nsx d ipvsadm -A -u "$VIP:55" -s rr
nsx d ipvsadm -a -u "$VIP:55" -r "$(rs_addr 1):5355" -m
got=$(nsx c python3 -c "
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(3)
s.connect(('$VIP', 55))
s.send(b'BIG 3000')
try:
    d = s.recv(65535)
    print(len(d), d.split()[0].decode(), d.split()[1].decode())
except socket.timeout:
    print('timeout')")
assert_eq "a fragmented answer through NAT" "3000 rs1 $CLIENT" "$got"

# A frag-needed from the client's side about the real server's answer
# (VIP:80 -> client) reaches the real server, about its own packet.
hold_conn "$VIP" 20
icmp_reaches_rs "$HELD_PORT"

# An ICMP error only passing through (client -> rs1, about no connection
# of rvs's) with a bad checksum is not rvs's to judge: it goes on, and
# rs1's own stack finds it bad.
csum_errs() { nsx rs1 nstat -az IcmpInCsumErrors | awk '/IcmpInCsumErrors/ {print $2}'; }
e0=$(csum_errs) m0=$(rvs_stat drop_malformed)
nsx c python3 tests/lib/rawpkt.py ptb "$CLIENT" "$(rs_addr 1)" 8080 40000 1400 bad > /dev/null
for k in $(seq 20); do [ "$(csum_errs)" -gt "$e0" ] && break; sleep 0.1; done
assert_eq "a forwarded bad ICMP reaches rs1" $((e0 + 1)) "$(csum_errs)"
assert_eq "drop_malformed (forwarded ICMP)" "$m0" "$(rvs_stat drop_malformed)"

# One TTL less: a SYN with TTL 1 is dropped, its sender told.
ttl1_dropped

# The switch: -m makes FULLNAT real servers (VIP:81, no LADDR of its
# own), still listed as Masq; they leave from the namespace's default
# LADDR pool (set with rvsadm as the service 0.0.0.0:0, and through the
# text interface), which the real server sees.
nsx d sysctl -qw net.ipv4.vs.masq_as_fullnat=1
nsx d ipvsadm -a -t "$VIP:81" -r "$(rs_addr 1):8080" -m
nsx d sysctl -qw net.ipv4.vs.masq_as_fullnat=0
assert_eq "FULLNAT by the switch, listed as Masq" "-> $(rs_addr 1):8080 Masq" \
  "$(nsx d ipvsadm -Ln -t "$VIP:81" | awk '$1 == "->" && $2 != "RemoteAddress:Port" {print $1, $2, $3}')"
nl0=$(rvs_stat drop_no_laddr)
if nsx c timeout 3 python3 tests/lib/client.py peers "$VIP" 81 1 > /dev/null 2>&1; then fail "a FULLNAT service with no LADDR at all connected"; fi
[ "$(rvs_stat drop_no_laddr)" -gt "$nl0" ] || fail "drop_no_laddr did not count"
nsx d "$RVSADM" -P -t 0.0.0.0:0 -z "${LADDRS[1]}"
rvs_ctl add-default-laddr "${LADDRS6[1]}"
out=$(client peers "$VIP" 81 2)
assert_eq "the switch's real server sees the pool's LADDR" 2 "$(awk -v l="${LADDRS[1]}" '$2 == l' <<<"$out" | wc -l)"
assert_eq "the pool in rvsadm -S" "-P -t 0.0.0.0:0 -z ${LADDRS[1]}|-P -t [::]:0 -z ${LADDRS6[1]}" \
  "$(nsx d "$RVSADM" -S -n | grep -- '^-P -t \(0.0.0.0\|\[::\]\):0 ' | paste -sd'|')"
grep -q "^default-laddrs netns " /sys/module/rvs/parameters/stats || fail "the text interface's stats do not show the pool"
assert_eq "rvsadm -G -t 0.0.0.0:0 lists the pool" 2 "$(nsx d "$RVSADM" -G -t 0.0.0.0:0 | grep -cE "^ +(${LADDRS[1]}|${LADDRS6[1]}) ")"
# No service can take the pool's name, through any front-end.
if rvs_ctl add-service tcp 0.0.0.0:0 rr 2>/dev/null; then fail "the text interface made a service 0.0.0.0:0"; fi
# A flush keeps the pool (a namespace setting, as the sysctls); a deletion
# takes an address out.
nsx d ipvsadm -C
assert_eq "the pool after a flush" 2 "$(nsx d "$RVSADM" -S -n | grep -c -- '^-P ')"
nsx d "$RVSADM" -Q -t 0.0.0.0:0 -z "${LADDRS[1]}"
assert_eq "the pool after a deletion" "-P -t [::]:0 -z ${LADDRS6[1]}" "$(nsx d "$RVSADM" -S -n)"
nsx d ipvsadm -A -t "$VIP:80" -s rr
nsx d ipvsadm -a -t "$VIP:80" -r "$(rs_addr 1):8080" -m
nsx d ipvsadm -A -t "[$VIP6]:80" -s rr
nsx d ipvsadm -a -t "[$VIP6]:80" -r "[$(rs6_addr 1)]:8080" -m

# A NAT real server whose address became the director's after it was
# configured is not sent to (the packet would be delivered here): dropped,
# counted, no loop.
nsx d ipvsadm -A -t "$VIP:82" -s rr
nsx d ipvsadm -a -t "$VIP:82" -r 198.51.100.50:8080 -m
nsx d ip addr add 198.51.100.50/32 dev br0
r0=$(rvs_stat drop_no_route)
nsx c python3 -c "
import socket
try:
    socket.create_connection(('$VIP', 82), 0.5)
except OSError:
    pass"
[ "$(rvs_stat drop_no_route)" -gt "$r0" ] || fail "a NAT server at the director's own address: not refused on the way"
nsx d ip addr del 198.51.100.50/32 dev br0

# Too big for the real servers' link (br0 narrowed to 1300): the client
# hears it about its own packet, lowers its path MTU to the VIP, and the
# upload completes.
nsx d ip link set br0 mtu 1300
tb0=$(rvs_stat drop_too_big)
for vip in "$VIP" "$VIP6"; do
  client upload "$vip" 80 300000 | grep -q ' ok$' || fail "$vip: upload over the narrower link corrupted"
  nsx c ip route get "$vip" | grep -q "mtu 1300" || fail "$vip: the client did not learn the path MTU: $(nsx c ip route get "$vip")"
done
[ "$(rvs_stat drop_too_big)" -gt "$tb0" ] || fail "drop_too_big did not count"
echo "nat ok"
