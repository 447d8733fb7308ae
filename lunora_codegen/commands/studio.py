"""``lunora studio``: a local web panel to list, start, watch and drive the project's workflows."""

from __future__ import annotations

import os
from pathlib import Path

import click

from lunora_codegen.commands.options import project_option

__all__ = ["studio"]

DEFAULT_PORT = 8790


@click.command("studio")
@project_option()
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=DEFAULT_PORT,
    show_default=True,
    help="The port to listen on (0 picks a free one).",
)
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="A loopback address to listen on; anything else is refused.",
)
@click.option(
    "--remote",
    is_flag=True,
    help="Drive the deployed workflows on Cloudflare (needs CLOUDFLARE_ACCOUNT_ID and "
    "CLOUDFLARE_API_TOKEN) instead of the local test engine.",
)
@click.option(
    "--speed",
    type=click.Choice(["real", "fast"]),
    default="real",
    show_default=True,
    help="Local mode: run sleeps, retry delays and timeouts in real time, or skip ahead "
    "whenever every instance is waiting on the clock.",
)
def studio(project_dir: Path | None, port: int, host: str, remote: bool, speed: str) -> None:
    """Serve the Studio on http://127.0.0.1:PORT until Ctrl-C.

    Lists the project's workflows (run `lunora codegen` first), starts instances from a form
    built from each params type, and shows every instance's live status and step timeline,
    with pause, resume, terminate and send-event controls.
    """
    from lunora_codegen.project import load_project
    from lunora_codegen.studio.app import create_app
    from lunora_codegen.studio.backend import Backend
    from lunora_codegen.studio.catalog import load_catalog
    from lunora_codegen.studio.security import NonLoopbackHostError, check_bind_host
    from lunora_codegen.studio.server import StudioServer, check_port, free_port

    try:
        check_bind_host(host)
    except NonLoopbackHostError as error:
        raise click.BadParameter(str(error), param_hint="--host") from None

    credentials: tuple[str, str] | None = None
    if remote:
        from lunora_codegen.studio.remote import credentials_from_env

        credentials = credentials_from_env(os.environ)
    project = load_project(project_dir)
    catalog = load_catalog(project)
    if credentials is not None:
        from lunora_codegen.studio.remote import RemoteBackend

        account_id, api_token = credentials
        backend: Backend = RemoteBackend(catalog, account_id=account_id, api_token=api_token)
    else:
        from lunora_codegen.studio.local import LocalBackend

        backend = LocalBackend(catalog, speed="fast" if speed == "fast" else "real")
    app = create_app(backend, title=project.root.name)
    if port:
        check_port(host, port)
    server = StudioServer(app, host=host, port=port or free_port(host))
    mode = "Cloudflare (remote)" if remote else f"local engine, {speed} time"
    click.echo(f"lunora studio: {len(catalog.entries)} workflow(s), {mode}")
    click.echo(f"  open {server.url}/  (Ctrl-C to stop)")
    server.run()
