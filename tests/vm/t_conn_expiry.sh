# 200 concurrent connections; once closed, the table empties after the
# TIME_WAIT timeout and the collector's pass.
. tests/lib/lib.sh
fullnat_setup 2
coproc HOLD { client hold "$VIP" 80 200; }
read -r -t 300 word n <&"${HOLD[0]}" || fail "no answer from the hold client"
assert_eq "answered connections" 200 "$n"
assert_eq "connections in the table" 200 "$(rvs_stat conns_now)"
exec {HOLD[1]}>&-   # close stdin: the client closes all 200
wait "$HOLD_PID" 2>/dev/null || true
for k in $(seq 60); do
  [ "$(rvs_stat conns_now)" = 0 ] && break
  sleep 1
done
assert_eq "connections left after timeouts" 0 "$(rvs_stat conns_now)"
note "expired: $(rvs_stat expired)"
