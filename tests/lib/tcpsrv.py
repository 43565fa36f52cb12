#!/usr/bin/env python3
"""Test server for the real servers: one line of command per connection.

  PEER             -> "<name> <peer-ip> <peer-port> <tcpi_options>\n"
  SINK <n>         -> reads n bytes, answers "<name> <sha256>\n"
  SOURCE <n> <seed>-> sends n pseudo-random bytes (see client.py's stream())
  HOLD             -> answers "<name> <peer-ip> <peer-port>\n", then echoes
                      every further line until the client closes; a line
                      "WHO" is answered with getpeername() as it is now

Usage: tcpsrv.py NAME ADDR PORT [udp]
  (UDP: each datagram is answered with "<name> <peer-ip> <peer-port> <len>";
  one that starts "BIG <n>" with an answer of n bytes starting so)
"""
import hashlib, os, socket, socketserver, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from testdata import chunks  # noqa: E402

NAME, ADDR, PORT = sys.argv[1], sys.argv[2], int(sys.argv[3])
UDP = len(sys.argv) > 4 and sys.argv[4] == "udp"




class H(socketserver.StreamRequestHandler):
    def handle(self):
        line = self.rfile.readline().decode().split()
        if not line:
            return
        peer = self.connection.getpeername()
        if line[0] in ("PEER", "HOLD"):
            # tcp_info byte 5: TCPI_OPT_TIMESTAMPS 1, SACK 2, WSCALE 4
            opts = self.connection.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 8)[5]
            self.wfile.write(f"{NAME} {peer[0]} {peer[1]} {opts}\n".encode())
            self.wfile.flush()
            if line[0] == "HOLD":
                for more in self.rfile:
                    if more == b"WHO\n":
                        p = self.connection.getpeername()
                        more = f"{p[0]} {p[1]}\n".encode()
                    self.wfile.write(more)
                    self.wfile.flush()
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
            for c in chunks(int(line[1]), line[2]):
                self.wfile.write(c)


FAMILY = socket.AF_INET6 if ":" in ADDR else socket.AF_INET


class S(socketserver.ThreadingTCPServer):
    address_family = FAMILY
    allow_reuse_address = True
    daemon_threads = True
    request_queue_size = 512


if UDP:
    s = socket.socket(FAMILY, socket.SOCK_DGRAM)
    s.bind((ADDR, PORT))
    while True:
        data, peer = s.recvfrom(65535)
        if data.startswith(b"BIG "):
            # An answer of the size asked for (larger than the link's MTU:
            # sent in fragments), starting with the usual line.
            head = f"{NAME} {peer[0]} {peer[1]} {len(data)}\n".encode()
            n = int(data.split()[1])
            s.sendto(head + b"b" * (n - len(head)), peer)
            continue
        s.sendto(f"{NAME} {peer[0]} {peer[1]} {len(data)}\n".encode(), peer)
else:
    S((ADDR, PORT), H).serve_forever()
