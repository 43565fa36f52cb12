# Connections outlive a flush of their namespace's services: rvs keeps
# working in a namespace that has had services (its hooks let the packets
# of other namespaces pass untouched), so an established connection still
# echoes through the director after the flush, and its packets are
# counted, while a new connection to the VIP is no longer balanced (the
# director's own stack refuses it).
. tests/lib/lib.sh
fullnat_setup 1
nsx c python3 -c "
import subprocess, sys; sys.path.insert(0, 'tests/lib')
from held import hold, peer, still_works, ctl
f, name, rs = hold('$VIP', {'rs1': '$(rs_addr 1)'})
assert still_works(f), 'held connection broke before the flush'
ctl('flush')
# The stats as the host's namespace reads them (a reader in another sees
# its own services only, and not the module's counters).
def stats():
    return subprocess.run(['nsenter', '-t', '1', '-n', 'cat', '/sys/module/rvs/parameters/stats'],
                          check=True, capture_output=True, text=True).stdout
assert '\nsvc ' not in '\n' + stats(), 'services left after the flush'
def in_pkts():
    for l in stats().splitlines():
        k, _, v = l.partition(' ')
        if k == 'in_pkts':
            return int(v)
before = in_pkts()
assert still_works(f), 'held connection broke by the flush'
assert in_pkts() > before, 'the held connection was not counted after the flush'
try:
    peer('$VIP', timeout=3)
    raise SystemExit('a new connection was balanced with no service')
except OSError:
    pass
print('held through the flush')
" || fail "flush"
