#!/usr/bin/env python3
"""A tiny raw generic netlink client of the "IPVS" family (tests only).

Library: Genl().request(cmd, attrs, dump=False) -> (errno, extack message,
[(cmd, attrs bytes)]); nla()/nest()/svc_id()/parse() build and read
attributes (numbering as core/src/ipvs_nl.rs).

Command line:
  ipvsnl.py add-laddr|del-laddr tcp|udp VIP:PORT LADDR
  ipvsnl.py get-laddr tcp|udp VIP:PORT   -> "LADDR conflicts N conns N" lines
  ipvsnl.py errors                       -> checks refusals (errno + extack)
"""
import errno as E
import socket
import struct
import sys

NETLINK_GENERIC = 16
SOL_NETLINK = 270
NETLINK_CAP_ACK = 10
NETLINK_EXT_ACK = 11
NLM_F_REQUEST, NLM_F_ACK, NLM_F_DUMP = 1, 4, 0x300
NLM_F_ACK_TLVS = 0x200
NLMSG_ERROR, NLMSG_DONE = 2, 3
GENL_ID_CTRL, CTRL_CMD_GETFAMILY = 0x10, 3
CTRL_ATTR_FAMILY_ID, CTRL_ATTR_FAMILY_NAME = 1, 2
NLA_F_NESTED = 0x8000

# core/src/ipvs_nl.rs
(NEW_SERVICE, SET_SERVICE, DEL_SERVICE, GET_SERVICE, NEW_DEST, SET_DEST, DEL_DEST, GET_DEST,
 NEW_DAEMON, DEL_DAEMON, GET_DAEMON, SET_CONFIG, GET_CONFIG, SET_INFO, GET_INFO, ZERO, FLUSH,
 NEW_LADDR, DEL_LADDR, GET_LADDR) = range(1, 21)
CMD_SERVICE, CMD_DEST, CMD_DAEMON, CMD_TIMEOUT_TCP, CMD_TIMEOUT_TCP_FIN, CMD_TIMEOUT_UDP, CMD_LADDR = range(1, 8)
SVC_AF, SVC_PROTOCOL, SVC_ADDR, SVC_PORT, SVC_FWMARK, SVC_SCHED, SVC_FLAGS, SVC_TIMEOUT, SVC_NETMASK = range(1, 10)
SVC_PE_NAME = 11
DEST_ADDR, DEST_PORT, DEST_FWD, DEST_WEIGHT, DEST_U_THRESH, DEST_L_THRESH = range(1, 7)
DEST_ADDR_FAMILY = 11
DEST_TUN_TYPE = 13
DEST_TUN_PORT = 14
DEST_TUN_FLAGS = 15
LADDR_ADDR, LADDR_PORT_CONFLICT, LADDR_CONN_COUNTS, LADDR_ADDR_FAMILY = 1, 2, 3, 4
AF_INET, AF_INET6 = 2, 10
PROTO = {"tcp": 6, "udp": 17}


def nla(t, data):
    n = 4 + len(data)
    return struct.pack("=HH", n, t) + data + b"\0" * ((4 - n % 4) % 4)


def nest(t, *parts):
    return nla(t | NLA_F_NESTED, b"".join(parts))


def parse(buf):
    """Attributes of buf as {type: bytes} (flags masked off)."""
    out, i = {}, 0
    while i + 4 <= len(buf):
        n, t = struct.unpack_from("=HH", buf, i)
        if n < 4:
            break
        out[t & 0x3FFF] = buf[i + 4:i + n]
        i += (n + 3) & ~3
    return out


def family(a):
    """AF_INET6 for an IPv6 address in text form, AF_INET otherwise."""
    return AF_INET6 if ":" in a else AF_INET


def addr16(a):
    """The 16 bytes of an address attribute (IPv4: 4 and zeros)."""
    if family(a) == AF_INET6:
        return socket.inet_pton(socket.AF_INET6, a)
    return socket.inet_aton(a) + b"\0" * 12


