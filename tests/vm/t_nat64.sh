# NAT64: an IPv6 VIP over IPv4 real servers, set up by rvsadm alone
# (IPv4 real servers and an IPv4 LADDR behind an IPv6 service). The real
# servers see IPv4 connections from the LADDR, both scheduled (rr); the
# client is offered an MSS 40 bytes under the real server's (20 for the
# IPv6 header, 20 for its TOA); 5 MB arrive intact both ways (sha256 at
# both ends) with GRO off and on; UDP is translated too; SYNPROXY answers
# the handshake; rvsadm and stock ipvsadm list the mixed service and its
# connections, -G and -S the IPv4 LADDR; an IPv4 service refuses an IPv6
# real server (NAT46) with its reason; one service may hold IPv4 and IPv6
# real servers at once. With toa.ko on a real server, a
# dual-stack listener accepts the IPv6 client itself, and an AF_INET one
# sees the LADDR but gets the client from the TOA_SO_GET_CLIENT6
# getsockopt. Last, path MTU discovery across the families: a 1280-byte
# link on each side makes the director answer with errors about packets
# it sent, which rvs turns into the other family's (frag-needed into
# Packet Too Big and back), and both transfers complete.
. tests/lib/lib.sh
trap cleanup_all EXIT
[ -x "$RVSADM" ] || fail "no rvsadm binary at $RVSADM"
topo_up 2
load_rvs
rv() { nsx d "$RVSADM" "$@"; }
rv -A -t "[$VIP6]:80" -s rr
for i in 1 2; do rv -a -t "[$VIP6]:80" -r "$(rs_addr "$i"):8080" -b; done
rv -P -t "[$VIP6]:80" -z "${LADDRS[0]}"
start_servers 2 8080

out=$(client peers "$VIP6" 80 4)
sed 's/^/# /' <<<"$out"
assert_eq "both real servers scheduled" "rs1 rs2" "$(awk '{print $1}' <<<"$out" | sort -u | xargs)"
assert_eq "the real servers see the IPv4 LADDR" "${LADDRS[0]}" "$(awk '{print $2}' <<<"$out" | sort -u | xargs)"
# veth MTU 1500: the real server offers 1460; the IPv6 client gets 1420.
assert_eq "client MSS" 1420 "$(awk '{print $4}' <<<"$out" | sort -u | xargs)"

for gro in off on; do
  for dev in d0 d1 d2; do nsx d ethtool -K "$dev" gro $gro >/dev/null 2>&1 || fail "cannot set GRO $gro on $dev"; done
  client upload "$VIP6" 80 5000000 | grep -q ' ok$' || fail "upload corrupted (GRO $gro)"
  client download "$VIP6" 80 5000000 | grep -q ' ok$' || fail "download corrupted (GRO $gro)"
done

# Listings: the IPv4 real servers and LADDR of the IPv6 service.
client peers "$VIP6" 80 2 > /dev/null
list=$(rv -Ln)
grep -q "^TCP  \[$VIP6\]:80 rr" <<<"$list" || fail "rvsadm -Ln lacks the service: $list"
grep -qE -- "-> $(rs_addr 1):8080 +FullNat" <<<"$list" || fail "rvsadm -Ln lacks the IPv4 real server: $list"
stock=$(nsx d ipvsadm -Ln)
grep -q -- "-> $(rs_addr 2):8080" <<<"$stock" || fail "ipvsadm -Ln lacks the IPv4 real server: $stock"
conns=$(nsx d ipvsadm -Lnc)
grep -q "\[$CLIENT6\]:[0-9]* *\[$VIP6\]:80 *$(rs_addr 1):8080" <<<"$conns" || fail "ipvsadm -Lnc lacks the NAT64 connections: $conns"
rv -G -t "[$VIP6]:80" | grep -qE "^ +${LADDRS[0]} " || fail "rvsadm -G lacks the IPv4 LADDR: $(rv -G -t "[$VIP6]:80")"
saved=$(rv -S -n)
grep -qx -- "-P -t \[$VIP6\]:80 -z ${LADDRS[0]}" <<<"$saved" || fail "rvsadm -S lost the IPv4 LADDR: $saved"
grep -qx -- "-a -t \[$VIP6\]:80 -r $(rs_addr 2):8080 -b -w 1" <<<"$saved" || fail "rvsadm -S lost the IPv4 real server: $saved"
# NAT46 is not offered: the kernel says so.
rv -A -t "$VIP:81" -s rr
rc=0; err=$(rv -a -t "$VIP:81" -r "[$(rs6_addr 1)]:8080" -b 2>&1) || rc=$?
[ "$rc" -ne 0 ] || fail "an IPv6 real server behind an IPv4 service was accepted"
grep -q "NAT46" <<<"$err" || fail "NAT46 refusal without its reason: $err"
rv -D -t "$VIP:81"

