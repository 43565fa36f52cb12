# Shared helpers of the VM tests: topology, assertions, module loading.
# Source it: . tests/lib/lib.sh
set -euo pipefail

# Addresses (documentation ranges only):
#   client  rvs-c   192.0.2.2/24          (default via the director)
#   director rvs-d  192.0.2.1/24 outside, VIP 192.0.2.100
#                   198.51.100.1/24 inside (bridge), LADDRs 198.51.100.201-204
#   real servers rvs-rsN  198.51.100.1N/24, no route to 192.0.2.0/24
# and the same shape in IPv6 (2001:db8::/32), beside it on the same links:
#   client  2001:db8:c::2/64 (default via 2001:db8:c::1)
#   director 2001:db8:c::1/64 outside, VIP6 2001:db8:100::100
#            2001:db8:1::1/64 inside, LADDRS6 2001:db8:1::201-204
#   real servers 2001:db8:1::1N/64, no route to 2001:db8:c::/64
CLIENT=192.0.2.2
DIR_OUT=192.0.2.1
VIP=192.0.2.100
DIR_IN=198.51.100.1
LADDRS=(198.51.100.201 198.51.100.202 198.51.100.203 198.51.100.204)
rs_addr() { echo "198.51.100.1$1"; }
CLIENT6=2001:db8:c::2
DIR_OUT6=2001:db8:c::1
VIP6=2001:db8:100::100
DIR_IN6=2001:db8:1::1
LADDRS6=(2001:db8:1::201 2001:db8:1::202 2001:db8:1::203 2001:db8:1::204)
rs6_addr() { echo "2001:db8:1::1$1"; }

RVS_MODDIR=${RVS_MODDIR:-$(pwd)/build/debug}
# rvsadm, built on the host by tests/run (cargo build --release -p rvsadm).
export RVSADM=${RVSADM:-$(pwd)/target/release/rvsadm}

nsx() { local ns=$1; shift; ip netns exec "rvs-$ns" "$@"; }

fail() { echo "FAIL: $*" >&2; exit 1; }
note() { echo "# $*"; }

# assert_eq WHAT EXPECTED ACTUAL
assert_eq() { [ "$2" = "$3" ] || fail "$1: expected '$2', got '$3'"; }

# topo_up [N]: client, director and N real servers (default 2).
topo_up() {
  local nrs=${1:-2} i
  ip netns add rvs-c; ip netns add rvs-d
  ip -n rvs-c link set lo up; ip -n rvs-d link set lo up
  ip link add c0 netns rvs-c type veth peer name d0 netns rvs-d
  ip -n rvs-c addr add "$CLIENT/24" dev c0; ip -n rvs-c link set c0 up
  ip -n rvs-c route add default via "$DIR_OUT"
  ip -n rvs-d addr add "$DIR_OUT/24" dev d0; ip -n rvs-d link set d0 up
  ip -n rvs-d addr add "$VIP/32" dev lo
  ip -n rvs-d link add br0 type bridge; ip -n rvs-d link set br0 up
  ip -n rvs-d addr add "$DIR_IN/24" dev br0
  for a in "${LADDRS[@]}"; do ip -n rvs-d addr add "$a/32" dev br0; done
  # IPv6 beside it; no duplicate address detection (addresses usable at
  # once: the links are the test's own).
  ip -n rvs-c addr add "$CLIENT6/64" dev c0 nodad
  ip -n rvs-c -6 route add default via "$DIR_OUT6"
  ip -n rvs-d addr add "$DIR_OUT6/64" dev d0 nodad
  ip -n rvs-d addr add "$VIP6/128" dev lo nodad
  ip -n rvs-d addr add "$DIR_IN6/64" dev br0 nodad
  for a in "${LADDRS6[@]}"; do ip -n rvs-d addr add "$a/128" dev br0 nodad; done
  nsx d sysctl -qw net.ipv4.ip_forward=1
  for ((i = 1; i <= nrs; i++)); do
    ip netns add "rvs-rs$i"; ip -n "rvs-rs$i" link set lo up
    ip link add "r$i" netns "rvs-rs$i" type veth peer name "d$i" netns rvs-d
    ip -n rvs-d link set "d$i" master br0; ip -n rvs-d link set "d$i" up
    ip -n "rvs-rs$i" addr add "$(rs_addr "$i")/24" dev "r$i"; ip -n "rvs-rs$i" link set "r$i" up
    ip -n "rvs-rs$i" addr add "$(rs6_addr "$i")/64" dev "r$i" nodad
  done
}

