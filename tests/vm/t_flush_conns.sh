# Connections outlive a flush of their namespace's services: rvs keeps
# working in a namespace that has had services (its hooks let the packets
# of other namespaces pass untouched), so an established connection still
# echoes through the director after the flush, while a new connection to
# the VIP is no longer balanced (the director's own stack refuses it).
. tests/lib/lib.sh
fullnat_setup 1
coproc HOLD { nsx c python3 -c "
import socket, sys
s = socket.create_connection(('$VIP', 80), timeout=10)
s.sendall(b'HOLD\n'); s.recv(100)
print('held', flush=True)
for line in sys.stdin:
    s.settimeout(5)
    try:
        s.sendall(b'ping\n')
        print('echo' if s.recv(100) == b'ping\n' else 'wrong', flush=True)
    except OSError:
        print('silent', flush=True)
"; }
talk() { echo go >&"${HOLD[1]}"; read -r got <&"${HOLD[0]}"; echo "$got"; }
read -r got <&"${HOLD[0]}"
assert_eq "connection held" held "$got"
assert_eq "echo before the flush" echo "$(talk)"
rvs_ctl flush
assert_eq "services after the flush" 0 "$(grep -c '^svc ' /sys/module/rvs/parameters/stats || true)"
assert_eq "echo after the flush" echo "$(talk)"
in0=$(rvs_stat in_pkts)
assert_eq "echo again" echo "$(talk)"
[ "$(rvs_stat in_pkts)" -gt "$in0" ] || fail "the held connection's packets were not counted after the flush"
if nsx c python3 -c "
import socket
socket.create_connection(('$VIP', 80), timeout=3).close()
" 2>/dev/null; then
  fail "a new connection was accepted with no service"
fi
exec {HOLD[1]}>&-
