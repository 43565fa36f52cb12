#!/usr/bin/env python3
"""A TCP connection made by hand from the client namespace (raw sockets),
for handshake segments a socket cannot send: the ACK completing the
handshake carries the option bytes given. Sends "PEER", prints the server's
answer line, then closes with FIN. The caller must drop the kernel's own
RSTs (it knows nothing of this connection).

Usage: rawconn.py SRC DST PORT SPORT ACK_OPTIONS_HEX
"""
import os, random, socket, struct, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from rawpkt import csum  # noqa: E402


src, dst, port, sport, opts = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), bytes.fromhex(sys.argv[5])
SYN, ACK, PSH, FIN = 0x02, 0x10, 0x08, 0x01
tx = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
rx = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_TCP)
rx.settimeout(10)


def send(seq, ack, flags, o=b"", data=b""):
    assert len(o) % 4 == 0 and len(o) <= 40
    h = struct.pack("!HHIIBBHHH", sport, port, seq, ack, (20 + len(o)) // 4 << 4, flags, 65535, 0, 0) + o
    ph = struct.pack("!4s4sBBH", socket.inet_aton(src), socket.inet_aton(dst), 0, 6, len(h) + len(data))
    seg = h[:16] + struct.pack("!H", csum(ph + h + data)) + h[18:] + data
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(seg), random.randrange(65536), 0x4000, 64, 6, 0,
                     socket.inet_aton(src), socket.inet_aton(dst))
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    tx.sendto(ip + seg, (dst, 0))


def recv():
    """The next segment of this connection: (seq, flags, payload)."""
    while True:
        p = rx.recv(65535)
        ihl = (p[0] & 15) * 4
        t = p[ihl:struct.unpack("!H", p[2:4])[0]]
        if p[12:16] == socket.inet_aton(dst) and struct.unpack("!HH", t[:4]) == (port, sport):
            return struct.unpack("!I", t[4:8])[0], t[13], t[(t[12] >> 4) * 4:]


isn = random.randrange(2**32)
send(isn, 0, SYN, bytes([2, 4, 5, 0xB4]))
while True:
    rseq, fl, _ = recv()
    if fl & (SYN | ACK) == SYN | ACK:
        break
seq, ack = (isn + 1) % 2**32, (rseq + 1) % 2**32
send(seq, ack, ACK, opts)
send(seq, ack, PSH | ACK, data=b"PEER\n")
seq = (seq + 5) % 2**32
line, fin = b"", False
while not (fin and line.endswith(b"\n")):
    rseq, fl, data = recv()
    if rseq == ack and data:
        line += data
        ack = (ack + len(data)) % 2**32
    if fl & FIN and rseq == ack:
        fin, ack = True, (ack + 1) % 2**32
    send(seq, ack, ACK)
send(seq, ack, FIN | ACK)
print(line.decode().strip())
