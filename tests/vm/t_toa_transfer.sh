# vm-also: director
# vm-tcg: single
# Large transfers through the director with TOA inserted and toa.ko on the
# real server stay intact both ways, four at a time; each connection is
# recorded (see below for the one race that records a socket the kernel then
# drops) and every record is gone after its socket closes.
. tests/lib/lib.sh
fullnat_setup 1
toa_stat() { nsx rs1 awk -v k="$1" '$1 == k {print $2}' /proc/net/toa_stats; }
load_toa
pids=()
for i in 1 2; do
  client upload "$VIP" 80 8000000 > "/tmp/toa_up$i" & pids+=($!)
  client download "$VIP" 80 8000000 > "/tmp/toa_down$i" & pids+=($!)
done
for p in "${pids[@]}"; do wait "$p" || fail "a transfer failed: $(cat /tmp/toa_up* /tmp/toa_down*)"; done
cat /tmp/toa_up* /tmp/toa_down* | sed 's/^/# /'
[ "$(cat /tmp/toa_up* /tmp/toa_down* | grep -c ' ok$')" = 4 ] || fail "transfers corrupted"
# toa_seen counts the sockets the kernel made from a handshake with TOA.
# The ACK and the first data segment both carry TOA; when the two reach
# tcp_check_req on both vCPUs at once, each makes a child socket and the
# kernel keeps the first (inet_csk_complete_hashdance), freeing the other:
# one connection, two sockets seen (met once under a loaded host). So each
# connection shows at least one and at most one extra, none lacks TOA, and
# every record goes with its socket.
seen=$(toa_stat toa_seen)
[ "$seen" -ge 4 ] && [ "$seen" -le 8 ] || fail "toa_seen: $seen sockets for 4 connections"
assert_eq "sockets without TOA" 0 "$(toa_stat no_toa)"
for k in $(seq 50); do [ "$(toa_stat records)" = 0 ] && break; sleep 0.2; done
assert_eq "records after the transfers" 0 "$(toa_stat records)"
assert_eq "every record freed" "$seen" "$(toa_stat records_freed)"
