# TOA on the director: the client segment that completes the handshake, and
# the data that follows until the real server acknowledges some, carry the
# client's address and port in option 254 (length 8); the SYN does not,
# replies never do, and with "set toa 0" nothing does. Data stays intact.
. tests/lib/lib.sh
fullnat_setup 1
capture() { # FILE PORT: sniff r1 while one PEER connection runs from PORT
  nsx rs1 python3 tests/lib/sniff.py r1 30 fins > "$1" &
  local pid=$! k
  for k in $(seq 50); do grep -q ready "$1" && break; sleep 0.1; done
  nsx c python3 -c "
import socket
s = socket.socket(); s.bind(('$CLIENT', $2)); s.settimeout(10); s.connect(('$VIP', 80))
s.sendall(b'PEER\n'); f = s.makefile(); f.readline(); f.close(); s.close()"
  wait "$pid"
}
capture /tmp/toa_on 40200
sed 's/^/# /' /tmp/toa_on
from_client=$(grep "> $(rs_addr 1):8080" /tmp/toa_on)
syn=$(grep -m1 ' S len' <<<"$from_client")
ack=$(grep -m1 ' A len=0' <<<"$from_client")
data=$(grep -m1 ' PA len=5' <<<"$from_client" || grep -m1 ' A len=5' <<<"$from_client")
[ -n "$syn" ] && [ -n "$ack" ] && [ -n "$data" ] || fail "segments missing from the capture"
grep -q 'toa=-' <<<"$syn" || fail "the SYN carries TOA: $syn"
grep -q "toa=$CLIENT:40200" <<<"$ack" || fail "the handshake ACK lacks the client's TOA: $ack"
grep -q "toa=$CLIENT:40200" <<<"$data" || fail "the first data segment lacks TOA: $data"
if grep "$(rs_addr 1):8080 >" /tmp/toa_on | grep -qv 'toa=-'; then fail "a reply carries TOA"; fi
last=$(tail -n1 <<<"$from_client")
grep -q 'toa=-' <<<"$last" || fail "TOA still sent after the RS acknowledged data: $last"
[ "$(rvs_stat toa_inserted)" -ge 2 ] || fail "toa_inserted $(rvs_stat toa_inserted)"
rvs_ctl set toa 0
capture /tmp/toa_off 40201
if grep "> $(rs_addr 1):8080" /tmp/toa_off | grep -qv 'toa=-'; then fail "TOA sent with toa=0"; fi
rvs_ctl set toa 1
client upload "$VIP" 80 5000000 | grep -q ' ok$' || fail "upload corrupted with TOA"
client download "$VIP" 80 5000000 | grep -q ' ok$' || fail "download corrupted with TOA"
