"""`watershed drill join` on a real pseudo-terminal, against a `watershed serve` this script starts itself.

It writes a short scenario of its own (the He River initial report at drill-minute 0, a message at 1, a
complication at 2, the end at 25; ×60, so about 25 wall seconds; one expectation: Babu District 451102
acknowledges a site task within 20 drill-minutes), starts it with `drill start --json` as the commander, and
joins as Babu District's county duty officer with that participant's drill token, under a pty (TERM=xterm,
80×24). It checks what a participant sees: the header naming 451102/county-duty-officer, the prompt `drill> `,
the message inject preceded by the bell (BEL, \\x07) and bold; then types `tasks` (GX-YYYY-0001/T1 … with its
"ack by" deadline), `ack 1` (GX-YYYY-0001/T1 acknowledged) and `foo` (unknown command), waits for the drill to
end by itself and checks the score ("1 of 1 expectations met", MET) and that the command exits 0.

Usage: python3 Tests/terminal/drill_join_pty.py [WATERSHED_BINARY]
(default: `swift build --show-bin-path`/watershed). Run from anywhere; it passes the repository's playbooks/ and
seeds/ to the server. Bounded: about 35 s, every wait has a deadline. On a failure it prints the join command's
output so far (escapes shown with repr) and the server log's tail. Ends with "N passed, N failed"; exit 0 when
none failed.
"""
import fcntl
import json
import os
import pathlib
import re
import select
import shutil
import signal
import socket
import ssl
import struct
import subprocess
import sys
import tempfile
import termios
import time
import urllib.error
import urllib.request

ROOT = pathlib.Path(__file__).resolve().parents[2]
COMMANDER = "wsd-dev-commander-gx"
VIEWER = "wsd-dev-viewer-gx"
UNIT, POSITION = "451102", "county-duty-officer"  # Babu District, Hezhou
MESSAGE = "PTY-CHECK message: the Hemianshi dam keeper phones in, gate 3 jammed half open"
COMPLICATION = "PTY-CHECK complication: the Xindu gauge sampler has no boat"
END_MIN = 25  # drill-minutes; at ×60 this many wall seconds

SCENARIO = f"""# Written by Tests/terminal/drill_join_pty.py: a short He River drill for the join view.
schemaVersion: 1
kind: drill
id: join-pty-check
title: "Join view check (He River, short)"
startsAt: "2013-07-05T12:00:00+08:00"
clockFactor: 60
endsAtMin: {END_MIN}
participants:
  - {{unit: "{UNIT}", dutyPosition: {POSITION}}}
  - {{unit: "451100", dutyPosition: city-duty-chief}}
peers: []
injects:
  - atMin: 0
    kind: initialReport
    summary: "Initial report from Babu District, Hezhou: mass fish deaths at the Hemianshi reservoir."
    by: {{unit: "{UNIT}", dutyPosition: {POSITION}}}
    reportFile: {json.dumps(str(ROOT / "seeds" / "450000" / "drills" / "he-river-2013-joint.initial.json"))}
  - atMin: 1
    kind: message
    summary: {json.dumps(MESSAGE)}
  - atMin: 2
    kind: complication
    summary: {json.dumps(COMPLICATION)}
expectations:
  - id: babu-site-ack
    text: "Babu District acknowledges a site task within 20 drill-minutes of the initial report."
    kind: taskAcknowledged
    unit: "{UNIT}"
    taskKind: site
    withinMin: 20
sources:
  - "Tests/terminal/drill_join_pty.py; the report: seeds/450000/drills/he-river-2013-joint.initial.json"
"""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`watershed serve` on ports and a data directory of its own."""

    def __init__(self, binary, work):
        self.binary, self.work = binary, work
        self.data = work / "data"
        self.port, self.peer_port = free_port(), free_port()
        self.process = None
        self.log_path = work / "serve.log"

    @property
    def ca(self):
        return str(self.data / "tls" / "ca.pem")

    @property
    def url(self):
        return f"https://127.0.0.1:{self.port}"

    def start(self):
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [self.binary, "serve", "--port", str(self.port), "--peer-port", str(self.peer_port),
                 "--data", str(self.data), "--playbooks", str(ROOT / "playbooks"), "--seeds", str(ROOT / "seeds")],
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=ROOT)
        deadline = time.time() + 30
        while time.time() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"watershed serve exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                if os.path.exists(self.ca) and self.healthz() == b"ok\n":
                    return
            except (OSError, urllib.error.URLError, ssl.SSLError):
                pass
            time.sleep(0.2)
        raise RuntimeError(f"watershed serve did not answer /healthz within 30 s:\n{self.log_tail()}")

    def healthz(self):
        context = ssl.create_default_context(cafile=self.ca)
        with urllib.request.urlopen(f"{self.url}/healthz", context=context, timeout=5) as response:
            return response.read()

    def stop(self):
        """Stops this server (its own pid only): SIGTERM, then SIGKILL after 15 s."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def log_tail(self, lines=30):
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no server log)"


