#!/usr/bin/env python3
"""Descriptor exhaustion (issue 15, item 2): `watershed serve` under `ulimit -n LIMIT`, then more WSS subscribers
than the limit allows.

Usage: Benchmarks/descriptor-limit.py [--limit 1024] [--subscribers 1100] [--binary .build/debug/watershed]

Starts the server on free loopback ports with a fresh data directory, opens SUBSCRIBERS `/v1/stream?after=0`
WebSocket upgrades (viewer token, over TLS) from 8 threads, and counts those upgraded (101), those the server
closed without an answer (the connection cap), and other outcomes. Then it asks `/healthz` on a fresh connection
after closing half of the subscribers, reads `watershed_connections_refused_total` from `/metrics`, checks the
process is alive, and prints one JSON line of figures. Python's standard library only (socket, ssl).
"""
import argparse
import json
import queue
import os
import re
import selectors
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def read_head(sock, limit=5.0):
    sock.settimeout(limit)
    data = b""
    try:
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(4096)
            if not chunk:
                return data, True
            data += chunk
    except (socket.timeout, ssl.SSLError, ConnectionResetError):
        return data, True
    return data, False


def request(context, port, path):
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
        with context.wrap_socket(raw, server_hostname="localhost") as s:
            s.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode())
            data = b""
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
            return data.decode(errors="replace")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--limit", type=int, default=1024)
    parser.add_argument("--subscribers", type=int, default=1100)
    parser.add_argument("--binary", default=os.path.join(ROOT, ".build/debug/watershed"))
    args = parser.parse_args()

    data = tempfile.mkdtemp(prefix="watershed-fd-")
    port, peer_port = free_port(), free_port()
    log_path = os.path.join(data, "serve.log")
    log = open(log_path, "w")
    command = (
        f'ulimit -S -n {args.limit} && ulimit -H -n {args.limit} && exec "$0" "$@"'
    )
    server = subprocess.Popen(
        ["/bin/sh", "-c", command, args.binary, "serve", "--port", str(port), "--peer-port", str(peer_port),
         "--data", data, "--playbooks", os.path.join(ROOT, "playbooks"), "--seeds", os.path.join(ROOT, "seeds"),
         "--log-level", "info"],
        stdout=log, stderr=log)
    for _ in range(900):
        if "listening on" in open(log_path).read() or server.poll() is not None:
            break
        time.sleep(0.1)
    text = open(log_path).read()
    cap = int(re.search(r"connection cap (\d+)", text).group(1))
    context = ssl.create_default_context(cafile=os.path.join(data, "tls/ca.pem"))

    upgraded, refused, other = [], [0], [0]
    lock = threading.Lock()
    fresh = queue.Queue()
    stop = threading.Event()

    def answer_pings():
        """Reads every upgraded connection and answers the server's pings (every 10 s; a connection silent for 30 s
        is dropped), so the subscribers stay until the end."""
        selector = selectors.DefaultSelector()
        buffers = {}
        while not stop.is_set():
            while not fresh.empty():
                s = fresh.get()
                s.setblocking(False)
                selector.register(s, selectors.EVENT_READ)
                buffers[s] = b""
            for key, _ in selector.select(timeout=0.1):
                s = key.fileobj
                try:
                    while True:
                        chunk = s.recv(65536)
                        if not chunk:
                            selector.unregister(s)
                            break
                        buffers[s] += chunk
                except (ssl.SSLWantReadError, BlockingIOError):
                    pass
                except (OSError, ssl.SSLError):
                    selector.unregister(s)
                    continue
                data = buffers.get(s, b"")
                while len(data) >= 2:
                    opcode, length, offset = data[0] & 0x0F, data[1] & 0x7F, 2
                    if length == 126:
                        if len(data) < 4:
                            break
                        length, offset = int.from_bytes(data[2:4], "big"), 4
                    elif length == 127:
                        if len(data) < 10:
                            break
                        length, offset = int.from_bytes(data[2:10], "big"), 10
                    if len(data) < offset + length:
                        break
                    payload, data = data[offset:offset + length], data[offset + length:]
                    if opcode == 0x9:
                        mask = os.urandom(4)
                        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
                        try:
                            s.setblocking(True)
                            s.sendall(bytes([0x8A, 0x80 | len(payload)]) + mask + masked)
                            s.setblocking(False)
                        except OSError:
                            pass
                buffers[s] = data

    def open_subscribers(count):
        for _ in range(count):
            try:
                raw = socket.create_connection(("127.0.0.1", port), timeout=10)
                s = context.wrap_socket(raw, server_hostname="localhost")
                s.sendall(
                    b"GET /v1/stream?after=0 HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                    b"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                    b"Sec-WebSocket-Version: 13\r\nAuthorization: Bearer wsd-dev-viewer-gx\r\n\r\n")
                head, closed = read_head(s)
                if head.startswith(b"HTTP/1.1 101"):
                    with lock:
                        upgraded.append(s)
                    fresh.put(s)
                elif closed and not head:
                    with lock:
                        refused[0] += 1
                    s.close()
                else:
                    with lock:
                        other[0] += 1
                    s.close()
            except (ssl.SSLError, ConnectionResetError, BrokenPipeError, socket.timeout, OSError):
                with lock:
                    refused[0] += 1

    pinger = threading.Thread(target=answer_pings, daemon=True)
    pinger.start()
    started = time.monotonic()
    threads = [threading.Thread(target=open_subscribers, args=(args.subscribers // 8 + (1 if i < args.subscribers % 8 else 0),))
               for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    refused, other = refused[0], other[0]
    opening = time.monotonic() - started
    alive_at_peak = server.poll() is None
    # Still there a few seconds later (pings answered), then half of them leave: a new client is served again.
    time.sleep(5)
    stop.set()
    pinger.join()
    still_open = 0
    for s in upgraded:
        try:
            s.setblocking(False)
            s.recv(1)
            still_open += 1
        except (ssl.SSLWantReadError, BlockingIOError):
            still_open += 1
        except (OSError, ssl.SSLError):
            pass
    for s in upgraded[: len(upgraded) // 2]:
        s.close()
    time.sleep(0.5)
    health = request(context, port, "/healthz")
    metrics = request(context, port, "/metrics")
    refused_metric = re.search(r'watershed_connections_refused_total\{listener="people"\} (\d+)', metrics)
    text = open(log_path).read()
    figures = {
        "limit": args.limit,
        "cap": cap,
        "subscribers_tried": args.subscribers,
        "upgraded": len(upgraded),
        "closed_by_cap": refused,
        "other": other,
        "seconds_to_open": round(opening, 1),
        "upgraded_still_open_5s_later": still_open,
        "alive_at_peak": alive_at_peak,
        "healthz_after": health.split("\r\n")[0],
        "refused_metric": int(refused_metric.group(1)) if refused_metric else None,
        "cap_warnings_logged": text.count("connection cap reached"),
        "alive_at_end": server.poll() is None,
        "descriptor_line": re.search(r"descriptor limit: [^\n]*", text).group(0),
    }
    print(json.dumps(figures))
    for s in upgraded:
        s.close()
    server.terminate()
    server.wait()
    return 0 if figures["alive_at_end"] else 1


if __name__ == "__main__":
    sys.exit(main())
