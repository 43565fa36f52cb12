#!/usr/bin/env python3
"""Connection sync datagrams (upstream IPVS protocol version 1), read and
listened for independently of rvs's own codec (core/src/sync_msg.rs), from
the layout in the kernel's ip_vs_sync.c.

  syncmsg.py listen [--save FILE] IFADDR SECONDS [GROUP [PORT]]
      joins GROUP (224.0.0.81) on the interface holding IFADDR (for an
      IPv6 group, IFADDR is the interface's name), and prints
      one JSON object per record received within SECONDS (after a line
      "ready"), each with the datagram's syncid. --save: every datagram
      also into FILE, one hexadecimal line each, as received.
  syncmsg.py replay IFADDR FILE
      sends the datagrams FILE holds (as --save wrote them), unchanged, to
      224.0.0.81:8848 out of the interface holding IFADDR.
  syncmsg.py send IFADDR SYNCID PROTO CADDR:CPORT VADDR:VPORT DADDR:DPORT FWD STATE [GROUP PORT]
      sends one record (IPv4, no option) to 224.0.0.81:8848 (or GROUP,
      PORT) out of the interface holding IFADDR (for an IPv6 group,
      IFADDR is the interface's name).
  syncmsg.py fuzz IFADDR SYNCID N SEED VADDR:VPORT DADDR:DPORT
      sends N hostile datagrams there, made from valid messages (records
      of the given service and real server, FULLNAT ones with their
      option) by one mutation each: random bytes, truncation, wrong size,
      version, syncid, record sizes, counts, option lengths, flags,
      states; paced (a pause every 200) so that the receiver reads them
      all. Prints how many of each kind went.
"""
import json, socket, struct, sys, time

OPT_SEQ_DATA, OPT_PE_DATA, OPT_PE_NAME, OPT_F_PARAM = 1, 2, 3, 0x40
OPT_RVS_FULLNAT = OPT_F_PARAM | 0x19


def addr(b):
    if len(b) == 4:
        return socket.inet_ntop(socket.AF_INET, b)
    if b[:12] == b"\0" * 10 + b"\xff\xff":
        return socket.inet_ntop(socket.AF_INET, b[12:])
    return socket.inet_ntop(socket.AF_INET6, b)


def fullnat(d):
    ver, bits, lport, seq_in, rs_isn, seq_out, rs_ws, offered, client_ws = struct.unpack("!BBHIIIBBBx", d[:20])
    laddr = addr(d[20:36] if bits & 1 else d[20:24])
    return {"layout": ver, "laddr": laddr, "lport": lport, "seq_in": seq_in, "rs_isn": rs_isn,
            "toa_done": bool(bits & 4), "synproxy": bool(bits & 2), "seq_out": seq_out,
            "rs_ws": rs_ws, "offered_ws": offered, "client_ws": client_ws}


def parse(m):
    """The records of one datagram, as dicts; raises ValueError on a
    framing fault."""
    if len(m) < 8:
        raise ValueError("short")
    reserved, syncid, size, count, version, spare = struct.unpack("!BBHBBH", m[:8])
    if size != len(m) or reserved or version != 1 or spare:
        raise ValueError("header")
    out, off = [], 8
    for _ in range(count):
        typ, proto, ver_size = struct.unpack("!BBH", m[off:off + 4])
        size = ver_size & 0xfff
        if ver_size >> 12 or off + size > len(m):
            raise ValueError("record")
        r = m[off:off + size]
        flags, state, cport, vport, dport, fwmark, timeout = struct.unpack("!IHHHHII", r[4:24])
        alen = 16 if typ & 1 else 4
        rec = {"syncid": syncid, "proto": proto, "flags": flags, "fwd": flags & 7, "state": state,
               "caddr": addr(r[24:24 + alen]), "cport": cport,
               "vaddr": addr(r[24 + alen:24 + 2 * alen]), "vport": vport,
               "daddr": addr(r[24 + 2 * alen:24 + 3 * alen]), "dport": dport,
               "fwmark": fwmark, "timeout": timeout, "options": []}
        p = 24 + 3 * alen
        while p < size:
            t, l = r[p], r[p + 1]
            rec["options"].append(t)
            if t == OPT_RVS_FULLNAT:
                rec["fullnat"] = fullnat(r[p + 2:p + 2 + l])
            p += 2 + l
        out.append(rec)
        off += (size + 3) & ~3
    return out


def hostport(s):
    a, p = s.rsplit(":", 1)
    return socket.inet_aton(a), int(p)


def record(proto, c, v, d, fwd, state, timeout=900, options=b""):
    """One IPv4 record (struct ip_vs_sync_v4 and its options)."""
    (ca, cp), (va, vp), (da, dp) = c, v, d
    size = 36 + len(options)
    return struct.pack("!BBHIHHHHII", 0, proto, size, fwd, state, cp, vp, dp, 0, timeout) + ca + va + da + options


def message(syncid, records):
    body = b""
    for r in records:
        body += r + b"\0" * (-len(r) % 4)
    return struct.pack("!BBHBBH", 0, syncid, 8 + len(body), len(records), 1, 0) + body


