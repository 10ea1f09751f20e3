"""Liveness and readiness: no authentication, small JSON bodies that say what is wrong."""

from __future__ import annotations

import os
from collections.abc import Callable

from aiohttp import web


async def healthz(request: web.Request) -> web.Response:
    # The pid tells which worker answered when several share the port (``serve --workers``).
    return web.json_response({"status": "ok", "pid": os.getpid()})


def readyz(signing_keys: Callable[[], str]) -> Callable[[web.Request], object]:
    """``signing_keys`` says "ok" or what is wrong."""

    async def handler(request: web.Request) -> web.Response:
        checks = {"keycloak_signing_keys": signing_keys()}
        ready = all(value == "ok" for value in checks.values())
        return web.json_response(
            {"status": "ready" if ready else "not ready", "checks": checks},
            status=200 if ready else 503,
        )

    return handler
