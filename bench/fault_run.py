"""A fault-injection run: creates and updates sent through the gateway, with idempotency keys and
client retries, while the ServiceNow emulator is slow, throttles, drops connections (after
applying writes) and answers 5xx. Then, with the faults off, every marker is counted in the
emulator's tables.

    .venv/bin/python -m bench.fault_run [--creates 300] [--updates 150] [--seed 7]

The promise checked: every create is in the ITSM exactly once, or its caller got a clear error;
no update is lost or applied twice. ``duplicated`` and ``lost`` must be 0. The test
``tests/e2e/test_e2e_fault_run.py`` runs this and asserts it.

Every create carries an ``Idempotency-Key``, so the gateway writes the key's correlation id into
the incident and, when a create's answer is lost, looks the incident up by it before answering
(``resolvers.idempotency``): "created" (201) or "not created" (503, and the retry creates). A
create's outcome stays unknown (a final 502 or 504) only where that look-up failed too, on every
attempt; the report counts the look-ups and what they settled.

The client follows the gateway's documented guidance: a create is retried with the same
``Idempotency-Key`` on any 429, 5xx or 409 "in progress"; an update (which has no key) is retried
only on 429 and 503, the answers that mean nothing was written.
"""

from __future__ import annotations

import argparse
import asyncio
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx

from bench.stack import running_stack
from emulators.servicenow import EmulatorState
from emulators.servicenow.state import RecordedRequest

ATTEMPTS = 8
CONCURRENCY = 16
RETRY_CREATE = {409, 429, 500, 502, 503, 504}
RETRY_UPDATE = {429, 503}


@dataclass
class Report:
    creates: Counter[str] = field(default_factory=Counter)
    updates: Counter[str] = field(default_factory=Counter)
    faults: Counter[str] = field(default_factory=Counter)
    attempts: int = 0
    look_ups: int = 0  # the gateway's look-ups by correlation id (creates of unknown outcome)

    def table(self) -> str:
        rows = ["operation  outcome                               count"]
        for name, counts in (("create", self.creates), ("update", self.updates)):
            for outcome in _OUTCOMES[name]:
                rows.append(f"{name:<10} {outcome:<37} {counts[outcome]:>5}")
        faults = ", ".join(f"{k} {v}" for k, v in sorted(self.faults.items()))
        rows.append(
            f"creates of unknown outcome looked up by correlation id: {self.look_ups}; "
            f"still unknown at the end: {self.unknown_creates}"
        )
        rows.append(f"faults injected by the emulator: {faults}; client attempts {self.attempts}")
        return "\n".join(rows)

    @property
    def unknown_creates(self) -> int:
        """Creates whose caller was finally told the outcome is unknown (502, 504)."""
        return sum(n for name, n in self.creates.items() if name.startswith("outcome unknown"))


_CREATE_NOUNS = ("in the ITSM once", "not in the ITSM")
_UPDATE_NOUNS = ("applied once", "not applied")
# Broken promises: each must stay 0.
BROKEN = ("duplicated", "applied twice", "lost", "said failed, but applied")

_OUTCOMES = {
    "create": (
        "sent",
        "succeeded",
        "failed clearly (not in the ITSM)",
        "outcome unknown, in the ITSM once",
        "outcome unknown, not in the ITSM",
        "duplicated",
        "lost",
        "said failed, but applied",
    ),
    "update": (
        "sent",
        "succeeded",
        "failed clearly (not applied)",
        "outcome unknown, applied once",
        "outcome unknown, not applied",
        "applied twice",
        "lost",
        "said failed, but applied",
    ),
}


async def run(creates: int = 300, updates: int = 150, seed: int = 7) -> Report:
    async with (
        running_stack(itsm_retry_backoff_seconds=0.01, itsm_read_timeout_seconds=5.0) as stack,
        httpx.AsyncClient(timeout=60) as http,
    ):
        token = stack.issuer.mint("fault.run", lifetime=3600)
        client = _Client(http, stack.gateway_url, stack.emulator_url, token)
        return await _run(client, stack.emulator, creates, updates, seed)


