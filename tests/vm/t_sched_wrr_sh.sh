# wrr follows the weights exactly; sh keeps each client on one real server.
. tests/lib/lib.sh
trap cleanup_all EXIT
topo_up 3
load_rvs
rvs_ctl add-service tcp "$VIP:80" wrr
for i in 1 2 3; do rvs_ctl add-dest tcp "$VIP:80" "$(rs_addr $i):8080" $i; done
rvs_ctl add-laddr tcp "$VIP:80" "${LADDRS[0]}"
start_servers 3 8080
out=$(client peers "$VIP" 80 120)
for i in 1 2 3; do
  assert_eq "wrr connections to rs$i" $((20 * i)) "$(grep -c "^rs$i " <<<"$out")"
done
# sh: eight client addresses, five connections each, each address sticks.
rvs_ctl add-service tcp "$VIP:81" sh
for i in 1 2 3; do rvs_ctl add-dest tcp "$VIP:81" "$(rs_addr $i):8080" 1; done
rvs_ctl add-laddr tcp "$VIP:81" "${LADDRS[1]}"
used=""
for k in $(seq 11 18); do
  ip -n rvs-c addr add "192.0.2.$k/24" dev c0
  got=$(nsx c python3 -c "
import socket
names=set()
for _ in range(5):
    s=socket.socket(); s.bind(('192.0.2.$k',0)); s.settimeout(10); s.connect(('$VIP',81))
    s.sendall(b'PEER\n'); names.add(s.makefile().readline().split()[0]); s.close()
print(' '.join(sorted(names)))")
  [ "$(wc -w <<<"$got")" = 1 ] || fail "client 192.0.2.$k was spread over: $got"
  used="$used $got"
done
n=$(tr ' ' '\n' <<<"$used" | sort -u | grep -c . || true)
[ "$n" -ge 2 ] || fail "sh sent all eight clients to one server ($used)"
note "sh spread: $(tr ' ' '\n' <<<"$used" | sort | uniq -c | tr '\n' ' ')"
