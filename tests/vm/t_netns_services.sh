# Each network namespace has its own services, as with upstream IPVS. A
# second namespace (rvs-e) configures the same VIP:80 first, with another
# scheduler and a real server that does not exist, plus a UDP service on
# VIP:53; the director (rvs-d) then adds its own VIP:80 without a clash.
# Listings (ipvsadm, /proc) show each namespace only its own; the
# director's traffic is balanced by its own service alone (every
# connection reaches rs1/rs2, and UDP to VIP:53 is still refused as UDP to
# a TCP-only VIP); a flush in one namespace leaves the other's services;
# a namespace going away takes its services along. The text interface's
# stats are root's, and show a namespace other than the host's only its own.
. tests/lib/lib.sh
trap cleanup_all EXIT
topo_up 2
load_rvs
# The closed connections must still be listed when the listing is read:
# TIME_WAIT's 7 s (Alibaba's default) can pass while ten connections are
# made on a loaded machine.
nsx d sysctl -qw net.ipv4.vs.timeout_time_wait=120
extra_ns e
nsx e ipvsadm -A -t "$VIP:80" -s wrr
nsx e ipvsadm -a -t "$VIP:80" -r "$(rs_addr 3):8080" -m -w 7
nsx e ipvsadm -A -u "$VIP:53" -s rr
fullnat_service tcp 80 rr 2
start_servers 2 8080

services() { "$@" ipvsadm -Ln | awk '/^(TCP|UDP)/ {printf "%s%s %s %s", s, $1, $2, $3; s=","}'; }
assert_eq "director's services" "TCP $VIP:80 rr" "$(services nsx d)"
assert_eq "second namespace's services" "TCP $VIP:80 wrr,UDP $VIP:53 rr" "$(services nsx e)"
assert_eq "initial namespace's services" "" "$(services)"
assert_eq "second namespace's real server" "-> $(rs_addr 3):8080 Masq 7" \
  "$(nsx e ipvsadm -Ln -t "$VIP:80" | awk '$1 == "->" && $2 != "RemoteAddress:Port" {print $1, $2, $3, $4}')"
assert_eq "/proc/net/ip_vs of the second namespace" 2 "$(nsx e grep -c '^\(TCP\|UDP\) ' /proc/net/ip_vs)"
# The text interface lists every namespace's services, each with its
# namespace's inode number.
inum() { nsx "$1" readlink /proc/self/ns/net | tr -dc 0-9; }
svc_netns() { # PROTO VIP:PORT SCHED
  awk -v p="$1" -v a="$2" -v s="$3" '$1 == "svc" && $2 == p && $3 == a && $4 == s {print $6}' \
    /sys/module/rvs/parameters/stats
}
assert_eq "namespace of the director's service" "$(inum d)" "$(svc_netns tcp "$VIP:80" rr)"
assert_eq "namespace of the second's TCP service" "$(inum e)" "$(svc_netns tcp "$VIP:80" wrr)"
assert_eq "namespace of the second's UDP service" "$(inum e)" "$(svc_netns udp "$VIP:53" rr)"
# Who may read it: root only (it names every service's addresses), and a
# reader in another namespace than the host's sees its own services alone,
# without the module's counters (they sum every namespace's traffic).
assert_eq "stats file mode" 400 "$(stat -c %a /sys/module/rvs/parameters/stats)"
if setpriv --reuid=65534 --regid=65534 --clear-groups cat /sys/module/rvs/parameters/stats >/dev/null 2>&1; then
  fail "an unprivileged user reads the stats file"
fi
assert_eq "the second namespace's view" "svc tcp $VIP:80 wrr|dest $(rs_addr 3):8080|svc udp $VIP:53 rr" \
  "$(nsx e cat /sys/module/rvs/parameters/stats | awk '{print ($1 == "svc") ? $1 " " $2 " " $3 " " $4 : $1 " " $2}' | paste -sd'|')"

out=$(client peers "$VIP" 80 10)
assert_eq "connections through the director's own service" "5 5" \
  "$(grep -c '^rs1 ' <<<"$out") $(grep -c '^rs2 ' <<<"$out")"
nsx c python3 -c "
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for _ in range(3): s.sendto(b'x', ('$VIP', 53))"
sleep 0.5
assert_eq "UDP to the director's TCP-only VIP (the other namespace's UDP service unseen)" 3 "$(rvs_stat drop_udp_tcp_vip)"
[ "$(nsx d cat /proc/net/ip_vs_conn | wc -l)" -gt 1 ] || fail "no connection listed in the director"
assert_eq "no connection listed in the second namespace" 1 "$(nsx e cat /proc/net/ip_vs_conn | wc -l)"
assert_eq "no traffic counted in the second namespace" 0 \
  "$(nsx e ipvsadm -Ln --stats --exact | awk '/^TCP/ {print $3}')"

# A flush is the namespace's own.
nsx e ipvsadm -C
assert_eq "second namespace after its flush" "" "$(services nsx e)"
assert_eq "director after the other's flush" "TCP $VIP:80 rr" "$(services nsx d)"
client peers "$VIP" 80 2 >/dev/null || fail "director's service broken by the other namespace's flush"

# A namespace going away (asynchronously) takes its services along.
nsx e ipvsadm -A -u "$VIP:53" -s rr
svc_lines() { grep -c '^svc ' /sys/module/rvs/parameters/stats; }
assert_eq "services of all namespaces" 2 "$(svc_lines)"
ip netns del rvs-e
for k in $(seq 100); do
  [ "$(svc_lines)" = 1 ] && break
  sleep 0.2
done
assert_eq "services left after the namespace went away" "svc tcp $VIP:80" \
  "$(grep '^svc ' /sys/module/rvs/parameters/stats | awk '{print $1, $2, $3}')"
client peers "$VIP" 80 2 >/dev/null || fail "director's service broken by the other namespace's exit"
