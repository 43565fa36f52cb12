# vm-tcg: single
# toa.ko unloads while connections that carry TOA records are open and in
# use (a server thread calling getpeername() in a loop while the module
# goes and comes back five times): the connections keep working; after the
# unload their server sees the director's local address (the records went
# with the module, and a reloaded module does not know the old sockets),
# new connections see the client again. The kernel log stays clean and
# nothing leaks (the harness checks kmemleak). Then 20 more load/unload
# cycles with getpeername() hammered from another thread: kprobes are
# armed and disarmed under a running caller each time.
. tests/lib/lib.sh
fullnat_setup 1
toa_stat() { nsx rs1 awk -v k="$1" '$1 == k {print $2}' /proc/net/toa_stats; }
load_toa
nsx c python3 - "$VIP" "$CLIENT" "${LADDRS[0]}" "$RVS_MODDIR/toa.ko" <<'PY'
import socket, subprocess, sys, threading, time
vip, client, laddr, ko = sys.argv[1:5]

def held():
    s = socket.create_connection((vip, 80), timeout=10)
    f = s.makefile("rwb")
    f.write(b"HOLD\n"); f.flush()
    _, ip, port, *_ = f.readline().split()
    assert (ip.decode(), int(port)) == s.getsockname(), "held connection sees %s:%s" % (ip, port)
    return s, f

def who(f):
    f.write(b"WHO\n"); f.flush()
    ip, port = f.readline().split()
    return ip.decode(), int(port)

conns = [held() for _ in range(10)]
mine = {f: s.getsockname() for s, f in conns}
assert all(who(f) == mine[f] for _, f in conns), "WHO before unload"

# Hammer getpeername() on one connection while the module goes and comes.
stop, seen, errors = False, set(), []
def hammer(f):
    try:
        while not stop:
            seen.add(who(f)[0])
    except Exception as e:  # noqa: BLE001
        errors.append(repr(e))
s9, f9 = held()
t = threading.Thread(target=hammer, args=(f9,)); t.start()
time.sleep(0.5)
for i in range(5):
    subprocess.run(["rmmod", "toa"], check=True)
    time.sleep(0.3)
    subprocess.run(["insmod", ko], check=True)
    time.sleep(0.3)
subprocess.run(["rmmod", "toa"], check=True)
time.sleep(0.3)
stop = True; t.join()
assert not errors, errors
assert seen <= {client, laddr} and client in seen and laddr in seen, "hammer saw %s" % seen

# Unloaded: the old connections work and show the LADDR.
for s, f in conns:
    f.write(b"still here\n"); f.flush()
    assert f.readline() == b"still here\n", "held connection broke"
    ip, _ = who(f)
    assert ip == laddr, "after unload the server sees %s" % ip
# Reloaded: old connections still show the LADDR, new ones the client.
subprocess.run(["insmod", ko], check=True)
assert all(who(f)[0] == laddr for _, f in conns), "old connections after reload"
s2, f2 = held()
assert who(f2) == s2.getsockname(), "new connection after reload"
for s, f in conns + [(s9, f9), (s2, f2)]:
    f.close(); s.close()
print("ok")
PY
[ $? = 0 ] || fail "unload under use"
# The first unload freed the records of the 11 open connections; the later
# ones had none (a reloaded module never saw those handshakes).
dmesg | grep 'toa .* unloaded' | tail -n 6 | sed 's/^/# /'
dmesg | grep 'toa .* unloaded' | tail -n 6 | head -n 1 | grep -q '(11 records of open sockets freed)' || fail "records of open sockets not freed at unload"
for k in $(seq 50); do [ "$(toa_stat records)" = 0 ] && break; sleep 0.2; done
assert_eq "records after all connections closed" 0 "$(toa_stat records)"

# Load and unload under a running getpeername() caller, 20 times.
unload_toa
python3 - "$RVS_MODDIR/toa.ko" <<'PY' || fail "load/unload cycles under getpeername()"
import socket, subprocess, sys, threading
ko = sys.argv[1]
ls = socket.socket(); ls.bind(("127.0.0.1", 0)); ls.listen()
c = socket.create_connection(ls.getsockname()); a, _ = ls.accept()
stop, calls, errors = False, [0], []
def hammer():
    try:
        while not stop:
            assert a.getpeername() == c.getsockname()
            calls[0] += 1
    except Exception as e:  # noqa: BLE001
        errors.append(repr(e))
t = threading.Thread(target=hammer); t.start()
for _ in range(20):
    subprocess.run(["insmod", ko], check=True)
    subprocess.run(["rmmod", "toa"], check=True)
stop = True; t.join()
assert not errors, errors
assert calls[0] > 0, "the hammer never ran"
print("# %d getpeername() calls during 20 cycles" % calls[0])
PY
