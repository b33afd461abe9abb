#!/usr/bin/env python3
"""Bounded live-server fuzzer for Watershed (issue 15, "Harnesses that keep it so" → Fuzzing).

Usage:
    python3 Tests/fuzz/live_fuzz.py PATH/TO/watershed [--seed N] [--cases N] [--seconds S]
                                    [--surface NAME ...] [--workers N] [--replay SURFACE:CASE]

Starts `watershed serve` on free loopback ports with a temporary data directory (the development CA is written to
<data>/tls/ca.pem; `watershed certs` makes a neighbour, 440000, whose client certificate the peer port trusts) and
mutates, case by case, what a client or a neighbour can send:

    reports    initial reports (POST /v1/incidents, officer token) and follow-ups
               (POST /v1/incidents/{id}/reports, commander token), JSON mutated field by field from
               Tests/Fixtures/*-initial-report.json, plus byte-level damage
    cap        CAP 1.2 XML from Tests/Fixtures/cap/*.xml posted to POST /v1/feeds/cap on the peer port (mutual TLS)
    stream     /v1/stream query strings and the WebSocket frames sent after the upgrade (raw TLS sockets)
    http       HTTP request lines and headers (raw TLS sockets)
    playbooks  playbooks/*.yaml mutated into a temporary folder, then `watershed playbooks check DIR`

Asserted for the server surfaces: the process stays alive (no crash), no 5xx, every request answered (or its
connection closed) within 5 s (else a hang), and the server's RSS (VmRSS in /proc/PID/status) at most twice its value
at the start. For playbooks: exit 0, or exit 1 with `file:line:column` lines; never another exit code, a signal or a
run over 5 s. The server runs with SWIFT_BACKTRACE=enable=no (unless set), so a crash ends it at once; after a crash
it is started again, at most three times a surface, and every case in flight is named a suspect.

Each surface runs until --cases cases (default 2,000) or --seconds seconds (default 50), whichever comes first. Case i
of a surface is generated from random.Random("SEED:SURFACE:i") alone, so `--seed S --replay SURFACE:i` re-sends
exactly that input. The report prints per-surface counts and ends with `fuzz: N passed, N failed` (N = surfaces);
the exit status is 1 on any crash, 5xx, hang or RSS breach, after printing the seed and each offending input
(truncated), with the command that replays it.
"""

from __future__ import annotations

import argparse
import base64
import concurrent.futures
import json
import os
import random
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SURFACES = ["reports", "cap", "stream", "http", "playbooks"]
HANG_SECONDS = 5.0
OFFICER = "wsd-dev-officer-yizhou"
COMMANDER = "wsd-dev-commander-gx"
SHOW = 600  # bytes of an offending input printed


# ---------------------------------------------------------------------------------------------------------------------
# Mutation helpers: values a careless client or an attacker would send in place of the right one.

def odd_values(rng: random.Random):
    """One odd JSON value: wrong types, limits, odd text, deep nesting (a placeholder that `deep` expands)."""
    depth = rng.choice([2, 50, 600, 3000, 100_000])
    choices = [
        None, True, False, 0, -1, 1, 2**31, 2**63, -(2**63) - 1, 10**40, 1e308, -1e308, 0.5, -0.0, "",
        " ", "x" * rng.choice([1, 255, 4096, 70_000]), "\u0000", "\ud7ff\ue000", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢", "../../etc/passwd",
        "<script>alert(1)</script>", "'; DROP TABLE events; --", "%s%n%x", "NaN", "Infinity", "-1e999",
        "9999-12-31T23:59:59Z", "0000-01-01T00:00:00Z", "0001-01-01T00:00:00+14:00", "2026-02-30T00:00:00Z",
        "2026-01-15T08:00:00", "2026-01-15T08:00:00.123456789123+08:00", "2026-01-15T25:61:61Z",
        "2026-01-15 08:00:00Z", "1e3", "450000", "999999", "45120", "4512031", [], {}, [None], {"": None},
        f"@@deep-array-{depth}@@", f"@@deep-object-{depth}@@",
    ]
    return rng.choice(choices)


def deep(body: bytes) -> bytes:
    """`body` with each nesting placeholder of `odd_values` replaced by arrays or objects nested that deep (built
    as text: Python's own json module would refuse the depth)."""
    def expand(match: re.Match) -> bytes:
        depth = int(match[2])
        if match[1] == b"array":
            return b"[" * depth + b"]" * depth
        return b'{"a":' * depth + b"1" + b"}" * depth
    return re.sub(rb'"@@deep-(array|object)-(\d+)@@"', expand, body)


def paths(value, prefix=()):
    """Every path (tuple of keys and indexes) in a JSON value, the root first."""
    yield prefix
    if isinstance(value, dict):
        for key, child in value.items():
            yield from paths(child, prefix + (key,))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from paths(child, prefix + (index,))


