# vm-tcg: single
# vm-timeout: 600
# A cluster of three directors behind a router (tests/lib/cluster.sh:
# FRR's bgpd and bfdd everywhere, ECMP with L4 hashing on the router,
# examples/cluster's configurations), each director with rvs (the same
# FULLNAT services, mh, real servers added in different orders, its own
# LADDR; a SYNPROXY service beside), a sync master and backup started
# with stock ipvsadm; toa.ko on the real servers.
# - New connections spread over all three directors.
# - Director d1 dies (its link down) while uploads, downloads and echo
#   connections through all three are halfway and a stream of short
#   connections runs: BFD and BGP take it out of the router's routes;
#   every transfer completes intact (sha256), every echo connection goes
#   on, no established connection is reset; the real servers saw the
#   client's own address; the short connections' longest outage is
#   reported (and must be under 10 s).
# - d1 comes back: its BGP session held down until its backup has
#   learnt every connection the others hold (each master sends every
#   live connection again once per sync_refresh_period, here 2 s), then
#   up; connections made through d2 and d3 meanwhile, busy or idle, which
#   now partly hash to d1, go on.
. tests/lib/lib.sh
. tests/lib/cluster.sh
trap cl_cleanup EXIT
# Timed out: the cleanup still runs (and tells what it found).
trap 'exit 124' TERM
# A small table: the tests list connections (/proc/net/ip_vs_conn)
# often, and a listing walks every bucket.
load_rvs conn_tab_bits=12
load_toa
cl_up 3
# The real servers' own complaints (a client gone) are not this test's.
start_servers 3 8080 2>/dev/null
for i in 1 2 3; do
  case $i in 1) order="1 2 3" ;; 2) order="2 3 1" ;; 3) order="3 1 2" ;; esac
  nsx "d$i" "$RVSADM" -A -t "$VIP:80" -s mh
  nsx "d$i" "$RVSADM" -A -t "$VIP:83" -s mh -j enable
  for p in 80 83; do
    for r in $order; do nsx "d$i" "$RVSADM" -a -t "$VIP:$p" -r "$(rs_addr "$r"):8080" -b; done
    nsx "d$i" "$RVSADM" -P -t "$VIP:$p" -z "$(cl_laddr "$i")"
  done
  # (CLOSE_WAIT as upstream's 60 s, not Alibaba's 7: a download whose
  # server is done waits halfway longer than that.)
  nsx "d$i" sysctl -qw net.ipv4.vs.sync_refresh_period=2 net.ipv4.vs.timeout_close_wait=60
  # As "Running a cluster" has it: the directors' sync addresses as the
  # only peers, one SYNPROXY cookie key.
  nsx "d$i" sysctl -qw net.ipv4.vs.sync_peers="$(cl_dir_addr 1),$(cl_dir_addr 2),$(cl_dir_addr 3)" \
    net.ipv4.vs.synproxy_cookie_key=00112233445566778899aabbccddeeff
  nsx "d$i" ipvsadm --start-daemon master --mcast-interface e0 --syncid 1
  nsx "d$i" ipvsadm --start-daemon backup --mcast-interface e0 --syncid 1
done
note "router: $(ip -n rvs-r route show "$VIP/32" | xargs)"

# conns_made N PORT: connections director dN made for VIP:PORT (its
# service's counter; synced ones are not counted).
conns_made() { nsx "d$1" ipvsadm -L -n --stats -t "$VIP:$2" | awk -v v="$VIP:$2" '$2 == v {print $3}'; }
# established N: the established connections director dN holds.
established() { nsx "d$1" ipvsadm -L -n -c | grep -c ESTABLISHED; }

out=$(nsx c python3 tests/lib/connstream.py "$VIP" 80 3)
note "before: $out"
for i in 1 2 3; do
  [ "$(conns_made "$i" 80)" -gt 0 ] || fail "no connection went through d$i: $out"
done

# Long transfers and echo connections, halfway (4 x 3 per service).
OUT=$(mktemp -d /tmp/clfail.XXXXXX)
declare -A FD PID
start_midway() { # TAG PORT
  mkfifo "$OUT/in$1"
  nsx c python3 tests/lib/midway.py "$VIP" "$2" 1000000 < "$OUT/in$1" > "$OUT/out$1" 2>&1 &
  PID[$1]=$!
  exec {fd}> "$OUT/in$1"
  FD[$1]=$fd
}
finish_midway() { # TAG
  echo go >&"${FD[$1]}"
  wait "${PID[$1]}" || fail "$1: $(grep -v '^half$' "$OUT/out$1" | paste -sd' ')"
  assert_eq "$1: every connection intact" "upload ok download ok echo ok" \
    "$(grep -E '^(upload|download|echo) ' "$OUT/out$1" | paste -sd' ')"
  assert_eq "$1: the address the real server saw (TOA)" "$CLIENT" "$(awk '$1 == "peer" {print $2}' "$OUT/out$1")"
}
# all_half TAG...: every transfer of the tags halfway (fails at once if
# one ended before).
all_half() {
  local t
  for t in "$@"; do
    grep -q '^half$' "$OUT/out$t" && continue
    kill -0 "${PID[$t]}" 2>/dev/null || fail "$t ended early: $(paste -sd' ' "$OUT/out$t")"
    return 1
  done
}
tags=()
for k in 1 2 3 4; do
  for p in 80 83; do start_midway "a$k-$p" "$p"; tags+=("a$k-$p"); done
