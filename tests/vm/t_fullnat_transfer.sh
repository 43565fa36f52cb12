# vm-also: director
# 20 MB up and 20 MB down through FULLNAT arrive intact (sha256 at both
# ends), with sequence numbers remapped toward the real server; once with
# the client SYN's timestamp removed (the default), once with it kept. The
# real server's SYN-ACK MSS is lowered by 8 for TOA.
. tests/lib/lib.sh
fullnat_setup 1
for ts in 1 0; do
  rvs_ctl set ts_strip $ts
  read -r name peer opts mss < <(client peers "$VIP" 80 1)
  # TCPI_OPT_TIMESTAMPS is bit 0 of what the real server negotiated.
  assert_eq "timestamps negotiated with ts_strip=$ts" $((1 - ts)) $((opts & 1))
  assert_eq "SACK negotiated" 2 $((opts & 2))
  # veth MTU 1500: the RS offers 1460, rvs lowers it to 1452; with
  # timestamps on, 12 bytes of each segment go to the option.
  assert_eq "client MSS with ts_strip=$ts" $((1452 - 12 * (1 - ts))) "$mss"
  client upload "$VIP" 80 20000000 | grep -q ' ok$' || fail "upload corrupted (ts_strip=$ts)"
  client download "$VIP" 80 20000000 | grep -q ' ok$' || fail "download corrupted (ts_strip=$ts)"
done
# A director today runs with GRO on: aggregated segments come to rvs as
# one large packet and leave as GSO. Turn it on for the director's ports.
for dev in d0 d1; do nsx d ethtool -K "$dev" gro on >/dev/null 2>&1 || fail "cannot turn GRO on for $dev"; done
nsx d ethtool -k d0 | grep -q 'generic-receive-offload: on' || fail "GRO is not on"
client upload "$VIP" 80 20000000 | grep -q ' ok$' || fail "upload corrupted with GRO on"
client download "$VIP" 80 20000000 | grep -q ' ok$' || fail "download corrupted with GRO on"
note "in_bytes $(rvs_stat in_bytes) out_bytes $(rvs_stat out_bytes)"
[ "$(rvs_stat in_bytes)" -gt 40000000 ] || fail "in_bytes too small"
[ "$(rvs_stat out_bytes)" -gt 40000000 ] || fail "out_bytes too small"
