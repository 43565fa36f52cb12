# Connection sync between rvs and the kernel's own ip_vs, both ways, over
# the protocol they share (version 1). The two cannot be loaded at once
# (both register "IPVS"), so what one director's master sends is recorded
# on the sync link (tests/lib/syncmsg.py listen --save) and replayed,
# byte for byte, to the other's backup:
# - rvs master -> ip_vs backup: a NAT connection and a FULLNAT one
#   (whose record carries rvs's FULLNAT option, which upstream marks
#   optional). ip_vs takes both records: its table lists the NAT
#   connection toward its real server, ESTABLISHED, and the FULLNAT one
#   too (its option passed over, not the cause of a dropped message).
#   The NAT service is persistent: rvs sends the client's template too,
#   and ip_vs lists it.
# - ip_vs master -> rvs backup: a NAT connection through ip_vs, of a
#   persistent service; rvs makes it, toward the same real server, and
#   counts it (sync_rx_conns), and takes the client's template: rvs has
#   both real servers (rr), ip_vs had only the second, and the client's
#   new connections through rvs all reach the second.
. tests/lib/lib.sh
trap 'cleanup_all; unload_ip_vs || exit 1' EXIT
topo_up 2
clients_via_director 2
start_servers 2 8080
REC=$(mktemp -d /tmp/syncio.XXXXXX)

