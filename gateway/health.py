"""Liveness and readiness: no authentication, small JSON bodies that say what is wrong."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable, Mapping

from aiohttp import web


async def healthz(request: web.Request) -> web.Response:
    # The pid tells which worker answered when several share the port (``serve --workers``).
    return web.json_response({"status": "ok", "pid": os.getpid()})


Check = Callable[[], Awaitable[str]]


def readyz(checks: Mapping[str, Check]) -> Callable[[web.Request], Awaitable[web.Response]]:
    """Each check answers "ok" or what is wrong; all run concurrently. 200 when all are ok,
    else 503; the body names every check and its answer, so the failing one is plain."""

    async def handler(request: web.Request) -> web.Response:
        answers = await asyncio.gather(*(check() for check in checks.values()))
        results = dict(zip(checks, answers, strict=True))
        ready = all(answer == "ok" for answer in answers)
        return web.json_response(
            {"status": "ready" if ready else "not ready", "checks": results},
            status=200 if ready else 503,
        )

    return handler
