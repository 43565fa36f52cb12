#!/usr/bin/env python3
"""A stream of short connections: connstream.py ADDR PORT SECONDS opens one
connection after another to ADDR:PORT (tcpsrv.py's PEER: the real
server's name and the client address its application sees) for SECONDS,
each with a 1 s timeout, and prints one line:
  ok=N failed=M longest_gap=S wrong_peer=K
longest_gap: the longest time in seconds between two successful
connections (the outage a client saw); wrong_peer: answers that did not
name this client's address."""
import socket, sys, time

addr, port, secs = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
ok = failed = wrong = 0
last_ok = start = time.monotonic()
gap = 0.0
while time.monotonic() - start < secs:
    try:
        s = socket.create_connection((addr, port), timeout=1)
        s.sendall(b"PEER\n")
        line = s.makefile().readline().split()
        me = s.getsockname()[0]
        s.close()
        if len(line) < 2:
            raise OSError("no answer")
        ok += 1
        wrong += line[1] != me
        now = time.monotonic()
        gap = max(gap, now - last_ok)
        last_ok = now
    except OSError:
        failed += 1
    time.sleep(0.02)
gap = max(gap, time.monotonic() - last_ok)
print(f"ok={ok} failed={failed} longest_gap={gap:.2f} wrong_peer={wrong}", flush=True)
