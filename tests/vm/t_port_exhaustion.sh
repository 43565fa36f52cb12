# One LADDR and ten local ports: the eleventh concurrent connection to the
# same real server is refused and counted; the ten keep working.
. tests/lib/lib.sh
fullnat_setup 1
rvs_ctl set-lport-range 5000 5009
coproc HOLD { client hold "$VIP" 80 11; }
read -r -t 120 word n <&"${HOLD[0]}" || fail "no answer from the hold client"
assert_eq "answered connections" 10 "$n"
[ "$(rvs_stat drop_no_port)" -ge 1 ] || fail "drop_no_port not counted"
assert_eq "connections in the table" 10 "$(rvs_stat conns_now)"