# hold PORT CPORT: a client connection to VIP:PORT from CPORT that says
# HOLD and then a line every 0.2 s for 3 s (packets enough for ip_vs's
# sync threshold), then waits to be killed.
hold() {
  nsx c python3 -c "
import socket, time
s = socket.socket(); s.bind(('$CLIENT', $2)); s.settimeout(10)
s.connect(('$VIP', $1)); s.sendall(b'HOLD\n'); f = s.makefile(); f.readline()
for _ in range(15):
    s.sendall(b'x\n'); f.readline(); time.sleep(0.2)
print('held', flush=True)
time.sleep(60)" > "$REC/hold$2" &
}
# record FILE SECONDS: the sync link's datagrams, seen from rs2.
record() { nsx rs2 python3 tests/lib/syncmsg.py listen --save "$1" "$(rs_addr 2)" "$2" > "$1.json"; }
# has_record JSON CPORT VPORT: the listing holds a record of that
# connection, ESTABLISHED (state 1).
has_record() { python3 -c "
import json, sys
rs = [json.loads(l) for l in open('$1') if l.startswith('{')]
sys.exit(not any(r.get('cport') == $2 and r.get('vport') == $3 and r.get('state') == 1 for r in rs))"; }
# conn_line CPORT: the director's connection from the client's CPORT, as
# stock ipvsadm lists it ("state virtual real").
conn_line() { nsx d ipvsadm -L -n -c | awk -v c="$CLIENT:$1" '$4 == c {print $3, $5, $6}'; }
# has_template JSON VPORT DADDR: the listing holds the client's
# persistence template toward DADDR:8080, kept at least the persistence
# timeout (60 s).
has_template() { python3 -c "
import json, sys
rs = [json.loads(l) for l in open('$1') if l.startswith('{')]
sys.exit(not any(r['flags'] & 0x1000 and r['caddr'] == '$CLIENT' and r['cport'] == 0 and r['vport'] == $2
                 and r['daddr'] == '$3' and r['dport'] == 8080 and r['timeout'] >= 60 for r in rs))"; }
# servers_reached N: the real servers N new connections to VIP:81 reach.
servers_reached() {
  nsx c python3 -c "
import socket
for _ in range($1):
    s = socket.socket(); s.bind(('$CLIENT', 0)); s.settimeout(10); s.connect(('$VIP', 81))
    s.sendall(b'PEER\n'); f = s.makefile(); print(f.readline().split()[0]); f.close(); s.close()" | sort -u | tr '\n' ' '
}

# rvs master -> ip_vs backup.
load_rvs
nsx d ipvsadm -A -t "$VIP:81" -s rr -p 60
nsx d ipvsadm -a -t "$VIP:81" -r "$(rs_addr 1):8080" -m
fullnat_service tcp 80 rr 1
nsx d ipvsadm --start-daemon master --mcast-interface br0 --syncid 5
record "$REC/rvs" 8 &
recorder=$!
sleep 1
hold 81 41081
hold 80 41080
wait "$recorder"
has_record "$REC/rvs.json" 41081 81 || fail "rvs sent no ESTABLISHED record of the NAT connection: $(cat "$REC/rvs.json")"
has_record "$REC/rvs.json" 41080 80 || fail "rvs sent no ESTABLISHED record of the FULLNAT connection: $(cat "$REC/rvs.json")"
grep -q '"fullnat"' "$REC/rvs.json" || fail "the FULLNAT record has no FULLNAT option: $(cat "$REC/rvs.json")"
has_template "$REC/rvs.json" 81 "$(rs_addr 1)" || fail "rvs sent no template record of the persistent service: $(cat "$REC/rvs.json")"
note "rvs's master: $(wc -l < "$REC/rvs") datagrams"
for j in $(jobs -p); do kill "$j" 2>/dev/null || true; done
wait 2>/dev/null || true
nsx d ipvsadm --stop-daemon master
nsx d ipvsadm -C
rmmod rvs
modprobe ip_vs
modprobe ip_vs_rr
nsx d ipvsadm -A -t "$VIP:81" -s rr -p 60
nsx d ipvsadm -a -t "$VIP:81" -r "$(rs_addr 1):8080" -m
nsx d ipvsadm -A -t "$VIP:80" -s rr
nsx d ipvsadm -a -t "$VIP:80" -r "$(rs_addr 1):8080" -m
nsx d ipvsadm --start-daemon backup --mcast-interface br0 --syncid 5
# (ip_vs's backup thread joins the group as it starts.)
sleep 1
nsx rs2 python3 tests/lib/syncmsg.py replay "$(rs_addr 2)" "$REC/rvs"
synced_nat() { [ -n "$(conn_line 41081)" ]; }
wait_until 10 "ip_vs holds rvs's NAT connection" synced_nat
assert_eq "ip_vs's copy of rvs's NAT connection" "ESTABLISHED $VIP:81 $(rs_addr 1):8080" "$(conn_line 41081)"
fn=$(conn_line 41080)
[ -n "$fn" ] || fail "ip_vs dropped the FULLNAT record (its option should be passed over): $(nsx d ipvsadm -L -n -c)"
note "ip_vs's copy of rvs's FULLNAT connection: $fn"
assert_eq "ip_vs's copy of rvs's template" "NONE $VIP:81 $(rs_addr 1):8080" "$(conn_line 0)"
nsx d ipvsadm --stop-daemon backup

# ip_vs master -> rvs backup.
nsx d ipvsadm -C
nsx d ipvsadm -A -t "$VIP:81" -s rr -p 60
nsx d ipvsadm -a -t "$VIP:81" -r "$(rs_addr 2):8080" -m
nsx d ipvsadm --start-daemon master --mcast-interface br0 --syncid 5
record "$REC/ipvs" 8 &
recorder=$!
sleep 1
hold 81 41181
wait "$recorder"
has_record "$REC/ipvs.json" 41181 81 || fail "ip_vs sent no ESTABLISHED record: $(cat "$REC/ipvs.json")"
has_template "$REC/ipvs.json" 81 "$(rs_addr 2)" || fail "ip_vs sent no template record: $(cat "$REC/ipvs.json")"
note "ip_vs's master: $(wc -l < "$REC/ipvs") datagrams"
for j in $(jobs -p); do kill "$j" 2>/dev/null || true; done
wait 2>/dev/null || true
nsx d ipvsadm --stop-daemon master
nsx d ipvsadm -C
unload_ip_vs
load_rvs
nsx d ipvsadm -A -t "$VIP:81" -s rr -p 60
nsx d ipvsadm -a -t "$VIP:81" -r "$(rs_addr 1):8080" -m
nsx d ipvsadm -a -t "$VIP:81" -r "$(rs_addr 2):8080" -m
nsx d ipvsadm --start-daemon backup --mcast-interface br0 --syncid 5
c0=$(rvs_stat sync_rx_conns)
nsx rs2 python3 tests/lib/syncmsg.py replay "$(rs_addr 2)" "$REC/ipvs"
synced() { [ -n "$(conn_line 41181)" ]; }
wait_until 10 "rvs holds ip_vs's connection" synced
assert_eq "rvs's copy of ip_vs's NAT connection" "ESTABLISHED $VIP:81 $(rs_addr 2):8080" "$(conn_line 41181)"
[ "$(($(rvs_stat sync_rx_conns) - c0))" -ge 1 ] || fail "sync_rx_conns did not count it"
assert_eq "no record of ip_vs's refused" 0 "$(rvs_stat sync_rx_refused)"
assert_eq "no message of ip_vs's refused" 0 "$(rvs_stat sync_rx_bad)"
assert_eq "rvs's copy of ip_vs's template" "NONE $VIP:81 $(rs_addr 2):8080" "$(conn_line 0)"
assert_eq "the client's new connections, placed by the synced template" "rs2 " "$(servers_reached 4)"
nsx d ipvsadm --stop-daemon backup
