"""Issue 17, item 5: GraphiQL greets a newcomer ready, in a real headless Chromium.

- In production (no token anywhere but what the user types) the page asks for nothing that
  needs a token until one is in its headers: no 401, a visible hint saying where to paste a token
  instead, and the schema loaded (documentation explorer filled) as soon as one is typed.
- In the demo (``itsm-gateway demo``, run as a user runs it) the page opens with the demo's token
  in its headers, the schema loaded and the example query answering when run, nothing typed.

They need Debian's ``chromium`` (tests/support/browser.py): skipped without it, or failing when
``ITSM_GATEWAY_REQUIRE_BROWSER=1``.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from gateway.app import create_app
from gateway.commands.demo import graphiql_greeting
from gateway.settings import Settings
from graph.ide import GREETING_PATH
from tests.e2e.conftest import Stack
from tests.e2e.test_e2e_cli import clean_environment, demo_ports, read_banner, running
from tests.support.browser import Browser, Page, chromium
from tests.support.servers import serving

HEADERS_TAB = 'button[data-name="headers"]'
HEADERS_EDITOR = (
    'section.graphiql-editor-tool[aria-label="Headers"] .graphiql-editor:not(.hidden) .CodeMirror'
)
VARIABLES_EDITOR = (
    'section.graphiql-editor-tool[aria-label="Variables"] .graphiql-editor:not(.hidden) .CodeMirror'
)
RESULT = ".result-window .CodeMirror"
RUN = ".graphiql-execute-button"
DOCS_BUTTON = 'button[aria-label="Show Documentation Explorer"]'
DOCS = 'section.graphiql-doc-explorer[aria-label="Documentation Explorer"]'
HINT = "document.getElementById('token-hint')"
READY = "typeof GraphiQL === 'function' && !!document.querySelector('.graphiql-query-editor')"


def editor_text(selector: str) -> str:
    """JavaScript for the text of the CodeMirror editor at ``selector`` (null while absent)."""
    return f"document.querySelector({json.dumps(selector)})?.CodeMirror.getValue() ?? null"


def text_of(selector: str) -> str:
    return f"(document.querySelector({json.dumps(selector)}) || {{}}).innerText || ''"


def statuses(page: Page, path: str) -> list[int]:
    """The status of every answer the page got for ``path``."""
    return [
        e["response"]["status"]
        for e in page.events("Network.responseReceived")
        if urlsplit(e["response"]["url"]).path == path
    ]


def graphql_posts(page: Page) -> list[dict[str, Any]]:
    """The GraphQL requests the page sent (the schema's included), as sent."""
    return [
        e["request"]
        for e in page.events("Network.requestWillBeSent")
        if urlsplit(e["request"]["url"]).path == "/graphql" and e["request"]["method"] == "POST"
    ]


async def open_docs(page: Page) -> None:
    await page.click(DOCS_BUTTON)
    await page.wait_for(f"!!document.querySelector({json.dumps(DOCS)})")


# -- over HTTP (no browser needed) ---------------------------------------------------------------


async def test_only_the_demo_greets(stack: Stack) -> None:
    """A gateway built by the factory has no greeting; the demo's adds one, never cached."""
    refused = await stack.http.get(f"{stack.gateway_url}{GREETING_PATH}")
    assert refused.status_code == 404
    assert stack.issuer is not None
    settings = Settings(
        keycloak_issuer=stack.issuer.issuer,
        keycloak_audience=stack.issuer.audience,
        itsm_allowed_urls="http://127.0.0.1:*",
    )
    app = create_app(settings)
    token = stack.issuer.mint("smartops.operator")
    app.router.add_routes([graphiql_greeting(token).route()])  # as the demo does
    async with serving(app) as url:
        greeted = await stack.http.get(f"{url}{GREETING_PATH}")  # no token needed: a page load
    assert greeted.status_code == 200
    assert greeted.headers["Cache-Control"] == "no-store"
    assert greeted.json() == {
        "headers": {"Authorization": f"Bearer {token}"},
        "connection": {"connectionId": "servicenow"},
        "ticketNumber": "INC0010001",
    }


# -- in a real browser ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    async with chromium() as running_browser:
        yield running_browser


async def test_production_page_hints_then_loads_the_schema_once_a_token_is_typed(
    stack: Stack, browser: Browser
) -> None:
    page = await browser.new_page()
    await page.goto(f"{stack.gateway_url}/graphql")
    await page.wait_for(READY)

    # No token yet: the hint shows, nothing was asked that needs one, so no 401 anywhere.
    hint = await page.wait_for(f"!{HINT}.hidden && {HINT}.innerText")
    assert '{"Authorization": "Bearer <access token>"}' in hint and "Headers" in hint
    await open_docs(page)
    assert "No GraphQL schema available" in await page.evaluate(text_of(DOCS))
    assert graphql_posts(page) == []
    assert 401 not in [e["response"]["status"] for e in page.events("Network.responseReceived")]
    assert statuses(page, GREETING_PATH) == [404]  # a production gateway greets nobody
    assert await page.evaluate(editor_text(RESULT)) == ""  # no error shown either
    variables = json.loads(await page.wait_for(editor_text(VARIABLES_EDITOR)))
    assert variables["connection"]["instanceUrl"] == "https://<instance>.service-now.com"

    assert stack.issuer is not None
    token = stack.issuer.mint("smartops.operator")
    await page.click(HEADERS_TAB)
    await page.click(HEADERS_EDITOR)
    await page.type(json.dumps({"Authorization": f"Bearer {token}"}))

    # Once it is there: the schema is asked for, with the typed token, and fills the docs pane.
    docs = await page.wait_for(text_of(DOCS), until=lambda text: "Root Types" in text)
    assert "Query" in docs
    assert await page.evaluate(f"{HINT}.hidden") is True
    [introspection] = graphql_posts(page)
    assert "__schema" in introspection["postData"]
    assert introspection["headers"]["Authorization"] == f"Bearer {token}"
    assert set(statuses(page, "/graphql")) == {200}  # the page, then the schema


async def test_the_demo_opens_graphiql_ready(tmp_path: Path, browser: Browser) -> None:
    port, emulator_port, issuer_port, rt_port = demo_ports()
    arguments = ["--port", str(port), "--emulator-port", str(emulator_port)]
    arguments += ["--issuer-port", str(issuer_port), "--rt-port", str(rt_port)]
    async with running(
        "demo", *arguments, env=clean_environment(), stderr_file=tmp_path / "stderr"
    ) as process:
        banner = "".join(await read_banner(process))
        [token] = re.findall(r"^export TOKEN=(\S+)$", banner, re.MULTILINE)
        page = await browser.new_page()
        await page.goto(f"http://127.0.0.1:{port}/graphql")
        await page.wait_for(READY)

        # Nothing typed: the demo's token is in the headers and the schema is loaded.
        await open_docs(page)
        docs = await page.wait_for(text_of(DOCS), until=lambda text: "Root Types" in text)
        assert "Query" in docs
        assert await page.evaluate(f"{HINT}.hidden") is True
        variables = json.loads(await page.wait_for(editor_text(VARIABLES_EDITOR)))
        assert variables == {"number": "INC0010001", "connection": {"connectionId": "servicenow"}}
        await page.click(HEADERS_TAB)
        headers = json.loads(await page.wait_for(editor_text(HEADERS_EDITOR)))
        assert headers == {"Authorization": f"Bearer {token}"}

        # The example query, as it opens, answers when run.
        await page.click(RUN)
        shown = await page.wait_for(editor_text(RESULT), until=lambda text: "INC0010001" in text)
        answer = json.loads(shown)
        assert "errors" not in answer, answer
        assert answer["data"]["ticket"]["ticketNumber"] == "INC0010001"
        assert "comments" in answer["data"]["ticket"]  # the example selects them
        assert 401 not in [e["response"]["status"] for e in page.events("Network.responseReceived")]
