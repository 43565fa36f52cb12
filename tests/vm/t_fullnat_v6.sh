# IPv6 FULLNAT, beside IPv4 on the same links and the same port: the real
# servers see the IPv6 LADDR and are both scheduled (rr); the real
# server's SYN-ACK MSS is lowered by 20 (room for the 20-byte TOA); the
# handshake's ACK carries the client's address and port in TOA, kind 254
# (DPVS's format) by default and 253 (Alibaba's) when set, the SYN and the
# replies never; transfers arrive intact both ways with GRO off and on;
# UDP datagrams spread evenly; IPv4 and IPv6 transfers through the same
# port run at once; persistence groups a client's /64; stock
# ipvsadm lists the service and its connections; SYNPROXY answers IPv6
# handshakes with cookies; with toa.ko the real servers see the IPv6
# client.
. tests/lib/lib.sh
trap cleanup_all EXIT
topo_up 2
load_rvs
fullnat_service6 tcp 80 rr 2
fullnat_service tcp 80 rr 2
start_servers6 2 8080
start_servers 2 8080

# Who the real servers see, and the MSS the client was given.
out=$(client peers "$VIP6" 80 4)
sed 's/^/# /' <<<"$out"
assert_eq "both real servers scheduled" "rs1 rs2" "$(awk '{print $1}' <<<"$out" | sort -u | xargs)"
assert_eq "the real servers see the IPv6 LADDR" "${LADDRS6[0]}" "$(awk '{print $2}' <<<"$out" | sort -u | xargs)"
# veth MTU 1500: the real server offers 1440, rvs lowers it to 1420.
assert_eq "client MSS" 1420 "$(awk '{print $4}' <<<"$out" | sort -u | xargs)"
out4=$(client peers "$VIP" 80 2)
assert_eq "IPv4 beside it, same port" "${LADDRS[0]}" "$(awk '{print $2}' <<<"$out4" | sort -u | xargs)"

# TOA: the kind follows the setting; only the client's segments carry it.
capture() { # FILE PORT: sniff r1 while one PEER connection to rs1 runs from PORT
  nsx rs1 python3 tests/lib/sniff.py r1 30 fins > "$1" &
  local pid=$! k
  for k in $(seq 50); do grep -q ready "$1" && break; sleep 0.1; done
  # rr alternates: two connections, one of which is rs1's.
  nsx c python3 -c "
import socket
for p in ($2, $2 + 1):
    s = socket.socket(socket.AF_INET6); s.bind(('$CLIENT6', p)); s.settimeout(10); s.connect(('$VIP6', 80))
    s.sendall(b'PEER\n'); f = s.makefile(); f.readline(); f.close(); s.close()"
  wait "$pid"
}
for kind in 254 253; do
  rvs_ctl set toa_v6_kind $kind
  base=$((40300 + 10 * (kind - 253)))  # a fresh pair: the last one waits in TIME_WAIT
  capture /tmp/toa6_$kind $base
  sed 's/^/# /' /tmp/toa6_$kind
  from_client=$(grep "> \[$(rs6_addr 1)\]:8080" /tmp/toa6_$kind)
  port=$(grep -m1 ' S len' <<<"$from_client" | sed 's/.*\]:\([0-9]*\) > .*/\1/')
  [ -n "$port" ] || fail "no SYN from the LADDR in the capture"
  syn=$(grep -m1 ' S len' <<<"$from_client")
  ack=$(grep -m1 ' A len=0' <<<"$from_client")
  grep -q 'toa=-' <<<"$syn" || fail "the SYN carries TOA: $syn"
  grep -Eq "toa=$kind/\[$CLIENT6\]:($base|$((base + 1)))" <<<"$ack" || fail "the handshake ACK lacks the kind $kind TOA: $ack"
  if grep "\[$(rs6_addr 1)\]:8080 >" /tmp/toa6_$kind | grep -qv 'toa=-'; then fail "a reply carries TOA"; fi
done
rvs_ctl set toa_v6_kind 254
if rvs_ctl set toa_v6_kind 252 2>/dev/null; then fail "toa_v6_kind 252 accepted"; fi

# Bytes both ways, GRO off and on.
for gro in off on; do
  for dev in d0 d1 d2; do nsx d ethtool -K "$dev" gro $gro >/dev/null 2>&1 || fail "cannot set GRO $gro on $dev"; done
  client upload "$VIP6" 80 5000000 | grep -q ' ok$' || fail "upload corrupted (GRO $gro)"
  client download "$VIP6" 80 5000000 | grep -q ' ok$' || fail "download corrupted (GRO $gro)"
