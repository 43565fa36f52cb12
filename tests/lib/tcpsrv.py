#!/usr/bin/env python3
"""Test server for the real servers: one line of command per connection.

  PEER             -> "<name> <peer-ip> <peer-port>\n"
  SINK <n>         -> reads n bytes, answers "<name> <sha256>\n"
  SOURCE <n> <seed>-> sends n pseudo-random bytes (see client.py's stream())
  HOLD             -> answers "<name> <peer-ip> <peer-port>\n", keeps the
                      connection open until the client closes it

Usage: tcpsrv.py NAME ADDR PORT [udp]
"""
import hashlib, socket, socketserver, sys, threading

NAME, ADDR, PORT = sys.argv[1], sys.argv[2], int(sys.argv[3])
UDP = len(sys.argv) > 4 and sys.argv[4] == "udp"


def stream(n, seed):
    """Deterministic bytes: sha256 counter mode."""
    out, i = bytearray(), 0
    while len(out) < n:
        out += hashlib.sha256(f"{seed}:{i}".encode()).digest() * 64
        i += 1
    return bytes(out[:n])


class H(socketserver.StreamRequestHandler):
    def handle(self):
        line = self.rfile.readline().decode().split()
        if not line:
            return
        peer = self.connection.getpeername()
        if line[0] in ("PEER", "HOLD"):
            self.wfile.write(f"{NAME} {peer[0]} {peer[1]}\n".encode())
            self.wfile.flush()
            if line[0] == "HOLD":
                self.rfile.read()
        elif line[0] == "SINK":
            n, h = int(line[1]), hashlib.sha256()
            while n > 0:
                b = self.rfile.read(min(n, 65536))
                if not b:
                    break
                h.update(b)
                n -= len(b)
            self.wfile.write(f"{NAME} {h.hexdigest()}\n".encode())
        elif line[0] == "SOURCE":
            self.wfile.write(stream(int(line[1]), line[2]))


class S(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True
    request_queue_size = 512


if UDP:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((ADDR, PORT))
    while True:
        data, peer = s.recvfrom(65535)
        s.sendto(f"{NAME} {peer[0]} {peer[1]} {len(data)}\n".encode(), peer)
else:
    S((ADDR, PORT), H).serve_forever()