def mutate_json(rng: random.Random, document) -> bytes:
    """The document with one to three fields changed, removed, added or misspelt; sometimes damaged as bytes."""
    document = json.loads(json.dumps(document))
    for _ in range(rng.choice([1, 1, 1, 2, 3])):
        all_paths = [p for p in paths(document) if p]
        if not all_paths:
            break
        path = rng.choice(all_paths)
        parent = document
        for key in path[:-1]:
            parent = parent[key]
        last = path[-1]
        action = rng.random()
        if action < 0.55:
            parent[last] = odd_values(rng)
        elif action < 0.70 and isinstance(parent, dict):
            del parent[last]
        elif action < 0.80 and isinstance(parent, dict):
            # A misspelt or unknown member beside a known one.
            name = str(last)
            spelt = rng.choice([name.lower(), name + "s", name[:-1], "x" + name, name.upper(), "__proto__"])
            parent[spelt] = parent[last] if rng.random() < 0.5 else odd_values(rng)
        elif action < 0.90 and isinstance(parent, list):
            parent.extend([parent[last]] * rng.choice([1, 10, 1000]))
        else:
            value = parent[last]
            if isinstance(value, str) and value:
                cut = rng.randrange(len(value))
                parent[last] = value[:cut] + rng.choice(["\u202e", "\\", '"', "\n", "\ufeff", "０", "٣"]) + value[cut:]
            elif isinstance(value, (int, float)) and not isinstance(value, bool):
                parent[last] = rng.choice([value * -1, value * 1e6, value + 0.000001, str(value)])
            else:
                parent[last] = odd_values(rng)
    body = deep(json.dumps(document, ensure_ascii=rng.random() < 0.5).encode())
    damage = rng.random()
    if damage < 0.08:
        body = body[: rng.randrange(len(body) + 1)]  # truncated
    elif damage < 0.12:
        body = b"\xef\xbb\xbf" + body  # UTF-8 BOM
    elif damage < 0.15:
        body = ("\ufeff" + body.decode()).encode(rng.choice(["utf-16", "utf-16-le", "utf-32"]))
    elif damage < 0.20:
        body = flip_bytes(rng, body)
    elif damage < 0.22:
        body = body.replace(b"}", b', "k": 1, "k": 2}', 1)  # duplicate keys
    return body


def flip_bytes(rng: random.Random, data: bytes, count: int | None = None) -> bytes:
    """`data` with a few bytes replaced by random ones (invalid UTF-8 included)."""
    if not data:
        return bytes([rng.randrange(256)])
    data = bytearray(data)
    for _ in range(count or rng.choice([1, 2, 4, 16])):
        data[rng.randrange(len(data))] = rng.randrange(256)
    return bytes(data)


