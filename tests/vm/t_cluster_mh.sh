# Two directors, one client flow: with the Maglev scheduler (mh), a
# client's connection reaches the same real server whichever director it
# passes, though the directors' real servers were added in different
# orders (what ECMP in front of a cluster of directors needs: a flow that
# moves to another director, or whose synced state was lost, lands on the
# same real server). Director d has rs1, rs2, rs3; director d2 (its own
# namespace, so its own rvs services, FULLNAT with its own LADDR) has
# rs3, rs1, rs2, one of them with weight 2 in both. The client connects
# from 40 fixed ports through d, then from the same ports through d2 (a
# route change), and both lists must agree, over at least two real
# servers.
. tests/lib/lib.sh
trap cleanup_all EXIT
topo_up 3
load_rvs
start_servers 3 8080
LADDR2=198.51.100.220
director2 "$LADDR2"

nsx d ipvsadm -A -t "$VIP:80" -s mh
nsx d2 ipvsadm -A -t "$VIP:80" -s mh
for i in 1 2 3; do nsx d "$RVSADM" -a -t "$VIP:80" -r "$(rs_addr "$i"):8080" -b -w $((i == 2 ? 2 : 1)); done
for i in 3 1 2; do nsx d2 "$RVSADM" -a -t "$VIP:80" -r "$(rs_addr "$i"):8080" -b -w $((i == 2 ? 2 : 1)); done
nsx d "$RVSADM" -P -t "$VIP:80" -z "${LADDRS[0]}"
nsx d2 "$RVSADM" -P -t "$VIP:80" -z "$LADDR2"

# Connections from fixed client ports, each closed with a reset (no
# TIME_WAIT on the client keeps the port from the next round).
through() {
  nsx c python3 -c "
import socket, struct
for p in range(41000, 41040):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(('$CLIENT', p))
    s.settimeout(5)
    s.connect(('$VIP', 80))
    s.sendall(b'PEER\n')
    f = s.makefile()
    name, ip = f.readline().split()[:2]
    print(p, name, ip)
    f.close()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
    s.close()"
}
via_d=$(through)
nsx c ip route replace "$VIP/32" via 203.0.113.2 src "$CLIENT"
via_d2=$(through)
# Each director's connections left from its own LADDR.
assert_eq "connections through d, from its LADDR" 40 "$(awk -v l="${LADDRS[0]}" '$3 == l' <<<"$via_d" | wc -l)"
assert_eq "connections through d2, from its LADDR" 40 "$(awk -v l="$LADDR2" '$3 == l' <<<"$via_d2" | wc -l)"
assert_eq "the real server of each flow, through d and through d2" \
  "$(awk '{print $1, $2}' <<<"$via_d")" "$(awk '{print $1, $2}' <<<"$via_d2")"
servers=$(awk '{print $2}' <<<"$via_d" | sort | uniq -c | xargs)
note "flows per real server: $servers"
[ "$(awk '{print $2}' <<<"$via_d" | sort -u | wc -l)" -ge 2 ] || fail "all flows on one real server: $servers"
