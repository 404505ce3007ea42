"""Around every request of the desk: the Host header, the token, and the security headers."""
from __future__ import annotations

import json
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

if TYPE_CHECKING:
    from .app import Desk

TOKEN_COOKIE = "newsfold_token"
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
       "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
SECURITY_HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
    (b"cache-control", b"no-store"),
]



class Guard:
    """Around every request: the Host header (a desk on 127.0.0.1 answers no other name, so a
    web page cannot reach it by DNS rebinding), the token where one is required, and the
    security headers (CSP: no inline script, no handler attributes, nothing from elsewhere)."""

    OPEN = ("/login", "/static/")

    def __init__(self, app, desk: Desk) -> None:
        self.inner, self.desk = app, desk

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.inner(scope, receive, send)
            return

        async def send_secured(message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] = [h for h in message["headers"] if h[0] not in dict(SECURITY_HEADERS)]
                message["headers"] += SECURITY_HEADERS
            await send(message)

        request = Request(scope)
        host = (request.headers.get("host") or "").rsplit(":", 1)[0].strip("[]")
        if self.desk.allowed_hosts is not None and host not in self.desk.allowed_hosts:
            await PlainError(400, "unknown host")(scope, receive, send_secured)
            return
        path = scope["path"]
        if not path.startswith(self.OPEN) and not self.desk.can_read(request):
            status = 403 if self.desk.presented_token(request) else 401
            response = self.desk.error(request, status, "bad token" if status == 403 else "this desk needs its token")
            await response(scope, receive, send_secured)
            return
        given = request.query_params.get("token")
        if given is not None and scope["method"] == "GET" and not path.endswith((".json", ".atom")):
            # a link with the token: keep it in a cookie, and take it out of the address bar
            rest = urlencode([(k, v) for k, v in request.query_params.multi_items() if k != "token"])
            response = RedirectResponse(path + ("?" + rest if rest else ""), 303)
            response.set_cookie(TOKEN_COOKIE, given, httponly=True, samesite="strict")
            await response(scope, receive, send_secured)
            return
        await self.inner(scope, receive, send_secured)


class PlainError(Response):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(json.dumps({"error": reason, "status": status}), status, media_type="application/json")
