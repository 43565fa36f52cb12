# SYNPROXY on a FULLNAT service: the director answers the client's SYN with
# a cookie, opens the real server's side only after the client's ACK, and
# the connection then carries data both ways intact. Window scaling and SACK
# are negotiated end to end (from the cookie, without timestamps); when the
# window scale offered to the client differs from the real server's, or is
# off, transfers stay intact.
. tests/lib/lib.sh
fullnat_setup 2
rvs_ctl set-synproxy tcp "$VIP:80" 1
client peers "$VIP" 80 4 > /tmp/peers
sed 's/^/# /' /tmp/peers
assert_eq "connections through SYNPROXY" 4 "$(wc -l < /tmp/peers)"
assert_eq "rr over two servers" "2 2" "$(grep -c '^rs1 ' /tmp/peers) $(grep -c '^rs2 ' /tmp/peers)"
while read -r name peer opts mss; do
  assert_eq "peer seen by $name" "${LADDRS[0]}" "$peer"
  # tcp_info options at the real server: SACK 2, WSCALE 4, no timestamps.
  assert_eq "options the RS negotiated" 6 "$opts"
  # min(1460, synproxy_init_mss 1452) rounded down to the cookie's table.
  assert_eq "client MSS from the director's SYN-ACK" 1440 "$mss"
done < /tmp/peers
assert_eq "SYNs answered" 4 "$(rvs_stat synproxy_syn_answered)"
assert_eq "cookies accepted" 4 "$(rvs_stat synproxy_cookie_ok)"
assert_eq "connections" 4 "$(rvs_stat conns)"
assert_eq "bad cookies" 0 "$(rvs_stat synproxy_cookie_bad)"
client upload "$VIP" 80 20000000 | grep -q ' ok$' || fail "upload corrupted"
client download "$VIP" 80 20000000 | grep -q ' ok$' || fail "download corrupted"
# The client offered scale 3 while the real server uses 7: windows rescaled.
rvs_ctl set synproxy_wscale 3
client upload "$VIP" 80 5000000 | grep -q ' ok$' || fail "upload corrupted, wscale 3"
client download "$VIP" 80 5000000 | grep -q ' ok$' || fail "download corrupted, wscale 3"
# No window scaling offered: none asked of the real server either.
rvs_ctl set synproxy_wscale 0
read -r name peer opts mss < <(client peers "$VIP" 80 1)
assert_eq "no WSCALE at the RS with synproxy_wscale 0" 2 "$opts"
client upload "$VIP" 80 5000000 | grep -q ' ok$' || fail "upload corrupted, no wscale"
client download "$VIP" 80 5000000 | grep -q ' ok$' || fail "download corrupted, no wscale"
rvs_ctl set synproxy_wscale 7
rvs_ctl set synproxy_sack 0
read -r name peer opts mss < <(client peers "$VIP" 80 1)
assert_eq "no SACK at the RS with synproxy_sack 0" 4 "$opts"
# Turned off: the real server sees the client's own SYN again (timestamps
# stripped, MSS lowered for TOA as plain FULLNAT does).
rvs_ctl set-synproxy tcp "$VIP:80" 0
before=$(rvs_stat synproxy_syn_answered)
read -r name peer opts mss < <(client peers "$VIP" 80 1)
assert_eq "plain FULLNAT MSS" 1452 "$mss"
assert_eq "no SYN answered by the director" "$before" "$(rvs_stat synproxy_syn_answered)"
