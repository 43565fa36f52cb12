#!/usr/bin/env python3
"""Crafted IPv4 or IPv6 packets from the client namespace (raw socket
with the IP header included; IPv6 when the addresses are).

  rawpkt.py malformed SRC DST PORT   sends a fixed set of malformed TCP
                                     segments and prints how many
  rawpkt.py syn SRC DST PORT N       N SYNs from SRC, random source ports
  rawpkt.py frag SRC DST PORT N      N first fragments (MF set) of UDP datagrams
                                     (IPv6: behind a fragment header)
  rawpkt.py synflood NET DST PORT N SECS
                                     up to N SYNs in at most SECS seconds, each
                                     from a random address of NET (a /24 given
                                     as its first three octets; IPv6: a /64 as
                                     its first four groups) and port
  rawpkt.py ackforge SRC DST PORT N  N ACKs with random seq/ack (forged
                                     SYNPROXY cookies) from random ports
  rawpkt.py rst SRC DST PORT SPORT SEQ
                                     one RST from SRC:SPORT with sequence
                                     number SEQ
  rawpkt.py ptb SRC DST PORT CPORT MTU good|bad [TO]
                                     an ICMPv6 Packet Too Big (IPv4: a
                                     frag-needed) from SRC to DST (or TO)
                                     quoting a 1240-byte segment DST:PORT ->
                                     SRC:CPORT (its IP and TCP headers);
                                     "bad": the ICMP checksum off by one
"""
import random, socket, struct, sys


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack(f"!{len(b)//2}H", b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def ip4(src, dst, proto, payload, tot_len=None, frag=0x4000):
    tl = tot_len if tot_len is not None else 20 + len(payload)
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, tl, random.randrange(65536), frag, 64, proto, 0,
                    socket.inet_aton(src), socket.inet_aton(dst))
    h = h[:10] + struct.pack("!H", csum(h)) + h[12:]
    return h + payload


def ip6(src, dst, nh, payload, ext=b""):
    """An IPv6 header (hop limit 64) and `ext`, extension headers whose
    first next-header field the caller set, before `payload`."""
    h = struct.pack("!IHBB16s16s", 6 << 28, len(ext) + len(payload), nh, 64,
                    socket.inet_pton(socket.AF_INET6, src), socket.inet_pton(socket.AF_INET6, dst))
    return h + ext + payload


def v6(a):
    return ":" in a


def ip(src, dst, proto, payload, frag=False):
    """`payload` in an IPv4 or IPv6 packet, as the addresses are; `frag`: a
    first fragment (more fragments follow)."""
    if not v6(src):
        return ip4(src, dst, proto, payload, frag=0x2000 if frag else 0x4000)
    if frag:
        fh = struct.pack("!BBHI", proto, 0, 1, random.randrange(2**32))  # offset 0, M set
        return ip6(src, dst, 44, payload, ext=fh)
    return ip6(src, dst, proto, payload)


def pseudo(src, dst, proto, length):
    if v6(src):
        return (socket.inet_pton(socket.AF_INET6, src) + socket.inet_pton(socket.AF_INET6, dst)
                + struct.pack("!I3xB", length, proto))
    return struct.pack("!4s4sBBH", socket.inet_aton(src), socket.inet_aton(dst), 0, proto, length)


def tcp(src, dst, sport, dport, flags, opts=b"", data=b"", doff=None, seq=1000, ack=0):
    d = doff if doff is not None else (20 + len(opts)) // 4
    h = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, d << 4, flags, 65535, 0, 0) + opts
    c = csum(pseudo(src, dst, 6, len(h) + len(data)) + h + data)
    return h[:16] + struct.pack("!H", c) + h[18:] + data


