#!/usr/bin/env python3
"""Language server latency: `regshift server` driven over stdio with plain JSON-RPC.

    python3 benches/lsp.py             # 15 runs per row
    python3 benches/lsp.py --quick     # 3 runs per row (CI smoke test)

Builds regshift (`cargo build --profile dist`, honouring CARGO_TARGET_DIR) unless --regshift is
given, generates its buffers in memory (deterministically: the same bytes every run) and
prints one plain-text table of medians against the targets. Needs nothing but python3.
See benches/README.md for what each row measures.
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

OPEN_TARGET_MS = 100.0
KEYSTROKE_TARGET_MS = 5.0
TIMEOUT_S = 30.0


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def build_regshift(profile: str) -> Path:
    """The binary of a cargo profile: `dist` (the release artifacts, the default) or `release`
    (what `cargo install` builds)."""
    target = Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target"))
    log(f"cargo build --profile {profile} (target dir {target})")
    subprocess.run(["cargo", "build", "--profile", profile, "--quiet"], cwd=REPO, check=True)
    return target / profile / "regshift"


# ---------------------------------------------------------------------------------------------
# Buffers


def deployment(index: int, legacy: bool) -> str:
    """One Deployment of about 650 bytes, with one image from k8s.gcr.io when `legacy`."""
    registry = "k8s.gcr.io" if legacy else "registry.example.com/platform"
    image = ("pause", "etcd", "kube-proxy", "coredns", "metrics-server")[index % 5]
    return f"""\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: service-{index:05d}
  namespace: team-{index % 17:02d}
  labels:
    app.kubernetes.io/name: service-{index:05d}
    app.kubernetes.io/part-of: platform
spec:
  replicas: {1 + index % 3}
  selector:
    matchLabels:
      app.kubernetes.io/name: service-{index:05d}
  template:
    metadata:
      labels:
        app.kubernetes.io/name: service-{index:05d}
    spec:
      containers:
      - name: main
        image: {registry}/{image}:v1.{index % 29}.{index % 7}
        args: ["--port=8{index % 1000:03d}", "--log-level=info"]
        env:
        - name: SERVICE_INDEX
          value: "{index}"
        resources:
          requests: {{cpu: 10m, memory: 32Mi}}
