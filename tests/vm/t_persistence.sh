# Persistence: with a /24 netmask every client of the /24 goes to one real
# server (one template); with /32 each client address sticks to its own,
# and rr still spreads the clients.
. tests/lib/lib.sh
fullnat_setup 3
for k in $(seq 11 16); do ip -n rvs-c addr add "192.0.2.$k/24" dev c0; done
names_from() { # ADDR N: the servers N connections from ADDR reached
  nsx c python3 -c "
import socket
for _ in range($2):
    s = socket.socket(); s.bind(('$1', 0)); s.settimeout(10); s.connect(('$VIP', 80))
    s.sendall(b'PEER\n'); f = s.makefile(); print(f.readline().split()[0]); f.close(); s.close()"
}
rvs_ctl set-persist tcp "$VIP:80" 60 255.255.255.0
all=$(for k in $(seq 11 16); do names_from "192.0.2.$k" 3; done | sort -u)
assert_eq "servers reached by one /24 with persistence" 1 "$(wc -l <<<"$all")"
assert_eq "templates" 1 "$(rvs_stat templates_now)"
grep -q "persist 1 " /sys/module/rvs/parameters/stats || fail "no real server counts the template"
rvs_ctl set-persist tcp "$VIP:80" 60 255.255.255.255
used=""
for k in $(seq 11 16); do
  got=$(names_from "192.0.2.$k" 3 | sort -u)
  [ "$(wc -l <<<"$got")" = 1 ] || fail "192.0.2.$k was spread over: $(echo $got)"
  used="$used $got"
done
n=$(tr ' ' '\n' <<<"$used" | sort -u | grep -c . || true)
[ "$n" -ge 2 ] || fail "six clients all on one server with /32 persistence ($used)"
[ "$(rvs_stat templates_now)" -ge 6 ] || fail "templates_now $(rvs_stat templates_now)"
rvs_ctl set-persist tcp "$VIP:80" 0
names=$(names_from 192.0.2.11 6 | sort -u | wc -l)
[ "$names" -ge 2 ] || fail "persistence still on after set-persist 0"
