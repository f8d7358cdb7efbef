"""`regshift server` driven by a real LSP client (pytest-lsp over stdio).

The CLI is the oracle: diagnostics must match `regshift check --format json` finding for
finding, and edits applied client-side must give the bytes `regshift fix` writes.
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest
from lspkit import (
    Document,
    apply_action,
    change_document,
    code_actions,
    expected_diagnostics,
    explain,
    fixed_by_cli,
    initialize,
    mark,
    next_publication,
    open_document,
    raw_request,
    server_config,
    sort_expected,
    summary,
    within,
)
from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pytest_lsp import LanguageClient

FIX_ALL = "source.fixAll.regshift"

# Hosts after multi-byte text: `é` is 1 UTF-16 unit and 2 UTF-8 bytes, `🚀` (outside the
# BMP) is 2 UTF-16 units and 4 UTF-8 bytes.
POD = """\
apiVersion: v1
kind: Pod
metadata:
  name: web  # café 🚀
spec:
  containers: [{name: café, image: k8s.gcr.io/pause:3.1}, {name: "🚀", image: k8s.gcr.io/etcd:3.5}]
  initContainers:
  - {name: "café🚀", image: k8s.gcr.io/busybox:1.27}
  - name: proxied
    image: harbor.example.com/k8s.gcr.io/addon-resizer:1.8
"""

# (line, start character) of each finding on the lines above, counted by hand.
POD_STARTS = {
    "utf-16": [(5, 35), (5, 78), (7, 28), (9, 30)],
    "utf-8": [(5, 36), (5, 81), (7, 31), (9, 30)],
}

ONE_FINDING = """\
apiVersion: v1
kind: Pod
metadata:
  name: café
spec:
  containers:
  - name: web
    image: k8s.gcr.io/pause:3.1
"""

CLEAN = ONE_FINDING.replace("k8s.gcr.io", "registry.k8s.io")

KUBEADM = """\
apiVersion: kubeadm.k8s.io/v1beta3
kind: ClusterConfiguration
kubernetesVersion: v1.22.9
imageRepository: k8s.gcr.io
networking:
  podSubnet: 10.244.0.0/16
"""

KUSTOMIZATION = """\
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
- deployment.yaml
images:
- name: k8s.gcr.io/pause
  newTag: "3.9"
