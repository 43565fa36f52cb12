# Path MTU discovery through the director, both ways: a 1280-byte link on
# the real servers' side and one on the client's side make the director
# answer frag-needed about packets it sent; rvs translates each for the
# sender of the original packet (quoted header, ports and sequence number
# rewritten), and 5 MB transfers both ways complete intact.
. tests/lib/lib.sh
fullnat_setup 1
ip -n rvs-d link set br0 mtu 1280   # toward the real server
ip -n rvs-d link set d0 mtu 1280    # toward the client (client stays at 1500)
client upload "$VIP" 80 5000000 | grep -q ' ok$' || fail "upload through a 1280 link"
up=$(rvs_stat icmp_fwd)
[ "$up" -ge 1 ] || fail "no ICMP error translated for the upload"
client download "$VIP" 80 5000000 | grep -q ' ok$' || fail "download through a 1280 link"
[ "$(rvs_stat icmp_fwd)" -gt "$up" ] || fail "no ICMP error translated for the download"
# The client learnt the path MTU toward the VIP.
nsx c ip route get "$VIP" | grep -q 'mtu 1280' || fail "client has no PMTU for the VIP: $(nsx c ip route get "$VIP")"
note "icmp_fwd $(rvs_stat icmp_fwd)"