# extra_ns NAME: one more, empty namespace rvs-NAME (lo up), gone with
# topo_down like the topology's own.
extra_ns() { ip netns add "rvs-$1" && ip -n "rvs-$1" link set lo up; }

# director2 LADDR: a second director, namespace rvs-d2, beside d: on the
# real servers' bridge (198.51.100.2, LADDR beside it, device e0), on its
# own link to the client (203.0.113.2, device f0; the client's side is
# 203.0.113.1 on c1), the VIP on lo. The client reaches it by a route to
# the VIP via 203.0.113.2.
D2_IN=198.51.100.2
D2_OUT=203.0.113.2
director2() {
  extra_ns d2
  ip link add e2 netns rvs-d type veth peer name e0 netns rvs-d2
  ip -n rvs-d link set e2 master br0
  ip -n rvs-d link set e2 up
  ip -n rvs-d2 addr add "$D2_IN/24" dev e0
  ip -n rvs-d2 addr add "$1/32" dev e0
  ip -n rvs-d2 link set e0 up
  ip link add c1 netns rvs-c type veth peer name f0 netns rvs-d2
  ip -n rvs-c addr add 203.0.113.1/24 dev c1
  ip -n rvs-c link set c1 up
  ip -n rvs-d2 addr add "$D2_OUT/24" dev f0
  ip -n rvs-d2 link set f0 up
  ip -n rvs-d2 addr add "$VIP/32" dev lo
  ip -n rvs-d2 route add 192.0.2.0/24 via 203.0.113.1
  nsx d2 sysctl -qw net.ipv4.ip_forward=1 net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.f0.rp_filter=0
}

# wait_until SECONDS DESCRIPTION COMMAND...: until COMMAND succeeds
# (checked every 0.1 s), or fails the test.
wait_until() {
  local secs=$1 what=$2 end=$((SECONDS + $1))
  shift 2
  until "$@"; do
    [ "$SECONDS" -lt "$end" ] || fail "$what: not within ${secs}s"
    sleep 0.1
  done
}

topo_down() {
  local ns
  for ns in $(ip netns list 2>/dev/null | awk '/^rvs-/{print $1}'); do ip netns del "$ns" 2>/dev/null || true; done
}

# load_rvs [PARAMS...] / unload_rvs: the module from this checkout's build.
load_rvs() { insmod "$RVS_MODDIR/rvs.ko" "$@"; }
unload_rvs() { rmmod rvs; }
load_toa() { insmod "$RVS_MODDIR/toa.ko" "$@"; }
unload_toa() { rmmod toa; }

# rvs_ctl COMMAND...: the temporary text control path of rvs.ko, written
# from the director's namespace (services belong to the namespace of the
# writer, as netlink requests do; so do settings).
rvs_ctl() { rvs_ctl_in d "$@"; }
# rvs_ctl_in NS COMMAND...: the same, written from namespace NS.
rvs_ctl_in() { nsx "$1" sh -c 'echo "$*" > /sys/module/rvs/parameters/ctl' rvs_ctl "${@:2}"; }
# rvs_stat NAME: one counter.
rvs_stat() { awk -v k="$1" '$1 == k {print $2}' /sys/module/rvs/parameters/stats; }
# stat_reaches NAME VALUE: true once counter NAME is at least VALUE (for
# wait_until).
stat_reaches() { [ "$(rvs_stat "$1")" -ge "$2" ]; }