"""


def write(path: Path, text: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, str):
        text = text.encode("utf-8")
    path.write_bytes(text)
    return path


async def open_on_disk(
    client: LanguageClient, workspace: Path, name: str, text: str
) -> tuple[Document, list[types.Diagnostic]]:
    """Write `text` to `name` in the workspace and open the same text in the editor."""
    path = write(workspace / name, text)
    document = Document(path, text)
    return document, await open_document(client, document)


def only_diagnostic(diagnostics: list[types.Diagnostic]) -> types.Diagnostic:
    assert len(diagnostics) == 1, diagnostics
    return diagnostics[0]


def actions_by_title(actions: list[types.CodeAction]) -> dict[str, types.CodeAction]:
    titles = [action.title for action in actions]
    assert len(set(titles)) == len(titles), f"duplicate titles: {titles}"
    return {action.title: action for action in actions}


def fix_titles(actions: list[types.CodeAction]) -> list[str]:
    return [a.title for a in actions if a.title.startswith("Fix ") and a.kind != FIX_ALL]


# ---------------------------------------------------------------------------------------------
# initialize


async def test_initialize_defaults_to_utf16_and_declares_its_features(
    client: LanguageClient, workspace: Path
):
    result = await initialize(client, workspace)
    caps = result.capabilities
    assert caps.position_encoding == types.PositionEncodingKind.Utf16
    sync = caps.text_document_sync
    assert isinstance(sync, types.TextDocumentSyncOptions), sync
    assert sync.open_close is True
    assert sync.change == types.TextDocumentSyncKind.Full
    assert sync.save, sync
    provider = caps.code_action_provider
    assert isinstance(provider, types.CodeActionOptions), provider
    assert set(provider.code_action_kinds or []) >= {types.CodeActionKind.QuickFix, FIX_ALL}
    assert caps.hover_provider is True
    assert caps.workspace is not None and caps.workspace.workspace_folders is not None
    assert caps.workspace.workspace_folders.supported is True


@pytest.mark.parametrize(
    ("offered", "chosen"),
    [
        (["utf-8"], "utf-8"),
        (["utf-16", "utf-8"], "utf-8"),
        (["utf-32", "utf-16"], "utf-16"),
        ([], "utf-16"),
    ],
)
async def test_initialize_picks_utf8_only_when_the_client_offers_it(
    client: LanguageClient, workspace: Path, offered: list[str], chosen: str
):
    result = await initialize(client, workspace, encodings=offered)
    assert result.capabilities.position_encoding == chosen


# ---------------------------------------------------------------------------------------------
# Diagnostics


@pytest.mark.parametrize("encoding", ["utf-16", "utf-8"])
async def test_diagnostics_match_the_cli_with_exact_ranges_after_multibyte_text(
    client: LanguageClient, workspace: Path, encoding: str
):
    await initialize(client, workspace, encodings=[encoding])
    document, diagnostics = await open_on_disk(client, workspace, "pod.yaml", POD)

    assert summary(diagnostics) == sort_expected(
        expected_diagnostics(document.path, workspace, encoding)
    )
    starts = [(d["range"].start.line, d["range"].start.character) for d in summary(diagnostics)]
    assert starts == POD_STARTS[encoding]
    for d in diagnostics:
        # Every range is exactly the host on one line.
        assert d.range.start.line == d.range.end.line
        length = d.range.end.character - d.range.start.character
        assert length == len("k8s.gcr.io"), d
    codes = sorted(str(d.code) for d in diagnostics)
    assert codes == ["legacy-host", "legacy-host", "legacy-host", "proxy-path"]


async def test_diagnostic_message_carries_the_note(client: LanguageClient, workspace: Path):
    await initialize(client, workspace)
    document, diagnostics = await open_on_disk(client, workspace, "kubeadm.yaml", KUBEADM)
    diagnostic = only_diagnostic(diagnostics)
    assert diagnostic.message.startswith(
        "registry is set to the frozen registry k8s.gcr.io\nnote: "
    ), diagnostic.message
    assert summary(diagnostics) == expected_diagnostics(document.path, workspace, "utf-16")


async def test_crlf_document_ranges_and_fix(client: LanguageClient, workspace: Path):
    await initialize(client, workspace)
    text = ONE_FINDING.replace("\n", "\r\n")
    document, diagnostics = await open_on_disk(client, workspace, "crlf.yaml", text)
    diagnostic = only_diagnostic(diagnostics)
    assert diagnostic.range == types.Range(
        start=types.Position(line=7, character=11), end=types.Position(line=7, character=21)
    )
    assert summary(diagnostics) == expected_diagnostics(document.path, workspace, "utf-16")

    actions = await code_actions(client, document, diagnostic.range, [diagnostic])
    (fix,) = [a for a in actions if a.title.startswith("Fix legacy-host")]
    fixed = apply_action(document, fix, "utf-16")
    assert fixed == fixed_by_cli(document.path, workspace)
    assert b"\r\n" in fixed and b"\n" not in fixed.replace(b"\r\n", b"")


async def test_diagnostics_follow_the_buffer_not_the_file_on_disk(
    client: LanguageClient, workspace: Path
):
    await initialize(client, workspace)
    # On disk clean, in the editor a legacy reference: reported.
    dirty = Document(write(workspace / "a.yaml", CLEAN), ONE_FINDING)
    diagnostic = only_diagnostic(await open_document(client, dirty))
    assert diagnostic.code == "legacy-host"
    assert diagnostic.range.start == types.Position(line=7, character=11)
    # On disk a legacy reference, in the editor clean: nothing.
    clean = Document(write(workspace / "b.yaml", ONE_FINDING), CLEAN)
    assert await open_document(client, clean) == []


async def test_did_change_updates_the_diagnostics(client: LanguageClient, workspace: Path):
    await initialize(client, workspace)
    document, diagnostics = await open_on_disk(client, workspace, "pod.yaml", CLEAN)
    assert diagnostics == []

    diagnostics = await change_document(client, document, ONE_FINDING)
    assert only_diagnostic(diagnostics).range.start == types.Position(line=7, character=11)

    # A line inserted above moves the finding down.
    moved = await change_document(client, document, "# a comment\n" + ONE_FINDING)
    assert only_diagnostic(moved).range.start == types.Position(line=8, character=11)

    assert await change_document(client, document, CLEAN) == []


async def test_a_burst_of_changes_ends_with_the_diagnostics_of_the_last_text(
    client: LanguageClient, workspace: Path
):
    await initialize(client, workspace)
    document, _ = await open_on_disk(client, workspace, "pod.yaml", CLEAN)
    since = mark(client)
    # Typing: each keystroke a whole new text, faster than the debounce.
    texts = [ONE_FINDING[:n] for n in range(len(ONE_FINDING) - 12, len(ONE_FINDING) + 1)]
    for text in texts:
        document.version += 1
        client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(
                    uri=document.uri, version=document.version
                ),
                content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
            )
        )
        await asyncio.sleep(0.005)
    last = await next_publication(client, document.uri, since, lambda d: len(d) == 1)
    assert only_diagnostic(last).range.start == types.Position(line=7, character=11)
    # Nothing published later contradicts it.
    await asyncio.sleep(0.3)
    latest = client.diagnostics[document.uri]
    assert [d.range for d in latest] == [last[0].range]


async def test_did_save_publishes_for_the_buffer(client: LanguageClient, workspace: Path):
    await initialize(client, workspace)
    document, diagnostics = await open_on_disk(client, workspace, "pod.yaml", ONE_FINDING)
    assert len(diagnostics) == 1
    since = mark(client)
    client.text_document_did_save(
        types.DidSaveTextDocumentParams(
            text_document=types.TextDocumentIdentifier(uri=document.uri)
        )
    )
    again = await next_publication(client, document.uri, since)
    assert summary(again) == summary(diagnostics)


async def test_suppressed_line_gives_no_diagnostic(client: LanguageClient, workspace: Path):
    await initialize(client, workspace)
    text = ONE_FINDING.replace(
        "image: k8s.gcr.io/pause:3.1", "image: k8s.gcr.io/pause:3.1  # regshift:ignore[legacy-host]"
    )
    _, diagnostics = await open_on_disk(client, workspace, "pod.yaml", text)
    assert diagnostics == []


async def test_excluded_and_history_files_get_an_empty_list(
    client: LanguageClient, workspace: Path
):
    write(workspace / "regshift.toml", 'extend-exclude = ["generated/"]\n')
    await initialize(client, workspace)
    _, excluded = await open_on_disk(client, workspace, "generated/pod.yaml", ONE_FINDING)
    assert excluded == []
    changelog = "# Changelog\n\n## 1.2.0\n\n- image moved off k8s.gcr.io/pause:3.1\n"
    _, history = await open_on_disk(client, workspace, "CHANGELOG.md", changelog)
    assert history == []
    # The same buffer elsewhere is reported.
    _, included = await open_on_disk(client, workspace, "deploy/pod.yaml", ONE_FINDING)
    assert len(included) == 1


async def test_a_bom_in_the_buffer_is_a_character_of_line_0(
    client: LanguageClient, workspace: Path
):
    await initialize(client, workspace)
    text = "\ufeffimage: k8s.gcr.io/pause:3.1\n"
    _, diagnostics = await open_on_disk(client, workspace, "values.yaml", text)
    # The editor's line 0 holds the BOM (1 UTF-16 unit) before `image: `.
    assert only_diagnostic(diagnostics).range == types.Range(
        start=types.Position(line=0, character=8), end=types.Position(line=0, character=18)
    )


# ---------------------------------------------------------------------------------------------
# Configuration


async def test_configuration_is_found_through_a_percent_encoded_uri(
    client: LanguageClient, tmp_path: Path
):
    # `my repo café/sub dir/pod.yaml` reaches the server as `my%20repo%20caf%C3%A9/sub%20dir/...`.
    root = tmp_path / "my repo café"
    (root / ".git").mkdir(parents=True)
    write(root / "regshift.toml", '[rules]\nignore = ["legacy-host"]\n')
    await initialize(client, root)
    document, diagnostics = await open_on_disk(client, root, "sub dir/pod.yaml", ONE_FINDING)
    assert "%20" in document.uri and "%C3%A9" in document.uri
    assert diagnostics == []


async def test_watched_regshift_toml_reloads_and_republishes(
    client: LanguageClient, workspace: Path
):
    await initialize(client, workspace)
    document, diagnostics = await open_on_disk(client, workspace, "pod.yaml", ONE_FINDING)
    assert len(diagnostics) == 1

    # The server asked to watch both configuration names.
    globs = [
        watcher["globPattern"]
        for registration in client.registrations  # type: ignore[attr-defined]
        if registration.method == types.WORKSPACE_DID_CHANGE_WATCHED_FILES
        for watcher in (registration.register_options or {}).get("watchers", [])
    ]
    assert sorted(globs) == ["**/.regshift.toml", "**/regshift.toml"], globs

    config = write(workspace / "regshift.toml", '[rules]\nignore = ["legacy-host"]\n')
    since = mark(client)
    client.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams(
            changes=[types.FileEvent(uri=config.as_uri(), type=types.FileChangeType.Created)]
        )
    )
    assert await next_publication(client, document.uri, since) == []

    config.unlink()
    since = mark(client)
    client.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams(
            changes=[types.FileEvent(uri=config.as_uri(), type=types.FileChangeType.Deleted)]
        )
    )
    assert len(await next_publication(client, document.uri, since)) == 1


async def test_did_change_configuration_reloads_every_open_document(
    client: LanguageClient, workspace: Path
):
    await initialize(client, workspace)
    first, _ = await open_on_disk(client, workspace, "a/pod.yaml", ONE_FINDING)
    second, _ = await open_on_disk(client, workspace, "b/pod.yaml", ONE_FINDING)
    write(workspace / ".regshift.toml", '[rules]\nignore = ["legacy-host"]\n')
    since = mark(client)
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings={}))
    assert await next_publication(client, first.uri, since) == []
    assert await next_publication(client, second.uri, since) == []


# ---------------------------------------------------------------------------------------------
# Code actions


@pytest.mark.parametrize("encoding", ["utf-16", "utf-8"])
async def test_quick_fix_gives_the_bytes_regshift_fix_writes(
    client: LanguageClient, workspace: Path, encoding: str
):
    await initialize(client, workspace, encodings=[encoding])
    document, diagnostics = await open_on_disk(client, workspace, "pod.yaml", ONE_FINDING)
    diagnostic = only_diagnostic(diagnostics)
    actions = await code_actions(client, document, diagnostic.range, [diagnostic])

    fixes = [
        a for a in actions if a.kind == types.CodeActionKind.QuickFix and a.title.startswith("Fix ")
    ]
    assert len(fixes) == 1, [a.title for a in actions]
    fix = fixes[0]
    assert fix.title == "Fix legacy-host: replace `k8s.gcr.io` with `registry.k8s.io`"
    assert fix.is_preferred is True
    assert [d.range for d in fix.diagnostics or []] == [diagnostic.range]
    assert [d.code for d in fix.diagnostics or []] == ["legacy-host"]
    assert apply_action(document, fix, encoding) == fixed_by_cli(document.path, workspace)

    # One fix-all too, since a safe fix exists and no `only` was given.
    fix_all = [a for a in actions if a.kind == FIX_ALL]
    assert [a.title for a in fix_all] == ["Fix all safe regshift findings"]


async def test_fix_for_a_finding_after_an_emoji_in_utf16(client: LanguageClient, workspace: Path):
    await initialize(client, workspace)
    document, diagnostics = await open_on_disk(client, workspace, "pod.yaml", POD)
    target = [d for d in diagnostics if d.range.start == types.Position(line=5, character=78)]
    assert len(target) == 1, summary(diagnostics)
    actions = await code_actions(client, document, target[0].range, target)
    (fix,) = [a for a in actions if a.title.startswith("Fix legacy-host: ")]
    fixed = apply_action(document, fix, "utf-16")
    expected = POD.replace(
        '{name: "🚀", image: k8s.gcr.io/etcd', '{name: "🚀", image: registry.k8s.io/etcd'
    )
    assert fixed.decode() == expected


async def test_fix_all_on_kubeadm_inserts_the_coredns_repository_like_regshift_fix(
    client: LanguageClient, workspace: Path
):
    await initialize(client, workspace)
    document, diagnostics = await open_on_disk(client, workspace, "kubeadm.yaml", KUBEADM)
    assert len(diagnostics) == 1
    whole = types.Range(
        start=types.Position(line=0, character=0), end=types.Position(line=0, character=0)
    )
    actions = await code_actions(
        client, document, whole, [], only=[types.CodeActionKind.SourceFixAll]
    )
    assert [(a.title, a.kind) for a in actions] == [("Fix all safe regshift findings", FIX_ALL)]
    fixed = apply_action(document, actions[0], "utf-16")
    assert fixed == fixed_by_cli(document.path, workspace)
    assert b"dns:\n  imageRepository: registry.k8s.io/coredns" in fixed

    # The quick fix of the finding carries the same edits (one replacement, one insertion).
    diagnostic = diagnostics[0]
    quick = await code_actions(client, document, diagnostic.range, [diagnostic])
    (fix,) = [a for a in quick if a.title.startswith("Fix legacy-host: ")]
    assert apply_action(document, fix, "utf-16") == fixed


async def test_fix_all_on_a_kustomization_inserts_new_name(client: LanguageClient, workspace: Path):
    await initialize(client, workspace)
    document, _ = await open_on_disk(client, workspace, "kustomization.yaml", KUSTOMIZATION)
    origin = types.Range(
        start=types.Position(line=0, character=0), end=types.Position(line=0, character=0)
    )
    actions = await code_actions(client, document, origin, [], only=[FIX_ALL])
    assert [a.title for a in actions] == ["Fix all safe regshift findings"]
    fixed = apply_action(document, actions[0], "utf-16")
    assert fixed == fixed_by_cli(document.path, workspace)
    assert fixed != document.data


@pytest.mark.parametrize("encoding", ["utf-16", "utf-8"])
async def test_fix_all_applies_every_safe_fix_like_regshift_fix(
    client: LanguageClient, workspace: Path, encoding: str
):
    await initialize(client, workspace, encodings=[encoding])
    document, diagnostics = await open_on_disk(client, workspace, "pod.yaml", POD)
    assert len(diagnostics) == 4
    origin = types.Range(
        start=types.Position(line=0, character=0), end=types.Position(line=0, character=0)
    )
    actions = await code_actions(
        client, document, origin, [], only=[types.CodeActionKind.SourceFixAll]
    )
    (fix_all,) = actions
    assert fix_all.kind == FIX_ALL
    assert fix_all.title == "Fix all safe regshift findings"
    fixed = apply_action(document, fix_all, encoding)
    assert fixed == fixed_by_cli(document.path, workspace)
    assert fixed.count(b"registry.k8s.io") == 3  # the proxy path has no fix


async def test_unsafe_fix_is_labelled_and_never_preferred(client: LanguageClient, workspace: Path):
    await initialize(client, workspace)
    text = "spec:\n  containers:\n  - image: gcr.io/google-containers/pause:3.1\n"
    document, diagnostics = await open_on_disk(client, workspace, "pod.yaml", text)
    diagnostic = only_diagnostic(diagnostics)
    assert diagnostic.code == "legacy-gcr-project"
    actions = await code_actions(client, document, diagnostic.range, [diagnostic])
    (fix,) = [a for a in actions if a.title.startswith("Fix ")]
    assert fix.title.startswith("Fix legacy-gcr-project (unsafe): "), fix.title
    assert not fix.is_preferred
    assert fix.kind == types.CodeActionKind.QuickFix
    assert apply_action(document, fix, "utf-16") == fixed_by_cli(
        document.path, workspace, "--unsafe-fixes"
    )
    # No safe fix in the document: no fix-all unless asked for.
    assert not [a for a in actions if a.kind == FIX_ALL]


async def test_code_actions_only_for_findings_in_the_range(client: LanguageClient, workspace: Path):
    await initialize(client, workspace)
    document, diagnostics = await open_on_disk(client, workspace, "pod.yaml", POD)
    line_7 = [d for d in diagnostics if d.range.start.line == 7]
    assert len(line_7) == 1
    actions = await code_actions(
        client, document, line_7[0].range, line_7, only=[types.CodeActionKind.QuickFix]
    )
    assert all(a.kind == types.CodeActionKind.QuickFix for a in actions)
    assert len(fix_titles(actions)) == 1
    # A range with no finding: no quick fix.
    nothing = types.Range(
        start=types.Position(line=1, character=0), end=types.Position(line=1, character=4)
    )
    empty = await code_actions(client, document, nothing, [], only=[types.CodeActionKind.QuickFix])
    assert empty == []


@pytest.mark.parametrize(
    ("line", "suppressed"),
    [
        (
            "    image: k8s.gcr.io/pause:3.1",
            "    image: k8s.gcr.io/pause:3.1 # regshift:ignore[legacy-host]",
        ),
        (
            "    image: k8s.gcr.io/pause:3.1  # pinned",
            "    image: k8s.gcr.io/pause:3.1  # pinned regshift:ignore[legacy-host]",
        ),
    ],
)
async def test_suppress_action_in_yaml_comments_the_line_and_silences_it(
    client: LanguageClient, workspace: Path, line: str, suppressed: str
):
    await initialize(client, workspace)
    text = ONE_FINDING.replace("    image: k8s.gcr.io/pause:3.1", line)
    document, diagnostics = await open_on_disk(client, workspace, "pod.yaml", text)
    diagnostic = only_diagnostic(diagnostics)
    actions = actions_by_title(await code_actions(client, document, diagnostic.range, [diagnostic]))
    suppress = actions["Suppress legacy-host on this line"]
    assert suppress.kind == types.CodeActionKind.QuickFix
    assert not suppress.is_preferred
    after = apply_action(document, suppress, "utf-16").decode()
    assert after == text.replace(line, suppressed)
    # The editor applies it; the finding is gone and no unused suppression is reported.
    assert await change_document(client, document, after) == []


async def test_suppress_action_in_a_dockerfile_adds_a_line_above(
    client: LanguageClient, workspace: Path
):
    await initialize(client, workspace)
    text = "FROM golang:1.22 AS build\nFROM k8s.gcr.io/pause:3.1\nCOPY app /app\n"
    document, diagnostics = await open_on_disk(client, workspace, "Dockerfile", text)
    diagnostic = only_diagnostic(diagnostics)
    actions = actions_by_title(await code_actions(client, document, diagnostic.range, [diagnostic]))
    after = apply_action(document, actions["Suppress legacy-host on this line"], "utf-16").decode()
    assert after == text.replace(
        "FROM k8s.gcr.io", "# regshift:ignore-next-line[legacy-host]\nFROM k8s.gcr.io"
    )
    assert await change_document(client, document, after) == []


async def test_no_suppress_action_where_the_file_has_no_comments(
    client: LanguageClient, workspace: Path
):
    await initialize(client, workspace)
    text = '{"spec": {"containers": [{"image": "k8s.gcr.io/pause:3.1"}]}}\n'
    document, diagnostics = await open_on_disk(client, workspace, "pod.json", text)
    diagnostic = only_diagnostic(diagnostics)
    actions = await code_actions(client, document, diagnostic.range, [diagnostic])
    assert not [a for a in actions if a.title.startswith("Suppress")]
    assert len(fix_titles(actions)) == 1


async def test_the_server_never_writes_files(client: LanguageClient, workspace: Path):
    await initialize(client, workspace)
    document, diagnostics = await open_on_disk(client, workspace, "pod.yaml", POD)
    origin = types.Range(
        start=types.Position(line=0, character=0), end=types.Position(line=0, character=0)
    )
    await code_actions(client, document, origin, [], only=[FIX_ALL])
    for d in diagnostics:
        await code_actions(client, document, d.range, [d])
    assert document.path.read_text() == POD


# ---------------------------------------------------------------------------------------------
# Hover


def words(text: str) -> str:
    """Text without Markdown emphasis and with whitespace collapsed."""
    return " ".join(re.sub(r"[`*_#>]", "", text).split())


async def test_hover_on_a_finding_explains_its_rule(client: LanguageClient, workspace: Path):
    await initialize(client, workspace)
    document, diagnostics = await open_on_disk(client, workspace, "pod.yaml", POD)
    proxy = [d for d in diagnostics if d.code == "proxy-path"]
    for diagnostic in (diagnostics[0], proxy[0]):
        middle = types.Position(
            line=diagnostic.range.start.line, character=diagnostic.range.start.character + 3
        )
        hover = await within(
            client.text_document_hover_async(
                types.HoverParams(
                    text_document=types.TextDocumentIdentifier(uri=document.uri), position=middle
                )
            )
        )
        assert hover is not None
        assert isinstance(hover.contents, types.MarkupContent), hover.contents
        assert hover.contents.kind == types.MarkupKind.Markdown
        explanation = explain(str(diagnostic.code))
        # The summary and every paragraph of `regshift explain` are in the hover.
        shown = words(hover.contents.value)
        for paragraph in explanation.split("\n\n"):
            assert words(paragraph.split("\n", 1)[-1]) in shown, (paragraph, hover.contents.value)


async def test_hover_elsewhere_is_null(client: LanguageClient, workspace: Path):
    await initialize(client, workspace)
    document, _ = await open_on_disk(client, workspace, "pod.yaml", POD)
    hover = await within(
        client.text_document_hover_async(
            types.HoverParams(
                text_document=types.TextDocumentIdentifier(uri=document.uri),
                position=types.Position(line=1, character=2),
            )
        )
    )
    assert hover is None


# ---------------------------------------------------------------------------------------------
# Robustness and lifecycle


async def test_a_malformed_request_gets_an_error_and_the_server_goes_on(
    client: LanguageClient, workspace: Path
):
    await initialize(client, workspace)
    document, _ = await open_on_disk(client, workspace, "pod.yaml", ONE_FINDING)

    with pytest.raises(JsonRpcException) as bad_params:
        await within(
            raw_request(
                client,
                types.TEXT_DOCUMENT_HOVER,
                {"textDocument": {"uri": 42}, "position": "here"},
            )
        )
    assert bad_params.value.code == -32602  # InvalidParams

    with pytest.raises(JsonRpcException) as unknown:
        await within(raw_request(client, "regshift/noSuchMethod", {}))
    assert unknown.value.code == -32601  # MethodNotFound

    hover = await within(
        client.text_document_hover_async(
            types.HoverParams(
                text_document=types.TextDocumentIdentifier(uri=document.uri),
                position=types.Position(line=7, character=13),
            )
        )
    )
    assert hover is not None
    assert len(await change_document(client, document, ONE_FINDING + "# more\n")) == 1


async def test_shutdown_then_exit_ends_the_process_with_code_0(workspace: Path):
    client = await server_config().start()
    try:
        await initialize(client, workspace)
        await within(client.shutdown_async(None))
        client.exit(None)
        server = client._server
        assert server is not None
        assert await within(server.wait()) == 0
    finally:
        await client.stop()
