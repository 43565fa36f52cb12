# The text interface, netlink (rvsadm) and the sysctls make their changes
# through one set of operations (src/config.rs): the same changes made
# through the text interface in one namespace and through netlink in
# another give the same listing, in the same order (unsorted: an edited service
# keeps its place; the text path once moved it to the end), and a setting
# written through any of the three front-ends reads back the same through
# the others, with the same bounds.
. tests/lib/lib.sh
trap cleanup_all EXIT
load_rvs
extra_ns a; extra_ns b
text() { rvs_ctl_in a "$@"; }
nl() { nsx b "$RVSADM" "$@"; }
V1=192.0.2.100; V2=192.0.2.101; R1=198.51.100.11; R2=198.51.100.12; L1=198.51.100.201

text add-service tcp $V1:80 rr;                     nl -A -t $V1:80 -s rr
text add-service tcp $V2:80 wrr;                    nl -A -t $V2:80 -s wrr
text add-service udp $V1:53 rr;                     nl -A -u $V1:53 -s rr
text add-dest tcp $V1:80 $R1:8080 1;                nl -a -t $V1:80 -r $R1:8080 -b -w 1
text add-dest tcp $V1:80 $R2:8080 1;                nl -a -t $V1:80 -r $R2:8080 -b -w 1
text add-laddr tcp $V1:80 $L1;                      nl -P -t $V1:80 -z $L1
text set-persist tcp $V1:80 300 255.255.255.0;      nl -E -t $V1:80 -s rr -p 300 -M 255.255.255.0
text set-weight tcp $V1:80 $R2:8080 3;              nl -e -t $V1:80 -r $R2:8080 -b -w 3
text set-synproxy tcp $V2:80 1;                     nl -E -t $V2:80 -s wrr -j enable
text del-dest tcp $V1:80 $R1:8080;                  nl -d -t $V1:80 -r $R1:8080

# The kernel's order (--nosort), and the local addresses (-G).
listing() { nsx "$1" "$RVSADM" -L -n --nosort; nsx "$1" "$RVSADM" -G; }
by_text=$(listing a)
by_nl=$(listing b)
sed 's/^/# text:    /' <<<"$by_text"
sed 's/^/# netlink: /' <<<"$by_nl"
[ -n "$by_text" ] || fail "nothing listed"
assert_eq "the same changes through text and netlink" "$by_nl" "$by_text"
assert_eq "services in the order they were added" "$V1:80 $V2:80 $V1:53" \
  "$(awk '$1 == "TCP" || $1 == "UDP" {printf "%s%s", s, $2; s=" "}' <<<"$by_text")"
grep -q "^TCP  $V1:80 rr persistent 300 mask 255.255.255.0" <<<"$by_text" || fail "persistence not listed"
grep -Eq -- "-> $R2:8080 +FullNat +3 " <<<"$by_text" || fail "weight not listed"
grep -q "$L1" <<<"$by_text" || fail "local address not listed"
if grep -q -- "$R1:8080" <<<"$by_text"; then fail "deleted real server listed"; fi

# One setting, three front-ends.
timeout_est() { "$RVSADM" -L --timeout | sed -n 's/.*): \([0-9]*\) .*/\1/p'; }
echo "set timeout_established 77" > /sys/module/rvs/parameters/ctl
assert_eq "text -> netlink" 77 "$(timeout_est)"
assert_eq "text -> sysctl" 77 "$(sysctl -n net.ipv4.vs.timeout_established)"
sysctl -qw net.ipv4.vs.timeout_established=66
assert_eq "sysctl -> netlink" 66 "$(timeout_est)"
ipvsadm --set 55 0 0
assert_eq "netlink -> sysctl" 55 "$(sysctl -n net.ipv4.vs.timeout_established)"
# The same bounds (1..86400 s) everywhere; nothing changes on a refusal.
if echo "set timeout_established 86401" > /sys/module/rvs/parameters/ctl 2>/dev/null; then fail "text took 86401"; fi
if sysctl -qw net.ipv4.vs.timeout_established=86401 2>/dev/null; then fail "sysctl took 86401"; fi
if ipvsadm --set 86401 0 0 2>/dev/null; then fail "netlink took 86401"; fi
assert_eq "unchanged after the refusals" 55 "$(timeout_est)"
echo "set timeout_established 86400" > /sys/module/rvs/parameters/ctl
assert_eq "the bound itself" 86400 "$(timeout_est)"

# IPv6 through every front-end: the same service made by text in one
# namespace and by netlink in the other lists the same, with NAT64's IPv4
# real server and local address beside the IPv6 ones; an IPv6 real server
# or local address of an IPv4 service (NAT46) is refused (the text
# interface: EAFNOSUPPORT), and nothing is added.
V6=2001:db8:100::100
text add-service tcp "[$V6]:80" rr;                 nl -A -t "[$V6]:80" -s rr
text add-dest tcp "[$V6]:80" "[2001:db8:1::11]:8080" 2; nl -a -t "[$V6]:80" -r "[2001:db8:1::11]:8080" -b -w 2
text add-laddr tcp "[$V6]:80" 2001:db8:1::201;      nl -P -t "[$V6]:80" -z 2001:db8:1::201
text set-persist tcp "[$V6]:80" 300 64;             nl -E -t "[$V6]:80" -s rr -p 300 -M 64
text add-dest tcp "[$V6]:80" 198.51.100.11:8080 1;  nl -a -t "[$V6]:80" -r 198.51.100.11:8080 -b -w 1
text add-laddr tcp "[$V6]:80" 198.51.100.202;       nl -P -t "[$V6]:80" -z 198.51.100.202
by_text=$(listing a); by_nl=$(listing b)
sed 's/^/# netlink: /' <<<"$by_nl"
assert_eq "the same IPv6 service through text and netlink" "$by_nl" "$by_text"
grep -q "^TCP  \[$V6\]:80 rr persistent 300 mask 64" <<<"$by_text" || fail "IPv6 service not listed: $by_text"
grep -qE -- "-> 198.51.100.11:8080 +FullNat +1 " <<<"$by_text" || fail "NAT64 real server not listed: $by_text"
grep -qE "^ +198.51.100.202 " <<<"$by_text" || fail "NAT64 local address not listed: $by_text"
before=$(listing b)
# (rvsadm refuses an IPv6 local address of an IPv4 service itself; the
# kernel's refusal of NAT46 and its extack are ipvsnl.py's "ipv6 dest"
# case, t_ipvsadm.)
if nl -a -t "$V1:80" -r "[2001:db8::11]:8080" -b 2>/dev/null; then fail "rvsadm added an IPv6 server to an IPv4 service"; fi
for cmd in "add-dest tcp $V1:80 [2001:db8::11]:8080 1" "add-laddr tcp $V1:80 2001:db8::201"; do
  # bash, not sh: dash's echo reports every write error as "I/O error".
  if out=$(nsx b bash -c 'echo "$1" > /sys/module/rvs/parameters/ctl' text "$cmd" 2>&1); then fail "text took: $cmd"; fi
  grep -qi "address family not supported" <<<"$out" || fail "text: not EAFNOSUPPORT for '$cmd': $out"
done
assert_eq "nothing added by the mixed-family requests" "$before" "$(listing b)"
