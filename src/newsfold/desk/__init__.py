"""The desk: newsfold's stories in a browser (`newsfold serve`).

`app.py`: the web application (routes, validation, the token, security headers); `queries.py`:
each page's data as one dict (its `.json` twin); `text.py`: diffs, how a capture was cut,
highlights and chart numbers, as plain labelled text; `templates/`: Jinja2 pages with
autoescaping; `static/`: the stylesheet and a vendored htmx (pages refresh their lists in place).
The SQL it runs is in `newsfold/store/desk.py`.
"""
from __future__ import annotations

import ipaddress
import secrets
import socket
import sys

from .app import Desk

__all__ = ["Desk", "serve"]

LOOPBACK_NAMES = ["127.0.0.1", "localhost", "::1"]


def is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def serve(path: str, host: str = "127.0.0.1", port: int = 8000, token: str | None = None) -> None:
    """Serve the desk over the store at `path` until interrupted. Without `token`, reading is
    open and watchlist edits need a token made for this run, shown in the printed link."""
    import uvicorn

    edit_token = token or secrets.token_urlsafe(18)
    # on the loopback, the desk answers only to loopback names (no DNS rebinding); elsewhere any
    desk = Desk(path, token=token, edit_token=edit_token,
                allowed_hosts=LOOPBACK_NAMES + [host] if is_loopback(host) else None)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # a TCP socket by name: asyncio sets TCP_NODELAY only on connections of such a socket, and
    # without it a response's second segment waits for the client's delayed ACK (~40 ms)
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind((host, port))
    sock.listen(2048)  # connections wait from now on, while the server starts
    bound = sock.getsockname()[1]
    shown = f"[{host}]" if ":" in host else host
    print(f"newsfold desk: http://{shown}:{bound}/ (store {path}, read-only)", file=sys.stderr)
    if token is None and not is_loopback(host):
        print("newsfold desk: warning: listening beyond this machine without --token: whoever reaches it reads the store",
              file=sys.stderr)
    if token is None:
        print(f"newsfold desk: to edit watchlists open http://{shown}:{bound}/stories?token={edit_token}",
              file=sys.stderr)
    else:
        print("newsfold desk: every page needs the token (a link with ?token=…, or /login)", file=sys.stderr)
    sys.stderr.flush()
    config = uvicorn.Config(desk.app, log_level="warning", access_log=False, server_header=False,
                            proxy_headers=False, lifespan="on")
    uvicorn.Server(config).run(sockets=[sock])