# One service, both kinds of real server: rs1 over IPv4 (NAT64), rs2 over
# IPv6 (FULLNAT), each connection from an LADDR of its server's family;
# both offer the client the same MSS (IPv4's 1460 less 40, IPv6's 1440
# less 20), and transfers through each arrive intact.
rv -A -t "[$VIP6]:82" -s rr
rv -a -t "[$VIP6]:82" -r "$(rs_addr 1):8080" -b
rv -a -t "[$VIP6]:82" -r "[$(rs6_addr 2)]:8080" -b
rv -P -t "[$VIP6]:82" -z "${LADDRS[0]}"
rv -P -t "[$VIP6]:82" -z "${LADDRS6[0]}"
nsx rs2 python3 tests/lib/tcpsrv.py rs2 "$(rs6_addr 2)" 8080 &
wait_port rs2 "$(rs6_addr 2)" 8080
out=$(client peers "$VIP6" 82 4)
sed 's/^/# mixed: /' <<<"$out"
assert_eq "mixed: each server seen from an LADDR of its family" "rs1 ${LADDRS[0]}|rs2 ${LADDRS6[0]}" \
  "$(awk '{print $1, $2}' <<<"$out" | sort -u | paste -sd'|')"
assert_eq "mixed: client MSS" 1420 "$(awk '{print $4}' <<<"$out" | sort -u | xargs)"
for k in 1 2; do  # rr: one of each pair reaches each server
  client upload "$VIP6" 82 2000000 | grep -q ' ok$' || fail "mixed: upload $k corrupted"
  client download "$VIP6" 82 2000000 | grep -q ' ok$' || fail "mixed: download $k corrupted"
done
list=$(rv -Ln)
grep -qE -- "-> $(rs_addr 1):8080 +FullNat" <<<"$list" && grep -qE -- "-> \[$(rs6_addr 2)\]:8080 +FullNat" <<<"$list" \
  || fail "mixed: rvsadm -Ln lacks a real server: $list"
rv -D -t "[$VIP6]:82"

# UDP: 20 datagrams from 20 source ports over the two IPv4 servers.
rv -A -u "[$VIP6]:53" -s rr
for i in 1 2; do rv -a -u "[$VIP6]:53" -r "$(rs_addr "$i"):5353" -b; done
rv -P -u "[$VIP6]:53" -z "${LADDRS[0]}"
start_servers 2 5353 udp
out=$(client udp "$VIP6" 53 20)
assert_eq "UDP to rs1" 10 "$(grep -c '^rs1 ' <<<"$out")"
assert_eq "UDP to rs2" 10 "$(grep -c '^rs2 ' <<<"$out")"
assert_eq "UDP sources" "${LADDRS[0]}" "$(awk '{print $2}' <<<"$out" | sort -u | xargs)"

# SYNPROXY: the director's cookie handshake, then the IPv4 one.
rvs_ctl set-synproxy tcp "[$VIP6]:80" 1
ok=$(rvs_stat synproxy_cookie_ok)
out=$(client peers "$VIP6" 80 2)
assert_eq "SYNPROXY: the real servers see the LADDR" "${LADDRS[0]}" "$(awk '{print $2}' <<<"$out" | sort -u | xargs)"
assert_eq "SYNPROXY: cookies accepted" 2 $(( $(rvs_stat synproxy_cookie_ok) - ok ))
client upload "$VIP6" 80 2000000 | grep -q ' ok$' || fail "upload corrupted (SYNPROXY)"
client download "$VIP6" 80 2000000 | grep -q ' ok$' || fail "download corrupted (SYNPROXY)"
rvs_ctl set-synproxy tcp "[$VIP6]:80" 0

