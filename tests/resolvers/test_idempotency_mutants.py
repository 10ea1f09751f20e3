"""The idempotency protocol's edges that ``make mutate`` found no test holding
(docs/mutation.md): digests that must stay the same across versions (a retry after an upgrade,
or served by another worker of another version, must find its first answer), the caller's share
of the store (exactly at the bound, while the store cannot say, and the claim released when
refused), a record exactly at its size bound, replays of a 503, and what a failed store write
logs."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC

import pytest

from connectors.errors import RateLimited, Unavailable
from connectors.fields import TicketField
from connectors.model import Ticket, WriteRequest
from resolvers.connections import ConnectionDetails
from resolvers.idempotency import Idempotency, IdempotentCall
from resolvers.idempotency_records import Record
from resolvers.idempotency_store import MemoryIdempotencyStore
from tests.support.in_process_itsm import SERVICENOW_DETAILS

F = TicketField
DETAILS = SERVICENOW_DETAILS
WRITE = WriteRequest(native={"short_description": "Mail down"})
FIELDS = frozenset({F.TICKET_NUMBER, F.SYS_ID})
# The digests of keyed() as every released version computed them: a change here strands the
# records (and the correlation ids written into tickets) of every create made before it.
STORAGE_KEY = "36d3335f07fa23f07a2c77f2de4da5a44b1f02293cac90fd947b3f3f62ea9142"
FINGERPRINT = "6bc69858dbbf4523f4bbe48b3257fdacbf33c335c85a741f0567b97d5bed4460"
OWNER = "2e7d2c03a9507ae265ecf5b5356885a5"
CORRELATION_ID = "igw-f6bf91275d8c8adfa098afd79e5ba83b"


def keyed(
    key: str = "key-1", details: ConnectionDetails = DETAILS, caller: str = "c"
) -> IdempotentCall:
    return IdempotentCall.for_create(
        key, details, table="incident", write=WRITE, fields=FIELDS, zone=UTC, caller=caller
    )


def ticket(description: str = "") -> Ticket:
    values: dict[TicketField, object] = {F.TICKET_NUMBER: "INC0010001", F.SYS_ID: "a" * 32}
    if description:
        values[F.LONG_DESCRIPTION] = description
    return Ticket(values)  # type: ignore[arg-type]  # FieldValue values, built loosely


def idempotency(store: object, **kwargs: object) -> Idempotency:
    return Idempotency(
        store,  # type: ignore[arg-type]  # a MemoryIdempotencyStore or a fake with its methods
        wait_seconds=0.0,
        lease_seconds=120.0,
        first_poll_seconds=0.001,
        max_poll_seconds=0.01,
        **kwargs,  # type: ignore[arg-type]
    )


async def created(result: Ticket) -> Ticket:
    return result


# -- digests that outlive a version ------------------------------------------------------------


def test_keys_fingerprints_owners_and_correlation_ids_stay_the_same_across_versions() -> None:
    call = keyed()
    assert call.storage_key == STORAGE_KEY
    assert call.fingerprint == FINGERPRINT
    assert call.owner == OWNER
    assert call.correlation_id == CORRELATION_ID


def test_an_account_is_the_same_whatever_the_spelling_of_its_type_url_and_auth_type() -> None:
    shouted = ConnectionDetails(
        itsm_type=" ServiceNow ",
        instance_url="HTTPS://ACME.Service-Now.com/",
        auth_type="BASIC",
        username="gateway.integration",
        password="sentinel-password-3b1d",
    )
    assert keyed(details=shouted).storage_key == keyed().storage_key


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("https://support.example.com/rt", "https://support.example.com/RT"),
        ("https://support.example.com/rt", "https://support.example.com/rtX"),
    ],
)
def test_a_path_is_part_of_the_account_as_written(one: str, other: str) -> None:
    first = ConnectionDetails(itsm_type="rt", instance_url=one, auth_type="api_key", api_key="t")
    second = ConnectionDetails(itsm_type="rt", instance_url=other, auth_type="api_key", api_key="t")
    assert keyed(details=first).storage_key != keyed(details=second).storage_key


# -- the caller's share --------------------------------------------------------------------------


async def test_a_caller_exactly_at_its_share_is_refused_and_its_claim_released() -> None:
    store = MemoryIdempotencyStore()
    call = keyed()
    await store.charge(call.owner, 1000)
    with pytest.raises(RateLimited):
        await idempotency(store, max_chars_per_caller=1000).run(call, lambda: created(ticket()))
    # The refused claim is gone: with room again, the same key creates at once (a claim left
    # pending would read as a create still in progress).
    answer = await idempotency(store, max_chars_per_caller=10_000).run(
        call, lambda: created(ticket())
    )
    assert answer == ticket()


async def test_a_create_charges_its_record_and_key_to_its_callers_share() -> None:
    store = MemoryIdempotencyStore()
    call = keyed()
    await idempotency(store).run(call, lambda: created(ticket()))
    stored = await store.claim(call.storage_key, "probe")
    assert stored is not None
    assert await store.usage(call.owner) == len(stored) + len(call.storage_key)


class ShareUnknown(MemoryIdempotencyStore):
    """A store that keeps keys but cannot say how much a caller holds."""

    async def usage(self, owner: str) -> int:
        raise Unavailable("the idempotency store did not answer")


async def test_a_create_goes_on_when_the_store_cannot_say_the_callers_share() -> None:
    call = keyed()
    answer = await idempotency(ShareUnknown(), max_chars_per_caller=1).run(
        call, lambda: created(ticket())
    )
    assert answer == ticket()


# -- the record's size bound ---------------------------------------------------------------------


def _record_length(call: IdempotentCall, description: str) -> int:
    return len(Record("done", call.fingerprint, ticket=ticket(description)).to_json())


async def _replayed(call: IdempotentCall, description: str, **kwargs: object) -> Ticket:
    store = MemoryIdempotencyStore()
    await idempotency(store, **kwargs).run(call, lambda: created(ticket(description)))
    return await idempotency(store, **kwargs).run(call, lambda: created(ticket("second")))


async def test_a_record_exactly_at_the_bound_is_kept_whole() -> None:
    call = keyed()
    base = _record_length(call, "x")
    bound = base + 99
    exact = "x" * 100
    assert _record_length(call, exact) == bound
    assert (await _replayed(call, exact, max_record_chars=bound)) == ticket(exact)
    trimmed = await _replayed(call, exact + "x", max_record_chars=bound)
    assert F.LONG_DESCRIPTION in trimmed.refused


async def test_the_default_bound_keeps_records_of_64_kib() -> None:
    call = keyed()
    base = _record_length(call, "x")
    exact = "x" * (65_536 - base + 1)
    assert _record_length(call, exact) == 65_536
    assert (await _replayed(call, exact)) == ticket(exact)
    assert F.LONG_DESCRIPTION in (await _replayed(call, exact + "x")).refused


# -- replays of an unknown outcome ---------------------------------------------------------------


async def test_an_unknown_outcome_first_answered_503_replays_as_503() -> None:
    store = MemoryIdempotencyStore()
    call = keyed()
    await store.claim(call.storage_key, Record("unknown", call.fingerprint, status=503).to_json())
    with pytest.raises(Unavailable) as replayed:
        await idempotency(store).run(call, lambda: created(ticket()))
    assert replayed.value.outcome_unknown is True
    assert replayed.value.status == 503


async def test_a_claim_whose_lease_ends_now_reads_as_unknown() -> None:
    store = MemoryIdempotencyStore()
    call = keyed()
    now = 1_800_000_000.0
    stale = Record("pending", call.fingerprint, owner="gone", lease_until=now)
    await store.claim(call.storage_key, stale.to_json())
    runner = Idempotency(store, wait_seconds=0.0, lease_seconds=120.0, clock=lambda: now)
    with pytest.raises(Exception) as replayed:
        await runner.run(call, lambda: created(ticket()))
    assert getattr(replayed.value, "outcome_unknown", False) is True
    assert getattr(replayed.value, "status", None) == 504


# -- what a failed store write logs --------------------------------------------------------------


class ReplaceFails(MemoryIdempotencyStore):
    async def replace(self, key: str, value: str) -> None:
        raise Unavailable("the idempotency store did not answer")


async def test_a_store_write_that_fails_is_logged_under_the_idempotency_logger(
    caplog: pytest.LogCaptureFixture,
) -> None:
    call = keyed()
    with caplog.at_level(logging.WARNING, logger="itsm_gateway.idempotency"):
        answer = await idempotency(ReplaceFails()).run(call, lambda: created(ticket()))
    assert answer == ticket()
    assert [record.name for record in caplog.records] == ["itsm_gateway.idempotency"]
    assert "could not record the done outcome" in caplog.records[0].getMessage()


async def eventually(condition: Callable[[], bool]) -> None:
    """Let other tasks run until ``condition`` holds (bounded: a bug fails rather than hangs)."""
    for _ in range(10_000):
        if condition():
            return
        await asyncio.sleep(0)
    raise AssertionError("condition never held")


class Watched(MemoryIdempotencyStore):
    """Counts the claims that found the key taken: a retry is then known to wait."""

    refused = 0

    async def claim(self, key: str, value: str) -> str | None:
        held = await super().claim(key, value)
        self.refused += held is not None
        return held


async def test_a_retry_with_less_than_a_second_to_wait_still_waits_for_the_first() -> None:
    store = Watched()
    call = keyed()
    gate = asyncio.Event()

    async def first() -> Ticket:
        await gate.wait()
        return ticket("first")

    started = asyncio.create_task(idempotency(store).run(call, first))
    await eventually(lambda: len(store) == 1)  # the first holds its claim
    retry = asyncio.create_task(
        Idempotency(store, wait_seconds=0.9, lease_seconds=120.0, first_poll_seconds=0.001).run(
            call, lambda: created(ticket("second"))
        )
    )
    await eventually(lambda: store.refused > 0)  # the retry found the claim taken and waits
    gate.set()
    assert await started == ticket("first")
    assert await retry == ticket("first")
