# Defence switches (default on, each counted): fragments to a VIP, UDP to a
# TCP-only VIP, TCP to a VIP port without a service. Switched off, the same
# packets reach the director's own stack again.
. tests/lib/lib.sh
fullnat_setup 1
syn81() { # connect to VIP:81; prints refused or timeout
  nsx c python3 -c "
import socket
s = socket.socket(); s.settimeout(2)
try:
    s.connect(('$VIP', 81)); print('connected')
except ConnectionRefusedError: print('refused')
except OSError: print('timeout')"
}
nsx c python3 tests/lib/rawpkt.py frag "$CLIENT" "$VIP" 53 5 >/dev/null
nsx c python3 -c "
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for _ in range(4): s.sendto(b'x', ('$VIP', 53))"
assert_eq "TCP to an unconfigured VIP port (defence on)" timeout "$(syn81)"
sleep 1
assert_eq "drop_frag" 5 "$(rvs_stat drop_frag)"
assert_eq "drop_udp_tcp_vip" 4 "$(rvs_stat drop_udp_tcp_vip)"
[ "$(rvs_stat drop_vip_port)" -ge 1 ] || fail "drop_vip_port not counted"
for s in defence_frag defence_udp defence_tcp_port; do rvs_ctl set $s 0; done
assert_eq "TCP to an unconfigured VIP port (defence off)" refused "$(syn81)"
nsx c python3 tests/lib/rawpkt.py frag "$CLIENT" "$VIP" 53 3 >/dev/null
sleep 1
assert_eq "drop_frag with the switch off" 5 "$(rvs_stat drop_frag)"
client peers "$VIP" 80 2 >/dev/null || fail "service broken"

# IPv6 fragments to an IPv6 VIP: dropped at PRE_ROUTING and counted (the
# stack would keep them for reassembly after LOCAL_IN).
rvs_ctl set defence_frag 1
fullnat_service6 tcp 80 rr 1
nsx c python3 tests/lib/rawpkt.py frag "$CLIENT6" "$VIP6" 53 4 >/dev/null
for _ in $(seq 50); do [ "$(rvs_stat drop_frag)" -ge 9 ] && break; sleep 0.1; done
assert_eq "drop_frag after IPv6 fragments" 9 "$(rvs_stat drop_frag)"
