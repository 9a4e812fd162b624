"""`phraser serve`: a local web page for drafting, and the JSON API behind it.

The API answers with the very dicts the CLI prints with `--json` (`suggest.answer`,
`check.check_text`, `Bank.search`, `card.card`), so the page, scripts and the CLI cannot
drift apart. The server is for one writer on one machine: it binds 127.0.0.1, refuses
any other Host header (a page elsewhere cannot reach it through DNS rebinding), caps what
a request may send, and the page writes every string into the DOM as text, never markup.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import socket
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Annotated, Any, TypeVar

from fastapi import Body, FastAPI, HTTPException, Query
from fastapi import Path as PathParam
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, ConfigDict

from . import __version__
from .bank import Bank
from .card import card
from .check import Finding, check_text
from .index import Index
from .suggest import Suggester, answer, prepare

STATIC = Path(__file__).with_name("static")
#: Names this machine answers to; a Host header naming anything else is refused.
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
#: A draft is a few pages of text: more than this in one body is refused (413).
MAX_BODY_BYTES = 256 * 1024
#: Longest ?q= (suggestions are for one sentence; the suggester reads 400 characters).
MAX_QUERY_CHARS = 1000
MAX_PATTERN_CHARS = 100
MAX_ENTRY_CHARS = 100
#: Script, style and data only from this origin: no CDN, no inline code to inject into.
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)

T = TypeVar("T")


def is_local(host: str) -> bool:
    """True for names and addresses of this machine's loopback interface."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def allowed_hosts(bound: str) -> frozenset[str]:
    """The Host names to accept: the loopback ones, and the one the user chose to bind.

    Bound to every interface (0.0.0.0, ::), the machine's own names are accepted too.
    """
    names = set(LOCAL_HOSTS)
    names.add(bound.strip("[]").lower())
    if bound in ("0.0.0.0", "::", ""):
        names |= {socket.gethostname().lower(), socket.getfqdn().lower()}
    return frozenset(names)


def host_name(header: str) -> str:
    """The name in a Host header, without the port: `[::1]:8765` → `::1`."""
    header = header.strip().lower()
    if header.startswith("["):
        return header[1:].split("]", 1)[0]
    return header.rsplit(":", 1)[0] if header.count(":") == 1 else header


class Guard:
    """ASGI middleware: refuse foreign Host headers and oversized bodies, and send the
    security headers with every response."""

    def __init__(self, app, *, hosts: frozenset[str], max_body: int = MAX_BODY_BYTES):
        self.app = app
        self.hosts = hosts
        self.max_body = max_body

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        host = host_name(headers.get(b"host", b"").decode("latin-1"))
        if host not in self.hosts:
            await _refuse(send, 400, f"Host {host or '(none)'} is not served here")
            return
        length = headers.get(b"content-length", b"0")
        if not length.isdigit() or int(length) > self.max_body:
            await _refuse(send, 413, f"request body over {self.max_body} bytes")
            return
        chunks: list[bytes] = []
        size = 0
        more = scope["method"] not in ("GET", "HEAD")
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body:
                await _refuse(send, 413, f"request body over {self.max_body} bytes")
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        replayed = False

        async def replay():
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        async def secured(message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = list(message.get("headers", [])) + [
                    (b"content-security-policy", CSP.encode()),
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"no-referrer"),
                    (b"cache-control", b"no-store"),
                ]
            await send(message)

        await self.app(scope, replay, secured)


async def _refuse(send, status: int, detail: str) -> None:
    body = json.dumps({"detail": detail}, ensure_ascii=False).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class Engine:
    """The bank and its suggester, used from one worker thread.

    A SQLite connection belongs to the thread that opened it, and one worker also keeps
    concurrent requests from racing on the index's lazily built postings.
    """

    def __init__(self, db_path: Path):
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="phraser-bank")
        self._pool.submit(self._open, Path(db_path)).result()

    def _open(self, db_path: Path) -> None:
        self.bank = Bank(db_path)
        self.index = Index.load(self.bank)
        self.suggester = Suggester(self.index)
        # Build the lazy postings and load the tokenizer now, not on the first request.
        self.suggester.suggest("高度重视")
        check_text("狠抓落实", self.index)

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._pool, fn, *args)

    def close(self) -> None:
        self._pool.submit(self.bank.close).result()
        self._pool.shutdown()


# -- response shapes (documentation of what the CLI's --json prints) ------------------------


