# RSTs end a connection's state at the director only from where a genuine
# one sits (RFC 5961, which upstream IPVS does not apply): between what
# the other side last acknowledged and the end of what its sender sent.
# An off-path RST for a live connection's tuple with any other sequence
# number is passed on (the real server drops it) and counted
# (rst_out_of_window), and the connection goes on, also after the
# TCP CLOSE timeout has passed; the client's own RST (SO_LINGER 0) still
# closes it.
. tests/lib/lib.sh
fullnat_setup 1
rvs_ctl set timeout_close 1
coproc HOLD { nsx c python3 -u -c "
import socket, struct, sys
s = socket.create_connection(('$VIP', 80), 10)
f = s.makefile('rwb'); f.write(b'HOLD\n'); f.flush(); f.readline()
print(s.getsockname()[1])
for cmd in sys.stdin:
    if cmd.strip() == 'echo':
        f.write(b'still here\n'); f.flush()
        print('ok' if f.readline() == b'still here\n' else 'broken')
    elif cmd.strip() == 'reset':
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0)); s.close()
        print('reset'); break
"; }
read -r cport <&"${HOLD[0]}"
[ -n "$cport" ] || fail "no held connection"
ask() { echo "$1" >&"${HOLD[1]}"; local r; read -r -t 10 r <&"${HOLD[0]}"; echo "$r"; }
state() { nsx d ipvsadm -Lnc | awk -v c="$CLIENT:$cport" '$4 == c {print $3}'; }
assert_eq "held connection" "ESTABLISHED" "$(state)"
r0=$(rvs_stat rst_out_of_window)
for seq in 1 2147483648 4000000000; do
  nsx c python3 tests/lib/rawpkt.py rst "$CLIENT" "$VIP" 80 "$cport" "$seq" > /dev/null
done
for k in $(seq 20); do [ "$(rvs_stat rst_out_of_window)" = $((r0 + 3)) ] && break; sleep 0.1; done
assert_eq "forged RSTs counted" 3 $(( $(rvs_stat rst_out_of_window) - r0 ))
assert_eq "state after forged RSTs" "ESTABLISHED" "$(state)"
sleep 2.5   # past timeout_close (1 s) and a collector pass
assert_eq "the connection after forged RSTs" ok "$(ask echo)"
assert_eq "the client's own RST" reset "$(ask reset)"
for k in $(seq 30); do [ -z "$(state)" ] || [ "$(state)" = CLOSE ] && break; sleep 0.1; done
s=$(state)
[ -z "$s" ] || [ "$s" = CLOSE ] || fail "the client's RST left the connection $s"
assert_eq "the genuine RST not counted" 3 $(( $(rvs_stat rst_out_of_window) - r0 ))
