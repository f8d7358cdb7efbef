#!/usr/bin/env python3
"""Score `regshift fix` against real hand migrations off k8s.gcr.io.

    python3 evals/score.py                      # every entry of evals/corpus.toml
    python3 evals/score.py --only kubernetes-sigs/kind
    python3 evals/score.py --details target/evals/details.txt   # studied disagreements

For each entry of the corpus (a repository, the commit before its maintainers' migration and
the commit after it), the `before` and `after` trees are exported from the repository's
mirror (a bare git directory made by the `fetch` tool, `<mirrors>/<owner>+<name>/repo`), a
copy of `before` is fixed with `regshift fix` (safe fixes only), and every line of `before`
that holds a legacy host form is compared with the maintainers' line and regshift's line.
See evals/README.md for the classes and the held-out rule. Python 3.11, stdlib only.
"""

from __future__ import annotations

import argparse
import difflib
import hashlib
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CACHE = REPO / "target" / "evals"
CORPUS = REPO / "evals" / "corpus.toml"

# What regshift calls program source (src/carrier.rs, Carrier::ProgramSource): reported in
# their own columns, because regshift gives code only unsafe fixes.
SOURCE_EXTENSIONS = frozenset(
    "go py pyi java kt kts scala groovy js jsx mjs cjs ts tsx mts cts rs c h cc cpp cxx hpp hh "
    "cs rb php swift m mm lua pl pm dart ex exs erl clj hs ml fs vb zig nim jl r".split()
)
# Vendored trees (regshift excludes them by default): their own columns too.
VENDORED_DIRS = frozenset(["vendor", "third_party", "node_modules"])

# ---------------------------------------------------------------------------------------------
# Legacy host forms: the token rule of src/detect/hosts/mod.rs and the forms of
# src/rules.rs HOST_PATTERNS that name the frozen registry or its copies. A host token is a
# maximal run of [A-Za-z0-9.-] without a leading `.`/`-` or a trailing `.`; it matches only
# whole, case-insensitively. Staging projects (gcr.io/k8s-staging-*, .../k8s-staging-images)
# are not legacy forms of the frozen registry: nobody migrates them to registry.k8s.io, so
# they are not scored.

TOKEN = re.compile(r"[A-Za-z0-9.-]+")
SEGMENT = re.compile(r"/([A-Za-z0-9._-]+)")
BACKEND_HOSTS = frozenset(["us.gcr.io", "eu.gcr.io", "asia.gcr.io"])
PREFILTER = ("gcr.io", "k8s-artifacts-prod", "registry.k8s.io")


def host_tokens(line: str):
    """(token, end offset) for every host token of a line, lower-cased."""
    for match in TOKEN.finditer(line):
        token = match.group().lstrip(".-").rstrip(".")
        if token:
            yield token.lower(), match.start() + len(match.group().rstrip("."))


def segments_after(line: str, end: int, count: int) -> list[str]:
    out = []
    for _ in range(count):
        match = SEGMENT.match(line, end)
        if not match:
            break
        out.append(match.group(1).lower())
        end = match.end()
    return out


def legacy_forms(line: str) -> list[str]:
    """The legacy host forms a line holds, one entry per occurrence."""
    lower = line.lower()
    if "gcr.io" not in lower and "k8s-artifacts-prod" not in lower:
        return []
    forms = []
    for token, end in host_tokens(line):
        if token == "k8s.gcr.io":
            forms.append("k8s.gcr.io")
        elif token == "staging-k8s.gcr.io":
            forms.append("staging-k8s.gcr.io")
        elif token == "gcr.io":
            if segments_after(line, end, 1) in (["google-containers"], ["google_containers"]):
                forms.append("gcr.io/google-containers")
        elif token in BACKEND_HOSTS:
            if segments_after(line, end, 1) == ["k8s-artifacts-prod"]:
                forms.append("backend")
        elif token.endswith("-docker.pkg.dev") and len(token) > len("-docker.pkg.dev"):
            if segments_after(line, end, 2) == ["k8s-artifacts-prod", "images"]:
                forms.append("backend")
    return forms


def new_host_count(line: str) -> int:
    if "registry.k8s.io" not in line.lower():
        return 0
    return sum(1 for token, _ in host_tokens(line) if token == "registry.k8s.io")


def category(path: str) -> str:
    parts = path.lower().split("/")
    if any(part in VENDORED_DIRS for part in parts[:-1]):
        return "vendored"
    name = parts[-1]
    if "." in name and name.rsplit(".", 1)[1] in SOURCE_EXTENSIONS:
        return "source"
    return "main"


# ---------------------------------------------------------------------------------------------
# Trees


def log(message: str) -> None:
    print(f"[evals] {message}", file=sys.stderr, flush=True)


def mirror_of(mirrors: Path, repo: str) -> Path | None:
    folder = mirrors / repo.replace("/", "+")
    for candidate in (folder / "repo", folder):
        if (candidate / "HEAD").is_file() and (candidate / "objects").is_dir():
            return candidate
    return None


