"""What ``bench.load`` runs (its command line: pairs, ITSMs, ``--quick``) and how it judges a
row against issue 15's targets (``bench/targets.py``) and B's CPU (``bench/report.py``)."""

from __future__ import annotations

import pytest

from bench.load import PAIRS, SLOW_PAIR, parse_matrix, parse_pairs
from bench.report import Row, table
from bench.scenarios import SCENARIOS
from bench.targets import verdicts
from bench.wrk import WrkResult


def test_pairs_are_latency_colon_connections() -> None:
    assert parse_pairs("0:16, 50:64,200:512") == ((0, 16), (50, 64), (200, 512))
    with pytest.raises(ValueError):
        parse_pairs("0x16")


def test_the_default_matrix_runs_the_slow_pair_on_the_stand_in_for_the_fetches_only() -> None:
    matrix, seconds = parse_matrix([])
    assert matrix.pairs == PAIRS and seconds == 3
    slow = {(itsm, scenario.name) for pair, itsm, scenario, _ in matrix.runs() if pair == SLOW_PAIR}
    assert slow == {("stand-in", "REST fetch 3 fields"), ("stand-in", "GraphQL fetch 3 fields")}
    others = {(itsm, s.name) for pair, itsm, s, _ in matrix.runs() if pair == (50, 64)}
    assert len(others) == 2 * len(SCENARIOS)


def test_quick_is_the_two_fetches_on_the_stand_in_at_two_pairs() -> None:
    matrix, _ = parse_matrix(["--quick"])
    runs = [(pair, itsm, s.name, credential) for pair, itsm, s, credential in matrix.runs()]
    assert runs == [
        (pair, "stand-in", name, "access")
        for pair in ((0, 16), (50, 64))
        for name in ("REST fetch 3 fields", "GraphQL fetch 3 fields")
    ]


def test_explicit_pairs_run_every_chosen_scenario_and_latencies_still_multiply() -> None:
    matrix, _ = parse_matrix(
        ["--pairs", "200:512", "--itsm", "emulator", "--scenarios", "REST create"]
    )
    assert next((p, i, s.name) for p, i, s, _ in matrix.runs()) == (
        (200, 512),
        "emulator",
        "REST create",
    )
    matrix, _ = parse_matrix(["--latencies", "0,50", "--connections", "64"])
    assert matrix.pairs == ((0, 64), (50, 64))
    with pytest.raises(SystemExit):
        parse_matrix(["--itsm", "jira"])


def _row(name: str, latency: int, conns: int, **measured: float) -> Row:
    scenario = next(s for s in SCENARIOS if s.name == name)
    gateway = WrkResult(int(measured.get("rps", 900)), 1.0, 0, 0, measured.get("p50", 52), 60)
    direct = WrkResult(1000, 1.0, 0, 0, measured.get("a_p50", 50), 55)
    return Row(
        scenario=scenario,
        credential="access",
        itsm="stand-in",
        latency_ms=latency,
        connections=conns,
        gateway=gateway,
        itsm_calls=1,
        itsm_calls_under_load=1,
        cpu_us=measured.get("cpu", 500),
        rss_mb=measured.get("rss", 100),
        direct=direct,
        direct_stages=1,
        direct_calls=1,
        bare=direct,
        bare_cpu_us=200,
    )


def test_each_target_says_met_or_by_how_much_it_missed() -> None:
    rows = [
        _row("REST fetch 3 fields", 0, 16, cpu=500),  # 2.5x B: met
        _row("GraphQL fetch 3 fields", 50, 64, cpu=1000, rps=850, p50=56),
        _row("REST fetch 3 fields", 200, 512, p50=204, a_p50=200, rss=250),
        _row("REST create", 0, 16, cpu=5000),  # no target
    ]
    found = {
        (r.scenario.name, r.latency_ms, t.label): verdict for r, t, _, verdict in verdicts(rows)
    }
    assert found == {
        ("REST fetch 3 fields", 0, "gw CPU / B CPU <= 2.5x"): "met",
        ("GraphQL fetch 3 fields", 50, "gw CPU / B CPU <= 4x"): "missed by 1.00x",
        ("GraphQL fetch 3 fields", 50, "req/s vs A >= 0.9"): "missed by 0.05",
        ("GraphQL fetch 3 fields", 50, "p50 - A p50 <= 5 ms"): "missed by 1.00 ms",
        ("REST fetch 3 fields", 200, "errors <= 0"): "met",
        ("REST fetch 3 fields", 200, "p50 - A p50 <= 5 ms"): "met",
        ("REST fetch 3 fields", 200, "peak RSS <= 200 MB"): "missed by 50.00 MB",
    }


def test_the_table_has_b_cpu_and_the_ratio_beside_the_gateway_cpu() -> None:
    header, _, line = table([_row("REST fetch 3 fields", 0, 16, cpu=700)])
    columns = [c.strip() for c in header.strip("|").split("|")]
    values = dict(zip(columns, (v.strip() for v in line.strip("|").split("|")), strict=True))
    assert values["gw CPU us/req"] == "700"
    assert values["B CPU us/req"] == "200"
    assert values["gw CPU / B CPU"] == "3.50"
    assert values["ITSM"] == "stand-in"
