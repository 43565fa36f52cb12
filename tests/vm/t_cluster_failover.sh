# vm-tcg: single
# vm-timeout: 600
# A cluster of three directors behind a router (tests/lib/cluster.sh:
# FRR's bgpd and bfdd everywhere, ECMP with L4 hashing on the router,
# examples/cluster's configurations), each director with rvs (the same
# FULLNAT services, mh: VIP:80 made and health-checked by stock
# keepalived, VIP:83 with SYNPROXY by rvsadm, real servers added in
# different orders; its own LADDR), a sync master and backup started
# with stock ipvsadm; toa.ko on the real servers. IPv6 beside IPv4:
# [VIP6]:80 and [VIP6]:83 (SYNPROXY) on every director, the router's
# IPv6 ECMP routes learnt over IPv6 BGP sessions.
# - New connections spread over all three directors, IPv4 and IPv6.
# - Director d1 dies (its link down) while uploads, downloads and echo
#   connections through all three are halfway and a stream of short
#   connections runs: BFD and BGP take it out of the router's routes;
#   every transfer completes intact (sha256), every echo connection goes
#   on, no established connection is reset, IPv6 ones too; the real
#   servers saw the client's own address (v4 or v6); the short
#   connections' longest outage is reported (and must be under 10 s).
# - d1 comes back: its BGP session held down until its backup has
#   learnt every connection the others hold (each master sends every
#   live connection again once per sync_refresh_period, here 2 s), then
#   up; connections made through d2 and d3 meanwhile, busy or idle, which
#   now partly hash to d1, go on.
# - A real server fails: keepalived takes it out of VIP:80 on every
#   director and puts it back when it answers again; short connections
#   meanwhile all succeed (mh keeps the directors agreeing).
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
start_servers6 3 8080 2>/dev/null
cl_services
note "router: $(ip -n rvs-r route show "$VIP/32" | xargs)"

out=$(nsx c python3 tests/lib/connstream.py "$VIP" 80 3)
note "before: $out"
out6=$(nsx c python3 tests/lib/connstream.py "$VIP6" 80 3)
note "before, IPv6: $out6"
for i in 1 2 3; do
  [ "$(cl_conns_made "$i" 80)" -gt 0 ] || fail "no connection went through d$i: $out"
  [ "$(cl_conns_made "$i" 80 "$VIP6")" -gt 0 ] || fail "no IPv6 connection went through d$i: $out6"
done
assert_eq "IPv6 short connections that failed or saw another address" "0 0" \
  "$(tr '=' ' ' <<<"$out6" | awk '{print $4, $8}')"

# Long transfers and echo connections, halfway (3 connections each: 4
# per IPv4 service, 2 per IPv6 one).
OUT=$(mktemp -d /tmp/clfail.XXXXXX)
tags=()
for k in 1 2 3 4; do
  for p in 80 83; do cl_start_midway "a$k-$p" "$p"; tags+=("a$k-$p"); done
done
for k in 1 2; do
  for p in 80 83; do cl_start_midway "a$k-$p-v6" "$p" "$VIP6"; tags+=("a$k-$p-v6"); done
done
wait_until 90 "transfers halfway" cl_all_half "${tags[@]}"
note "transfers halfway ($SECONDS s)"
d1_own=$(($(cl_conns_made 1 80) + $(cl_conns_made 1 83)))
d1_own6=$(($(cl_conns_made 1 80 "$VIP6") + $(cl_conns_made 1 83 "$VIP6")))
wait_until 30 "every director holds the 36 connections" cl_all_synced 36
note "all synced ($SECONDS s)"

# d1 dies under a stream of short connections.
nsx c python3 tests/lib/connstream.py "$VIP" 80 15 > "$OUT/stream" &
stream=$!
nsx c python3 tests/lib/connstream.py "$VIP6" 80 15 > "$OUT/stream6" &
stream6=$!
sleep 2
t0=$(date +%s.%N)
ip -n rvs-d1 link set e0 down
wait_until 20 "the router drops d1" cl_vip_paths 2
note "d1 out of the router's routes (IPv4 and IPv6) after $(echo "$(date +%s.%N) - $t0" | bc) s; d1 had made $d1_own connections, $d1_own6 IPv6 ones"
block_to_survivors() { [ "$(cl_laddr_block_via)" = "203.0.113.12 203.0.113.13" ]; }
wait_until 10 "d1's LADDR leads to the survivors" block_to_survivors
wait_until 10 "d1's LADDR6 leads to the survivors" cl_laddr6_gone 1
for t in "${tags[@]}"; do cl_finish_midway "$t"; done
wait "$stream" "$stream6"
for f in stream stream6; do
  note "short connections across d1's loss ($f): $(cat "$OUT/$f")"
  read -r ok failed gap wrong < <(tr '=' ' ' < "$OUT/$f" | awk '{print $2, $4, $6, $8}')
  [ "$ok" -gt 0 ] || fail "no short connection succeeded ($f): $(cat "$OUT/$f")"
  assert_eq "short connections seeing another address ($f)" 0 "$wrong"
  awk -v g="$gap" 'BEGIN {exit !(g < 10)}' || fail "outage of ${gap}s ($f)"
