# SYNPROXY's ACK-storm guard: identical bare ACKs from a real server (same
# sequence, acknowledgement and window, no options) pass up to
# synproxy_ack_storm_thresh (10) in a row; the rest are dropped and counted.
# With the guard off (0) all pass.
. tests/lib/lib.sh
fullnat_setup 1
rvs_ctl set-synproxy tcp "$VIP:80" 1
storm() { # prints how many replayed ACKs the director dropped
  local before=$(rvs_stat synproxy_ack_storm) pid k
  rm -f /tmp/upload_done
  nsx rs1 python3 tests/lib/ackreplay.py r1 8080 20 /tmp/upload_done > /tmp/replay &
  pid=$!
  for k in $(seq 50); do grep -q ready /tmp/replay && break; sleep 0.1; done
  client upload "$VIP" 80 300000 | grep -q ' ok$' || fail "upload corrupted"
  touch /tmp/upload_done
  wait "$pid" || fail "no bare ACK captured"
  grep -q 'replayed 20' /tmp/replay || fail "replay: $(cat /tmp/replay)"
  sleep 0.5
  echo $(( $(rvs_stat synproxy_ack_storm) - before ))
}
d=$(storm); note "threshold 10: $d of 20 replayed ACKs dropped"
# The first replay may follow a different last ACK (it then starts the run).
[ "$d" -ge 9 ] && [ "$d" -le 10 ] || fail "dropped $d, expected 9 or 10"
rvs_ctl set synproxy_ack_storm_thresh 0
d=$(storm); note "guard off: $d dropped"
assert_eq "dropped with the guard off" 0 "$d"
