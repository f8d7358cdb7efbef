#!/usr/bin/env python3
"""Behaviour comparison: the same commands with two regshift binaries, byte for byte.

    python3 benches/compare.py --baseline-rev 627e8bd            # build that commit, compare
    python3 benches/compare.py --baseline /path/to/old/regshift  # compare with a binary
    python3 benches/compare.py --baseline-rev main --bench       # also the benchmark tree

A refactor that claims "behaviour unchanged" runs this before it lands. Each case runs a
command in a folder with both binaries and compares standard output, standard error and the
exit code:

- `check --format json` and `check --format json --unsafe-fixes` (every finding, with its
  rule, context, message, note and edits),
- `fix --diff --unsafe-fixes` (what fix would write, byte for byte),

in every folder under fixtures/ that is a scanned tree (each top-level fixture, each
fixtures/cli/*.in and *.out case, and fixtures/ as a whole), and with --bench in the
benchmark tree that `benches/ratio.py` generates (the full profile; --quick for the small one).

The candidate is `cargo build --release` of the working tree unless --candidate names a
binary. A baseline revision is built once into target/compare/<commit>/ from a temporary
git worktree. Exit status: 0 when every case is identical, 1 otherwise (the first lines of
each difference are printed).
"""

from __future__ import annotations

import argparse
import difflib
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
COMMANDS = [
    ["check", "--format", "json"],
    ["check", "--format", "json", "--unsafe-fixes"],
    ["fix", "--diff", "--unsafe-fixes"],
]


def log(message: str) -> None:
    print(f"[compare] {message}", file=sys.stderr, flush=True)


def target_dir() -> Path:
    return Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target"))


def build_candidate() -> Path:
    log("cargo build --release (the working tree)")
    subprocess.run(["cargo", "build", "--release", "--quiet", "--locked"], cwd=REPO, check=True)
    return target_dir() / "release" / "regshift"


def build_revision(revision: str) -> Path:
    commit = subprocess.run(
        ["git", "rev-parse", "--verify", f"{revision}^{{commit}}"],
        cwd=REPO, check=True, capture_output=True, text=True,
    ).stdout.strip()
    out = target_dir() / "compare" / commit
    binary = out / "release" / "regshift"
    if binary.is_file():
        return binary
    worktree = target_dir() / "compare" / f"{commit}-src"
    if not worktree.is_dir():
        subprocess.run(["git", "worktree", "add", "--detach", str(worktree), commit],
                       cwd=REPO, check=True, capture_output=True)
    log(f"building {revision} ({commit[:12]}) into {out}")
    env = dict(os.environ, CARGO_TARGET_DIR=str(out))
    try:
        subprocess.run(["cargo", "build", "--release", "--quiet", "--locked"],
                       cwd=worktree, env=env, check=True)
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(worktree)],
                       cwd=REPO, capture_output=True)
    return binary


def fixture_folders() -> list[Path]:
    fixtures = REPO / "fixtures"
    folders = [fixtures]
    for child in sorted(fixtures.iterdir()):
        if not child.is_dir():
            continue
        if child.name == "cli":
            folders.extend(sorted(case for case in child.iterdir()
                                  if case.is_dir() and case.suffix in (".in", ".out")))
        else:
            folders.append(child)
    return folders


def bench_tree(quick: bool) -> Path:
    sys.path.insert(0, str(REPO / "benches"))
    import ratio  # noqa: E402  (builds the tree once, as the benchmark does)
    root, _ = ratio.tree_for("quick" if quick else "full")
    return root


def run(binary: Path, command: list[str], folder: Path) -> tuple[bytes, bytes, int]:
    # Output never depends on the thread count (a test checks that); two keep it quick.
    result = subprocess.run(
        [str(binary), *command, "-j", "2", "--color", "never"],
        cwd=folder, capture_output=True,
        env=dict(os.environ, NO_COLOR="1"),
    )
    return result.stdout, result.stderr, result.returncode


def show_difference(name: str, old: bytes, new: bytes) -> None:
    old_lines = old.decode("utf-8", "replace").splitlines()
    new_lines = new.decode("utf-8", "replace").splitlines()
    diff = list(difflib.unified_diff(old_lines, new_lines, "baseline", "candidate", lineterm="", n=1))
    for line in diff[:40]:
        print(f"    {line[:300]}")
    if len(diff) > 40:
        print(f"    ... {len(diff) - 40} more lines of {name}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    baseline = parser.add_mutually_exclusive_group(required=True)
    baseline.add_argument("--baseline", type=Path, help="the baseline regshift binary")
    baseline.add_argument("--baseline-rev", help="a git revision to build as the baseline")
    parser.add_argument("--candidate", type=Path, help="the candidate binary (default: build the working tree)")
    parser.add_argument("--bench", action="store_true", help="also compare on the benchmark tree")
    parser.add_argument("--quick", action="store_true", help="with --bench, the small benchmark tree")
    args = parser.parse_args()

    old = args.baseline or build_revision(args.baseline_rev)
    new = args.candidate or build_candidate()
    folders = fixture_folders()
    if args.bench:
        folders.append(bench_tree(args.quick))

    cases = differing = 0
    for folder in folders:
        for command in COMMANDS:
            cases += 1
            before = run(old, command, folder)
            after = run(new, command, folder)
            if before == after:
                continue
            differing += 1
            label = f"{folder.relative_to(REPO) if folder.is_relative_to(REPO) else folder}: regshift {' '.join(command)}"
            print(f"DIFFERS {label}")
            if before[2] != after[2]:
                print(f"    exit code {before[2]} -> {after[2]}")
            for stream, index in (("stdout", 0), ("stderr", 1)):
                if before[index] != after[index]:
                    show_difference(stream, before[index], after[index])
    print(f"{cases - differing} of {cases} cases identical ({len(folders)} folders x {len(COMMANDS)} commands)")
    return 1 if differing else 0


if __name__ == "__main__":
    sys.exit(main())
