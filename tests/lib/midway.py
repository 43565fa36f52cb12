#!/usr/bin/env python3
"""Transfers stopped halfway, for tests that change the director under
them: midway.py ADDR PORT BYTES opens an upload and a download of BYTES
each to ADDR:PORT (tcpsrv.py's SINK and SOURCE) and an echo connection
(HOLD), moves the first half of each transfer, prints "peer" and the
address the real server sees the echo connection from, then "half", waits
for a line on stdin; then it moves the rest, checks the sha256 of both
transfers and the echo, and prints one line per connection
("upload ok", "download ok", "echo ok"; CORRUPT or the error otherwise).
Exits non-zero unless all three are ok."""
import hashlib, os, socket, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from testdata import chunks, stream  # noqa: E402

addr, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
half = n // 2


def conn():
    s = socket.create_connection((addr, port), timeout=60)
    return s, s.makefile("rb")


up, upf = conn()
data = stream(n, "up")
up.sendall(f"SINK {n}\n".encode())
up.sendall(data[:half])

down, downf = conn()
down.sendall(f"SOURCE {n} down\n".encode())
want, got = hashlib.sha256(), hashlib.sha256()
for c in chunks(n, "down"):
    want.update(c)
received = downf.read(half)
got.update(received)

echo, echof = conn()
echo.sendall(b"HOLD\n")
# The address the real server's application sees the echo connection from.
print("peer", echof.readline().decode().split()[1], flush=True)

print("half", flush=True)
sys.stdin.readline()

ok = True
try:
    up.sendall(data[half:])
    name, digest = upf.readline().decode().split()
    good = digest == hashlib.sha256(data).hexdigest()
    print("upload", "ok" if good else "CORRUPT")
    ok &= good
except (OSError, ValueError) as e:
    print("upload", e)
    ok = False
try:
    rest = downf.read(n - half)
    got.update(rest)
    good = len(received) + len(rest) == n and got.digest() == want.digest()
    print("download", "ok" if good else "CORRUPT")
    ok &= good
except OSError as e:
    print("download", e)
    ok = False
try:
    echo.sendall(b"still here\n")
    good = echof.readline() == b"still here\n"
    print("echo", "ok" if good else "CORRUPT")
    ok &= good
except OSError as e:
    print("echo", e)
    ok = False
sys.exit(0 if ok else 1)
