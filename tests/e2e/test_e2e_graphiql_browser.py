"""GraphiQL without internet access (issue 6, item 7): the page and every file it loads come from
the gateway. Checked over plain HTTP (names, types, cache headers, the switch, traversal), then in
a real headless Chromium that can reach nothing but loopback: a user pastes a token into the
headers editor, runs a query and sees the ticket, and the browser asked no other host for
anything. A control shows the confinement is real: strawberry's own page, which loads from a CDN,
stays blank in the same browser.

The browser tests need Debian's ``chromium`` (see tests/support/browser.py): they skip without
it, or fail when ``ITSM_GATEWAY_REQUIRE_BROWSER=1``. The GraphiQL test leaves a screenshot at
``tests/artifacts/graphiql.png`` (git-ignored).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from aiohttp import web
from strawberry.http.ides import get_graphql_ide_html

from emulators.servicenow.seed import COMMENT_WITH_BLANK_LINE, INC_NEW
from gateway.app import create_app
from gateway.settings import Settings
from graph.ide import ASSETS_PATH, CONTENT_SECURITY_POLICY, FILES, PAGE_SCRIPT
from tests.e2e.conftest import Stack
from tests.support.browser import Browser, Page, chromium
from tests.support.servers import serving

SCREENSHOT = Path(__file__).resolve().parents[1] / "artifacts" / "graphiql.png"
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
LOCAL_SCHEMES = {"data", "blob", "about"}  # nothing leaves the browser for these
CONTENT_TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}
_ATTRIBUTE = re.compile(r'\b(?:src|href)="([^"]*)"')


def vendored() -> dict[str, str]:
    """File name under graph/graphiql/assets/ -> its sha384 as recorded in SOURCES."""
    lines = (FILES / "SOURCES").read_text(encoding="utf-8").splitlines()
    return {name: sri for name, _package, _path, sri in (line.split() for line in lines)}


def sri(body: bytes) -> str:
    return "sha384-" + base64.b64encode(hashlib.sha384(body).digest()).decode()


def off_loopback(urls: list[str]) -> list[str]:
    """The URLs that would have left the machine."""
    far = []
    for url in urls:
        parts = urlsplit(url)
        if parts.scheme in LOCAL_SCHEMES:
            continue
        if parts.scheme in ("http", "https", "ws", "wss") and parts.hostname in LOOPBACK:
            continue
        far.append(url)
    return far


async def graphiql_html(stack: Stack) -> str:
    response = await stack.http.get(f"{stack.gateway_url}/graphql", headers={"Accept": "text/html"})
    assert response.status_code == 200
    return response.text


async def asset_paths(stack: Stack) -> list[str]:
    """The paths of the files the page loads, as the page names them."""
    return [url for url in _ATTRIBUTE.findall(await graphiql_html(stack)) if url.startswith("/")]


@pytest.fixture(scope="module")
async def graphiql_off(stack: Stack) -> AsyncIterator[str]:
    """A second gateway with ``graphiql=False``; its URL."""
    assert stack.issuer is not None
    settings = Settings(
        keycloak_issuer=stack.issuer.issuer,
        keycloak_audience=stack.issuer.audience,
        itsm_allowed_urls="http://127.0.0.1:*",
        graphiql=False,
    )
    async with serving(create_app(settings)) as url:
        yield url


# -- over HTTP -----------------------------------------------------------------------------------


async def test_the_page_loads_every_file_from_the_gateway(stack: Stack) -> None:
    response = await stack.http.get(f"{stack.gateway_url}/graphql", headers={"Accept": "text/html"})
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-cache"  # it names the files' current hashes
    assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert "script-src 'self';" in CONTENT_SECURITY_POLICY  # no inline script, no eval
    assert "<script>" not in response.text
    assert response.headers["X-Frame-Options"] == "DENY"
    loaded = _ATTRIBUTE.findall(response.text)
    external = [url for url in loaded if not url.startswith(("data:", f"{ASSETS_PATH}/"))]
    assert external == []
    names = {Path(url).name for url in loaded if url.startswith(ASSETS_PATH)}
    # graphiql.min.<16 hex>.css -> graphiql.min.css: exactly the vendored files, each once.
    unhashed = sorted(re.sub(r"\.[0-9a-f]{16}(?=\.(js|css)$)", "", name) for name in names)
    assert unhashed == sorted([*vendored(), PAGE_SCRIPT])  # and the page's own script
    assert "unpkg" not in response.text and "jsdelivr" not in response.text


async def test_each_file_is_the_vendored_one_with_a_content_hash_and_long_caching(
    stack: Stack,
) -> None:
    recorded = vendored()
    for path in await asset_paths(stack):
        # No token: the files are as public as the page that loads them.
        response = await stack.http.get(f"{stack.gateway_url}{path}")
        assert response.status_code == 200, path
        stem, digest, extension = Path(path).name.rsplit(".", 2)
        if f"{stem}.{extension}" == PAGE_SCRIPT:
            assert response.content == (FILES / "page.js").read_bytes()
        else:
            assert recorded[f"{stem}.{extension}"] == sri(response.content), path
        assert digest == hashlib.sha256(response.content).hexdigest()[:16]
        assert response.headers["Content-Type"] == CONTENT_TYPES[f".{extension}"]
        assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        assert response.headers["X-Content-Type-Options"] == "nosniff"


async def test_files_are_compressed_for_clients_that_accept_it(stack: Stack) -> None:
    [script] = [p for p in await asset_paths(stack) if re.search(r"/graphiql\.min\.\w+\.js$", p)]
    response = await stack.http.get(
        f"{stack.gateway_url}{script}", headers={"Accept-Encoding": "gzip, deflate"}
    )
    assert response.headers["Content-Encoding"] == "gzip"
    assert int(response.headers["Content-Length"]) < len(response.content) / 2
    assert sri(response.content) == vendored()["graphiql.min.js"]
    # Compressed once, at start: every answer is the same bytes (gzip's mtime fixed at 0).
    again = await stack.http.get(
        f"{stack.gateway_url}{script}", headers={"Accept-Encoding": "gzip"}
    )
    assert again.headers["Content-Length"] == response.headers["Content-Length"]
    assert again.headers["Vary"] == "Accept-Encoding"
    plain = await stack.http.get(
        f"{stack.gateway_url}{script}", headers={"Accept-Encoding": "identity"}
    )
    assert "Content-Encoding" not in plain.headers and plain.content == response.content


@pytest.mark.parametrize(
    "name",
    [
        pytest.param("graphiql.min.js", id="name-without-hash"),
        pytest.param("graphiql.min.0000000000000000.js", id="wrong-hash"),
        pytest.param("..%2Fpage.html", id="up-to-the-page"),
        pytest.param("..%2F..%2Fide.py", id="up-to-the-code"),
        pytest.param("%2e%2e%2f%2e%2e%2f..%2Fpyproject.toml", id="dots-encoded"),
        pytest.param("SOURCES", id="a-file-beside-the-assets"),
    ],
)
async def test_only_the_served_names_are_answered(stack: Stack, name: str) -> None:
    response = await stack.http.get(f"{stack.gateway_url}{ASSETS_PATH}/{name}")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "NOT_FOUND"


async def test_switched_off_graphiql_serves_no_files(stack: Stack, graphiql_off: str) -> None:
    paths = await asset_paths(stack)
    assert paths
    for path in paths:
        response = await stack.http.get(f"{graphiql_off}{path}")
        assert response.status_code == 404, path
        assert response.json()["error"]["code"] == "NOT_FOUND"
    page = await stack.http.get(f"{graphiql_off}/graphql", headers={"Accept": "text/html"})
    assert page.status_code == 404


# -- in a real browser ---------------------------------------------------------------------------

QUERY_EDITOR = ".graphiql-query-editor .CodeMirror"
HEADERS_TAB = 'button[data-name="headers"]'
HEADERS_EDITOR = (
    'section.graphiql-editor-tool[aria-label="Headers"] .graphiql-editor:not(.hidden) .CodeMirror'
)
RESULT = ".result-window .CodeMirror"
PRETTIFY = 'button[aria-label^="Prettify"]'
RUN = ".graphiql-execute-button"


def editor_text(selector: str) -> str:
    """JavaScript for the text of the CodeMirror editor at ``selector``."""
    return f"document.querySelector({json.dumps(selector)}).CodeMirror.getValue()"


# ConnectionInput's enum keys (graph/enums.py): typed bare in a literal, not quoted.
ENUM_KEYS = {"itsmType", "authType"}


def literal(value: dict[str, Any]) -> str:
    """A GraphQL input object literal (the connection typed inline, as a user would)."""
    return (
        "{"
        + ", ".join(
            f"{key}: {item if key in ENUM_KEYS else json.dumps(item)}"
            for key, item in value.items()
        )
        + "}"
    )


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    async with chromium() as running:
        yield running


async def test_graphiql_fetches_a_ticket_in_a_browser_without_internet(
    stack: Stack, browser: Browser
) -> None:
    query = (
        f'{{ ticket(number: "{INC_NEW[0]}", connection: {literal(stack.connection())}) '
        "{ ticketNumber sysId shortDescription ticketStatus comments { commentBy comment } } }"
    )
    expected = (await stack.graphql(query)).json()  # the same query, sent by the test itself
    assert expected["data"]["ticket"]["ticketNumber"] == INC_NEW[0]
    assert expected["data"]["ticket"]["comments"][0]["comment"] == COMMENT_WITH_BLANK_LINE
    assert stack.issuer is not None
    token = stack.issuer.mint("smartops.operator")
    headers = json.dumps({"Authorization": f"Bearer {token}"})

    page = await browser.new_page()
    try:
        await page.goto(f"{stack.gateway_url}/graphql")
        await page.wait_for("typeof GraphiQL === 'function' && typeof React === 'object'")
        await page.wait_for(f"!!document.querySelector({json.dumps(QUERY_EDITOR)})")

        await page.click(HEADERS_TAB)
        await page.click(HEADERS_EDITOR)
        await page.type(headers)
        assert await page.evaluate(editor_text(HEADERS_EDITOR)) == headers

        await page.click(QUERY_EDITOR)
        await page.select_all()
        await page.type(query)
        assert await page.evaluate(editor_text(QUERY_EDITOR)) == query
        await page.click(PRETTIFY)
        await page.click(RUN)

        shown = await page.wait_for(editor_text(RESULT), until=lambda text: _json(text) == expected)
        assert "INC0010001" in shown
    finally:
        await _save_screenshot(page)

    assert off_loopback(page.requests) == []
    fetched = {urlsplit(url).path for url in page.requests if ASSETS_PATH in url}
    assert fetched == set(await asset_paths(stack))
    [sent] = [
        e["request"]
        for e in page.events("Network.requestWillBeSent")
        if INC_NEW[0] in e["request"].get("postData", "")
    ]
    assert sent["headers"]["Authorization"] == f"Bearer {token}"
    # Nothing secret kept by the browser nor put in its address bar: the pasted token, and the
    # connection's password in the query, stay in the tab's memory.
    kept = await page.evaluate("JSON.stringify(Object.entries(window.localStorage))")
    address = await page.evaluate("window.location.href")
    for secret in (token, stack.connection()["password"]):
        assert secret not in kept
        assert secret not in address


async def test_the_browser_is_confined_to_loopback(browser: Browser) -> None:
    """Control: strawberry's own GraphiQL page, whose files come from a CDN, stays blank here, and
    the requests it tried are the ones the test above finds none of."""

    async def strawberrys_page(request: web.Request) -> web.Response:
        return web.Response(text=get_graphql_ide_html("graphiql"), content_type="text/html")

    app = web.Application()
    app.router.add_get("/", strawberrys_page)
    page = await browser.new_page()
    async with serving(app) as url:
        await page.goto(url)
    assert await page.evaluate("typeof GraphiQL") == "undefined"
    assert await page.evaluate("document.getElementById('graphiql').textContent") == "Loading..."
    tried = off_loopback(page.requests)
    assert tried, page.requests
    assert all(urlsplit(url).hostname == "unpkg.com" for url in tried), tried
    failed = {e["requestId"] for e in page.events("Network.loadingFailed")}
    far = {
        e["requestId"]
        for e in page.events("Network.requestWillBeSent")
        if e["request"]["url"] in tried
    }
    assert far <= failed


def _json(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return None


async def _save_screenshot(page: Page) -> None:
    png = await page.screenshot()
    await asyncio.to_thread(SCREENSHOT.parent.mkdir, parents=True, exist_ok=True)
    await asyncio.to_thread(SCREENSHOT.write_bytes, png)
