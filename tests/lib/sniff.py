#!/usr/bin/env python3
"""Prints the TCP segments seen on an interface for a while, one per line:
  <src>:<sport> > <dst>:<dport> <flags> len=<payload> toa=<addr:port>|- mss=<n>|-
IPv6 segments as [<src>]:<sport> > [<dst>]:<dport> ..., their TOA (length
20) as toa=<kind>/[<addr>]:<port>.
Usage: sniff.py IFACE SECONDS [syn|fins]   (prints "ready" once listening;
       with "syn", only segments with the SYN flag; with "fins", stops
       half a second after the second FIN, when a connection has closed
       both ways, or after SECONDS at most)
"""
import socket, struct, sys, time

iface, secs = sys.argv[1], float(sys.argv[2])
mode = sys.argv[3] if len(sys.argv) > 3 else ""
syn_only, fins = mode == "syn", 0
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.ntohs(0x0003))
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
    ethertype, ip = struct.unpack("!H", frame[12:14])[0], frame[14:]
    if ethertype == 0x0800 and ip[9] == 6:
        ihl = (ip[0] & 15) * 4
        tot = struct.unpack("!H", ip[2:4])[0]
        tcp = ip[ihl:tot]
        src, dst = socket.inet_ntoa(ip[12:16]), socket.inet_ntoa(ip[16:20])
    elif ethertype == 0x86DD and ip[6] == 6:
        # Only segments right after the fixed header (rvs's tests send no
        # extension headers).
        tcp = ip[40:40 + struct.unpack("!H", ip[4:6])[0]]
        src = "[%s]" % socket.inet_ntop(socket.AF_INET6, ip[8:24])
        dst = "[%s]" % socket.inet_ntop(socket.AF_INET6, ip[24:40])
    else:
        continue
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
        if k in (253, 254) and ln == 20:
            toa = "%d/[%s]:%d" % (k, socket.inet_ntop(socket.AF_INET6, opts[i + 4:i + 20]),
                                  struct.unpack("!H", opts[i + 2:i + 4])[0])
        i += max(ln, 2)
    if mode == "fins" and tcp[13] & 1:
        fins += 1
        if fins == 2:
            end = min(end, time.time() + 0.5)
    sport, dport = struct.unpack("!HH", tcp[:4])
    print("%s:%d > %s:%d %s len=%d toa=%s mss=%s" % (src, sport, dst, dport, flags, len(tcp) - doff, toa, mss), flush=True)
