#!/usr/bin/env python3
"""What a real server's application sees of its clients, for the toa.ko
tests. Listens on each ADDR:PORT given (an IPv6 address: an AF_INET6
socket, dual-stack unless "v6only" follows; else AF_INET). Every
connection's first line is answered with one line:

  <accept ip> <accept port> <getpeername ip> <getpeername port> <ip> <ip6> <short>

  ip, ip6  getsockopt(IPPROTO_IP resp. IPPROTO_IPV6, TOA_SO_GET_CLIENT6)
           with a 28-byte buffer: "[addr]:port" of the sockaddr_in6
           returned, or the errno's name (ip6 is "-" on an AF_INET socket)
  short    the same with a 27-byte buffer: "ok" or the errno's name

Usage: toasrv.py ADDR:PORT[:v6only] ...    (an IPv6 ADDR in brackets)
"""
import errno, selectors, socket, struct, sys, threading

SO_GET_CLIENT6 = 0x7200  # core/src/toa.rs, SO_GET_CLIENT6


def client6(c, level, size=28):
    try:
        b = c.getsockopt(level, SO_GET_CLIENT6, size)
    except OSError as e:
        return errno.errorcode.get(e.errno, str(e.errno))
    if size < 28:
        return "ok"
    fam, port = struct.unpack("=H", b[:2])[0], struct.unpack("!H", b[2:4])[0]
    if len(b) != 28 or fam != socket.AF_INET6:
        return "bad-reply:" + b.hex()
    return "[%s]:%d" % (socket.inet_ntop(socket.AF_INET6, b[8:24]), port)


def serve(c, a):
    with c:
        c.settimeout(20)
        f = c.makefile("rwb")
        if not f.readline():
            return
        p = c.getpeername()
        v6 = c.family == socket.AF_INET6
        fields = [a[0], a[1], p[0], p[1], client6(c, socket.IPPROTO_IP),
                  client6(c, socket.IPPROTO_IPV6) if v6 else "-", client6(c, socket.IPPROTO_IP, 27)]
        f.write((" ".join(map(str, fields)) + "\n").encode())
        f.flush()
        f.close()


sel = selectors.DefaultSelector()
for spec in sys.argv[1:]:
    v6only = spec.endswith(":v6only")
    spec = spec[:-len(":v6only")] if v6only else spec
    addr, port = spec.rsplit(":", 1)
    if addr.startswith("["):
        s = socket.socket(socket.AF_INET6)
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, int(v6only))
        addr = addr[1:-1]
    else:
        s = socket.socket(socket.AF_INET)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, int(port)))
    s.listen(64)
    sel.register(s, selectors.EVENT_READ)
print("ready", flush=True)
while True:
    for key, _ in sel.select():
        c, a = key.fileobj.accept()
        threading.Thread(target=serve, args=(c, a), daemon=True).start()