done

# d1 comes back: held out of the routes until it has learnt the live
# connections, then announced again.
cl_vtysh d1 "configure terminal" "router bgp 65001" "neighbor $CL_ROUTER_IN shutdown" "neighbor $CL_ROUTER_IN6 shutdown"
# Transfers made while d1 is away, idle halfway when it comes back.
tags=()
for k in 1 2 3; do
  for p in 80 83; do cl_start_midway "b$k-$p" "$p"; tags+=("b$k-$p"); done
done
for p in 80 83; do cl_start_midway "b1-$p-v6" "$p" "$VIP6"; tags+=("b1-$p-v6"); done
wait_until 90 "transfers halfway" cl_all_half "${tags[@]}"
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
# (Its link's going took its static route to the real servers with it; a
# director's own network set-up puts it back as the link comes up.)
ip -n rvs-d1 route replace default via "$CL_ROUTER_IN"
ip -n rvs-d1 -6 route replace default via "$CL_ROUTER_IN6"
# Every connection the client still has open (established, or
# close-wait: a download whose server is done), d1 holds too. (Not every
# one d2 holds: a peer's copy of a connection whose client gave up while
# d1 was dying is nobody's to send again, and lives out its timeout.)
client_open() { nsx c ss -Htn | awk '$1 == "ESTAB" || $1 == "CLOSE-WAIT" {print $4, $5}' | sort -u; }
learnt() {
  comm -13 <(cl_tuples 1 .) <(client_open) | sed 's/^/d1 lacks /' > "$CL_NOTES"
  [ ! -s "$CL_NOTES" ]
}
CL_NOTES=$OUT/notes
# (8 sets of 3 halfway and 6 live connections: the check has them to see.)
[ "$(client_open | wc -l)" -ge 30 ] || fail "the client has $(client_open | wc -l) connections open, not 30"
wait_until 30 "d1 learns the connections the others hold" learnt
cl_vtysh d1 "configure terminal" "router bgp 65001" "no neighbor $CL_ROUTER_IN shutdown" "no neighbor $CL_ROUTER_IN6 shutdown"
wait_until 30 "the router takes d1 back" cl_vip_paths 3
wait "$live" || fail "a live connection broke when d1 came back: $(cat "$OUT/live")"
for t in "${tags[@]}"; do cl_finish_midway "$t"; done
note "d1 back: $(ip -n rvs-r route show "$VIP/32" | grep -c nexthop) paths; d1 holds $(cl_established 1) established connections"
assert_eq "no sync message from outside sync_peers (the peers' own all taken)" 0 "$(rvs_stat sync_rx_not_peer)"

# A real server fails: keepalived takes it out on every director.
pkill -f "tcpsrv.py rs3 $(rs_addr 3) " || fail "rs3's server was not running"
for i in 1 2 3; do wait_until 20 "d$i: keepalived takes rs3 out" cl_real_servers "$i" 80 2; done
out=$(nsx c python3 tests/lib/connstream.py "$VIP" 80 3)
note "rs3 down: $out"
read -r ok failed _ wrong < <(tr '=' ' ' <<<"$out" | awk '{print $2, $4, $6, $8}')
[ "$ok" -gt 0 ] && [ "$failed" = 0 ] && [ "$wrong" = 0 ] || fail "short connections with rs3 down: $out"
nsx rs3 python3 tests/lib/tcpsrv.py rs3 "$(rs_addr 3)" 8080 2>/dev/null &
for i in 1 2 3; do wait_until 20 "d$i: keepalived puts rs3 back" cl_real_servers "$i" 80 3; done
# Sessions the router saw go down: d1's two (its loss) and, under an
# emulated machine's load, any BFD flap of another (a flap is not this
# test's failure, but its count says how close the timers run).
note "the router's BGP sessions that went down: $(grep -c 'ADJCHANGE.* Down' "$CL_CONF/r/bgpd.log" || true); $(grep -h 'ADJCHANGE.* Down' "$CL_CONF/r/bgpd.log" | grep -o 'neighbor [^ ]*' | sort | uniq -c | xargs)"