def mutate_text(rng: random.Random, text: str, tokens: list[str]) -> str:
    """Line- and token-level damage to a text document (XML or YAML): delete, duplicate, swap, splice a token."""
    lines = text.split("\n")
    for _ in range(rng.choice([1, 1, 2, 3])):
        if not lines:
            break
        i = rng.randrange(len(lines))
        action = rng.random()
        if action < 0.2:
            del lines[i]
        elif action < 0.35:
            lines.insert(i, lines[i])
        elif action < 0.45:
            j = rng.randrange(len(lines))
            lines[i], lines[j] = lines[j], lines[i]
        elif action < 0.75:
            line = lines[i]
            cut = rng.randrange(len(line) + 1)
            lines[i] = line[:cut] + rng.choice(tokens) + line[cut + rng.choice([0, 0, 1, 3, 10]):]
        else:
            # Replace a value-ish run of characters with an odd one.
            lines[i] = re.sub(r"[A-Za-z0-9.\-+:]+", lambda m: rng.choice(tokens) if rng.random() < 0.3 else m[0],
                              lines[i], count=2)
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------------------------------
# The server under test.

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`watershed serve` as 450000, with 440000 as a trusted neighbour on the peer port."""

    def __init__(self, binary: str, work: Path):
        self.binary, self.work = binary, work
        self.certs = work / "certs"
        self.port, self.peer_port = free_port(), free_port()
        subprocess.run([binary, "certs", "--province", f"450000=wss://127.0.0.1:{self.peer_port}",
                        "--province", f"440000=wss://127.0.0.1:{free_port()}", "--out", str(self.certs)],
                       check=True, capture_output=True, timeout=60)
        self.data = self.certs / "450000"
        self.process: subprocess.Popen | None = None
        self.starts = 0
        self.rss_start_kb = 0

    def start(self):
        self.starts += 1
        log = open(self.work / f"serve-{self.starts}.log", "wb")
        self.process = subprocess.Popen(
            [self.binary, "serve", "--province", "450000", "--port", str(self.port), "--peer-port",
             str(self.peer_port), "--data", str(self.data), "--playbooks", str(REPO / "playbooks"),
             "--seeds", str(REPO / "seeds"), "--log-level", "warning"],
            stdout=log, stderr=subprocess.STDOUT, cwd=self.work,
            # Without Swift's backtracer a crash ends the process at once; with it, printing the backtrace takes
            # ~20 s, which the fuzzer would count as a hang. Set SWIFT_BACKTRACE to keep it (docs/fuzzing.md).
            env={"SWIFT_BACKTRACE": "enable=no", **os.environ})
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"serve exited {self.process.returncode}; see {log.name}")
            try:
                status, _, _ = https(self, "GET", "/healthz", timeout=2)
                if status == 200:
                    break
            except OSError:
                pass
            time.sleep(0.3)
        else:
            raise RuntimeError("serve did not answer /healthz within 120 s")
        self.rss_start_kb = self.rss_kb() if self.starts == 1 else self.rss_start_kb

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def exit_description(self) -> str:
        code = self.process.returncode if self.process else None
        if code is not None and code < 0:
            return f"killed by signal {signal.Signals(-code).name}"
        return f"exited {code}"

    def rss_kb(self) -> int:
        try:
            for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        except OSError:
            pass
        return 0

    def stop(self):
        if self.alive():
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def client_context(self, peer: bool = False) -> ssl.SSLContext:
        context = ssl.create_default_context(cafile=str(self.data / "tls" / "ca.pem"))
        context.check_hostname = False
        if peer:
            neighbour = self.certs / "440000" / "tls"
            context.load_cert_chain(str(neighbour / "peer-client.pem"), str(neighbour / "peer-client-key.pem"))
        return context


def connect(server: Server, peer: bool = False, timeout: float = HANG_SECONDS) -> ssl.SSLSocket:
    raw = socket.create_connection(("127.0.0.1", server.peer_port if peer else server.port), timeout=timeout)
    return server.client_context(peer).wrap_socket(raw, server_hostname="127.0.0.1")


def read_response(sock: ssl.SSLSocket, timeout: float = HANG_SECONDS) -> tuple[int | None, bytes]:
    """The status of the first response on `sock` and what was read: (None, b"") if the server closed the connection
    without answering. Raises TimeoutError if it neither answers nor closes within `timeout`."""
    deadline = time.monotonic() + timeout
    buffer = b""
    while b"\r\n" not in buffer:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError
        sock.settimeout(remaining)
        try:
            chunk = sock.recv(65536)
        except (socket.timeout, TimeoutError):
            raise TimeoutError from None
        except (ssl.SSLError, ConnectionError):
            chunk = b""
        if not chunk:
            return None, buffer
        buffer += chunk
    match = re.match(rb"HTTP/1\.[01] (\d{3})", buffer)
    return (int(match[1]) if match else None), buffer


def read_body(sock: ssl.SSLSocket, head: bytes, timeout: float = HANG_SECONDS) -> bytes:
    """The rest of a Content-Length response whose first bytes are `head` (enough for these requests)."""
    deadline = time.monotonic() + timeout
    while b"\r\n\r\n" not in head and time.monotonic() < deadline:
        sock.settimeout(max(0.01, deadline - time.monotonic()))
        chunk = sock.recv(65536)
        if not chunk:
            break
        head += chunk
    header, _, body = head.partition(b"\r\n\r\n")
    length = re.search(rb"(?i)content-length: *(\d+)", header)
    while length and len(body) < int(length[1]) and time.monotonic() < deadline:
        sock.settimeout(max(0.01, deadline - time.monotonic()))
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    return body


def https(server: Server, method: str, path: str, body: bytes = b"", headers: dict | None = None,
          peer: bool = False, timeout: float = HANG_SECONDS) -> tuple[int | None, bytes, float]:
    """One request on a new connection: (status, response body, seconds)."""
    started = time.monotonic()
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", f"Content-Length: {len(body)}", "Connection: close"]
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    with connect(server, peer, timeout) as sock:
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        status, head = read_response(sock, timeout)
        answer = read_body(sock, head, timeout) if status else b""
    return status, answer, time.monotonic() - started


# ---------------------------------------------------------------------------------------------------------------------
# Surfaces. Each `case(rng, i)` sends one input and returns (kind of answer, the input) where the kind is a status
# code or "closed"; it raises TimeoutError for a hang. The runner checks liveness, 5xx and RSS.

class Reports:
    name = "reports"

    def __init__(self, server: Server):
        self.server = server
        self.initials = [json.loads((REPO / "Tests/Fixtures" / f).read_text())
                         for f in ("longjiang-initial-report.json", "he-river-initial-report.json")]
        # Signed as the officer's own unit (Yizhou, 451203), so that the unmutated body is one the server accepts
        # (issue 15 item 12: the reporting unit is the token's) and mutations start from a valid report.
        for report in self.initials:
            report["signature"]["reportingUnit"] = "451203"
        status, body, _ = https(server, "POST", "/v1/incidents", json.dumps(self.initials[0]).encode(),
                                {"Authorization": f"Bearer {OFFICER}", "Content-Type": "application/json"})
        if status != 201:
            raise RuntimeError(f"the unmutated fixture was not filed: {status} {body[:300]!r}")
        self.incident = json.loads(body)["incident"]["id"]
        signature = dict(self.initials[0]["signature"], reportingUnit="450000")
        self.follow_up = {
            "kind": "followUp", "summary": "cadmium 0.012 mg/L at Lalang",
            "monitoring": [{"sampledAt": "2012-01-16T08:00:00+08:00", "pollutant": "cadmium",
                            "concentrationMgL": 0.012}],
            "levelChange": {"to": "III", "at": "2012-01-16T09:00:00+08:00"},
            "measuresTaken": ["lime dosing at Lalang"],
            "casualties": {"deaths": 0, "poisonedOrInjured": 0, "evacuated": 0}, "signature": signature,
        }

    def case(self, rng: random.Random, i: int, shown: list):
        follow = rng.random() < 0.4
        body = mutate_json(rng, self.follow_up if follow else rng.choice(self.initials))
        path = f"/v1/incidents/{self.incident}/reports" if follow else "/v1/incidents"
        headers = {"Authorization": f"Bearer {COMMANDER if follow else OFFICER}",
                   "Content-Type": rng.choice(["application/json"] * 8 + ["text/plain", "application/json; charset=utf-16"])}
        if rng.random() < 0.1:
            headers["Idempotency-Key"] = rng.choice(["k" * 300, "", "é", f"fuzz-{i}", "\t"])
        shown.append(f"POST {path} {headers}\n{describe(body)}")
        status, answer, _ = https(self.server, "POST", path, body, headers)
        return status or "closed", answer


class CAP:
    name = "cap"

    def __init__(self, server: Server):
        self.server = server
        self.documents = [p.read_text() for p in sorted((REPO / "Tests/Fixtures/cap").glob("*.xml"))]
        self.tokens = [
            "<info>", "</info>", "<alert>", "</alert>", "<![CDATA[x]]>", "&amp;", "&lt;", "&#0;", "&#x110000;",
            "&undefined;", "<!-- -->", "<?pi x?>", "<?pi?>", "<cap:alert xmlns:cap='urn:oasis:names:tc:emerg:cap:1.2'>",
            "xmlns='urn:oasis:names:tc:emerg:cap:1.2'", "xmlns:x='urn:x'", "<x:ext/>", "<Signature/>",
            "Exercise", "Update", "Cancel", "Error", "Ack", "Actual", "Public", "2026-01-15T08:00:00-00:00",
            "9999-12-31T23:59:59+14:00", "-90,-180 90,180", "1 2 3", "450000", "440000",
            "GX-2026-0001", "x" * 5000, "\u0000", "\ufffe", "é", "𝔘", "-1", "1e999", "NaN", "<", ">", "'", '"',
        ]

    def document(self, rng: random.Random) -> tuple[bytes, str]:
        """A mutated CAP document and a label for the report."""
        text = rng.choice(self.documents)
        shape = rng.random()
        if shape < 0.05:
            # Nesting: shallow, deep, very deep (issue 15 item 1: 50,000 levels crashed the server).
            depth = rng.choice([10, 1000, 5000, 50_000])
            return text.replace("<info>", "<info>" + "<x>" * depth + "</x>" * depth, 1).encode(), f"nested {depth}"
        if shape < 0.08:
            # Entity expansion (billion laughs) and external entities.
            return (rng.choice([
                '<?xml version="1.0"?><!DOCTYPE a [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">'
                '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;">'
                '<!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;"><!ENTITY f "&e;&e;&e;&e;&e;&e;&e;&e;">]>',
                '<?xml version="1.0"?><!DOCTYPE a [<!ENTITY f SYSTEM "file:///etc/passwd">]>',
            ]) + text.split("?>", 1)[-1].replace("<note>", "<note>&f;", 1)).encode(), "entities"
        body, label = mutate_text(rng, text, self.tokens).encode(), "mutated"
        if rng.random() < 0.15:
            body, label = flip_bytes(rng, body), "mutated, bytes flipped"
        if rng.random() < 0.05:
            body, label = body[: rng.randrange(len(body) + 1)], label + ", truncated"
        return body, label

    def case(self, rng: random.Random, i: int, shown: list):
        body, label = self.document(rng)
        headers = {"Content-Type": rng.choice(["application/cap+xml"] * 6 + ["text/xml", "application/json", ""])}
        shown.append(f"[{label}] POST /v1/feeds/cap (peer port) {headers}\n{describe(body)}")
        status, answer, _ = https(self.server, "POST", "/v1/feeds/cap", body, headers, peer=True)
        return status or "closed", answer


def ws_frame(rng: random.Random, opcode: int, payload: bytes, fin: bool = True, mask: bool = True,
             length_override: int | None = None) -> bytes:
    """A WebSocket frame (RFC 6455 §5.2), optionally with a lying length, RSV bits or no mask."""
    first = (0x80 if fin else 0) | (opcode & 0x0F) | (rng.choice([0, 0, 0, 0, 0x40, 0x70]) if rng.random() < 0.1 else 0)
    length = len(payload) if length_override is None else length_override
    if length < 126:
        head = bytes([first, (0x80 if mask else 0) | length])
    elif length < 65536:
        head = bytes([first, (0x80 if mask else 0) | 126]) + length.to_bytes(2, "big")
    else:
        head = bytes([first, (0x80 if mask else 0) | 127]) + length.to_bytes(8, "big")
    if not mask:
        return head + payload
    key = bytes(rng.randrange(256) for _ in range(4))
    return head + key + bytes(b ^ key[j % 4] for j, b in enumerate(payload))


class Stream:
    name = "stream"

    def __init__(self, server: Server):
        self.server = server

    def query(self, rng: random.Random) -> str:
        values = ["0", "1", "-1", "abc", "", "99999999999999999999", "1e3", "0x10", " 5", "5 ", "%00", "%ff%fe",
                  "1&after=2", "9" * 5000, "00000000-0000-0000-0000-000000000000", "GX-2026-0001", "only",
                  "exclude", "ONLY", "both", "true", "%", "%2", "😀", "+", "..%2f..%2f"]
        names = ["after", "incident", "exercise", "ticket", "asignee", "", "after[]", "AFTER", "limit"]
        parts = []
        for _ in range(rng.choice([0, 1, 1, 2, 3, 5])):
            name = rng.choice(names)
            # Values percent-encoded as a client would (a raw space or byte is the http surface's business).
            value = urllib.parse.quote(rng.choice(values), safe="%&=+[]")
            parts.append(name if rng.random() < 0.05 else f"{name}={value}")
        return "&".join(parts)

    def frames(self, rng: random.Random) -> bytes:
        out = b""
        for _ in range(rng.choice([0, 1, 2, 4, 8])):
            kind = rng.random()
            if kind < 0.25:
                out += ws_frame(rng, 1, rng.choice([b"{}", b'{"type":"ack"}', b"\xff\xfe", b"x" * 200]))
            elif kind < 0.4:
                out += ws_frame(rng, 9, b"p" * rng.choice([0, 4, 125, 126, 300]))  # ping, over 125 is illegal
            elif kind < 0.5:
                code = rng.choice([1000, 1001, 999, 1005, 1006, 4001, 5000, 65535])
                out += ws_frame(rng, 8, code.to_bytes(2, "big") + rng.choice([b"", b"bye", b"\xff" * 3, b"r" * 130]))
            elif kind < 0.6:
                out += ws_frame(rng, rng.choice([0, 3, 7, 11, 15]), b"odd")  # continuation without start, reserved
            elif kind < 0.7:
                out += ws_frame(rng, 1, b"part", fin=False) + ws_frame(rng, rng.choice([0, 1, 9]), b"rest")
            elif kind < 0.8:
                out += ws_frame(rng, 1, b"unmasked", mask=False)
            elif kind < 0.9:
                out += ws_frame(rng, 2, bytes(rng.randrange(256) for _ in range(rng.choice([1, 64, 4096]))))
            else:
                # A length that lies: claims far more than follows (the bytes never come).
                out += ws_frame(rng, 1, b"short", length_override=rng.choice([2**16, 2**32, 2**63 - 1]))
        if rng.random() < 0.1:
            out = flip_bytes(rng, out or b"\x81\x80")
        return out

    def case(self, rng: random.Random, i: int, shown: list):
        query = self.query(rng)
        key = base64.b64encode(bytes(rng.randrange(256) for _ in range(16))).decode()
        headers = [f"GET /v1/stream{'?' + query if query or rng.random() < 0.1 else ''} HTTP/1.1",
                   "Host: 127.0.0.1", "Upgrade: websocket", "Connection: Upgrade",
                   f"Sec-WebSocket-Key: {key}", "Sec-WebSocket-Version: 13"]
        auth = rng.random()
        if auth < 0.7:
            headers.append(f"Authorization: Bearer {rng.choice([OFFICER, COMMANDER, 'wsd-dev-viewer-gx'])}")
        elif auth < 0.85:
            headers.append(f"Authorization: {rng.choice(['Bearer', 'Bearer x', 'Basic eDp5', 'Bearer ' + 'a' * 9000])}")
        if rng.random() < 0.1:
            headers[rng.randrange(2, len(headers))] = rng.choice(
                ["Sec-WebSocket-Version: 8", "Upgrade: h2c", "Sec-WebSocket-Key: short", "Connection: close"])
        frames = self.frames(rng)
        request = ("\r\n".join(headers) + "\r\n\r\n").encode()
        shown.append(request.decode("utf-8", "replace") + (f"[frames] {frames[:300].hex()}" if frames else ""))
        with connect(self.server) as sock:
            sock.sendall(request)
            status, head = read_response(sock)
            if status == 101 and frames:
                try:
                    sock.sendall(frames)
                    # Read what follows for a moment (events, a close frame); the server may close at any time.
                    sock.settimeout(0.05)
                    while sock.recv(65536):
                        pass
                except (OSError, ssl.SSLError):
                    pass
        return status or "closed", head


class HTTP:
    name = "http"

    def __init__(self, server: Server):
        self.server = server

    def request(self, rng: random.Random) -> bytes:
        method = rng.choice(["GET", "POST", "PUT", "DELETE", "HEAD", "OPTIONS", "PATCH", "TRACE", "CONNECT",
                             "PRI", "get", "G\x00T", "X" * 300, ""])
        target = rng.choice(["/healthz", "/readyz", "/metrics", "/v1/me", "/v1/incidents", "/v1/tasks",
                             "/v1/events?after=0", "/v1/playbooks", "/v1/playbooks/longjiang/map", "/",
                             "*", "http://127.0.0.1/healthz", "//", "/%", "/%00", "/../../etc/passwd",
                             "/v1/incidents/" + "9" * 40, "/v1/tasks?assignee=" + "4" * 3000,
                             "/" + "a" * rng.choice([10, 8000, 100_000]), "/v1/incidents?limit=-1", ""])
        version = rng.choice(["HTTP/1.1"] * 8 + ["HTTP/1.0", "HTTP/2.0", "HTTP/0.9", "HTTP/1.10", "HTTPS/1.1",
                                                 "http/1.1", ""])
        line = rng.choice([f"{method} {target} {version}"] * 6 + [f"{method}  {target}  {version}",
                                                                   f"{method}\t{target}\t{version}",
                                                                   f"{method} {target}", "\x16\x03\x01"])
        headers = ["Host: 127.0.0.1"]
        if rng.random() < 0.6:
            headers.append(f"Authorization: Bearer {rng.choice([OFFICER, COMMANDER, 'nope', ''])}")
        body = b""
        for _ in range(rng.choice([0, 1, 2, 3])):
            kind = rng.random()
            if kind < 0.15:
                headers.append(f"Content-Length: {rng.choice(['-5', 'abc', '1e3', '99999999999999999999999', ' 0', '0x10', '+0'])}")
            elif kind < 0.25:
                body = b'{"a":1}'
                headers += [f"Content-Length: {len(body)}", rng.choice(["Transfer-Encoding: chunked",
                                                                        f"Content-Length: {len(body) + 1}"])]
            elif kind < 0.35:
                body = b"7\r\n{\"a\":1}\r\n0\r\n\r\n"
                headers.append(rng.choice(["Transfer-Encoding: chunked", "Transfer-Encoding: gzip, chunked",
                                           "Transfer-Encoding: chunked, identity", "Transfer-Encoding:  chunked"]))
            elif kind < 0.45:
                headers.append(f"X-Fuzz: {'v' * rng.choice([100, 8000, 90_000])}")  # a header over 80 KiB
            elif kind < 0.52:
                headers += [f"X-H{n}: v" for n in range(rng.choice([100, 1000, 20_000]))]  # many headers
            elif kind < 0.62:
                headers.append(rng.choice(["No-Colon-Header", ": empty-name", "Bad Name: x", "X: a\x00b",
                                           "X: \x7f\xff", " Folded: x", "Host: a", "Host:", "Expect: 100-continue",
                                           "Connection: upgrade, keep-alive", "Upgrade: h2c", "Accept: */*;q=x"]))
            elif kind < 0.72:
                headers.append(f"Content-Type: {rng.choice(['application/json', 'x/' + 'y' * 5000, ';;;', ''])}")
            else:
                headers.append(f"{rng.choice(['Cookie', 'If-None-Match', 'Range', 'Accept-Encoding'])}: "
                               f"{rng.choice(['bytes=0-0,0-0', 'gzip;q=2', '*' * 300, 'x=y; ' * 200])}")
        eol = b"\r\n" if rng.random() < 0.9 else rng.choice([b"\n", b"\r\n\r\n"])
        data = line.encode("latin-1", "replace") + eol + eol.join(h.encode("latin-1", "replace") for h in headers)
        data += b"\r\n\r\n" + body
        if rng.random() < 0.05:
            data = flip_bytes(rng, data)
        return data

    def case(self, rng: random.Random, i: int, shown: list):
        data = self.request(rng)
        shown.append(describe(data))
        with connect(self.server) as sock:
            try:
                sock.sendall(data)
            except (OSError, ssl.SSLError):
                pass  # the server may close while a huge request is still being sent; its answer is read below
            status, head = read_response(sock)
        return status or "closed", head


class Playbooks:
    """`watershed playbooks check` on mutated copies: many cases per run (one file each), a failure re-run alone."""
    name = "playbooks"
    batch = 48

    def __init__(self, server: Server | None, binary: str, work: Path):
        self.binary, self.work = binary, work
        self.sources = {p.name: p.read_text() for p in sorted((REPO / "playbooks").glob("*.yaml"))}
        self.tokens = [": ", ":", "- ", "-", "  ", "\t", "[", "]", "{", "}", "&a", "*a", "!!str", "!!int", "!!binary x",
                       "? ", "|", ">", "'", '"', "#", "~", "null", "true", "yes", "NaN", ".inf", "-.inf", "1e999",
                       "0x1F", "0o17", "-1", "99999999999999999999", "2026-13-45", "<<: *a", "---", "...", "%YAML 1.1",
                       "\u0000", "\ufeff", "é", "𝔘", "x" * 3000, "[" * 2000, "{a: " * 500]

    def file(self, rng: random.Random) -> tuple[str, bytes]:
        name = rng.choice(list(self.sources))
        text = self.sources[name]
        shape = rng.random()
        if shape < 0.03:
            depth = rng.choice([100, 5000, 50_000])
            text = text + "\nextra: " + "[" * depth + "]" * depth + "\n"
        elif shape < 0.05:
            text = ("a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
                    "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
                    "e: [*d, *d, *d, *d, *d, *d, *d, *d, *d]\n") + text
        else:
            text = mutate_text(rng, text, self.tokens)
        data = text.encode("utf-8", "surrogatepass")
        if rng.random() < 0.08:
            data = flip_bytes(rng, data)
        return name, data

    def check(self, files: dict[str, bytes], timeout: float = HANG_SECONDS) -> tuple[int, str, float]:
        """`playbooks check` on a copy of playbooks/ in which `files` (name → bytes) replace the originals."""
        folder = Path(tempfile.mkdtemp(dir=self.work, prefix="playbooks-"))
        try:
            for name, text in self.sources.items():
                (folder / name).write_text(text)
            for name, data in files.items():
                (folder / name).write_bytes(data)
            started = time.monotonic()
            try:
                run = subprocess.run([self.binary, "playbooks", "check", str(folder)], capture_output=True,
                                     timeout=timeout, cwd=self.work)
            except subprocess.TimeoutExpired:
                raise TimeoutError from None
            output = (run.stdout + run.stderr).decode("utf-8", "replace")
            return run.returncode, output, time.monotonic() - started
        finally:
            shutil.rmtree(folder, ignore_errors=True)


# ---------------------------------------------------------------------------------------------------------------------
# The runner.

class Tally:
    def __init__(self, name: str):
        self.name = name
        self.cases = self.ok2 = self.client4 = self.closed = self.restart_lost = 0
        self.crashes = self.server5 = self.hangs = self.rss = 0
        self.setup_failed = False
        self.findings: list[str] = []
        self.lock = threading.Lock()

    def failed(self) -> bool:
        return bool(self.setup_failed or self.crashes or self.server5 or self.hangs or self.rss)

    def line(self) -> str:
        ok, refused = ("exit 0", "exit 1") if self.name == "playbooks" else ("2xx", "4xx")
        return (f"{self.name:<10} cases {self.cases:>6}  {ok} {self.ok2:>5}  {refused} {self.client4:>5}  "
                f"closed {self.closed:>5}  crashes {self.crashes}  5xx {self.server5}  hangs {self.hangs}  "
                f"rss-breach {self.rss}" + (f"  (sent during a restart {self.restart_lost})" if self.restart_lost else ""))


def finding(tally: Tally, seed: int, i: int, what: str, shown: str):
    text = shown if len(shown) <= SHOW else shown[:SHOW] + f"… [{len(shown)} characters in all]"
    tally.findings.append(f"{what} — seed {seed}, case {tally.name}:{i} "
                          f"(replay: --seed {seed} --replay {tally.name}:{i})\n    input: {text!r}")


def run_server_surface(surface, server: Server, seed: int, cases: int, seconds: float, workers: int,
                       only: int | None = None) -> Tally:
    tally = Tally(surface.name)
    deadline = time.monotonic() + seconds
    counter = iter(range(cases) if only is None else [only])
    lock = threading.Lock()
    in_flight: dict[int, list] = {}  # case → its input, while it is being sent
    restarts = [0]  # at most 3 a surface; then the surface stops
    crashed: set[int] = set()  # server generations whose death is counted
    if not server.alive():
        server.start()

    def next_case():
        with lock:
            if time.monotonic() > deadline or not server.alive():
                return None
            return next(counter, None)

    def work():
        while (i := next_case()) is not None:
            rng = random.Random(f"{seed}:{surface.name}:{i}")
            shown: list = []
            generation = server.starts
            with lock:
                in_flight[i] = shown
            try:
                kind, answer = surface.case(rng, i, shown)
            except TimeoutError:
                kind, answer = "hang", b""
            except (ConnectionError, ssl.SSLError, OSError) as error:
                kind, answer = "closed", str(error).encode()
            text = shown[0] if shown else "(not generated)"
            if kind in ("closed", "hang") and server.alive():
                # A connection dropped without an answer may be the server dying: give it a moment to be reaped,
                # so that the crash is laid to this case and not to the next.
                try:
                    server.process.wait(timeout=0.2)
                except subprocess.TimeoutExpired:
                    pass
            if only is not None:
                print(f"input: {text[:SHOW * 4]!r}\nanswer: {kind} {answer[:300]!r}")
            with lock:
                suspects = dict(in_flight)
                del in_flight[i]
                if not server.alive() or server.starts != generation:
                    if server.starts == generation and generation not in crashed:
                        crashed.add(generation)
                        # The server died while this case (or one beside it) was in flight: one crash, every
                        # case then in flight a suspect; start it again and go on with the rest of the surface.
                        tally.cases += 1
                        tally.crashes += 1
                        for number, inputs in sorted(suspects.items()):
                            finding(tally, seed, number, f"CRASH: serve {server.exit_description()} "
                                    f"(one of {len(suspects)} cases in flight)", inputs[0] if inputs else "")
                        if restarts[0] < 3:
                            restarts[0] += 1
                            server.start()
                    else:
                        tally.restart_lost += 1  # sent while the server was down or starting again
                    continue
                tally.cases += 1
                if kind == "hang":
                    tally.hangs += 1
                    finding(tally, seed, i, f"HANG: no answer and no close within {HANG_SECONDS:.0f} s", text)
                elif kind == "closed":
                    tally.closed += 1
                elif 500 <= kind:
                    tally.server5 += 1
                    finding(tally, seed, i, f"{kind}: {answer[:200]!r}", text)
                elif 400 <= kind:
                    tally.client4 += 1
                else:
                    tally.ok2 += 1
                if i % 50 == 0:
                    check_rss(tally, server, seed, i, text)

    with concurrent.futures.ThreadPoolExecutor(workers) as pool:
        for future in [pool.submit(work) for _ in range(workers)]:
            future.result()
    if server.alive():
        check_rss(tally, server, seed, -1, "(at the end of the surface)")
        try:
            status, _, _ = https(server, "GET", "/healthz")
            if status != 200:
                raise TimeoutError
        except (TimeoutError, OSError):
            tally.hangs += 1
            tally.findings.append("HANG: /healthz unanswered within 5 s after the surface")
    return tally


def check_rss(tally: Tally, server: Server, seed: int, i: int, shown: str):
    rss = server.rss_kb()
    if server.rss_start_kb and rss > 2 * server.rss_start_kb and not tally.rss:
        tally.rss += 1
        finding(tally, seed, i, f"RSS {rss // 1024} MB, over twice the {server.rss_start_kb // 1024} MB at start",
                shown)


def describe(data: bytes) -> str:
    """`data` as text for a report, each run of a short unit repeated 20 times or more written as «unit×N»."""
    text = data.decode("utf-8", "backslashreplace")
    return re.sub(r"(.{1,12}?)\1{19,}", lambda m: f"«{m[1]}×{len(m[0]) // len(m[1])}»", text, flags=re.S)


def run_playbooks(playbooks: Playbooks, seed: int, cases: int, seconds: float, workers: int,
                  only: int | None = None) -> Tally:
    tally = Tally("playbooks")
    deadline = time.monotonic() + seconds
    numbers = list(range(cases)) if only is None else [only]
    # A batch is up to `batch` cases checked by one run on one copy of playbooks/ (a process start costs more than
    # a file): the first case to mutate a file replaces it; a later case on the same file is added beside it as
    # `<name>.case<i>.yaml` (its ids then clash with the original's, which is one more diagnostic).
    batches = [numbers[k:k + playbooks.batch] for k in range(0, len(numbers), playbooks.batch)]
    location = re.compile(r"^[^\n:]+:\d+:\d+: ", re.M)

    def judge(numbers_in_run: list[int]) -> list[tuple[int, str, str]]:
        """Runs the cases in one folder; returns (case, problem, input) per failing case, re-running alone on
        a failure so that it names the case at fault."""
        files, inputs = {}, {}
        for i in numbers_in_run:
            name, data = playbooks.file(random.Random(f"{seed}:playbooks:{i}"))
            files[name if name not in files else f"{name[:-5]}.case{i}.yaml"] = data
            inputs[i] = f"{name}\n{describe(data)}"
        alone = len(numbers_in_run) == 1
        try:
            # A batch may take longer than one file; only a case that takes over 5 s alone is a hang.
            code, output, _ = playbooks.check(files, HANG_SECONDS if alone else 4 * HANG_SECONDS)
            if only is not None:
                print(f"input: {inputs[only][:SHOW * 4]!r}\nexit {code}:\n{output[-2000:]}")
            if not alone and code in (0, 1):
                with tally.lock:
                    if code == 0:
                        tally.ok2 += len(numbers_in_run)
                    else:
                        tally.client4 += len(numbers_in_run)
            problem = None
            if code not in (0, 1):
                problem = f"CRASH: exit {code}" if code > 0 else f"CRASH: {signal.Signals(-code).name}"
                problem += f": {output[-300:]!r}"
            elif code == 1 and not location.search(output):
                problem = f"exit 1 without a file:line:column line: {output[-300:]!r}"
        except TimeoutError:
            problem = f"HANG: over {HANG_SECONDS:.0f} s"
        if problem is None:
            return []
        if len(numbers_in_run) == 1:
            return [(numbers_in_run[0], problem, inputs[numbers_in_run[0]])]
        found = []
        for i in numbers_in_run:
            found += judge([i])
        if found or problem.startswith("HANG"):
            return found  # a batch over 20 s whose cases each pass alone is load, not a hang
        return [(numbers_in_run[0], problem + f" (only in a batch: cases {numbers_in_run[0]}–{numbers_in_run[-1]})",
                 inputs[numbers_in_run[0]])]

    def work(batch):
        if time.monotonic() > deadline:
            return
        found = judge(batch)
        with tally.lock:
            tally.cases += len(batch)
            for i, problem, shown in found:
                if problem.startswith("HANG"):
                    tally.hangs += 1
                else:
                    tally.crashes += 1
                finding(tally, seed, i, problem, shown)

    with concurrent.futures.ThreadPoolExecutor(workers) as pool:
        list(pool.map(work, batches))
    return tally


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("binary", help="path to the watershed executable")
    parser.add_argument("--seed", type=int, default=None, help="seed (default: random, printed)")
    parser.add_argument("--cases", type=int, default=2000, help="cases per surface (default 2000)")
    parser.add_argument("--seconds", type=float, default=50, help="wall-time bound per surface (default 50)")
    parser.add_argument("--surface", action="append", choices=SURFACES, help="surfaces to run (default: all)")
    parser.add_argument("--workers", type=int, default=4, help="concurrent cases (default 4)")
    parser.add_argument("--replay", metavar="SURFACE:CASE", help="send one case again and print its input")
    args = parser.parse_args()

    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(2**31)
    surfaces = args.surface or SURFACES
    only = None
    if args.replay:
        name, _, number = args.replay.partition(":")
        surfaces, only = [name], int(number)
    print(f"live fuzz: seed {seed}, up to {args.cases} cases or {args.seconds:.0f} s per surface, "
          f"{args.workers} workers (replay with --seed {seed})", flush=True)

    work = Path(tempfile.mkdtemp(prefix="watershed-fuzz-"))
    server = None
    tallies = []
    try:
        if any(s != "playbooks" for s in surfaces):
            server = Server(args.binary, work)
            server.start()
            print(f"serve pid {server.process.pid}, port {server.port}, peer port {server.peer_port}, "
                  f"RSS at start {server.rss_start_kb // 1024} MB", flush=True)
        builders = {"reports": Reports, "cap": CAP, "stream": Stream, "http": HTTP}
        for name in surfaces:
            started = time.monotonic()
            if name == "playbooks":
                tally = run_playbooks(Playbooks(server, args.binary, work), seed, args.cases, args.seconds,
                                      max(1, min(args.workers, os.cpu_count() or 2)), only)
            else:
                try:
                    if not server.alive():
                        server.start()
                    surface = builders[name](server)
                except (RuntimeError, OSError) as error:
                    # A surface that cannot start (say the unmutated fixture is refused) fails; the others run.
                    tally = Tally(name)
                    tally.setup_failed = True
                    tally.findings.append(f"SETUP: {error}")
                    tallies.append(tally)
                    print(f"{name:<10} could not start: {error}", flush=True)
                    continue
                tally = run_server_surface(surface, server, seed, args.cases, args.seconds, args.workers, only)
            print(f"{tally.line()}  ({time.monotonic() - started:.0f} s"
                  + (f", RSS {server.rss_kb() // 1024} MB" if server and server.alive() else "") + ")", flush=True)
            tallies.append(tally)
    finally:
        if server:
            server.stop()
            logs = sorted(work.glob("serve-*.log"))
            if any(t.crashes for t in tallies) and logs:
                print(f"--- last lines of {logs[0].name}:\n" + logs[0].read_bytes()[-1500:].decode("utf-8", "replace"))
        shutil.rmtree(work, ignore_errors=True)

    failed = [t for t in tallies if t.failed()]
    for tally in failed:
        print(f"\n{tally.name}: {len(tally.findings)} finding(s), seed {seed}")
        for line in tally.findings[:20]:
            print("  " + line)
    print(f"fuzz: {len(tallies) - len(failed)} passed, {len(failed)} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