class Timeout(Exception):
    pass


class Terminal:
    """A command on a pseudo-terminal: what it writes is collected; `expect` waits for a pattern in it."""

    def __init__(self, argv, cwd):
        master, slave = os.openpty()
        # 80×24, as a terminal window would have.
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
        env = {**os.environ, "TERM": "xterm", "COLUMNS": "80", "LINES": "24"}
        self.process = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, cwd=cwd, env=env,
                                        start_new_session=True, close_fds=True)
        os.close(slave)  # the child holds it; reading the master gives EIO once the child has gone
        self.master = master
        self.raw = b""
        self.eof = False

    @property
    def text(self):
        return self.raw.decode("utf-8", errors="replace")

    def pump(self, seconds):
        """Reads what is there for up to `seconds`."""
        if self.eof:
            time.sleep(min(seconds, 0.05))
            return
        ready, _, _ = select.select([self.master], [], [], max(0.0, seconds))
        if not ready:
            return
        try:
            chunk = os.read(self.master, 65536)
        except OSError:  # EIO: the slave side is closed (the command exited)
            chunk = b""
        if chunk:
            self.raw += chunk
        else:
            self.eof = True

    def expect(self, pattern, seconds, what, start=0):
        """Waits until `pattern` (a regex on the decoded output from `start`) matches; the match."""
        deadline = time.time() + seconds
        regex = re.compile(pattern)
        while True:
            found = regex.search(self.text, start)
            if found:
                return found
            if self.eof or time.time() >= deadline:
                raise Timeout(f"{'output ended' if self.eof else f'timed out after {seconds} s'} waiting for "
                              f"{what} ({pattern!r})")
            self.pump(min(0.2, deadline - time.time()))

    def type(self, line):
        """Types a line as a person would: the characters, then Return (\\r; the tty turns it into \\n)."""
        os.write(self.master, line.encode() + b"\r")

    def wait(self, seconds):
        """The exit status, reading the output meanwhile; None if still running after `seconds`."""
        deadline = time.time() + seconds
        while time.time() < deadline:
            if self.process.poll() is not None:
                while not self.eof:
                    self.pump(0.2)
                return self.process.returncode
            self.pump(0.1)
        return self.process.poll()

    def close(self):
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        try:
            os.close(self.master)
        except OSError:
            pass


def default_binary():
    bin_path = subprocess.run(["swift", "build", "--show-bin-path"], cwd=ROOT, capture_output=True, text=True,
                              check=True).stdout.strip()
    return str(pathlib.Path(bin_path) / "watershed")


