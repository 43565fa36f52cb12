# Removing a real server or a local address: new connections avoid it at
# once, the connection already using it keeps working to its end, and
# removing what is not there is refused with ENOENT.
. tests/lib/lib.sh
fullnat_setup 2
nsx c python3 -c "
import socket, sys; sys.path.insert(0, 'tests/lib')
from held import hold, peer, still_works, ctl
f, name, rs = hold('$VIP', {'rs1': '$(rs_addr 1)', 'rs2': '$(rs_addr 2)'})
ctl('del-dest tcp $VIP:80 %s:8080' % rs)
for _ in range(10):
    assert peer('$VIP') != name, 'a new connection went to the removed ' + name
ctl('del-laddr tcp $VIP:80 ${LADDRS[0]}')
try:
    peer('$VIP', timeout=2)
    raise SystemExit('connected without any LADDR')
except OSError:
    pass
assert still_works(f), 'held connection broke'
print('removed', name)
" || fail "removal"
[ "$(rvs_stat drop_no_laddr)" -ge 1 ] || fail "drop_no_laddr not counted"
if rvs_ctl del-dest tcp "$VIP:80" "$(rs_addr 9):8080" 2>/dev/null; then fail "removing an unknown real server was accepted"; fi
if rvs_ctl del-laddr tcp "$VIP:80" "${LADDRS[0]}" 2>/dev/null; then fail "removing an unknown LADDR was accepted"; fi
