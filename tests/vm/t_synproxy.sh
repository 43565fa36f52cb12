# vm-also: director
# SYNPROXY on a FULLNAT service: the director answers the client's SYN with
# a cookie, opens the real server's side only after the client's ACK, and
# the connection then carries data both ways intact. Window scaling and SACK
# are negotiated end to end (from the cookie, without timestamps); when the
# window scale offered to the client differs from the real server's, or is
# off, transfers stay intact. A damaged SYN-ACK from the real server is
# dropped (its good retransmission completes the handshake). What a
# connection keeps for a silent server is bounded in memory, and a cookie
# moved from the one issued is refused.
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

# The real server's SYN-ACK fixes the connection's sequence offset: a
# damaged one is dropped and counted (drop_bad_csum), and the good one
# that follows completes the handshake. A server played by hand
# (tests/lib/synack_faker.py on rs1, port 9 where nothing listens) sends
# both, with different sequence numbers; the client's ACK the director
# kept reaches it acknowledging the good one's.
rvs_ctl add-service tcp "$VIP:81" rr
rvs_ctl add-dest tcp "$VIP:81" "$(rs_addr 1):9" 1
rvs_ctl add-laddr tcp "$VIP:81" "${LADDRS[0]}"
rvs_ctl set-synproxy tcp "$VIP:81" 1
nsx rs1 iptables-legacy -A OUTPUT -p tcp --tcp-flags RST RST -j DROP
bad0=$(rvs_stat drop_bad_csum)
nsx rs1 python3 tests/lib/synack_faker.py r1 "$(rs_addr 1)" 9 20 > /tmp/faker &
faker=$!
for k in $(seq 50); do grep -q ready /tmp/faker && break; sleep 0.1; done
nsx c timeout 15 python3 -c "
import socket, time
s = socket.create_connection(('$VIP', 81), 10)
s.sendall(b'x'); time.sleep(3)" &
wait "$faker" || fail "the faked server saw no ACK: $(cat /tmp/faker)"
read -r _ bad _ good _ ack < <(grep '^bad ' /tmp/faker)
assert_eq "the kept ACK acknowledges the good SYN-ACK" "$(( (good + 1) % 4294967296 ))" "$ack"
assert_eq "the damaged SYN-ACK counted" 1 $(( $(rvs_stat drop_bad_csum) - bad0 ))

# What a connection keeps while its real server is silent is bounded in
# memory as well as in packets: a client ignoring the SYN-ACK's window
# with one 40 KB segment (past the 32 KB a connection may hold) has it
# dropped and counted in synproxy_queue_full, while its ACK and a small
# segment are kept. Kept memory shows in synproxy_kept_bytes and goes
# back to 0 once the connection is given up (the server never answers:
# its SYNs are dropped on rs1).
rvs_ctl add-service tcp "$VIP:82" rr
rvs_ctl add-dest tcp "$VIP:82" "$(rs_addr 1):10" 1
rvs_ctl add-laddr tcp "$VIP:82" "${LADDRS[0]}"
rvs_ctl set-synproxy tcp "$VIP:82" 1
nsx rs1 iptables-legacy -A INPUT -p tcp --dport 10 -j DROP
nsx c iptables-legacy -A OUTPUT -p tcp --tcp-flags RST RST -j DROP
ip -n rvs-c link set c0 mtu 60000
ip -n rvs-d link set d0 mtu 60000
q0=$(rvs_stat synproxy_ack_queued); f0=$(rvs_stat synproxy_queue_full)
nsx c python3 tests/lib/sp_keep.py "$CLIENT" "$VIP" 82 42000 0 40000 100 | sed 's/^/# sp_keep: /'
for k in $(seq 20); do [ "$(rvs_stat synproxy_queue_full)" != "$f0" ] && break; sleep 0.1; done
assert_eq "kept: the ACK and the small segment" 2 $(( $(rvs_stat synproxy_ack_queued) - q0 ))
assert_eq "refused: the 40 KB segment" 1 $(( $(rvs_stat synproxy_queue_full) - f0 ))
kept=$(rvs_stat synproxy_kept_bytes)
[ "$kept" -gt 0 ] && [ "$kept" -le 32768 ] || fail "synproxy_kept_bytes $kept while two packets are kept"
# synproxy_syn_retry (3) SYNs a second apart, then the client is reset.
for k in $(seq 200); do [ "$(rvs_stat synproxy_kept_bytes)" = 0 ] && break; sleep 0.1; done
assert_eq "kept memory once the connection is given up" 0 "$(rvs_stat synproxy_kept_bytes)"
ip -n rvs-c link set c0 mtu 1500
ip -n rvs-d link set d0 mtu 1500

# A cookie is taken back only as it was issued: an ACK number moved by
# 2^16 (the MSS index the cookie stands for) or by 1 (the check bits; the
# MSS index of the cookie before the check bits) is refused; the genuine
# ACK of the same kind of handshake passes.
ok0=$(rvs_stat synproxy_cookie_ok); bad0=$(rvs_stat synproxy_cookie_bad)
nsx c python3 tests/lib/sp_keep.py "$CLIENT" "$VIP" 82 42001 65536 > /dev/null
nsx c python3 tests/lib/sp_keep.py "$CLIENT" "$VIP" 82 42002 1 > /dev/null
for k in $(seq 20); do [ "$(rvs_stat synproxy_cookie_bad)" = $((bad0 + 2)) ] && break; sleep 0.1; done
assert_eq "moved cookies refused" "2 0" "$(( $(rvs_stat synproxy_cookie_bad) - bad0 )) $(( $(rvs_stat synproxy_cookie_ok) - ok0 ))"
nsx c python3 tests/lib/sp_keep.py "$CLIENT" "$VIP" 82 42003 0 > /dev/null
for k in $(seq 20); do [ "$(rvs_stat synproxy_cookie_ok)" = $((ok0 + 1)) ] && break; sleep 0.1; done
assert_eq "the genuine cookie accepted" 1 $(( $(rvs_stat synproxy_cookie_ok) - ok0 ))