class SuggestionOut(BaseModel):
    text: str
    kind: str
    match: str
    score: float
    why: str
    rewrite: str | None = None


class SuggestOut(BaseModel):
    query: str
    suggestions: list[SuggestionOut]


class SearchRow(BaseModel):
    text: str
    kind: str
    count: int
    score: float


class Example(BaseModel):
    sentence: str
    start: int
    highlight: int
    line: int
    col: int
    document: str


class CardOut(BaseModel):
    """`show --json`: phrases add pmi, entropies, companions, templates; templates add
    fillers_seen and fillers."""

    model_config = ConfigDict(extra="allow")
    text: str
    kind: str
    count: int
    documents: int
    score: float
    examples: list[Example]


class CheckIn(BaseModel):
    text: str


class CheckOut(BaseModel):
    file: str
    findings: list[Finding]  # the dataclass `check --json` prints, as it is


class Detail(BaseModel):
    detail: str


def create_app(engine: Engine, *, hosts: frozenset[str] = LOCAL_HOSTS) -> Guard:
    """The page and the API over `engine`, behind the Host and size guard."""
    app = FastAPI(
        title="phraser",
        version=__version__,
        description="Stock phrases for Chinese official writing (公文). Every answer has the "
        "shape the CLI prints with `--json`.",
        docs_url=None,  # Swagger UI loads from a CDN; the schema is at /openapi.json
        redoc_url=None,
    )

    @app.api_route("/", methods=["GET", "HEAD"], include_in_schema=False)
    async def page() -> FileResponse:
        return FileResponse(STATIC / "index.html", media_type="text/html; charset=utf-8")

    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/api/suggest", response_model=SuggestOut, response_model_exclude_none=True)
    async def suggest(
        q: Annotated[str, Query(max_length=MAX_QUERY_CHARS, description="the sentence")],
        top: Annotated[int, Query(ge=1, le=100)] = 5,
    ) -> JSONResponse:
        """Suggestions for one sentence, as one line of `phraser suggest --json`."""
        return JSONResponse(await engine.run(lambda: answer(engine.suggester, q, top=top)))

    @app.post("/api/check", response_model=CheckOut)
    async def check(draft: Annotated[CheckIn, Body()]) -> JSONResponse:
        """Typos and hints in a draft, as `phraser check --json -` prints them for the same
        text on standard input (hence `"file": "-"`)."""
        findings = await engine.run(check_text, draft.text, engine.index)
        return JSONResponse({"file": "-", "findings": [f.to_dict() for f in findings]})

    @app.get("/api/search", response_model=list[SearchRow])
    async def search(
        pattern: Annotated[
            str, Query(max_length=MAX_PATTERN_CHARS, description="`*` any run, `?` one")
        ],
        limit: Annotated[int, Query(ge=1, le=500)] = 30,
    ) -> JSONResponse:
        """Wildcard lookup: the rows `phraser search --json` prints, as one list."""
        if not prepare(pattern):
            raise HTTPException(422, "empty pattern")
        rows = await engine.run(lambda: engine.bank.search(prepare(pattern), limit=limit))
        return JSONResponse(rows)

    @app.get(
        "/api/phrases/{text}",
        response_model=CardOut,
        responses={404: {"model": Detail}},
    )
    async def phrase(
        text: Annotated[str, PathParam(max_length=MAX_ENTRY_CHARS)],
    ) -> JSONResponse:
        """An entry's card (a phrase, or a template written with ……), as `phraser show
        --json` prints it."""
        entry = await engine.run(card, engine.bank, text)
        if entry is None:
            raise HTTPException(404, f"「{text}」 is not in the bank")
        return JSONResponse(entry)

    return Guard(app, hosts=hosts)


def listen(host: str, port: int) -> socket.socket:
    """A socket bound to host:port, so that a busy port is a clear error before serving."""
    info = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    family, kind, proto, _, address = info[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(64)
    except OSError:
        sock.close()
        raise
    return sock


def url(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"http://[{host}]:{port}/" if ":" in host else f"http://{host}:{port}/"


def serve(app, sock: socket.socket) -> None:
    """Serve until Ctrl-C or SIGTERM. uvicorn shuts down cleanly, then raises the signal
    again for whoever called it; for us Ctrl-C is the normal way out, not an error."""
    import uvicorn

    config = uvicorn.Config(app, log_level="warning", lifespan="off", server_header=False)
    try:
        uvicorn.Server(config).run(sockets=[sock])
    except KeyboardInterrupt:
        pass
