# vm-tcg: single
# toa.ko with IPv6 in TOA and IPv6 connections. A director is played by
# hand (tests/lib/rawconn.py in link mode from namespace rvs-d, sending from
# its "local addresses" 198.51.100.201 and 2001:db8:2::201, which the real
# server reaches through permanent neighbour entries): handshakes whose ACK
# carries each TOA format reach tests/lib/toasrv.py on the real server
# (dual-stack AF_INET6 listener on :8080, AF_INET listener on :8081), which
# reports accept(), getpeername() and getsockopt(TOA_SO_GET_CLIENT6):
# - IPv6 connections with Alibaba's (kind 253) and DPVS's (kind 254) IPv6
#   TOA: accept() and getpeername() give the client from the option, as
#   does the getsockopt at both levels; an IPv4 TOA shows ::ffff:a.b.c.d;
#   without TOA the sender is seen and the getsockopt says ENOENT; also
#   when the server's SYN cookies complete the handshake;
# - NAT64 (IPv4 connections, IPv6 client in TOA): the dual-stack listener
#   sees the IPv6 client itself; the AF_INET listener sees the sender and
#   gets the client from the getsockopt; ENOENT without TOA and with an
#   IPv4 TOA; EINVAL for a buffer shorter than a sockaddr_in6 throughout;
# - the counters of /proc/net/toa_stats move by exactly that, every record
#   goes with its socket, and no probe missed;
# - without toa.ko (before the load, after the unload) the sender is seen
#   and the getsockopt is ENOPROTOOPT; the numbers register again on reload.
. tests/lib/lib.sh
trap cleanup_all EXIT
LADDR4=198.51.100.201 LADDR6=2001:db8:2::201
RS4=198.51.100.11 RS6=2001:db8:2::11
ip netns add rvs-d; ip netns add rvs-rs1
ip -n rvs-d link set lo up; ip -n rvs-rs1 link set lo up
ip link add d1 netns rvs-d type veth peer name r1 netns rvs-rs1
ip -n rvs-d link set d1 up
ip -n rvs-rs1 addr add "$RS4/24" dev r1
ip -n rvs-rs1 addr add "$RS6/64" dev r1 nodad
ip -n rvs-rs1 link set r1 up
# rvs-d owns neither local address (its kernel drops the replies without
# a RST: not its address, forwarding off); the server sends them to d1.
dmac=$(nsx d cat /sys/class/net/d1/address)
rsmac=$(nsx rs1 cat /sys/class/net/r1/address)
nsx rs1 ip neigh add "$LADDR4" lladdr "$dmac" dev r1 nud permanent
nsx rs1 ip -6 neigh add "$LADDR6" lladdr "$dmac" dev r1 nud permanent
assert_eq "rvs-d forwarding (v4 v6)" "0 0" \
  "$(nsx d sysctl -n net.ipv4.ip_forward) $(nsx d sysctl -n net.ipv6.conf.all.forwarding)"

nsx rs1 python3 tests/lib/toasrv.py "[::]:8080" "$RS4:8081" > /tmp/toasrv.out 2>&1 &
for k in $(seq 100); do grep -q ready /tmp/toasrv.out && break; sleep 0.1; done
grep -q ready /tmp/toasrv.out || fail "toasrv did not start: $(cat /tmp/toasrv.out)"

