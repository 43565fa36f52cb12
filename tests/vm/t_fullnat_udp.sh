# FULLNAT over UDP: 60 datagrams from 60 source ports, exactly even over two
# real servers by rr; each server sees the LADDR.
. tests/lib/lib.sh
trap cleanup_all EXIT
topo_up 2
load_rvs
fullnat_service udp 53 rr 2 5353
start_servers 2 5353 udp
sleep 1
out=$(client udp "$VIP" 53 60)
assert_eq "datagrams to rs1" 30 "$(grep -c '^rs1 ' <<<"$out")"
assert_eq "datagrams to rs2" 30 "$(grep -c '^rs2 ' <<<"$out")"
bad=$(awk '$2 != "'"${LADDRS[0]}"'"' <<<"$out" | head -3)
[ -z "$bad" ] || fail "a real server saw a peer other than the LADDR: $bad"
assert_eq "udp conns" 60 "$(rvs_stat conns)"
