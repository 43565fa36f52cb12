# vm-tcg: single
# Large transfers through the director with TOA inserted and toa.ko on the
# real server stay intact both ways, four at a time; each connection is
# recorded once and its record is gone after it closes.
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
assert_eq "toa_seen" 4 "$(toa_stat toa_seen)"
for k in $(seq 50); do [ "$(toa_stat records)" = 0 ] && break; sleep 0.2; done
assert_eq "records after the transfers" 0 "$(toa_stat records)"
