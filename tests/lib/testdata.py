"""Deterministic test payloads shared by client.py and tcpsrv.py."""
import hashlib


def chunks(n, seed):
    """n bytes in 64 KiB chunks: sha256 in counter mode, keyed by seed."""
    i = 0
    while n > 0:
        c = hashlib.sha256(f"{seed}:{i}".encode()).digest() * 2048
        yield c[:n]
        n -= len(c)
        i += 1


def stream(n, seed):
    return b"".join(chunks(n, seed))
