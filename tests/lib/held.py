"""A connection held open through the VIP, for tests that change the
configuration under it: hold(vip) -> (file, server name, server address)."""
import socket
import subprocess


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
    """A text control command, written from the director's namespace (the
    services are its own); raises if rvs refuses it."""
    subprocess.run(["ip", "netns", "exec", "rvs-d", "sh", "-c",
                    'echo "$1" > /sys/module/rvs/parameters/ctl', "ctl", cmd],
                   check=True)
