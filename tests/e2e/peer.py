#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Traffic and notification helpers for the end-to-end tests.

  peer.py serve --ready FILE --address ADDR... tcp:PORT udp:PORT ...
      Listens on every ADDRESS (IPv4 or IPv6). TCP: reads
      until the client shuts down its side, answers with REPLY_BYTES bytes,
      closes. UDP: answers every datagram with REPLY_BYTES bytes. Creates
      FILE once every socket is bound.

  peer.py connect tcp|udp ADDRESS PORT [--bind ADDRESS] [--sport N] [--send N] [--no-reply] [--count N]
      From --bind's address (default: as the route says) and port --sport
      (default: the kernel's choice), one TCP connection (send N bytes, shut down, read the answer to the
      end) or COUNT UDP datagrams from one socket (each answered, unless
      --no-reply). Fails when the answer does not come within 5 seconds.

      --pause MS: wait MS milliseconds between sending and shutting down
      (TCP). --timing FILE: write the nanoseconds from before connect() to
      after close() there, the bound the connection's duration must fit in.
      --unanswered SECONDS (TCP): expect no answer at all; the SYN and its
      retransmissions go out for SECONDS, then the socket is closed.
      --port-file FILE: write the source port there (the kernel's choice
      unless --sport), so that a test finds its entries by the port the
      real world would use.

  peer.py stream ADDRESS PORT --chunk BYTES --chunks N --sync DIR
      One TCP connection that stays open: sends N chunks of BYTES bytes;
      after chunk i it creates DIR/sent-i and waits (up to 120 s) for
      DIR/go-i before going on; then shuts down and reads the answer.

  peer.py many FILE
      Many connections from one process, each from a new socket and so a
      port the kernel picks: FILE has lines "PROTO ADDRESS PORT TIMES", taken
      round-robin until every line has had its TIMES. UDP sockets stay open
      to the end, so that the kernel never gives a port twice to one
      destination (that would be the same flow again). Prints the count.

  peer.py notify SOCKET
      A sd_notify(3) receiver: prints every message, one assignment a line.

The byte counts are fixed so that the tests can check the kernel's
accounting: a UDP datagram with N payload bytes is N + 28 bytes on IPv4 and
N + 48 on IPv6.
"""

import argparse
import errno
import os
import resource
import selectors
import socket
import sys
import time

REPLY_BYTES = 100


def listeners(spec, addresses):
    proto, port = spec.split(":")
    port = int(port)
    kind = socket.SOCK_STREAM if proto == "tcp" else socket.SOCK_DGRAM
    socks = []
    # One socket per address: a UDP answer then leaves from the address the
    # question went to, as a NAT expects.
    for addr in addresses:
        family = socket.AF_INET6 if ":" in addr else socket.AF_INET
        s = socket.socket(family, kind)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((addr, port))
        if kind == socket.SOCK_STREAM:
            s.listen(64)
        s.setblocking(False)
        socks.append((proto, s))
    return socks


def serve(args):
    sel = selectors.DefaultSelector()
    for spec in args.specs:
        for proto, s in listeners(spec, args.address):
            sel.register(s, selectors.EVENT_READ, ("listen-" + proto, None))
    with open(args.ready, "w"):
        pass
    reply = b"r" * REPLY_BYTES
    while True:
        for key, _ in sel.select():
            role, _ = key.data
            s = key.fileobj
            if role == "listen-tcp":
                try:
                    c, _ = s.accept()
                except BlockingIOError:
                    continue
                c.setblocking(False)
                sel.register(c, selectors.EVENT_READ, ("conn", None))
            elif role == "listen-udp":
                try:
                    data, peer = s.recvfrom(65535)
                except BlockingIOError:
                    continue
                s.sendto(reply, peer)
            else:
                try:
                    data = s.recv(65536)
                except (BlockingIOError, ConnectionError):
                    data = None
                if data:
                    continue
                sel.unregister(s)
                if data == b"":
                    s.setblocking(True)
                    s.settimeout(5)
                    try:
                        s.sendall(reply)
                    except OSError:
                        pass
                s.close()


def many(args):
    todo = []
    with open(args.file) as f:
        for line in f:
            proto, address, port, times = line.split()
            todo.append([argparse.Namespace(proto=proto, address=address, port=int(port), sport=0,
                                            bind="", send=10, count=1, no_reply=False), int(times)])
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    kept, n = [], 0
    while todo:
        for item in todo:
            kept.append(connect(item[0], keep=item[0].proto == "udp"))
            item[1] -= 1
            n += 1
        todo = [item for item in todo if item[1] > 0]
    print(f"connections={n}")


def unanswered(s, args):
    """A TCP connect that nobody answers: SYNs for args.unanswered seconds."""
    s.setblocking(False)
    err = s.connect_ex((args.address, args.port))
    if err not in (errno.EINPROGRESS, errno.EAGAIN):
        sys.exit(f"tcp {args.address} {args.port}: connect: {os.strerror(err)}")
    write_port(s, args)
    sel = selectors.DefaultSelector()
    sel.register(s, selectors.EVENT_WRITE)
    if sel.select(args.unanswered):
        err = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
        sys.exit(f"tcp {args.address} {args.port}: answered ({os.strerror(err) if err else 'connected'})")
    s.close()


def connect(args, keep=False):
    family = socket.AF_INET6 if ":" in args.address else socket.AF_INET
    kind = socket.SOCK_STREAM if args.proto == "tcp" else socket.SOCK_DGRAM
    began = time.monotonic_ns()
    s = socket.socket(family, kind)
    s.settimeout(5)
    if args.sport or args.bind:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((args.bind or ("::" if family == socket.AF_INET6 else "0.0.0.0"), args.sport))
    payload = b"s" * args.send
    if kind == socket.SOCK_STREAM and getattr(args, "unanswered", 0):
        unanswered(s, args)
        return None
    if kind == socket.SOCK_STREAM:
        s.connect((args.address, args.port))
        write_port(s, args)
        s.sendall(payload)
        if getattr(args, "pause", 0):
            time.sleep(args.pause / 1000)
        s.shutdown(socket.SHUT_WR)
        read_reply(s, f"tcp {args.address} {args.port}")
    else:
        for i in range(args.count):
            s.sendto(payload, (args.address, args.port))
            if i == 0:
                write_port(s, args)
            if args.no_reply:
                continue
            got, _ = s.recvfrom(65535)
            if len(got) != REPLY_BYTES:
                sys.exit(f"udp {args.address} {args.port}: got {len(got)} bytes, expected {REPLY_BYTES}")
    if keep:
        return s
    s.close()
    if getattr(args, "timing", ""):
        with open(args.timing, "w") as f:
            f.write(f"{time.monotonic_ns() - began}\n")
    return None


def write_port(s, args):
    """--port-file: the source port, known once the socket is bound."""
    if getattr(args, "port_file", ""):
        with open(args.port_file, "w") as f:
            f.write(f"{s.getsockname()[1]}\n")


def read_reply(s, what):
    """The server's whole reply, up to its close; exits unless it is REPLY_BYTES."""
    got = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        got += chunk
    if len(got) != REPLY_BYTES:
        sys.exit(f"{what}: got {len(got)} bytes, expected {REPLY_BYTES}")


