"""What the tests of `regshift server` share: the binary, a client that records what the
server pushes, positions in both encodings, applying a WorkspaceEdit to bytes, and the CLI as
the oracle for findings and fixes.

Positions are computed here from the bytes, independently of the server: a line ends at `\\n`
(a `\\r` before it is not part of the line), and a character is a UTF-16 code unit or a UTF-8
byte depending on the negotiated encoding.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import tempfile
import uuid
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from lsprotocol import types
from pygls.protocol import default_converter
from pytest_lsp import ClientServerConfig, LanguageClient
from pytest_lsp.client import DEFAULT_CLIENT_FEATURES, register_lsp_features

REPOSITORY = Path(__file__).resolve().parents[2]

#: How long a test waits for the server to answer or to publish, in seconds. Generous for a
#: debug build on a busy 2-core machine; short enough that a hang fails.
TIMEOUT = 20.0

RULES_URL = "https://github.com/regshift/regshift/blob/main/docs/rules.md#"


def regshift_bin() -> str:
    """The binary under test: `$REGSHIFT_BIN`, else the debug build of this checkout."""
    configured = os.environ.get("REGSHIFT_BIN")
    path = Path(configured) if configured else REPOSITORY / "target/debug/regshift"
    if not path.is_file():
        raise RuntimeError(f"no regshift binary at {path}: build it or set REGSHIFT_BIN")
    return str(path)


# ---------------------------------------------------------------------------------------------
# The client


def make_client() -> LanguageClient:
    """pytest-lsp's client, plus a log of every publishDiagnostics (in order, so a test can
    wait for the next one) and of every client/registerCapability request."""
    client = LanguageClient(converter_factory=default_converter)
    client.published = []  # type: ignore[attr-defined]
    client.registrations = []  # type: ignore[attr-defined]

    def publish(client: LanguageClient, params: types.PublishDiagnosticsParams):
        client.diagnostics[params.uri] = params.diagnostics
        client.published.append(params)  # type: ignore[attr-defined]

    def register(client: LanguageClient, params: types.RegistrationParams):
        client.registrations.extend(params.registrations)  # type: ignore[attr-defined]
        return None

    features = dict(DEFAULT_CLIENT_FEATURES)
    features[types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS] = publish
    features[types.CLIENT_REGISTER_CAPABILITY] = register
    register_lsp_features(client, features)
    return client


def server_config() -> ClientServerConfig:
    return ClientServerConfig(
        server_command=[regshift_bin(), "server"],
        client_factory=make_client,
    )


def capabilities(encodings: list[str] | None = None) -> types.ClientCapabilities:
    """What a modern editor declares: dynamic registration of file watchers, configuration
    change notifications, code action literals, markdown hover, and the position encodings."""
    return types.ClientCapabilities(
        general=types.GeneralClientCapabilities(position_encodings=encodings)
        if encodings is not None
        else None,
        workspace=types.WorkspaceClientCapabilities(
            did_change_watched_files=types.DidChangeWatchedFilesClientCapabilities(
                dynamic_registration=True
            ),
            did_change_configuration=types.DidChangeConfigurationClientCapabilities(
                dynamic_registration=False
            ),
            workspace_folders=True,
        ),
        text_document=types.TextDocumentClientCapabilities(
            synchronization=types.TextDocumentSyncClientCapabilities(did_save=True),
            publish_diagnostics=types.PublishDiagnosticsClientCapabilities(
                code_description_support=True, version_support=True
            ),
            code_action=types.CodeActionClientCapabilities(
                code_action_literal_support=types.ClientCodeActionLiteralOptions(
                    code_action_kind=types.ClientCodeActionKindOptions(
                        value_set=[
                            types.CodeActionKind.QuickFix,
                            types.CodeActionKind.SourceFixAll,
                        ]
                    )
                ),
                is_preferred_support=True,
            ),
            hover=types.HoverClientCapabilities(
                content_format=[types.MarkupKind.Markdown, types.MarkupKind.PlainText]
            ),
        ),
    )


async def initialize(
    client: LanguageClient, root: Path, encodings: list[str] | None = None
) -> types.InitializeResult:
    """initialize (with `root` as the one workspace folder) and initialized."""
    params = types.InitializeParams(
        capabilities=capabilities(encodings),
        root_uri=root.as_uri(),
        workspace_folders=[types.WorkspaceFolder(uri=root.as_uri(), name=root.name)],
    )
    return await within(client.initialize_session(params))


async def within(awaitable, seconds: float = TIMEOUT):
    return await asyncio.wait_for(awaitable, seconds)


# ---------------------------------------------------------------------------------------------
# Documents and what the server publishes


@dataclass
class Document:
    path: Path
    text: str
    version: int = 1

    @property
    def uri(self) -> str:
        return self.path.as_uri()

    @property
    def data(self) -> bytes:
        return self.text.encode("utf-8")


def language_id(path: Path) -> str:
    name = path.name
    if name == "Dockerfile" or name.endswith(".Dockerfile"):
        return "dockerfile"
    return {
        ".yaml": "yaml",
        ".yml": "yaml",
        ".json": "json",
        ".md": "markdown",
        ".sh": "shellscript",
    }.get(path.suffix, "plaintext")


def mark(client: LanguageClient) -> int:
    """A point in the log of publications: the next wait returns only what came after it."""
    return len(client.published)  # type: ignore[attr-defined]


async def next_publication(
    client: LanguageClient,
    uri: str,
    since: int,
    accept: Callable[[list[types.Diagnostic]], bool] = lambda _: True,
    seconds: float = TIMEOUT,
) -> list[types.Diagnostic]:
    """The diagnostics of the first publication for `uri` after `since` that `accept` takes."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    seen = since
    while True:
        published = client.published  # type: ignore[attr-defined]
        for params in published[seen:]:
            if params.uri == uri and accept(list(params.diagnostics)):
                return list(params.diagnostics)
        seen = len(published)
        if loop.time() > deadline:
            got = [(p.uri, len(p.diagnostics)) for p in published[since:]]
            raise AssertionError(
                f"no accepted publishDiagnostics for {uri} within {seconds}s; got {got}"
            )
        await asyncio.sleep(0.01)


