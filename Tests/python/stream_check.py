"""A client we did not write (Python's `websockets`) against a running `watershed serve`.

Subscribes to wss://127.0.0.1:PORT/v1/stream?after=0 trusting only the server's development
CA, waits for `caughtUp`, files the Longjiang initial report with curl, and expects the
incident's `IncidentReported` and `PlanComputed` events, in seq order, right after the head.

Usage: python3 Tests/python/stream_check.py PORT CA_FILE REPORT_JSON
Exits 0 on success; prints what it saw and exits 1 otherwise. Bounded: 30 s at most.
"""
import asyncio
import json
import ssl
import subprocess
import sys

import websockets


async def main(port: int, ca_file: str, report: str) -> int:
    context = ssl.create_default_context(cafile=ca_file)
    headers = {"Authorization": "Bearer wsd-dev-viewer-gx"}
    url = f"wss://127.0.0.1:{port}/v1/stream?after=0"
    async with websockets.connect(url, ssl=context, additional_headers=headers, max_size=None) as ws:
        head = None
        while head is None:
            frame = json.loads(await asyncio.wait_for(ws.recv(), 10))
            if frame["type"] == "caughtUp":
                head = frame["head"]
        filed = subprocess.run(
            ["curl", "-sf", "--cacert", ca_file, "-H", "Authorization: Bearer wsd-dev-officer-yizhou",
             "-H", "Content-Type: application/json", "--data-binary", "@" + report,
             f"https://127.0.0.1:{port}/v1/incidents"],
            capture_output=True, timeout=20)
        if filed.returncode != 0:
            print("curl failed:", filed.returncode, filed.stdout[:300], filed.stderr[:300])
            return 1
        seen = []
        while len(seen) < 2:
            frame = json.loads(await asyncio.wait_for(ws.recv(), 10))
            event = frame["event"]
            seen.append((event["seq"], event["type"]))
        expected = [(head + 1, "IncidentReported"), (head + 2, "PlanComputed")]
        print("received", seen)
        return 0 if seen == expected else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(asyncio.wait_for(main(int(sys.argv[1]), sys.argv[2], sys.argv[3]), 30)))
