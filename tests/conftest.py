"""For every test: the Jira emulator, wherever a test starts one, has each exchange (the
connector's request and the emulator's answer) checked against Atlassian's description of the
Jira Cloud platform API (``tests/support/jira_description.py``, issue 16). A test in which one
of them is not described, or breaks its schema, fails, naming it. A test that asks the emulator
for what Jira does not describe on purpose (an unknown path, to see Jira's 404) is marked
``jira_undescribed``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator

import pytest
from aiohttp import web

import emulators.jira.app
from tests.support.jira_description import Exchange, problems

_SEEN: list[Exchange] = []  # this test's exchanges; emptied before each test


@pytest.fixture(scope="session", autouse=True)
def _jira_exchanges_recorded() -> Iterator[None]:
    emulated = emulators.jira.app.emulate_site

    @web.middleware
    async def recorded(
        request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        answer = await emulated(request, handler)
        # After the handler, which read the body itself (aiohttp keeps what was read).
        sent = await request.read() if request.body_exists else b""
        body = getattr(answer, "body", None)
        _SEEN.append(
            Exchange(
                method=request.method,
                path=request.path,
                query={key: request.query.getall(key) for key in request.query},
                request_type=request.content_type if request.body_exists else "",
                request_body=sent,
                status=answer.status,
                answer_type=answer.content_type,
                answer_body=body if isinstance(body, bytes) else b"",
                answer_headers=dict(answer.headers),
            )
        )
        return answer

    emulators.jira.app.emulate_site = recorded  # create_app reads it when it builds an app
    try:
        yield
    finally:
        emulators.jira.app.emulate_site = emulated


@pytest.fixture(autouse=True)
def _jira_exchanges_described(request: pytest.FixtureRequest) -> Iterator[None]:
    _SEEN.clear()
    yield
    if request.node.get_closest_marker("jira_undescribed"):
        return  # the test asks the emulator for what Jira does not describe, on purpose
    found = [problem for exchange in _SEEN for problem in problems(exchange)]
    assert not found, "Jira's description does not allow:\n" + "\n".join(found[:10])
