"""kill -9 under load, then check the history (issue 15, "Harnesses that keep it so").

Starts `watershed serve` on a fresh data directory, runs concurrent writers that file initial reports, each with its
own `Idempotency-Key`, and kills the server with SIGKILL at a random moment of each round. A request that got no
answer before the kill is retried with the same key once the server is back: it must be stored once — either a
replay of what was committed (`Idempotent-Replayed: true`) or stored now. After the last round it checks the history:

- every acknowledged report (201) is in the log exactly once, under the incident id its answer named;
- no report is in the log twice (one `IncidentReported` per key);
- seqs are gapless from 1 to the head;
- `watershed audit verify` accepts the hash chain.

Usage:
    python3 Tests/faults/kill9_history.py WATERSHED_BINARY [--rounds N] [--writers N] [--seed S] [--results FILE]

Prints one line per round and a summary line `faults: N passed, N failed`; exits 1 on any lost, duplicated or
out-of-order event. Bounded: each round runs at most ~6 s of load; every request has a 20 s timeout.
"""
import argparse
import datetime
import http.client
import json
import os
import random
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time

OFFICER = "wsd-dev-officer-yizhou"
VIEWER = "wsd-dev-viewer-gx"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def report(km: float) -> bytes:
    """The Longjiang initial report, discovered now (a real incident's discovery time must be recent)."""
    now = datetime.datetime.now(datetime.timezone(datetime.timedelta(hours=8))).replace(microsecond=0)
    return json.dumps({
        "discoveredAt": (now - datetime.timedelta(minutes=30)).isoformat(),
        "place": {"river": {"id": "longjiang", "km": km}},
        "informationSource": "fault harness", "cause": "cadmium discharge", "pollutant": "cadmium",
        "release": {"instantaneous": {"massKg": 1000}}, "monitoring": [],
        "casualties": {"deaths": 0, "poisonedOrInjured": 0, "evacuated": 0},
        "sensitivePointsAffected": [], "measuresTaken": [], "triggers": [],
        "signature": {"reportingUnit": "451203", "signingOfficer": "Director Wei", "contactName": "Li Ming",
                      "contactPhone": "0778-1234567"},
    }).encode()


class Server:
    def __init__(self, binary: str, data: str, port: int, peer_port: int):
        self.binary, self.data, self.port, self.peer_port = binary, data, port, peer_port
        self.process = None
        self.log = open(os.path.join(os.path.dirname(data), "serve.log"), "ab")

    def start(self) -> None:
        self.process = subprocess.Popen(
            [self.binary, "serve", "--port", str(self.port), "--peer-port", str(self.peer_port), "--data", self.data],
            stdout=self.log, stderr=self.log)
        ca = os.path.join(self.data, "tls", "ca.pem")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"serve exited with {self.process.returncode}; see serve.log")
            if os.path.exists(ca):
                try:
                    status, _, _ = call(self, "GET", "/healthz", None, None, timeout=2)
                    if status == 200:
                        return
                except OSError:
                    pass
            time.sleep(0.1)
        raise RuntimeError("serve did not answer /healthz within 60 s")

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()


