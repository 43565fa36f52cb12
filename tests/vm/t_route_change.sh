# Each connection keeps its routes, and a routing change reaches them: an
# established connection echoes through the director; once the director's
# route to the real server becomes unreachable the client's data is dropped
# and counted (drop_no_route) instead of leaving by the route the
# connection had cached; with the route back the same connection works
# again (the client's retransmission arrives, the echo comes back).
. tests/lib/lib.sh
fullnat_setup 1
coproc HOLD { nsx c python3 -c "
import socket, sys
s = socket.create_connection(('$VIP', 80), timeout=10)
s.sendall(b'HOLD\n'); s.recv(100)
print('held', flush=True)
for line in sys.stdin:
    what, secs = line.split()
    s.settimeout(float(secs))
    try:
        if what == 'send':
            s.sendall(b'ping\n')
        data = s.recv(100)
        print('echo' if data == b'ping\n' else 'wrong', flush=True)
    except socket.timeout:
        print('silent', flush=True)
"; }
talk() { echo "$1 $2" >&"${HOLD[1]}"; read -r got <&"${HOLD[0]}"; echo "$got"; }
read -r got <&"${HOLD[0]}"
assert_eq "connection held" held "$got"
assert_eq "echo with the first route" echo "$(talk send 5)"
assert_eq "echo from the cached route" echo "$(talk send 5)"
before=$(rvs_stat drop_no_route)
nsx d ip route add unreachable "$(rs_addr 1)/32"
assert_eq "no echo once the real server is unreachable" silent "$(talk send 2)"
[ "$(rvs_stat drop_no_route)" -gt "$before" ] || fail "data toward an unreachable real server not counted"
nsx d ip route del unreachable "$(rs_addr 1)/32"
# The client retransmits its data: it reaches the real server now.
assert_eq "the same connection with the route back" echo "$(talk wait 15)"
exec {HOLD[1]}>&-
