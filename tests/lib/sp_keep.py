#!/usr/bin/env python3
"""A client's side of a SYNPROXY handshake made by hand (raw sockets,
IPv4): SYN, the director's SYN-ACK (the cookie), the ACK (its number
moved by SHIFT from the cookie's: 0 for a genuine one), then one data
segment of each size given, in sequence, whatever the window allows.
Prints "acked COOKIE+1" once the ACK is sent and "sent N" per segment.

  sp_keep.py [--between CMD] [--say TEXT] SRC DST PORT SPORT SHIFT [SIZE...]

--between: a shell command run once the SYN-ACK is in, before the ACK
(e.g. one that moves the route to DST to another director).
--say: after the segments, one more carrying TEXT and a newline; then
prints "reply LINE", the first line of data that comes back (or "reply"
alone if none does within 5 s), and ends the connection with a RST.

The caller drops this namespace's own RSTs (no socket owns the
connection) and raises the link's MTU for segments above it.
"""
import os, random, socket, struct, subprocess, sys, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from rawpkt import ip4, tcp  # noqa: E402

args = sys.argv[1:]
between = say = None
while args and args[0].startswith("--"):
    opt, val, args = args[0], args[1], args[2:]
    if opt == "--between":
        between = val
    elif opt == "--say":
        say = val.encode() + b"\n"
    else:
        sys.exit("unknown option " + opt)
src, dst, port, sport = args[0], args[1], int(args[2]), int(args[3])
shift = int(args[4])
sizes = [int(x) for x in args[5:]]
SYN, ACK, PSH = 0x02, 0x10, 0x08
tx = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
rx = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_TCP)
rx.settimeout(10)


def send(flags, seq, ack, data=b"", opts=b""):
    tx.sendto(ip4(src, dst, 6, tcp(src, dst, sport, port, flags, opts=opts, data=data, seq=seq, ack=ack)), (dst, 0))


isn = random.randrange(2**32)
send(SYN, isn, 0, opts=bytes([2, 4, 5, 0xB4]))
while True:
    p = rx.recv(65535)
    ihl = (p[0] & 15) * 4
    t = p[ihl:]
    if socket.inet_ntoa(p[12:16]) == dst and struct.unpack("!HH", t[:4]) == (port, sport) and t[13] & (SYN | ACK) == SYN | ACK:
        cookie = struct.unpack("!I", t[4:8])[0]
        break
if between:
    subprocess.run(between, shell=True, check=True)
seq, ack = (isn + 1) % 2**32, (cookie + 1 + shift) % 2**32
send(ACK, seq, ack)
print("acked", ack, flush=True)
for n in sizes:
    send(PSH | ACK, seq, ack, data=b"k" * n)
    seq = (seq + n) % 2**32
    print("sent", n, flush=True)
if say is not None:
    send(PSH | ACK, seq, ack, data=say)
    got, end = b"", time.time() + 5
    while b"\n" not in got and time.time() < end:
        rx.settimeout(max(0.01, end - time.time()))
        try:
            p = rx.recv(65535)
        except socket.timeout:
            break
        ihl = (p[0] & 15) * 4
        t = p[ihl:]
        if socket.inet_ntoa(p[12:16]) == dst and struct.unpack("!HH", t[:4]) == (port, sport):
            got += t[(t[12] >> 4) * 4:]
    print("reply", got.split(b"\n")[0].decode(errors="replace").strip(), flush=True)
    send(0x04 | ACK, (seq + len(say)) % 2**32, ack)
