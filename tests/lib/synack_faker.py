#!/usr/bin/env python3
"""A real server's side of a handshake played by hand, for SYNPROXY tests:
waits on IFACE for the director's SYN to RS:PORT, answers it with a
SYN-ACK whose TCP checksum is wrong (sequence number BAD), then with a
correct one (sequence number GOOD), and reports the acknowledgement
number of the first ACK the director then sends (the client's ACK it
kept, released by the handshake it accepted):

  synack_faker.py IFACE RS PORT SECONDS   -> "ready", then
                                             "bad BAD good GOOD ack ACK"

The caller drops this namespace's own RSTs (no socket listens on PORT).
Stops after SECONDS at most ("timeout" and exit status 1).
"""
import os, socket, struct, sys, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from rawpkt import csum, ip4, pseudo  # noqa: E402

iface, rs, port, secs = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
BAD, GOOD = 0x11110000, 0x22220000
SYN, ACK = 0x02, 0x10
rx = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0800))
rx.bind((iface, 0x0800))
rx.settimeout(0.2)
tx = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
print("ready", flush=True)
end = time.time() + secs


def segments():
    """(src, sport, seq, ack, flags) of TCP segments to RS:PORT."""
    while time.time() < end:
        try:
            frame, addr = rx.recvfrom(65535)
        except socket.timeout:
            continue
        if addr[2] == socket.PACKET_OUTGOING:
            continue
        p = frame[14:]
        ihl = (p[0] & 15) * 4
        if p[9] != 6 or socket.inet_ntoa(p[16:20]) != rs:
            continue
        t = p[ihl:]
        sport, dport, seq, ack = struct.unpack("!HHII", t[:12])
        if dport == port:
            yield socket.inet_ntoa(p[12:16]), sport, seq, ack, t[13]
    print("timeout", flush=True)
    sys.exit(1)


def synack(laddr, lport, seq, ack, good):
    h = struct.pack("!HHIIBBHHH", port, lport, seq, ack, 6 << 4, SYN | ACK, 65535, 0, 0)
    h += bytes([2, 4, 5, 0xB4])  # MSS 1460
    c = csum(pseudo(rs, laddr, 6, len(h)) + h)
    if not good:
        c ^= 1
    h = h[:16] + struct.pack("!H", c) + h[18:]
    tx.sendto(ip4(rs, laddr, 6, h), (laddr, 0))


segs = segments()
for laddr, lport, isn, _, flags in segs:
    if flags & (SYN | ACK) == SYN:
        break
synack(laddr, lport, BAD, isn + 1, False)
time.sleep(0.3)
synack(laddr, lport, GOOD, isn + 1, True)
for src, sport, _, ack, flags in segs:
    if (src, sport) == (laddr, lport) and flags & (SYN | ACK) == ACK:
        print("bad %d good %d ack %d" % (BAD, GOOD, ack), flush=True)
        break