async def open_document(client: LanguageClient, document: Document) -> list[types.Diagnostic]:
    """didOpen with the document's text (not the file on disk) and its first diagnostics."""
    since = mark(client)
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=document.uri,
                language_id=language_id(document.path),
                version=document.version,
                text=document.text,
            )
        )
    )
    return await next_publication(client, document.uri, since)


async def change_document(
    client: LanguageClient,
    document: Document,
    text: str,
    accept: Callable[[list[types.Diagnostic]], bool] = lambda _: True,
) -> list[types.Diagnostic]:
    """didChange with the whole new text, and the diagnostics published after it."""
    since = mark(client)
    document.version += 1
    document.text = text
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(
                uri=document.uri, version=document.version
            ),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
        )
    )
    return await next_publication(client, document.uri, since, accept)


async def code_actions(
    client: LanguageClient,
    document: Document,
    range_: types.Range,
    diagnostics: list[types.Diagnostic],
    only: list[str] | None = None,
) -> list[types.CodeAction]:
    result = await within(
        client.text_document_code_action_async(
            types.CodeActionParams(
                text_document=types.TextDocumentIdentifier(uri=document.uri),
                range=range_,
                context=types.CodeActionContext(diagnostics=diagnostics, only=only),
            )
        )
    )
    actions = list(result or [])
    assert all(isinstance(action, types.CodeAction) for action in actions), actions
    return actions


async def raw_request(client: LanguageClient, method: str, params: Any) -> Any:
    """A request sent as given, bypassing pygls's typed messages (which cannot carry the
    malformed params a robustness test sends); its result, or its error raised as a
    JsonRpcException."""
    protocol = client.protocol
    msg_id = f"raw-{uuid.uuid4()}"
    future: Future = Future()
    protocol._request_futures[msg_id] = future
    protocol._send_data({"jsonrpc": "2.0", "id": msg_id, "method": method, "params": params})
    return await asyncio.wrap_future(future)


# ---------------------------------------------------------------------------------------------
# Positions


def line_starts(data: bytes) -> list[int]:
    starts = [0]
    starts.extend(index + 1 for index, byte in enumerate(data) if byte == 0x0A)
    return starts


def units(text: str, encoding: str) -> int:
    """The length of `text` in the encoding's code units."""
    if encoding == "utf-8":
        return len(text.encode("utf-8"))
    if encoding == "utf-16":
        return len(text.encode("utf-16-le")) // 2
    raise ValueError(encoding)


def position(data: bytes, offset: int, encoding: str) -> types.Position:
    """The LSP position of byte `offset` in `data`."""
    starts = line_starts(data)
    line = max(index for index, start in enumerate(starts) if start <= offset)
    before = data[starts[line] : offset].decode("utf-8")
    return types.Position(line=line, character=units(before, encoding))


def byte_range(data: bytes, start: int, end: int, encoding: str) -> types.Range:
    return types.Range(start=position(data, start, encoding), end=position(data, end, encoding))


