"""``reverie serve``: the review web page for compliance reviewers (``reverie[web]``)."""

from __future__ import annotations

import ipaddress
import socket
import sys
from typing import Annotated

import typer

from reverie.cli.common import TenantOpt, WorkspaceOpt, console, resolve
from reverie.errors import ConfigError

TOKEN_ENV = "REVERIE_SERVE_TOKEN"


def is_loopback(host: str) -> bool:
    """Whether ``host`` is a loopback address (or ``localhost``): nobody else can connect."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _bind(host: str, port: int) -> socket.socket:
    """The listening socket, bound before anything is printed: a busy port is an error now."""
    try:
        infos = socket.getaddrinfo(host.strip("[]"), port, type=socket.SOCK_STREAM)
        family, kind, proto, _, address = infos[0]
        sock = socket.socket(family, kind, proto)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
    except OSError as exc:
        raise ConfigError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from exc
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def _url(host: str, port: int, token: str | None) -> str:
    """The URL to open: a wildcard address (every interface) shows the machine's name."""
    if host.strip("[]") in ("0.0.0.0", "::"):
        host = socket.gethostname()
    shown = f"[{host.strip('[]')}]" if ":" in host else host
    return f"http://{shown}:{port}/" + (f"?token={token}" if token else "")


def serve(
    workspace: WorkspaceOpt = None,
    tenant: TenantOpt = None,
    host: Annotated[
        str, typer.Option(help="Address to listen on; anything but loopback needs a token.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="Port (0: any free port).")] = 8765,
    token: Annotated[
        str | None,
        typer.Option(
            help="Access token every request must carry (default: none on loopback; "
            "generated and printed for any other address).",
            envvar=TOKEN_ENV,
            show_envvar=True,
        ),
    ] = None,
    all_tenants: Annotated[
        bool,
        typer.Option(
            "--all-tenants", help="Serve every tenant, each under /t/TENANT (default: one)."
        ),
    ] = False,
) -> None:
    """Serve the review page: the queue, each rule's evidence and diff, decisions, audit log.

    Decisions are recorded exactly as `reverie review` records them. Binds to
    127.0.0.1 by default; Ctrl-C stops it.
    """
    import uvicorn

    from reverie.web import create_app
    from reverie.web.security import LOOPBACK_HOSTS, new_token

    settings = resolve(workspace)
    loopback = is_loopback(host)
    if token is None and not loopback:
        token = new_token()
    app = create_app(
        settings,
        tenant,
        all_tenants=all_tenants,
        token=token,
        hosts=LOOPBACK_HOSTS if loopback else None,
    )
    sock = _bind(host, port)
    bound = sock.getsockname()[1]
    console.print(
        f"Reverie review of {settings.root} (tenant "
        f"{'every tenant' if all_tenants else tenant or settings.tenant}) at:",
        markup=False, highlight=False,
    )
    console.print(f"  {_url(host, bound, token)}", markup=False, highlight=False,
                  soft_wrap=True)
    if token and not loopback:
        console.print("  (not loopback: every request needs this token; plain HTTP, so put it "
                      "behind TLS or an SSH tunnel)", markup=False, highlight=False)
    console.print("Ctrl-C stops it.", markup=False, highlight=False)
    sys.stdout.flush()
    config = uvicorn.Config(app, log_level="warning", access_log=False, server_header=False,
                            timeout_graceful_shutdown=5)
    try:
        uvicorn.Server(config).run(sockets=[sock])
    except KeyboardInterrupt:  # uvicorn shut down cleanly, then re-raised the Ctrl-C
        pass
    finally:
        sock.close()
    console.print("stopped", markup=False, highlight=False)


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
