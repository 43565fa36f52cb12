# The test topology itself: client reaches the director, real servers reach
# the director's inside, and real servers have no route to the client (the
# point of FULLNAT).
. tests/lib/lib.sh
trap topo_down EXIT
topo_up 2
nsx c ping -c1 -W2 "$DIR_OUT" >/dev/null || fail "client cannot reach director"
for i in 1 2; do
  nsx "rs$i" ping -c1 -W2 "$DIR_IN" >/dev/null || fail "rs$i cannot reach director inside"
  nsx "rs$i" ping -c1 -W2 "${LADDRS[0]}" >/dev/null || fail "rs$i cannot reach LADDR"
  if nsx "rs$i" ping -c1 -W1 "$CLIENT" >/dev/null 2>&1; then fail "rs$i reaches the client: topology leaks"; fi
done
