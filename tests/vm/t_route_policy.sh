# New connections take the route toward their real server from the one
# the real server's earlier connections looked up, but only while the
# route cannot depend on the local address: with a policy rule that sends
# one LADDR's traffic to a table where the real server is unreachable,
# every connection from that LADDR is dropped and counted (drop_no_route),
# every one from the other LADDR works, and the real server only ever sees
# the other LADDR. (With the shared route used regardless of the rule,
# the second LADDR's connections would go through.)
. tests/lib/lib.sh
fullnat_setup 1
rvs_ctl add-laddr tcp "$VIP:80" "${LADDRS[1]}"

# Connections in turn from LADDRS[0] and LADDRS[1] (round robin); each
# prints the peer the real server saw, or "fail" after 2 s.
conns() {
  nsx c python3 -c "
import socket
for _ in range($1):
    try:
        s = socket.create_connection(('$VIP', 80), timeout=2)
        s.sendall(b'PEER\n')
        print(s.makefile('rb').readline().decode().split()[1])
        s.close()
    except OSError:
        print('fail')
"
}

# Both LADDRs work, and the real server's route is now cached.
out=$(conns 2)
assert_eq "both LADDRs before the rule" "${LADDRS[0]} ${LADDRS[1]}" "$(echo $out)"

nsx d ip route add unreachable "$(rs_addr 1)/32" table 100
nsx d ip rule add from "${LADDRS[1]}" lookup 100 pref 100
before=$(rvs_stat drop_no_route)
out=$(conns 6)
assert_eq "LADDRS[0] connections that worked" 3 "$(grep -cx "${LADDRS[0]}" <<<"$out" || true)"
assert_eq "connections that failed" 3 "$(grep -cx fail <<<"$out" || true)"
bad=$(grep -vx -e "${LADDRS[0]}" -e fail <<<"$out" || true)
[ -z "$bad" ] || fail "the real server saw another peer: $bad"
[ "$(rvs_stat drop_no_route)" -gt "$before" ] || fail "SYNs without a route not counted"

# Without the rule, the second LADDR works again.
nsx d ip rule del from "${LADDRS[1]}" lookup 100
out=$(conns 2)
assert_eq "both LADDRs after the rule" 2 "$(grep -cx -e "${LADDRS[0]}" -e "${LADDRS[1]}" <<<"$out" || true)"