def offset(data: bytes, pos: types.Position, encoding: str) -> int:
    """The byte offset of an LSP position; a character past the line's end is an error."""
    starts = line_starts(data)
    assert pos.line < len(starts), f"line {pos.line} past the end ({len(starts)} lines)"
    start = starts[pos.line]
    end = starts[pos.line + 1] - 1 if pos.line + 1 < len(starts) else len(data)
    line = data[start:end].decode("utf-8")
    if line.endswith("\r"):
        line = line[:-1]
    count = 0
    consumed = 0
    for char in line:
        if count >= pos.character:
            break
        count += units(char, encoding)
        consumed += len(char.encode("utf-8"))
    assert count == pos.character, f"character {pos.character} is not a boundary of {line!r}"
    return start + consumed


def apply_edits(data: bytes, edits: list[types.TextEdit], encoding: str) -> bytes:
    """Apply LSP text edits (all against the original `data`) the way a client does: sorted,
    no two overlapping."""
    spans = sorted(
        (offset(data, e.range.start, encoding), offset(data, e.range.end, encoding), e.new_text)
        for e in edits
    )
    out = bytearray()
    cursor = 0
    for start, end, new_text in spans:
        assert start >= cursor, f"overlapping edits: {spans}"
        assert start <= end
        out += data[cursor:start]
        out += new_text.encode("utf-8")
        cursor = end
    out += data[cursor:]
    return bytes(out)


def apply_action(document: Document, action: types.CodeAction, encoding: str) -> bytes:
    """The document's bytes after the action's WorkspaceEdit, which must touch only it."""
    assert action.edit is not None, f"{action.title}: no edit"
    assert action.command is None, f"{action.title}: the server runs no commands"
    changes = action.edit.changes or {}
    assert action.edit.document_changes is None, "edits come as `changes`"
    assert list(changes) == [document.uri], list(changes)
    return apply_edits(document.data, list(changes[document.uri]), encoding)


# ---------------------------------------------------------------------------------------------
# The CLI as the oracle


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [regshift_bin(), *args],
        cwd=cwd,
        capture_output=True,
        stdin=subprocess.DEVNULL,
        timeout=60,
        env={**os.environ, "NO_COLOR": "1"},
    )


def cli_findings(path: Path, cwd: Path) -> list[dict[str, Any]]:
    """`regshift check --format json PATH`'s findings, run from `cwd`."""
    run = cli("check", "--format", "json", str(path), cwd=cwd)
    assert run.returncode in (0, 1), run.stderr.decode()
    return json.loads(run.stdout)["findings"]


SEVERITY = {
    "error": types.DiagnosticSeverity.Error,
    "warning": types.DiagnosticSeverity.Warning,
    "info": types.DiagnosticSeverity.Information,
}


def expected_diagnostics(path: Path, cwd: Path, encoding: str) -> list[dict[str, Any]]:
    """What the server must publish for the file at `path` (as on disk): one diagnostic per
    finding of the CLI, over the finding's bytes."""
    data = path.read_bytes()
    return [
        {
            "range": byte_range(data, f["byte_start"], f["byte_end"], encoding),
            "code": f["rule"],
            "href": RULES_URL + f["rule"],
            "severity": SEVERITY[f["severity"]],
            "message": f["message"] + (f"\nnote: {f['note']}" if f.get("note") else ""),
            "source": "regshift",
        }
        for f in cli_findings(path, cwd)
    ]


def summary(diagnostics: list[types.Diagnostic]) -> list[dict[str, Any]]:
    """The parts of published diagnostics that `expected_diagnostics` describes, sorted."""
    return sorted(
        (
            {
                "range": d.range,
                "code": d.code,
                "href": d.code_description.href if d.code_description else None,
                "severity": d.severity,
                "message": d.message,
                "source": d.source,
            }
            for d in diagnostics
        ),
        key=lambda d: (d["range"].start.line, d["range"].start.character, d["code"]),
    )


def sort_expected(expected: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(
        expected, key=lambda d: (d["range"].start.line, d["range"].start.character, d["code"])
    )


def fixed_by_cli(path: Path, cwd: Path, *flags: str) -> bytes:
    """What `regshift fix FLAGS` writes to a copy of `path` (same folder and name, in a
    scratch copy of `cwd`'s configuration), which it must have fixed."""
    with tempfile.TemporaryDirectory() as scratch:
        scratch_root = Path(scratch)
        (scratch_root / ".git").mkdir()
        for config in ("regshift.toml", ".regshift.toml"):
            if (cwd / config).exists():
                shutil.copy(cwd / config, scratch_root / config)
        copy = scratch_root / path.relative_to(cwd)
        copy.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, copy)
        run = cli("fix", *flags, str(copy.relative_to(scratch_root)), cwd=scratch_root)
        assert run.returncode in (0, 1), run.stderr.decode()
        return copy.read_bytes()


def explain(rule: str) -> str:
    run = cli("explain", rule, cwd=REPOSITORY)
    assert run.returncode == 0, run.stderr.decode()
    return run.stdout.decode()
