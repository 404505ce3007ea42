"""The desk's web application: routes, request validation and the token (guard.py: what wraps every request).

Every page is built from one dict (queries.py) and rendered by a Jinja2 template with
autoescaping, or returned as it is by the page's `.json` twin. The store is read through
read-only connections (one per server thread); only watchlist edits write, through a short-lived
writable connection, and only for a holder of the edit token.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import hmac
import re
import sqlite3
import threading
import time
from pathlib import Path
from urllib.parse import parse_qs, urlencode

import jinja2
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from .. import store as stores
from ..cluster import STORY_ID_HEX
from ..store import Transaction
from ..store import desk as db
from . import queries, text
from .guard import TOKEN_COOKIE, Guard

HERE = Path(__file__).parent
SEEN_COOKIE = "newsfold_seen"  # per browser: the last article each watchlist was read up to
QUERY_DEADLINE_S = 5.0  # a request's queries are stopped past this (a costly FTS query, say)
MAX_QUERY_CHARS = 200
MAX_FORM_BYTES = 8192

STORY_ID = re.compile(rf"[0-9a-f]{{{STORY_ID_HEX}}}")
WATCHLIST_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,39}")
DATE = re.compile(r"\d{4}-\d{2}-\d{2}")

class BadRequest(Exception):
    """A request the desk refuses: the status and a one-line reason shown to the user."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status, self.reason = status, reason


class Readers:
    """One read-only connection per server thread, each with a deadline on its queries."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.local = threading.local()
        self.all: list[sqlite3.Connection] = []
        self.lock = threading.Lock()

    def get(self) -> sqlite3.Connection:
        conn = getattr(self.local, "conn", None)
        if conn is None:
            conn = stores.connect(self.path, readonly=True, timeout=QUERY_DEADLINE_S)
            local = self.local
            conn.set_progress_handler(lambda: time.monotonic() > local.deadline, 10_000)
            self.local.conn = conn
            with self.lock:
                self.all.append(conn)
        self.local.deadline = time.monotonic() + QUERY_DEADLINE_S
        return conn

    def cached(self, conn: sqlite3.Connection, key, compute):
        """`compute()`, or what it gave on this thread's connection while the store has not
        changed since (SQLite's data_version: for aggregates over the whole store)."""
        version = db.data_version(conn)
        cache = self.local.__dict__.setdefault("cache", {})
        hit = cache.get(key)
        if hit is None or hit[0] != version:
            if len(cache) >= 64:  # a few pages' worth per thread
                cache.clear()
            hit = cache[key] = (version, compute())
        return hit[1]

    def close(self) -> None:
        with self.lock:
            for conn in self.all:
                conn.close()
            self.all.clear()


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(HERE / "templates"), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.globals.update(sparkline=text.sparkline, bars=text.bars, page_link=_page_link)
    env.filters["when"] = lambda iso: iso.replace("T", " ").removesuffix("Z")[:16] if iso else "–"
    return env


def _page_link(request: Request, page: int) -> str:
    """This page's address with another page number."""
    params = [(k, v) for k, v in request.query_params.multi_items() if k != "page"] + [("page", str(page))]
    return request.url.path + "?" + urlencode(params)


# ---------------------------------------------------------------- request parameters, validated


def _param(request: Request, name: str, default: str = "") -> str:
    value = request.query_params.get(name, default)
    if len(value) > MAX_QUERY_CHARS:
        raise BadRequest(400, f"{name}: at most {MAX_QUERY_CHARS} characters")
    return value


def _int(request: Request, name: str, default: int, lo: int, hi: int) -> int:
    value = _param(request, name, str(default)) or str(default)
    if not value.isascii() or not value.isdigit() or not lo <= int(value) <= hi:
        raise BadRequest(400, f"{name}: a whole number from {lo} to {hi}")
    return int(value)


def _date(request: Request, name: str, end: bool = False) -> float | None:
    """A YYYY-MM-DD parameter as unix seconds (its start, or with `end` the next day's start)."""
    value = _param(request, name)
    if not value:
        return None
    try:
        if not DATE.fullmatch(value):
            raise ValueError
        day = dt.datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=dt.timezone.utc)
    except ValueError:
        raise BadRequest(400, f"{name}: a date, YYYY-MM-DD") from None
    return (day + dt.timedelta(days=1 if end else 0)).timestamp()


