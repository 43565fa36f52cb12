#!/usr/bin/env python3
"""Random and malformed requests to the "IPVS" family, interleaved with a
known set of valid changes.

  genl_fuzz.py COUNT SECONDS SEED   -> prints the expected `ipvsadm -S -n`
                                       lines after "EXPECT", exits non-zero
                                       on a wrong answer

Every request is sent with NLM_F_REQUEST|NLM_F_ACK and must get an answer:
an error ack, or a success ack (after its replies), or the end of a dump.
- Requests of a changing command always carry at least one defect that the
  kernel's strict policy check refuses (unknown attribute type, wrong
  length, missing NLA_F_NESTED, attribute running past the end, oversized
  binary, unterminated string, reserved header byte, short header): each
  must be refused (errno != 0) and change nothing.
- Requests of a reading command may be well-formed: any answer goes, the
  replies must parse.
- Commands outside 1..20 must be refused.
- Every so often a valid change from the known set (services, real
  servers, local addresses, edits, deletions; IPv4 and IPv6 services, and
  IPv4 local addresses of IPv6 services, as NAT64 has them) must succeed;
  the configuration at the end must be exactly what they made.
"""
import ipaddress
import random
import struct
import sys
import time
import os

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ipvsnl as n  # noqa: E402

VIPS = ["192.0.2.50", "2001:db8::50"]
READS = {n.GET_SERVICE, n.GET_DEST, n.GET_DAEMON, n.GET_CONFIG, n.GET_INFO, n.GET_LADDR}
CHANGES = set(range(1, 21)) - READS
# Attribute spaces: name -> {type: kind}
SPACE = {
    "cmd": {1: ("nest", "svc"), 2: ("nest", "dest"), 3: ("nest", "daemon"), 4: "u32", 5: "u32", 6: "u32", 7: ("nest", "laddr")},
    "svc": {1: "u16", 2: "u16", 3: "addr", 4: "u16", 5: "u32", 6: "str", 7: "flags", 8: "u32", 9: "u32", 10: ("nest", None), 11: "str"},
    "dest": {1: "addr", 2: "u16", 3: "u32", 4: "u32", 5: "u32", 6: "u32", 7: "u32", 8: "u32", 9: "u32", 10: ("nest", None),
             11: "u16", 13: "u8", 14: "u16", 15: "u16"},
    "daemon": {1: "u32", 2: "str", 3: "u32", 4: "u16", 5: "u32", 6: "addr6", 7: "u16", 8: "u8"},
    "laddr": {1: "addr", 2: "u64", 3: "u32", 4: "u16"},
}
MAXT = {"cmd": 7, "svc": 12, "dest": 15, "daemon": 8, "laddr": 4}
SIZE = {"u8": 1, "u16": 2, "u32": 4, "u64": 8, "flags": 8}


def value(r, kind):
    """A well-formed value of kind (random content)."""
    if kind in SIZE:
        if kind == "u16" and r.random() < 0.5:
            return struct.pack("=H", r.choice([2, 10, 6, 17, 80, 0]))
        return bytes(r.getrandbits(8) for _ in range(SIZE[kind]))
    if kind == "addr":
        if r.random() < 0.3:
            return n.addr16("2001:db8::%x" % r.choice([0x50, 0x100, 7]))
        return bytes([192, 0, 2, r.choice([100, 200, 7])]) + b"\0" * r.choice([0, 12])
    if kind == "addr6":
        return bytes(16)
    if kind == "str":
        return r.choice([b"rr", b"wlc", b"mh", b"xyz", b"", b"sip"]) + b"\0"
    raise ValueError(kind)


def attrs(r, space, depth):
    """Well-formed random attributes of a space."""
    out = b""
    for _ in range(r.randint(0, 6)):
        t = r.choice(sorted(SPACE[space]))
        kind = SPACE[space][t]
        if isinstance(kind, tuple):
            inner = attrs(r, kind[1], depth + 1) if kind[1] and depth < 3 else b""
            out += n.nest(t, inner)
        else:
            out += n.nla(t, value(r, kind))
    return out


