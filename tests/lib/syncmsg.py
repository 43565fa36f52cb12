#!/usr/bin/env python3
"""Connection sync datagrams (upstream IPVS protocol version 1), read and
listened for independently of rvs's own codec (core/src/sync_msg.rs), from
the layout in the kernel's ip_vs_sync.c.

  syncmsg.py listen IFADDR SECONDS [GROUP [PORT]]
      joins GROUP (224.0.0.81) on the interface holding IFADDR, and prints
      one JSON object per record received within SECONDS (after a line
      "ready"), each with the datagram's syncid.
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


def main():
    if sys.argv[1] == "listen":
        ifaddr, secs = sys.argv[2], float(sys.argv[3])
        group = sys.argv[4] if len(sys.argv) > 4 else "224.0.0.81"
        port = int(sys.argv[5]) if len(sys.argv) > 5 else 8848
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
            try:
                for r in parse(m):
                    print(json.dumps(r), flush=True)
            except ValueError as e:
                print(json.dumps({"error": str(e), "len": len(m)}), flush=True)


if __name__ == "__main__":
    main()