def wait_for(path, seconds):
    deadline = time.monotonic() + seconds
    while not os.path.exists(path):
        if time.monotonic() > deadline:
            sys.exit(f"stream: no {path} within {seconds} s")
        time.sleep(0.05)


def stream(args):
    s = socket.create_connection((args.address, args.port), timeout=5)
    chunk = b"s" * args.chunk
    for i in range(1, args.chunks + 1):
        s.sendall(chunk)
        with open(os.path.join(args.sync, f"sent-{i}"), "w"):
            pass
        wait_for(os.path.join(args.sync, f"go-{i}"), 120)
    s.shutdown(socket.SHUT_WR)
    read_reply(s, "stream")
    s.close()


def notify(args):
    try:
        os.unlink(args.socket)
    except FileNotFoundError:
        pass
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind(args.socket)
    os.chmod(args.socket, 0o777)
    while True:
        data = s.recv(65536)
        for line in data.decode(errors="replace").splitlines():
            print(line, flush=True)


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    ps = sub.add_parser("serve")
    ps.add_argument("--ready", required=True)
    ps.add_argument("--address", action="append", required=True)
    ps.add_argument("specs", nargs="+")
    pc = sub.add_parser("connect")
    pc.add_argument("proto", choices=("tcp", "udp"))
    pc.add_argument("address")
    pc.add_argument("port", type=int)
    pc.add_argument("--sport", type=int, default=0)
    pc.add_argument("--bind", default="")
    pc.add_argument("--send", type=int, default=10)
    pc.add_argument("--count", type=int, default=1)
    pc.add_argument("--no-reply", action="store_true")
    pc.add_argument("--pause", type=int, default=0)
    pc.add_argument("--timing", default="")
    pc.add_argument("--unanswered", type=float, default=0)
    pc.add_argument("--port-file", default="")
    pt = sub.add_parser("stream")
    pt.add_argument("address")
    pt.add_argument("port", type=int)
    pt.add_argument("--chunk", type=int, required=True)
    pt.add_argument("--chunks", type=int, required=True)
    pt.add_argument("--sync", required=True)
    pm = sub.add_parser("many")
    pm.add_argument("file")
    pn = sub.add_parser("notify")
    pn.add_argument("socket")
    args = p.parse_args()
    try:
        {"serve": serve, "connect": connect, "stream": stream, "many": many, "notify": notify}[args.cmd](args)
    except (OSError, socket.timeout) as e:
        sys.exit(f"peer.py {args.cmd}: {e}")


if __name__ == "__main__":
    main()