def defect(r, space="cmd"):
    """Attributes of a space with one defect the strict policy refuses."""
    good = attrs(r, space, 0)
    k = r.randrange(7)
    if k == 0:  # unknown type
        bad = n.nla(r.randint(MAXT[space] + 1, 0x3FFF), bytes(r.randint(0, 8)))
    elif k == 1:  # wrong length of a fixed-size type
        # Exact-length types only (FLAGS is a binary of at most 8 bytes).
        ts = [t for t, v in SPACE[space].items() if v in SIZE and v != "flags"]
        t = r.choice(ts)
        ln = r.choice([x for x in range(0, 10) if x != SIZE[SPACE[space][t]]])
        bad = n.nla(t, bytes(ln))
    elif k == 2 and space == "cmd":  # nest without NLA_F_NESTED
        bad = n.nla(r.choice([1, 2, 7]), attrs(r, r.choice(["svc", "dest", "laddr"]), 1))
    elif k == 3:  # runs past the end of the message
        bad = struct.pack("=HH", r.randint(9, 200), r.choice(sorted(SPACE[space]))) + bytes(4)
        return good + bad  # must be last
    elif k == 4:  # oversized binary
        ts = [t for t, v in SPACE[space].items() if v == "addr"] or [None]
        t = ts[0]
        bad = n.nla(t, bytes(r.randint(17, 40))) if t else n.nla(MAXT[space] + 1, b"")
    elif k == 5:  # unterminated or oversized string
        ts = [t for t, v in SPACE[space].items() if v == "str"]
        bad = n.nla(ts[0], b"x" * r.randint(1, 40)) if ts else n.nla(MAXT[space] + 2, b"")
    else:  # the defect inside a nest
        sub = r.choice(["svc", "dest", "laddr", "daemon"])
        t = {"svc": 1, "dest": 2, "laddr": 7, "daemon": 3}[sub]
        return good + n.nest(t, defect(r, sub))
    parts = [good, bad]
    r.shuffle(parts)
    return b"".join(parts)


# The forwarding methods the model configures, with their tunnel
# attributes, as `ipvsadm -S` shows them (before the weight, after it):
# masquerading (NAT), direct routing, tunnelling by IPIP, GUE (a port,
# with and without checksums) and GRE (with and without).
METHODS = [
    (0, {}, "-m", ""),
    (3, {}, "-g", ""),
    (2, {}, "-i", " --tun-type ipip"),
    (2, {"tun_type": 1, "tun_port": 6080, "tun_flags": 1}, "-i", " --tun-type gue --tun-port 6080 --tun-csum"),
    (2, {"tun_type": 1, "tun_port": 7000, "tun_flags": 0}, "-i", " --tun-type gue --tun-port 7000 --tun-nocsum"),
    (2, {"tun_type": 2, "tun_flags": 1}, "-i", " --tun-type gre --tun-csum"),
    (2, {"tun_type": 2, "tun_flags": 0}, "-i", " --tun-type gre --tun-nocsum"),
]


class Model:
    """The known valid changes and what `ipvsadm -S -n` must show after them."""

    def __init__(self, r):
        self.r = r
        self.svcs = {}  # (vip, port) -> [sched, {rs: weight}, laddrs]
        self.steps = 0

    def step(self, g):
        r = self.r
        self.steps += 1
        if not self.svcs or r.random() < 0.3:
            vip = r.choice(VIPS)
            port = 1000 + len(self.svcs) + self.steps
            sched = r.choice(["rr", "wrr", "wlc", "sh", "mh"])
            self.svcs[(vip, port)] = [sched, {}, set()]
            return n.NEW_SERVICE, n.nest(n.CMD_SERVICE, n.svc_full("tcp", vip, port, sched=sched))
        key = r.choice(sorted(self.svcs))
        vip, six = key[0], n.family(key[0]) == n.AF_INET6
        s = self.svcs[key]
        sid = n.nest(n.CMD_SERVICE, n.svc_id("tcp", vip, key[1]))
        k = r.random()
        if k < 0.4 or not s[1]:
            rs_of = (lambda: "2001:db8:1::%x" % r.randint(0x20, 0xc8)) if six else (lambda: "198.51.100.%d" % r.randint(20, 200))
            rs = rs_of()
            while rs in s[1]:
                rs = rs_of()
            w, k = r.randint(0, 100), r.randrange(len(METHODS))
            s[1][rs] = (w, k)
            return n.NEW_DEST, sid + n.nest(n.CMD_DEST, n.dest_full(rs, 8080, fwd=METHODS[k][0], weight=w, **METHODS[k][1]))
        if k < 0.55:
            rs = r.choice(sorted(s[1]))
            s[1][rs] = (w, k) = (r.randint(0, 100), r.randrange(len(METHODS)))
            return n.SET_DEST, sid + n.nest(n.CMD_DEST, n.dest_full(rs, 8080, fwd=METHODS[k][0], weight=w, **METHODS[k][1]))
        if k < 0.65:
            rs = r.choice(sorted(s[1]))
            del s[1][rs]
            return n.DEL_DEST, sid + n.nest(n.CMD_DEST, n.nla(n.DEST_ADDR, n.addr16(rs)) + n.nla(n.DEST_PORT, struct.pack(">H", 8080)))
        if k < 0.75:
            s[0] = r.choice(["rr", "wrr", "lc", "sed", "nq"])
            return n.SET_SERVICE, n.nest(n.CMD_SERVICE, n.svc_full("tcp", vip, key[1], sched=s[0]))
        if k < 0.9:
            # An IPv6 service's local addresses: IPv6, or IPv4 (NAT64)
            # named by the family attribute.
            if six and r.random() < 0.6:
                la = "2001:db8:1::%x" % r.randint(0xc9, 0xfa)
            else:
                la = "198.51.100.%d" % r.randint(201, 250)
            cmd = n.DEL_LADDR if la in s[2] else n.NEW_LADDR
            (s[2].discard if la in s[2] else s[2].add)(la)
            fam = n.nla(n.LADDR_ADDR_FAMILY, struct.pack("=H", n.AF_INET)) if six and n.family(la) == n.AF_INET else b""
            return cmd, sid + n.nest(n.CMD_LADDR, n.nla(n.LADDR_ADDR, n.addr16(la)) + fam)
        if k < 0.95:
            del self.svcs[key]
            return n.DEL_SERVICE, sid
        return n.ZERO, sid

    def expect(self):
        """ipvsadm -S -n's lines: services by family, then address and port;
        real servers by address."""
        out = []
        fmt = lambda a, p: ("[%s]:%d" if n.family(a) == n.AF_INET6 else "%s:%d") % (a, p)
        for (vip, port), (sched, dests, _) in sorted(self.svcs.items(), key=lambda x: (n.family(x[0][0]), ipaddress.ip_address(x[0][0]), x[0][1])):
            out.append("-A -t %s -s %s" % (fmt(vip, port), sched))
            for rs, (w, k) in sorted(dests.items(), key=lambda x: ipaddress.ip_address(x[0])):
                out.append("-a -t %s -r %s %s -w %d%s" % (fmt(vip, port), fmt(rs, 8080), METHODS[k][2], w, METHODS[k][3]))
        return out

    def laddrs(self):
        return {k: sorted(v[2]) for k, v in self.svcs.items()}


