#!/usr/bin/env python3
"""The three-node trial, end to end (issue 18, "deploy/"): what `deploy/three-nodes/README.md` walks through, run
and checked by a script, on free ports in a temporary folder.

    deploy/three-nodes/try.py [--keep]

1. `cluster.sh up`: a PostgreSQL primary with a synchronous standby, three `watershed serve` nodes, haproxy.
2. Reports filed through haproxy (each with an Idempotency-Key); one node leads (`watershed_leader 1`).
3. `kill -9` of the leading node: another leads within 5 s; reports go on through haproxy.
4. `cluster.sh failover`: the primary crashes, the standby is promoted; a client sends each report again with its
   key until it is answered; the seconds until the first is answered after the crash are printed.
5. Checks: every answered report is in the log once, the seqs are gapless, `watershed audit verify --database`
   on the promoted standby passes. Then `cluster.sh down`.

Exit status 0 when every check holds; the figures are printed for Benchmarks/results or the stop note.
"""

import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
CLUSTER = os.path.join(HERE, "cluster.sh")
OFFICER = "wsd-dev-officer-yizhou"  # seeds/450000/README.md
VIEWER = "wsd-dev-viewer-gx"
REPORT = os.path.join(ROOT, "Tests", "Fixtures", "longjiang-initial-report.json")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def request(context, url, method="GET", token=VIEWER, body=None, headers=None, timeout=10):
    """(status, parsed JSON or text); (0, error) when the connection fails."""
    req = urllib.request.Request(url, method=method, data=body)
    req.add_header("Authorization", f"Bearer {token}")
    if body is not None:
        req.add_header("Content-Type", "application/json")
    for name, value in (headers or {}).items():
        req.add_header(name, value)
    try:
        with urllib.request.urlopen(req, context=context, timeout=timeout) as answer:
            text = answer.read().decode()
            status = answer.status
    except urllib.error.HTTPError as error:
        text = error.read().decode(errors="replace")
        status = error.code
    except (OSError, urllib.error.URLError) as error:
        return 0, str(error)
    try:
        return status, json.loads(text)
    except ValueError:
        return status, text


def main():
    keep = "--keep" in sys.argv
    folder = tempfile.mkdtemp(prefix="watershed-three-nodes.")
    base_ports = []
    while len(base_ports) < 3:
        port = free_port()
        if port + 1 < 65536 and port not in base_ports:
            base_ports.append(port)
    env = dict(
        os.environ,
        PEOPLE_PORT=str(free_port()),
        PEER_PORT=str(free_port()),
        PG_PRIMARY_PORT=str(free_port()),
        PG_STANDBY_PORT=str(free_port()),
        NODE_PORTS=" ".join(str(p) for p in base_ports),
    )
    front = f"https://127.0.0.1:{env['PEOPLE_PORT']}"
    failures = []
    figures = {}

    def cluster(*args):
        subprocess.run([CLUSTER, *args, folder], env=env, check=True)

    try:
        cluster("up")
        context = ssl.create_default_context(cafile=os.path.join(folder, "ca.pem"))
        context.check_hostname = False  # 127.0.0.1; the certificate names localhost
        body = open(REPORT, "rb").read()
        answered = {}

        def file(key, seconds):
            """Sends the report with `key` through haproxy until it is answered 201/200 or `seconds` pass."""
            start = time.monotonic()
            while time.monotonic() - start < seconds:
                status, answer = request(
                    context, front + "/v1/incidents", "POST", OFFICER, body, {"Idempotency-Key": key})
                if status in (200, 201):
                    answered[key] = answer["incident"]["id"]
                    return time.monotonic() - start
                time.sleep(0.2)
            failures.append(f"{key} was not answered within {seconds} s")
            return None

        for n in range(5):
            file(f"before-{n}", 30)

        def leaders():
            found = []
            for index, port in enumerate(base_ports, start=1):
                status, text = request(context, f"https://127.0.0.1:{port}/metrics", timeout=3)
                if status == 200 and any(
                        line.split()[:1] == ["watershed_leader"] and float(line.split()[1]) == 1
                        for line in text.splitlines()):
                    found.append(index)
            return found

        leading = leaders()
        if len(leading) != 1:
            failures.append(f"one node should lead, found {leading}")
        else:
            pid = int(open(os.path.join(folder, f"node-{leading[0]}.pid")).read())
            os.kill(pid, signal.SIGKILL)
            killed = time.monotonic()
            while time.monotonic() - killed < 20:
                now_leading = leaders()
                if now_leading and now_leading != leading:
                    break
                time.sleep(0.1)
            takeover = time.monotonic() - killed
            figures["leader takeover after kill -9, s"] = round(takeover, 2)
            if takeover > 5:
                failures.append(f"the takeover took {takeover:.1f} s (more than 5)")
            for n in range(5):
                file(f"after-kill-{n}", 30)

        cluster("failover")
        crashed = time.monotonic()
        first = file("after-failover-0", 60)
        if first is not None:
            figures["first report answered after the primary crashed, s"] = round(time.monotonic() - crashed, 2)
        for n in range(1, 5):
            file(f"after-failover-{n}", 30)

        # The log as haproxy's nodes serve it.
        events, after = [], 0
        while True:
            status, page = request(context, f"{front}/v1/events?after={after}&limit=1000")
            if status != 200:
                failures.append(f"GET /v1/events answered {status}: {page}")
                break
            events += page
            if len(page) < 1000:
                break
            after = page[-1]["seq"]
        seqs = [event["seq"] for event in events]
        if seqs != list(range(1, len(seqs) + 1)):
            failures.append("the seqs have a gap")
        reported = [event["incident"] for event in events if event["type"] == "IncidentReported"]
        if len(reported) != len(set(reported)):
            failures.append("an incident was reported twice")
        if set(reported) != set(answered.values()):
            failures.append(f"answered {len(answered)} reports, the log holds {len(reported)}")
        figures["reports answered"] = len(answered)
        figures["events in the log"] = len(events)

        standby = f"postgres://watershed@127.0.0.1:{env['PG_STANDBY_PORT']}/watershed?sslmode=disable"
        binary = (os.environ.get("WATERSHED") or shutil.which("watershed")
                  or os.path.join(ROOT, ".build", "debug", "watershed"))
        audit = subprocess.run([binary, "audit", "verify", "--database", standby], capture_output=True, text=True)
        print(audit.stdout.strip())
        if audit.returncode != 0:
            failures.append(f"audit verify failed: {audit.stdout} {audit.stderr}")
    except subprocess.CalledProcessError as error:
        failures.append(f"{error}")
    finally:
        if not keep:
            subprocess.run([CLUSTER, "down", folder], env=env, check=False)
    for name, value in figures.items():
        print(f"{name}: {value}")
    if failures:
        print("FAILED:\n  " + "\n  ".join(failures), file=sys.stderr)
        print(f"logs: {folder}", file=sys.stderr)
        return 1
    print("three-node trial passed")
    if not keep:
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