def addr_text(af, raw):
    """An address attribute back to text."""
    return socket.inet_ntop(socket.AF_INET6, raw[:16]) if af == AF_INET6 else socket.inet_ntoa(raw[:4])


def svc_id(proto, vip, port):
    return (nla(SVC_AF, struct.pack("=H", family(vip))) + nla(SVC_PROTOCOL, struct.pack("=H", PROTO[proto]))
            + nla(SVC_ADDR, addr16(vip)) + nla(SVC_PORT, struct.pack(">H", port)))


def svc_full(proto, vip, port, sched="rr", flags=0, mask=0xFFFFFFFF, timeout=0, netmask=None):
    """A service as ipvsadm sends it; the netmask of an IPv6 one is a prefix
    length in host order (128 unless given)."""
    if netmask is None:
        nm = struct.pack("=I", 128) if family(vip) == AF_INET6 else struct.pack(">I", 0xFFFFFFFF)
    else:
        nm = struct.pack("=I", netmask) if family(vip) == AF_INET6 else struct.pack(">I", netmask)
    return (svc_id(proto, vip, port) + nla(SVC_SCHED, sched.encode() + b"\0")
            + nla(SVC_FLAGS, struct.pack("=II", flags, mask)) + nla(SVC_TIMEOUT, struct.pack("=I", timeout))
            + nla(SVC_NETMASK, nm))


def svc6(vip, plen, alen=16):
    """An IPv6 service as ipvsadm sends it: the prefix length in host order
    (`alen`: bytes of the address sent)."""
    return (nla(SVC_AF, struct.pack("=H", AF_INET6)) + nla(SVC_PROTOCOL, struct.pack("=H", PROTO["tcp"]))
            + nla(SVC_ADDR, socket.inet_pton(socket.AF_INET6, vip)[:alen]) + nla(SVC_PORT, struct.pack(">H", 80))
            + nla(SVC_SCHED, b"rr\0") + nla(SVC_FLAGS, struct.pack("=II", 0, 0xFFFFFFFF))
            + nla(SVC_TIMEOUT, struct.pack("=I", 0)) + nla(SVC_NETMASK, struct.pack("=I", plen)))


def dest_full(rs, port, fwd=0, weight=1, u=0, l=0, tun_type=None, tun_port=None, tun_flags=None):
    """A real server's attributes; tun_type, tun_port, tun_flags: the
    tunnel attributes' values (each left out if None)."""
    tun = b"" if tun_type is None else nla(DEST_TUN_TYPE, bytes([tun_type]))
    tun += b"" if tun_port is None else nla(DEST_TUN_PORT, struct.pack(">H", tun_port))
    tun += b"" if tun_flags is None else nla(DEST_TUN_FLAGS, struct.pack("=H", tun_flags))
    return (nla(DEST_ADDR, addr16(rs)) + nla(DEST_PORT, struct.pack(">H", port)) + nla(DEST_FWD, struct.pack("=I", fwd))
            + nla(DEST_WEIGHT, struct.pack("=I", weight)) + nla(DEST_U_THRESH, struct.pack("=I", u))
            + nla(DEST_L_THRESH, struct.pack("=I", l)) + tun)


