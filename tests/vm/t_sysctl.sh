# Sysctls under net.ipv4.vs drive rvs's settings: read back what was
# written, refuse values out of bounds (nothing changes), agree with the
# netlink family's timeouts, and change the datapath (TOA insertion
# switched off and on, counted). Each network namespace has its own, as
# upstream's: the director's (rvs-d) changes leave the host's and another
# namespace's at their defaults, and a container (rvs-e) that sets its
# timeouts to 1 s through both front-ends leaves the director's
# connections on the director's timeouts. A namespace owned by a user
# namespace reads its sysctls and cannot write them.
. tests/lib/lib.sh
fullnat_setup 1
vs() { nsx d sysctl -n "net.ipv4.vs.$1"; }
assert_eq "toa default" 1 "$(vs fullnat_toa_entry)"
assert_eq "established default" 90 "$(vs timeout_established)"
for k in fullnat_timestamp_remove_entry fullnat_mss_adjust_entry defence_frag_drop defence_udp_drop defence_tcp_drop; do
  assert_eq "$k default" 1 "$(vs "$k")"
done
nsx d sysctl -qw net.ipv4.vs.timeout_established=1200
assert_eq "timeout written" 1200 "$(vs timeout_established)"
assert_eq "ipvsadm sees it" "Timeout (tcp tcpfin udp): 1200 7 300" "$(nsx d ipvsadm -L --timeout)"
nsx d ipvsadm --set 0 9 0
assert_eq "sysctl sees ipvsadm's" 9 "$(vs timeout_fin_wait)"
if nsx d sysctl -qw net.ipv4.vs.fullnat_toa_entry=2 2>/dev/null; then fail "toa=2 accepted"; fi
if nsx d sysctl -qw net.ipv4.vs.timeout_udp=0 2>/dev/null; then fail "timeout_udp=0 accepted"; fi
if nsx d sysctl -qw net.ipv4.vs.timeout_udp=86401 2>/dev/null; then fail "timeout_udp=86401 accepted"; fi
assert_eq "udp unchanged" 300 "$(vs timeout_udp)"
nsx d sysctl -qw net.ipv4.vs.fullnat_lport_min=6000 net.ipv4.vs.fullnat_lport_max=6100
assert_eq "lport range" "6000 6100" "$(vs fullnat_lport_min) $(vs fullnat_lport_max)"
if nsx d sysctl -qw net.ipv4.vs.fullnat_lport_min=7000 2>/dev/null; then fail "min above max accepted"; fi
assert_eq "lport range unchanged" "6000 6100" "$(vs fullnat_lport_min) $(vs fullnat_lport_max)"
# TOA insertion follows the switch.
nsx d sysctl -qw net.ipv4.vs.fullnat_toa_entry=0
before=$(rvs_stat toa_inserted)
client peers "$VIP" 80 3 >/dev/null
assert_eq "no TOA when off" "$before" "$(rvs_stat toa_inserted)"
nsx d sysctl -qw net.ipv4.vs.fullnat_toa_entry=1
client peers "$VIP" 80 3 >/dev/null
[ "$(rvs_stat toa_inserted)" -ge $((before + 3)) ] || fail "TOA not inserted when on: $(rvs_stat toa_inserted)"

# Per namespace: the host and a namespace made now start from the
# defaults, whatever the director set.
assert_eq "host's timeouts" "Timeout (tcp tcpfin udp): 90 7 300" "$(ipvsadm -L --timeout)"
assert_eq "host's lport range" "5000 65535" \
  "$(sysctl -n net.ipv4.vs.fullnat_lport_min) $(sysctl -n net.ipv4.vs.fullnat_lport_max)"
extra_ns e
assert_eq "new namespace's established timeout" 90 "$(nsx e sysctl -n net.ipv4.vs.timeout_established)"
# A container sets its timeouts to 1 s, through the sysctl and through
# netlink; the director's connections keep the director's 1200 s.
nsx e sysctl -qw net.ipv4.vs.timeout_established=1
nsx e ipvsadm --set 1 1 1
assert_eq "container's timeouts" "Timeout (tcp tcpfin udp): 1 1 1" "$(nsx e ipvsadm -L --timeout)"
assert_eq "director's timeouts" "Timeout (tcp tcpfin udp): 1200 9 300" "$(nsx d ipvsadm -L --timeout)"
rm -f /tmp/sysctl_listed
nsx c python3 -c "
import os, sys, time
sys.path.insert(0, 'tests/lib')
import held
f, name, _ = held.hold('$VIP', {'rs1': ''})
print(name, flush=True)
for _ in range(100):
    if os.path.exists('/tmp/sysctl_listed'):
        break
    time.sleep(0.1)
assert held.still_works(f)
" > /tmp/sysctl_held.out &
held_pid=$!
for _ in $(seq 50); do [ -s /tmp/sysctl_held.out ] && break; sleep 0.1; done
# The director's entry for it, refreshed by its packets under the
# director's own timeout.
expire=$(nsx d ipvsadm -Lnc | awk '$3 == "ESTABLISHED" {split($2, t, ":"); print t[1] * 60 + t[2]; exit}')
touch /tmp/sysctl_listed
wait "$held_pid" || fail "the held connection broke"
[ -n "$expire" ] && [ "$expire" -gt 1000 ] || fail "director's connection expires in '$expire' s, not under its 1200 s"
# A namespace owned by a user namespace: read-only sysctls (written
# directly: sysctl(8) exits 0 on a key without write permission).
assert_eq "user namespace's root writes, then reads" "refused 90" "$(unshare -U -r -n sh -c '
  f=/proc/sys/net/ipv4/vs/timeout_established
  if echo 5 2>/dev/null > $f; then r=written; else r=refused; fi
  echo $r $(cat $f)')"
