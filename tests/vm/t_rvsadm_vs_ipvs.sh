# rvsadm against the kernel's own ip_vs (not rvs): it proves rvsadm's wire
# format on the upstream implementation of the "IPVS" family. rvsadm builds
# a varied table (TCP/UDP/IPv6/fwmark services, persistence with masks,
# scheduler flags, one-packet scheduling, NAT/DR/tunnel servers with
# thresholds and GUE options) that stock ipvsadm -S must read back exactly;
# with real NAT traffic through the director, every listing format of
# rvsadm is byte-identical to stock ipvsadm's (stdout, stderr and exit
# status), including -c and error cases; edits, deletes, -Z, --set and an
# -S | -C | -R round trip behave as with ipvsadm.
. tests/lib/lib.sh

# Process starts are slow in the VM and `ip netns exec` slower still: the
# phases that run the tools a hundred times run inside the director's
# namespace in one shell (this script again, with "inside PHASE").
if [ "${1:-}" = inside ]; then
  rv() { "$RVSADM" "$@"; }
  ipv() { ipvsadm "$@"; }
  tmp=$TMPD golden=$GOLDEN

  # same NAME ARGS...: both tools, same stdout+stderr bytes and exit
  # status. Outputs that move with time (rates, expiry timers) are compared
  # again until two runs fall within the same tick (5 tries).
  same() {
    local name=$1 ra rb k a b; shift
    for k in 1 2 3 4 5; do
      ra=0 rb=0
      ipv "$@" > "$golden/$name" 2>&1 || ra=$?
      rv "$@" > "$tmp/b" 2>&1 || rb=$?
      # Builtins only (no cmp/sed processes): starting one is slow here.
      IFS= read -r -d '' a < "$golden/$name" || true
      IFS= read -r -d '' b < "$tmp/b" || true
      if [ -n "${MASK_EXPIRE:-}" ]; then
        # -c: the timers tick between the two runs; keep the column's layout.
        a=${a//[0-9][0-9]:[0-9][0-9]  /MM:SS  } b=${b//[0-9][0-9]:[0-9][0-9]  /MM:SS  }
      fi
      if [ "$a" == "$b" ] && [ "$ra" = "$rb" ]; then
        return 0
      fi
      sleep 0.3
    done
    diff "$golden/$name" "$tmp/b" || true
    fail "rvsadm $* differs from ipvsadm (status $rb vs $ra)"
  }

  case $2 in
  build)
    # The table, built by rvsadm only: two commands, then -R (one process
    # for the rest: processes start slowly in the VM).
    rv -A -t "$VIP:80" -s rr
    rv -a -t "$VIP:80" -r "$(rs_addr 1):8080" -m -w 3
    rv -R <<'END'
-a -t 192.0.2.100:80 -r 198.51.100.12:8080 -m -w 1 -x 100 -y 10
-A -u 192.0.2.100:53 -s wrr -p 120 -M 255.255.255.0
-a -u 192.0.2.100:53 -r 198.51.100.11 -g
-A -f 7 -s sh -b sh-port
-a -f 7 -r 198.51.100.13:0 -i -w 0
-A -t [2001:db8::1]:443 -s wlc -p
-a -t [2001:db8::1]:443 -r [2001:db8::2]:8443 -m
-A -u 192.0.2.101:5060 -s rr -o
-a -u 192.0.2.101:5060 -r 198.51.100.14:5060 -i --tun-type gue --tun-port 6080 --tun-csum
-A -t 203.0.113.5:443 -s wlc -b flag-1,flag-2
-a -t 203.0.113.5:443 -r 198.51.100.15:443 -g -w 70000
-A -f 9 -6 -s rr
END
    cat > "$tmp/want" <<'END'
