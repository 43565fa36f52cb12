"""A connection held open through the VIP, for tests that change the
configuration under it: hold(vip) -> (file, server name, server address)."""
import socket


def hold(vip, servers):
    s = socket.create_connection((vip, 80), timeout=10)
    f = s.makefile("rwb")
    f.write(b"HOLD\n")
    f.flush()
    name = f.readline().split()[0].decode()
    return f, name, servers[name]


def peer(vip, timeout=10):
    """The name of the server a new connection reaches."""
    c = socket.create_connection((vip, 80), timeout=timeout)
    c.sendall(b"PEER\n")
    g = c.makefile()
    name = g.readline().split()[0]
    g.close()
    c.close()
    return name


def still_works(f):
    f.write(b"still here\n")
    f.flush()
    return f.readline() == b"still here\n"


def ctl(cmd):
    # ip netns exec keeps /sys of the initial namespace: the parameter is global.
    with open("/sys/module/rvs/parameters/ctl", "w") as c:
        c.write(cmd)