def call(server: Server, method: str, path: str, token, body, key=None, timeout=20.0):
    context = ssl.create_default_context(cafile=os.path.join(server.data, "tls", "ca.pem"))
    connection = http.client.HTTPSConnection("127.0.0.1", server.port, context=context, timeout=timeout)
    try:
        headers = {}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        if body is not None:
            headers["Content-Type"] = "application/json"
        if key:
            headers["Idempotency-Key"] = key
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        data = response.read()
        return response.status, dict(response.getheaders()), data
    finally:
        connection.close()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("binary")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--writers", type=int, default=8)
    parser.add_argument("--seed", type=int, default=int(time.time()))
    parser.add_argument("--results")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    print(f"faults: seed {args.seed}, {args.rounds} rounds, {args.writers} writers")

    work = tempfile.mkdtemp(prefix="watershed-faults-")
    server = Server(args.binary, os.path.join(work, "data"), free_port(), free_port())
    acknowledged = {}  # key -> incident id from its 201
    unanswered = set()  # keys sent with no answer before a kill
    refused = []  # (key, status, body) for answers that are neither 201 nor a connection failure
    lock = threading.Lock()
    counter = [0]
    failures = []

    def writer(stop: threading.Event) -> None:
        while not stop.is_set():
            with lock:
                counter[0] += 1
                key = f"fault-{args.seed}-{counter[0]}"
            body = report(km=rng.uniform(0, 50))
            try:
                status, headers, data = call(server, "POST", "/v1/incidents", OFFICER, body, key)
            except (OSError, http.client.HTTPException):
                with lock:
                    unanswered.add((key, body))
                continue
            if status == 201:
                with lock:
                    acknowledged[key] = json.loads(data)["incident"]["id"]
            else:
                with lock:
                    refused.append((key, status, data[:200]))

    try:
        server.start()
        for round_number in range(1, args.rounds + 1):
            stop = threading.Event()
            threads = [threading.Thread(target=writer, args=(stop,)) for _ in range(args.writers)]
            for thread in threads:
                thread.start()
            time.sleep(rng.uniform(1.0, 4.0))
            server.kill()
            stop.set()
            for thread in threads:
                thread.join(timeout=30)
            server.start()
            # Retry what got no answer, with its key: stored once, now or before the kill.
            with lock:
                pending = sorted(unanswered)
                unanswered.clear()
            replayed = 0
            for key, body in pending:
                status, headers, data = call(server, "POST", "/v1/incidents", OFFICER, body, key)
                if status != 201:
                    failures.append(f"retry of {key}: {status} {data[:200]!r}")
                    continue
                if headers.get("Idempotent-Replayed") == "true":
                    replayed += 1
                acknowledged[key] = json.loads(data)["incident"]["id"]
            print(f"round {round_number}: {len(acknowledged)} acknowledged so far; {len(pending)} in flight at the "
                  f"kill retried ({replayed} had been committed, {len(pending) - replayed} stored on retry)")

        # The history.
        events = []
        after = 0
        while True:
            status, _, data = call(server, "GET", f"/v1/events?after={after}&limit=1000", VIEWER, None)
            page = json.loads(data)
            events += page
            if len(page) < 1000:
                break
            after = page[-1]["seq"]
        seqs = [event["seq"] for event in events]
        if seqs != list(range(1, len(seqs) + 1)):
            failures.append("seqs are not gapless from 1")
        reported = {}
        for event in events:
            if event["type"] == "IncidentReported":
                reported[event["incident"]] = reported.get(event["incident"], 0) + 1
        lost = [key for key, incident in acknowledged.items() if incident not in reported]
        duplicated = [incident for incident, count in reported.items() if count > 1]
        # Every incident in the log was acknowledged under one key (none stored twice for one key).
        keyed = set(acknowledged.values())
        unacknowledged = [incident for incident in reported if incident not in keyed]
        if lost:
            failures.append(f"{len(lost)} acknowledged reports lost, e.g. {lost[:3]}")
        if duplicated:
            failures.append(f"{len(duplicated)} incidents reported twice")
        if len(keyed) != len(acknowledged):
            failures.append("two keys were answered with the same incident")
        if unacknowledged:
            failures.append(f"{len(unacknowledged)} incidents in the log that no answer named")
        for key, status, data in refused:
            failures.append(f"{key}: refused with {status} {data!r}")
        server.stop()
        verify = subprocess.run([args.binary, "audit", "verify", "--data", server.data], capture_output=True,
                                text=True, timeout=120)
        if verify.returncode != 0:
            failures.append(f"audit verify: {verify.stdout.strip()} {verify.stderr.strip()}")
        summary = (f"{args.rounds} rounds, {len(acknowledged)} acknowledged, {len(lost)} lost, "
                   f"{len(duplicated)} duplicated, head {seqs[-1] if seqs else 0}, chain "
                   f"{'verified' if verify.returncode == 0 else 'BROKEN'}")
        print(summary)
        if args.results:
            with open(args.results, "a") as out:
                out.write(f"- {datetime.date.today()} seed {args.seed}, {args.writers} writers: {summary}\n")
    finally:
        server.stop()
    for failure in failures:
        print("FAIL:", failure)
    checks = 5
    failed = min(checks, len(failures))
    print(f"faults: {checks - failed} passed, {failed} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
