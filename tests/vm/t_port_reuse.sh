# A client reusing its source port while the director still holds the old
# connection (TIME_WAIT on both the director and the real server): each new
# SYN retires the old entry and makes a new connection with a fresh ISN
# toward the real server, which takes it at once from its own TIME_WAIT -
# no retransmitted SYN anywhere. The same with SYNPROXY, where the new
# handshake is the director's and the new connection opens on its cookie.
. tests/lib/lib.sh
fullnat_setup 1
retrans() { nsx c awk '/^Tcp:/ {n++; if (n == 1) for (i=1;i<=NF;i++) h[i]=$i; else for (i=1;i<=NF;i++) if (h[i]=="RetransSegs") print $i}' /proc/net/snmp; }
for sp in 0 1; do
  rvs_ctl set-synproxy tcp "$VIP:80" $sp
  before=$(retrans)
  nsx c python3 -c "
import socket, time
for i in range(10):
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(('$CLIENT', 40100)); s.settimeout(10)
    s.connect(('$VIP', 80)); s.sendall(b'PEER\n')
    f = s.makefile()
    assert f.readline().startswith('rs1'), 'no answer'
    assert f.read() == '', 'more data'   # the server's FIN: it closed first,
    f.close(); s.close()                 # so TIME_WAIT is its, not ours
    time.sleep(0.3)
  " || fail "reconnects from the same port failed (synproxy $sp)"
  assert_eq "connections created (a new one for each SYN, synproxy $sp)" $((10 * (sp + 1))) "$(rvs_stat conns)"
  assert_eq "client retransmissions" "$before" "$(retrans)"
done
assert_eq "cookies accepted" 10 "$(rvs_stat synproxy_cookie_ok)"
