"""The ``client`` fixture: a started ``mlsense serve`` process (initialize with ``init``)."""

from __future__ import annotations

import pytest_lsp
from pytest_lsp import LanguageClient

from .lsp_helpers import CONFIG


@pytest_lsp.fixture(config=CONFIG)
async def client(lsp_client: LanguageClient):
    """A started server; the test calls ``await init(client, ...)`` to initialize it."""
    yield
    if not getattr(lsp_client, "session_ended", False):  # a test may end it itself
        await lsp_client.shutdown_session()
