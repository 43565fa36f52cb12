# Weight 0 drains a real server: no new connections go there, and the
# connection it already has keeps working.
. tests/lib/lib.sh
fullnat_setup 2
nsx c python3 -c "
import socket, subprocess, sys
s = socket.create_connection(('$VIP', 80), timeout=10)
f = s.makefile('rwb')
f.write(b'HOLD\n'); f.flush()
name = f.readline().split()[0].decode()
rs = {'rs1': '$(rs_addr 1)', 'rs2': '$(rs_addr 2)'}[name]
# Drain the server that holds this connection (ip netns exec keeps /sys of
# the initial namespace: the module parameter is global).
open('/sys/module/rvs/parameters/ctl', 'w').write('set-weight tcp $VIP:80 %s:8080 0' % rs)
for _ in range(20):
    c = socket.create_connection(('$VIP', 80), timeout=10)
    c.sendall(b'PEER\n')
    got = c.makefile().readline().split()[0]
    assert got != name, 'new connection went to the drained ' + name
    c.close()
f.write(b'still here\n'); f.flush()
assert f.readline() == b'still here\n', 'held connection broke'
print('drained', name)
" || fail "drain"
