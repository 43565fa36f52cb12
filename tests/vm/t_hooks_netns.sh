# rvs hooks a namespace only once it has a service, as IPVS does: the
# packets of namespaces without one (clients, real servers, containers on
# the director's host) never reach rvs. `nft list hooks` shows every
# netfilter hook of a namespace with its module. After loading, no
# namespace has rvs's hooks; the first service (over netlink, by ipvsadm,
# or the text interface) brings all four (PRE_ROUTING and LOCAL_IN, IPv4
# and IPv6) into its namespace only; a flush keeps them (connections
# outlive services); the
# service's traffic is balanced; rvs unloads cleanly from hooked and
# unhooked namespaces alike.
. tests/lib/lib.sh
trap cleanup_all EXIT
topo_up 1
load_rvs
extra_ns e

# rvs's hooks in a namespace, as "family:hook-name,..." (e.g.
# "ip:forward,ip:input,..."); "" for none.
rvs_hooks() {
  "$@" nft list hooks 2>/dev/null | awk '
    $1 == "family" {f = $2}
    $1 == "hook" {h = $2}
    /\[rvs\]/ {print f ":" h}' | LC_ALL=C sort -u | paste -sd, -
}
ALL="ip6:forward,ip6:input,ip6:prerouting,ip:forward,ip:input,ip:prerouting"
for ns in d c rs1 e; do assert_eq "hooks in rvs-$ns after loading" "" "$(rvs_hooks nsx "$ns")"; done
assert_eq "hooks in the initial namespace after loading" "" "$(rvs_hooks)"

# The director's first service, over netlink (ipvsadm).
nsx d ipvsadm -A -t "$VIP:80" -s rr
assert_eq "hooks in the director after its first service" "$ALL" "$(rvs_hooks nsx d)"
for ns in c rs1 e; do assert_eq "hooks in rvs-$ns after the director's service" "" "$(rvs_hooks nsx "$ns")"; done
nsx d sysctl -qw net.ipv4.vs.masq_as_fullnat=1
nsx d ipvsadm -a -t "$VIP:80" -r "$(rs_addr 1):8080" -m
rvs_ctl add-laddr tcp "$VIP:80" "${LADDRS[0]}"
start_servers 1 8080
assert_eq "connections through the service" "rs1 rs1" "$(client peers "$VIP" 80 2 | awk '{print $1}' | paste -sd' ' -)"

# A second namespace, through the text interface.
ip netns exec rvs-e sh -c "echo 'add-service udp $VIP:53 rr' > /sys/module/rvs/parameters/ctl"
assert_eq "hooks in rvs-e after its service" "$ALL" "$(rvs_hooks nsx e)"
for ns in c rs1; do assert_eq "hooks in rvs-$ns after rvs-e's service" "" "$(rvs_hooks nsx "$ns")"; done

# A flush keeps the hooks (connections outlive services, flush_conns).
nsx d ipvsadm -C
assert_eq "hooks in the director after a flush" "$ALL" "$(rvs_hooks nsx d)"

# The namespace with hooks goes away first, then rvs with one left hooked.
ip netns del rvs-e
sleep 1
unload_rvs || fail "rvs would not unload"
assert_eq "hooks in the director after unloading" "" "$(rvs_hooks nsx d)"
load_rvs
assert_eq "hooks in the director after reloading" "" "$(rvs_hooks nsx d)"
unload_rvs
note "rvs hooks only the namespaces it serves"
