"""GraphiQL served by the gateway itself: the page and every file it loads, so that it works on
networks without internet access (strawberry's own page loads React and GraphiQL from a CDN).

The files are checked in under ``graph/graphiql/`` (its README says where they come from and how
to update them), and the page's own script is ``graph/graphiql/page.js``. Each is served as
``/graphql/assets/<stem>.<content hash>.<ext>``, so a browser
may keep it for a year: new content is a new name, and the page, which names them, is never
cached. A request names an entry of a table built when the gateway starts, never a path on disk.

The page carries a strict Content-Security-Policy (scripts, styles and requests from the gateway
only, no inline script, no framing) and keeps nothing secret: see ``page.js``.

How the page greets a newcomer: it asks for the schema only once its headers hold a credential
(else GraphiQL's first sight would be a 401 and an empty documentation pane), says on the page
where to paste one meanwhile, and asks again as soon as one is typed. On start it also asks
``GREETING_PATH`` once: the demo answers it (:class:`IdeGreeting`: the demo's own short-lived
token and a connection that works), so its GraphiQL opens with the schema loaded and an example
that answers; a production gateway has no such route (404), and no token is ever kept by the
server for the page.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web

ASSETS_PATH = "/graphql/assets"
GREETING_PATH = "/graphql/ide/greeting"  # page.js asks it once, on start
FILES = Path(__file__).parent / "graphiql"

_CONTENT_TYPES = {".js": "text/javascript", ".css": "text/css"}
_FOREVER = "public, max-age=31536000, immutable"
PAGE_SCRIPT = "gateway-graphiql.js"  # how page.html names page.js
# GraphiQL's own styles are set inline by React, hence 'unsafe-inline' for styles (not scripts).
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)
_PAGE_HEADERS = {
    # The page names the files' current hashes: browsers must ask for it again each time.
    "Cache-Control": "no-cache",
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
_REFERENCE = re.compile(r'(?P<attribute>src|href)="asset:(?P<name>[^"]+)"')


@dataclass(frozen=True)
class Asset:
    body: bytes
    content_type: str
    gzipped: bytes  # compressed once, when the gateway starts: never per request


def _asset(body: bytes, content_type: str) -> Asset:
    return Asset(body, content_type, _gzipped(body))


@functools.lru_cache(maxsize=16)
def _gzipped(body: bytes) -> bytes:
    """Pure, so kept for the process: an app built again (tests build many) pays nothing. mtime
    0: the same bytes on every start and in every worker."""
    return gzip.compress(body, compresslevel=9, mtime=0)


class GraphiQLFiles:
    """The page, with its references to ``assets/`` resolved to hashed URLs, and the files."""

    def __init__(self, page: str, assets: Mapping[str, Asset]) -> None:
        self.page = page
        self.assets = dict(assets)  # served name -> file

    @classmethod
    def load(cls, folder: Path = FILES) -> GraphiQLFiles:
        """Reads ``page.html`` and ``assets/`` (4 MB, once per app) and gzips each file (about a
        second of CPU, once). A reference in the page to a file that is not there fails here,
        at start, rather than as a blank page."""
        assets: dict[str, Asset] = {}
        urls: dict[str, str] = {}
        files = [(path.name, path) for path in sorted((folder / "assets").iterdir())]
        for name, path in [*files, (PAGE_SCRIPT, folder / "page.js")]:
            body = path.read_bytes()
            stem, suffix = name.rsplit(".", 1)
            served = f"{stem}.{hashlib.sha256(body).hexdigest()[:16]}.{suffix}"
            assets[served] = _asset(body, _CONTENT_TYPES[f".{suffix}"])
            urls[name] = f"{ASSETS_PATH}/{served}"

        def resolve(reference: re.Match[str]) -> str:
            name = reference["name"]
            if name not in urls:
                raise FileNotFoundError(f"page.html loads asset:{name}, not in {folder}/assets")
            return f'{reference["attribute"]}="{urls[name]}"'

        page = _REFERENCE.sub(resolve, (folder / "page.html").read_text(encoding="utf-8"))
        return cls(page, assets)

    def page_response(self) -> web.Response:
        return web.Response(text=self.page, content_type="text/html", headers=_PAGE_HEADERS)

    async def serve_asset(self, request: web.Request) -> web.Response:
        asset = self.assets.get(request.match_info["name"])
        if asset is None:
            raise web.HTTPNotFound()
        headers = {
            "Cache-Control": _FOREVER,
            "X-Content-Type-Options": "nosniff",
            "Vary": "Accept-Encoding",
        }
        # graphiql.min.js is 3.5 MB, about a quarter gzipped: compressing it on each first load
        # cost about 150 ms of CPU, so it is served as compressed once at start.
        accepted = request.headers.get("Accept-Encoding", "").lower()
        gzipped = "gzip" in {part.split(";")[0].strip() for part in accepted.split(",")}
        if gzipped:
            headers["Content-Encoding"] = "gzip"
        return web.Response(
            body=asset.gzipped if gzipped else asset.body,
            content_type=asset.content_type,
            charset="utf-8",
            headers=headers,
        )

    def routes(self) -> list[web.RouteDef]:
        return [web.get(f"{ASSETS_PATH}/{{name}}", self.serve_asset)]


@dataclass(frozen=True)
class IdeGreeting:
    """What the demo's GraphiQL opens with, answered at ``GREETING_PATH`` to ``page.js``: the
    ``headers`` of every tab (the demo's token), and the ``connection`` (a ``ConnectionInput``,
    e.g. ``{"connectionId": "servicenow"}``) and ``ticket_number`` the example tabs' variables
    use. For the demo only: anyone who can reach the gateway reads it, so it may hold nothing but
    the demo's own token (``gateway/commands/demo.py``), never a production one."""

    headers: Mapping[str, str]
    connection: Mapping[str, object]
    ticket_number: str

    def route(self) -> web.RouteDef:
        body = {
            "headers": dict(self.headers),
            "connection": dict(self.connection),
            "ticketNumber": self.ticket_number,
        }

        async def greet(request: web.Request) -> web.Response:
            # A token in it: never cached by the browser, nor by a proxy.
            return web.json_response(body, headers={"Cache-Control": "no-store"})

        return web.get(GREETING_PATH, greet)