def fullnat_opt(laddr, lport):
    d = struct.pack("!BBHIIIBBBx", 1, 4, lport, 1000, 2000, 0, 255, 0, 255) + laddr
    return bytes([OPT_RVS_FULLNAT, len(d)]) + d


def sender(ifaddr):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(ifaddr))
    s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 1)
    return s


def mutate(rng, m, syncid):
    """One hostile variant of valid message m, and its kind."""
    b = bytearray(m)
    k = rng.randrange(12)
    if k == 0:
        return bytes(rng.randbytes(rng.randrange(0, 200))), "random"
    if k == 1:
        return bytes(b[:rng.randrange(0, len(b))]), "truncated"
    if k == 2:
        struct.pack_into("!H", b, 2, rng.randrange(65536)); return bytes(b), "size"
    if k == 3:
        b[5] = rng.choice([0, 2, 255]); return bytes(b), "version"
    if k == 4:
        b[1] = (syncid + 1 + rng.randrange(254)) % 256; return bytes(b), "syncid"
    if k == 5:
        b[4] = rng.randrange(256); return bytes(b), "count"
    if k == 6:
        struct.pack_into("!H", b, 10, rng.randrange(65536)); return bytes(b), "record size"
    if k == 7 and len(b) > 45:
        b[45] = rng.choice([0, 255, rng.randrange(256)]); return bytes(b), "option length"
    if k == 8:
        b[8] = rng.randrange(2, 256); return bytes(b), "record type"
    if k == 9:
        struct.pack_into("!I", b, 12, rng.randrange(1 << 32)); return bytes(b), "flags"
    if k == 10:
        struct.pack_into("!H", b, 16, rng.randrange(65536)); return bytes(b), "state"
    for _ in range(rng.randrange(1, 8)):
        b[rng.randrange(len(b))] = rng.randrange(256)
    return bytes(b), "bytes"


def main():
    save = None
    if len(sys.argv) > 3 and sys.argv[2] == "--save":
        save = open(sys.argv[3], "w")
        del sys.argv[2:4]
    if sys.argv[1] == "replay":
        s = sender(sys.argv[2])
        for line in open(sys.argv[3]):
            s.sendto(bytes.fromhex(line.strip()), ("224.0.0.81", 8848))
            time.sleep(0.01)
        return
    if sys.argv[1] == "send":
        ifaddr, syncid, proto = sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
        c, v, d = (hostport(x) for x in sys.argv[5:8])
        fwd, state = int(sys.argv[8]), int(sys.argv[9])
        group = sys.argv[10] if len(sys.argv) > 10 else "224.0.0.81"
        port = int(sys.argv[11]) if len(sys.argv) > 11 else 8848
        if ":" in group:
            s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_IF, socket.if_nametoindex(ifaddr))
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_HOPS, 1)
        else:
            s = sender(ifaddr)
        s.sendto(message(syncid, [record(proto, c, v, d, fwd, state)]), (group, port))
        return
    if sys.argv[1] == "fuzz":
        import random
        ifaddr, syncid, n, seed = sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
        v, d = hostport(sys.argv[6]), hostport(sys.argv[7])
        rng = random.Random(seed)
        s = sender(ifaddr)
        kinds = {}
        for i in range(n):
            recs = []
            for j in range(rng.randrange(1, 4)):
                c = (socket.inet_aton("192.0.2.%d" % rng.randrange(200, 250)), 20000 + rng.randrange(40000))
                if rng.randrange(2):
                    la = socket.inet_aton("198.51.100.%d" % rng.randrange(230, 240))
                    recs.append(record(6, c, v, d, 5, 1, options=fullnat_opt(la, 1024 + rng.randrange(60000))))
                else:
                    recs.append(record(rng.choice([6, 17]), c, v, d, rng.choice([0, 2, 3]), rng.randrange(2)))
            m, kind = mutate(rng, message(syncid, recs), syncid)
            kinds[kind] = kinds.get(kind, 0) + 1
            s.sendto(m, ("224.0.0.81", 8848))
            if i % 200 == 199:
                time.sleep(0.05)
        print(" ".join(f"{k}={v}" for k, v in sorted(kinds.items())))
        return
    if sys.argv[1] == "listen":
        ifaddr, secs = sys.argv[2], float(sys.argv[3])
        group = sys.argv[4] if len(sys.argv) > 4 else "224.0.0.81"
        port = int(sys.argv[5]) if len(sys.argv) > 5 else 8848
        if ":" in group:
            # An IPv6 group: IFADDR is then the interface's name.
            s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(("::", port))
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_JOIN_GROUP,
                         socket.inet_pton(socket.AF_INET6, group) + struct.pack("@I", socket.if_nametoindex(ifaddr)))
        else:
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(("", port))
            s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP,
                         socket.inet_aton(group) + socket.inet_aton(ifaddr))
        print("ready", flush=True)
        end = time.time() + secs
        while True:
            left = end - time.time()
            if left <= 0:
                break
            s.settimeout(left)
            try:
                m = s.recv(65535)
            except socket.timeout:
                break
            if save:
                save.write(m.hex() + "\n")
                save.flush()
            try:
                for r in parse(m):
                    print(json.dumps(r), flush=True)
            except ValueError as e:
                print(json.dumps({"error": str(e), "len": len(m)}), flush=True)


if __name__ == "__main__":
    main()