"""


def stream(documents: int, legacy_every: int = 1) -> str:
    return "---\n".join(deployment(index, index % legacy_every == 0) for index in range(documents))


# ---------------------------------------------------------------------------------------------
# JSON-RPC over stdio


class Server:
    """`regshift server` and a reader thread that timestamps every message it sends."""

    def __init__(self, binary: Path, root: Path, env: dict[str, str] | None = None):
        self.process = subprocess.Popen(
            [str(binary), "server"],
            env={**os.environ, **(env or {})},
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            cwd=root,
        )
        self.messages: queue.Queue[tuple[float, dict]] = queue.Queue()
        self.next_id = 0
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        out = self.process.stdout
        assert out is not None
        while True:
            length = None
            while True:
                line = out.readline()
                if not line:
                    return
                if line in (b"\r\n", b"\n"):
                    break
                name, _, value = line.decode("ascii").partition(":")
                if name.strip().lower() == "content-length":
                    length = int(value.strip())
            assert length is not None, "a message without Content-Length"
            body = out.read(length)
            received = time.perf_counter()  # before parsing: the client's work is not timed
            self.messages.put((received, json.loads(body)))

    def send(self, message: dict) -> float:
        """Write one message; the time its first byte went out (reading a large buffer from
        the pipe is the server's work)."""
        body = json.dumps({"jsonrpc": "2.0", **message}, ensure_ascii=False).encode("utf-8")
        data = b"Content-Length: %d\r\n\r\n" % len(body) + body
        stdin = self.process.stdin
        assert stdin is not None
        sent = time.perf_counter()
        stdin.write(data)
        stdin.flush()
        return sent

    def notify(self, method: str, params: dict) -> float:
        return self.send({"method": method, "params": params})

    def request(self, method: str, params: dict | None) -> dict:
        self.next_id += 1
        self.send({"id": self.next_id, "method": method, "params": params})
        while True:
            _, message = self.wait_for(lambda m: "id" in m)
            if message.get("id") == self.next_id and "method" not in message:
                return message
            if "method" in message:  # a request from the server: answer it
                self.send({"id": message["id"], "result": None})

    def wait_for(self, accept) -> tuple[float, dict]:
        deadline = time.perf_counter() + TIMEOUT_S
        while True:
            left = deadline - time.perf_counter()
            if left <= 0:
                raise TimeoutError("the server did not answer in time")
            received, message = self.messages.get(timeout=left)
            if accept(message):
                return received, message
            if "method" in message and "id" in message:
                self.send({"id": message["id"], "result": None})

    def diagnostics_for(self, uri: str) -> tuple[float, list]:
        received, message = self.wait_for(
            lambda m: (
                m.get("method") == "textDocument/publishDiagnostics" and m["params"]["uri"] == uri
            )
        )
        return received, message["params"]["diagnostics"]

    def cpu_ms(self) -> float | None:
        """CPU milliseconds all the server's threads used so far (Linux schedstat)."""
        total = 0
        try:
            for task in Path(f"/proc/{self.process.pid}/task").iterdir():
                total += int((task / "schedstat").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None
        return total / 1e6

    def cpu_ms_since(self, before: float | None) -> float | None:
        after = self.cpu_ms()
        return None if before is None or after is None else after - before

    def close(self) -> int:
        self.request("shutdown", None)
        self.notify("exit", {})
        return self.process.wait(timeout=TIMEOUT_S)


@dataclass
class Sample:
    """One measurement: wall milliseconds from the notification to its diagnostics, and the
    CPU milliseconds the server's threads used meanwhile (None where Linux's schedstat is
    missing). The CPU time barely moves when other processes share the machine."""

    wall: float
    cpu: float | None
    diagnostics: int


def open_document(server: Server, uri: str, text: str) -> Sample:
    """didOpen -> publishDiagnostics."""
    cpu = server.cpu_ms()
    sent = server.notify(
        "textDocument/didOpen",
        {"textDocument": {"uri": uri, "languageId": "yaml", "version": 1, "text": text}},
    )
    received, diagnostics = server.diagnostics_for(uri)
    return Sample((received - sent) * 1000, server.cpu_ms_since(cpu), len(diagnostics))


def change_document(server: Server, uri: str, version: int, text: str) -> Sample:
    """didChange (whole text) -> publishDiagnostics."""
    cpu = server.cpu_ms()
    sent = server.notify(
        "textDocument/didChange",
        {
            "textDocument": {"uri": uri, "version": version},
            "contentChanges": [{"text": text}],
        },
    )
    received, diagnostics = server.diagnostics_for(uri)
    return Sample((received - sent) * 1000, server.cpu_ms_since(cpu), len(diagnostics))


def close_document(server: Server, uri: str) -> None:
    server.notify("textDocument/didClose", {"textDocument": {"uri": uri}})
    # The server clears the closed document's diagnostics; nothing waits for that.


# ---------------------------------------------------------------------------------------------
# The rows


@dataclass
class Row:
    name: str
    samples: list[Sample]
    target: float | None = None
    note: str = ""


def start(binary: Path, root: Path, env: dict[str, str] | None = None) -> Server:
    server = Server(binary, root, env)
    server.request(
        "initialize",
        {
            "processId": os.getpid(),
            "rootUri": root.as_uri(),
            "capabilities": {"general": {"positionEncodings": ["utf-16"]}},
        },
    )
    server.notify("initialized", {})
    return server


def keystrokes(server: Server, uri: str, text: str, runs: int) -> tuple[list[Sample], int]:
    """One character typed into a trailing comment per run, each after the diagnostics of
    the previous one; and how many findings the buffer has."""
    count = open_document(server, uri, text).diagnostics
    samples = []
    for run in range(runs + 1):
        typed = text + "#" + "x" * (run + 1) + "\n"
        sample = change_document(server, uri, run + 2, typed)
        if run:  # the first run warms up
            samples.append(sample)
    close_document(server, uri)
    return samples, count


def measure(binary: Path, runs: int) -> list[Row]:
    big = stream(2000)
    small = stream(15, legacy_every=5)
    size = f"{len(small.encode()) / 1e3:.0f} KB"
    megabytes = f"{len(big.encode()) / 1e6:.1f} MB"
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        (root / ".git").mkdir()

        server = start(binary, root)
        opens = []
        for run in range(runs + 1):
            uri = (root / f"big-{run}.yaml").as_uri()
            sample = open_document(server, uri, big)
            close_document(server, uri)
            if run:  # the first run warms up
                opens.append(sample)
        found = max(sample.diagnostics for sample in opens)
        rows.append(Row(f"didOpen {megabytes} YAML ({found} findings)", opens, OPEN_TARGET_MS))
        typed, count = keystrokes(server, (root / "small.yaml").as_uri(), small, runs)
        rows.append(Row(f"keystroke in {size} ({count} findings)", typed, None, "with debounce"))
        exit_code = server.close()

        # The same keystrokes with the debounce off: the server's own time per keystroke.
        server = start(binary, root, {"REGSHIFT_SERVER_DEBOUNCE_MS": "0"})
        typed, _ = keystrokes(server, (root / "small.yaml").as_uri(), small, runs)
        rows.append(Row(f"keystroke in {size}, debounce 0", typed, KEYSTROKE_TARGET_MS))
        exit_code = max(exit_code, server.close())
    if exit_code != 0:
        raise SystemExit(f"regshift server exited with {exit_code}")
    return rows


def report(rows: list[Row]) -> None:
    width = max(len(row.name) for row in rows)
    header = f"{'row (-> publishDiagnostics)':<{width}}  {'median':>9}  {'min':>9}  {'max':>9}"
    print(f"{header}  {'server CPU':>10}  target")
    for row in rows:
        wall = [sample.wall for sample in row.samples]
        cpus = [sample.cpu for sample in row.samples if sample.cpu is not None]
        median = statistics.median(wall)
        cpu = f"{statistics.median(cpus):7.1f} ms" if cpus else f"{'-':>10}"
        verdict = ""
        if row.target is not None:
            verdict = f"{row.target:3.0f} ms {'ok' if median <= row.target else 'OVER'}"
        if row.note:
            verdict += f" ({row.note})"
        line = f"{row.name:<{width}}  {median:6.1f} ms  {min(wall):6.1f} ms  {max(wall):6.1f} ms"
        print(f"{line}  {cpu}  {verdict}".rstrip())


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="3 runs per row (CI smoke test)")
    parser.add_argument("--regshift", type=Path, help="use this binary instead of building one")
    parser.add_argument("--profile", default="dist",
                        help="cargo profile to build: dist (release artifacts, default) or release")
    parser.add_argument("--runs", type=int, help="timed runs per row (default 15; quick 3)")
    args = parser.parse_args()
    runs = args.runs or (3 if args.quick else 15)
    binary = (args.regshift or build_regshift(args.profile)).resolve()
    log(f"{binary}, {runs} runs per row")
    rows = measure(binary, runs)
    load = os.getloadavg()[0]

    report(rows)
    busy = "  (busy: other processes ran meanwhile; the numbers are noisy)" if load > 1.5 else ""
    print(f"load average over the last minute: {load:.2f} on {os.cpu_count()} cores{busy}")


if __name__ == "__main__":
    main()
