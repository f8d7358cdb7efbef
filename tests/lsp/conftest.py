"""Fixtures: a workspace (a temporary folder that is the root of a git work tree, so the
server's search for regshift.toml stops there) and a client connected to a fresh
`regshift server`, shut down after each test (which must exit with code 0)."""

from __future__ import annotations

from pathlib import Path

import pytest
import pytest_lsp
from lspkit import server_config
from pytest_lsp import LanguageClient


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / ".git").mkdir(parents=True)
    return root


@pytest_lsp.fixture(config=server_config())
async def client(lsp_client: LanguageClient):
    """Not initialized: each test initializes with the capabilities it needs."""
    yield
    server = lsp_client._server
    running = server is not None and server.returncode is None
    if lsp_client.capabilities is not None and lsp_client.error is None and running:
        await lsp_client.shutdown_session()
        assert server.returncode == 0, f"regshift server exited with {server.returncode}"
