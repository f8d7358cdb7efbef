#!/usr/bin/env python3
"""End-to-end benchmark: `regshift check` and `regshift fix` against `rg -l k8s.gcr.io`.

    python3 benches/ratio.py            # full: ~56k files / ~600 MB tree, 10 runs each
    python3 benches/ratio.py --quick    # smoke test for CI (a few thousand files, < 1 minute)

Builds regshift (`cargo build --profile dist`, honouring CARGO_TARGET_DIR) unless --regshift is
given, generates (or reuses) the tree under target/bench/, and prints one plain-text table.
See benches/README.md for what is measured and why.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import gentree  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
BENCH_DIR = REPO / "target" / "bench"
PATTERN = "k8s.gcr.io"


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------
# Setup

def build_regshift(profile: str) -> Path:
    """The binary of a cargo profile: `dist` (the release artifacts, the default) or `release`
    (what `cargo install` builds)."""
    target = Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target"))
    log(f"cargo build --profile {profile} (target dir {target})")
    subprocess.run(["cargo", "build", "--profile", profile, "--quiet"], cwd=REPO, check=True)
    return target / profile / "regshift"


def tree_for(profile: str) -> tuple[Path, dict]:
    """The generated tree for a profile, built once and reused (keyed by generator version)."""
    root = BENCH_DIR / f"tree-v{gentree.VERSION}-{profile}"
    stats_file = root.with_suffix(".json")
    if root.is_dir() and stats_file.is_file():
        return root, json.loads(stats_file.read_text())
    partial = root.with_name(root.name + ".tmp")
    for stale in (root, partial):
        if stale.exists():
            shutil.rmtree(stale)
    log(f"generating {root.relative_to(REPO)} (profile {profile}; once)")
    started = time.time()
    stats = gentree.generate(partial, profile)
    os.sync()
    partial.rename(root)
    stats_file.write_text(json.dumps(stats, indent=2))
    log(f"generated in {time.time() - started:.0f} s")
    return root, stats


def scale_copies(tree: Path, profile: str, count: int) -> Path:
    """`count` real copies of the tree (c0, c1, ...) in one folder, made once."""
    folder = BENCH_DIR / f"scale-v{gentree.VERSION}-{profile}"
    folder.mkdir(parents=True, exist_ok=True)
    for index in range(count):
        copy = folder / f"c{index}"
        done = folder / f"c{index}.done"
        if done.exists():
            continue
        if copy.exists():
            shutil.rmtree(copy)
        log(f"copying the tree to {copy.relative_to(REPO)}")
        subprocess.run(["cp", "-a", str(tree), str(copy)], check=True)
        done.touch()
    os.sync()  # no writeback of fresh copies during the timed runs
    return folder


def restore(pristine: Path, work: Path) -> None:
    """Put a fresh copy of `pristine` at `work`, flushed to disk so a later fsync is cheap."""
    if work.exists():
        shutil.rmtree(work)
    subprocess.run(["cp", "-a", str(pristine), str(work)], check=True)
    os.sync()


# ---------------------------------------------------------------------------------------------
# Measurement

class Run:
    def __init__(self, wall: float, rss_kb: int, code: int):
        self.wall, self.rss_kb, self.code = wall, rss_kb, code


def timed(cmd: list[str], cwd: Path, stdout=subprocess.DEVNULL) -> Run:
    """Wall time measured here; peak RSS from /usr/bin/time -v (its overhead hits both tools)."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as report:
        started = time.perf_counter()
        proc = subprocess.run(["/usr/bin/time", "-v", "-o", report.name, *cmd], cwd=cwd,
                              stdout=stdout, stderr=subprocess.DEVNULL, env=ENV)
        wall = time.perf_counter() - started
        text = report.read()
    match = re.search(r"Maximum resident set size \(kbytes\): (\d+)", text)
    return Run(wall, int(match.group(1)) if match else -1, proc.returncode)