# start_servers N PORT [udp]: tests/lib/tcpsrv.py on each real server.
start_servers() {
  local n=$1 port=$2 i
  for ((i = 1; i <= n; i++)); do
    nsx "rs$i" python3 tests/lib/tcpsrv.py "rs$i" "$(rs_addr "$i")" "$port" ${3:-} &
  done
  for ((i = 1; i <= n; i++)); do
    if [ "${3:-}" != udp ]; then
      wait_port "rs$i" "$(rs_addr "$i")" "$port"
    else
      wait_udp_port "rs$i" "$port"
    fi
  done
}

wait_udp_port() { # NS PORT: until a socket is bound to the UDP port
  local k
  for k in $(seq 100); do
    [ -n "$(nsx "$1" ss -Hlun "sport = :$2")" ] && return 0
    sleep 0.1
  done
  fail "no UDP server on port $2 in $1"
}

wait_port() { # NS ADDR PORT
  local k
  for k in $(seq 100); do
    nsx "$1" python3 -c "import socket,sys; socket.create_connection(('$2',$3),1)" 2>/dev/null && return 0
    sleep 0.1
  done
  fail "no server on $2:$3 in $1"
}

client() { nsx c python3 tests/lib/client.py "$@"; }

# own_vip_servers N [PORT]: real servers set up as operators set them up for
# direct routing and tunnelling, which answer the clients themselves: each
# holds the VIPs on lo without answering ARP for them, routes the clients'
# networks back through the director (which acts as their router and
# takes answers from its own VIP as a router would: accept_local), and
# runs tcpsrv.py on VIP:PORT and [VIP6]:PORT (PORT: 80 by default).
own_vip_servers() {
  local i port=${2:-80}
  nsx d sysctl -qw net.ipv4.conf.all.accept_local=1 net.ipv4.conf.br0.accept_local=1 \
    net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.br0.rp_filter=0
  clients_via_director "$1"
  for ((i = 1; i <= $1; i++)); do
    nsx "rs$i" ip addr add "$VIP/32" dev lo
    nsx "rs$i" ip addr add "$VIP6/128" dev lo nodad
    nsx "rs$i" sysctl -qw net.ipv4.conf.all.arp_ignore=1 net.ipv4.conf.all.arp_announce=2
    nsx "rs$i" python3 tests/lib/tcpsrv.py "rs$i" "$VIP" "$port" &
    nsx "rs$i" python3 tests/lib/tcpsrv.py "rs$i" "$VIP6" "$port" &
  done
  for ((i = 1; i <= $1; i++)); do wait_port "rs$i" "$VIP" "$port"; wait_port "rs$i" "$VIP6" "$port"; done
}

# unload_ip_vs: the kernel's ip_vs and its schedulers out again. ip_vs and
# rvs.ko both register "IPVS": a test that loads ip_vs leaves it unloaded
# for the tests that follow (namespace teardown is asynchronous, hence
# the retries).
unload_ip_vs() {
  local k m
  for k in $(seq 50); do
    for m in $(awk '/^ip_vs_/ {print $1}' /proc/modules) ip_vs; do
      grep -q "^$m " /proc/modules && modprobe -r "$m" 2>/dev/null
    done
    grep -q "^ip_vs " /proc/modules || return 0
    sleep 0.2
  done
  echo "FAIL: ip_vs stays loaded" >&2
  return 1
}

# clients_via_director N: the first N real servers route the clients'
# networks through the director, which forwards both families (NAT real
# servers, and answers that skip rvs: direct routing, tunnelling).
clients_via_director() {
  local i
  nsx d sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
  for ((i = 1; i <= $1; i++)); do
    nsx "rs$i" ip route add 192.0.2.0/24 via "$DIR_IN"
    nsx "rs$i" ip -6 route add 2001:db8:c::/64 via "$DIR_IN6"
  done
}