class Genl:
    def __init__(self, name="IPVS"):
        self.s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_GENERIC)
        self.s.bind((0, 0))
        self.s.setsockopt(SOL_NETLINK, NETLINK_EXT_ACK, 1)
        self.s.setsockopt(SOL_NETLINK, NETLINK_CAP_ACK, 1)
        self.s.settimeout(5)
        self.seq = 1
        err, _, msgs = self.request(CTRL_CMD_GETFAMILY, nla(CTRL_ATTR_FAMILY_NAME, name.encode() + b"\0"),
                                    family=GENL_ID_CTRL, version=1)
        if err:
            raise OSError(err, "family %s not found" % name)
        self.family = struct.unpack("=H", parse(msgs[0][1])[CTRL_ATTR_FAMILY_ID][:2])[0]

    def close(self):
        self.s.close()

    def send_raw(self, data):
        self.s.send(data)

    def build(self, cmd, attrs, dump=False, family=None, version=1, flags=None, reserved=0):
        if flags is None:
            flags = NLM_F_REQUEST | NLM_F_ACK | (NLM_F_DUMP if dump else 0)
        self.seq += 1
        body = struct.pack("=BBH", cmd, version, reserved) + attrs
        return struct.pack("=IHHII", 16 + len(body), self.family if family is None else family, flags, self.seq, 0) + body

    def request(self, cmd, attrs=b"", dump=False, family=None, version=1):
        self.s.send(self.build(cmd, attrs, dump, family, version))
        return self.replies(self.seq)

    def replies(self, seq):
        """(errno, extack, [(cmd, attrs)]) for the request numbered seq:
        errno from the ack (0 = success) or from NLMSG_DONE of a dump."""
        msgs = []
        while True:
            buf = self.s.recv(65536)
            i = 0
            while i + 16 <= len(buf):
                n, t, fl, s, _ = struct.unpack_from("=IHHII", buf, i)
                if n < 16:
                    raise ValueError("bad netlink length")
                body = buf[i + 16:i + n]
                i += (n + 3) & ~3
                if s != seq:
                    continue
                if t == NLMSG_ERROR:
                    err = -struct.unpack_from("=i", body)[0]
                    return err, extack(body[20:] if fl & NLM_F_ACK_TLVS else b""), msgs
                if t == NLMSG_DONE:
                    err = -struct.unpack_from("=i", body)[0] if len(body) >= 4 else 0
                    return err, extack(body[4:] if fl & NLM_F_ACK_TLVS else b""), msgs
                msgs.append((body[0], body[4:]))


def extack(tlvs):
    m = parse(tlvs).get(1)
    return m.rstrip(b"\0").decode() if m else ""


def main(argv):
    g = Genl()
    if argv[0] in ("add-laddr", "del-laddr", "get-laddr"):
        proto, vip = argv[1], argv[2]
        a, p = vip.rsplit(":", 1)
        sid = nest(CMD_SERVICE, svc_id(proto, a, int(p)))
        if argv[0] == "get-laddr":
            err, msg, msgs = g.request(GET_LADDR, sid, dump=True)
            if err:
                sys.exit("get-laddr: %s (%s)" % (E.errorcode.get(err, err), msg))
            for c, attrs in msgs:
                top = parse(attrs)
                l = parse(top[CMD_LADDR])
                print("%s conflicts %d conns %d" % (socket.inet_ntoa(l[LADDR_ADDR][:4]),
                                                    struct.unpack("=Q", l[LADDR_PORT_CONFLICT])[0],
                                                    struct.unpack("=I", l[LADDR_CONN_COUNTS])[0]))
            return
        cmd = NEW_LADDR if argv[0] == "add-laddr" else DEL_LADDR
        err, msg, _ = g.request(cmd, sid + nest(CMD_LADDR, nla(LADDR_ADDR, addr16(argv[3]))))
        if err:
            sys.exit("%s: %s (%s)" % (argv[0], E.errorcode.get(err, err), msg))
        return
    if argv[0] == "errors":
        errors(g)
        return
    sys.exit("unknown command")


