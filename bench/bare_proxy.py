"""Baseline B of ``bench.load``: the least a Python proxy can do for the same upstream calls.

    python -m bench.bare_proxy --port P --plans plans.json

``plans.json`` maps a plan name to its stages: a list of lists of calls
(``{"method", "url", "body"}``; ``body`` is JSON or null). ``POST /plan/<name>`` runs the first
stage's calls, then each later stage's calls concurrently (as the gateway reads journals and SLAs
together after the incident), with one shared aiohttp ``ClientSession``, and answers the bodies
as a JSON array. No validation, no mapping, no authentication: the floor for Python + aiohttp.
It runs on uvloop, as the gateway does by default, so that the ratio compares the code, not the
event loops.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import uvloop
from aiohttp import web

Call = dict[str, Any]
PLANS = web.AppKey("plans", dict[str, list[list[Call]]])
SESSION = web.AppKey("session", aiohttp.ClientSession)
# The emulator's default integration account (a demo value, not a secret).
BASIC = "Basic " + base64.b64encode(b"gateway.integration:integration-password").decode()


def create_app(plans: dict[str, list[list[Call]]]) -> web.Application:
    app = web.Application()
    app[PLANS] = plans
    app.cleanup_ctx.append(_session)
    app.router.add_post("/plan/{name}", _run_plan)
    return app


async def _session(app: web.Application) -> AsyncIterator[None]:
    timeout = aiohttp.ClientTimeout(total=30)
    connector = aiohttp.TCPConnector(limit=1024)  # 512 connections at 200 ms
    async with aiohttp.ClientSession(timeout=timeout, connector=connector) as session:
        app[SESSION] = session
        yield


async def _run_plan(request: web.Request) -> web.Response:
    stages = request.app[PLANS].get(request.match_info["name"])
    if stages is None:
        raise web.HTTPNotFound()
    session = request.app[SESSION]
    bodies: list[bytes] = []
    for stage in stages:
        bodies.extend(await asyncio.gather(*(_call(session, call) for call in stage)))
    return web.Response(body=b"[" + b",".join(bodies) + b"]", content_type="application/json")


async def _call(session: aiohttp.ClientSession, call: Call) -> bytes:
    headers = {"Authorization": BASIC, "Accept": "application/json"}
    kwargs: dict[str, Any] = {"headers": headers}
    if call.get("body") is not None:
        kwargs["json"] = call["body"]
    async with session.request(call["method"], call["url"], **kwargs) as response:
        body = await response.read()
        if response.status >= 400:
            raise web.HTTPBadGateway(text=f"upstream {response.status}")
        return body


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.bare_proxy", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--plans", type=Path, required=True)
    parser.add_argument(
        "--loop", choices=("uvloop", "asyncio"), default="uvloop", help="as the gateway's"
    )
    args = parser.parse_args()
    plans = json.loads(args.plans.read_text())
    loop = uvloop.new_event_loop() if args.loop == "uvloop" else asyncio.new_event_loop()
    web.run_app(
        create_app(plans),
        host=args.host,
        port=args.port,
        # aiohttp's default (128) overflows when wrk opens 512 connections at once; 1024 as
        # `itsm-gateway serve --workers N` listens.
        backlog=1024,
        access_log=None,
        print=None,
        loop=loop,
    )


if __name__ == "__main__":
    main()
