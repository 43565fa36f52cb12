# Each connection keeps its routes, and a routing change reaches them: an
# established connection echoes through the director; once the director's
# route to the real server becomes unreachable the client's data is dropped
# and counted (drop_no_route) instead of leaving by the route the
# connection had cached; with the route back the same connection works
# again (the client's retransmission arrives, the echo comes back). For
# IPv4, then IPv6 (whose cached routes are checked against their fib
# cookie).
. tests/lib/lib.sh
fullnat_setup 1
fullnat_service6 tcp 80 rr 1
start_servers6 1 8080
check() { # FAMILY VIP RS: the story above, through VIP, RS's route changed
  local ipf=$1 vip=$2 rs=$3 got before
  coproc HOLD { nsx c python3 -c "
import socket, sys
s = socket.create_connection(('$vip', 80), timeout=10)
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
  assert_eq "$ipf: connection held" held "$got"
  assert_eq "$ipf: echo with the first route" echo "$(talk send 5)"
  assert_eq "$ipf: echo from the cached route" echo "$(talk send 5)"
  before=$(rvs_stat drop_no_route)
  nsx d ip "$ipf" route add unreachable "$rs"
  assert_eq "$ipf: no echo once the real server is unreachable" silent "$(talk send 2)"
  [ "$(rvs_stat drop_no_route)" -gt "$before" ] || fail "$ipf: data toward an unreachable real server not counted"
  nsx d ip "$ipf" route del unreachable "$rs"
  # The client retransmits its data: it reaches the real server now.
  assert_eq "$ipf: the same connection with the route back" echo "$(talk wait 15)"
  exec {HOLD[1]}>&-
  wait "$HOLD_PID" 2>/dev/null || true
}
check -4 "$VIP" "$(rs_addr 1)/32"
check -6 "$VIP6" "$(rs6_addr 1)/128"
