#!/usr/bin/env python3
"""A bounded schemathesis run against a live `watershed serve`, using the OpenAPI document it serves.

    python3 Tests/openapi/schemathesis_run.py BINARY [--max-examples N] [--max-time SECONDS] [--seed N]

Starts BINARY serve on two free loopback ports with a fresh data directory (the repository's playbooks and
seeds), waits for the development CA and /healthz, then runs schemathesis against https://127.0.0.1:PORT with the
served /v1/openapi.json, the development CA, and the Guangxi commander's development token (seeds/450000/README.md;
its SHA-256 is checked against seeds/450000/tokens.yaml). Operations tagged `peer` (the peer port) and the WebSocket
stream are left out. Checks: not_a_server_error, status_code_conformance, content_type_conformance,
response_schema_conformance. Fixed seed; examples bounded per operation; the whole run bounded in wall-clock time.

Afterwards the server must still be running, stop cleanly on SIGTERM, and `BINARY audit verify` must pass on its
data. Prints the operations, test cases and failures; exits non-zero on any failure.
"""
import argparse
import hashlib
import os
import re
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.request

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
TOKEN = "wsd-dev-commander-gx"
TOKEN_ID = "gx-commander"


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def check_token():
    """The development token is the one tokens.yaml lists for the commander (its SHA-256)."""
    text = open(os.path.join(REPO, "seeds", "450000", "tokens.yaml"), encoding="utf-8").read()
    match = re.search(r"- id: " + TOKEN_ID + r"\s+sha256: ([0-9a-f]{64})[\s\S]*?roles: \[([^\]]*)\]", text)
    if not match or hashlib.sha256(TOKEN.encode()).hexdigest() != match.group(1) or "commander" not in match.group(2):
        sys.exit(f"seeds/450000/tokens.yaml has no commander {TOKEN_ID} whose secret is the development one")


def ensure_schemathesis():
    try:
        subprocess.run(["schemathesis", "--version"], check=True, capture_output=True)
    except (OSError, subprocess.CalledProcessError):
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "schemathesis"], check=True)


def wait_ready(server, ca, port, seconds=90):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit(f"watershed serve exited with {server.returncode} before it answered")
        if os.path.exists(ca):
            try:
                context = ssl.create_default_context(cafile=ca)
                with urllib.request.urlopen(f"https://127.0.0.1:{port}/healthz", context=context, timeout=2) as reply:
                    if reply.status == 200:
                        return
            except OSError:
                pass
        time.sleep(0.5)
    sys.exit(f"watershed serve did not answer /healthz within {seconds} s")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("binary")
    parser.add_argument("--max-examples", type=int, default=15, help="examples per operation in the fuzzing phase")
    parser.add_argument("--max-time", type=int, default=180, help="wall-clock bound of the schemathesis run, s")
    parser.add_argument("--seed", type=int, default=20)
    args = parser.parse_args()
    check_token()
    ensure_schemathesis()
    work = tempfile.mkdtemp(prefix="watershed-schemathesis-")
    data = os.path.join(work, "data")
    ca = os.path.join(data, "tls", "ca.pem")
    port, peer_port = free_port(), free_port()
    log = open(os.path.join(work, "serve.log"), "wb")
    server = subprocess.Popen(
        [args.binary, "serve", "--port", str(port), "--peer-port", str(peer_port), "--data", data,
         "--playbooks", os.path.join(REPO, "playbooks"), "--seeds", os.path.join(REPO, "seeds")],
        stdout=log, stderr=subprocess.STDOUT, cwd=REPO)
    failures = []
    try:
        wait_ready(server, ca, port)
        base = f"https://127.0.0.1:{port}"
        command = [
            "timeout", "--signal=INT", "--kill-after=15", str(args.max_time + 30),
            "schemathesis", "run", f"{base}/v1/openapi.json", "--url", base,
            "--tls-verify", ca, "--header", f"Authorization: Bearer {TOKEN}",
            "--exclude-tag", "peer", "--exclude-path", "/v1/stream",
            "--checks", "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance",
            "--phases", "examples,coverage,fuzzing",
            "--max-examples", str(args.max_examples), "--seed", str(args.seed), "--max-time", str(args.max_time),
            "--generation-with-security-parameters", "false",
            "--workers", "1", "--request-timeout", "20", "--no-color", "--output-truncate", "true",
        ]
        print("$ " + " ".join(command).replace(TOKEN, "<token>"), flush=True)
        started = time.monotonic()
        # In the scratch folder: schemathesis keeps its example database and reports in ./.schemathesis.
        run = subprocess.run(command, capture_output=True, text=True, cwd=work)
        elapsed = time.monotonic() - started
        output = run.stdout + run.stderr
        print(output)
        # The summary's figures (schemathesis 4: "Selected: 36/39", "Tested: 36", "20928 generated, 1 found 1 unique
        # failure" or "… generated, … passed").
        tested = re.search(r"Tested:\s*(\d+)", output)
        selected = re.search(r"Selected:\s*(\d+)/(\d+)", output)
        cases = re.search(r"(\d+) generated", output)
        found = re.search(r"(\d+) unique failures?", output)
        print(f"schemathesis: operations tested {tested.group(1) if tested else '?'}"
              f" (selected {selected.group(1) + ' of ' + selected.group(2) if selected else '?'}),"
              f" test cases {cases.group(1) if cases else '?'}, unique failures {found.group(1) if found else 0},"
              f" {elapsed:.0f} s, exit {run.returncode}")
        if run.returncode != 0:
            failures.append(f"schemathesis exited {run.returncode}")
        if server.poll() is not None:
            failures.append(f"the server died during the run (exit {server.returncode}); its log: {log.name}")
    finally:
        if server.poll() is None:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
                failures.append("the server did not stop within 30 s of SIGTERM")
        log.close()
    verify = subprocess.run([args.binary, "audit", "verify", "--data", data], capture_output=True, text=True)
    print(verify.stdout.strip())
    if verify.returncode != 0:
        failures.append(f"audit verify failed: {verify.stderr.strip()}")
    for failure in failures:
        print("FAILED: " + failure, file=sys.stderr)
    print(f"server log: {os.path.join(work, 'serve.log')}")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