def main():
    cmd, src, dst, port = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    # IPPROTO_RAW: the header is the caller's (IPv6 too: IPV6_HDRINCL).
    s = socket.socket(socket.AF_INET6 if v6(dst) else socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    if cmd == "malformed":
        pkts = [
            # data offset 4 (< 5)
            tcp(src, dst, 40001, port, 0x02, doff=4),
            # data offset 15 on a 20-byte segment (past the segment)
            tcp(src, dst, 40002, port, 0x02, doff=15),
            # option length running past the header
            tcp(src, dst, 40003, port, 0x02, opts=bytes([2, 4, 5, 0xB4, 8, 30, 0, 0])),
            # option with length 1
            tcp(src, dst, 40004, port, 0x02, opts=bytes([30, 1, 0, 0])),
            # MSS with a wrong length
            tcp(src, dst, 40005, port, 0x02, opts=bytes([2, 3, 5, 0])),
        ]
        n = 0
        for p in pkts:
            s.sendto(ip(src, dst, 6, p), (dst, 0))
            n += 1
        # truncated TCP header: 12 bytes of TCP in the IP payload
        s.sendto(ip(src, dst, 6, tcp(src, dst, 40006, port, 0x02)[:12]), (dst, 0))
        n += 1
        print(n)
    elif cmd == "frag":
        n = int(sys.argv[5])
        for _ in range(n):
            udp = struct.pack("!HHHH", 40000, port, 8 + 1000, 0) + b"f" * 96
            s.sendto(ip(src, dst, 17, udp, frag=True), (dst, 0))
        print(n)
    elif cmd == "syn":
        n = int(sys.argv[5])
        for _ in range(n):
            s.sendto(ip(src, dst, 6, tcp(src, dst, random.randrange(1024, 65536), port, 0x02,
                                         opts=bytes([2, 4, 5, 0xB4]), seq=random.randrange(2**32))), (dst, 0))
        print(n)
    elif cmd == "synflood":
        import time
        n, secs, sent = int(sys.argv[5]), float(sys.argv[6]), 0
        end = time.monotonic() + secs
        while sent < n and time.monotonic() < end:
            a = f"{src}::{random.randrange(1, 65536):x}" if v6(dst) else f"{src}.{random.randrange(1, 255)}"
            s.sendto(ip(a, dst, 6, tcp(a, dst, random.randrange(1024, 65536), port, 0x02,
                                       opts=bytes([2, 4, 5, 0xB4]), seq=random.randrange(2**32))), (dst, 0))
            sent += 1
        print(sent)
    elif cmd == "badcsum":
        # N SYNs and N ACKs, each with its TCP checksum off by one.
        n = int(sys.argv[5])
        for flags in (0x02, 0x10):
            for _ in range(n):
                seg = bytearray(tcp(src, dst, random.randrange(1024, 65536), port, flags,
                                    opts=bytes([2, 4, 5, 0xB4]) if flags == 0x02 else b"",
                                    seq=random.randrange(2**32), ack=random.randrange(2**32)))
                seg[17] ^= 1
                s.sendto(ip(src, dst, 6, bytes(seg)), (dst, 0))
        print(2 * n)
    elif cmd == "ackforge":
        n = int(sys.argv[5])
        for _ in range(n):
            s.sendto(ip(src, dst, 6, tcp(src, dst, random.randrange(1024, 65536), port, 0x10,
                                         seq=random.randrange(2**32), ack=random.randrange(2**32))), (dst, 0))
        print(n)
    elif cmd == "rst":
        sport, seq = int(sys.argv[5]), int(sys.argv[6])
        s.sendto(ip(src, dst, 6, tcp(src, dst, sport, port, 0x04, seq=seq)), (dst, 0))
        print(1)
    elif cmd == "ptb":
        cport, mtu, good = int(sys.argv[5]), int(sys.argv[6]), sys.argv[7] == "good"
        to = sys.argv[8] if len(sys.argv) > 8 else dst
        seg = tcp(dst, src, port, cport, 0x10, data=b"d" * 1200)
        if v6(dst):
            quote = ip6(dst, src, 6, seg)[:40 + 20]
            body = struct.pack("!BBHI", 2, 0, 0, mtu) + quote
            c = csum(pseudo(src, to, 58, len(body)) + body)
        else:
            quote = ip4(dst, src, 6, seg)[:20 + 20]
            body = struct.pack("!BBHHH", 3, 4, 0, 0, mtu) + quote
            c = csum(body)
        if not good:
            c = (c + 1) & 0xFFFF
        body = body[:2] + struct.pack("!H", c) + body[4:]
        s.sendto(ip6(src, to, 58, body) if v6(dst) else ip4(src, to, 1, body), (to, 0))
        print(1)


if __name__ == "__main__":
    main()
