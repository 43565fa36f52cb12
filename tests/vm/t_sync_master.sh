# Connection sync, master side, through stock ipvsadm: --start-daemon
# master on the real servers' link (br0) sends upstream's version-1
# records to 224.0.0.81:8848, read here by an independent decoder
# (tests/lib/syncmsg.py) joined to the group on a real server:
# - a FULLNAT connection, once established: method 5, the client, VIP and
#   real server, the established timeout, and rvs's FULLNAT option with
#   the local address and port the real server sees; closed, its later
#   states follow;
# - a SYNPROXY connection's record says so, with its offsets and window
#   scales;
# - a NAT connection (method 0, no option) and a UDP one (state 0);
# - sync_threshold (upstream's packet rule): at "2 5" an established
#   connection's record goes again as its client's packets pass (at
#   least twice for 14 lines), at "0 0" only on its state changes (once
#   established);
# - sync_retries 3 sends an idle connection's refresh 3 times more, an
#   eighth of sync_refresh_period apart; sync_persist_mode 1 sends a
#   connection a template placed as the template's record alone;
#   sync_sock_size sets the backup's receive buffer (a burst that the
#   default takes whole loses datagrams at the smallest);
# - over an IPv6 group: a master's records go there, and a backup joined
#   to it takes a record sent there;
# - -L --daemon lists the master; a second start is refused (EEXIST), a
#   backup beside it is listed after it, stopping twice is refused
#   (ESRCH); a namespace deleted with its master running leaves no leak.
. tests/lib/lib.sh
trap cleanup_all EXIT
topo_up 2
load_rvs
clients_via_director 2
start_servers 2 8080
start_servers 1 5353 udp
fullnat_service tcp 80 rr 1
fullnat_service tcp 83 rr 1
rvs_ctl set-synproxy tcp "$VIP:83" 1
nsx d ipvsadm -A -t "$VIP:81" -s rr
nsx d ipvsadm -a -t "$VIP:81" -r "$(rs_addr 2):8080" -m
nsx d ipvsadm -A -u "$VIP:53" -s rr
nsx d ipvsadm -a -u "$VIP:53" -r "$(rs_addr 1):5353" -m

nsx d ipvsadm --start-daemon master --mcast-interface br0 --syncid 7
assert_eq "the master listed" "master sync daemon (mcast=br0, syncid=7, maxlen=1472, group=224.0.0.81, port=8848, ttl=1)" \
  "$(nsx d ipvsadm -L --daemon | sed 's/  */ /g')"
assert_eq "rvsadm lists it as ipvsadm does" "$(nsx d ipvsadm -L --daemon)" "$(nsx d "$RVSADM" -L --daemon)"
if out=$(nsx d ipvsadm --start-daemon master --mcast-interface br0 2>&1); then fail "a second master started"; fi
grep -qi "already" <<<"$out" || fail "a second master: $out"
# A backup beside it: listed after the master, as upstream lists them.
nsx d ipvsadm --start-daemon backup --mcast-interface br0 --syncid 7
assert_eq "master and backup listed" "master backup" "$(nsx d ipvsadm -L --daemon | awk '{print $1}' | xargs)"
assert_eq "rvsadm lists both as ipvsadm does" "$(nsx d ipvsadm -L --daemon)" "$(nsx d "$RVSADM" -L --daemon)"
nsx d ipvsadm --stop-daemon backup
if nsx d ipvsadm --start-daemon master --mcast-interface nosuch0 2>/dev/null; then fail "a master on no interface"; fi

# sync_sock_size: the backup's receive buffer (the master's send
# buffer) as setsockopt makes it, for daemons started after it. A burst
# of 300 datagrams fits rvs's default 4 MB; at the smallest size the
# socket drops some (the kernel's UdpRcvbufErrors).
rcvbuf_errors() { nsx d nstat -asz UdpRcvbufErrors | awk '$1 == "UdpRcvbufErrors" {print $2}'; }
burst() {
  nsx rs1 python3 -c "
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton('$(rs_addr 1)'))
for _ in range(300):
    s.sendto(bytes(1000), ('224.0.0.81', 8848))"
}
# burst_seen: the burst's datagrams read or dropped, every one.
burst_seen() { [ $(($(rvs_stat sync_rx_msgs) - m0 + $(rcvbuf_errors) - e0)) -ge 300 ]; }
nsx d ipvsadm --start-daemon backup --mcast-interface br0 --syncid 7
m0=$(rvs_stat sync_rx_msgs); e0=$(rcvbuf_errors)
burst
wait_until 20 "the burst read" burst_seen
assert_eq "datagrams of the burst dropped with the default receive buffer" 0 $(($(rcvbuf_errors) - e0))
nsx d ipvsadm --stop-daemon backup
nsx d sysctl -qw net.ipv4.vs.sync_sock_size=1
assert_eq "sync_sock_size set" 1 "$(nsx d sysctl -n net.ipv4.vs.sync_sock_size)"
nsx d ipvsadm --stop-daemon master
# (A master starts with it too: its send buffer the smallest.)
nsx d ipvsadm --start-daemon master --mcast-interface br0 --syncid 7
nsx d ipvsadm --start-daemon backup --mcast-interface br0 --syncid 7
m0=$(rvs_stat sync_rx_msgs); e0=$(rcvbuf_errors)
burst
wait_until 20 "the burst read or dropped" burst_seen
dropped=$(($(rcvbuf_errors) - e0))
note "a burst of 300 datagrams: $dropped dropped at sync_sock_size 1, 0 at the default"
[ "$dropped" -gt 0 ] || fail "sync_sock_size 1: no datagram of the burst dropped"
nsx d ipvsadm --stop-daemon backup
nsx d sysctl -qw net.ipv4.vs.sync_sock_size=0