def git(git_dir: Path, *args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(["git", f"--git-dir={git_dir}", *args], **kwargs)


def export_tree(git_dir: Path, commit: str, dest: Path) -> int:
    """Write `commit`'s tree to `dest` (cached); returns how many blobs the mirror lacks.

    Not `git archive`: a snapshot lacks files of 4 MiB and more, which makes `git archive`
    fail, and `export-ignore` attributes would drop files the fixer must see. `ls-tree` and
    one `cat-file --batch` give every blob that exists, with its mode.
    """
    stamp = dest.with_name(dest.name + ".done")
    if stamp.is_file() and dest.is_dir():
        return int(stamp.read_text() or 0)
    partial = dest.with_name(dest.name + ".part")
    for stale in (dest, partial):
        if stale.exists():
            shutil.rmtree(stale)
    listing = git(git_dir, "ls-tree", "-r", "-z", "--full-tree", commit,
                  capture_output=True, check=True).stdout
    entries = []
    for record in listing.split(b"\0"):
        if not record:
            continue
        meta, path = record.split(b"\t", 1)
        mode, kind, sha = meta.split(b" ")
        if kind != b"blob":  # submodules
            continue
        entries.append((mode, sha, path))
    missing = 0
    partial.mkdir(parents=True)
    proc = subprocess.Popen(["git", f"--git-dir={git_dir}", "cat-file", "--batch"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        for mode, sha, path in entries:
            proc.stdin.write(sha + b"\n")
            proc.stdin.flush()
            header = proc.stdout.readline().rstrip(b"\n")
            if header.endswith(b" missing"):
                missing += 1
                continue
            size = int(header.split(b" ")[2])
            data = proc.stdout.read(size)
            proc.stdout.read(1)
            target = partial / os.fsdecode(path)
            if ".." in Path(os.fsdecode(path)).parts:
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            if mode == b"120000":
                os.symlink(os.fsdecode(data), target)
                continue
            target.write_bytes(data)
            if mode == b"100755":
                target.chmod(0o755)
    finally:
        proc.stdin.close()
        proc.wait()
    partial.rename(dest)
    stamp.write_text(str(missing))
    return missing


def build_regshift() -> Path:
    target = Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target"))
    log(f"cargo build --release --locked (target dir {target})")
    subprocess.run(["cargo", "build", "--release", "--locked", "--quiet"], cwd=REPO, check=True)
    return target / "release" / "regshift"


def file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()[:16]


@dataclass
class FixRun:
    tree: Path
    findings: dict  # path -> line -> [finding] that `fix` left (line numbers of the fixed tree)
    fixed_by: dict  # path -> line -> [finding] that `check` reported before the fix (before tree)
    errors: list[str]
    skipped: list[str]
    code: int


def run_fix(regshift: Path, binary_id: str, before: Path, dest: Path,
            extra: list[str]) -> FixRun:
    """A copy of `before` fixed by `regshift fix --no-config` (cached per binary and flags)."""
    report_file = dest.with_name(dest.name + ".json")
    stamp = dest.with_name(dest.name + ".done")
    binary_id += "+check"  # the report holds the `check` findings too (older caches do not)
    if not (stamp.is_file() and stamp.read_text() == binary_id and dest.is_dir()):
        if stamp.exists():
            stamp.unlink()
        if dest.exists():
            shutil.rmtree(dest)
        shutil.copytree(before, dest, symlinks=True)
        # A checkout, as users run regshift in: a repository whose index lists every file of
        # the commit, so files that its own .gitignore matches are tracked (regshift scans
        # tracked files whatever .gitignore says).
        git_quiet = {"cwd": dest, "check": True, "stdout": subprocess.DEVNULL,
                     "stderr": subprocess.DEVNULL}
        subprocess.run(["git", "init", "-q"], **git_quiet)
        subprocess.run(["git", "-c", "core.hooksPath=/dev/null", "-c", "core.autocrlf=false",
                        "add", "-A", "-f"], **git_quiet)
        # What `check` says first: `fix` reports only what it leaves, so this names the rule
        # behind each line it rewrites.
        check = subprocess.run(
            [str(regshift), "check", "--no-config", "--color", "never", "--format", "json",
             "."],
            cwd=dest, capture_output=True, text=True, errors="replace")
        try:
            before_findings = json.loads(check.stdout).get("findings", [])
        except json.JSONDecodeError:
            before_findings = []
        proc = subprocess.run(
            [str(regshift), "fix", "--no-config", "--color", "never", "--format", "json", *extra,
             "."],
            cwd=dest, capture_output=True, text=True, errors="replace")
        try:
            document = json.loads(proc.stdout) if proc.stdout.strip() else {}
        except json.JSONDecodeError:
            document = {"errors": [f"unreadable JSON report: {proc.stdout[:200]!r}"]}
        document["_code"] = proc.returncode
        document["_check_findings"] = before_findings
        document["_stderr"] = proc.stderr
        report_file.write_text(json.dumps(document))
        stamp.write_text(binary_id)
    document = json.loads(report_file.read_text())
    findings: dict = {}
    for finding in document.get("findings", []):
        findings.setdefault(finding["path"], {}).setdefault(finding["line"], []).append(finding)
    fixed_by: dict = {}
    for finding in document.get("_check_findings", []):
        if finding.get("fix"):  # a line regshift rewrote: the findings with an edit there
            fixed_by.setdefault(finding["path"], {}).setdefault(finding["line"], []).append(finding)
    errors = [json.dumps(error) if not isinstance(error, str) else error
              for error in document.get("errors", [])]
    stderr = document.get("_stderr", "")
    errors += [line for line in stderr.splitlines()
               if re.search(r"\berror\b|panick|thread '", line, re.IGNORECASE)]
    if document.get("_code") not in (0, 1):
        errors.append(f"regshift exited with {document.get('_code')}: {stderr.strip()[:500]}")
    skipped = [f"{item.get('path')}: {item.get('reason')}" for item in document.get("skipped", [])]
    skipped += [line.strip() for line in stderr.splitlines()
                if line.startswith("note:") or line.startswith("warning:")]
    return FixRun(dest, findings, fixed_by, errors, skipped, document.get("_code", -1))


# ---------------------------------------------------------------------------------------------
# Line alignment


def read_lines(path: Path) -> list[str] | None:
    try:
        if path.is_symlink() or not path.is_file():
            return None
        data = path.read_bytes()
    except OSError:
        return None
    if b"\0" in data[:8192]:
        return None
    return data.decode("utf-8", errors="surrogateescape").splitlines()


def normalized(line: str) -> str:
    return re.sub(r"(?i)k8s\.gcr\.io|gcr\.io/google[-_]containers|[a-z0-9-]+\.(?:gcr\.io|pkg\.dev)"
                  r"/k8s-artifacts-prod(?:/images)?", "registry.k8s.io", line).strip()


def align(before: list[str], after: list[str], wanted: set[int]) -> dict[int, int]:
    """before line index -> after line index, for the wanted lines that have a counterpart.

    difflib's opcodes on whole lines; inside a replaced block, each wanted line takes the most
    similar later line of the block (after swapping legacy hosts for the new one), if it is
    similar enough (ratio 0.5), keeping the order.
    """
    if before == after:
        return {i: i for i in wanted}
    mapping: dict[int, int] = {}
    matcher = difflib.SequenceMatcher(None, before, after, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            for i in range(i1, i2):
                if i in wanted:
                    mapping[i] = j1 + (i - i1)
        elif tag == "replace":
            low = j1
            for i in range(i1, i2):
                if i not in wanted:
                    continue
                target = normalized(before[i])
                best, best_ratio = None, 0.5
                if (j2 - j1) > 400:  # a regenerated file: look near the proportional spot
                    centre = j1 + (i - i1) * (j2 - j1) // max(1, i2 - i1)
                    candidates = range(max(low, centre - 200), min(j2, centre + 200))
                else:
                    candidates = range(low, j2)
                for j in candidates:
                    text = after[j].strip()
                    pair = difflib.SequenceMatcher(None, target, text, autojunk=False)
                    if pair.real_quick_ratio() <= best_ratio or pair.quick_ratio() <= best_ratio:
                        continue
                    ratio = pair.ratio()
                    if ratio > best_ratio:
                        best, best_ratio = j, ratio
                        if ratio == 1.0:
                            break
                if best is not None:
                    mapping[i] = best
                    low = best + 1
    return mapping


# ---------------------------------------------------------------------------------------------
# Scoring

CLASSES = ("both", "regshift_only", "maintainers_only", "both_kept")


@dataclass
class Tally:
    scored: int = 0
    both: int = 0
    regshift_only: int = 0
    maintainers_only: int = 0
    both_kept: int = 0
    other: int = 0  # maintainers deleted, moved or changed the line otherwise: not scored
    # Of the regshift-only lines, by what the maintainers did in the end (class Later): they
    # migrated the line or its references in a later commit, or the line left the tree
    # without (its file deleted, or its images gone from the file: GONE).
    later: int = 0
    gone: int = 0
    # Of the rest (settled rewrites by regshift alone), those in a file whose other legacy lines
    # the maintainers rewrote in the same migration: either a line they left behind or one they
    # kept on purpose beside the lines they moved. Reported beside the precision, not in it.
    beside_rewrites: int = 0

    def add(self, other: "Tally") -> None:
        for name in ("scored", "both", "regshift_only", "maintainers_only", "both_kept", "other",
                     "later", "gone", "beside_rewrites"):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def precision(self) -> float | None:
        rewrites = self.both + self.regshift_only
        return 100.0 * self.both / rewrites if rewrites else None

    def eventual_precision(self) -> float | None:
        """Precision counting a rewrite the maintainers made in a later commit as agreed."""
        rewrites = self.both + self.regshift_only
        return 100.0 * (self.both + self.later) / rewrites if rewrites else None

    def settled_precision(self) -> float | None:
        """Precision by what the maintainers did in the end: a rewrite they made in a later
        commit counts as agreed, and a line that left the tree later without a migration (its
        file deleted, or every image it names gone from the file: no verdict either way) is
        left out."""
        rewrites = self.both + self.regshift_only - self.gone
        return 100.0 * (self.both + self.later) / rewrites if rewrites else None

    def recall(self) -> float | None:
        rewrites = self.both + self.maintainers_only
        return 100.0 * self.both / rewrites if rewrites else None


@dataclass
class Result:
    entry: dict
    tallies: dict = field(default_factory=lambda: {c: Tally() for c in
                                                   ("main", "source", "vendored")})
    disagreements: list = field(default_factory=list)
    errors: list = field(default_factory=list)
    notes: list = field(default_factory=list)


def maintainers_class(before: str, after: str | None) -> str:
    if after is None:
        return "other"
    if after == before:
        return "kept"
    if len(legacy_forms(after)) < len(legacy_forms(before)) and \
            new_host_count(after) > new_host_count(before):
        return "rewrote"
    return "other"


def moved_lines(before: list[str], after: list[str], lost: set[int]) -> dict[int, str]:
    """Legacy lines the alignment lost whose migrated form is a line the maintainers added
    elsewhere in the file (a sorted list re-sorted after the rename): line -> that line."""
    if not lost:
        return {}
    old = {line.strip() for line in before}
    added: dict[str, str] = {}
    for line in after:
        if line.strip() not in old:
            added.setdefault(line.strip(), line)
    found = {}
    for i in lost:
        target = normalized(before[i])
        if target != before[i].strip() and target in added:
            found[i] = added.pop(target)
    return found


def legacy_files(root: Path) -> list[str]:
    """Relative paths of the text files under `root` with a legacy host form on some line."""
    out = []
    for folder, dirs, files in os.walk(root):
        dirs.sort()
        for name in sorted(files):
            path = Path(folder) / name
            if path.is_symlink():
                continue
            try:
                data = path.read_bytes()
            except OSError:
                continue
            lower = data.lower()
            if b"gcr.io" not in lower and b"k8s-artifacts-prod" not in lower:
                continue
            if b"\0" in data[:8192]:
                continue
            out.append(path.relative_to(root).as_posix())
    return out


def score_entry(entry: dict, args, regshift: Path, binary_id: str) -> Result:
    result = Result(entry)
    repo = entry["repo"]
    git_dir = mirror_of(args.mirrors, repo)
    if git_dir is None:
        result.errors.append(f"no mirror at {args.mirrors / repo.replace('/', '+')}")
        return result
    key = repo.replace("/", "+")
    trees = CACHE / "trees" / key
    trees.mkdir(parents=True, exist_ok=True)
    try:
        before_dir, after_dir = trees / entry["before"], trees / entry["after"]
        for sha, dest in ((entry["before"], before_dir), (entry["after"], after_dir)):
            missing = export_tree(git_dir, sha, dest)
            if missing:
                result.notes.append(f"{sha[:10]}: {missing} blob(s) absent from the mirror")
    except subprocess.CalledProcessError as error:
        result.errors.append(f"export failed: {error.stderr.decode(errors='replace').strip()}")
        return result
    extra = ["--unsafe-fixes"] if args.unsafe_fixes else []
    suffix = "-unsafe" if args.unsafe_fixes else ""
    fixed = run_fix(regshift, binary_id + suffix, before_dir,
                    CACHE / "fixed" / f"{key}-{entry['before'][:12]}{suffix}", extra)
    result.errors += fixed.errors
    later = Later(git_dir, entry["after"])
    result.notes += [f"regshift: {item}" if item.startswith(("note:", "warning:"))
                     else f"skipped {item}" for item in fixed.skipped]

    for rel in legacy_files(before_dir):
        before = read_lines(before_dir / rel)
        if before is None:
            continue
        wanted = {i for i, line in enumerate(before) if legacy_forms(line)}
        if not wanted:
            continue
        tally = result.tallies[category(rel)]
        after = read_lines(after_dir / rel)
        ours = read_lines(fixed.tree / rel)
        if ours is None:
            result.errors.append(f"{rel}: missing from regshift's output")
            ours = before
        to_after = align(before, after, wanted) if after is not None else {}
        to_ours = align(before, ours, wanted)
        moved = moved_lines(before, after, wanted - set(to_after)) if after is not None else {}
        theirs_in_file = unsettled_in_file = 0
        for i in sorted(wanted):
            after_line = after[to_after[i]] if i in to_after else moved.get(i)
            ours_line = ours[to_ours[i]] if i in to_ours else None
            theirs = maintainers_class(before[i], after_line)
            theirs_in_file += theirs == "rewrote"
            if theirs == "other":
                tally.other += 1
                continue
            we_rewrote = ours_line != before[i]
            tally.scored += 1
            if theirs == "rewrote" and we_rewrote:
                tally.both += 1
                continue
            if theirs == "kept" and not we_rewrote:
                tally.both_kept += 1
                continue
            kind = "regshift_only" if we_rewrote else "maintainers_only"
            setattr(tally, kind, getattr(tally, kind) + 1)
            what_later = later.of(rel, before[i])
            if we_rewrote:
                migrated_later = what_later.startswith(("line migrated", "reference migrated"))
                gone = what_later in GONE
                tally.later += migrated_later
                tally.gone += gone
                unsettled_in_file += not (migrated_later or gone)
            ours_no = to_ours[i] + 1 if i in to_ours else None
            if we_rewrote:
                findings = fixed.fixed_by.get(rel, {}).get(i + 1, [])
            else:
                findings = fixed.findings.get(rel, {}).get(ours_no, []) if ours_no else []
            result.disagreements.append({
                "repo": repo, "split": entry["split"], "category": category(rel),
                "class": kind, "path": rel, "line": i + 1,
                "before": before[i], "after": after_line, "regshift": ours_line,
                "regshift_findings": [
                    {k: f.get(k) for k in ("rule", "applicability", "context", "note")}
                    for f in findings],
                "later": what_later,
            })
        if theirs_in_file:
            tally.beside_rewrites += unsettled_in_file
    later.close()
    return result


LEGACY_REFERENCE = re.compile(
    r"(?i)(?<![A-Za-z0-9.-])(?:k8s\.gcr\.io|gcr\.io/google[-_]containers"
    r"|(?:us|eu|asia)\.gcr\.io/k8s-artifacts-prod|[a-z0-9-]+-docker\.pkg\.dev/k8s-artifacts-prod/images)"
    r"((?:/[A-Za-z0-9._-]+)*)")


# What the maintainers did in the end that decides nothing either way: the line's file, or
# every image the line names, left the tree before anyone migrated it.
GONE = ("file gone at HEAD", "references gone at HEAD")


class Later:
    """What the maintainers did in the end with a disagreeing line: at the mirror's newest
    commit (HEAD) if the line's references are still there, else in the last version of the
    file that still named them. It tells a regshift-only rewrite the maintainers made in a later
    commit from one they never made.

    At HEAD (stripped lines compared): the line itself (`line unchanged at HEAD`), its migrated
    form (`normalized`: `line migrated at HEAD`), every image reference of the line on
    `registry.k8s.io` (`reference migrated at HEAD`), or one of them still on a legacy host
    (`reference still legacy at HEAD`). When the file is gone at HEAD, or holds none of these,
    the file's versions after `after` are read from the newest back, and the first that holds
    one of them decides: a migration there (`line migrated in <commit>`, `reference migrated
    in <commit>`, a rewrite the maintainers made and later deleted or replaced, such as an image
    list entry migrated and dropped years later) counts as later; otherwise `file gone at HEAD`,
    `references gone at HEAD` (the file is there, but none of the line's image references is,
    on any host) or `line changed at HEAD`.

    The versions are those of HEAD's first-parent chain that change the file (against their
    first parent; renames are not followed). When `after` is not on that chain (a pull
    request's commit, merged), the walk starts at the first commit of the chain that holds
    `after` (the merge). A version whose blob the mirror lacks (files of 4 MiB and more) is
    skipped.
    """

    def __init__(self, git_dir: Path, after: str):
        self.git_dir = git_dir
        self.after = after
        self.origin: tuple[str, str | None] | None = None
        self.histories: dict[str, list[tuple[str, str | None]]] = {}
        self.blobs: dict[str, list[str] | None] = {}
        self.batch: subprocess.Popen | None = None

    def close(self) -> None:
        if self.batch is not None:
            self.batch.stdin.close()
            self.batch.wait()
            self.batch = None

    def __del__(self):
        self.close()

    def of(self, rel: str, before: str) -> str:
        head = self.head_lines(rel)
        verdict = judge(head, before) if head is not None else None
        if verdict in ("line unchanged", "line migrated", "reference migrated",
                       "reference still legacy"):
            return f"{verdict} at HEAD"
        for commit, sha in reversed(self.history(rel)):
            lines = self.lines_of(sha) if sha is not None else None
            if lines is None:
                continue
            earlier = judge(lines, before)
            if earlier in ("line migrated", "reference migrated"):
                return f"{earlier} in {commit[:10]}"
            if earlier in ("line unchanged", "reference still legacy"):
                break
        if head is None:
            return "file gone at HEAD"
        if verdict == "references gone":
            # The file is there but names none of the line's images on any host: the line was
            # deleted or pointed elsewhere without a migration, like a file deleted.
            return "references gone at HEAD"
        return "line changed at HEAD"

    def head_lines(self, rel: str) -> list[str] | None:
        """The file's lines at HEAD, read like every other version; None when it is gone."""
        sha = self.entry("HEAD", rel)
        return self.lines_of(sha) if sha is not None else None

    def start(self) -> tuple[str, str | None]:
        """(boundary, landing): the walk is the first-parent commits of HEAD after `boundary`;
        `landing` is the first of them that holds `after` when `after` is not on the chain."""
        if self.origin is None:
            chain = git(self.git_dir, "rev-list", "--first-parent", "HEAD",
                        capture_output=True, text=True).stdout.split()[::-1]
            self.origin = (self.after, None)
            if self.after not in chain:
                def holds(commit: str) -> bool:
                    return git(self.git_dir, "merge-base", "--is-ancestor", self.after, commit,
                               capture_output=True).returncode == 0
                low, high = 0, len(chain)  # the chain holds `after` from some index on
                while low < high:
                    middle = (low + high) // 2
                    if holds(chain[middle]):
                        high = middle
                    else:
                        low = middle + 1
                if 0 < low < len(chain):
                    self.origin = (chain[low - 1], chain[low])
        return self.origin

    def entry(self, commit: str, rel: str) -> str | None:
        """The blob of `rel` at `commit`, or None if it is not a file there."""
        listing = git(self.git_dir, "--literal-pathspecs", "ls-tree", "-z", "--full-tree",
                      commit, "--", rel, capture_output=True).stdout
        for record in listing.split(b"\0"):
            if not record:
                continue
            meta, path = record.split(b"\t", 1)
            _mode, kind, sha = meta.decode().split(" ")
            if os.fsdecode(path) == rel and kind == "blob":
                return sha
        return None

    def history(self, rel: str) -> list[tuple[str, str | None]]:
        """The versions of `rel` after `after`, oldest first: (commit, blob, or None when the
        file is gone there)."""
        if rel in self.histories:
            return self.histories[rel]
        boundary, landing = self.start()
        versions = []
        if landing is not None:
            versions.append((landing, self.entry(landing, rel)))
        proc = git(self.git_dir, "--literal-pathspecs", "log", "--first-parent",
                   "--diff-merges=first-parent", "--no-renames", "--reverse", "--raw",
                   "--no-abbrev", "-z", "--format=commit %H", f"{boundary}..HEAD", "--", rel,
                   capture_output=True)
        fields = proc.stdout.split(b"\0")
        commit, k = None, 0
        while k < len(fields):
            item = fields[k].lstrip(b"\n").decode("utf-8", "surrogateescape")
            k += 1
            if item.startswith("commit "):
                commit = item.split(" ", 1)[1].strip()
            elif item.startswith(":") and k < len(fields):
                path = os.fsdecode(fields[k])
                k += 1
                if path != rel or commit is None or commit == landing:
                    continue  # a file below a directory of that name, or the landing (listed)
                _, new_mode, _, new_sha, _status = item[1:].split(" ")
                gone = new_mode in ("000000", "040000", "160000")
                versions.append((commit, None if gone else new_sha))
        self.histories[rel] = versions
        return versions

    def lines_of(self, sha: str) -> list[str] | None:
        """A blob's lines, or None when the mirror lacks it."""
        if sha in self.blobs:
            return self.blobs[sha]
        if self.batch is None:
            self.batch = subprocess.Popen(
                ["git", f"--git-dir={self.git_dir}", "cat-file", "--batch"],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        self.batch.stdin.write(sha.encode() + b"\n")
        self.batch.stdin.flush()
        header = self.batch.stdout.readline().rstrip(b"\n")
        lines = None
        if not header.endswith(b" missing"):
            size = int(header.split(b" ")[2])
            data = self.batch.stdout.read(size)
            self.batch.stdout.read(1)
            lines = data.decode("utf-8", "surrogateescape").splitlines()
        self.blobs[sha] = lines
        return lines


def judge(lines: list[str], before: str) -> str:
    """What one version of a file did with the legacy line `before`: kept it, migrated the
    line or its image references, still names one of them on a legacy host, names none of them
    on any host (`references gone`), or none of these (`line changed`)."""
    stripped = {line.strip() for line in lines}
    if before.strip() in stripped:
        return "line unchanged"
    if normalized(before) in stripped:
        return "line migrated"
    text = "\n".join(lines).lower()
    refs = [m.group(1).lower() for m in LEGACY_REFERENCE.finditer(before) if m.group(1)]
    if refs:
        if all("registry.k8s.io" + ref in text for ref in refs):
            return "reference migrated"
        if any(m.group(0).lower() in text for m in LEGACY_REFERENCE.finditer(before)):
            return "reference still legacy"
        if not any("registry.k8s.io" + ref in text for ref in refs):
            return "references gone"
    return "line changed"


# ---------------------------------------------------------------------------------------------
# Output


def pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def table(rows: list[list[str]], header: list[str]) -> str:
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows)]
    def fmt(row):
        return "  ".join(str(cell).ljust(w) if k == 0 else str(cell).rjust(w)
                         for k, (cell, w) in enumerate(zip(row, widths)))
    lines = [fmt(header), "  ".join("-" * w for w in widths)]
    lines += [fmt(row) for row in rows]
    return "\n".join(lines)


def tally_row(label: str, split: str, tally: Tally) -> list[str]:
    return [label, split, tally.scored, tally.both, tally.regshift_only, tally.later, tally.gone,
            tally.maintainers_only, tally.both_kept, tally.other, pct(tally.precision()),
            pct(tally.eventual_precision()), pct(tally.settled_precision()), pct(tally.recall())]


MAIN_HEADER = ["repository", "split", "scored", "both-rewrote", "regshift-only", "(later)",
               "(gone)", "maintainers-only", "both-kept", "unscored", "precision%", "(later)%",
               "settled%", "recall%"]


def render(results: list[Result]) -> str:
    out = []
    rows = [tally_row(r.entry["repo"], r.entry["split"], r.tallies["main"]) for r in results]
    out.append("Main score (configuration, manifests, docs, scripts...; not program source, "
               "not vendored)\n")
    out.append(table(rows, MAIN_HEADER))
    out.append("")
    side_rows = []
    for r in results:
        for cat in ("source", "vendored"):
            t = r.tallies[cat]
            if t.scored or t.other:
                side_rows.append(tally_row(f"{r.entry['repo']} [{cat}]", r.entry["split"], t))
    if side_rows:
        out.append("Program source and vendored trees (regshift: unsafe fixes / excluded by "
                   "default), not in the main score\n")
        out.append(table(side_rows, MAIN_HEADER))
        out.append("")
    total_rows = []
    for cat in ("main", "source", "vendored"):
        for split in ("studied", "held-out", "all"):
            total = split_total(results, cat, split)
            count = sum(1 for r in results if split == "all" or r.entry["split"] == split)
            total_rows.append(tally_row(f"TOTAL {cat} ({count} repos)", split, total))
    out.append("Totals\n")
    out.append(table(total_rows, MAIN_HEADER))
    out.append("")
    out.append(render_beside(results))
    spread = render_spread(results)
    if spread:
        out.append("")
        out.append(spread)
    problems = [r for r in results if r.errors or r.notes]
    if problems:
        out.append("\nErrors and notes")
        for r in problems:
            for error in r.errors[:20]:
                out.append(f"  {r.entry['repo']}: ERROR {error}")
            if len(r.errors) > 20:
                out.append(f"  {r.entry['repo']}: ... {len(r.errors) - 20} more errors")
            for note in r.notes[:10]:
                out.append(f"  {r.entry['repo']}: note: {note}")
    return "\n".join(out)


def split_total(results: list[Result], cat: str, split: str) -> Tally:
    """The sum of one part's tallies over a split's entries (`all`: every entry)."""
    total = Tally()
    for r in results:
        if split == "all" or r.entry["split"] == split:
            total.add(r.tallies[cat])
    return total


def render_beside(results: list[Result]) -> str:
    """The settled rewrites by regshift alone, split by whether the maintainers rewrote other
    legacy lines of the same file in the migration. Those beside their rewrites are lines a
    partial migration left behind or lines kept on purpose next to the ones moved; the scorer
    cannot tell which, so the acceptance precision counts them all against regshift."""
    rows = []
    for split in ("studied", "held-out", "all"):
        total = split_total(results, "main", split)
        settled_alone = total.regshift_only - total.later - total.gone
        rest = Tally(both=total.both, later=total.later,
                     regshift_only=total.regshift_only - total.beside_rewrites, gone=total.gone)
        # Entries whose migration rewrote no line of the main score (only program source, say):
        # every legacy line of theirs that counts was left by a commit that did not decide it.
        undecided, decided = Tally(), Tally()
        for r in results:
            if split == "all" or r.entry["split"] == split:
                t = r.tallies["main"]
                (decided if t.both + t.maintainers_only else undecided).add(t)
        rows.append([split, settled_alone, total.beside_rewrites,
                     settled_alone - total.beside_rewrites, pct(rest.settled_precision()),
                     undecided.regshift_only - undecided.later - undecided.gone,
                     pct(decided.settled_precision())])
    return ("Settled rewrites by regshift alone (main), by whether the maintainers rewrote other "
            "lines of the same file, and by whether their migration rewrote any line of the "
            "main score at all\n\n"
            + table(rows, ["split", "settled alone", "beside their rewrites", "elsewhere",
                           "settled% without those beside", "in entries with no main rewrite",
                           "settled% without those entries"]))


BOOTSTRAP_DRAWS = 4000


def render_spread(results: list[Result]) -> str:
    """How far the main totals move when the corpus is drawn again: a bootstrap over
    repositories (each draw takes as many repositories as the split has, with replacement,
    and sums their tallies), since lines of one repository stand or fall together. The
    interval is the middle 95 % of the draws; the seed is fixed, so a run repeats."""
    by_split = {split: [r.tallies["main"] for r in results if r.entry["split"] == split]
                for split in ("studied", "held-out")}
    if not all(by_split.values()):
        return ""
    rng = random.Random(0)
    draws: dict[str, list[list[float]]] = {
        "settled%": [[], [], []], "recall%": [[], [], []]}
    for _ in range(BOOTSTRAP_DRAWS):
        totals = []
        for split in ("studied", "held-out"):
            total = Tally()
            for tally in rng.choices(by_split[split], k=len(by_split[split])):
                total.add(tally)
            totals.append(total)
        for name, measure in (("settled%", Tally.settled_precision), ("recall%", Tally.recall)):
            studied, held_out = measure(totals[0]), measure(totals[1])
            if studied is None or held_out is None:
                continue
            draws[name][0].append(studied)
            draws[name][1].append(held_out)
            draws[name][2].append(studied - held_out)

    def interval(values: list[float]) -> str:
        if not values:
            return "-"
        values = sorted(values)
        low = values[int(0.025 * (len(values) - 1))]
        high = values[int(0.975 * (len(values) - 1))]
        return f"{low:.1f} .. {high:.1f}"

    rows = [[name, interval(studied), interval(held_out), interval(gap)]
            for name, (studied, held_out, gap) in draws.items()]
    return ("Spread of the main totals (bootstrap over repositories, "
            f"{BOOTSTRAP_DRAWS} draws, middle 95 %)\n\n"
            + table(rows, ["measure", "studied", "held-out", "studied - held-out"]))


def render_details(items: list[dict]) -> str:
    out = []
    for item in items:
        rules = "; ".join(
            f"{f['rule']}/{f['applicability']} [{f['context']}]"
            + (f" note: {f['note']}" if f.get("note") else "")
            for f in item["regshift_findings"]) or "no finding (not scanned, or not a legacy form)"
        out.append(f"{item['repo']}\t{item['path']}:{item['line']}\t{item['class']}"
                   f"\t[{item['category']}]")
        out.append(f"  before:   {item['before']}")
        out.append(f"  after:    {item['after']}")
        out.append(f"  regshift: {item['regshift']}")
        out.append(f"  finding:  {rules}")
        out.append(f"  later:    {item.get('later')}")
    return "\n".join(out) + ("\n" if out else "")


def load_corpus(path: Path) -> list[dict]:
    data = tomllib.loads(path.read_text())
    entries = data.get("repo", [])
    for entry in entries:
        for key in ("repo", "before", "after", "split", "note"):
            if key not in entry:
                raise SystemExit(f"{path}: entry {entry.get('repo', '?')} lacks `{key}`")
        for key in ("before", "after"):
            if not re.fullmatch(r"[0-9a-f]{40}", entry[key]):
                raise SystemExit(f"{path}: {entry['repo']}: `{key}` is not a 40-hex commit")
        if entry["split"] not in ("studied", "held-out"):
            raise SystemExit(f"{path}: {entry['repo']}: split must be studied or held-out")
    return entries


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--mirrors", type=Path, default=Path("/work/.mirror"),
                        help="folder of bare mirrors named owner+name (default /work/.mirror)")
    parser.add_argument("--regshift", type=Path, default=None,
                        help="regshift binary (default target/release/regshift, built if missing)")
    parser.add_argument("--only", action="append", default=[], metavar="REPO",
                        help="score only this repository (owner/name); repeatable")
    parser.add_argument("--details", nargs="?", const="-", default=None, metavar="FILE",
                        help="write every studied disagreement to FILE (`-` or no FILE: stdout; "
                             "a .jsonl name: JSON lines)")
    parser.add_argument("--unsafe-fixes", action="store_true",
                        help="run `regshift fix --unsafe-fixes` instead of the default (safe only)")
    parser.add_argument("--show-held-out", action="store_true",
                        help="include held-out disagreements in --details (do not tune to them)")
    args = parser.parse_args()

    entries = load_corpus(args.corpus)
    if args.only:
        known = {e["repo"] for e in entries}
        for name in args.only:
            if name not in known:
                raise SystemExit(f"--only {name}: not in {args.corpus}")
        entries = [e for e in entries if e["repo"] in args.only]
    regshift = args.regshift or REPO / "target" / "release" / "regshift"
    if not regshift.is_file():
        if args.regshift:
            raise SystemExit(f"--regshift {regshift}: no such file")
        regshift = build_regshift()
    regshift = regshift.resolve()
    binary_id = file_digest(regshift)

    results = []
    for entry in entries:
        log(f"{entry['repo']} ({entry['split']})")
        try:
            results.append(score_entry(entry, args, regshift, binary_id))
        except Exception as error:  # one entry's failure never stops the run
            result = Result(entry)
            result.errors.append(f"{type(error).__name__}: {error}")
            results.append(result)
    print(render(results))

    if args.details is not None:
        items = [d for r in results for d in r.disagreements
                 if d["split"] == "studied" or args.show_held_out]
        held = sum(len(r.disagreements) for r in results if r.entry["split"] == "held-out")
        if args.details.endswith(".jsonl"):
            text = "".join(json.dumps(item) + "\n" for item in items)
        else:
            text = render_details(items)
        if args.details == "-":
            print("\nDisagreements\n")
            sys.stdout.write(text)
        else:
            Path(args.details).parent.mkdir(parents=True, exist_ok=True)
            Path(args.details).write_text(text)
            log(f"{len(items)} disagreements written to {args.details}")
        if held and not args.show_held_out:
            log(f"{held} held-out disagreements not shown (--show-held-out)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
