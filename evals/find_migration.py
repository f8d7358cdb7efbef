"""Find a repository's hand migration off k8s.gcr.io by the rule of the corpus's eleventh batch
(evals/corpus.toml; the tenth batch's rule, made mechanical): the commit of the default
branch's first-parent history since 2021 (a merge diffed against its first parent) with the
most removed lines naming k8s.gcr.io that come back identical but for registry.k8s.io, outside
vendored trees. Ties go to the earlier commit.

    python3 evals/find_migration.py [--mirrors DIR] OWNER/NAME...

reads DIR/OWNER+NAME/repo (default /work/.mirror) and prints `OWNER/NAME LINES BEFORE AFTER`
(`0 - -` when no commit qualifies). A file whose blob the mirror lacks (4 MiB and more) is left
out of the diff that names it, so one large file does not hide a commit.
"""

import argparse
import collections
import re
from pathlib import Path

from score import VENDORED_DIRS, git

HOST = re.compile(r"(?<![A-Za-z0-9.-])k8s\.gcr\.io(?![A-Za-z0-9-]|\.[A-Za-z0-9])")
SINCE = "2021-01-01"  # registry.k8s.io served no images before


def commit_diff(git_dir: Path, parent: str, commit: str) -> bytes | None:
    """The diff (no context) of the files whose change adds or removes registry.k8s.io."""
    excluded: list[str] = []
    for _ in range(20):
        result = git(git_dir, "diff-tree", "-p", "-U0", "--no-renames", "--no-color",
                     "-G", r"registry\.k8s\.io", parent, commit, "--", ".", *excluded,
                     capture_output=True)
        if result.returncode == 0:
            return result.stdout
        missing = re.search(rb"unable to read ([0-9a-f]{40})", result.stderr)
        if not missing:
            return None
        listing = git(git_dir, "diff-tree", "-r", "--no-renames", parent, commit,
                      capture_output=True)
        paths = [row.split("\t", 1)[1] for row in listing.stdout.decode(errors="replace").splitlines()
                 if missing.group(1).decode() in row and "\t" in row]
        if not paths:
            return None
        excluded += [f":(exclude){path}" for path in paths]
    return None


def migrated_lines(diff: bytes) -> int:
    """Removed lines naming k8s.gcr.io whose migrated form is an added line of the same file."""
    removed: dict[str, list[str]] = collections.defaultdict(list)
    added: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    path = None
    for raw in diff.splitlines():
        line = raw.decode("utf-8", "surrogateescape")
        if line.startswith("diff --git "):
            path = line.split(" b/", 1)[-1]
            if any(part in VENDORED_DIRS for part in path.split("/")[:-1]):
                path = None
        elif path is None or line.startswith(("+++", "---")):
            continue
        elif line.startswith("-") and HOST.search(line[1:]):
            removed[path].append(line[1:])
        elif line.startswith("+") and "registry.k8s.io" in line:
            added[path][line[1:]] += 1
    count = 0
    for path, lines in removed.items():
        for line in lines:
            migrated = HOST.sub("registry.k8s.io", line)
            if added[path][migrated] > 0:
                added[path][migrated] -= 1
                count += 1
    return count


def find(git_dir: Path) -> tuple[int, str | None, str | None]:
    log = git(git_dir, "log", "--first-parent", f"--since={SINCE}", "--format=%H %P", "HEAD",
              capture_output=True)
    best: tuple[int, str | None, str | None] = (0, None, None)
    for row in log.stdout.decode().splitlines():  # newest first: ties go to the earlier
        parts = row.split()
        if len(parts) < 2:
            continue
        commit, parent = parts[0], parts[1]
        diff = commit_diff(git_dir, parent, commit)
        count = migrated_lines(diff) if diff else 0
        if count and count >= best[0]:
            best = (count, parent, commit)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mirrors", type=Path, default=Path("/work/.mirror"))
    parser.add_argument("repos", nargs="+", metavar="OWNER/NAME")
    args = parser.parse_args()
    for repo in args.repos:
        count, before, after = find(args.mirrors / repo.replace("/", "+") / "repo")
        print(repo, count, before or "-", after or "-", flush=True)


if __name__ == "__main__":
    main()
