#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""A DNS client for the end-to-end tests: asks SERVER for NAME's A or AAAA
records over UDP or TCP and prints the addresses, one a line.

  resolve.py SERVER NAME [--type A|AAAA] [--tcp]
"""
import argparse
import random
import socket
import struct
import sys


def query(name, qtype):
    head = struct.pack(">HHHHHH", random.randrange(65536), 0x0100, 1, 0, 0, 0)
    labels = b"".join(bytes([len(p)]) + p.encode() for p in name.split("."))
    return head + labels + b"\0" + struct.pack(">HH", qtype, 1)


def read_name(msg, off):
    """Skips a name; returns the offset behind it."""
    while True:
        n = msg[off]
        if n & 0xC0 == 0xC0:
            return off + 2
        if n == 0:
            return off + 1
        off += 1 + n


def addresses(msg, qtype):
    an = struct.unpack(">H", msg[6:8])[0]
    off = read_name(msg, 12) + 4
    out = []
    for _ in range(an):
        off = read_name(msg, off)
        rtype, _, _, rdlen = struct.unpack(">HHIH", msg[off:off + 10])
        off += 10
        if rtype == qtype:
            family = socket.AF_INET if qtype == 1 else socket.AF_INET6
            out.append(socket.inet_ntop(family, msg[off:off + rdlen]))
        off += rdlen
    return out


def main():
    p = argparse.ArgumentParser()
    p.add_argument("server")
    p.add_argument("name")
    p.add_argument("--type", choices=("A", "AAAA"), default="A")
    p.add_argument("--tcp", action="store_true")
    a = p.parse_args()
    qtype = 1 if a.type == "A" else 28
    family = socket.AF_INET6 if ":" in a.server else socket.AF_INET
    q = query(a.name, qtype)
    if a.tcp:
        s = socket.create_connection((a.server, 53), timeout=5)
        s.sendall(struct.pack(">H", len(q)) + q)
        buf = b""
        while len(buf) < 2 or len(buf) < 2 + struct.unpack(">H", buf[:2])[0]:
            chunk = s.recv(65536)
            if not chunk:
                sys.exit("resolve.py: connection closed early")
            buf += chunk
        msg = buf[2:]
    else:
        s = socket.socket(family, socket.SOCK_DGRAM)
        s.settimeout(5)
        s.sendto(q, (a.server, 53))
        msg, _ = s.recvfrom(65536)
    for addr in addresses(msg, qtype):
        print(addr)


if __name__ == "__main__":
    main()
