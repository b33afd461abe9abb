#!/usr/bin/env python3
"""Fan-out over three nodes (issue 18, "Benchmarks/results/"): subscribers spread over three `watershed serve` nodes
on one PostgreSQL database; reports filed round-robin on the nodes; how long after a report's append returned on its
node (the 201) each subscriber on each node has the report's last event.

    swift build --product watershed            # or -c release, with WATERSHED=.build/release/watershed
    python3 Benchmarks/fanout_three_nodes.py [--per-node 30] [--reports 30] [--gap-ms 500]

It starts `deploy/three-nodes/cluster.sh up` on free ports in a temporary folder (a primary with a synchronous
standby: every commit waits for the standby's flush), connects `--per-node` WebSocket subscribers to each node's
`/v1/stream` directly (not through haproxy, so the spread is exact), files `--reports` Longjiang initial reports
(about 40 events each, one of them a ~47 KB PlanComputed) one at a time, `--gap-ms` apart, on nodes 1, 2, 3, 1, …,
and prints Markdown: the delay from the 201 to the report's last event at each subscriber, on the node that filed
it and on the other two, p50/p99/max. Negative values: the frame arrived before the filer's answer (the push goes
out at the commit, the answer after it). One Python process reads every subscriber, so at high counts its own
parsing adds to the figures. Bounded: 60 s after the last report at most; the cluster is stopped at the end.
"""

import argparse
import asyncio
import json
import os
import socket
import ssl
import subprocess
import tempfile
import time
import urllib.request

import websockets

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
CLUSTER = os.path.join(ROOT, "deploy", "three-nodes", "cluster.sh")
REPORT = os.path.join(ROOT, "Tests", "Fixtures", "longjiang-initial-report.json")
VIEWER = "wsd-dev-viewer-gx"  # seeds/450000/README.md
OFFICER = "wsd-dev-officer-yizhou"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


async def subscriber(url, context, received, ready):
    """Records the monotonic time each seq arrives, in `received` (seq → seconds)."""
    async with websockets.connect(
            url, ssl=context, additional_headers={"Authorization": f"Bearer {VIEWER}"}, max_size=None) as ws:
        async for message in ws:
            frame = json.loads(message)
            if frame["type"] == "caughtUp":
                ready.set()
            elif frame["type"] == "event":
                received[frame["event"]["seq"]] = time.monotonic()


def file_report(context, port, body):
    req = urllib.request.Request(f"https://127.0.0.1:{port}/v1/incidents", method="POST", data=body)
    req.add_header("Authorization", f"Bearer {OFFICER}")
    req.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(req, context=context, timeout=30) as answer:
        created = json.loads(answer.read())
    return time.monotonic(), created["lastSeq"]


async def measure(args, folder, node_ports):
    context = ssl.create_default_context(cafile=os.path.join(folder, "ca.pem"))
    context.check_hostname = False
    body = open(REPORT, "rb").read()
    subscribers = []  # (node index, received dict)
    tasks = []
    for index, port in enumerate(node_ports):
        for _ in range(args.per_node):
            received, ready = {}, asyncio.Event()
            tasks.append(asyncio.create_task(
                subscriber(f"wss://127.0.0.1:{port}/v1/stream?after=0", context, received, ready)))
            subscribers.append((index, received))
            await asyncio.wait_for(ready.wait(), 30)
    filed = []  # (node index, 201 time, last seq)
    for n in range(args.reports):
        index = n % len(node_ports)
        answered, last = await asyncio.to_thread(file_report, context, node_ports[index], body)
        filed.append((index, answered, last))
        await asyncio.sleep(args.gap_ms / 1000)
    final = filed[-1][2]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not all(final in received for _, received in subscribers):
        await asyncio.sleep(0.05)
    for task in tasks:
        task.cancel()
    same, other, missing = [], [], 0
    for index, answered, last in filed:
        for node, received in subscribers:
            if last not in received:
                missing += 1
                continue
            delay = (received[last] - answered) * 1000
            (same if node == index else other).append(delay)
    return same, other, missing


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--per-node", type=int, default=30)
    parser.add_argument("--reports", type=int, default=30)
    parser.add_argument("--gap-ms", type=int, default=500)
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="watershed-fanout.")
    node_ports = [free_port() for _ in range(3)]
    env = dict(os.environ, PEOPLE_PORT=str(free_port()), PEER_PORT=str(free_port()),
               PG_PRIMARY_PORT=str(free_port()), PG_STANDBY_PORT=str(free_port()),
               NODE_PORTS=" ".join(str(p) for p in node_ports))
    subprocess.run([CLUSTER, "up", folder], env=env, check=True, stdout=subprocess.DEVNULL)
    try:
        same, other, missing = asyncio.run(measure(args, folder, node_ports))
    finally:
        subprocess.run([CLUSTER, "down", folder], env=env, check=False)
    print(f"{args.per_node} subscribers on each of 3 nodes, {args.reports} reports {args.gap_ms} ms apart, "
          f"filed on the nodes in turn; missing deliveries: {missing}\n")
    print("| subscriber on | deliveries | p50 ms | p99 ms | max ms |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for name, values in (("the node that filed", same), ("another node", other)):
        if values:
            print(f"| {name} | {len(values)} | {percentile(values, 50):.1f} | {percentile(values, 99):.1f} "
                  f"| {max(values):.1f} |")
    return 0 if missing == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
