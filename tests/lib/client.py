#!/usr/bin/env python3
"""Test client. Prints one result line per command, exits non-zero on error.

  client.py peers ADDR PORT N         N sequential connections, "PEER":
                                      prints "<name> <peer-ip> <rs-tcpi-options>
                                      <client-mss>" per line
  client.py upload ADDR PORT BYTES    sends BYTES, checks the RS's sha256
  client.py download ADDR PORT BYTES  receives BYTES, checks their sha256
  client.py hold ADDR PORT N          opens N connections at once, prints
                                      how many got an answer, holds them
                                      until stdin closes
  client.py udp ADDR PORT N           N datagrams from N source ports (42000..)
"""
import hashlib, os, socket, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from testdata import chunks, stream  # noqa: E402




def conn(addr, port, timeout=10):
    s = socket.create_connection((addr, port), timeout=timeout)
    return s, s.makefile("rb")


def main():
    cmd, addr, port, n = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    if cmd == "peers":
        for _ in range(n):
            s, f = conn(addr, port)
            s.sendall(b"PEER\n")
            name, ip, _p, opts = f.readline().decode().split()
            print(name, ip, opts, s.getsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG))
            f.close()
            s.close()
    elif cmd == "upload":
        data = stream(n, "up")
        s, f = conn(addr, port, 120)
        s.sendall(f"SINK {n}\n".encode())
        s.sendall(data)
        name, digest = f.readline().decode().split()
        ok = digest == hashlib.sha256(data).hexdigest()
        print(name, "upload", n, "ok" if ok else "CORRUPT")
        sys.exit(0 if ok else 1)
    elif cmd == "download":
        s, f = conn(addr, port, 120)
        s.sendall(f"SOURCE {n} down\n".encode())
        want, got, total = hashlib.sha256(), hashlib.sha256(), 0
        for c in chunks(n, "down"):
            want.update(c)
            b = f.read(len(c))
            got.update(b)
            total += len(b)
            if len(b) < len(c):
                break
        ok = total == n and got.digest() == want.digest()
        print("download", total, "ok" if ok else "CORRUPT")
        sys.exit(0 if ok else 1)
    elif cmd == "hold":
        socks, answered = [], 0
        for _ in range(n):
            try:
                s, f = conn(addr, port, 5)
                s.sendall(b"HOLD\n")
                if f.readline():
                    answered += 1
                socks.append(s)
            except OSError:
                pass
        print("answered", answered, flush=True)
        sys.stdin.read()
    elif cmd == "udp":
        v6 = ":" in addr
        for i in range(n):
            s = socket.socket(socket.AF_INET6 if v6 else socket.AF_INET, socket.SOCK_DGRAM)
            # Distinct source ports: a reused ephemeral port would join an
            # earlier flow instead of making a new one.
            s.bind(("::" if v6 else "", 42000 + i))
            s.settimeout(5)
            s.sendto(b"x" * 32, (addr, port))
            name, ip, _p, ln = s.recvfrom(2048)[0].decode().split()
            print(name, ip)
            s.close()


main()
