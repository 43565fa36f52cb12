# vm-tcg: single
# Handshakes made by hand (raw sockets in the client namespace):
# - an ACK whose option area is already 40 bytes passes the director without
#   TOA, counted as toa_no_room; the real server (toa.ko loaded) sees the
#   LADDR and counts a socket without TOA;
# - an ACK carrying a TOA the client wrote itself (a forged address) reaches
#   the real server with the director's TOA only: the server sees the real
#   client; and when there is no room for the director's, the client's is
#   blanked all the same: the server sees the LADDR, never the forged one;
# - a forged TOA in a SYN with data (TCP Fast Open, where the server makes
#   its socket from the SYN) is blanked: the server sees the LADDR;
# - with toa.ko's trusted= set, TOA from any other peer is ignored.
. tests/lib/lib.sh
fullnat_setup 1
load_toa
toa_stat() { nsx rs1 awk -v k="$1" '$1 == k {print $2}' /proc/net/toa_stats; }
# The client's kernel answers the server's segments of these connections
# with RSTs: drop them.
nsx c iptables-legacy -A OUTPUT -p tcp --tcp-flags RST RST -j DROP
nroom=$(rvs_stat toa_no_room); nt=$(toa_stat no_toa); seen=$(toa_stat toa_seen)
full=$(printf '01%.0s' $(seq 40))
read -r _ ip port _ < <(nsx c python3 tests/lib/rawconn.py "$CLIENT" "$VIP" 80 41000 "$full")
assert_eq "peer seen for a full option area" "${LADDRS[0]}" "$ip"
assert_eq "toa_no_room delta" 1 $(( $(rvs_stat toa_no_room) - nroom ))
assert_eq "no_toa delta" 1 $(( $(toa_stat no_toa) - nt ))
assert_eq "toa_seen delta" 0 $(( $(toa_stat toa_seen) - seen ))
# 203.0.113.66:1 in the client's own TOA, then two NOPs.
read -r _ ip port _ < <(nsx c python3 tests/lib/rawconn.py "$CLIENT" "$VIP" 80 41001 0101fe080001cb0071420101)
assert_eq "peer seen with a forged TOA" "$CLIENT 41001" "$ip $port"
assert_eq "toa_seen delta" 1 $(( $(toa_stat toa_seen) - seen ))
# The forged TOA in a full option area: no room for the director's.
forged=0101fe080001cb007142$(printf '01%.0s' $(seq 30))
read -r _ ip port _ < <(nsx c python3 tests/lib/rawconn.py "$CLIENT" "$VIP" 80 41002 "$forged")
assert_eq "peer seen with a forged TOA and no room" "${LADDRS[0]}" "$ip"
assert_eq "toa_no_room delta" 2 $(( $(rvs_stat toa_no_room) - nroom ))
# TCP Fast Open: a SYN with data makes the server's socket from the SYN
# itself, and toa.ko reads the TOA of that segment. A TOA the client
# wrote into its SYN must not reach the server: the director blanks it on
# every segment it forwards, so the server sees the LADDR (the director's
# own TOA comes in the ACK, after the socket was made).
tfo_passive() { nsx rs1 awk '$1 == "TcpExt:" { if (!n++) split($0, k); else for (i in k) if (k[i] == "TCPFastOpenPassive") print $i }' /proc/net/netstat; }
# Server TFO without a cookie, for every listener made from now on (the
# queue is sized at listen()): a server of its own behind VIP:81.
nsx rs1 sysctl -qw net.ipv4.tcp_fastopen=0x602
nsx rs1 python3 tests/lib/tcpsrv.py rs1 "$(rs_addr 1)" 8081 &
wait_port rs1 "$(rs_addr 1)" 8081
fullnat_service tcp 81 rr 1 8081
tfo0=$(tfo_passive)
read -r _ ip port _ < <(nsx c python3 tests/lib/rawconn.py --syn-opts fe080001cb007142 --tfo "$CLIENT" "$VIP" 81 41003 "")
assert_eq "the SYN's data made the server's socket (TFO)" 1 $(( $(tfo_passive) - tfo0 ))
assert_eq "peer seen with a forged TOA in a TFO SYN" "${LADDRS[0]}" "$ip"

# toa.ko believes TOA only from the peers in its `trusted` parameter when
# it has one (the directors' local addresses): from anyone else the option
# is ignored and counted (untrusted), and the server sees the real peer.
unload_toa
if load_toa trusted=198.51.100.0/33 2>/dev/null; then fail "toa.ko loaded with a /33"; fi
load_toa trusted=203.0.113.0/24,2001:db8:1::/64
u0=$(toa_stat untrusted)
read -r _ ip _ _ < <(client peers "$VIP" 80 1)
assert_eq "peer seen through a director outside trusted" "${LADDRS[0]}" "$ip"
assert_eq "untrusted TOA counted" 1 $(( $(toa_stat untrusted) - u0 ))
unload_toa
load_toa "trusted=203.0.113.0/24,${LADDRS[0]}"
read -r _ ip _ _ < <(client peers "$VIP" 80 1)
assert_eq "peer seen through a trusted director" "$CLIENT" "$ip"
assert_eq "nothing more counted untrusted" 0 "$(toa_stat untrusted)"
