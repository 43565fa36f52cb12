# vm-tcg: single
# An IPv6 dual-stack listener on the real server, with toa.ko loaded, sees
# IPv4 clients behind the director as ::ffff:<client> with their port, both
# from accept() and from getpeername(); without toa.ko it sees the LADDR.
. tests/lib/lib.sh
trap cleanup_all EXIT
topo_up 1
load_rvs
fullnat_service tcp 80 rr 1
toa_stat() { nsx rs1 awk -v k="$1" '$1 == k {print $2}' /proc/net/toa_stats; }
nsx rs1 python3 -c "
import socket
l = socket.socket(socket.AF_INET6)
l.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind(('::', 8080)); l.listen(64)
while True:
    c, a = l.accept()
    with c:
        f = c.makefile('rwb')
        if f.readline():
            p = c.getpeername()
            f.write(('%s %d %s %d\n' % (a[0], a[1], p[0], p[1])).encode()); f.flush()
        f.close()
" &
wait_port rs1 "$(rs_addr 1)" 8080
# peer N: N connections; prints what the server reported, one per line,
# with our own address and port after it.
peer() {
  nsx c python3 -c "
import socket
for i in range($1):
    s = socket.socket(); s.bind(('$CLIENT', 0)); s.settimeout(10); s.connect(('$VIP', 80))
    s.sendall(b'x\n'); f = s.makefile(); print(f.readline().strip(), *s.getsockname()); f.close(); s.close()"
}
read -r a ap p pp me myport < <(peer 1)
assert_eq "accept() address without toa.ko" "::ffff:${LADDRS[0]}" "$a"
assert_eq "getpeername() without toa.ko" "::ffff:${LADDRS[0]}" "$p"
load_toa
ret=$(toa_stat addr_returned)
n=0
while read -r a ap p pp me myport; do
  n=$((n + 1))
  assert_eq "accept() address" "::ffff:$CLIENT $myport" "$a $ap"
  assert_eq "getpeername()" "::ffff:$CLIENT $myport" "$p $pp"
done < <(peer 10)
assert_eq "connections" 10 "$n"
assert_eq "addr_returned delta" 20 $(( $(toa_stat addr_returned) - ret ))
assert_eq "addr_mismatch" 0 "$(toa_stat addr_mismatch)"
