# A cluster of directors behind a router, for tests (and the demo) that
# lose a director. Sourced after lib.sh.
#
#   client c 192.0.2.2 -- 192.0.2.1 router r (FRR: zebra, bfdd, bgpd;
#                                    ECMP with L4 hashing)
#   r's bridge dlan 203.0.113.1/25 -- directors d1..dN 203.0.113.1N/25
#                                    (each: FRR, rvs, a sync master and
#                                    backup on e0; the VIP and every
#                                    director's LADDR on lo)
#   r's bridge slan 198.51.100.1/24 -- real servers rs1..rsM (default
#                                    route via r)
# and the same in IPv6 beside it: client 2001:db8:c::2/64 (r 2001:db8:c::1),
# dlan 2001:db8:d::1/64 with directors 2001:db8:d::1N (VIP6 and every
# director's LADDR6 2001:db8:1:ff::N on lo), slan 2001:db8:1::1/64 with
# the real servers 2001:db8:1::1N; BGP carries each family over a session
# of its own.
#
# The configurations are examples/cluster's, placeholders filled in.
# Every daemon runs in its namespace with its own path space
# (/var/run/frr/rvs-NAME), so `vtysh -N rvs-NAME` reaches it.
CL_DIRS=3
CL_ROUTER_IN=203.0.113.1
CL_LADDR_BLOCK=203.0.113.128/28
cl_laddr() { echo "203.0.113.$((128 + $1))"; }
cl_dir_addr() { echo "203.0.113.1$1"; }
CL_ROUTER_IN6=2001:db8:d::1
CL_LADDR_BLOCK6=2001:db8:1:ff::/124
cl_laddr6() { echo "2001:db8:1:ff::$1"; }
cl_dir_addr6() { echo "2001:db8:d::1$1"; }
CL_CONF=

# cl_frr NAME DAEMON...: starts FRR's daemons in namespace rvs-NAME with
# the configurations in $CL_CONF/NAME.
cl_frr() {
  local name=$1 d dir=$CL_CONF/$1
  shift
  mkdir -p "/var/run/frr/rvs-$name"
  chown frr:frr "/var/run/frr/rvs-$name"
  for d in "$@"; do
    nsx "$name" "/usr/lib/frr/$d" -d -N "rvs-$name" -f "$dir/$d.conf" -i "/var/run/frr/rvs-$name/$d.pid" \
      --log "file:$dir/$d.log" -u frr -g frr -A 127.0.0.1 2>>"$dir/$d.log" || fail "$name: $d did not start: $(tail -3 "$dir/$d.log" 2>/dev/null)"
  done
}

# cl_vtysh NAME COMMAND...: vtysh of the router or director NAME.
cl_vtysh() {
  local name=$1 a=()
  shift
  for c in "$@"; do a+=(-c "$c"); done
  vtysh -N "rvs-$name" "${a[@]}" 2>/dev/null
}

