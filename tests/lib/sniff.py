#!/usr/bin/env python3
"""Prints the TCP segments seen on an interface for a while, one per line:
  <src>:<sport> > <dst>:<dport> <flags> len=<payload> toa=<addr:port>|- mss=<n>|-
Usage: sniff.py IFACE SECONDS [syn]   (prints "ready" once listening;
       with "syn", only segments with the SYN flag)
"""
import socket, struct, sys, time

iface, secs = sys.argv[1], float(sys.argv[2])
syn_only = len(sys.argv) > 3 and sys.argv[3] == "syn"
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.ntohs(0x0800))
s.bind((iface, 0))
s.settimeout(0.2)
print("ready", flush=True)
end = time.time() + secs
while time.time() < end:
    try:
        frame, addr = s.recvfrom(65535)
    except socket.timeout:
        continue
    if addr[2] == socket.PACKET_OUTGOING:
        continue
    ip = frame[14:]
    if ip[9] != 6:
        continue
    ihl = (ip[0] & 15) * 4
    tot = struct.unpack("!H", ip[2:4])[0]
    tcp = ip[ihl:tot]
    doff = (tcp[12] >> 4) * 4
    if syn_only and not tcp[13] & 2:
        continue
    flags = "".join(c for c, b in zip("FSRPA", [1, 2, 4, 8, 16]) if tcp[13] & b)
    opts, toa, mss, i = tcp[20:doff], "-", "-", 0
    while i < len(opts):
        k = opts[i]
        if k == 0:
            break
        if k == 1:
            i += 1
            continue
        ln = opts[i + 1]
        if k == 2 and ln == 4:
            mss = str(struct.unpack("!H", opts[i + 2:i + 4])[0])
        if k == 254 and ln == 8:
            toa = "%s:%d" % (socket.inet_ntoa(opts[i + 4:i + 8]), struct.unpack("!H", opts[i + 2:i + 4])[0])
        i += max(ln, 2)
    sport, dport = struct.unpack("!HH", tcp[:4])
    print("%s:%d > %s:%d %s len=%d toa=%s mss=%s" % (socket.inet_ntoa(ip[12:16]), sport, socket.inet_ntoa(ip[16:20]),
                                                    dport, flags, len(tcp) - doff, toa, mss), flush=True)