REC=$(mktemp /tmp/sync.XXXXXX)
# listen FILE SECS [GROUP PORT]: the decoder on rs1 for SECS, its
# records into FILE, ready; its pid in $listener.
listen() {
  local ifaddr
  ifaddr=$(rs_addr 1)
  [ $# -gt 2 ] && ifaddr=r1
  nsx rs1 python3 tests/lib/syncmsg.py listen "$ifaddr" "$2" "${@:3}" > "$1" &
  listener=$!
  for _ in $(seq 50); do grep -q ready "$1" && break; sleep 0.1; done
}
listen "$REC" 20
s0=$(rvs_stat sync_sent)

# A FULLNAT connection: what the real server sees (LADDR:lport), and the
# client's port; closed after a line each way.
read -r cport laddr lport < <(nsx c python3 -c "
import socket, time
s = socket.create_connection(('$VIP', 80), 5)
s.sendall(b'HOLD\n')
f = s.makefile()
name, ip, port = f.readline().split()[:3]
print(s.getsockname()[1], ip, port, flush=True)
time.sleep(0.5)
s.close()
time.sleep(0.5)")
# A SYNPROXY connection.
read -r spport < <(nsx c python3 -c "
import socket
s = socket.create_connection(('$VIP', 83), 5)
s.sendall(b'PEER\n'); s.makefile().readline()
print(s.getsockname()[1])")
# A NAT connection and a UDP datagram.
read -r ncport < <(nsx c python3 -c "
import socket
s = socket.create_connection(('$VIP', 81), 5)
s.sendall(b'PEER\n'); s.makefile().readline()
print(s.getsockname()[1])")
nsx c python3 -c "
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(('', 42999)); s.settimeout(3)
s.sendto(b'x', ('$VIP', 53)); s.recv(100)"

rec() { # KEY=VALUE filters: the matching records, one JSON per line
  python3 -c "
import json, sys
want = dict(a.split('=', 1) for a in sys.argv[1:])
for l in open('$REC'):
    if not l.startswith('{'): continue
    r = json.loads(l)
    if all(str(r.get(k)) == v for k, v in want.items()):
        print(l.strip())" "$@"
}
for _ in $(seq 50); do [ -n "$(rec cport="$ncport")" ] && [ -n "$(rec proto=17)" ] && [ -n "$(rec cport="$spport" state=1)" ] && [ "$(rec cport="$cport" | wc -l)" -ge 2 ] && break; sleep 0.1; done
grep -q '"error"' "$REC" && fail "undecodable datagrams: $(grep error "$REC")"

est=$(rec cport="$cport" state=1 | head -1)
[ -n "$est" ] || fail "no established record of the FULLNAT connection: $(cat "$REC")"
got=$(python3 -c "
import json, sys
r = json.loads(sys.argv[1])
f = r['fullnat']
print(r['syncid'], r['proto'], r['fwd'], r['caddr'], r['vaddr'], r['vport'], r['daddr'], r['dport'], r['timeout'], f['laddr'], f['lport'], f['synproxy'], hex(r['options'][0]))" "$est")
assert_eq "the FULLNAT record" "7 6 5 $CLIENT $VIP 80 $(rs_addr 1) 8080 90 $laddr $lport False 0x59" "$got"
got=$(rec cport="$spport" state=1 | head -1 | python3 -c "
import json, sys
f = json.loads(sys.stdin.read())['fullnat']
print(f['synproxy'], f['seq_out'] != 0, f['client_ws'], f['offered_ws'])")
assert_eq "the SYNPROXY record (its offsets, the client's and the offered window scale)" "True True 7 7" "$got"
later=$(rec cport="$cport" | python3 -c "import json, sys; print(' '.join(sorted({str(json.loads(l)['state']) for l in sys.stdin})))")
[[ "$later" =~ [4578] ]] || fail "no record of the FULLNAT connection closing: states $later"
got=$(rec cport="$ncport" state=1 | head -1 | python3 -c "
import json, sys
r = json.loads(sys.stdin.read())
print(r['fwd'], r['daddr'], r['dport'], r['options'], 'fullnat' in r)")
assert_eq "the NAT record" "0 $(rs_addr 2) 8080 [] False" "$got"
got=$(rec proto=17 cport=42999 | head -1 | python3 -c "
import json, sys
r = json.loads(sys.stdin.read())
print(r['state'], r['fwd'], bool(r['flags'] & 0x100), r['vport'], r['daddr'], r['dport'], r['timeout'])")
assert_eq "the UDP record (never active, as upstream's)" "0 0 True 53 $(rs_addr 1) 5353 300" "$got"
[ "$(rvs_stat sync_sent)" -gt "$s0" ] || fail "sync_sent did not count"
assert_eq "records lost" 0 "$(rvs_stat sync_lost)"

nsx d ipvsadm --stop-daemon master
assert_eq "no daemon listed" "" "$(nsx d ipvsadm -L --daemon)"

# An IPv6 group and another port: the records go over IPv6.
REC6=$(mktemp /tmp/sync6.XXXXXX)
listen "$REC6" 15 ff02::1:8848 8849
nsx d ipvsadm --start-daemon master --mcast-interface br0 --syncid 7 --mcast-group ff02::1:8848 --mcast-port 8849
nsx d ipvsadm -L --daemon | grep -q "group=ff02::1:8848, port=8849" || fail "the IPv6 master listed as $(nsx d ipvsadm -L --daemon)"
nsx c python3 -c "
import socket, time
s = socket.socket(); s.bind(('$CLIENT', 43081)); s.settimeout(5)
s.connect(('$VIP', 81)); s.sendall(b'HOLD\n'); s.makefile().readline(); time.sleep(0.5); s.close()"
rec6() { grep -c '"cport": 43081, "vaddr": "'"$VIP"'", "vport": 81' "$REC6" || true; }
has_rec6() { [ "$(rec6)" -ge 1 ]; }
wait_until 10 "the NAT connection's record over the IPv6 group" has_rec6
nsx d ipvsadm --stop-daemon master
rm -f "$REC6"
if nsx d ipvsadm --stop-daemon master 2>/dev/null; then fail "stopping a stopped master"; fi
# A backup on the IPv6 group takes a record sent to it (from rs1, whose
# br0 link d's backup listens on).
nsx d ipvsadm --start-daemon backup --mcast-interface br0 --syncid 7 --mcast-group ff02::1:8848 --mcast-port 8849
nsx d ipvsadm -L --daemon | grep -q "^backup.*group=ff02::1:8848, port=8849" || fail "the IPv6 backup listed as $(nsx d ipvsadm -L --daemon)"
c6=$(rvs_stat sync_rx_conns)
nsx rs1 python3 tests/lib/syncmsg.py send r1 7 6 "$CLIENT:43381" "$VIP:81" "$(rs_addr 2):8080" 0 1 ff02::1:8848 8849
v6_synced() { [ "$(rvs_stat sync_rx_conns)" -gt "$c6" ]; }
wait_until 10 "the record sent over the IPv6 group taken" v6_synced
nsx d ipvsadm -L -n -c | grep -q "ESTABLISHED *$CLIENT:43381 *$VIP:81 *$(rs_addr 2):8080" || fail "the record over IPv6 made no connection: $(nsx d ipvsadm -L -n -c)"
nsx d ipvsadm --stop-daemon backup

# sync_threshold: records of an established connection as its client's
# packets pass (the refresh sweep put out of the way).
REC3=$(mktemp /tmp/sync3.XXXXXX)
nsx d sysctl -qw net.ipv4.vs.sync_refresh_period=3600
assert_eq "sync_threshold's default (upstream's)" "3	50" "$(nsx d sysctl -n net.ipv4.vs.sync_threshold)"
nsx d sysctl -qw net.ipv4.vs.sync_threshold="2 5"
listen "$REC3" 30
nsx d ipvsadm --start-daemon master --mcast-interface br0 --syncid 7
# lines CPORT: a NAT connection from CPORT that says HOLD, then 14 lines,
# each answered before the next.
lines() {
  nsx c python3 -c "
import socket
s = socket.socket(); s.bind(('$CLIENT', $1)); s.settimeout(5)
s.connect(('$VIP', 81)); s.sendall(b'HOLD\n'); f = s.makefile(); f.readline()
for _ in range(14):
    s.sendall(b'x\n'); f.readline()
s.close()"
}
lines 43281
nsx d sysctl -qw net.ipv4.vs.sync_threshold="0 0"
lines 43282
# est_recs CPORT [FILE]: established records of the VIP:81 connection
# from CPORT.
est_recs() { python3 -c "
import json
print(sum(1 for l in open('${2:-$REC3}') if l.startswith('{') and (lambda r: r['cport'] == $1 and r['vport'] == 81 and r['state'] == 1)(json.loads(l))))"; }
both_sent() { [ "$(est_recs 43282)" -ge 1 ] && [ "$(est_recs 43281)" -ge 1 ]; }
wait_until 10 "both connections' records" both_sent
n1=$(est_recs 43281)
[ "$n1" -ge 2 ] || fail "sync_threshold 2 5: $n1 established record(s) for 14 lines"
assert_eq "sync_threshold 0 0: established records" 1 "$(est_recs 43282)"
note "established records: $n1 at 2 5, 1 at 0 0"
if nsx d sysctl -qw net.ipv4.vs.sync_threshold="5 5" 2>/dev/null; then fail "sync_threshold 5 5 accepted"; fi
if nsx d sysctl -qw net.ipv4.vs.sync_threshold="3" 2>/dev/null; then fail "sync_threshold with one number accepted"; fi
assert_eq "sync_threshold unchanged" "0	0" "$(nsx d sysctl -n net.ipv4.vs.sync_threshold)"
nsx d ipvsadm --stop-daemon master
kill "$listener" 2>/dev/null || true
rm -f "$REC3"

# sync_retries: an idle connection's refresh goes again an eighth of
# sync_refresh_period later (here 4 s: 0.5 s), 3 times at 3, not at 0;
# sync_persist_mode 1: a connection a persistence template placed goes
# as its template's record alone.
REC4=$(mktemp /tmp/sync4.XXXXXX)
nsx d ipvsadm -A -t "$VIP:82" -s rr -p 60
nsx d ipvsadm -a -t "$VIP:82" -r "$(rs_addr 2):8080" -m
nsx d sysctl -qw net.ipv4.vs.sync_refresh_period=4 net.ipv4.vs.sync_retries=3 net.ipv4.vs.sync_persist_mode=1
assert_eq "sync_retries and sync_persist_mode set" "3 1" \
  "$(nsx d sysctl -n net.ipv4.vs.sync_retries net.ipv4.vs.sync_persist_mode | xargs)"
for bad in sync_retries=4 sync_persist_mode=2; do
  if nsx d sysctl -qw "net.ipv4.vs.$bad" 2>/dev/null; then fail "$bad accepted"; fi
done
listen "$REC4" 40
nsx d ipvsadm --start-daemon master --mcast-interface br0 --syncid 7
# hold CPORT PORT SECS: a connection from CPORT to VIP:PORT, held idle.
hold() {
  nsx c python3 -c "
import socket, time
s = socket.socket(); s.bind(('$CLIENT', $1)); s.settimeout(5)
s.connect(('$VIP', $2)); s.sendall(b'HOLD\n'); s.makefile().readline()
time.sleep($3)
s.close()"
}
hold 43285 82 2 &
persist=$!
hold 43283 81 8
nsx d sysctl -qw net.ipv4.vs.sync_retries=0
hold 43284 81 8
wait "$persist"
r3=$(est_recs 43283 "$REC4")
r0=$(est_recs 43284 "$REC4")
note "established records over 8 s at sync_refresh_period 4: $r3 with sync_retries 3, $r0 with 0"
[ "$r3" -ge 6 ] || fail "sync_retries 3: $r3 established record(s) in 8 s"
[ "$r0" -le 4 ] || fail "sync_retries 0: $r0 established record(s) in 8 s"
recs82() { python3 -c "
import json
print(sum(1 for l in open('$REC4') if l.startswith('{') and (lambda r: r['vport'] == 82 and r['cport'] == $1)(json.loads(l))))"; }
[ "$(recs82 0)" -ge 1 ] || fail "sync_persist_mode 1: no template record"
assert_eq "sync_persist_mode 1: records of the template's connection" 0 "$(recs82 43285)"
nsx d sysctl -qw net.ipv4.vs.sync_persist_mode=0 net.ipv4.vs.sync_refresh_period=3600
hold 43286 82 0
own_record() { [ "$(recs82 43286)" -ge 1 ]; }
wait_until 5 "with sync_persist_mode 0, the connection's own record" own_record
nsx d ipvsadm --stop-daemon master
kill "$listener" 2>/dev/null || true
rm -f "$REC4"

# A namespace that goes away with its master running.
extra_ns x
ip -n rvs-x link add dummy0 type dummy
ip -n rvs-x addr add 203.0.113.9/24 dev dummy0
ip -n rvs-x link set dummy0 up
nsx x ipvsadm --start-daemon master --mcast-interface dummy0
ip netns del rvs-x
rm -f "$REC"
