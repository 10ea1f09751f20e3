"""Load test: the gateway beside its two baselines, in one run, one table.

    .venv/bin/python -m bench.load [--seconds 10] [--quick]

Starts, each in its own process group and pinned with ``taskset`` where the machine has 2+ cores:
the ServiceNow emulator (``python -m emulators.servicenow``) and the ITSM stand-in
(``bench.stand_in``), the gateway (``itsm-gateway serve`` configured through ``ITSM_GATEWAY_*``)
and the bare proxy (``bench.bare_proxy``) on one core, the ITSMs, ``wrk`` and this process (which
also serves the token issuer) on the others. Then, for each (ITSM latency, connections) pair and
each ITSM (the emulator, the stand-in), it runs with ``wrk``:

- every scenario through the gateway (with a plain access token, then an offline token), its
  connection's ``instanceUrl`` at the ITSM in use;
- baseline A, **direct**: the same ITSM calls straight at that ITSM;
- baseline B, **bare proxy**: an aiohttp handler making the same calls with ``ClientSession``.

"The same calls" are not written by hand: before the runs, each scenario is sent once through the
gateway to the emulator and the emulator's request log (``GET /_emulator/requests``) records what
it called. Those calls become baseline A's wrk script and baseline B's plan (the first call, then
the others together, as the gateway reads journal and SLA concurrently once it has the incident),
and, replayed once against the emulator, the stand-in's recorded answers (``bench.itsm``).

Before every wrk run the emulator is reseeded (``POST /_emulator/reset``; the latency and the 20
search incidents are set again), so creates do not grow the incident table under later runs. The
seeded sys_ids are fixed, so the recorded calls stay valid; each reset checks it.

Baseline A with several calls (all 25 fields: incident, then journal and SLA) cycles through them
in one wrk script, so its requests/s is calls/s divided by the calls per request and its p50 and
p99 are one call's times multiplied by the number of sequential stages: an estimate of the floor,
marked ``~`` in the table. With one call per request it is exact.

Columns (``bench.report``): requests/s, p50, p99 (wrk), ITSM calls per request (ITSM call count
delta / wrk requests), gateway and bare proxy CPU microseconds per request (``/proc/<pid>/stat``
utime+stime delta over the run / requests) and their ratio, the gateway's peak RSS so far
(``VmHWM``), non-2xx answers and socket errors, accept queue overflows, the baselines, the
gateway's throughput as a share of each baseline's, and its p50 minus direct p50. A second
table (``bench.targets``) says which of issue 15's targets each 3-field fetch row met, and by how
much it missed the others.

The tables are printed and written to ``bench/results/load-<date>.md`` (git-ignored). The run
fails (exit 1) if the ITSM calls per request are not the scenario's (1 for a 3-field fetch or a
search, 3 for all 25 fields), if the gateway answered anything but 2xx, or if the stand-in was
asked a call it has no recorded answer for.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import itertools
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp

from bench import report, targets
from bench.itsm import (
    EMULATOR,
    ITSMS,
    STAND_IN,
    Emulator,
    Itsm,
    StandInItsm,
    call_url,
    record_answers,
)
from bench.report import Row
from bench.scenarios import SCENARIOS, Scenario, gateway_request
from bench.wrk import HttpRequest, WrkResult, run_wrk
from emulators.token_issuer import DEFAULT_CLIENT_ID, TokenIssuer, serve

RESULTS = Path(__file__).parent / "results"
# The gateway queues calls to one instance beyond this, and keeps at most this many connections
# open: the defaults (20, 100) would measure the queue, not the gateway, at 64 and 512
# connections. Reported in the table's header.
MAX_CONCURRENCY_PER_INSTANCE = 1024
MAX_ITSM_CONNECTIONS = 1024

CREDENTIALS: tuple[str, ...] = ("access", "offline")
# (ITSM latency ms, connections): an instant ITSM and a realistic one, at 16 and 64 connections,
# and a slow instance under a busy UI.
PAIRS: tuple[tuple[int, int], ...] = ((0, 16), (50, 16), (0, 64), (50, 64), (200, 512))
# In the default matrix the slow pair runs these scenarios on these ITSMs only: at 512
# connections the emulator, not the gateway, would be what is measured.
SLOW_PAIR = (200, 512)
SLOW_PAIR_SCENARIOS = ("REST fetch 3 fields", "GraphQL fetch 3 fields")
SLOW_PAIR_ITSMS = (STAND_IN,)
# What --latencies and --connections combine when only one of them is given.
LATENCIES_MS: tuple[int, ...] = (0, 50)
CONNECTIONS: tuple[int, ...] = (16, 64)

QUICK_SCENARIOS = ("REST fetch 3 fields", "GraphQL fetch 3 fields")
QUICK_CREDENTIALS: tuple[str, ...] = ("access",)
QUICK_PAIRS: tuple[tuple[int, int], ...] = ((0, 16), (50, 64))
QUICK_ITSMS: tuple[str, ...] = (STAND_IN,)
# Long enough for thousands of requests per run at 50 ms and 16 connections, short enough for
# the whole matrix to finish in reasonable time on two cores.
DEFAULT_SECONDS = 3


@dataclass(frozen=True)
class Cores:
    """Where each process runs: ``server`` for the gateway and bare proxy, ``load`` for the
    rest; both None when there are too few cores to separate them."""

    server: str | None
    load: str | None

    @classmethod
    def plan(cls) -> Cores:
        cpus = sorted(os.sched_getaffinity(0))
        if len(cpus) < 2:
            return cls(None, None)
        return cls(str(cpus[0]), ",".join(str(c) for c in cpus[1:]))

    def describe(self) -> str:
        if self.server is None:
            return "not pinned (one core)"
        return (
            f"gateway and bare proxy on CPU {self.server}; emulator, stand-in, wrk, issuer on "
            f"{self.load}"
        )


@dataclass(frozen=True)
class Matrix:
    """What one run measures; ``runs`` is every (pair, ITSM, scenario, credential) in order."""

    scenarios: tuple[Scenario, ...]
    credentials: tuple[str, ...]
    pairs: tuple[tuple[int, int], ...]
    itsms: tuple[str, ...]
    slow_pair_limited: bool  # the default pairs: the slow pair runs SLOW_PAIR_* only

    def runs(self) -> Iterator[tuple[tuple[int, int], str, Scenario, str]]:
        for pair in self.pairs:
            for itsm in self.itsms:
                if self.slow_pair_limited and pair == SLOW_PAIR and itsm not in SLOW_PAIR_ITSMS:
                    continue
                for scenario in self.scenarios:
                    limited = self.slow_pair_limited and pair == SLOW_PAIR
                    if limited and scenario.name not in SLOW_PAIR_SCENARIOS:
                        continue
                    for credential in self.credentials:
                        yield pair, itsm, scenario, credential


def parse_pairs(text: str) -> tuple[tuple[int, int], ...]:
    """``0:16,50:64`` -> ((0, 16), (50, 64)); ``ValueError`` when malformed."""
    pairs = []
    for item in text.split(","):
        latency, sep, conns = item.strip().partition(":")
        if not sep:
            raise ValueError(f"{item!r} is not latency:connections")
        pairs.append((int(latency), int(conns)))
    return tuple(pairs)


def parse_matrix(argv: list[str] | None = None) -> tuple[Matrix, int]:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__)
    parser.add_argument("--seconds", type=int, default=DEFAULT_SECONDS, help="per wrk run")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="REST and GraphQL fetch 3 fields on the stand-in at 0 ms/16 and 50 ms/64 conns",
    )
    parser.add_argument("--scenarios", help="comma-separated scenario names (default: all)")
    parser.add_argument(
        "--pairs",
        help="ITSM latency ms:connections pairs, e.g. 0:16,50:64 (default: "
        + ",".join(f"{lat}:{conns}" for lat, conns in PAIRS)
        + ")",
    )
    parser.add_argument("--latencies", help="ITSM latencies in ms, e.g. 0,50 (x --connections)")
    parser.add_argument("--connections", help="connection counts, e.g. 16,64 (x --latencies)")
    parser.add_argument("--itsm", help="emulator, stand-in or both (default: both)")
    parser.add_argument("--credentials", help="access, offline or both (default: both)")
    args = parser.parse_args(argv)
    scenarios, credentials, pairs, itsms = SCENARIOS, CREDENTIALS, PAIRS, ITSMS
    limited = True
    if args.quick:
        scenarios = tuple(s for s in SCENARIOS if s.name in QUICK_SCENARIOS)
        credentials, pairs, itsms, limited = QUICK_CREDENTIALS, QUICK_PAIRS, QUICK_ITSMS, False
    if args.scenarios:
        names = [name.strip() for name in args.scenarios.split(",")]
        unknown = set(names) - {s.name for s in SCENARIOS}
        if unknown:
            parser.error(
                f"unknown scenarios {sorted(unknown)}; known: {[s.name for s in SCENARIOS]}"
            )
        scenarios = tuple(s for s in SCENARIOS if s.name in names)
    if args.pairs and (args.latencies or args.connections):
        parser.error("--pairs, or --latencies and --connections, not both")
    if args.pairs:
        try:
            pairs, limited = parse_pairs(args.pairs), False
        except ValueError as exc:
            parser.error(f"--pairs: {exc}")
    elif args.latencies or args.connections:
        latencies = _ints(args.latencies) or LATENCIES_MS
        connections = _ints(args.connections) or CONNECTIONS
        pairs, limited = tuple(itertools.product(latencies, connections)), False
    if args.itsm:
        itsms = tuple(v.strip() for v in args.itsm.split(","))
        if set(itsms) - set(ITSMS):
            parser.error(f"--itsm: one or more of {', '.join(ITSMS)}")
    if args.credentials:
        credentials = tuple(v.strip() for v in args.credentials.split(","))
    return Matrix(scenarios, credentials, pairs, itsms, limited), args.seconds


def _ints(text: str | None) -> tuple[int, ...]:
    return tuple(int(v) for v in text.split(",")) if text else ()


def main() -> int:
    if shutil.which("wrk") is None:
        print("bench.load needs wrk (Debian: apt-get install wrk; `make bench` does it as root)")
        return 2
    matrix, seconds = parse_matrix()
    return asyncio.run(_main(matrix, seconds))


async def _main(matrix: Matrix, seconds: int) -> int:
    cores = Cores.plan()
    issuer = TokenIssuer()
    issuer_runner = await serve(issuer)
    with tempfile.TemporaryDirectory(prefix="bench-load-") as tmp, _processes() as start:
        work = Path(tmp)
        if cores.load is not None:
            os.sched_setaffinity(0, {int(c) for c in cores.load.split(",")})
        emulator_port, gateway_port, bare_port = _free_port(), _free_port(), _free_port()
        stand_in_port, workers_port = _free_port(), _free_port()
        emulator_url = f"http://127.0.0.1:{emulator_port}"
        gateway = f"http://127.0.0.1:{gateway_port}"
        bare = f"http://127.0.0.1:{bare_port}"
        emulator_pid = start(
            [sys.executable, "-m", "emulators.servicenow", "--port", str(emulator_port)],
            cores.load,
            work / "emulator.log",
        )
        gateway_pid = start(
            [_gateway_command(), "serve"],
            cores.server,
            work / "gateway.log",
            env=_gateway_env(issuer, gateway_port),
        )
        workers_pid = start(
            [_gateway_command(), "serve", "--workers", "2"],
            None,
            work / "gateway-workers.log",
            env=_gateway_env(issuer, workers_port),
        )
        async with aiohttp.ClientSession() as http:
            await _wait(http, f"{emulator_url}/_emulator/faults")
            await _wait(http, f"{gateway}/readyz")
            await _wait(http, f"http://127.0.0.1:{workers_port}/readyz")
            emulator = Emulator(http, emulator_url, emulator_pid)
            bench = _Bench(http, issuer, emulator, gateway, bare, work, seconds, cores)
            await bench.discover(matrix.scenarios, record=STAND_IN in matrix.itsms)
            if STAND_IN in matrix.itsms:
                (work / "answers.json").write_text(json.dumps(bench.answers))
                stand_in_url = f"http://127.0.0.1:{stand_in_port}"
                stand_in_pid = start(
                    [
                        *(sys.executable, "-m", "bench.stand_in", "--port", str(stand_in_port)),
                        *("--answers", str(work / "answers.json")),
                    ],
                    cores.load,
                    work / "stand-in.log",
                )
                await _wait(http, f"{stand_in_url}/_stand_in/calls")
                bench.itsms[STAND_IN] = StandInItsm(http, stand_in_url, stand_in_pid)
            (work / "plans.json").write_text(json.dumps(bench.bare_plans()))
            bare_pid = start(
                [
                    *(sys.executable, "-m", "bench.bare_proxy", "--port", str(bare_port)),
                    *("--plans", str(work / "plans.json")),
                ],
                cores.server,
                work / "bare.log",
            )
            await _wait(http, f"{bare}/plan/-", ok=(405,))  # up: GET is not its method
            bench.bare_pid = bare_pid
            bench.gateways = {
                1: (gateway, gateway_pid),
                2: (f"http://127.0.0.1:{workers_port}", workers_pid),
            }
            bench.servers = [gateway_pid, bare_pid, workers_pid]
            bench.servers += [itsm.pid for itsm in bench.itsms.values()]
            rows: list[Row] = []
            latency = None
            for pair, itsm, scenario, credential in matrix.runs():
                if pair[0] != latency:
                    latency = pair[0]
                    for each in bench.itsms.values():
                        await each.set_latency(latency)
                row = await bench.row(scenario, credential, bench.itsms[itsm], *pair)
                rows.append(row)
                print(report.line(row), flush=True)
            unknown = await bench.unknown_calls()
    await issuer_runner.cleanup()
    text = _report(rows, seconds, cores, bench.stand_in_cpu)
    print(text)
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"load-{dt.datetime.now(dt.UTC):%Y-%m-%dT%H%M}.md"
    path.write_text(text)
    print(f"written to {path}")
    failures = report.check(rows)
    failures += [f"the stand-in had no answer for {n} x {call}" for call, n in unknown.items()]
    for failure in failures:
        print(f"CHECK FAILED: {failure}")
    return 1 if failures else 0


def _report(rows: list[Row], seconds: float, cores: Cores, stand_in_cpu: list[float]) -> str:
    cpu = f"{min(stand_in_cpu):.0f}-{max(stand_in_cpu):.0f} us" if stand_in_cpu else "not measured"
    lines = [
        report.title(),
        "",
        report.header_line(
            seconds, cores.describe(), MAX_CONCURRENCY_PER_INSTANCE, MAX_ITSM_CONNECTIONS, cpu
        ),
        "",
        *report.table(rows),
    ]
    target_lines = targets.table(rows)
    if target_lines:
        lines += ["", "### Issue 15's targets (informative: they do not change the exit code)", ""]
        lines += target_lines
    return "\n".join(lines) + "\n"


class _Bench:
    def __init__(
        self,
        http: aiohttp.ClientSession,
        issuer: TokenIssuer,
        emulator: Emulator,
        gateway: str,
        bare: str,
        work: Path,
        seconds: int,
        cores: Cores,
    ) -> None:
        self.http, self.issuer, self.emulator = http, issuer, emulator
        self.gateway, self.bare = gateway, bare
        self.work, self.seconds, self.cores = work, seconds, cores
        self.access_token = issuer.mint("bench", lifetime=24 * 3600)
        self.offline_token = issuer.mint_offline("bench")
        self.itsms: dict[str, Itsm] = {EMULATOR: emulator}
        self.plans: dict[Scenario, list[list[dict[str, Any]]]] = {}  # logged calls, by stage
        self.answers: list[dict[str, Any]] = []  # the stand-in's
        # (plan, latency, conns, ITSM) -> (A's result, B's result, B's CPU us per request)
        self._baselines: dict[tuple[str, int, int, str], tuple[WrkResult, WrkResult, float]] = {}
        self.stand_in_cpu: list[float] = []  # the stand-in's CPU us per call, per A run on it
        self._runs = 0
        self.servers: list[int] = []  # pids to wait for before each run (see _settle)
        self.gateways: dict[int, tuple[str, int]] = {}  # workers -> (URL, pid)
        self.bare_pid = 0

    async def discover(self, scenarios: tuple[Scenario, ...], record: bool) -> None:
        """Send each scenario twice through the gateway to the emulator and keep the calls the
        second one made: the first may also fill the gateway's per-instance caches (choice
        lists, people), calls a steady run does not make and the baselines must not repeat.
        With ``record``, both sendings' calls are replayed once for the stand-in's answers
        (it must answer the cache fills too: the gateway makes them again for its URL)."""
        recorded: dict[tuple[str, str, str], dict[str, Any]] = {}
        for scenario in scenarios:
            await self.emulator.reset()
            for _ in range(2):  # see above: the second sending is the steady one
                await self.emulator.clear_log()
                request = self.request(scenario, "access", self.emulator)
                status, body = await self._send(self.gateway, request)
                failed = scenario.door == "graphql" and '"errors"' in body
                if not 200 <= status < 300 or failed:
                    raise RuntimeError(f"{scenario.name}: gateway answered {status}: {body[:500]}")
                calls = await self.emulator.log()
                if record:
                    # Now, in the state the gateway saw (a create's row is there, for instance).
                    await record_answers(self.http, self.emulator.url, calls, recorded)
            if not calls:
                raise RuntimeError(f"{scenario.name}: the gateway called no ITSM")
            self.plans[scenario] = [calls[:1], calls[1:]] if len(calls) > 1 else [calls]
        self.answers = list(recorded.values())
        await self.emulator.reset()

    def bare_plans(self) -> dict[str, list[list[dict[str, Any]]]]:
        """B's plans, one per scenario's calls and ITSM, each at that ITSM's URL."""
        plans = {}
        for stages in self.plans.values():
            for itsm in self.itsms.values():
                plans[_plan_name(stages, itsm.name)] = [
                    [
                        {"method": c["method"], "url": call_url(itsm.url, c), "body": c["json"]}
                        for c in stage
                    ]
                    for stage in stages
                ]
        return plans

    def request(self, scenario: Scenario, credential: str, itsm: Itsm) -> HttpRequest:
        token = self.access_token if credential == "access" else self.offline_token
        return gateway_request(scenario, credential, token, itsm.url, self.emulator.sys_id)

    async def row(
        self, scenario: Scenario, credential: str, itsm: Itsm, latency: int, conns: int
    ) -> Row:
        stages = self.plans[scenario]
        direct, bare, bare_cpu_us = await self._baseline(stages, itsm, latency, conns)
        request = self.request(scenario, credential, itsm)
        gateway, parent = self.gateways[scenario.workers]
        await self._send(gateway, request)  # warm-up: an offline exchange, a connection
        pids = _process_tree(parent)
        overflows = _listen_overflows()
        result, cpu = await self._measured_wrk(gateway, [request], conns, itsm, pids)
        overflows = _listen_overflows() - overflows
        calls = await itsm.calls()
        requests = max(result.requests, 1)
        exact = await self._calls_per_request(gateway, request, itsm)
        return Row(
            scenario=scenario,
            credential=credential,
            itsm=itsm.name,
            latency_ms=latency,
            connections=conns,
            gateway=result,
            itsm_calls=exact,
            itsm_calls_under_load=calls / requests,
            cpu_us=cpu * 1e6 / requests,
            rss_mb=max(_peak_rss_mb(pid) for pid in pids),
            direct=direct,
            direct_stages=len(stages),
            direct_calls=sum(len(stage) for stage in stages),
            bare=bare,
            bare_cpu_us=bare_cpu_us,
            listen_overflows=overflows,
        )

    async def unknown_calls(self) -> dict[str, int]:
        stand_in = self.itsms.get(STAND_IN)
        return await stand_in.unknown() if isinstance(stand_in, StandInItsm) else {}

    async def _settle(self, idle: float = 0.05, limit_s: float = 60) -> None:
        """Wait until the servers are idle (under ``idle`` of a core over 0.5 s): when wrk stops,
        an overloaded server still has a backlog, whose CPU and ITSM calls would otherwise be
        counted in the next run."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + limit_s
        while loop.time() < deadline:
            pids = [p for server in self.servers for p in _process_tree(server)]
            before = sum(_cpu_seconds(pid) for pid in pids)
            await asyncio.sleep(0.5)
            if sum(_cpu_seconds(pid) for pid in pids) - before < idle * 0.5:
                return
        print(f"warning: servers still busy after {limit_s:g} s", flush=True)

    async def _calls_per_request(
        self, gateway: str, request: HttpRequest, itsm: Itsm, samples: int = 20
    ) -> float:
        """Calls per request without the error of the requests wrk left in flight (their calls
        reach the ITSM's count, but wrk does not count them): a few requests, one at a time."""
        await self._settle()
        await itsm.clear_log()
        for _ in range(samples):
            await self._send(gateway, request)
        return await itsm.calls() / samples

    async def _baseline(
        self, stages: list[list[dict[str, Any]]], itsm: Itsm, latency: int, conns: int
    ) -> tuple[WrkResult, WrkResult, float]:
        name = _plan_name(stages, itsm.name)
        key = (name, latency, conns, itsm.name)
        if key not in self._baselines:
            calls = [_direct_request(call) for stage in stages for call in stage]
            direct, itsm_cpu = await self._measured_wrk(itsm.url, calls, conns, itsm, [itsm.pid])
            if isinstance(itsm, StandInItsm) and direct.requests:
                self.stand_in_cpu.append(itsm_cpu * 1e6 / direct.requests)
            plan = [HttpRequest("POST", f"/plan/{name}")]
            bare, cpu = await self._measured_wrk(self.bare, plan, conns, itsm, [self.bare_pid])
            self._baselines[key] = (direct, bare, cpu * 1e6 / max(bare.requests, 1))
        return self._baselines[key]

    async def _measured_wrk(
        self, base: str, requests: list[HttpRequest], conns: int, itsm: Itsm, pids: list[int]
    ) -> tuple[WrkResult, float]:
        """One wrk run on a freshly reset ITSM, and the CPU seconds ``pids`` spent during it."""
        await self._settle()
        await itsm.reset()
        self._runs += 1
        before = sum(_cpu_seconds(pid) for pid in pids)
        result = await run_wrk(
            base,
            requests,
            connections=conns,
            seconds=self.seconds,
            script_dir=self.work,
            name=f"run{self._runs}",
            cpus=self.cores.load,
        )
        return result, sum(_cpu_seconds(pid) for pid in pids) - before

    async def _send(self, base: str, request: HttpRequest) -> tuple[int, str]:
        async with self.http.request(
            request.method, base + request.path, headers=request.headers, data=request.body
        ) as response:
            return response.status, await response.text()


def _direct_request(call: dict[str, Any]) -> HttpRequest:
    from bench.bare_proxy import BASIC

    headers = {"Authorization": BASIC, "Accept": "application/json"}
    body = None
    if call["json"] is not None:
        headers["Content-Type"] = "application/json"
        body = json.dumps(call["json"])
    return HttpRequest(call["method"], f"{call['path']}?{urlencode(call['query'])}", headers, body)


def _plan_name(stages: list[list[dict[str, Any]]], itsm: str) -> str:
    return f"{itsm}-{abs(hash(json.dumps(stages, sort_keys=True))) % 10**8}"


@contextmanager
def _processes() -> Iterator[Any]:
    """``start(command, cpus, log, env=None) -> pid``; every process group is stopped on exit."""
    started: list[subprocess.Popen[bytes]] = []

    def start(
        command: list[str], cpus: str | None, log: Path, env: dict[str, str] | None = None
    ) -> int:
        if cpus is not None:
            command = ["taskset", "-c", cpus, *command]  # taskset execs: the pid stays
        with log.open("wb") as out:
            process = subprocess.Popen(  # noqa: S603 - commands built here, not input
                command, stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True
            )
        started.append(process)
        return process.pid

    try:
        yield start
    finally:
        for process in reversed(started):
            _stop(process)


def _stop(process: subprocess.Popen[bytes]) -> None:
    for sig, wait in ((signal.SIGTERM, 5.0), (signal.SIGKILL, 5.0)):
        if process.poll() is not None:
            return
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(wait)
        except subprocess.TimeoutExpired:
            continue


def _gateway_command() -> str:
    script = Path(sys.executable).parent / "itsm-gateway"
    if not script.exists():
        raise SystemExit(f"{script} not found: install the project (pip install -e .)")
    return str(script)


def _gateway_env(issuer: TokenIssuer, port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ITSM_GATEWAY_")}
    assert issuer.issuer is not None
    env.update(
        {
            "ITSM_GATEWAY_HOST": "127.0.0.1",
            "ITSM_GATEWAY_PORT": str(port),
            "ITSM_GATEWAY_KEYCLOAK_ISSUER": issuer.issuer,
            "ITSM_GATEWAY_KEYCLOAK_AUDIENCE": issuer.audience,
            "ITSM_GATEWAY_KEYCLOAK_CLIENTS": DEFAULT_CLIENT_ID,
            "ITSM_GATEWAY_ITSM_ALLOWED_URLS": "http://127.0.0.1:*",
            "ITSM_GATEWAY_LOG_LEVEL": "WARNING",
            "ITSM_GATEWAY_ITSM_MAX_CONCURRENCY_PER_INSTANCE": str(MAX_CONCURRENCY_PER_INSTANCE),
            "ITSM_GATEWAY_ITSM_MAX_CONNECTIONS": str(MAX_ITSM_CONNECTIONS),
            # One token drives thousands of requests a second here: the per-caller rate
            # (100 a second by default) would answer most of them 429.
            "ITSM_GATEWAY_CALLER_REQUESTS_PER_MINUTE": "0",
        }
    )
    return env


async def _wait(http: aiohttp.ClientSession, url: str, ok: tuple[int, ...] = (200,)) -> None:
    for _ in range(300):
        try:
            async with http.get(url) as response:
                if response.status in ok:
                    return
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.05)
    raise RuntimeError(f"{url} did not come up")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _listen_overflows() -> int:
    """The kernel's count of connections dropped because a listening socket's accept queue was
    full (``TcpExt: ListenOverflows``, for the whole network namespace): when wrk opens hundreds
    of connections at once, a server listening with a short backlog makes some of them wait for
    a SYN retransmission (1 s, then 3 s), which shows as latency, not as a socket error."""
    lines = [line.split() for line in Path("/proc/net/netstat").read_text().splitlines()]
    for names, values in itertools.pairwise(lines):
        if names[0] == values[0] == "TcpExt:" and "ListenOverflows" in names:
            return int(values[names.index("ListenOverflows")])
    return 0


def _cpu_seconds(pid: int) -> float:
    # Fields after the command name (which may hold spaces): utime and stime are the 12th, 13th.
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _process_tree(pid: int) -> list[int]:
    """``pid`` and its children (the workers of ``serve --workers``)."""
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return [pid, *(int(child) for child in children)]


def _peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


if __name__ == "__main__":
    sys.exit(main())