# toa.ko: the IPv6 client, seen through an IPv4 connection.
load_toa
nsx rs1 python3 tests/lib/toasrv.py "[::]:8090" "$(rs_addr 1):8091" > /tmp/nat64_toasrv.out 2>&1 &
for k in $(seq 100); do grep -q ready /tmp/nat64_toasrv.out && break; sleep 0.1; done
grep -q ready /tmp/nat64_toasrv.out || fail "toasrv did not start: $(cat /tmp/nat64_toasrv.out)"
for port in 8090 8091; do
  rv -A -t "[$VIP6]:$port" -s rr
  rv -a -t "[$VIP6]:$port" -r "$(rs_addr 1):$port" -b
  rv -P -t "[$VIP6]:$port" -z "${LADDRS[1]}"
done
ask() { # PORT CPORT: one line from toasrv, through the VIP from CLIENT6:CPORT
  nsx c python3 -c "
import socket
s = socket.socket(socket.AF_INET6); s.bind(('$CLIENT6', $2)); s.settimeout(10); s.connect(('$VIP6', $1))
s.sendall(b'x\n'); print(s.makefile().readline().strip())"
}
for kind in 254 253; do
  rvs_ctl set toa_v6_kind $kind
  cport=$((41000 + kind))
  dual=$(ask 8090 $cport)
  note "dual-stack, kind $kind: $dual"
  assert_eq "dual-stack listener, kind $kind: accept() and getpeername() give the client" \
    "$CLIENT6 $cport $CLIENT6 $cport" "$(awk '{print $1, $2, $3, $4}' <<<"$dual")"
  inet=$(ask 8091 $((cport + 10)))
  note "AF_INET, kind $kind: $inet"
  assert_eq "AF_INET listener, kind $kind: the LADDR from accept()" "${LADDRS[1]}" "$(awk '{print $1}' <<<"$inet")"
  assert_eq "AF_INET listener, kind $kind: the client from the getsockopt" \
    "[$CLIENT6]:$((cport + 10))" "$(awk '{print $5}' <<<"$inet")"
done
rvs_ctl set toa_v6_kind 254

# Path MTU across the families (see icmp_pmtu for the method: the flush
# between the transfers, and why). One link at a time: the client learns
# 1300 from the first, more than a 1280 link on its own side would carry
# (a veth drops what exceeds the receiving end's MTU, unannounced).
ip -n rvs-d link set br0 mtu 1280   # toward the real server (IPv4)
before=$(rvs_stat icmp_fwd)
client upload "$VIP6" 80 3000000 | grep -q ' ok$' || fail "upload through a 1280 IPv4 link"
[ "$(rvs_stat icmp_fwd)" -gt "$before" ] || fail "no frag-needed turned into a Packet Too Big"
# The IPv4 MTU of 1280 is an IPv6 one of 1300 for the client.
nsx c ip -6 route get "$VIP6" | grep -q 'mtu 1300' || fail "client has no PMTU 1300 for the VIP: $(nsx c ip -6 route get "$VIP6")"
nsx c ip -6 route flush cache
ip -n rvs-d link set d0 mtu 1280    # toward the client (IPv6)
up=$(rvs_stat icmp_fwd)
client download "$VIP6" 80 3000000 | grep -q ' ok$' || fail "download through a 1280 IPv6 link"
[ "$(rvs_stat icmp_fwd)" -gt "$up" ] || fail "no Packet Too Big turned into a frag-needed"
# The IPv6 MTU of 1280 is an IPv4 one of 1260 for the real server.
found=0
for i in 1 2; do nsx "rs$i" ip route get "${LADDRS[0]}" | grep -q 'mtu 1260' && found=1; done
[ "$found" = 1 ] || fail "no real server has a PMTU of 1260 for the LADDR: $(nsx rs1 ip route get "${LADDRS[0]}")"
note "icmp_fwd $(rvs_stat icmp_fwd) toa_inserted $(rvs_stat toa_inserted) toa_no_room $(rvs_stat toa_no_room) drop_malformed $(rvs_stat drop_malformed)"
