# Removing a real server or a local address: new connections avoid it at
# once, the connection already using it keeps working to its end, and
# removing what is not there is refused with ENOENT.
. tests/lib/lib.sh
fullnat_setup 2
nsx c python3 -c "
import socket
s = socket.create_connection(('$VIP', 80), timeout=10)
f = s.makefile('rwb')
f.write(b'HOLD\n'); f.flush()
name = f.readline().split()[0].decode()
rs = {'rs1': '$(rs_addr 1)', 'rs2': '$(rs_addr 2)'}[name]
open('/sys/module/rvs/parameters/ctl', 'w').write('del-dest tcp $VIP:80 %s:8080' % rs)
for _ in range(10):
    c = socket.create_connection(('$VIP', 80), timeout=10)
    c.sendall(b'PEER\n'); g = c.makefile()
    assert g.readline().split()[0] != name, 'a new connection went to the removed ' + name
    g.close(); c.close()
open('/sys/module/rvs/parameters/ctl', 'w').write('del-laddr tcp $VIP:80 ${LADDRS[0]}')
try:
    socket.create_connection(('$VIP', 80), timeout=2)
    raise SystemExit('connected without any LADDR')
except OSError:
    pass
f.write(b'still here\n'); f.flush()
assert f.readline() == b'still here\n', 'held connection broke'
print('removed', name)
" || fail "removal"
[ "$(rvs_stat drop_no_laddr)" -ge 1 ] || fail "drop_no_laddr not counted"
if rvs_ctl del-dest tcp "$VIP:80" "$(rs_addr 9):8080" 2>/dev/null; then fail "removing an unknown real server was accepted"; fi
if rvs_ctl del-laddr tcp "$VIP:80" "${LADDRS[0]}" 2>/dev/null; then fail "removing an unknown LADDR was accepted"; fi
