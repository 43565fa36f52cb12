# SYNPROXY under attack and with failing real servers:
# - a SYN flood from spoofed sources never reaches a real server (a capture
#   in every RS namespace sees only the legitimate connections' SYNs), the
#   table does not grow, and 100 connections made during the flood succeed;
# - ACKs with forged cookies open nothing and are counted; SYNs and ACKs
#   with a wrong checksum are dropped and counted before any of that;
# - data sent right behind the ACK, while the real server has not answered
#   yet (its link delayed), is kept and arrives intact and in order;
# - a real server that refuses (closed port) gives the client a RST; one
#   that never answers gets the SYN again, then the client a RST.
. tests/lib/lib.sh
fullnat_setup 2
rvs_ctl set-synproxy tcp "$VIP:80" 1
# The flood's SYN-ACKs go back toward the client's side, where they die.
nsx d ip route add 203.0.113.0/24 via "$CLIENT"
dumps=()
for i in 1 2; do
  nsx "rs$i" tcpdump -i "r$i" -nn -l 'tcp[13] & 0x12 == 0x02' > "/tmp/syns$i" 2>/dev/null &
  dumps+=($!)
done
sleep 1
nsx c python3 tests/lib/rawpkt.py synflood 203.0.113 "$VIP" 80 20000 30 > /tmp/flood &
flood=$!
sleep 1
client peers "$VIP" 80 100 > /tmp/peers || fail "a connection failed during the flood"
wait "$flood"
sent=$(cat /tmp/flood)
note "flood: $sent SYNs; answered $(rvs_stat synproxy_syn_answered); legitimate: $(wc -l < /tmp/peers)"
[ "$sent" -ge 1000 ] || fail "the flood sent only $sent SYNs"
assert_eq "legitimate connections" 100 "$(wc -l < /tmp/peers)"
assert_eq "connections opened" 100 "$(rvs_stat conns)"
[ "$(rvs_stat synproxy_syn_answered)" -ge $((sent + 100)) ] || fail "not every SYN was answered"
[ "$(rvs_stat conns_now)" -le 100 ] || fail "the table grew to $(rvs_stat conns_now)"
sleep 1
kill -INT "${dumps[@]}" 2>/dev/null || true
sleep 1
rs_syns=$(cat /tmp/syns1 /tmp/syns2 | wc -l)
flood_syns=$(cat /tmp/syns1 /tmp/syns2 | grep -c '203\.0\.113\.' || true)
note "SYNs seen by the real servers: $rs_syns"
assert_eq "flood SYNs at the real servers" 0 "$flood_syns"
assert_eq "SYNs at the real servers" 100 "$rs_syns"

# Forged cookies.
bad=$(rvs_stat synproxy_cookie_bad)
nsx c python3 tests/lib/rawpkt.py ackforge "$CLIENT" "$VIP" 80 500 > /dev/null
assert_eq "forged ACKs counted" $((bad + 500)) "$(rvs_stat synproxy_cookie_bad)"
assert_eq "no connection from forged ACKs" 100 "$(rvs_stat conns)"

# Segments the director answers or acts on itself are checked first: SYNs
# and ACKs with a wrong TCP checksum get no SYN-ACK, are no cookie check,
# and are counted.
answered=$(rvs_stat synproxy_syn_answered) bad=$(rvs_stat synproxy_cookie_bad)
assert_eq "bad checksums sent" 100 "$(nsx c python3 tests/lib/rawpkt.py badcsum "$CLIENT" "$VIP" 80 50)"
assert_eq "bad checksums counted" 100 "$(rvs_stat drop_bad_csum)"
assert_eq "no SYN-ACK for a bad checksum" "$answered" "$(rvs_stat synproxy_syn_answered)"
assert_eq "no cookie check for a bad checksum" "$bad" "$(rvs_stat synproxy_cookie_bad)"

# Early data: the real servers' answers are late by 200 ms.
for i in 1 2; do nsx "rs$i" tc qdisc add dev "r$i" root netem delay 200ms; done
queued=$(rvs_stat synproxy_ack_queued) ok=$(rvs_stat synproxy_cookie_ok)
for k in 1 2 3; do
  client upload "$VIP" 80 300000 | grep -q ' ok$' || fail "early data corrupted"