def main():
    binary = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else default_binary()
    began = time.time()
    work = pathlib.Path(tempfile.mkdtemp(prefix="watershed-join-"))
    server = Server(binary, work)
    join = None
    passed, failed = [], []

    def check(name, condition, detail=""):
        (passed if condition else failed).append(name)
        print(f"{'ok  ' if condition else 'FAIL'} {name}" + ("" if condition else f": {detail}"))
        return condition

    try:
        server.start()
        scenario = work / "join-pty-check.yaml"
        scenario.write_text(SCENARIO)
        client = ["--server", server.url, "--ca", server.ca]
        started = subprocess.run([binary, "drill", "start", str(scenario), "--json", "--token", COMMANDER, *client],
                                 cwd=ROOT, capture_output=True, text=True, timeout=30)
        if started.returncode != 0:
            raise RuntimeError(f"drill start exited {started.returncode}:\n{started.stdout}{started.stderr}")
        drill_began = time.time()
        document = json.loads(started.stdout)
        drill_id = document["drill"]["id"]
        tokens = [t for t in document["tokens"] if t["unit"] == UNIT and t["dutyPosition"] == POSITION]
        if len(tokens) != 1:
            raise RuntimeError(f"no single drill token for {UNIT}/{POSITION}: {document['tokens']}")
        # The first incident of a fresh data directory: GX-<the server's year, Asia/Shanghai = UTC+8>-0001.
        year = time.gmtime(time.time() + 8 * 3600).tm_year
        incident = f"GX-{year}-0001"

        join = Terminal([binary, "drill", "join", drill_id[:8], *client, "--token", tokens[0]["token"]], cwd=ROOT)
        join.expect(r"you are 451102/county-duty-officer \(", 20, "the header naming the participant")
        check("header names 451102/county-duty-officer", True)
        join.expect(r"drill> ", 10, "the prompt")
        check("the prompt `drill> ` is drawn", True)
        bold = "\r\x1b[K\x07\x1b[1m"  # line start, bell, bold: an inject on a terminal
        stamp = r"\[\d{4}-[^\]\r\n]*\] "  # [2013-07-05 12:01 +08:00]
        message = join.expect(stamp + r"INJECT 2 \(message\): " + re.escape(MESSAGE), 20, "the message inject")
        check("the message inject arrives after the bell, in bold",
              join.text[:message.start()].endswith(bold) and join.text.startswith("\x1b[0m", message.end()),
              repr(join.text[max(0, message.start() - 40):message.end() + 10]))
        complication = join.expect(stamp + r"INJECT 3 \(complication\): " + re.escape(COMPLICATION), 20,
                                   "the complication inject")
        check("the complication inject arrives after the bell too", join.text[:complication.start()].endswith(bold),
              repr(join.text[max(0, complication.start() - 40):complication.end() + 10]))
        join.expect(r"— live \(", 20, "the view to be live (caught up)")

        mark = len(join.text)
        join.type("tasks")
        listing = join.expect(r"Your tasks \(\d+ open\):", 10, "the task list after `tasks`", mark)
        first = join.expect(r"1\. " + re.escape(incident) + r"/T1 \[[^\]]+\] [^\r\n]*", 10,
                            f"task 1 ({incident}/T1) in the list", listing.end())
        check(f"`tasks` lists {incident}/T1 with its ack-by deadline", "— ack by " in first.group(0),
              repr(first.group(0)))

        mark = len(join.text)
        join.type("ack 1")
        acked = join.expect(re.escape(incident) + r"/T1 acknowledged — [^\r\n]+", 10, "the acknowledgement", mark)
        check(f"`ack 1` answers {incident}/T1 acknowledged", True, acked.group(0))

        mark = len(join.text)
        join.type("foo")
        join.expect(r'unknown command "foo"', 10, "the answer to an unknown command", mark)
        check("`foo` answers unknown command", True)

        # The drill ends by itself at drill-minute END_MIN (END_MIN wall seconds after the start, at ×60).
        left = END_MIN - (time.time() - drill_began) + 20
        ended = join.expect(r"\] drill ended \(endsAtMin\)", max(left, 20), "the drill's end")
        check("the drill ends by itself (endsAtMin), with the bell", join.text[:ended.start()].rfind("\x07") >
              join.text[:ended.start()].rfind("\n"), repr(join.text[max(0, ended.start() - 60):ended.end() + 10]))
        try:
            headline = join.expect(r"1 of 1 expectations met", 10, "the score after the drill's end", ended.end())
            check("the score at the end: 1 of 1 expectations met", True)
            met = join.expect(r"MET\s+babu-site-ack: ", 5, "the expectation's line", headline.end())
            check("the expectation is MET", True, met.group(0))
        except Timeout as error:
            check("the score is shown when the drill ends", False, str(error))
        status = join.wait(15)
        check("drill join exits 0 when the drill ends", status == 0,
              "still running 15 s after the drill ended" if status is None else f"exit status {status}")
        # The same score read with the viewer token (the drill tokens stop working at the end): tells a view that
        # does not show the score apart from an expectation the server did not count as met.
        scored = subprocess.run([binary, "drill", "score", drill_id, "--json", "--token", VIEWER, *client],
                                cwd=ROOT, capture_output=True, text=True, timeout=30)
        score = json.loads(scored.stdout) if scored.returncode == 0 else {}
        check("the server's score (`drill score` as a viewer): ended, 1 of 1 met",
              score.get("ended") is True and (score.get("met"), score.get("total")) == (1, 1),
              f"exit {scored.returncode}: {scored.stdout[:300]}{scored.stderr[:300]}")
    except Timeout as error:
        check("every wait within its deadline", False, str(error))
    except Exception as error:  # noqa: BLE001 — report any failure with the output seen so far
        check("the run", False, f"{type(error).__name__}: {error}")
    finally:
        if failed:
            if join is not None:
                print("drill join output so far (repr):")
                for line in join.text.split("\n"):
                    print("  " + repr(line))
                print(f"drill join exit status: {join.process.poll()}")
            print("server log (tail):")
            print(server.log_tail())
        if join is not None:
            join.close()
        server.stop()
        shutil.rmtree(work, ignore_errors=True)
    print(f"drill join on a pty: {len(passed)} passed, {len(failed)} failed ({time.time() - began:.0f} s)")
    return 0 if not failed else 1


if __name__ == "__main__":
    sys.exit(main())
