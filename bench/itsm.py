"""The two ITSMs ``bench.load`` can measure against, behind one small control interface.

- ``Emulator``: the ServiceNow emulator (``emulators.servicenow``); its request log counts the
  calls, ``POST /_emulator/reset`` reseeds it before each run (then the latency and the search
  incidents are set again);
- ``StandInItsm``: ``bench.stand_in`` serving the emulator's recorded answers; it counts calls
  itself, and the calls it had no answer for.

``record_answers`` makes the stand-in's table: every call a scenario made through the gateway
(from the emulator's log) is replayed once against the emulator, and its status, content type,
``X-Total-Count`` and body kept.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import urlencode

import aiohttp

from bench.bare_proxy import BASIC
from bench.scenarios import NUMBER, search_incidents

EMULATOR = "emulator"
STAND_IN = "stand-in"
ITSMS: tuple[str, ...] = (EMULATOR, STAND_IN)
# Answer headers the gateway reads besides the body (search's total).
_KEPT_HEADERS = ("X-Total-Count",)


class Emulator:
    name = EMULATOR

    def __init__(self, http: aiohttp.ClientSession, url: str, pid: int) -> None:
        self.http, self.url, self.pid = http, url, pid
        self.latency_ms = 0  # re-applied after each reset (a reset clears the faults)
        self.sys_id = ""  # NUMBER's, fixed by the seed: a reset that changes it is an error

    async def set_latency(self, latency_ms: int) -> None:
        self.latency_ms = latency_ms
        url = f"{self.url}/_emulator/faults"
        async with self.http.post(url, json={"latency_ms": latency_ms}) as response:
            response.raise_for_status()

    async def reset(self) -> None:
        """Reseed before a run: creates grow the incident table and the emulator scans its
        tables per query, so without this every later fetch would be measured against a larger
        table. The recorded calls stay valid, since the seeded sys_ids are fixed (checked)."""
        async with self.http.post(f"{self.url}/_emulator/reset") as response:
            response.raise_for_status()
        await self.set_latency(self.latency_ms)
        for row in search_incidents():
            url = f"{self.url}/_emulator/records/incident"
            async with self.http.post(url, json=row) as response:
                response.raise_for_status()
        sys_id = await self.seeded_sys_id()
        if self.sys_id and sys_id != self.sys_id:
            raise RuntimeError(f"{NUMBER} has a new sys_id after a reset: the plans are stale")
        self.sys_id = sys_id

    async def seeded_sys_id(self) -> str:
        async with self.http.get(f"{self.url}/_emulator/records/incident") as response:
            records = await response.json()
        return str(next(r["sys_id"] for r in records if r.get("number") == NUMBER))

    async def clear_log(self) -> None:
        async with self.http.delete(f"{self.url}/_emulator/requests") as response:
            response.raise_for_status()

    async def log(self) -> list[dict[str, Any]]:
        async with self.http.get(f"{self.url}/_emulator/requests") as response:
            result: list[dict[str, Any]] = await response.json()
            return result

    async def calls(self) -> int:
        return len(await self.log())


class StandInItsm:
    name = STAND_IN

    def __init__(self, http: aiohttp.ClientSession, url: str, pid: int) -> None:
        self.http, self.url, self.pid = http, url, pid

    async def set_latency(self, latency_ms: int) -> None:
        url = f"{self.url}/_stand_in/latency?ms={latency_ms}"
        async with self.http.post(url) as response:
            response.raise_for_status()

    async def reset(self) -> None:
        """Nothing to reseed: the answers are fixed. Zeroes the call count."""
        await self.clear_log()

    async def clear_log(self) -> None:
        async with self.http.delete(f"{self.url}/_stand_in/calls") as response:
            response.raise_for_status()

    async def counts(self) -> dict[str, Any]:
        async with self.http.get(f"{self.url}/_stand_in/calls") as response:
            result: dict[str, Any] = await response.json()
            return result

    async def calls(self) -> int:
        return int((await self.counts())["calls"])

    async def unknown(self) -> dict[str, int]:
        """Calls answered 404 because nothing was recorded for them, since the start."""
        return dict((await self.counts())["unknown"])


Itsm = Emulator | StandInItsm


def call_url(base: str, call: dict[str, Any]) -> str:
    """A logged call's URL at ``base`` (the emulator or the stand-in)."""
    return f"{base}{call['path']}?{urlencode(call['query'])}"


async def record_answers(
    http: aiohttp.ClientSession,
    emulator: str,
    calls: Iterable[dict[str, Any]],
    recorded: dict[tuple[str, str, str], dict[str, Any]],
) -> None:
    """Replay each logged call once against the emulator and add its answer to ``recorded``
    (a call already there, from this or another scenario, is not replayed: the first answer
    is the one served)."""
    for call in calls:
        key = (call["method"], call["path"], urlencode(sorted(call["query"].items())))
        if key in recorded:
            continue
        headers = {"Authorization": BASIC, "Accept": "application/json"}
        async with http.request(
            call["method"], call_url(emulator, call), headers=headers, json=call["json"]
        ) as response:
            recorded[key] = {
                "method": call["method"],
                "path": call["path"],
                "query": call["query"],
                "status": response.status,
                "content_type": response.headers.get("Content-Type", "application/json"),
                "headers": {h: response.headers[h] for h in _KEPT_HEADERS if h in response.headers},
                "body": await response.text(),
            }
