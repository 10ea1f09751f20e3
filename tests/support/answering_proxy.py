"""An HTTP stand-in in front of a real server: it forwards every request to the server and hands
back its answer, except on the paths a test scripts, where it answers what the test says (a 503
page, a 500 with a JSON error) without asking the server. For failures the real server has no
switch for (Keycloak's token endpoint answering 5xx, ServiceNow's ``oauth_token.do`` failing
while its Table API works); everything else stays the real server's behaviour.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import httpx
from aiohttp import web

from tests.support.servers import serving

# Hop-by-hop, or describing a body the client will decode itself.
_NOT_FORWARDED = frozenset(
    {"host", "content-length", "transfer-encoding", "connection", "content-encoding"}
)


@dataclass(frozen=True)
class Scripted:
    """What the stand-in answers on a scripted path."""

    status: int
    body: bytes = b""
    content_type: str = "application/json"


@dataclass
class AnsweringProxy:
    """Forwards to ``target`` (a base URL); ``scripts`` maps a path to its scripted answer.
    ``answered`` lists the scripted requests (method, path), in order."""

    target: str
    scripts: dict[str, Scripted] = field(default_factory=dict)
    answered: list[tuple[str, str]] = field(default_factory=list)
    url: str = ""  # the stand-in's base URL, while it runs

    @asynccontextmanager
    async def running(self) -> AsyncIterator[str]:
        """Serves until the block ends; yields the stand-in's base URL."""
        async with httpx.AsyncClient(base_url=self.target, timeout=30) as http:

            async def handle(request: web.Request) -> web.StreamResponse:
                script = self.scripts.get(request.path)
                if script is not None:
                    self.answered.append((request.method, request.path))
                    return web.Response(
                        status=script.status, body=script.body, content_type=script.content_type
                    )
                answer = await http.request(
                    request.method,
                    request.rel_url.path_qs,
                    content=await request.read(),
                    headers={
                        k: v for k, v in request.headers.items() if k.lower() not in _NOT_FORWARDED
                    },
                )
                headers = {
                    k: v for k, v in answer.headers.items() if k.lower() not in _NOT_FORWARDED
                }
                return web.Response(status=answer.status_code, body=answer.content, headers=headers)

            app = web.Application()
            app.router.add_route("*", "/{tail:.*}", handle)
            async with serving(app) as url:
                self.url = url
                yield url
