# Sysctls under net.ipv4.vs drive rvs's settings: read back what was
# written, refuse values out of bounds (nothing changes), agree with the
# netlink family's timeouts, and change the datapath (TOA insertion
# switched off and on, counted).
. tests/lib/lib.sh
fullnat_setup 1
vs() { sysctl -n "net.ipv4.vs.$1"; }
assert_eq "toa default" 1 "$(vs fullnat_toa_entry)"
assert_eq "established default" 90 "$(vs timeout_established)"
for k in fullnat_timestamp_remove_entry fullnat_mss_adjust_entry defence_frag_drop defence_udp_drop defence_tcp_drop; do
  assert_eq "$k default" 1 "$(vs "$k")"
done
sysctl -qw net.ipv4.vs.timeout_established=1200
assert_eq "timeout written" 1200 "$(vs timeout_established)"
assert_eq "ipvsadm sees it" "Timeout (tcp tcpfin udp): 1200 7 300" "$(ipvsadm -L --timeout)"
ipvsadm --set 0 9 0
assert_eq "sysctl sees ipvsadm's" 9 "$(vs timeout_fin_wait)"
if sysctl -qw net.ipv4.vs.fullnat_toa_entry=2 2>/dev/null; then fail "toa=2 accepted"; fi
if sysctl -qw net.ipv4.vs.timeout_udp=0 2>/dev/null; then fail "timeout_udp=0 accepted"; fi
if sysctl -qw net.ipv4.vs.timeout_udp=86401 2>/dev/null; then fail "timeout_udp=86401 accepted"; fi
assert_eq "udp unchanged" 300 "$(vs timeout_udp)"
sysctl -qw net.ipv4.vs.fullnat_lport_min=6000 net.ipv4.vs.fullnat_lport_max=6100
assert_eq "lport range" "6000 6100" "$(vs fullnat_lport_min) $(vs fullnat_lport_max)"
if sysctl -qw net.ipv4.vs.fullnat_lport_min=7000 2>/dev/null; then fail "min above max accepted"; fi
assert_eq "lport range unchanged" "6000 6100" "$(vs fullnat_lport_min) $(vs fullnat_lport_max)"
# TOA insertion follows the switch.
sysctl -qw net.ipv4.vs.fullnat_toa_entry=0
before=$(rvs_stat toa_inserted)
client peers "$VIP" 80 3 >/dev/null
assert_eq "no TOA when off" "$before" "$(rvs_stat toa_inserted)"
sysctl -qw net.ipv4.vs.fullnat_toa_entry=1
client peers "$VIP" 80 3 >/dev/null
[ "$(rvs_stat toa_inserted)" -ge $((before + 3)) ] || fail "TOA not inserted when on: $(rvs_stat toa_inserted)"
