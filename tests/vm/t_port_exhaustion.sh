# One LADDR and ten local ports: the eleventh concurrent connection to the
# same real server is refused and counted; the ten keep working. A refusal
# costs at most 64 tries, however large the range.
. tests/lib/lib.sh
fullnat_setup 1
rvs_ctl set-lport-range 5000 5009
coproc HOLD { client hold "$VIP" 80 11; }
read -r -t 120 word n <&"${HOLD[0]}" || fail "no answer from the hold client"
assert_eq "answered connections" 10 "$n"
[ "$(rvs_stat drop_no_port)" -ge 1 ] || fail "drop_no_port not counted"
assert_eq "connections in the table" 10 "$(rvs_stat conns_now)"

# What a refusal costs is bounded: with 300 ports toward the real server
# all taken by UDP flows, one more flow is refused after at most 64 tries
# (each a table lookup in softirq, counted in the LADDR's port_conflicts),
# not after walking the whole range.
fullnat_service udp 53 rr 1 5353
rvs_ctl set-lport-range 5000 5299
udp_laddr_conflicts() { # port_conflicts of the UDP service's LADDR
  awk '$1 == "svc" {u = ($2 == "udp")} u && $1 == "laddr" {for (i = 2; i < NF; i++) if ($i == "port_conflicts") print $(i + 1)}' \
    /sys/module/rvs/parameters/stats
}
udp_flows() { # FIRST_PORT N: one datagram from each of N client ports
  nsx c python3 -c "
import socket
for p in range($1, $1 + $2):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(('$CLIENT', p)); s.sendto(b'x', ('$VIP', 53)); s.close()"
}
c0=$(rvs_stat conns_now)
udp_flows 20000 300
for k in $(seq 50); do [ "$(rvs_stat conns_now)" = $((c0 + 300)) ] && break; sleep 0.1; done
assert_eq "UDP flows holding every port" 300 $(( $(rvs_stat conns_now) - c0 ))
p0=$(udp_laddr_conflicts); n0=$(rvs_stat drop_no_port)
udp_flows 21000 1
for k in $(seq 20); do [ "$(rvs_stat drop_no_port)" != "$n0" ] && break; sleep 0.1; done
assert_eq "the 301st flow refused" 1 $(( $(rvs_stat drop_no_port) - n0 ))
assert_eq "ports tried for it" 64 $(( $(udp_laddr_conflicts) - p0 ))