@dataclass
class _Client:
    http: httpx.AsyncClient
    gateway_url: str
    emulator_url: str
    token: str
    attempts: int = 0

    async def send(
        self, operation: str, body: dict[str, Any], retry_on: set[int], key: str | None = None
    ) -> tuple[int, dict[str, Any]]:
        headers = {"Authorization": f"Bearer {self.token}"}
        if key:
            headers["Idempotency-Key"] = key
        body = {
            **body,
            "connectionDetails": {
                "itsmType": "servicenow",
                "instanceUrl": self.emulator_url,
                "authType": "basic",
                "username": "gateway.integration",
                "password": "integration-password",
            },
        }
        for attempt in range(ATTEMPTS):
            self.attempts += 1
            response = await self.http.post(
                f"{self.gateway_url}/itsm/v1/ticket/{operation}", json=body, headers=headers
            )
            if response.status_code not in retry_on or attempt == ATTEMPTS - 1:
                return response.status_code, response.json()
            await asyncio.sleep(min(float(response.headers.get("Retry-After", 0.05)), 2.0))
        raise AssertionError("unreachable")


async def _run(
    client: _Client, emulator: EmulatorState, creates: int, updates: int, seed: int
) -> Report:
    report = Report()
    limit = asyncio.Semaphore(CONCURRENCY)
    emulator.faults.merge(
        {
            "seed": seed,
            "latency_ms": 5,
            "throttle_rate": 0.08,
            "throttle_retry_after_s": 1,
            "fail_rate": 0.06,
            "drop_rate": 0.06,
            "drop_after_write": True,
        }
    )

    async def create(i: int) -> tuple[int, int, dict[str, Any]]:
        async with limit:
            status, answer = await client.send(
                "create",
                {
                    "ticketJSON": {"short_description": f"fault-run create {i}"},
                    "ticketFields": ["sysId", "ticketNumber"],
                },
                RETRY_CREATE,
                key=f"fault-run-{seed}-create-{i}",
            )
            return i, status, answer

    created = await asyncio.gather(*(create(i) for i in range(creates)))
    targets = [a["ticketDetails"]["sysId"] for _, s, a in created if s == 201]

    async def update(j: int) -> tuple[int, int, dict[str, Any]]:
        async with limit:
            status, answer = await client.send(
                "update",
                {
                    "sysId": targets[j % len(targets)],
                    "ticketJSON": {"comments": f"fault-run update {j}"},
                    "ticketFields": ["ticketNumber"],
                },
                RETRY_UPDATE,
            )
            return j, status, answer

    updated = await asyncio.gather(*(update(j) for j in range(updates))) if targets else []
    report.faults.update(emulator.faults.injected)
    report.look_ups = sum(1 for request in emulator.requests if _is_look_up(request))
    emulator.faults.merge({"throttle_rate": 0.0, "fail_rate": 0.0, "drop_rate": 0.0})
    report.attempts = client.attempts

    in_itsm = Counter(r["short_description"] for r in emulator.records("incident"))
    for i, status, _ in created:
        present = in_itsm[f"fault-run create {i}"]
        report.creates["sent"] += 1
        report.creates[_classify(status == 201, status, present, _CREATE_NOUNS)] += 1
        if present > 1:
            report.creates["duplicated"] += 1
    applied = Counter(r["value"] for r in emulator.records("sys_journal_field"))
    for j, status, _ in updated:
        present = applied[f"fault-run update {j}"]
        report.updates["sent"] += 1
        report.updates[_classify(status == 200, status, present, _UPDATE_NOUNS)] += 1
        if present > 1:
            report.updates["applied twice"] += 1
    return report


def _is_look_up(request: RecordedRequest) -> bool:
    """The gateway's look-up of a create by its correlation id (the connector's
    ``find_correlated``): a read of incidents by ``correlation_id``."""
    query = request.query.get("sysparm_query", "")
    return (
        request.method == "GET"
        and request.table == "incident"
        and (query.startswith("correlation_id="))
    )


def _classify(ok: bool, status: int, present: int, noun: tuple[str, str]) -> str:
    """One operation's outcome from its final answer and what the ITSM holds.

    ``noun`` names presence and absence ("in the ITSM once", "not in the ITSM"). 502 and 504 are
    the answers that say a write may have been applied; every other error says it was not.
    """
    once, absent = noun
    if ok:
        return "succeeded" if present else "lost"
    if status in (502, 504):
        return f"outcome unknown, {once if present else absent}"
    return f"failed clearly ({absent})" if not present else "said failed, but applied"


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--creates", type=int, default=300)
    parser.add_argument("--updates", type=int, default=150)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    print(asyncio.run(run(args.creates, args.updates, args.seed)).table())