done
q=$(( $(rvs_stat synproxy_ack_queued) - queued )) o=$(( $(rvs_stat synproxy_cookie_ok) - ok ))
note "3 connections: $q packets kept"
[ "$q" -gt "$o" ] || fail "no data was kept behind the ACK ($q kept, $o ACKs)"
for i in 1 2; do nsx "rs$i" tc qdisc del dev "r$i" root; done

# A real server that refuses, and one that does not exist.
rvs_ctl add-service tcp "$VIP:81" rr
rvs_ctl add-dest tcp "$VIP:81" "$(rs_addr 1):9999" 1
rvs_ctl add-laddr tcp "$VIP:81" "${LADDRS[1]}"
rvs_ctl set-synproxy tcp "$VIP:81" 1
rvs_ctl add-service tcp "$VIP:82" rr
rvs_ctl add-dest tcp "$VIP:82" 198.51.100.99:8080 1
rvs_ctl add-laddr tcp "$VIP:82" "${LADDRS[2]}"
rvs_ctl set-synproxy tcp "$VIP:82" 1
probe() { # PORT: how the client's connection ends
  nsx c python3 -c "
import socket, time
t = time.monotonic()
try:
    # The director completes the handshake; the reset may come before
    # connect() has returned.
    s = socket.create_connection(('$VIP', $1), timeout=5)
    s.settimeout(30)
    s.sendall(b'PEER\n')
    d = s.recv(100); print('data' if d else 'eof')
except ConnectionResetError:
    print('reset %.0f' % (time.monotonic() - t))
except socket.timeout:
    print('timeout')"
}
r=$(probe 81); note "closed port: $r"
[[ $r == reset* ]] || fail "closed port: the client saw '$r', not a reset"
[ "$(rvs_stat synproxy_rs_refused)" -ge 1 ] || fail "refusal not counted"
r=$(probe 82); note "silent server: $r after $(rvs_stat synproxy_syn_retry) SYN retries"
[[ $r == reset* ]] || fail "silent server: the client saw '$r', not a reset"
assert_eq "SYN retries" 3 "$(rvs_stat synproxy_syn_retry)"
assert_eq "silent servers counted" 1 "$(rvs_stat synproxy_rs_timeout)"

# IPv6: a shorter flood from a spoofed /64 toward an IPv6 SYNPROXY service
# while 20 real IPv6 clients connect; no flood SYN reaches a real server.
for i in 1 2; do nsx "rs$i" tc qdisc del dev "r$i" root 2>/dev/null || true; done
fullnat_service6 tcp 80 rr 2
start_servers6 2 8080
rvs_ctl set-synproxy tcp "[$VIP6]:80" 1
nsx d ip -6 route add 2001:db8:f::/64 via "$CLIENT6"
dumps=()
for i in 1 2; do
  # The SYNs (no extension headers here): TCP flags at 40 + 13.
  nsx "rs$i" tcpdump -i "r$i" -nn -l 'ip6 and ip6[6] == 6 and ip6[53] & 0x12 == 0x02' > "/tmp/syns6_$i" 2>/dev/null &
  dumps+=($!)
done
sleep 1
conns=$(rvs_stat conns) answered=$(rvs_stat synproxy_syn_answered)
nsx c python3 tests/lib/rawpkt.py synflood 2001:db8:f:0 "$VIP6" 80 3000 15 > /tmp/flood6 &
flood=$!
client peers "$VIP6" 80 20 > /tmp/peers6 || fail "an IPv6 connection failed during the flood"
wait "$flood"
sent=$(cat /tmp/flood6)
note "IPv6 flood: $sent SYNs; answered $(( $(rvs_stat synproxy_syn_answered) - answered ))"
[ "$sent" -ge 500 ] || fail "the IPv6 flood sent only $sent SYNs"
assert_eq "IPv6: legitimate connections" 20 "$(wc -l < /tmp/peers6)"
assert_eq "IPv6: connections opened" $((conns + 20)) "$(rvs_stat conns)"
[ $(( $(rvs_stat synproxy_syn_answered) - answered )) -ge $((sent + 20)) ] || fail "not every IPv6 SYN was answered"
sleep 1
kill -INT "${dumps[@]}" 2>/dev/null || true
sleep 1
assert_eq "IPv6 flood SYNs at the real servers" 0 "$(cat /tmp/syns6_1 /tmp/syns6_2 | grep -c '2001:db8:f:' || true)"
assert_eq "IPv6 SYNs at the real servers" 20 "$(cat /tmp/syns6_1 /tmp/syns6_2 | wc -l)"