def spawn_timed(cmd: list[str], cwd: Path) -> Run:
    """Low-overhead timing for the startup case: posix_spawn + wait4, no /usr/bin/time."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        old = os.getcwd()
        os.chdir(cwd)
        started = time.perf_counter()
        pid = os.posix_spawnp(cmd[0], cmd, ENV, file_actions=[
            (os.POSIX_SPAWN_DUP2, devnull, 1), (os.POSIX_SPAWN_DUP2, devnull, 2)])
        _, status, usage = os.wait4(pid, 0)
        wall = time.perf_counter() - started
        os.chdir(old)
    finally:
        os.close(devnull)
    return Run(wall, usage.ru_maxrss, os.waitstatus_to_exitcode(status))


def alternate(commands: dict[str, list[str]], cwd: Path, runs: int, warmups: int,
              before=None, runner=timed) -> dict[str, list[Run]]:
    """Run each command `runs` times, interleaved (order flipped every round), after warm-ups."""
    results: dict[str, list[Run]] = {name: [] for name in commands}
    names = list(commands)
    for round_index in range(warmups + runs):
        order = names if round_index % 2 == 0 or before is not None else names[::-1]
        if before is not None:
            before()
        for name in order:
            run = runner(commands[name], cwd)
            if run.code not in (0, 1):
                raise SystemExit(f"{name} failed with exit code {run.code}: {' '.join(commands[name])}")
            if round_index >= warmups:
                results[name].append(run)
    return results


def median(runs: list[Run]) -> float:
    return statistics.median(run.wall for run in runs)


def spread(runs: list[Run]) -> str:
    """(slowest - fastest) / median: how noisy the runs were."""
    walls = [run.wall for run in runs]
    return f"±{(max(walls) - min(walls)) / 2 / statistics.median(walls):.0%}"


def peak_mb(runs: list[Run]) -> float:
    return max(run.rss_kb for run in runs) / 1024


def regshift_cmd(binary: Path, mode: str, threads: int, paths: list[str]) -> list[str]:
    return [str(binary), mode, "--format", "concise", "-j", str(threads), *paths]


def rg_cmd(threads: int, paths: list[str]) -> list[str]:
    # --hidden: regshift scans hidden folders (.github, .helmignore); -g '!.git/': and skips
    # version-control metadata; --max-filesize 10M: and skips files over 10 MiB unread.
    return ["rg", "--no-config", "-j", str(threads), "-l", "--hidden", "-g", "!.git/",
            "--max-filesize", "10M", PATTERN, *paths]


# ---------------------------------------------------------------------------------------------
# Parity: both tools must look at the same files

def parity(binary: Path, tree: Path, threads: int) -> str:
    listed = subprocess.run(["rg", "--no-config", "--files", "--hidden", "-g", "!.git/"], cwd=tree,
                            capture_output=True, text=True, env=ENV).stdout.split("\n")
    listed = [line for line in listed if line]
    hits = set(subprocess.run(rg_cmd(threads, []), cwd=tree, capture_output=True, text=True,
                              env=ENV).stdout.split())
    report = json.loads(subprocess.run([str(binary), "check", "--format", "json", "-j", str(threads), "."],
                                       cwd=tree, capture_output=True, text=True, env=ENV).stdout)
    summary = report["summary"]
    found = {finding["path"] for finding in report["findings"] if PATTERN in finding["matched"].lower()}
    legacy_findings = sum(1 for finding in report["findings"] if PATTERN in finding["matched"].lower())
    rg_count = sum(int(line.rsplit(":", 1)[1]) for line in subprocess.run(
        ["rg", "--no-config", "-c", "--hidden", "-g", "!.git/", "--max-filesize", "10M", "-F", PATTERN],
        cwd=tree, capture_output=True, text=True, env=ENV).stdout.split())
    differ = len(found ^ hits)
    if differ or len(found) == 0:
        PROBLEMS.append(f"parity: {differ} files differ between rg and regshift")
    accounted = summary["files_scanned"] + len(report["skipped"])
    return (f"parity: rg --files lists {len(listed):,} files; regshift scanned {summary['files_scanned']:,} "
            f"+ skipped {len(report['skipped'])} (+ binary files, not counted) = {accounted:,}\n"
            f"        files with {PATTERN}: rg {len(hits):,}, regshift {len(found):,}, differing {differ}"
            f"{'' if differ == 0 else '  <-- NOT THE SAME FILE SET'}; "
            f"occurrences: rg -c {rg_count:,}, regshift findings {legacy_findings:,} of {summary['findings']:,}")


# ---------------------------------------------------------------------------------------------

# Problems that make the run fail (exit 1) after the table is printed.
PROBLEMS: list[str] = []

ENV = {key: value for key, value in os.environ.items() if key not in ("RIPGREP_CONFIG_PATH", "NO_COLOR")}


def busy_seconds() -> float:
    """CPU seconds spent busy by the whole machine so far (all cores), from /proc/stat."""
    try:
        fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    except OSError:
        return 0.0
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(x) for x in fields[:8])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def children_seconds() -> float:
    times = os.times()
    return times.children_user + times.children_system


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown cpu"


def describe_regshift(binary: Path) -> str:
    version = subprocess.run([str(binary), "--version"], capture_output=True, text=True).stdout.strip()
    commit = subprocess.run(["git", "describe", "--always", "--dirty"], cwd=REPO, capture_output=True,
                            text=True).stdout.strip()
    return f"{version} ({commit or 'no git'})"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small tree and few runs (CI smoke test)")
    parser.add_argument("--regshift", type=Path, help="use this binary instead of building one")
    parser.add_argument("--profile", default="dist",
                        help="cargo profile to build: dist (release artifacts, default) or release")
    parser.add_argument("--runs", type=int, help="timed runs per command (default 10; quick 3)")
    parser.add_argument("--scale-runs", type=int, help="timed runs per command per scale (default 5; quick 2)")
    parser.add_argument("--scales", default=None, help="comma-separated copies (default 1,2,4; quick 1,2)")
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1, help="threads for both tools")
    parser.add_argument("--skip", default="", help="comma-separated sections to skip: check,fix,scale,startup")
    args = parser.parse_args()

    if shutil.which("rg") is None:
        raise SystemExit("ripgrep not found: apt-get install -y ripgrep")
    profile = "quick" if args.quick else "full"
    runs = args.runs or (3 if args.quick else 10)
    scale_runs = args.scale_runs or (2 if args.quick else 5)
    scales = [int(s) for s in (args.scales or ("1,2" if args.quick else "1,2,4")).split(",")]
    startup_runs = 10 if args.quick else 50
    warmups = 1 if args.quick else 2
    skip = set(filter(None, args.skip.split(",")))
    threads = args.threads

    binary = (args.regshift or build_regshift(args.profile)).resolve()
    tree, stats = tree_for(profile)
    rg_version = subprocess.run(["rg", "--version"], capture_output=True, text=True).stdout.split("\n")[0]
    started = time.time()
    machine_busy, ours_busy = busy_seconds(), children_seconds()

    out: list[str] = []
    out.append(f"regshift end-to-end benchmark: python3 benches/ratio.py{' --quick' if args.quick else ''}")
    out.append(f"machine: {os.cpu_count()} cores, {cpu_model()}; {platform.system()} {platform.release()}")
    out.append(f"regshift: {describe_regshift(binary)}; {rg_version}; threads: {threads} for both")
    out.append(f"tree: {tree.relative_to(REPO)} (seeded, generator v{gentree.VERSION}): "
               f"{stats['files']:,} files, {stats['bytes'] / 1e6:,.0f} MB not ignored "
               f"(incl. 1 binary, 1 file > 10 MiB) + {stats['ignored_files']:,} gitignored "
               f"({stats['ignored_bytes'] / 1e6:,.0f} MB, node_modules/ and *.log), a symlink loop")
    out.append(f"regshift = {' '.join(regshift_cmd(Path('regshift'), 'check', threads, ['.']))} > /dev/null")
    out.append(f"rg       = {' '.join(rg_cmd(threads, [])).replace('!.git/', chr(39) + '!.git/' + chr(39))} > /dev/null")
    out.append("           (--hidden: regshift scans hidden folders such as .github; -g '!.git/': it skips .git;")
    out.append("            --max-filesize 10M: it skips files over 10 MiB; both honour .gitignore)")
    out.append(f"method: warm cache ({warmups} warm-up rounds), commands alternated, median wall time; "
               "RSS = max 'Maximum resident set size' of /usr/bin/time -v over the runs")
    if "check" not in skip:
        log("parity check")
        out.append(parity(binary, tree, threads))
    rows: list[tuple[str, ...]] = []
    header = ("case", "runs", "regshift", "spread", "rg -l", "ratio", "regshift RSS", "rg RSS", "note")

    def ratio_row(case: str, results: dict[str, list[Run]], note: str = "") -> tuple[float, float]:
        ours, theirs = median(results["regshift"]), median(results["rg"])
        rows.append((case, str(len(results["regshift"])), f"{ours * 1000:,.0f} ms", spread(results["regshift"]),
                     f"{theirs * 1000:,.0f} ms",
                     f"{ours / theirs:.2f}x", f"{peak_mb(results['regshift']):.1f} MB",
                     f"{peak_mb(results['rg']):.1f} MB", note))
        return ours, theirs

    if "check" not in skip:
        log(f"check vs rg on the tree, {runs} runs each")
        results = alternate({"regshift": regshift_cmd(binary, "check", threads, ["."]),
                             "rg": rg_cmd(threads, [])}, tree, runs, warmups)
        ratio_row("check, whole tree", results, "acceptance: ratio <= 1.5x, RSS < 100 MB")
        # The common case: a large part of the tree without a single hit.
        clean = [part for part in ("charts", "testdata") if (tree / part).is_dir()]
        log(f"check vs rg on {' '.join(clean)} (no hits), {runs} runs each")
        results = alternate({"regshift": regshift_cmd(binary, "check", threads, clean),
                             "rg": rg_cmd(threads, clean)}, tree, runs, warmups)
        ratio_row(f"check, {' + '.join(clean)} (no hits)", results, "the walk, one read and one search per file")

    if "fix" not in skip:
        part = tree / "deploy" / "generated"
        work_root = BENCH_DIR / f"fix-work-v{gentree.VERSION}-{profile}"
        if not (work_root / ".git").is_dir():
            work_root.mkdir(parents=True, exist_ok=True)
            subprocess.run(["git", "init", "-q", str(work_root)], check=True)
        work = work_root / "generated"
        size = sum(path.stat().st_size for path in part.rglob("*") if path.is_file())
        count = sum(1 for path in part.rglob("*") if path.is_file())
        log(f"fix on a restored copy of deploy/generated ({count} files), {runs} runs each")
        results = alternate({"rg": rg_cmd(threads, ["generated"]),
                             "check": regshift_cmd(binary, "check", threads, ["generated"]),
                             "fix": regshift_cmd(binary, "fix", threads, ["generated"])},
                            work_root, runs, warmups, before=lambda: restore(part, work))
        results["regshift"] = results["check"]
        check_time, rg_time = ratio_row(f"check, deploy/generated ({count} files, {size / 1e6:.0f} MB)", results)
        fix_time = median(results["fix"])
        # What the last fix left behind (the copy still holds its result).
        left = subprocess.run(["rg", "--no-config", "-c", "-F", PATTERN, "generated"], cwd=work_root,
                              capture_output=True, text=True, env=ENV).stdout.split()
        left_count = sum(int(line.rsplit(":", 1)[1]) for line in left)
        after = json.loads(subprocess.run([str(binary), "check", "--format", "json", "generated"], cwd=work_root,
                                          capture_output=True, text=True, env=ENV).stdout)["summary"]
        if after["fixable"]:
            PROBLEMS.append(f"fix left {after['fixable']} fixable findings")
        rows.append((f"fix, same part (restored, synced)", str(len(results["fix"])), f"{fix_time * 1000:,.0f} ms",
                     spread(results["fix"]),
                     f"{rg_time * 1000:,.0f} ms", f"{fix_time / rg_time:.2f}x",
                     f"{peak_mb(results['fix']):.1f} MB", f"{peak_mb(results['rg']):.1f} MB",
                     f"fix/check {fix_time / check_time:.2f}x (+{(fix_time - check_time) * 1000:,.0f} ms); "
                     f"after: {after['fixable']} fixable, {left_count} {PATTERN} left"))

    if "scale" not in skip:
        folder = scale_copies(tree, profile, max(scales))
        base = None
        for copies in scales:
            paths = [f"c{index}" for index in range(copies)]
            log(f"scaling: {copies}x ({' '.join(paths)}), {scale_runs} runs each")
            results = alternate({"regshift": regshift_cmd(binary, "check", threads, paths),
                                 "rg": rg_cmd(threads, paths)}, folder, scale_runs, 1)
            ours = median(results["regshift"])
            if base is None:
                base = (copies, ours, median(results["rg"]))
            linear = (ours / copies) / (base[1] / base[0])
            rg_linear = (median(results["rg"]) / copies) / (base[2] / base[0])
            ratio_row(f"scaling {copies}x ({copies * stats['files']:,} files, {copies * stats['bytes'] / 1e6:,.0f} MB)",
                      results, f"time per copy vs {base[0]}x: regshift {linear:.2f}, rg {rg_linear:.2f}")

    if "startup" not in skip:
        small = sorted((tree / "charts").glob("*/*/values.yaml"))[0].relative_to(tree)
        with_hit = min((tree / ".github" / "workflows").glob("*.yml"),
                       key=lambda path: (PATTERN not in path.read_text(), path.stat().st_size, path.name))
        for label, target in (("no hit", str(small)), ("1 hit", str(with_hit.relative_to(tree)))):
            log(f"startup ({label}), {startup_runs} runs each")
            results = alternate({"regshift": regshift_cmd(binary, "check", threads, [target]),
                                 "rg": rg_cmd(threads, [target])}, tree, startup_runs, 3, runner=spawn_timed)
            ours, theirs = median(results["regshift"]), median(results["rg"])
            # wait4's peak RSS includes the spawning Python process: take RSS from one timed run.
            rss = {name: timed(cmd, tree).rss_kb / 1024 for name, cmd in (
                ("regshift", regshift_cmd(binary, "check", threads, [target])), ("rg", rg_cmd(threads, [target])))}
            rows.append((f"startup: one small file, {label}", str(startup_runs), f"{ours * 1000:.1f} ms",
                         spread(results["regshift"]),
                         f"{theirs * 1000:.1f} ms", f"{ours / theirs:.2f}x", f"{rss['regshift']:.1f} MB",
                         f"{rss['rg']:.1f} MB", f"{Path(target).name}, {(tree / target).stat().st_size} B"))
        true_runs = [spawn_timed(["true"], tree).wall for _ in range(startup_runs)]
        rows.append(("startup: spawn of /bin/true", str(startup_runs), f"{statistics.median(true_runs) * 1000:.1f} ms",
                     "", "", "", "", "", "process spawn cost, included in both"))

    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    line = lambda row: "  ".join(cell.ljust(width) if i in (0, 8) else cell.rjust(width)
                                 for i, (cell, width) in enumerate(zip(row, widths))).rstrip()
    out.append("")
    out.append(line(header))
    out.append(line(tuple("-" * width for width in widths)))
    out.extend(line(row) for row in rows)
    out.append("")
    elapsed = time.time() - started
    other = max(0.0, (busy_seconds() - machine_busy) - (children_seconds() - ours_busy))
    share = other / (elapsed * (os.cpu_count() or 1))
    out.append(f"total benchmark time {elapsed:.0f} s; other processes used {share:.0%} of the machine's CPU meanwhile"
               + ("  <-- the machine was not idle: numbers are noisy" if share > 0.05 else ""))
    print("\n".join(out))
    for problem in PROBLEMS:
        print(f"error: {problem}", file=sys.stderr)
    return 1 if PROBLEMS else 0


if __name__ == "__main__":
    sys.exit(main())