def main():
    count, secs, seed = int(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3])
    r = random.Random(seed)
    g = n.Genl()
    model = Model(r)
    end = time.monotonic() + secs
    stats = {"refused": 0, "answered": 0, "valid": 0}
    for i in range(count):
        if time.monotonic() > end:
            break
        if i % 25 == 0:
            cmd, a = model.step(g)
            err, msg, _ = g.request(cmd, a)
            if err:
                sys.exit("valid change %d refused: errno %d %r" % (cmd, err, msg))
            stats["valid"] += 1
            continue
        kind = r.random()
        reserved = 0
        if kind < 0.05:
            cmd = r.choice([0] + list(range(21, 256)))
            a, must_fail = attrs(r, "cmd", 0), True
        elif kind < 0.45:
            cmd = r.choice(sorted(READS))
            a, must_fail = attrs(r, "cmd", 0), False
            if cmd in (n.GET_DEST, n.GET_LADDR, n.GET_SERVICE) and r.random() < 0.5:
                a = n.nest(n.CMD_SERVICE, n.svc_id(r.choice(["tcp", "udp"]), r.choice(VIPS), r.choice(sorted(p for _, p in model.svcs) or [1])))
        else:
            cmd = r.choice(sorted(CHANGES))
            a, must_fail = defect(r), True
            if r.random() < 0.05:
                a, reserved = attrs(r, "cmd", 0), r.randint(1, 0xFFFF)
        dump = r.random() < 0.3
        data = g.build(cmd, a, dump=dump, reserved=reserved)
        if must_fail and r.random() < 0.03:
            # Shorter than the genetlink header.
            cut = r.randint(16, 19)
            data = struct.pack("=I", cut) + data[4:cut]
        g.send_raw(data)
        err, msg, msgs = g.replies(g.seq)
        if must_fail and err == 0:
            sys.exit("request %d (cmd %d, dump %s) was accepted: %s" % (i, cmd, dump, data.hex()))
        for _, body in msgs:
            n.parse(body)
        stats["refused" if err else "answered"] += 1
    # LADDRs as the model has them.
    for (vip, port), want in model.laddrs().items():
        err, msg, msgs = g.request(n.GET_LADDR, n.nest(n.CMD_SERVICE, n.svc_id("tcp", vip, port)), dump=True)
        got = []
        for _, b in msgs:
            la = n.parse(n.parse(b)[n.CMD_LADDR])
            af = struct.unpack("=H", la[n.LADDR_ADDR_FAMILY])[0] if n.LADDR_ADDR_FAMILY in la else n.family(vip)
            got.append(n.addr_text(af, la[n.LADDR_ADDR]))
        if err or sorted(got) != want:
            sys.exit("laddrs of %s:%d: %s, expected %s (errno %d)" % (vip, port, sorted(got), want, err))
    print("# %s" % stats)
    print("EXPECT")
    for line in model.expect():
        print(line)


if __name__ == "__main__":
    main()