def errors(g):
    """Each refusal: errno and extack message as documented in src/genl.rs."""
    S = lambda *p: nest(CMD_SERVICE, *p)
    vip = "192.0.2.100"
    cases = [
        ("no service", NEW_SERVICE, b"", E.EINVAL, "CMD_ATTR_SERVICE is missing"),
        ("fwmark", NEW_SERVICE, S(nla(SVC_AF, struct.pack("=H", AF_INET)), nla(SVC_FWMARK, struct.pack("=I", 1))),
         E.EOPNOTSUPP, "fwmark services are not supported"),
        # An IPv6 real server behind an IPv4 service (NAT46) is refused in
        # one place (config.rs); the other way round is NAT64.
        ("ipv6 dest", NEW_DEST, S(svc_id("tcp", vip, 80)) + nest(CMD_DEST, nla(DEST_ADDR_FAMILY, struct.pack("=H", AF_INET6))
                                                           + dest_full("198.51.100.19", 80)),
         E.EAFNOSUPPORT, "NAT46 is not supported"),
        ("ipv6 prefix", NEW_SERVICE, S(svc6("2001:db8::100", 0)), E.EINVAL, "prefix length (1..128)"),
        ("ipv6 short", NEW_SERVICE, S(svc6("2001:db8::100", 64, alen=4)), E.EINVAL, "holds 16 bytes"),
        ("ipv6 mapped", NEW_SERVICE, S(svc6("::ffff:192.0.2.100", 64)), E.EINVAL, "IPv4-mapped"),
        ("family", NEW_SERVICE, S(nla(SVC_AF, struct.pack("=H", 7)), svc_full("tcp", vip, 81)[8:]),
         E.EAFNOSUPPORT, "AF_INET or AF_INET6"),
        ("sched", NEW_SERVICE, S(svc_full("tcp", vip, 81, sched="xyz")), E.ENOENT, "unknown scheduler"),
        ("pe", NEW_SERVICE, S(svc_full("tcp", vip, 81) + nla(SVC_PE_NAME, b"sip\0")), E.ENOENT, "persistence engines"),
        ("identity only", NEW_SERVICE, S(svc_id("tcp", vip, 81)), E.EINVAL, "SCHED_NAME, FLAGS, TIMEOUT and NETMASK"),
        ("onepacket", NEW_SERVICE, S(svc_full("udp", vip, 81, flags=4)), E.EOPNOTSUPP, "one-packet"),
        ("persist 0", NEW_SERVICE, S(svc_full("tcp", vip, 81, flags=1, timeout=0)), E.ERANGE, "persistence timeout"),
        ("exists", NEW_SERVICE, S(svc_full("tcp", vip, 80)), E.EEXIST, "service already exists"),
        ("no such svc", DEL_SERVICE, S(svc_id("tcp", vip, 9)), E.ESRCH, "no such service"),
        ("local node", NEW_DEST, S(svc_id("tcp", vip, 80)) + nest(CMD_DEST, dest_full("198.51.100.19", 80, fwd=1)),
         E.EOPNOTSUPP, "rvs forwards by FULLNAT, NAT (-m), direct routing and tunnelling only (no local node)"),
        ("gue port", NEW_DEST, S(svc_id("tcp", vip, 80)) + nest(CMD_DEST, dest_full("198.51.100.19", 80, fwd=2, tun_type=1)),
         E.EINVAL, "a GUE tunnel needs its UDP port"),
        ("tunnel type range", NEW_DEST, S(svc_id("tcp", vip, 80)) + nest(CMD_DEST, dest_full("198.51.100.19", 80, fwd=2, tun_type=7)),
         E.EINVAL, "tunnel type out of range"),
        ("weight", NEW_DEST, S(svc_id("tcp", vip, 80)) + nest(CMD_DEST, dest_full("198.51.100.19", 80, weight=70000)),
         E.ERANGE, "weight out of range"),
        ("thresholds", NEW_DEST, S(svc_id("tcp", vip, 80)) + nest(CMD_DEST, dest_full("198.51.100.19", 80, u=5, l=6)),
         E.ERANGE, "lower threshold"),
        ("no dest", NEW_DEST, S(svc_id("tcp", vip, 80)), E.EINVAL, "CMD_ATTR_DEST is missing"),
        ("no such dest", DEL_DEST, S(svc_id("tcp", vip, 80)) + nest(CMD_DEST, dest_full("198.51.100.99", 80)),
         E.ENOENT, "no such real server"),
        ("no laddr", NEW_LADDR, S(svc_id("tcp", vip, 80)), E.EINVAL, "CMD_ATTR_LADDR is missing"),
        # rvs's LADDR_ADDR_FAMILY (NAT64's IPv4 local addresses): a family
        # that is none, and an IPv6 one for an IPv4 service (NAT46).
        ("laddr family", NEW_LADDR, S(svc_id("tcp", vip, 80)) + nest(CMD_LADDR, nla(LADDR_ADDR, addr16("198.51.100.209"))
                                                                + nla(LADDR_ADDR_FAMILY, struct.pack("=H", 7))),
         E.EAFNOSUPPORT, "AF_INET or AF_INET6"),
        ("laddr nat46", NEW_LADDR, S(svc_id("tcp", vip, 80)) + nest(CMD_LADDR, nla(LADDR_ADDR, socket.inet_pton(socket.AF_INET6, "2001:db8:1::209"))
                                                               + nla(LADDR_ADDR_FAMILY, struct.pack("=H", AF_INET6))),
         E.EAFNOSUPPORT, "NAT46 is not supported"),
        ("laddr family length", NEW_LADDR, S(svc_id("tcp", vip, 80)) + nest(CMD_LADDR, nla(LADDR_ADDR, addr16("198.51.100.209"))
                                                                       + nla(LADDR_ADDR_FAMILY, b"\2\0\0\0")),
         E.EINVAL, ""),
        ("timeout", SET_CONFIG, nla(CMD_TIMEOUT_TCP, struct.pack("=I", 100000)), E.ERANGE, "timeout out of range"),
        ("daemon", NEW_DAEMON, b"", E.EINVAL, "needs STATE, MCAST_IFN and SYNC_ID"),
        ("daemon state", NEW_DAEMON, nest(CMD_DAEMON, nla(1, struct.pack("=I", 3)) + nla(2, b"lo\0") + nla(3, struct.pack("=I", 1))),
         E.EINVAL, "master (1) or backup (2)"),
        ("daemon group", NEW_DAEMON, nest(CMD_DAEMON, nla(1, struct.pack("=I", 1)) + nla(2, b"lo\0") + nla(3, struct.pack("=I", 1))
                                          + nla(5, socket.inet_aton("192.0.2.1"))), E.EINVAL, "multicast"),
        ("daemon backup interface", NEW_DAEMON, nest(CMD_DAEMON, nla(1, struct.pack("=I", 2)) + nla(2, b"nosuch9\0") + nla(3, struct.pack("=I", 1))),
         E.ENODEV, "no such interface"),
        ("daemon backup stop", DEL_DAEMON, nest(CMD_DAEMON, nla(1, struct.pack("=I", 2))), E.ESRCH, "no sync daemon"),
        ("daemon interface", NEW_DAEMON, nest(CMD_DAEMON, nla(1, struct.pack("=I", 1)) + nla(2, b"nosuch9\0") + nla(3, struct.pack("=I", 1))),
         E.ENODEV, "no such interface"),
        ("daemon stop", DEL_DAEMON, nest(CMD_DAEMON, nla(1, struct.pack("=I", 1))), E.ESRCH, "no sync daemon"),
        # Refused by the kernel's strict policy check before rvs sees them.
        ("bad length", NEW_SERVICE, S(nla(SVC_AF, b"\2\0\0")), E.EINVAL, ""),
        ("unknown attr", GET_INFO, nla(9, b""), E.EINVAL, ""),
        ("not nested", NEW_SERVICE, nla(CMD_SERVICE, svc_full("tcp", vip, 81)), E.EINVAL, "NLA_F_NESTED"),
        ("set info", SET_INFO, b"", E.EOPNOTSUPP, ""),
    ]
    bad = 0
    for name, cmd, attrs, want, text in cases:
        err, msg, _ = g.request(cmd, attrs)
        ok = err == want and text in msg
        print("%s %s: %s %r" % ("ok" if ok else "BAD", name, E.errorcode.get(err, err), msg))
        bad += not ok
    err, msg, _ = g.request(GET_DEST, S(svc_id("tcp", vip, 9)), dump=True)
    ok = err == E.ESRCH and msg == "no such service"
    print("%s dump of unknown service: %s %r" % ("ok" if ok else "BAD", E.errorcode.get(err, err), msg))
    bad += not ok
    if bad:
        sys.exit("%d refusals not as documented" % bad)


if __name__ == "__main__":
    main(sys.argv[1:])
