"""``bench.load``'s rows and how they are reported: the results table, one line per row while
the run goes, and the check that decides the exit code (ITSM calls per request, non-2xx)."""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass

from bench.scenarios import Scenario
from bench.wrk import WrkResult


@dataclass
class Row:
    scenario: Scenario
    credential: str
    itsm: str  # "emulator" or "stand-in"
    latency_ms: int
    connections: int
    gateway: WrkResult
    itsm_calls: float  # exact: from sequential requests after the run
    itsm_calls_under_load: float  # counts the calls of requests in flight when wrk stopped
    cpu_us: float
    rss_mb: float
    direct: WrkResult
    direct_stages: int
    direct_calls: int
    bare: WrkResult
    bare_cpu_us: float  # the bare proxy's CPU over B's run / B's requests
    listen_overflows: int = 0  # accept queue overflows on the machine during the gateway's run

    @property
    def direct_rps(self) -> float:
        return self.direct.rps / self.direct_calls

    @property
    def direct_p50_ms(self) -> float:
        return self.direct.p50_ms * self.direct_stages

    @property
    def cpu_ratio(self) -> float:
        """Gateway CPU per request / B's: what the gateway costs above the floor."""
        return self.cpu_us / self.bare_cpu_us if self.bare_cpu_us else float("nan")

    @property
    def where(self) -> str:
        return f"{self.credential}, {self.itsm}, {self.latency_ms} ms, {self.connections} conns"


def line(row: Row) -> str:
    return (
        f"{row.scenario.name} [{row.where}]: "
        f"{row.gateway.rps:.0f} req/s, p50 {row.gateway.p50_ms:.1f} ms, "
        f"ITSM calls/req {row.itsm_calls:.2f}, CPU {row.cpu_us:.0f} us/req "
        f"(B {row.bare_cpu_us:.0f}, x{row.cpu_ratio:.2f})"
    )


HEADER = (
    "| scenario | token | ITSM | ITSM ms | conns | req/s | p50 ms | p99 ms "
    "| ITSM calls/req (under load) "
    "| gw CPU us/req | B CPU us/req | gw CPU / B CPU "
    "| gw peak RSS MB | non-2xx / socket err | listen overflows | A direct req/s | A p50 ms "
    "| B bare req/s | B p50 ms | req/s vs A | req/s vs B | p50 - A p50 ms |"
)


def table(rows: list[Row]) -> list[str]:
    lines = [HEADER, "|" + "---|" * HEADER.count(" | ") + "---|"]
    for row in rows:
        approx = "~" if row.direct_calls > 1 else ""
        g, b = row.gateway, row.bare
        lines.append(
            f"| {row.scenario.name} | {row.credential} | {row.itsm} | {row.latency_ms} "
            f"| {row.connections} | {g.rps:.0f} | {g.p50_ms:.1f} | {g.p99_ms:.1f} "
            f"| {row.itsm_calls:.2f} ({row.itsm_calls_under_load:.2f}) "
            f"| {row.cpu_us:.0f} | {row.bare_cpu_us:.0f} | {row.cpu_ratio:.2f} "
            f"| {row.rss_mb:.0f} | {g.non2xx} / {g.socket_errors} | {row.listen_overflows} "
            f"| {approx}{row.direct_rps:.0f} | {approx}{row.direct_p50_ms:.1f} "
            f"| {b.rps:.0f} | {b.p50_ms:.1f} "
            f"| {approx}{g.rps / row.direct_rps:.2f} | {g.rps / b.rps if b.rps else 0:.2f} "
            f"| {approx}{g.p50_ms - row.direct_p50_ms:+.1f} |"
        )
    return lines


def header_line(
    seconds: float, cores: str, max_concurrency: int, max_connections: int, stand_in_cpu: str
) -> str:
    return (
        f"os.cpu_count() = {os.cpu_count()}; {cores}; wrk 1 thread, {seconds:g} s "
        "per run; gateway: one process on uvloop (`(2 workers)`: `serve --workers 2`, not pinned, "
        "CPU summed over its processes, RSS of the largest), "
        f"ITSM_GATEWAY_ITSM_MAX_CONCURRENCY_PER_INSTANCE={max_concurrency}, "
        f"ITSM_GATEWAY_ITSM_MAX_CONNECTIONS={max_connections}, "
        "ITSM_GATEWAY_CALLER_REQUESTS_PER_MINUTE=0 (one token drives the whole load). "
        "ITSM: the ServiceNow emulator, or the stand-in serving its recorded answers "
        f"(stand-in CPU per call over A's runs: {stand_in_cpu}). "
        "A = same ITSM calls straight to the ITSM "
        "(`~`: several calls, estimated from one wrk script cycling them); B = bare aiohttp "
        "proxy making the same calls, its CPU per request measured as the gateway's "
        "(/proc/<pid>/stat over B's run / B's requests). ITSM calls/req: from 20 sequential "
        "requests after the run; in brackets, ITSM calls during the run / wrk requests, which "
        "also counts the calls of requests still in flight when wrk stopped."
    )


def title() -> str:
    return f"## itsm-gateway load, {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC"


def check(rows: list[Row]) -> list[str]:
    """What fails the run: ITSM calls per request off the scenario's, any non-2xx or socket
    error from the gateway."""
    failures = []
    for row in rows:
        expected = row.scenario.expected_calls
        if expected is not None and abs(row.itsm_calls - expected) > 0.02:
            failures.append(
                f"{row.scenario.name} ({row.where}): {row.itsm_calls:.3f} ITSM calls per "
                f"request, expected {expected}"
            )
        if row.gateway.non2xx or row.gateway.socket_errors:
            failures.append(
                f"{row.scenario.name} ({row.where}): "
                f"{row.gateway.non2xx} non-2xx, {row.gateway.socket_errors} socket errors"
            )
    return failures
