# vm-tcg: single
# Handshakes made by hand (raw sockets in the client namespace):
# - an ACK whose option area is already 40 bytes passes the director without
#   TOA, counted as toa_no_room; the real server (toa.ko loaded) sees the
#   LADDR and counts a socket without TOA;
# - an ACK carrying a TOA the client wrote itself (a forged address) reaches
#   the real server with the director's TOA only: the server sees the real
#   client; and when there is no room for the director's, the client's is
#   blanked all the same: the server sees the LADDR, never the forged one.
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
