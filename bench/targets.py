"""Issue 15's targets, checked against the rows of one ``bench.load`` run.

Each target applies to the one-worker 3-field fetches (REST and GraphQL) at one (latency,
connections) pair; a row of that kind gets one verdict per target: "met", or "missed by" how far
it is from the bound. The verdicts are printed as a second table; they never change the exit
code (that stays the ITSM calls per request and non-2xx check of ``bench.report``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bench.report import Row

REST_FETCH = "REST fetch 3 fields"
GRAPHQL_FETCH = "GraphQL fetch 3 fields"


@dataclass(frozen=True)
class Target:
    scenario: str
    pairs: tuple[tuple[int, int], ...]  # (ITSM latency ms, connections)
    what: str  # the measure, as the table names it
    measure: Callable[[Row], float]
    bound: float
    at_most: bool  # True: the measure must be <= bound; False: >= bound
    unit: str = ""

    def verdict(self, value: float) -> str:
        short = value - self.bound if self.at_most else self.bound - value
        if short <= 0:
            return "met"
        return f"missed by {short:.2f}{self.unit}"

    @property
    def label(self) -> str:
        return f"{self.what} {'<=' if self.at_most else '>='} {self.bound:g}{self.unit}"


def _cpu_ratio(row: Row) -> float:
    return row.cpu_ratio


def _vs_direct(row: Row) -> float:
    return row.gateway.rps / row.direct_rps


def _p50_over_direct(row: Row) -> float:
    return row.gateway.p50_ms - row.direct_p50_ms


def _errors(row: Row) -> float:
    return row.gateway.non2xx + row.gateway.socket_errors


def _rss(row: Row) -> float:
    return row.rss_mb


_CPU_PAIRS = ((0, 16), (50, 64))
_BUSY = ((50, 64),)
_SLOW = ((200, 512),)
TARGETS: tuple[Target, ...] = (
    Target(REST_FETCH, _CPU_PAIRS, "gw CPU / B CPU", _cpu_ratio, 2.5, True, "x"),
    Target(GRAPHQL_FETCH, _CPU_PAIRS, "gw CPU / B CPU", _cpu_ratio, 4, True, "x"),
    Target(REST_FETCH, _BUSY, "req/s vs A", _vs_direct, 0.95, False),
    Target(GRAPHQL_FETCH, _BUSY, "req/s vs A", _vs_direct, 0.90, False),
    Target(REST_FETCH, _BUSY, "p50 - A p50", _p50_over_direct, 3, True, " ms"),
    Target(GRAPHQL_FETCH, _BUSY, "p50 - A p50", _p50_over_direct, 5, True, " ms"),
    *(
        target
        for name in (REST_FETCH, GRAPHQL_FETCH)
        for target in (
            Target(name, _SLOW, "errors", _errors, 0, True),
            Target(name, _SLOW, "p50 - A p50", _p50_over_direct, 5, True, " ms"),
            Target(name, _SLOW, "peak RSS", _rss, 200, True, " MB"),
        )
    ),
)


def verdicts(
    rows: list[Row], targets: tuple[Target, ...] = TARGETS
) -> list[tuple[Row, Target, float, str]]:
    """(row, target, measured value, verdict) for every target that applies to a row."""
    found = []
    for row in rows:
        pair = (row.latency_ms, row.connections)
        for target in targets:
            if target.scenario == row.scenario.name and pair in target.pairs:
                value = target.measure(row)
                found.append((row, target, value, target.verdict(value)))
    return found


def table(rows: list[Row]) -> list[str]:
    """The targets table (empty when no row has a target: e.g. only creates were run)."""
    found = verdicts(rows)
    if not found:
        return []
    lines = [
        "| scenario | token | ITSM | ITSM ms | conns | target | measured | verdict |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row, target, value, verdict in found:
        lines.append(
            f"| {row.scenario.name} | {row.credential} | {row.itsm} | {row.latency_ms} "
            f"| {row.connections} | {target.label} | {value:.2f}{target.unit} | {verdict} |"
        )
    return lines
