# Weight 0 drains a real server: no new connections go there, and the
# connection it already has keeps working.
. tests/lib/lib.sh
fullnat_setup 2
nsx c python3 -c "
import sys; sys.path.insert(0, 'tests/lib')
from held import hold, peer, still_works, ctl
f, name, rs = hold('$VIP', {'rs1': '$(rs_addr 1)', 'rs2': '$(rs_addr 2)'})
ctl('set-weight tcp $VIP:80 %s:8080 0' % rs)
for _ in range(20):
    assert peer('$VIP') != name, 'new connection went to the drained ' + name
assert still_works(f), 'held connection broke'
print('drained', name)
" || fail "drain"