done

# The dual-stack pair at once: an IPv4 and an IPv6 transfer through the
# same port, each way, together.
client upload "$VIP" 80 3000000 > /tmp/pair_up4 2>&1 & up4=$!
client download "$VIP6" 80 3000000 > /tmp/pair_down6 2>&1 & down6=$!
client upload "$VIP6" 80 3000000 > /tmp/pair_up6 2>&1 & up6=$!
client download "$VIP" 80 3000000 > /tmp/pair_down4 2>&1 & down4=$!
for j in up4 down6 up6 down4; do
  wait "${!j}" && grep -q ' ok$' "/tmp/pair_$j" || fail "dual-stack pair: $j failed: $(cat "/tmp/pair_$j")"
done

# Stock ipvsadm lists the IPv6 service and its connections (fresh ones:
# closed connections linger for the TIME_WAIT timeout only).
client peers "$VIP6" 80 2 > /dev/null
list=$(nsx d ipvsadm -Ln)
grep -q "^TCP  \[$VIP6\]:80 rr" <<<"$list" || fail "ipvsadm -Ln lacks the IPv6 service: $list"
grep -q -- "-> \[$(rs6_addr 2)\]:8080" <<<"$list" || fail "ipvsadm -Ln lacks the IPv6 real server: $list"
conns=$(nsx d ipvsadm -Lnc)
grep -q "\[$CLIENT6\]:[0-9]* *\[$VIP6\]:80 *\[$(rs6_addr 1)\]:8080" <<<"$conns" || fail "ipvsadm -Lnc lacks IPv6 connections: $conns"

# UDP: 20 datagrams from 20 source ports, even over the two servers.
fullnat_service6 udp 53 rr 2 5353
start_servers6 2 5353 udp
out=$(client udp "$VIP6" 53 20)
assert_eq "UDP to rs1" 10 "$(grep -c '^rs1 ' <<<"$out")"
assert_eq "UDP to rs2" 10 "$(grep -c '^rs2 ' <<<"$out")"
assert_eq "UDP sources" "${LADDRS6[0]}" "$(awk '{print $2}' <<<"$out" | sort -u | xargs)"

# Persistence by /64: the client's connections all go to one server.
rvs_ctl set-persist tcp "[$VIP6]:80" 60 64
out=$(client peers "$VIP6" 80 4)
assert_eq "one server for the client's /64" 1 "$(awk '{print $1}' <<<"$out" | sort -u | wc -l)"
rvs_ctl set-persist tcp "[$VIP6]:80" 0

# SYNPROXY: the director answers the handshake; the data still arrives.
rvs_ctl set-synproxy tcp "[$VIP6]:80" 1
ok=$(rvs_stat synproxy_cookie_ok)
out=$(client peers "$VIP6" 80 2)
assert_eq "SYNPROXY: the real servers see the LADDR" "${LADDRS6[0]}" "$(awk '{print $2}' <<<"$out" | sort -u | xargs)"
# 1420 less the cookie's rounding: offered 1400 (synproxy_init_mss 1452 less 32).
assert_eq "SYNPROXY: client MSS" 1400 "$(awk '{print $4}' <<<"$out" | sort -u | xargs)"
assert_eq "SYNPROXY: cookies accepted" 2 $(( $(rvs_stat synproxy_cookie_ok) - ok ))
client upload "$VIP6" 80 2000000 | grep -q ' ok$' || fail "upload corrupted (SYNPROXY)"
client download "$VIP6" 80 2000000 | grep -q ' ok$' || fail "download corrupted (SYNPROXY)"
note "toa_inserted $(rvs_stat toa_inserted) toa_no_room $(rvs_stat toa_no_room) drop_malformed $(rvs_stat drop_malformed)"

# End to end with toa.ko on the real servers: their IPv6 listeners see the
# IPv6 client itself, in either TOA format.
rvs_ctl set-synproxy tcp "[$VIP6]:80" 0
load_toa
for kind in 254 253; do
  rvs_ctl set toa_v6_kind $kind
  out=$(client peers "$VIP6" 80 2)
  assert_eq "with toa.ko, kind $kind: the real servers see the client" "$CLIENT6" "$(awk '{print $2}' <<<"$out" | sort -u | xargs)"
done
