# vm-tcg: single
# toa.ko on the real server: accept() and getpeername() of connections that
# came through the director with TOA report the client's own address and
# port (100 connections from five client addresses); without toa.ko, and
# for connections without TOA, the server sees the real peer. The counters
# in /proc/net/toa_stats (readable in the RS namespace) move by exactly the
# expected amounts, and no record outlives its socket. Also with SYN cookies.
. tests/lib/lib.sh
fullnat_setup 1
for i in 3 4 5 6; do ip -n rvs-c addr add "192.0.2.$i/24" dev c0; done
# toa_stat NAME: one counter as the RS's namespace shows it.
toa_stat() { nsx rs1 awk -v k="$1" '$1 == k {print $2}' /proc/net/toa_stats; }
# peers N: N PEER connections through the VIP, sources rotating over
# 192.0.2.2-6; prints "<bad> <n>" where bad counts the connections whose
# server did not see exactly our source address and port, and the mismatch.
peers() {
  nsx c python3 -c "
import socket
bad, n, ex = 0, $1, ''
for i in range(n):
    src = '192.0.2.%d' % (2 + i % 5)
    s = socket.socket(); s.bind((src, 0)); s.settimeout(10); s.connect(('$VIP', 80))
    s.sendall(b'PEER\n'); f = s.makefile(); name, ip, port, _ = f.readline().split(); f.close()
    if (ip, int(port)) != s.getsockname():
        bad += 1; ex = '%s:%s for %s:%d' % (ip, port, *s.getsockname())
    s.close()
print(bad, n, ex)"
}

# Without toa.ko the server sees the director's local address.
read -r bad n ex < <(peers 5)
assert_eq "connections seeing the client without toa.ko" 5 "$bad"
[[ $ex == ${LADDRS[0]}:* ]] || fail "without toa.ko the server saw $ex, not the LADDR"

load_toa
nsx rs1 cat /proc/net/toa_stats | sed 's/^/# /'
declare -A before
for k in toa_seen no_toa bad_options alloc_failed addr_returned addr_mismatch addr_unusable records; do
  before[$k]=$(toa_stat "$k")
done
read -r bad n ex < <(peers 100)
assert_eq "connections not seeing the client (e.g. $ex)" 0 "$bad"
# Every connection: one TOA seen; two addresses returned (accept() and the
# server's getpeername()).
assert_eq "toa_seen delta" 100 $(( $(toa_stat toa_seen) - before[toa_seen] ))
assert_eq "addr_returned delta" 200 $(( $(toa_stat addr_returned) - before[addr_returned] ))
for k in no_toa bad_options alloc_failed addr_mismatch addr_unusable; do
  assert_eq "$k delta" 0 $(( $(toa_stat "$k") - before[$k] ))
done
# The server's sockets are freed once the connections have closed; so are
# their records.
for k in $(seq 50); do [ "$(toa_stat records)" = "${before[records]}" ] && break; sleep 0.2; done
assert_eq "records left after the connections closed" "${before[records]}" "$(toa_stat records)"
[ "$(toa_stat records_freed)" -ge 100 ] || fail "records_freed $(toa_stat records_freed)"

# A connection without TOA (from inside the RS namespace) is untouched and
# counted as such.
nt=$(toa_stat no_toa)
seen=$(nsx rs1 python3 -c "
import socket
s = socket.create_connection(('$(rs_addr 1)', 8080), timeout=10)
s.sendall(b'PEER\n'); f = s.makefile(); print(f.readline().split()[1]); f.close(); s.close()")
assert_eq "peer of a connection without TOA" "$(rs_addr 1)" "$seen"
assert_eq "no_toa delta" 1 $(( $(toa_stat no_toa) - nt ))
# The file exists in every namespace, including the initial one.
grep -q '^toa_seen ' /proc/net/toa_stats || fail "no /proc/net/toa_stats in the initial namespace"
nsx rs1 cat /proc/net/toa_stats | sed 's/^/# /'
for m in missed_syn_recv missed_getname missed_getname6 missed_destruct; do
  assert_eq "$m" 0 "$(toa_stat "$m")"
done

# With SYN cookies on every handshake, the socket is made from the cookie
# when the ACK comes: the same probe sees it.
nsx rs1 sysctl -qw net.ipv4.tcp_syncookies=2
cookies() { nsx rs1 awk '/^TcpExt:/ { if (!h) { split($0, k); h = 1 } else for (i in k) if (k[i] == "SyncookiesRecv") print $i }' /proc/net/netstat; }
seen=$(toa_stat toa_seen); c0=$(cookies)
read -r bad n ex < <(peers 10)
assert_eq "handshakes completed by a SYN cookie" 10 $(( $(cookies) - c0 ))
assert_eq "connections not seeing the client with SYN cookies (e.g. $ex)" 0 "$bad"
assert_eq "toa_seen delta with SYN cookies" 10 $(( $(toa_stat toa_seen) - seen ))