toa_stat() { nsx rs1 awk -v k="$1" '$1 == k {print $2}' /proc/net/toa_stats; }
# toa6 KIND ADDR PORT / toa4 ADDR PORT: option bytes in hex.
toa6() { python3 -c 'import socket, struct, sys
print((struct.pack("!BBH", int(sys.argv[1]), 20, int(sys.argv[3])) + socket.inet_pton(socket.AF_INET6, sys.argv[2])).hex())' "$@"; }
toa4() { python3 -c 'import socket, struct, sys
print((struct.pack("!BBH", 254, 8, int(sys.argv[2])) + socket.inet_aton(sys.argv[1])).hex())' "$@"; }
# conn SRC DST PORT SPORT OPTIONS_HEX: one handshake; the server's line.
conn() { nsx d python3 tests/lib/rawconn.py --dev d1 --dmac "$rsmac" "$@"; }
# expect WHAT SRC DST PORT SPORT OPTIONS_HEX EXPECTED_LINE
expect() {
  local what=$1 got
  shift
  got=$(conn "$1" "$2" "$3" "$4" "$5") || fail "$what: handshake failed"
  note "$what: $got"
  assert_eq "$what" "$6" "$got"
}

expect "IPv6 with TOA, toa.ko not loaded" "$LADDR6" "$RS6" 8080 41000 "$(toa6 253 2001:db8:1::2 40000)" \
  "$LADDR6 41000 $LADDR6 41000 ENOPROTOOPT ENOPROTOOPT ENOPROTOOPT"
load_toa
nsx rs1 cat /proc/net/toa_stats | sed 's/^/# /'
names="toa_seen no_toa bad_options alloc_failed addr_returned addr_mismatch addr_unusable records_freed records
  v6_client_seen v6_conn_toa_seen v6_conn_no_toa sockopt_returned sockopt_noent"
declare -A before
for k in $names; do before[$k]=$(toa_stat "$k"); [ -n "${before[$k]}" ] || fail "no counter $k"; done

# IPv6 connections to the dual-stack listener.
c=2001:db8:1::2
expect "IPv6, Alibaba's IPv6 TOA (253)" "$LADDR6" "$RS6" 8080 41001 "$(toa6 253 $c 40001)" \
  "$c 40001 $c 40001 [$c]:40001 [$c]:40001 EINVAL"
c=2001:db8:1::3
expect "IPv6, DPVS's IPv6 TOA (254, len 20)" "$LADDR6" "$RS6" 8080 41002 "0101$(toa6 254 $c 40002)0101" \
  "$c 40002 $c 40002 [$c]:40002 [$c]:40002 EINVAL"
expect "IPv6, IPv4 TOA (NAT46)" "$LADDR6" "$RS6" 8080 41003 "$(toa4 192.0.2.2 40003)" \
  "::ffff:192.0.2.2 40003 ::ffff:192.0.2.2 40003 ENOENT ENOENT EINVAL"
expect "IPv6, no TOA" "$LADDR6" "$RS6" 8080 41004 "01010101" \
  "$LADDR6 41004 $LADDR6 41004 ENOENT ENOENT EINVAL"
# NAT64: IPv4 connections carrying an IPv6 client.
c=2001:db8:1::4
expect "IPv4, IPv6 TOA, dual-stack listener" "$LADDR4" "$RS4" 8080 41005 "$(toa6 253 $c 40005)" \
  "$c 40005 $c 40005 [$c]:40005 [$c]:40005 EINVAL"
c=2001:db8:1::5
expect "IPv4, IPv6 TOA, AF_INET listener" "$LADDR4" "$RS4" 8081 41006 "$(toa6 254 $c 40006)" \
  "$LADDR4 41006 $LADDR4 41006 [$c]:40006 - EINVAL"
expect "IPv4, no TOA, AF_INET listener" "$LADDR4" "$RS4" 8081 41007 "" \
  "$LADDR4 41007 $LADDR4 41007 ENOENT - EINVAL"
expect "IPv4, IPv4 TOA, AF_INET listener" "$LADDR4" "$RS4" 8081 41008 "$(toa4 192.0.2.3 40008)" \
  "192.0.2.3 40008 192.0.2.3 40008 ENOENT - EINVAL"
# The server's SYN cookies complete an IPv6 handshake: the socket comes
# from the cookie (cookie_v6_check), through the same function.
nsx rs1 sysctl -qw net.ipv4.tcp_syncookies=2
cookies() { nsx rs1 awk '/^TcpExt:/ { if (!h) { split($0, k); h = 1 } else for (i in k) if (k[i] == "SyncookiesRecv") print $i }' /proc/net/netstat; }
k0=$(cookies)
c=2001:db8:1::6
expect "IPv6 with a SYN cookie, IPv6 TOA" "$LADDR6" "$RS6" 8080 41009 "$(toa6 253 $c 40009)" \
  "$c 40009 $c 40009 [$c]:40009 [$c]:40009 EINVAL"
assert_eq "handshakes completed by a SYN cookie" 1 $(( $(cookies) - k0 ))
nsx rs1 sysctl -qw net.ipv4.tcp_syncookies=1

# Every socket is gone once its connection has closed (the server closed
# first: TIME_WAIT is a timewait socket, not the full one).
for k in $(seq 50); do [ "$(toa_stat records)" = "${before[records]}" ] && break; sleep 0.2; done
nsx rs1 cat /proc/net/toa_stats | sed 's/^/# /'
declare -A want=(
  [toa_seen]=7 [no_toa]=2 [bad_options]=0 [alloc_failed]=0
  # two each (accept, getpeername): 253, 254/20, NAT46, NAT64 dual-stack,
  # IPv4 TOA, SYN cookie; the AF_INET socket cannot take an IPv6 client
  [addr_returned]=12 [addr_mismatch]=0 [addr_unusable]=2
  [records_freed]=7 [records]=0
  [v6_client_seen]=5 [v6_conn_toa_seen]=4 [v6_conn_no_toa]=1
  # both levels on AF_INET6 sockets (4 connections), IPPROTO_IP only on
  # the AF_INET one; ENOENT: NAT46 and IPv6 without TOA at both levels,
  # the AF_INET socket without TOA and with an IPv4 one
  [sockopt_returned]=9 [sockopt_noent]=6
)
for k in $names; do
  assert_eq "$k delta" "${want[$k]}" $(( $(toa_stat "$k") - before[$k] ))
done
for m in missed_syn_recv missed_getname missed_getname6 missed_destruct missed_syn_recv6; do
  assert_eq "$m" 0 "$(toa_stat "$m")"
done

# Unloaded, the numbers are free again (ENOPROTOOPT) and register again.
unload_toa
expect "IPv4, IPv6 TOA, after unload" "$LADDR4" "$RS4" 8081 41010 "$(toa6 253 2001:db8:1::7 40010)" \
  "$LADDR4 41010 $LADDR4 41010 ENOPROTOOPT - ENOPROTOOPT"
load_toa
c=2001:db8:1::8
expect "IPv4, IPv6 TOA, after reload" "$LADDR4" "$RS4" 8081 41011 "$(toa6 253 $c 40011)" \
  "$LADDR4 41011 $LADDR4 41011 [$c]:40011 - EINVAL"
