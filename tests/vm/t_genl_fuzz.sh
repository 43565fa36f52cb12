# Thousands of random and malformed requests to the "IPVS" family
# (tests/lib/genl_fuzz.py: wrong types, lengths, nesting, truncation,
# unknown commands and attributes, bad header bytes), bounded in count and
# time, interleaved with a known set of valid changes: every request is
# answered, every malformed one refused, the kernel log stays clean (the
# harness checks), and the configuration afterwards is exactly what the
# valid changes made. Then a second run with another seed from a clean state.
. tests/lib/lib.sh
trap cleanup_all EXIT
load_rvs
for seed in 1 2; do
  out=$(python3 tests/lib/genl_fuzz.py 3000 90 "$seed") || fail "fuzz run $seed: $out"
  note "$(head -1 <<<"$out")"
  want=$(sed -n '/^EXPECT$/,$p' <<<"$out" | tail -n +2)
  [ -n "$want" ] || fail "no valid change was made"
  assert_eq "configuration after fuzz run $seed" "$want" "$(ipvsadm -S -n)"
  ipvsadm -C
done
# The family still works as ever.
ipvsadm -A -t 192.0.2.100:80 -s rr
assert_eq "after fuzzing" "-A -t 192.0.2.100:80 -s rr" "$(ipvsadm -S -n)"
