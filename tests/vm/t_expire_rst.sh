# An established connection that expires is reset at both ends
# (conn_expire_tcp_rst, on by default as in Alibaba's LVS): the idle client
# sees ECONNRESET and the real server's socket is gone, instead of both
# holding a connection the director forgot. Off: no reset. And a network
# namespace that goes away takes its connections with it.
. tests/lib/lib.sh
fullnat_setup 1
rvs_ctl set timeout_established 3
idle() { # prints how an idle held connection ended within 15 s
  nsx c python3 -c "
import socket, time
s = socket.create_connection(('$VIP', 80), timeout=5)
s.sendall(b'HOLD\n'); f = s.makefile('rb'); f.readline(); f.close()
s.settimeout(15); t = time.monotonic()
try:
    print('eof' if s.recv(10) == b'' else 'data')
except ConnectionResetError:
    print('reset after %.0f s' % (time.monotonic() - t))
except socket.timeout:
    print('still open')"
}
rs_established() { nsx rs1 ss -Htn state established '( sport = :8080 )' | wc -l; }
r=$(idle); note "default: $r"
[[ $r == reset* ]] || fail "the idle client was not reset: $r"
assert_eq "resets sent" 2 "$(rvs_stat expire_rst_sent)"
sleep 0.5
assert_eq "server connections left" 0 "$(rs_established)"
rvs_ctl set conn_expire_tcp_rst 0
r=$(idle); note "conn_expire_tcp_rst 0: $r"
assert_eq "without resets" "still open" "$r"
assert_eq "resets sent" 2 "$(rvs_stat expire_rst_sent)"
[ "$(rs_established)" -ge 1 ] || fail "the server's connection should still be open"

rvs_ctl set timeout_established 90
coproc HOLD { client hold "$VIP" 80 20; }
read -r -t 120 word n <&"${HOLD[0]}" || fail "no answer from the hold client"
assert_eq "held connections" 20 "$n"
[ "$(rvs_stat conns_now)" -ge 20 ] || fail "conns_now $(rvs_stat conns_now)"
ip netns del rvs-d
for k in $(seq 50); do [ "$(rvs_stat conns_now)" = 0 ] && break; sleep 0.2; done
assert_eq "connections after the director's namespace went away" 0 "$(rvs_stat conns_now)"
exec {HOLD[1]}>&-
