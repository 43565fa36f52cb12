#!/usr/bin/env python3
"""A TCP connection made by hand (raw sockets), for handshake segments a
socket cannot send: the ACK completing the handshake carries the option
bytes given. Sends "PEER", prints the server's answer line, then closes with
FIN.

Usage: rawconn.py [--dev IFACE --dmac MAC] [--syn-opts HEX] [--tfo]
                  SRC DST PORT SPORT ACK_OPTIONS_HEX

--syn-opts: options the SYN carries after its MSS. --tfo: the SYN carries
"PEER" itself (TCP Fast Open without a cookie; sent again after the
handshake if the server did not take it).

Without --dev (IPv4 only): IP raw sockets in the caller's namespace, where
SRC is a local address. The caller must drop that kernel's own RSTs (it
knows nothing of this connection).

With --dev: Ethernet frames on IFACE (AF_PACKET) to MAC, IPv4 or IPv6 (SRC
and DST of one family). SRC must not be an address of the caller's
namespace: its kernel then drops the replies (not for it, forwarding off)
and sends no RST, so no firewall is needed (the test kernel has no
ip6tables). The receiver must send the replies to IFACE, e.g. through a
permanent neighbour entry for SRC with IFACE's MAC.
"""
import os, random, socket, struct, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from rawpkt import csum  # noqa: E402

args = sys.argv[1:]
dev = dmac = None
syn_opts, tfo = b"", False
while args and args[0].startswith("--"):
    if args[0] == "--syn-opts":
        syn_opts, args = bytes.fromhex(args[1]), args[2:]
    elif args[0] == "--tfo":
        tfo, args = True, args[1:]
    elif args[0] == "--dev":
        dev, args = args[1], args[2:]
    elif args[0] == "--dmac":
        dmac, args = bytes.fromhex(args[1].replace(":", "")), args[2:]
    else:
        sys.exit("rawconn.py: unknown option " + args[0])
src, dst, port, sport, opts = args[0], args[1], int(args[2]), int(args[3]), bytes.fromhex(args[4])
V6 = ":" in src
FAM = socket.AF_INET6 if V6 else socket.AF_INET
SRC, DST = socket.inet_pton(FAM, src), socket.inet_pton(FAM, dst)
SYN, ACK, PSH, FIN = 0x02, 0x10, 0x08, 0x01
if dev:
    if dmac is None:
        sys.exit("rawconn.py: --dev needs --dmac")
    ETH_P = 0x86DD if V6 else 0x0800
    with open(f"/sys/class/net/{dev}/address") as f:
        smac = bytes.fromhex(f.read().strip().replace(":", ""))
    link = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P))
    link.bind((dev, ETH_P))
    link.settimeout(10)
elif V6:
    sys.exit("rawconn.py: IPv6 needs --dev")
else:
    tx = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    rx = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_TCP)
    rx.settimeout(10)


def ip_packet(seg):
    """SRC -> DST, protocol TCP, around segment `seg`."""
    if V6:
        return struct.pack("!IHBB16s16s", 6 << 28, len(seg), 6, 64, SRC, DST) + seg
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(seg), random.randrange(65536), 0x4000, 64, 6, 0, SRC, DST)
    return ip[:10] + struct.pack("!H", csum(ip)) + ip[12:] + seg


def send(seq, ack, flags, o=b"", data=b""):
    assert len(o) % 4 == 0 and len(o) <= 40
    h = struct.pack("!HHIIBBHHH", sport, port, seq, ack, (20 + len(o)) // 4 << 4, flags, 65535, 0, 0) + o
    if V6:
        ph = struct.pack("!16s16sIxxxB", SRC, DST, len(h) + len(data), 6)
    else:
        ph = struct.pack("!4s4sBBH", SRC, DST, 0, 6, len(h) + len(data))
    seg = h[:16] + struct.pack("!H", csum(ph + h + data)) + h[18:] + data
    if dev:
        link.send(dmac + smac + struct.pack("!H", ETH_P) + ip_packet(seg))
    else:
        tx.sendto(ip_packet(seg), (dst, 0))


def tcp_of(p):
    """The TCP segment of IP packet `p` if it is DST's to us, else None."""
    if V6:
        if len(p) < 40 or p[0] >> 4 != 6 or p[6] != 6 or p[8:24] != DST or p[24:40] != SRC:
            return None
        return p[40:40 + struct.unpack("!H", p[4:6])[0]]
    ihl = (p[0] & 15) * 4
    if len(p) < 20 or p[9] != 6 or p[12:16] != DST or p[16:20] != SRC:
        return None
    return p[ihl:struct.unpack("!H", p[2:4])[0]]


def recv():
    """The next segment of this connection: (seq, flags, payload, ack)."""
    while True:
        if dev:
            frame, addr = link.recvfrom(65535)
            if addr[2] == socket.PACKET_OUTGOING:
                continue
            t = tcp_of(frame[14:])
        else:
            t = tcp_of(rx.recv(65535))
        if t is not None and len(t) >= 20 and struct.unpack("!HH", t[:4]) == (port, sport):
            return struct.unpack("!I", t[4:8])[0], t[13], t[(t[12] >> 4) * 4:], struct.unpack("!I", t[8:12])[0]


isn = random.randrange(2**32)
send(isn, 0, SYN, bytes([2, 4, 5, 0xB4]) + syn_opts, data=b"PEER\n" if tfo else b"")
while True:
    rseq, fl, _, rack = recv()
    if fl & (SYN | ACK) == SYN | ACK:
        break
seq, ack = (isn + 1) % 2**32, (rseq + 1) % 2**32
send(seq, ack, ACK, opts)
if tfo and rack == (isn + 6) % 2**32:
    seq = rack  # the server took the SYN's data
else:
    send(seq, ack, PSH | ACK, data=b"PEER\n")
    seq = (seq + 5) % 2**32
line, fin = b"", False
while not (fin and line.endswith(b"\n")):
    rseq, fl, data, _ = recv()
    if rseq == ack and data:
        line += data
        ack = (ack + len(data)) % 2**32
    if fl & FIN and rseq == ack:
        fin, ack = True, (ack + 1) % 2**32
    send(seq, ack, ACK)
send(seq, ack, FIN | ACK)
print(line.decode().strip())