-A -t 192.0.2.100:80 -s rr
-a -t 192.0.2.100:80 -r 198.51.100.11:8080 -m -w 3
-a -t 192.0.2.100:80 -r 198.51.100.12:8080 -m -w 1
-A -t 203.0.113.5:443 -s wlc -b flag-1,flag-2
-a -t 203.0.113.5:443 -r 198.51.100.15:443 -g -w 70000
-A -u 192.0.2.100:53 -s wrr -p 120 -M 255.255.255.0
-a -u 192.0.2.100:53 -r 198.51.100.11:53 -g -w 1
-A -u 192.0.2.101:5060 -s rr -o
-a -u 192.0.2.101:5060 -r 198.51.100.14:5060 -i -w 1 --tun-type gue --tun-port 6080 --tun-csum
-A -t [2001:db8::1]:443 -s wlc -p 360
-a -t [2001:db8::1]:443 -r [2001:db8::2]:8443 -m -w 1
-A -f 7 -s sh -b sh-port
-a -f 7 -r 198.51.100.13:0 -i -w 0 --tun-type ipip
-A -f 9 -6 -s rr
END
    ipv -S -n > "$tmp/got"
    diff "$tmp/want" "$tmp/got" || fail "ipvsadm -S -n does not show the table rvsadm built"
    ;;
  compare)
    for f in "-Ln" "-Ln --stats" "-Ln --exact --stats" "-Ln --thresholds" "-Ln --persistent-conn" \
             "-Ln --tun-info" "-S -n" "-Ln -t $VIP:80" "-L --timeout" "-Ln --rate"; do
      # shellcheck disable=SC2086
      same "list$(tr ' /:' '___' <<<"$f")" $f
    done
    MASK_EXPIRE=1 same list-Lnc -Lnc
    [ "$(grep -c "TIME_WAIT   192.0.2.2:[0-9]* *$VIP:80 *198.51.100.1[12]:8080" "$golden/list-Lnc")" = 10 ] \
      || fail "-c does not list the 10 connections: $(cat "$golden/list-Lnc")"
    grep -q "^TCP  $VIP:80 .* 10 " "$golden/list-Ln_--stats" || fail "no traffic counted: $(cat "$golden/list-Ln_--stats")"

    # Errors: same messages and exit statuses as ipvsadm (kernel errors and
    # usage errors; the host tests cover the other usage errors).
    same err-dup-service -A -t "$VIP:80" -s rr
    same err-no-service -D -t 192.0.2.200:80
    same err-no-dest -d -t "$VIP:80" -r 198.51.100.19:8080
    same err-no-sched -A -t 192.0.2.200:80 -s nosuch
    same err-zero-port -A -t 192.0.2.200 -s rr
    same err-missing -a -t "$VIP:80"

    # Edits and deletes by rvsadm, read back by ipvsadm.
    rv -E -t "$VIP:80" -s wrr -p 60
    rv -e -t "$VIP:80" -r "$(rs_addr 1):8080" -m -w 7 -x 50 -y 5
    ipv -S -n > "$tmp/s"
    grep -qx -- "-A -t $VIP:80 -s wrr -p 60" "$tmp/s" || fail "edit-service not applied"
    grep -qx -- "-a -t $VIP:80 -r $(rs_addr 1):8080 -m -w 7" "$tmp/s" || fail "edit-server not applied"
    ipv -Ln --thresholds > "$tmp/s"
    grep -q "$(rs_addr 1):8080 *50 *5 " "$tmp/s" || fail "thresholds not applied"
    rv -d -t "$VIP:80" -r "$(rs_addr 2):8080"
    rv -D -u 192.0.2.101:5060
    ipv -S -n > "$tmp/s"
    grep -q "$(rs_addr 1):8080" "$tmp/s" || fail "no table after the deletes"
    ! grep -q "$(rs_addr 2):8080" "$tmp/s" || fail "delete-server not applied"
    ! grep -q "5060" "$tmp/s" || fail "delete-service not applied"
    # -Z zeroes the counters.
    rv -Z
    ipv -Ln --stats > "$tmp/s"
    grep -q "^TCP  $VIP:80 *0 *0 *0 *0 *0$" "$tmp/s" || fail "-Z did not zero the counters: $(cat "$tmp/s")"
    # --set, read back both ways.
    rv --set 901 121 301
    assert_eq "timeouts" "Timeout (tcp tcpfin udp): 901 121 301" "$(ipv -L --timeout)"

    # -S | -C | -R round trip, and the restored table is what ipvsadm saves.
    rv -S -n > "$tmp/saved"
    rv -C
    assert_eq "table after -C" "" "$(ipv -S -n)"
    rv -R < "$tmp/saved"
    rv -S -n > "$tmp/again"
    diff "$tmp/saved" "$tmp/again" || fail "rvsadm -S | -R round trip changed the table"
    ipv -S -n | diff "$tmp/saved" - || fail "ipvsadm sees another table after rvsadm -R"

    # The FULLNAT extensions on a kernel without them: clear errors.
    rc=0; rv -P -t "$VIP:80" -z 198.51.100.201 2> "$tmp/err" || rc=$?
    [ "$rc" -ne 0 ] || fail "-P succeeded on ip_vs"
    grep -q "no local-address commands" "$tmp/err" || fail "unclear -P error: $(cat "$tmp/err")"
    rv -C
    ;;
  esac
  exit 0
fi

trap 'cleanup_all; unload_ip_vs || exit 1' EXIT
command -v ipvsadm >/dev/null || fail "stock ipvsadm is not installed"
[ -x "$RVSADM" ] || fail "no rvsadm binary at $RVSADM"
modprobe ip_vs
topo_up 2
for i in 1 2; do ip -n "rvs-rs$i" route add default via "$DIR_IN"; done
GOLDEN=${RVS_OUT:-/tmp}/rvsadm-golden TMPD=$(mktemp -d)
export GOLDEN TMPD
mkdir -p "$GOLDEN"
nsx d bash "$0" inside build

# Real traffic: 10 NAT connections over rr, so counters and conns are non-zero.
start_servers 2 8080
out=$(client peers "$VIP" 80 10)
assert_eq "connections through ip_vs" 10 "$(wc -l <<<"$out")"
assert_eq "rs1 got half" 5 "$(grep -c '^rs1 ' <<<"$out")"
# ip_vs's counters reach its listings through its estimator, every 2 s
# (slower on a loaded emulated machine): wait until they show the 10.
for _ in $(seq 150); do
  [ "$(nsx d ipvsadm -Ln --stats --exact -t "$VIP:80" | awk '/^TCP/ {print $3}')" = 10 ] && break
  sleep 0.1
done

nsx d bash "$0" inside compare
note "golden outputs in $GOLDEN"