# cl_frr_stop: every FRR daemon of the cluster (before the namespaces go).
cl_frr_stop() {
  local f
  for f in /var/run/frr/rvs-*/*.pid; do
    [ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null || true
  done
  rm -rf /var/run/frr/rvs-*
}

# cl_diag: what a failed cluster test leaves to read: the router's
# routes, each director's connections by state, rvs's nonzero drop and
# sync counters.
cl_diag() {
  local i
  echo "# router: $(ip -n rvs-r route show "$VIP/32" | xargs) | block: $(ip -n rvs-r route show "$CL_LADDR_BLOCK" | xargs)"
  echo "# router v6: $(ip -n rvs-r -6 route show "$VIP6/128" | xargs) | block: $(ip -n rvs-r -6 route show "$CL_LADDR_BLOCK6" | xargs)"
  for ((i = 1; i <= CL_DIRS; i++)); do
    echo "# d$i: $(nsx "d$i" ipvsadm -L -n -c 2>/dev/null | awk 'NR > 2 {print $3}' | sort | uniq -c | xargs)"
  done
  [ -n "${CL_NOTES:-}" ] && [ -s "$CL_NOTES" ] && sed 's/^/# /' "$CL_NOTES"
  # Sessions that went down and up, as the router's bgpd logged them.
  grep -h "ADJCHANGE" "$CL_CONF/r/bgpd.log" 2>/dev/null | tail -12 | sed 's/^/# r bgpd: /'
  for n in c r d1 d2 d3; do
    echo "# $n: $(nsx "$n" awk '$2 != 0 && $1 ~ /^Icmp6Out(DestUnreachs|TimeExcds|PktTooBigs)/' /proc/net/snmp6 2>/dev/null | xargs) $(nsx "$n" ip -6 route show default 2>/dev/null | xargs)"
  done
  for ((i = 1; i <= CL_DIRS; i++)); do
    [ -f "$CL_CONF/d$i/ka.log" ] && grep -v "connection to .* success" "$CL_CONF/d$i/ka.log" | tail -4 | sed "s/^/# d$i keepalived: /"
    echo "# d$i VIP:80: $(nsx "d$i" "$RVSADM" -L -n -t "$VIP:80" 2>&1 | tail -n +3 | xargs)"
  done
  echo "# counters: $(awk '$2 != 0 && ($1 ~ /^drop|^sync|^rst|^expire|^xmit/) {printf "%s=%s ", $1, $2}' /sys/module/rvs/parameters/stats 2>/dev/null)"
}

# cl_keepalived_stop: every director's keepalived.
cl_keepalived_stop() {
  local f
  for f in "$CL_CONF"/d*/ka.pid; do
    [ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null || true
  done
  for _ in $(seq 100); do pgrep -f "keepalived -C -n -l -f $CL_CONF/" > /dev/null || return 0; sleep 0.1; done
  pkill -9 -f "keepalived -C -n -l -f $CL_CONF/" 2>/dev/null || true
}

cl_cleanup() {
  local rc=$?
  [ "$rc" -eq 0 ] || cl_diag
  [ -z "$CL_CONF" ] || cl_keepalived_stop
  cl_frr_stop
  cleanup_all
}

# cl_up NRS: the topology, FRR everywhere, routes learnt.
cl_up() {
  local nrs=$1 i
  CL_CONF=$(mktemp -d /tmp/cluster.XXXXXX)
  chmod 755 "$CL_CONF"
  ip netns add rvs-c; ip netns add rvs-r
  cl_ns_init c; cl_ns_init r
  ip link add c0 netns rvs-c type veth peer name rc netns rvs-r
  ip -n rvs-c addr add "$CLIENT/24" dev c0; ip -n rvs-c link set c0 up
  # The VIP is inside the client's subnet: reached through the router.
  ip -n rvs-c route add "$VIP/32" via 192.0.2.1
  ip -n rvs-c addr add "$CLIENT6/64" dev c0 nodad
  ip -n rvs-c -6 route add default via "$DIR_OUT6"
  ip -n rvs-r addr add 192.0.2.1/24 dev rc; ip -n rvs-r link set rc up
  ip -n rvs-r addr add "$DIR_OUT6/64" dev rc nodad
  for br in dlan slan; do ip -n rvs-r link add "$br" type bridge; ip -n rvs-r link set "$br" up; done
  ip -n rvs-r addr add "$CL_ROUTER_IN/25" dev dlan
  ip -n rvs-r addr add "$DIR_IN/24" dev slan
  ip -n rvs-r addr add "$CL_ROUTER_IN6/64" dev dlan nodad
  ip -n rvs-r addr add "$DIR_IN6/64" dev slan nodad
  nsx r sysctl -qw net.ipv4.ip_forward=1 net.ipv4.fib_multipath_hash_policy=1 \
    net.ipv6.conf.all.forwarding=1 net.ipv6.fib_multipath_hash_policy=1
  for ((i = 1; i <= CL_DIRS; i++)); do
    ip netns add "rvs-d$i"; cl_ns_init "d$i"
    # A director whose link goes down keeps its IPv6 addresses, as its
    # IPv4 ones (the kernel's default drops them).
    nsx "d$i" sysctl -qw net.ipv6.conf.all.keep_addr_on_down=1
    ip link add "rd$i" netns rvs-r type veth peer name e0 netns "rvs-d$i"
    ip -n rvs-r link set "rd$i" master dlan; ip -n rvs-r link set "rd$i" up
    ip -n "rvs-d$i" addr add "$(cl_dir_addr "$i")/25" dev e0; ip -n "rvs-d$i" link set e0 up
    ip -n "rvs-d$i" route add default via "$CL_ROUTER_IN"
    ip -n "rvs-d$i" addr add "$VIP/32" dev lo
    for ((j = 1; j <= CL_DIRS; j++)); do ip -n "rvs-d$i" addr add "$(cl_laddr "$j")/32" dev lo; done
    ip -n "rvs-d$i" addr add "$(cl_dir_addr6 "$i")/64" dev e0 nodad
    ip -n "rvs-d$i" -6 route add default via "$CL_ROUTER_IN6"
    ip -n "rvs-d$i" addr add "$VIP6/128" dev lo nodad
    for ((j = 1; j <= CL_DIRS; j++)); do ip -n "rvs-d$i" addr add "$(cl_laddr6 "$j")/128" dev lo nodad; done
  done
  for ((i = 1; i <= nrs; i++)); do
    ip netns add "rvs-rs$i"; cl_ns_init "rs$i"
    ip link add "r$i" netns "rvs-rs$i" type veth peer name "s$i" netns rvs-r
    ip -n rvs-r link set "s$i" master slan; ip -n rvs-r link set "s$i" up
    ip -n "rvs-rs$i" addr add "$(rs_addr "$i")/24" dev "r$i"; ip -n "rvs-rs$i" link set "r$i" up
    ip -n "rvs-rs$i" route add default via "$DIR_IN"
    ip -n "rvs-rs$i" addr add "$(rs6_addr "$i")/64" dev "r$i" nodad
    ip -n "rvs-rs$i" -6 route add default via "$DIR_IN6"
  done
  local ex=examples/cluster
  mkdir -p "$CL_CONF/r"
  sed -e "s|@ID@|$CL_ROUTER_IN|; s|@DIRECTORS@|203.0.113.0/25|; s|@DIRECTORS6@|2001:db8:d::/64|; s|@AS@|65000|; s|@DIR_AS@|65001|" \
    "$ex/router-bgpd.conf" > "$CL_CONF/r/bgpd.conf"
  cl_bfdd_conf > "$CL_CONF/r/bfdd.conf"
  echo "hostname r" > "$CL_CONF/r/zebra.conf"
  for ((i = 1; i <= CL_DIRS; i++)); do
    mkdir -p "$CL_CONF/d$i"
    sed -e "s|@ID@|$(cl_dir_addr "$i")|; s|@ROUTER@|$CL_ROUTER_IN|g; s|@AS@|65001|; s|@ROUTER_AS@|65000|" \
      -e "s|@VIP@|$VIP|; s|@LADDR@|$(cl_laddr "$i")|; s|@LADDR_BLOCK@|$CL_LADDR_BLOCK|" \
      -e "s|@ROUTER6@|$CL_ROUTER_IN6|g; s|@VIP6@|$VIP6|; s|@LADDR6@|$(cl_laddr6 "$i")|; s|@LADDR_BLOCK6@|$CL_LADDR_BLOCK6|" \
      "$ex/director-bgpd.conf" > "$CL_CONF/d$i/bgpd.conf"
    cl_bfdd_conf > "$CL_CONF/d$i/bfdd.conf"
    echo "hostname d$i" > "$CL_CONF/d$i/zebra.conf"
  done
  chmod -R a+rwX "$CL_CONF"
  cl_frr r zebra bfdd bgpd
  for ((i = 1; i <= CL_DIRS; i++)); do cl_frr "d$i" zebra bfdd bgpd; done
  wait_until 60 "the router's ECMP route to the VIP over $CL_DIRS directors" cl_vip_paths "$CL_DIRS"
}

# cl_bfdd_conf: examples/cluster/bfdd.conf with 300 ms packets instead of
# 100 (a dead peer noticed after 0.9 s): the emulated machine's scheduling
# delays pass 300 ms under the tests' load, and sessions of live
# directors went down and up at 100 ms (8 times in a run; a run whose new
# connection found no route, most likely in such a moment, failed).
cl_bfdd_conf() {
  sed -e 's/receive-interval 100$/receive-interval 300/; s/transmit-interval 100$/transmit-interval 300/' examples/cluster/bfdd.conf
}

# cl_ns_init NAME: lo up; no duplicate address detection on the links
# made later (their link-local addresses, BGP's IPv6 next hops, usable at
# once: the links are the test's own).
cl_ns_init() {
  ip -n "rvs-$1" link set lo up
  nsx "$1" sysctl -qw net.ipv6.conf.default.accept_dad=0
}

# cl_vip_paths N: true when the router's kernel routes to the VIP and to
# VIP6 have N next hops each.
cl_vip_paths() {
  [ "$(ip -n rvs-r route show "$VIP/32" | grep -c "via 203.0.113")" -eq "$1" ] &&
    [ "$(ip -n rvs-r -6 route show "$VIP6/128" | grep -o " via " | wc -l)" -eq "$1" ]
}

# cl_services: on every director, as "Running a cluster" has it: VIP:80
# made by stock keepalived from examples/cluster/keepalived.conf (health
# checks; lb_kind NAT, FULLNAT by masq_as_fullnat, the director's own LADDR
# as its default pool), VIP:83 with SYNPROXY by rvsadm, the real servers
# 1..3 added in another order on each; both mh. The sync peers and a
# shared cookie key; a sync master and backup on e0; [VIP6]:80 and
# [VIP6]:83 (SYNPROXY) by rvsadm alike. Refreshes every 2 s
# (sync_refresh_period) so that a director coming back learns soon.
cl_services() {
  local i r order
  for ((i = 1; i <= CL_DIRS; i++)); do
    order=$(for ((r = 0; r < 3; r++)); do echo $(((i - 1 + r) % 3 + 1)); done)
    # (CLOSE_WAIT as upstream's 60 s, not Alibaba's 7: a download whose
    # server is done waits halfway longer than that.)
    nsx "d$i" sysctl -qw net.ipv4.vs.sync_refresh_period=2 net.ipv4.vs.timeout_close_wait=60 \
      net.ipv4.vs.masq_as_fullnat=1 \
      net.ipv4.vs.sync_peers="$(for ((r = 1; r <= CL_DIRS; r++)); do cl_dir_addr "$r"; done | paste -sd,)" \
      net.ipv4.vs.synproxy_cookie_key=00112233445566778899aabbccddeeff
    nsx "d$i" "$RVSADM" -P -t 0.0.0.0:0 -z "$(cl_laddr "$i")"
    sed -e "s|@NAME@|d$i|; s|@VIP@|$VIP|" -e "s|@RS1@|$(rs_addr 1)|; s|@RS2@|$(rs_addr 2)|; s|@RS3@|$(rs_addr 3)|" \
      examples/cluster/keepalived.conf > "$CL_CONF/d$i/keepalived.conf"
    nsx "d$i" keepalived -C -n -l -f "$CL_CONF/d$i/keepalived.conf" -p "$CL_CONF/d$i/ka.pid" \
      -c "$CL_CONF/d$i/ka-c.pid" > "$CL_CONF/d$i/ka.log" 2>&1 &
    nsx "d$i" "$RVSADM" -A -t "$VIP:83" -s mh -j enable
    for r in $order; do nsx "d$i" "$RVSADM" -a -t "$VIP:83" -r "$(rs_addr "$r"):8080" -b; done
    nsx "d$i" "$RVSADM" -P -t "$VIP:83" -z "$(cl_laddr "$i")"
    # IPv6: [VIP6]:80 and [VIP6]:83 (SYNPROXY) alike, by rvsadm, over the
    # real servers' IPv6 addresses, the director's own LADDR6.
    for p in 80 83; do
      nsx "d$i" "$RVSADM" -A -t "[$VIP6]:$p" -s mh $([ "$p" = 83 ] && echo -j enable)
      for r in $order; do nsx "d$i" "$RVSADM" -a -t "[$VIP6]:$p" -r "[$(rs6_addr "$r")]:8080" -b; done
      nsx "d$i" "$RVSADM" -P -t "[$VIP6]:$p" -z "$(cl_laddr6 "$i")"
    done
    nsx "d$i" ipvsadm --start-daemon master --mcast-interface e0 --syncid 1
    nsx "d$i" ipvsadm --start-daemon backup --mcast-interface e0 --syncid 1
  done
  for ((i = 1; i <= CL_DIRS; i++)); do
    wait_until 30 "d$i: keepalived's VIP:80 with its three real servers" cl_real_servers "$i" 80 3
  done
}

# cl_real_servers N PORT COUNT: director dN's VIP:PORT has COUNT real
# servers. (keepalived's, made with -m under masq_as_fullnat, forward by
# FULLNAT and list as Masq, as keepalived asked for them: the real
# servers route the clients' networks through the router, not a director,
# so only FULLNAT gets their answers back.)
cl_real_servers() {
  [ "$(nsx "d$1" "$RVSADM" -L -n -t "$VIP:$2" 2>/dev/null | grep -c -- '-> [0-9]')" -eq "$3" ]
}

# cl_conns_made N PORT [ADDR]: connections director dN made for
# VIP:PORT (or ADDR's; its service's counter; synced ones are not
# counted).
cl_conns_made() {
  local v=${3:-$VIP}
  [[ $v == *:* ]] && v="[$v]"
  nsx "d$1" ipvsadm -L -n --stats -t "$v:$2" | awk -v v="$v:$2" '$2 == v {print $3}'
}
# cl_established N: the established connections director dN holds.
cl_established() { nsx "d$1" ipvsadm -L -n -c | grep -c ESTABLISHED; }
# cl_tuples N STATE_RE: "client virtual" of dN's connections in a state
# matching STATE_RE.
cl_tuples() { nsx "d$1" ipvsadm -L -n -c | awk -v s="$2" 'NR > 2 && $3 ~ s {print $4, $5}' | sort -u; }
# cl_all_synced N: at least N live connections (established, or close-wait
# for the downloads whose servers are done) among the directors, and
# every director holds every one of them, its own and the others' by
# sync, in whatever state its records last gave.
cl_all_synced() {
  local i live
  live=$(for ((i = 1; i <= CL_DIRS; i++)); do cl_tuples "$i" '^(ESTABLISHED|CLOSE_WAIT)$'; done | sort -u)
  [ "$(wc -l <<<"$live")" -ge "$1" ] || return 1
  for ((i = 1; i <= CL_DIRS; i++)); do [ -z "$(comm -13 <(cl_tuples "$i" .) <(echo "$live"))" ] || return 1; done
}

# Transfers stopped halfway (tests/lib/midway.py: an upload, a download
# and an echo connection), by tag, their files under $CL_CONF.
declare -A CL_FD CL_PID CL_PEER
# cl_start_midway TAG PORT [ADDR]: to VIP:PORT, or ADDR's (VIP6).
cl_start_midway() {
  local fd addr=${3:-$VIP}
  mkfifo "$CL_CONF/in$1"
  CL_PEER[$1]=$CLIENT
  [[ $addr == *:* ]] && CL_PEER[$1]=$CLIENT6
  nsx c python3 tests/lib/midway.py "$addr" "$2" 1000000 < "$CL_CONF/in$1" > "$CL_CONF/out$1" 2>&1 &
  CL_PID[$1]=$!
  exec {fd}> "$CL_CONF/in$1"
  CL_FD[$1]=$fd
}
# cl_finish_midway TAG: lets it finish; fails unless all three connections
# ended intact and the real server saw the client's address (TOA).
cl_finish_midway() {
  echo go >&"${CL_FD[$1]}"
  wait "${CL_PID[$1]}" || fail "$1: $(grep -v '^half$' "$CL_CONF/out$1" | paste -sd' ')"
  assert_eq "$1: every connection intact" "upload ok download ok echo ok" \
    "$(grep -E '^(upload|download|echo) ' "$CL_CONF/out$1" | paste -sd' ')"
  assert_eq "$1: the address the real server saw (TOA)" "${CL_PEER[$1]}" "$(awk '$1 == "peer" {print $2}' "$CL_CONF/out$1")"
}
# cl_all_half TAG...: every transfer of the tags halfway (fails at once if
# one ended before).
cl_all_half() {
  local t
  for t in "$@"; do
    grep -q '^half$' "$CL_CONF/out$t" && continue
    kill -0 "${CL_PID[$t]}" 2>/dev/null || fail "$t ended early: $(paste -sd' ' "$CL_CONF/out$t")"
    return 1
  done
}

# cl_laddr_block_via: the next hops of the router's route to the LADDR
# block, sorted, on one line.
cl_laddr_block_via() { ip -n rvs-r route show "$CL_LADDR_BLOCK" | grep -o "via [0-9.]*" | awk '{print $2}' | sort | xargs; }
# cl_laddr6_gone N: the router has no host route left to dN's LADDR6
# (its answers then take the block's, to the survivors), and the block
# has CL_DIRS - 1 next hops.
cl_laddr6_gone() {
  [ -z "$(ip -n rvs-r -6 route show "$(cl_laddr6 "$1")/128")" ] &&
    [ "$(ip -n rvs-r -6 route show "$CL_LADDR_BLOCK6" | grep -o " via " | wc -l)" -eq $((CL_DIRS - 1)) ]
}
