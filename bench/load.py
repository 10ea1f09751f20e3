"""Load test: the gateway beside its two baselines, in one run, one table.

    .venv/bin/python -m bench.load [--seconds 10] [--quick]

Starts, each in its own process group and pinned with ``taskset`` where the machine has 2+ cores:
the ServiceNow emulator (``python -m emulators.servicenow``), the gateway (``itsm-gateway serve``
configured through ``ITSM_GATEWAY_*``) and the bare proxy (``bench.bare_proxy``) on one core, the
emulator, ``wrk`` and this process (which also serves the token issuer) on the others. Then, for
each emulator latency and connection count, it runs with ``wrk``:

- every scenario through the gateway (with a plain access token, then an offline token);
- baseline A, **direct**: the same ServiceNow calls straight at the emulator;
- baseline B, **bare proxy**: an aiohttp handler making the same calls with ``ClientSession``.

"The same calls" are not written by hand: before the runs, each scenario is sent once through the
gateway and the emulator's request log (``GET /_emulator/requests``) records what it called. Those
calls become baseline A's wrk script and baseline B's plan: the first call, then the others
together (as the gateway reads journal and SLA concurrently once it has the incident).

Before every wrk run the emulator is reseeded (``POST /_emulator/reset``; the latency is set again),
so creates do not grow the incident table under later runs. The seeded sys_ids are fixed, so the
recorded calls stay valid; each reset checks it.

Baseline A with several calls (all 25 fields: incident, then journal and SLA) cycles through them
in one wrk script, so its requests/s is calls/s divided by the calls per request and its p50 and
p99 are one call's times multiplied by the number of sequential stages: an estimate of the floor,
marked ``~`` in the table. With one call per request it is exact.

Columns: requests/s, p50, p99 (wrk), ITSM calls per request (emulator log delta / wrk requests),
gateway CPU microseconds per request (``/proc/<pid>/stat`` utime+stime delta / requests), the
gateway's peak RSS so far (``VmHWM``), non-2xx answers and socket errors, the baselines, and the
gateway's throughput as a share of each baseline's, and its p50 minus direct p50.

The table is printed and written to ``bench/results/load-<date>.md`` (git-ignored). The run fails
(exit 1) if the ITSM calls per request are not 1 for a 3-field fetch and 3 for all 25 fields.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
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

from bench.wrk import HttpRequest, WrkResult, run_wrk
from connectors.fields import DEFAULT_FIELD_NAMES
from emulators.token_issuer import DEFAULT_CLIENT_ID, TokenIssuer, serve

RESULTS = Path(__file__).parent / "results"
THREE_FIELDS = ("ticketNumber", "ticketStatus", "shortDescription")
ALL_FIELDS = tuple(DEFAULT_FIELD_NAMES)  # the contract's original 25
NUMBER = "INC0010001"
# Sub-selections of the list fields in GraphQL.
_OBJECT_FIELDS = {
    "comments": "{ comment commentBy commentTime }",
    "workNotes": "{ workNote workNoteBy workNoteTime }",
    "closureNotes": "{ closureNote closureNoteBy closureNoteTime }",
}
# The gateway queues calls to one instance beyond this; the default (20) would measure the
# queue, not the gateway, at 64 connections. Reported in the table's header.
MAX_CONCURRENCY_PER_INSTANCE = 256


@dataclass(frozen=True)
class Scenario:
    name: str
    door: str  # "rest" or "graphql"
    operation: str  # "fetch", "create" or "update"
    fields: tuple[str, ...]
    expected_calls: int | None = None  # checked: ITSM calls per gateway request
    workers: int = 1  # gateway processes (``serve --workers``)


SCENARIOS: tuple[Scenario, ...] = (
    Scenario("REST fetch 3 fields", "rest", "fetch", THREE_FIELDS, expected_calls=1),
    Scenario("REST fetch all 25", "rest", "fetch", ALL_FIELDS, expected_calls=3),
    Scenario("GraphQL fetch 3 fields", "graphql", "fetch", THREE_FIELDS, expected_calls=1),
    Scenario("GraphQL fetch all 25", "graphql", "fetch", ALL_FIELDS, expected_calls=3),
    Scenario("REST create", "rest", "create", THREE_FIELDS),
    Scenario("REST update", "rest", "update", THREE_FIELDS),
    Scenario("GraphQL create", "graphql", "create", THREE_FIELDS),
    Scenario("GraphQL update", "graphql", "update", THREE_FIELDS),
    # The same as the first and third, through `serve --workers 2` (not pinned: both cores).
    Scenario("REST fetch 3 fields (2 workers)", "rest", "fetch", THREE_FIELDS, 1, workers=2),
    Scenario("GraphQL fetch 3 fields (2 workers)", "graphql", "fetch", THREE_FIELDS, 1, workers=2),
)
CREDENTIALS: tuple[str, ...] = ("access", "offline")
LATENCIES_MS: tuple[int, ...] = (0, 50)
CONNECTIONS: tuple[int, ...] = (16, 64)

QUICK_SCENARIOS = ("REST fetch 3 fields", "REST fetch all 25", "GraphQL fetch 3 fields")
QUICK_CREDENTIALS: tuple[str, ...] = ("access",)
QUICK_CONNECTIONS: tuple[int, ...] = (16,)
# Long enough for thousands of requests per run at 50 ms and 16 connections, short enough for
# the whole matrix to finish in under ten minutes on two cores.
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
        return f"gateway and bare proxy on CPU {self.server}; emulator, wrk, issuer on {self.load}"


@dataclass
class Row:
    scenario: Scenario
    credential: str
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


def main() -> int:
    if shutil.which("wrk") is None:
        print("bench.load needs wrk (Debian: apt-get install wrk; `make bench` does it as root)")
        return 2
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__)
    parser.add_argument("--seconds", type=int, default=DEFAULT_SECONDS, help="per wrk run")
    parser.add_argument("--quick", action="store_true", help="a small subset, about 1.5 minutes")
    parser.add_argument("--scenarios", help="comma-separated scenario names (default: all)")
    parser.add_argument("--latencies", help="emulator latencies in ms, e.g. 0,50")
    parser.add_argument("--connections", help="connection counts, e.g. 16,64")
    parser.add_argument("--credentials", help="access, offline or both (default: both)")
    args = parser.parse_args()
    scenarios, credentials, latencies, connections = (
        SCENARIOS,
        CREDENTIALS,
        LATENCIES_MS,
        CONNECTIONS,
    )
    seconds = args.seconds
    if args.quick:
        scenarios = tuple(s for s in SCENARIOS if s.name in QUICK_SCENARIOS)
        credentials, connections = QUICK_CREDENTIALS, QUICK_CONNECTIONS
    if args.scenarios:
        names = [name.strip() for name in args.scenarios.split(",")]
        unknown = set(names) - {s.name for s in SCENARIOS}
        if unknown:
            parser.error(
                f"unknown scenarios {sorted(unknown)}; known: {[s.name for s in SCENARIOS]}"
            )
        scenarios = tuple(s for s in SCENARIOS if s.name in names)
    if args.latencies:
        latencies = tuple(int(v) for v in args.latencies.split(","))
    if args.connections:
        connections = tuple(int(v) for v in args.connections.split(","))
    if args.credentials:
        credentials = tuple(v.strip() for v in args.credentials.split(","))
    return asyncio.run(_main(scenarios, credentials, latencies, connections, seconds))


async def _main(
    scenarios: tuple[Scenario, ...],
    credentials: tuple[str, ...],
    latencies: tuple[int, ...],
    connections: tuple[int, ...],
    seconds: int,
) -> int:
    cores = Cores.plan()
    issuer = TokenIssuer()
    issuer_runner = await serve(issuer)
    with tempfile.TemporaryDirectory(prefix="bench-load-") as tmp, _processes() as start:
        work = Path(tmp)
        if cores.load is not None:
            os.sched_setaffinity(0, {int(c) for c in cores.load.split(",")})
        emulator_port, gateway_port, bare_port = _free_port(), _free_port(), _free_port()
        emulator = f"http://127.0.0.1:{emulator_port}"
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
        workers_port = _free_port()
        workers_pid = start(
            [_gateway_command(), "serve", "--workers", "2"],
            None,
            work / "gateway-workers.log",
            env=_gateway_env(issuer, workers_port),
        )
        async with aiohttp.ClientSession() as http:
            await _wait(http, f"{emulator}/_emulator/faults")
            await _wait(http, f"{gateway}/readyz")
            await _wait(http, f"http://127.0.0.1:{workers_port}/readyz")
            bench = _Bench(http, issuer, emulator, gateway, bare, work, seconds, cores)
            await bench.discover(scenarios)
            (work / "plans.json").write_text(json.dumps(bench.bare_plans()))
            bare_pid = start(
                [
                    sys.executable,
                    "-m",
                    "bench.bare_proxy",
                    "--port",
                    str(bare_port),
                    "--plans",
                    str(work / "plans.json"),
                ],
                cores.server,
                work / "bare.log",
            )
            await _wait(http, f"{bare}/plan/-", ok=(405,))  # up: GET is not its method
            bench.gateways = {
                1: (gateway, gateway_pid),
                2: (f"http://127.0.0.1:{workers_port}", workers_pid),
            }
            bench.servers = [emulator_pid, gateway_pid, bare_pid, workers_pid]
            rows: list[Row] = []
            for latency in latencies:
                await bench.set_latency(latency)
                for conns in connections:
                    for scenario in scenarios:
                        for credential in credentials:
                            row = await bench.row(scenario, credential, latency, conns)
                            rows.append(row)
                            print(_line(row), flush=True)
    await issuer_runner.cleanup()
    report = _report(rows, seconds, cores)
    print(report)
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"load-{dt.datetime.now(dt.UTC):%Y-%m-%dT%H%M}.md"
    path.write_text(report)
    print(f"written to {path}")
    failures = _check(rows)
    for failure in failures:
        print(f"CHECK FAILED: {failure}")
    return 1 if failures else 0


class _Bench:
    def __init__(
        self,
        http: aiohttp.ClientSession,
        issuer: TokenIssuer,
        emulator: str,
        gateway: str,
        bare: str,
        work: Path,
        seconds: int,
        cores: Cores,
    ) -> None:
        self.http, self.issuer = http, issuer
        self.emulator, self.gateway, self.bare = emulator, gateway, bare
        self.work, self.seconds, self.cores = work, seconds, cores
        self.access_token = issuer.mint("bench", lifetime=24 * 3600)
        self.offline_token = issuer.mint_offline("bench")
        self.sys_id = ""
        self.latency_ms = 0  # re-applied after each reset (a reset clears the faults)
        self.plans: dict[Scenario, list[list[dict[str, Any]]]] = {}
        self._baselines: dict[tuple[str, int, int], tuple[WrkResult, WrkResult]] = {}
        self._runs = 0
        self.servers: list[int] = []  # pids to wait for before each run (see _settle)
        self.gateways: dict[int, tuple[str, int]] = {}  # workers -> (URL, pid)

    async def discover(self, scenarios: tuple[Scenario, ...]) -> None:
        """Send each scenario once and keep the emulator calls it made."""
        self.sys_id = await self._seeded_sys_id()
        for scenario in scenarios:
            await self.reset()
            request = self.gateway_request(scenario, "access")
            status, body = await self._send(self.gateway, request)
            if not 200 <= status < 300 or (scenario.door == "graphql" and '"errors"' in body):
                raise RuntimeError(f"{scenario.name}: gateway answered {status}: {body[:500]}")
            calls = [
                {
                    "method": r["method"],
                    "url": f"{self.emulator}{r['path']}?{urlencode(r['query'])}",
                    "body": r["json"],
                }
                for r in await self._log()
            ]
            if not calls:
                raise RuntimeError(f"{scenario.name}: the gateway called no ITSM")
            self.plans[scenario] = [calls[:1], calls[1:]] if len(calls) > 1 else [calls]

    def bare_plans(self) -> dict[str, list[list[dict[str, Any]]]]:
        return {_plan_name(stages): stages for stages in self.plans.values()}

    async def set_latency(self, latency_ms: int) -> None:
        self.latency_ms = latency_ms
        url = f"{self.emulator}/_emulator/faults"
        async with self.http.post(url, json={"latency_ms": latency_ms}) as response:
            response.raise_for_status()

    async def reset(self) -> None:
        """Reseed the emulator before a run: creates grow its incident table and it scans its
        tables per query, so without this every later fetch would be measured against a larger
        table. The recorded calls stay valid, since the seeded sys_ids are fixed (checked)."""
        async with self.http.post(f"{self.emulator}/_emulator/reset") as response:
            response.raise_for_status()
        await self.set_latency(self.latency_ms)
        if await self._seeded_sys_id() != self.sys_id:
            raise RuntimeError(f"{NUMBER} has a new sys_id after a reset: the plans are stale")

    async def _seeded_sys_id(self) -> str:
        async with self.http.get(f"{self.emulator}/_emulator/records/incident") as response:
            records = await response.json()
        return str(next(r["sys_id"] for r in records if r.get("number") == NUMBER))

    async def row(self, scenario: Scenario, credential: str, latency: int, conns: int) -> Row:
        stages = self.plans[scenario]
        direct, bare = await self._baseline(stages, latency, conns)
        request = self.gateway_request(scenario, credential)
        gateway, parent = self.gateways[scenario.workers]
        await self._send(gateway, request)  # warm-up: an offline exchange, a connection
        await self._clear_log()
        pids = _process_tree(parent)
        cpu_before = sum(_cpu_seconds(pid) for pid in pids)
        result = await self._wrk(gateway, [request], conns)
        cpu = sum(_cpu_seconds(pid) for pid in pids) - cpu_before
        calls = len(await self._log())
        requests = max(result.requests, 1)
        exact = await self._calls_per_request(gateway, request)
        return Row(
            scenario=scenario,
            credential=credential,
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
        )

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
        self, gateway: str, request: HttpRequest, samples: int = 20
    ) -> float:
        """Calls per request without the error of the requests wrk left in flight (their calls
        reach the emulator's log, but wrk does not count them): a few requests, one at a time."""
        await self._settle()
        await self._clear_log()
        for _ in range(samples):
            await self._send(gateway, request)
        return len(await self._log()) / samples

    async def _baseline(
        self, stages: list[list[dict[str, Any]]], latency: int, conns: int
    ) -> tuple[WrkResult, WrkResult]:
        name = _plan_name(stages)
        key = (name, latency, conns)
        if key not in self._baselines:
            calls = [call for stage in stages for call in stage]
            direct = await self._wrk(self.emulator, [_direct_request(c) for c in calls], conns)
            bare = await self._wrk(self.bare, [HttpRequest("POST", f"/plan/{name}")], conns)
            self._baselines[key] = (direct, bare)
            await self._clear_log()  # the direct calls are not the gateway's
        return self._baselines[key]

    def gateway_request(self, scenario: Scenario, credential: str) -> HttpRequest:
        headers = {"Content-Type": "application/json"}
        if credential == "access":
            headers["Authorization"] = f"Bearer {self.access_token}"
        else:
            headers["X-Offline-Token"] = self.offline_token
        connection = {
            "itsmType": "servicenow",
            "instanceUrl": self.emulator,
            "authType": "basic",
            "username": "gateway.integration",
            "password": "integration-password",
        }
        if scenario.door == "rest":
            body: dict[str, Any] = {"connectionDetails": connection}
            body["ticketFields"] = list(scenario.fields)
            if scenario.operation == "fetch":
                body["ticketNumber"] = NUMBER
            else:
                body["ticketJSON"] = _ticket_json(scenario.operation)
            if scenario.operation == "update":
                body["sysId"] = self.sys_id
            path = f"/itsm/v1/ticket/{scenario.operation}"
        else:
            body = _graphql(scenario, connection, self.sys_id)
            path = "/graphql"
        return HttpRequest("POST", path, headers, json.dumps(body))

    async def _wrk(self, base: str, requests: list[HttpRequest], conns: int) -> WrkResult:
        """One wrk run on a freshly reseeded emulator (which also empties its request log)."""
        await self._settle()
        await self.reset()
        self._runs += 1
        return await run_wrk(
            base,
            requests,
            connections=conns,
            seconds=self.seconds,
            script_dir=self.work,
            name=f"run{self._runs}",
            cpus=self.cores.load,
        )

    async def _send(self, base: str, request: HttpRequest) -> tuple[int, str]:
        async with self.http.request(
            request.method, base + request.path, headers=request.headers, data=request.body
        ) as response:
            return response.status, await response.text()

    async def _clear_log(self) -> None:
        async with self.http.delete(f"{self.emulator}/_emulator/requests") as response:
            response.raise_for_status()

    async def _log(self) -> list[dict[str, Any]]:
        async with self.http.get(f"{self.emulator}/_emulator/requests") as response:
            return await response.json()


def _ticket_json(operation: str) -> dict[str, str]:
    if operation == "create":
        return {"short_description": "bench.load create", "urgency": "3", "impact": "3"}
    return {"short_description": "bench.load update"}


def _graphql(scenario: Scenario, connection: dict[str, str], sys_id: str) -> dict[str, Any]:
    """Variables, never literals: a cached parse and validation can then hit."""
    selection = " ".join(f"{f} {_OBJECT_FIELDS.get(f, '')}".strip() for f in scenario.fields)
    variables: dict[str, Any] = {"connection": connection}
    if scenario.operation == "fetch":
        query = (
            "query Fetch($number: String!, $connection: ConnectionInput!) "
            f"{{ ticket(number: $number, connection: $connection) {{ {selection} }} }}"
        )
        variables["number"] = NUMBER
    elif scenario.operation == "create":
        query = (
            "mutation Create($connection: ConnectionInput!, $ticketJSON: JSON) "
            "{ createTicket(connection: $connection, ticketJSON: $ticketJSON) "
            f"{{ {selection} }} }}"
        )
        variables["ticketJSON"] = _ticket_json("create")
    else:
        query = (
            "mutation Update($sysId: String!, $connection: ConnectionInput!, $ticketJSON: JSON) "
            "{ updateTicket(sysId: $sysId, connection: $connection, ticketJSON: $ticketJSON) "
            f"{{ {selection} }} }}"
        )
        variables["ticketJSON"] = _ticket_json("update")
        variables["sysId"] = sys_id
    return {"query": query, "variables": variables}


def _direct_request(call: dict[str, Any]) -> HttpRequest:
    from bench.bare_proxy import BASIC

    url = call["url"]
    path = url[url.index("/", len("http://")) :]
    headers = {"Authorization": BASIC, "Accept": "application/json"}
    body = None
    if call["body"] is not None:
        headers["Content-Type"] = "application/json"
        body = json.dumps(call["body"])
    return HttpRequest(call["method"], path, headers, body)


def _plan_name(stages: list[list[dict[str, Any]]]) -> str:
    return f"p{abs(hash(json.dumps(stages, sort_keys=True))) % 10**8}"


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


def _direct_rps(row: Row) -> float:
    return row.direct.rps / row.direct_calls


def _direct_p(row: Row, p_ms: float) -> float:
    return p_ms * row.direct_stages


def _line(row: Row) -> str:
    return (
        f"{row.scenario.name} [{row.credential}, {row.latency_ms} ms, {row.connections} conns]: "
        f"{row.gateway.rps:.0f} req/s, p50 {row.gateway.p50_ms:.1f} ms, "
        f"ITSM calls/req {row.itsm_calls:.2f}, CPU {row.cpu_us:.0f} us/req"
    )


HEADER = (
    "| scenario | token | ITSM ms | conns | req/s | p50 ms | p99 ms "
    "| ITSM calls/req (under load) "
    "| gw CPU us/req | gw peak RSS MB | non-2xx / socket err | A direct req/s | A p50 ms "
    "| B bare req/s | B p50 ms | req/s vs A | req/s vs B | p50 - A p50 ms |"
)


def _report(rows: list[Row], seconds: float, cores: Cores) -> str:
    now = dt.datetime.now(dt.UTC)
    lines = [
        f"## itsm-gateway load, {now:%Y-%m-%d %H:%M} UTC",
        "",
        f"os.cpu_count() = {os.cpu_count()}; {cores.describe()}; wrk 1 thread, {seconds:g} s "
        "per run; gateway: one process on uvloop (`(2 workers)`: `serve --workers 2`, not pinned, "
        "CPU summed over its processes, RSS of the largest), "
        f"ITSM_GATEWAY_ITSM_MAX_CONCURRENCY_PER_INSTANCE={MAX_CONCURRENCY_PER_INSTANCE}, "
        "ITSM_GATEWAY_CALLER_REQUESTS_PER_MINUTE=0 (one token drives the whole load). "
        "A = same ITSM calls straight to the emulator "
        "(`~`: several calls, estimated from one wrk script cycling them); B = bare aiohttp "
        "proxy making the same calls. ITSM calls/req: from 20 sequential requests after the "
        "run; in brackets, emulator calls during the run / wrk requests, which also counts the "
        "calls of requests still in flight when wrk stopped.",
        "",
        HEADER,
        "|" + "---|" * HEADER.count(" | ") + "---|",
    ]
    for row in rows:
        approx = "~" if row.direct_calls > 1 else ""
        g, b = row.gateway, row.bare
        direct_rps = _direct_rps(row)
        lines.append(
            f"| {row.scenario.name} | {row.credential} | {row.latency_ms} | {row.connections} "
            f"| {g.rps:.0f} | {g.p50_ms:.1f} | {g.p99_ms:.1f} "
            f"| {row.itsm_calls:.2f} ({row.itsm_calls_under_load:.2f}) "
            f"| {row.cpu_us:.0f} | {row.rss_mb:.0f} | {g.non2xx} / {g.socket_errors} "
            f"| {approx}{direct_rps:.0f} | {approx}{_direct_p(row, row.direct.p50_ms):.1f} "
            f"| {b.rps:.0f} | {b.p50_ms:.1f} "
            f"| {approx}{g.rps / direct_rps:.2f} | {g.rps / b.rps if b.rps else 0:.2f} "
            f"| {approx}{g.p50_ms - _direct_p(row, row.direct.p50_ms):+.1f} |"
        )
    return "\n".join(lines) + "\n"


def _check(rows: list[Row]) -> list[str]:
    failures = []
    for row in rows:
        expected = row.scenario.expected_calls
        if expected is not None and abs(row.itsm_calls - expected) > 0.02:
            failures.append(
                f"{row.scenario.name} ({row.credential}, {row.latency_ms} ms, "
                f"{row.connections} conns): {row.itsm_calls:.3f} ITSM calls per request, "
                f"expected {expected}"
            )
        if row.gateway.non2xx or row.gateway.socket_errors:
            failures.append(
                f"{row.scenario.name} ({row.credential}, {row.latency_ms} ms): "
                f"{row.gateway.non2xx} non-2xx, {row.gateway.socket_errors} socket errors"
            )
    return failures


if __name__ == "__main__":
    sys.exit(main())
