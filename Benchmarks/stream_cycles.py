"""Stream connect → caughtUp → close cycles against a running server, sampling its memory (issue 15, item 4).

Each cycle opens wss://127.0.0.1:PORT/v1/stream?after=HEAD with a bearer token, waits for `caughtUp`, and closes
normally. Every `--every` cycles it prints the server's resident memory (VmRSS from /proc/PID/status) and the number
of connections it holds open (`watershed_stream_connections` from /metrics), so a leak shows as RSS that keeps
growing with no connection open. Several cycles run at once (`--concurrency`).

With `--heap` it also reads the server's live heap at each sample, with gdb: glibc's `mallinfo2()`, bytes in use in
every arena plus mmapped blocks — RSS alone is blurred by allocator arenas that keep freed pages.

Usage:
    python3 Benchmarks/stream_cycles.py PORT CA_FILE SERVER_PID --cycles 25000 [--every 1000] [--concurrency 8]
        [--heap]

Prints `cycles rss_kb heap_in_use_bytes open_streams` rows; bounded by --cycles and --seconds.
"""
import argparse
import asyncio
import json
import re
import ssl
import subprocess
import time
import urllib.request

import websockets


def rss_kb(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return -1


def heap_in_use(pid: int, enabled: bool) -> str:
    """glibc's live heap of `pid`: `mallinfo2()`'s bytes in use in every arena (`uordblks`, which leaves out free
    chunks in bins and fastbins) plus mmapped blocks (`hblkhd`), read with gdb."""
    if not enabled:
        return "-"
    out = subprocess.run(["gdb", "-p", str(pid), "-batch", "-ex", "print mallinfo2()"], capture_output=True,
                         text=True, timeout=120).stdout
    used = re.search(r"uordblks = (\d+)", out)
    mapped = re.search(r"hblkhd = (\d+)", out)
    return str(int(used.group(1)) + int(mapped.group(1))) if used and mapped else "?"


def open_streams(port: int, context: ssl.SSLContext) -> str:
    with urllib.request.urlopen(f"https://127.0.0.1:{port}/metrics", context=context, timeout=10) as response:
        for line in response.read().decode().splitlines():
            if line.startswith("watershed_stream_connections "):
                return line.split()[1]
    return "?"


async def cycle(url: str, context: ssl.SSLContext, headers: dict) -> None:
    async with websockets.connect(url, ssl=context, additional_headers=headers, max_size=None,
                                  open_timeout=20) as ws:
        while True:
            frame = json.loads(await asyncio.wait_for(ws.recv(), 20))
            if frame.get("type") == "caughtUp":
                return


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("port", type=int)
    parser.add_argument("ca")
    parser.add_argument("pid", type=int)
    parser.add_argument("--cycles", type=int, default=25_000)
    parser.add_argument("--every", type=int, default=1_000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=3_600)
    parser.add_argument("--token", default="wsd-dev-viewer-gx")
    parser.add_argument("--heap", action="store_true")
    parser.add_argument("--settle", type=float, default=5.0, help="seconds idle before each sample")
    args = parser.parse_args()
    context = ssl.create_default_context(cafile=args.ca)
    with urllib.request.urlopen(f"https://127.0.0.1:{args.port}/readyz", context=context, timeout=10) as response:
        head = json.loads(response.read())["head"]
    url = f"wss://localhost:{args.port}/v1/stream?after={head}"
    headers = {"Authorization": f"Bearer {args.token}"}
    done = 0
    started = time.monotonic()
    print("cycles rss_kb heap_in_use_bytes open_streams")
    print(0, rss_kb(args.pid), heap_in_use(args.pid, args.heap), open_streams(args.port, context), flush=True)
    while done < args.cycles and time.monotonic() - started < args.seconds:
        batch = min(args.every, args.cycles - done)
        queue = list(range(batch))

        async def worker() -> None:
            while queue:
                queue.pop()
                await cycle(url, context, headers)

        await asyncio.gather(*(worker() for _ in range(args.concurrency)))
        done += batch
        await asyncio.sleep(args.settle)
        print(done, rss_kb(args.pid), heap_in_use(args.pid, args.heap), open_streams(args.port, context),
              flush=True)


if __name__ == "__main__":
    asyncio.run(main())