done
wait_until 90 "transfers halfway" all_half "${tags[@]}"
note "transfers halfway ($SECONDS s)"
d1_own=$(($(conns_made 1 80) + $(conns_made 1 83)))
# Every director holds all of them, its own and the others' by sync (in
# whatever state its records last gave: the downloads are in CLOSE_WAIT,
# their servers done).
tuples() { nsx "d$1" ipvsadm -L -n -c | awk -v s="$2" 'NR > 2 && $3 ~ s {print $4, $5}' | sort -u; }
all_synced() {
  local i live
  live=$(for i in 1 2 3; do tuples "$i" '^(ESTABLISHED|CLOSE_WAIT)$'; done | sort -u)
  [ "$(wc -l <<<"$live")" -ge 24 ] || return 1
  for i in 1 2 3; do [ -z "$(comm -13 <(tuples "$i" .) <(echo "$live"))" ] || return 1; done
}
wait_until 30 "every director holds the 24 connections" all_synced
note "all synced ($SECONDS s)"

# d1 dies under a stream of short connections.
nsx c python3 tests/lib/connstream.py "$VIP" 80 15 > "$OUT/stream" &
stream=$!
sleep 2
t0=$(date +%s.%N)
ip -n rvs-d1 link set e0 down
wait_until 20 "the router drops d1" cl_vip_paths 2
note "d1 out of the router's routes after $(echo "$(date +%s.%N) - $t0" | bc) s; d1 had made $d1_own connections"
assert_eq "d1's LADDR now leads to the survivors" "203.0.113.12 203.0.113.13" "$(ip -n rvs-r route show "$CL_LADDR_BLOCK" | grep -o "via [0-9.]*" | awk '{print $2}' | sort | xargs)"
for t in "${tags[@]}"; do finish_midway "$t"; done
wait "$stream"
note "short connections across d1's loss: $(cat "$OUT/stream")"
read -r ok failed gap wrong < <(tr '=' ' ' < "$OUT/stream" | awk '{print $2, $4, $6, $8}')
[ "$ok" -gt 0 ] || fail "no short connection succeeded: $(cat "$OUT/stream")"
assert_eq "short connections seeing another address" 0 "$wrong"
awk -v g="$gap" 'BEGIN {exit !(g < 10)}' || fail "outage of ${gap}s"

# d1 comes back: held out of the routes until it has learnt the live
# connections, then announced again.
cl_vtysh d1 "configure terminal" "router bgp 65001" "neighbor $CL_ROUTER_IN shutdown"
# Transfers made while d1 is away, idle halfway when it comes back.
tags=()
for k in 1 2 3; do
  for p in 80 83; do start_midway "b$k-$p" "$p"; tags+=("b$k-$p"); done
done
wait_until 90 "transfers halfway" all_half "${tags[@]}"
# Echo connections that carry a line every 0.3 s, made while d1 is away.
nsx c python3 -c "
import socket, sys, time
conns = []
for _ in range(6):
    s = socket.create_connection(('$VIP', 80), 5)
    s.sendall(b'HOLD\n'); f = s.makefile(); f.readline()
    conns.append((s, f))
print('ready', *[s.getsockname()[1] for s, f in conns], flush=True)
end = time.time() + 25
while time.time() < end:
    for s, f in conns:
        s.sendall(b'x\n')
        if f.readline() != 'x\n':
            print('broken', flush=True); sys.exit(1)
    time.sleep(0.3)
print('live ok', flush=True)" > "$OUT/live" &
live=$!
wait_until 20 "the live connections" grep -q ready "$OUT/live"
ip -n rvs-d1 link set e0 up
learnt() { # every live connection d2 holds, d1 holds too
  comm -13 <(tuples 1 .) <(tuples 2 '^(ESTABLISHED|CLOSE_WAIT)$') | sed 's/^/d1 lacks /' > "$CL_NOTES"
  [ ! -s "$CL_NOTES" ]
}
CL_NOTES=$OUT/notes
wait_until 30 "d1 learns the connections the others hold" learnt
cl_vtysh d1 "configure terminal" "router bgp 65001" "no neighbor $CL_ROUTER_IN shutdown"
wait_until 30 "the router takes d1 back" cl_vip_paths 3
wait "$live" || fail "a live connection broke when d1 came back: $(cat "$OUT/live")"
for t in "${tags[@]}"; do finish_midway "$t"; done
note "d1 back: $(ip -n rvs-r route show "$VIP/32" | grep -c nexthop) paths; d1 holds $(established 1) established connections"
assert_eq "no sync message from outside sync_peers (the peers' own all taken)" 0 "$(rvs_stat sync_rx_not_peer)"
