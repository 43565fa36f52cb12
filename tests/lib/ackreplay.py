#!/usr/bin/env python3
"""Captures the first bare ACK (no payload, no options) a real server sends
from PORT on IFACE, and once DONE_FILE exists, sends that very packet N
times more through a raw socket (checksums recomputed: the capture may hold
an offloaded, partial one). Prints "ready", then "replayed N".
Usage: ackreplay.py IFACE PORT N DONE_FILE
"""
import os, socket, struct, sys, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from rawpkt import csum  # noqa: E402

iface, port, n, done = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]


# ETH_P_ALL: taps of one protocol see only incoming packets.
cap = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.ntohs(3))
cap.bind((iface, 0))
cap.settimeout(30)
print("ready", flush=True)
while True:
    frame, addr = cap.recvfrom(65535)
    ip = frame[14:]
    if addr[2] != socket.PACKET_OUTGOING or frame[12:14] != b"\x08\x00" or ip[9] != 6:
        continue
    ihl = (ip[0] & 15) * 4
    tot = struct.unpack("!H", ip[2:4])[0]
    tcp = bytearray(ip[ihl:tot])
    if struct.unpack("!H", tcp[:2])[0] == port and tcp[13] == 0x10 and (tcp[12] >> 4) == 5 and len(tcp) == 20:
        break
tcp[16:18] = b"\0\0"
ph = ip[12:20] + struct.pack("!BBH", 0, 6, len(tcp))
tcp[16:18] = struct.pack("!H", csum(ph + bytes(tcp)))
hdr = bytearray(ip[:ihl])
hdr[10:12] = b"\0\0"
hdr[10:12] = struct.pack("!H", csum(bytes(hdr)))
pkt = bytes(hdr) + bytes(tcp)
for _ in range(600):
    if os.path.exists(done):
        break
    time.sleep(0.05)
raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
dst = socket.inet_ntoa(ip[16:20])
for _ in range(n):
    raw.sendto(pkt, (dst, 0))
print("replayed", n, flush=True)