def _story_id(value: str) -> str:
    if not STORY_ID.fullmatch(value):
        raise BadRequest(400, f"not a story id (expected {STORY_ID_HEX} hexadecimal digits)")
    return value


def _capture_id(value: str) -> int:
    if not (value.isascii() and value.isdigit() and len(value) <= 18):
        raise BadRequest(400, "not a capture id (expected a number)")
    return int(value)


def _watchlist_name(value: str) -> str:
    if not WATCHLIST_NAME.fullmatch(value):
        raise BadRequest(400, "a watchlist name: 1 to 40 lowercase letters, digits, '-' or '_'")
    return value


def _seen(request: Request) -> dict[str, int]:
    """The browser's watchlist marks (cookie): name → last article id read."""
    seen = {}
    for name, values in parse_qs(request.cookies.get(SEEN_COOKIE, "")).items():
        if WATCHLIST_NAME.fullmatch(name) and values[-1].isdigit():
            seen[name] = int(values[-1])
    return seen


# ---------------------------------------------------------------- the application


class Desk:
    """The desk over one store: `app` is the ASGI application."""

    def __init__(self, path: str, token: str | None = None, edit_token: str | None = None,
                 allowed_hosts: list[str] | None = None) -> None:
        stores.connect(path, readonly=True).close()  # refuses a missing store or a file of another kind now
        self.path = path
        self.read_token = token  # None: reading needs no token
        self.edit_token = edit_token or token  # None: nobody edits watchlists
        self.allowed_hosts = allowed_hosts  # None: any Host header
        self.readers = Readers(path)
        self.env = _environment()
        routes = [Route("/watch/{name}.atom", self._page(self.atom, "atom"), methods=["GET"])]
        for path_, endpoint in (("/stories", self.stories), ("/story/{id}", self.story),
                                ("/capture/{id}", self.capture), ("/search", self.search),
                                ("/watch", self.watchlists), ("/watch/{name}", self.watchlist),
                                ("/overview", self.overview)):
            routes.append(Route(path_ + ".json", self._page(endpoint, "json"), methods=["GET"]))
            routes.append(Route(path_, self._page(endpoint, "html"), methods=["GET"]))
        routes += [
            Route("/", lambda request: RedirectResponse("/stories", 303)),
            Route("/watch", self._edit(self.save_watchlist), methods=["POST"]),
            Route("/watch/{name}/delete", self._edit(self.delete_watchlist), methods=["POST"]),
            Route("/login", self.login, methods=["GET", "POST"]),
            Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
        ]
        inner = Starlette(routes=routes, exception_handlers={HTTPException: self._http_error},
                          lifespan=self._lifespan)
        self.app = Guard(inner, self)

    # ------------------------------------------------------------ plumbing

    @contextlib.asynccontextmanager
    async def _lifespan(self, app):
        yield
        self.readers.close()

    def _page(self, endpoint, fmt: str):
        """A GET endpoint: its data (computed in a worker thread, on that thread's connection) as
        HTML, JSON or Atom; a BadRequest or a stopped query becomes an error page."""
        from starlette.concurrency import run_in_threadpool

        async def handle(request: Request) -> Response:
            try:
                return await run_in_threadpool(self._render_page, endpoint, request, fmt)
            except BadRequest as err:
                return self.error(request, err.status, err.reason, fmt)
        return handle

    def _render_page(self, endpoint, request: Request, fmt: str) -> Response:
        try:
            template, data, cookies = endpoint(request, self.readers.get(), fmt)
        except sqlite3.OperationalError as err:
            if "interrupted" in str(err):
                raise BadRequest(503, "the query took too long; narrow it") from None
            raise
        if fmt == "json":
            response: Response = JSONResponse(data)
        elif fmt == "atom":
            response = Response(self.env.get_template(template).render(data=data, request=request),
                                media_type="application/atom+xml")
        else:
            response = HTMLResponse(self.render(request, template, data))
            response.headers["Vary"] = "HX-Request"
        for name, value in cookies.items():
            response.set_cookie(name, value, max_age=365 * 86400, httponly=True, samesite="strict")
        return response

    def render(self, request: Request, template: str, data: dict, **extra) -> str:
        path = request.url.path
        query = request.url.query
        json_url = (path.rstrip("/") + ".json" + ("?" + query if query else "")) if template != "error.html" else None
        return self.env.get_template(template).render(
            data=data, request=request, page_url=path + ("?" + query if query else ""), json_url=json_url,
            can_edit=self.can_edit(request), **extra)

    def error(self, request: Request, status: int, reason: str, fmt: str = "html") -> Response:
        if fmt in ("json", "atom") or request.url.path.endswith((".json", ".atom")):
            return JSONResponse({"error": reason, "status": status}, status)
        return HTMLResponse(self.render(request, "error.html", {"status": status, "reason": reason}), status)

    async def _http_error(self, request: Request, exc: HTTPException) -> Response:
        reason = "no such page" if exc.status_code == 404 else str(exc.detail)
        return self.error(request, exc.status_code, reason)

    def presented_token(self, request: Request) -> str | None:
        auth = request.headers.get("authorization", "")
        if auth.lower().startswith("bearer "):
            return auth[7:].strip()
        return request.query_params.get("token") or request.cookies.get(TOKEN_COOKIE)

    def _holds(self, request: Request, token: str | None) -> bool:
        presented = self.presented_token(request)
        return token is not None and presented is not None and hmac.compare_digest(presented.encode(), token.encode())

    def can_read(self, request: Request) -> bool:
        return self.read_token is None or self._holds(request, self.read_token) or self._holds(request, self.edit_token)

    def can_edit(self, request: Request) -> bool:
        return self._holds(request, self.edit_token)

    # ------------------------------------------------------------ pages

    def stories(self, request: Request, conn, fmt: str):
        order = _param(request, "sort", "newest") or "newest"
        if order not in ("newest", "growing", "largest"):
            raise BadRequest(400, "sort: newest, growing or largest")
        args = (order, _int(request, "min_size", 1, 1, 10**9), _param(request, "q").strip() or None,
                _date(request, "since"), _date(request, "until", end=True), _int(request, "page", 1, 1, 10_000))
        if order == "growing":  # an aggregate over the store's newest occurrences
            data = self.readers.cached(conn, args, lambda: queries.stories(conn, *args))
        else:
            data = queries.stories(conn, *args)
        return "stories.html", data, {}

    def story(self, request: Request, conn, fmt: str):
        data = queries.story(conn, _story_id(request.path_params["id"]), _int(request, "page", 1, 1, 100_000))
        if data is None:
            raise BadRequest(404, "no such story")
        return "story.html", data, {}

    def capture(self, request: Request, conn, fmt: str):
        data = queries.capture(conn, _capture_id(request.path_params["id"]))
        if data is None:
            raise BadRequest(404, "no such capture")
        return "capture.html", data, {}

    def search(self, request: Request, conn, fmt: str):
        order = _param(request, "sort", "newest") or "newest"
        if order not in ("newest", "best"):
            raise BadRequest(400, "sort: newest or best")
        return "search.html", queries.search(conn, _param(request, "q").strip(), order), {}

    def watchlists(self, request: Request, conn, fmt: str):
        return "watchlists.html", queries.watchlists(conn, _seen(request)), {}

    def watchlist(self, request: Request, conn, fmt: str):
        name = _watchlist_name(request.path_params["name"])
        seen = _seen(request)
        data = queries.watchlist(conn, name, seen.get(name))
        if data is None:
            raise BadRequest(404, "no such watchlist")
        cookies = {}
        # a person's visit marks what they have seen (in their browser; a GET never writes the
        # store); the page's own refreshes and the .json twin do not
        if fmt == "html" and "hx-request" not in request.headers and data["latest_article"] is not None:
            seen[name] = max(seen.get(name, 0), data["latest_article"])
            cookies[SEEN_COOKIE] = urlencode(seen)
        return "watchlist.html", data, cookies

    def atom(self, request: Request, conn, fmt: str):
        name = _watchlist_name(request.path_params["name"])
        data = queries.watchlist(conn, name, None, limit=50)
        if data is None:
            raise BadRequest(404, "no such watchlist")
        data["updated"] = max((h["time"] for g in data["stories"] for h in g["hits"] if h["time"]),
                              default=data["created"])
        data["base"] = f"{request.url.scheme}://{request.url.netloc}"
        return "watchlist.atom", data, {}

    def overview(self, request: Request, conn, fmt: str):
        return "overview.html", self.readers.cached(conn, "overview", lambda: queries.overview(conn)), {}

    # ------------------------------------------------------------ edits and the token

    def _edit(self, action):
        """A POST that edits watchlists: only for a holder of the edit token, only from the
        desk's own pages (same origin), then back to the watchlists page."""
        from starlette.concurrency import run_in_threadpool

        async def handle(request: Request) -> Response:
            try:
                if not self.can_edit(request):
                    raise BadRequest(403, "watchlist edits need the desk's token (open the link `newsfold serve` printed)")
                origin = request.headers.get("origin")
                if origin is not None and origin != f"{request.url.scheme}://{request.url.netloc}":
                    raise BadRequest(403, "an edit from another site")
                body = await request.body()
                if len(body) > MAX_FORM_BYTES:
                    raise BadRequest(413, "form too large")
                form = {k: v[-1] for k, v in parse_qs(body.decode("utf-8", "replace")).items()}
                target = await run_in_threadpool(action, request, form)
            except BadRequest as err:
                return self.error(request, err.status, err.reason)
            return RedirectResponse(target, 303)
        return handle

    def _writer(self) -> sqlite3.Connection:
        try:
            return stores.connect(self.path, create_missing=False, timeout=5)
        except stores.StoreError as err:
            raise BadRequest(503, str(err)) from None

    def save_watchlist(self, request: Request, form: dict) -> str:
        name = _watchlist_name(form.get("name", "").strip())
        query = form.get("query", "").strip()
        if not query or len(query) > MAX_QUERY_CHARS:
            raise BadRequest(400, f"query: 1 to {MAX_QUERY_CHARS} characters")
        conn = self._writer()
        try:
            with Transaction(conn):
                db.save_watchlist(conn, name, query, time.time())
        except sqlite3.OperationalError as err:
            raise BadRequest(503, f"the store is busy ({err}); try again") from None
        finally:
            conn.close()
        return f"/watch/{name}"

    def delete_watchlist(self, request: Request, form: dict) -> str:
        name = _watchlist_name(request.path_params["name"])
        conn = self._writer()
        try:
            with Transaction(conn):
                found = db.delete_watchlist(conn, name)
        except sqlite3.OperationalError as err:
            raise BadRequest(503, f"the store is busy ({err}); try again") from None
        finally:
            conn.close()
        if not found:
            raise BadRequest(404, "no such watchlist")
        return "/watch"

    async def login(self, request: Request) -> Response:
        if request.method == "GET":
            return HTMLResponse(self.render(request, "login.html", {"reason": None}))
        body = await request.body()
        token = {k: v[-1] for k, v in parse_qs(body[:MAX_FORM_BYTES].decode("utf-8", "replace")).items()}.get("token", "")
        if not any(t is not None and hmac.compare_digest(token.encode(), t.encode())
                   for t in (self.read_token, self.edit_token)):
            return HTMLResponse(self.render(request, "login.html", {"reason": "bad token"}), 401)
        response = RedirectResponse("/stories", 303)
        response.set_cookie(TOKEN_COOKIE, token, httponly=True, samesite="strict")
        return response
