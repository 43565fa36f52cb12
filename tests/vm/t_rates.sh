# Rate estimates (ipvsadm --rate's columns): while a download runs, the
# service and its real server show bytes and packets per second outbound;
# after a burst of connections, connections per second.
. tests/lib/lib.sh
fullnat_setup 1
field() { # LINE-PATTERN FIELD
  grep -m1 "$1" /sys/module/rvs/parameters/stats | awk -v f="$2" '{for (k=1;k<NF;k++) if ($k==f) print $(k+1)}'
}
client download "$VIP" 80 100000000 >/dev/null &
dl=$!
seen=0
for k in $(seq 40); do
  if [ "$(field "^svc " outbps)" -gt 0 ] && [ "$(field "^  dest " outpps)" -gt 0 ]; then seen=1; break; fi
  sleep 0.5
done
[ "$seen" = 1 ] || fail "no outbound rate while downloading: $(grep -m1 '^svc ' /sys/module/rvs/parameters/stats)"
note "during the download: $(grep -m1 '^svc ' /sys/module/rvs/parameters/stats)"
wait "$dl" || fail "download failed"
client peers "$VIP" 80 30 >/dev/null
seen=0
for k in $(seq 20); do
  if [ "$(field "^svc " cps)" -gt 0 ]; then seen=1; break; fi
  sleep 0.5
done
[ "$seen" = 1 ] || fail "no connection rate after 30 connections"
