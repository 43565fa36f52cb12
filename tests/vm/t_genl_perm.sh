# Every command of the "IPVS" family needs CAP_NET_ADMIN, reads included,
# as upstream's (GENL_ADMIN_PERM on every op): a process without it gets
# EPERM and changes nothing, through ipvsadm and through raw requests; a
# user namespace's root is not enough either (the capability is checked
# in the initial user namespace, as upstream).
. tests/lib/lib.sh
trap cleanup_all EXIT
load_rvs
ipvsadm -A -t 192.0.2.100:80 -s rr
ipvsadm -a -t 192.0.2.100:80 -r 198.51.100.11:8080 -m
before=$(ipvsadm -S -n)
nopriv() { setpriv --reuid=nobody --regid=nogroup --clear-groups --inh-caps=-all --bounding-set=-all -- "$@"; }
tmo=$(ipvsadm -L --timeout)
# ipvsadm's first request (GET_INFO) is refused: it says so and stops.
for args in "-A -t 192.0.2.100:81 -s rr" "-C" "-Ln"; do
  if out=$(nopriv ipvsadm $args 2>&1); then fail "ipvsadm $args worked without CAP_NET_ADMIN"; fi
  grep -q "Can't initialize ipvs: Permission denied (you must be root)" <<<"$out" || fail "ipvsadm $args: $out"
done
probe='
import errno, sys
sys.path.insert(0, "tests/lib")
import ipvsnl as n
g = n.Genl()
S = n.nest(n.CMD_SERVICE, n.svc_full("tcp", "192.0.2.100", 82))
for name, cmd, attrs, dump in [("new", n.NEW_SERVICE, S, False), ("flush", n.FLUSH, b"", False),
                               ("zero", n.ZERO, b"", False), ("set config", n.SET_CONFIG, n.nla(n.CMD_TIMEOUT_UDP, b"\x05\0\0\0"), False),
                               ("get info", n.GET_INFO, b"", False), ("dump", n.GET_SERVICE, b"", True),
                               ("new laddr", n.NEW_LADDR, S + n.nest(n.CMD_LADDR, n.nla(n.LADDR_ADDR, n.addr16("198.51.100.201"))), False)]:
    err, msg, msgs = g.request(cmd, attrs, dump=dump)
    assert err == errno.EPERM and not msgs, (name, err, msg, msgs)
print("all EPERM")
'
assert_eq "raw requests as nobody" "all EPERM" "$(nopriv python3 -c "$probe")"
assert_eq "raw requests as a user namespace's root" "all EPERM" "$(unshare -U -r python3 -c "$probe")"
assert_eq "configuration unchanged" "$before" "$(ipvsadm -S -n)"
assert_eq "timeouts unchanged" "$tmo" "$(ipvsadm -L --timeout)"
# Root still can.
ipvsadm -C
assert_eq "root flushes" "" "$(ipvsadm -S -n)"
