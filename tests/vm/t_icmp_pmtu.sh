# Path MTU discovery through the director, both ways: a 1280-byte link on
# the real servers' side and one on the client's side make the director
# answer frag-needed about packets it sent; rvs translates each for the
# sender of the original packet (quoted header, ports and sequence number
# rewritten), the sender learns the path MTU from it, and 5 MB transfers
# both ways complete intact; then the same for IPv6 (Packet Too Big).
# Last, errors that must not be translated (bad checksum, MTU under the
# floor, sent to another address than the quoted sender) are dropped and
# counted, for each family, beside one that is translated.
#
# Kernel behaviour this relies on: a TCP socket announces an MSS derived
# from its route's MTU, and a learned path MTU counts in that MTU (as in
# 6.12.118, where Debian's stable update reverted "net: advertise TCP MSS
# from the configured MTU, not the learned PMTU"; 6.12.117 announced the
# interface's MTU instead). The upload teaches the client a path MTU of 1280
# toward the VIP: left in place, the download's SYN announces 1240 and the
# real server never sends a segment too big for the client's link, so there
# is nothing to translate. Hence the flush between the two (`ip route flush
# cache` also resets IPv4's learned PMTUs), and the check that the download's
# SYN reached the real server with an MSS above 1240.
. tests/lib/lib.sh
fullnat_setup 1
ip -n rvs-d link set br0 mtu 1280   # toward the real server
ip -n rvs-d link set d0 mtu 1280    # toward the client (client stays at 1500)
note "kernel $(uname -r)"

# Upload: the client's segments are too big for br0.
client upload "$VIP" 80 5000000 | grep -q ' ok$' || fail "upload through a 1280 link"
up=$(rvs_stat icmp_fwd)
[ "$up" -ge 1 ] || fail "no ICMP error translated for the upload"
nsx c ip route get "$VIP" | grep -q 'mtu 1280' || fail "client has no PMTU for the VIP: $(nsx c ip route get "$VIP")"

# Download: the real server's segments are too big for d0.
nsx c ip route flush cache
if nsx c ip route get "$VIP" | grep -q 'mtu 1280'; then fail "the client's PMTU survived the flush"; fi
# Not through nsx (a shell function): $! must be the sniffer itself.
ip netns exec rvs-rs1 python3 tests/lib/sniff.py r1 120 syn > /tmp/pmtu_syn &
sniff=$!
for k in $(seq 50); do grep -q ready /tmp/pmtu_syn && break; sleep 0.1; done
client download "$VIP" 80 5000000 | grep -q ' ok$' || fail "download through a 1280 link"
kill "$sniff"; wait "$sniff" 2>/dev/null || true
syn=$(grep -m1 "> $(rs_addr 1):8080 S " /tmp/pmtu_syn) || fail "no SYN seen by the real server"
mss=${syn##*mss=}
[ "$mss" != - ] && [ "$mss" -gt 1240 ] \
  || fail "precondition: the client announced MSS $mss, its segments would fit the 1280 link ($syn)"
[ "$(rvs_stat icmp_fwd)" -gt "$up" ] || fail "no ICMP error translated for the download"
# The real server accepted the translated error: it learnt the path MTU
# toward the LADDR (nothing else on its path is below 1500).
nsx rs1 ip route get "${LADDRS[0]}" | grep -q 'mtu 1280' \
  || fail "real server has no PMTU for the LADDR: $(nsx rs1 ip route get "${LADDRS[0]}")"
note "icmp_fwd $(rvs_stat icmp_fwd), download SYN mss $mss"

# IPv6, over the same links: Packet Too Big both ways (1280 is IPv6's
# minimum MTU, so the errors are valid ones), translated as for IPv4.
fullnat_service6 tcp 80 rr 1
start_servers6 1 8080
before=$(rvs_stat icmp_fwd)
client upload "$VIP6" 80 5000000 | grep -q ' ok$' || fail "IPv6 upload through a 1280 link"
[ "$(rvs_stat icmp_fwd)" -gt "$before" ] || fail "no ICMPv6 error translated for the upload"
nsx c ip -6 route get "$VIP6" | grep -q 'mtu 1280' || fail "client has no IPv6 PMTU for the VIP: $(nsx c ip -6 route get "$VIP6")"
nsx c ip -6 route flush cache
up6=$(rvs_stat icmp_fwd)
client download "$VIP6" 80 5000000 | grep -q ' ok$' || fail "IPv6 download through a 1280 link"
[ "$(rvs_stat icmp_fwd)" -gt "$up6" ] || fail "no ICMPv6 error translated for the download"
nsx rs1 ip -6 route get "${LADDRS6[0]}" | grep -q 'mtu 1280' \
  || fail "real server has no IPv6 PMTU for the LADDR: $(nsx rs1 ip -6 route get "${LADDRS6[0]}")"
note "icmp_fwd $(rvs_stat icmp_fwd) after IPv6"

# An ICMP error rvs would translate is checked first, about a live
# connection of each family: one with a wrong checksum, one with an MTU
# under the kernel's floor (IPv4: net.ipv4.route.min_pmtu's 552; IPv6:
# 1280), one not sent to the sender of the packet it quotes (the client
# writing to the LADDR about the VIP's packet) are dropped and counted
# (drop_malformed), never passed on with a fresh checksum; the same error
# done right goes on to the real server (icmp_fwd).
counts() { echo "$(rvs_stat drop_malformed) $(rvs_stat icmp_fwd)"; }
wait_counts() { # WANT: until drop_malformed and icmp_fwd read WANT (2 s)
  local k
  for k in $(seq 20); do [ "$(counts)" = "$1" ] && return 0; sleep 0.1; done
  return 1
}
icmp_checks() { # CLIENT_ADDR VIP TINY_MTU LADDR
  local cport m0 f0 k
  hold_conn "$2" 30
  cport=$HELD_PORT
  ptb() { nsx c python3 tests/lib/rawpkt.py ptb "$1" "$2" 80 "$cport" "${@:3}" > /dev/null; }
  read -r m0 f0 <<<"$(counts)"
  ptb "$1" "$2" 1400 bad
  wait_counts "$((m0 + 1)) $f0" || fail "$2: an error with a bad checksum: want drop_malformed icmp_fwd $((m0 + 1)) $f0, got $(counts)"
  ptb "$1" "$2" "$3" good
  wait_counts "$((m0 + 2)) $f0" || fail "$2: MTU $3: want $((m0 + 2)) $f0, got $(counts)"
  ptb "$1" "$2" 1400 good "$4"
  wait_counts "$((m0 + 3)) $f0" || fail "$2: an error sent to $4: want $((m0 + 3)) $f0, got $(counts)"
  ptb "$1" "$2" 1400 good
  wait_counts "$((m0 + 3)) $((f0 + 1))" || fail "$2: the error done right: want $((m0 + 3)) $((f0 + 1)), got $(counts)"
  note "$2: drop_malformed $m0 -> $((m0 + 3)), icmp_fwd $f0 -> $((f0 + 1))"
}
icmp_checks "$CLIENT" "$VIP" 551 "${LADDRS[0]}"
icmp_checks "$CLIENT6" "$VIP6" 1279 "${LADDRS6[0]}"