# client_seen_traffic: through VIP:80 and [VIP6]:80, served by two real
# servers whose application sees the client itself (own_vip_servers 2,
# or NAT): four connections reach both real servers twice, each seeing the
# client's own address, and 5 MB go up and down intact (sha256).
client_seen_traffic() {
  local pair vip cl out
  for pair in "$VIP $CLIENT" "$VIP6 $CLIENT6"; do
    read -r vip cl <<<"$pair"
    out=$(client peers "$vip" 80 4)
    assert_eq "$vip: both real servers, each twice" "2 2" "$(grep -c '^rs1 ' <<<"$out") $(grep -c '^rs2 ' <<<"$out")"
    assert_eq "$vip: the real server sees the client itself" 4 "$(awk -v c="$cl" '$2 == c' <<<"$out" | wc -l)"
    client upload "$vip" 80 5000000 | grep -q ' ok$' || fail "$vip: upload corrupted"
    client download "$vip" 80 5000000 | grep -q ' ok$' || fail "$vip: download corrupted"
  done
}

# ttl1_dropped: a client SYN to VIP:80 with TTL 1 is dropped as expired
# (drop_ttl), and the client is sent an ICMP time exceeded: a method that
# forwards the packet takes one off its TTL, as a router does.
ttl1_dropped() {
  local t0 x0
  t0=$(rvs_stat drop_ttl) x0=$(nsx c nstat -az IcmpInTimeExcds | awk '/IcmpInTimeExcds/ {print $2}')
  nsx c python3 -c "
import socket
s = socket.socket()
s.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, 1)
s.settimeout(0.5)
try:
    s.connect(('$VIP', 80))
except OSError:
    pass"
  [ "$(rvs_stat drop_ttl)" -gt "$t0" ] || fail "a SYN with TTL 1 was not dropped as expired"
  [ "$(nsx c nstat -az IcmpInTimeExcds | awk '/IcmpInTimeExcds/ {print $2}')" -gt "$x0" ] || fail "the client got no time exceeded"
}

# learned_pmtus: a 1500-byte datagram with DF to VIP:53 and [VIP6]:53,
# which fits the client's link; prints the path MTUs the client's sockets
# then have ("V4 V6"), lower once the director told it the packet did not
# fit further on.
learned_pmtus() {
  nsx c python3 -c "
import socket, time
for fam, vip, lvl, disc, mtu_opt, n in ((socket.AF_INET, '$VIP', socket.IPPROTO_IP, 10, 14, 1472),
                                        (socket.AF_INET6, '$VIP6', socket.IPPROTO_IPV6, 23, 24, 1452)):
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.setsockopt(lvl, disc, 2)  # IP(V6)_MTU_DISCOVER: IP_PMTUDISC_DO
    s.connect((vip, 53))
    s.send(b'x' * n)  # 1500 bytes on the wire
    for _ in range(50):
        if s.getsockopt(lvl, mtu_opt) < 1500:
            break
        time.sleep(0.1)
    print(s.getsockopt(lvl, mtu_opt), end=' ')
" | xargs
}

# icmp_reaches_rs CPORT: an ICMP frag-needed about a real server's answer
# (VIP:80 -> client:CPORT) sent to the VIP reaches the real servers (one
# more IcmpInDestUnreachs among them) and is counted in icmp_fwd.
icmp_reaches_rs() {
  local before fwd0 k
  before=$(icmp_unreach_at_rs) fwd0=$(rvs_stat icmp_fwd)
  nsx c python3 tests/lib/rawpkt.py ptb "$CLIENT" "$VIP" 80 "$1" 1400 good > /dev/null
  for k in $(seq 20); do [ "$(icmp_unreach_at_rs)" -gt "$before" ] && break; sleep 0.1; done
  assert_eq "frag-needed received by the real server" $((before + 1)) "$(icmp_unreach_at_rs)"
  assert_eq "icmp_fwd" $((fwd0 + 1)) "$(rvs_stat icmp_fwd)"
}
icmp_unreach_at_rs() {
  local n=0 i
  for i in 1 2; do n=$((n + $(nsx "rs$i" nstat -az IcmpInDestUnreachs | awk '/IcmpInDestUnreachs/ {print $2}'))); done
  echo "$n"
}

