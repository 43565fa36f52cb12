# Persistence: with a /24 netmask every client of the /24 goes to one real
# server (one template); with /32 each client address sticks to its own,
# and rr still spreads the clients. A template whose real server was
# deleted, or (expire_quiescent_template) has weight 0, places no more.
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

# A template outlives its timeout while a connection it placed lives (as
# upstream): with a 1 s timeout, a connection held for 4 s keeps its
# template (the collector passes over the table every second), so a new
# connection of the client still goes to the held one's server even though
# that server's weight is 0 by then (persistence wins over quiescing, as
# upstream by default). Once the held connection has ended and expired, the
# template goes too. A client address of its own (192.0.2.17) tells its
# template apart in /proc/net/ip_vs_conn.
for s in fin_wait time_wait close close_wait last_ack; do rvs_ctl set "timeout_$s" 1; done
ip -n rvs-c addr add 192.0.2.17/24 dev c0
rvs_ctl set-persist tcp "$VIP:80" 1 255.255.255.255
template() { nsx d awk '$2 == "C0000211" && $8 == "NONE"' /proc/net/ip_vs_conn | wc -l; }
coproc HOLD { nsx c python3 -c "
import socket, sys
s = socket.socket(); s.bind(('192.0.2.17', 0)); s.settimeout(10); s.connect(('$VIP', 80))
f = s.makefile('rwb'); f.write(b'HOLD\n'); f.flush()
print(f.readline().split()[0].decode(), flush=True)
sys.stdin.read()
"; }
read -r held <&"${HOLD[0]}"
rvs_ctl set-weight tcp "$VIP:80" "$(rs_addr "${held#rs}"):8080" 0
sleep 4
assert_eq "template kept by its live connection" 1 "$(template)"
assert_eq "the client's next connection" "$held" "$(names_from 192.0.2.17 1)"
exec {HOLD[1]}>&-
wait "$HOLD_PID" 2>/dev/null || true
for k in $(seq 100); do [ "$(template)" = 0 ] && break; sleep 0.2; done
assert_eq "template gone after its connections" 0 "$(template)"

# Templates are checked before they place a client (upstream's
# ip_vs_check_template): one whose real server was deleted sends its
# client elsewhere; one whose server has weight 0 keeps it, unless
# expire_quiescent_template is set. 192.0.2.18: a client of its own.
for i in 1 2 3; do rvs_ctl set-weight tcp "$VIP:80" "$(rs_addr "$i"):8080" 1; done
ip -n rvs-c addr add 192.0.2.18/24 dev c0
rvs_ctl set-persist tcp "$VIP:80" 60 255.255.255.255
first=$(names_from 192.0.2.18 3 | sort -u)
assert_eq "one server for the client" 1 "$(wc -l <<<"$first")"
rvs_ctl del-dest tcp "$VIP:80" "$(rs_addr "${first#rs}"):8080"
second=$(names_from 192.0.2.18 3 | sort -u)
assert_eq "one server after the deletion" 1 "$(wc -l <<<"$second")"
[ "$second" != "$first" ] || fail "the template still places the client on deleted $first"
rvs_ctl set-weight tcp "$VIP:80" "$(rs_addr "${second#rs}"):8080" 0
assert_eq "weight 0: persistence wins by default" "$second" "$(names_from 192.0.2.18 2 | sort -u)"
rvs_ctl set expire_quiescent_template 1
third=$(names_from 192.0.2.18 2 | sort -u)
[ "$third" != "$second" ] && [ "$third" != "$first" ] && [ "$(wc -l <<<"$third")" = 1 ] \
  || fail "expire_quiescent_template 1: the client went to '$(echo $third)' (deleted $first, weight 0 $second)"
