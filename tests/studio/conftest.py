"""Fixtures for the Studio tests: the example app after codegen, and a Studio on the real engine.

Nothing here fakes the engine: every server and browser test runs the example app's real
workflows (``examples/chat-app``, copied and generated into a temporary folder) on
:class:`lunora_workflow.testing.WorkflowTestEnv`.
"""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from lunora_codegen.cli import cli
from lunora_codegen.project import load_project
from lunora_codegen.studio.app import create_app
from lunora_codegen.studio.catalog import Catalog, load_catalog
from lunora_codegen.studio.local import LocalBackend
from lunora_codegen.studio.security import TOKEN_HEADER

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "chat-app"
#: The address tests pretend to serve on (the guard checks Host and Origin against it).
BASE_URL = "http://127.0.0.1:8790"


def copy_example(destination: Path) -> Path:
    """A fresh copy of the example app with ``lunora codegen`` run on it."""
    shutil.copytree(
        EXAMPLE,
        destination,
        ignore=shutil.ignore_patterns(
            "_generated", "__pycache__", "python_modules", "node_modules", ".venv", ".wrangler"
        ),
    )
    result = CliRunner().invoke(cli, ["codegen", "--project", str(destination)])
    assert result.exit_code == 0, result.output
    return destination


@pytest.fixture(scope="session")
def chat_app(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example app, generated, in a temporary folder (shared by the session)."""
    return copy_example(tmp_path_factory.mktemp("studio") / "chat-app")


@pytest.fixture(scope="session")
def catalog(chat_app: Path) -> Catalog:
    """The example app's workflows, imported."""
    return load_catalog(load_project(chat_app))


@dataclass
class Studio:
    """A Studio app on the local engine, with a client that sends the run's token."""

    client: httpx.AsyncClient
    token: str
    backend: LocalBackend

    @property
    def headers(self) -> dict[str, str]:
        """What the Studio's own pages send with a state-changing request."""
        return {TOKEN_HEADER: self.token, "origin": BASE_URL}

    async def post(self, url: str, body: object) -> httpx.Response:
        """POST JSON the way the Studio's JavaScript does."""
        return await self.client.post(url, json=body, headers=self.headers)


@pytest.fixture
async def studio(catalog: Catalog) -> AsyncIterator[Studio]:
    """The Studio (fast mode) served in-process through ASGI, with its lifespan running."""
    backend = LocalBackend(catalog, speed="fast")
    app = create_app(backend, token="test-token-" + "x" * 32, title="chat-app")
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as client:
            yield Studio(client=client, token=app.state.studio.token, backend=backend)