# hold_conn ADDR SECONDS: a connection from the client to ADDR:80, held
# open SECONDS in the background after one line went both ways (the real
# server has it, the director tracks it); its client port in HELD_PORT.
hold_conn() {
  local f k
  f=$(mktemp /tmp/held.XXXXXX)
  nsx c python3 -c "
import socket, sys, time
s = socket.create_connection((sys.argv[1], 80), 10)
s.sendall(b'HOLD\n'); s.makefile().readline()
print(s.getsockname()[1], flush=True)
time.sleep(float(sys.argv[2]))" "$1" "$2" > "$f" &
  for k in $(seq 100); do [ -s "$f" ] && break; sleep 0.1; done
  HELD_PORT=$(cat "$f")
  rm -f "$f"
  [ -n "$HELD_PORT" ] || fail "no connection held to $1"
}

# fullnat_service6 PROTO PORT SCHED NRS [RPORT]: as fullnat_service, on
# VIP6 over the real servers' IPv6 addresses, with one IPv6 LADDR.
fullnat_service6() {
  local proto=$1 port=$2 sched=$3 nrs=$4 rport=${5:-8080} i
  rvs_ctl add-service "$proto" "[$VIP6]:$port" "$sched"
  for ((i = 1; i <= nrs; i++)); do rvs_ctl add-dest "$proto" "[$VIP6]:$port" "[$(rs6_addr "$i")]:$rport" 1; done
  rvs_ctl add-laddr "$proto" "[$VIP6]:$port" "${LADDRS6[0]}"
}

# start_servers6 N PORT [udp]: tests/lib/tcpsrv.py on each real server's
# IPv6 address.
start_servers6() {
  local n=$1 port=$2 i
  for ((i = 1; i <= n; i++)); do
    nsx "rs$i" python3 tests/lib/tcpsrv.py "rs$i" "$(rs6_addr "$i")" "$port" ${3:-} &
  done
  for ((i = 1; i <= n; i++)); do
    if [ "${3:-}" != udp ]; then
      wait_port "rs$i" "$(rs6_addr "$i")" "$port"
    else
      wait_udp_port "rs$i" "$port"
    fi
  done
}

# fullnat_service PROTO PORT SCHED NRS [RPORT]: a service on VIP:PORT over
# the first NRS real servers, with one LADDR.
fullnat_service() {
  local proto=$1 port=$2 sched=$3 nrs=$4 rport=${5:-8080} i
  rvs_ctl add-service "$proto" "$VIP:$port" "$sched"
  for ((i = 1; i <= nrs; i++)); do rvs_ctl add-dest "$proto" "$VIP:$port" "$(rs_addr "$i"):$rport" 1; done
  rvs_ctl add-laddr "$proto" "$VIP:$port" "${LADDRS[0]}"
}

cleanup_all() {
  local j
  for j in $(jobs -p); do kill "$j" 2>/dev/null || true; done
  wait 2>/dev/null || true
  topo_down
}

# fullnat_setup NRS [SCHED] [INSMOD_PARAMS...]: the usual start of a test -
# topology with NRS real servers, rvs loaded, a TCP service VIP:80 over
# them (port 8080) with one LADDR, test servers running; all undone on exit.
fullnat_setup() {
  local nrs=$1 sched=${2:-rr}
  shift $(($# >= 2 ? 2 : 1))
  trap cleanup_all EXIT
  topo_up "$nrs"
  load_rvs "$@"
  fullnat_service tcp 80 "$sched" "$nrs"
  start_servers "$nrs" 8080
}
