"""Idempotency keys in the create use case: the key's format, what a request's fingerprint
covers (and that it holds no secret), the stored ticket's codec, the in-memory store's bound and
expiry, and ``TicketService.create`` with a fake connector that counts what reaches the ITSM.

The store contract itself (retries, requests in flight, failures) runs against memory and Redis
alike in ``tests/redis/test_idempotency_stores.py``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Set
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo

import pytest

from connectors.errors import BadInput, Conflict, ItsmTimeout, Unavailable
from connectors.fields import TicketField
from connectors.model import Note, Ticket, UntakenValue, WriteRequest
from connectors.registry import ConnectorRegistry
from gateway.outbound.guard import AddressGuard
from gateway.outbound.url_policy import UrlPolicy
from resolvers.connections import ConnectionDetails, ConnectionResolver, replace
from resolvers.idempotency import UNKNOWN_OUTCOME_MESSAGE, IdempotentCall, parse_idempotency_key
from resolvers.idempotency_records import Record, decode_ticket, encode_ticket
from resolvers.idempotency_store import MemoryIdempotencyStore
from resolvers.tickets import CallContext, TicketService
from tests.support.in_process_itsm import SERVICENOW_DETAILS, InProcessItsm, servicenow_service

# -- the key ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "key", ["a", "3f2b8c1e-5d4a-4f7e-9b2c-1a0d6e8f7c35", "x" * 255, "order 42/retry:~!"]
)
def test_keys_of_printable_ascii_up_to_255_are_taken_as_sent(key: str) -> None:
    assert parse_idempotency_key(key) == key


def test_no_key_means_no_idempotency() -> None:
    assert parse_idempotency_key(None) is None


@pytest.mark.parametrize("key", ["", "x" * 256, "clé", "tab\there", "nul\x00", "del\x7f"])
def test_other_keys_are_refused_naming_the_header(key: str) -> None:
    with pytest.raises(BadInput) as refused:
        parse_idempotency_key(key)
    assert refused.value.status == 400
    assert refused.value.message.startswith("Idempotency-Key must be 1 to 255 printable ASCII")


# -- the fingerprint -------------------------------------------------------------------------

DETAILS = SERVICENOW_DETAILS
WRITE = WriteRequest(native={"short_description": "Mail down", "urgency": "2"})
FIELDS = frozenset({TicketField.TICKET_NUMBER, TicketField.SYS_ID})


def fingerprinted(
    key: str = "key-1",
    details: ConnectionDetails = DETAILS,
    *,
    table: str = "incident",
    write: WriteRequest = WRITE,
    fields: frozenset[TicketField] = FIELDS,
    zone: tzinfo = UTC,
) -> IdempotentCall:
    return IdempotentCall.for_create(
        key, details, table=table, write=write, fields=fields, zone=zone
    )


def test_the_same_request_has_the_same_fingerprint_whatever_the_order_of_its_keys() -> None:
    reordered = WriteRequest(native={"urgency": "2", "short_description": "Mail down"})
    assert fingerprinted() == fingerprinted(write=reordered)


@pytest.mark.parametrize(
    "changed",
    [
        {"write": WriteRequest(native={"short_description": "Mail down", "urgency": "1"})},
        {"write": WriteRequest(native=WRITE.native, canonical={"urgency": "1"})},
        {"fields": FIELDS | {TicketField.CREATED_TIME}},
        {"zone": ZoneInfo("America/Los_Angeles")},
        {"table": "problem"},
        {"details": replace(DETAILS, password="another-password")},
    ],
    ids=["native", "canonical", "fields", "zone", "table", "secret"],
)
def test_a_different_request_under_the_same_key_has_another_fingerprint(
    changed: dict[str, object],
) -> None:
    other = fingerprinted(**changed)  # type: ignore[arg-type]
    assert other.storage_key == fingerprinted().storage_key
    assert other.fingerprint != fingerprinted().fingerprint


@pytest.mark.parametrize(
    "details",
    [
        replace(DETAILS, username="someone.else"),
        replace(DETAILS, instance_url="https://other.service-now.com"),
        replace(DETAILS, auth_type="oauth_password", client_id="c1", client_secret="s"),
        replace(DETAILS, connection_id="acme-prod"),
    ],
    ids=["user", "instance", "auth", "profile"],
)
def test_another_itsm_account_has_its_own_keys(details: ConnectionDetails) -> None:
    assert fingerprinted(details=details).storage_key != fingerprinted().storage_key


def test_spellings_of_the_same_account_and_zone_are_the_same_request() -> None:
    spelled = replace(
        DETAILS, itsm_type=" ServiceNow ", instance_url="https://ACME.service-now.com/"
    )
    plus_0530 = timezone(timedelta(hours=5, minutes=30))
    assert fingerprinted(details=spelled, zone=plus_0530) == fingerprinted(zone=plus_0530)


def test_neither_the_secret_nor_the_key_can_be_read_from_what_is_stored() -> None:
    stored = fingerprinted(key="caller-key-77")
    for text in (stored.storage_key, stored.fingerprint):
        assert "sentinel-password-3b1d" not in text
        assert "caller-key-77" not in text


# -- the ticket codec ------------------------------------------------------------------------


def test_tickets_round_trip_with_aware_utc_times_and_notes() -> None:
    at = datetime(2026, 3, 2, 16, 5, 7, 123456, tzinfo=UTC)
    in_la = datetime(2026, 3, 2, 8, 5, tzinfo=ZoneInfo("America/Los_Angeles"))
    ticket = Ticket(
        {
            TicketField.TICKET_NUMBER: "INC0010001",
            TicketField.ASSIGNED_TO: None,
            TicketField.CREATED_TIME: at,
            TicketField.UPDATED_TIME: in_la,
            TicketField.COMMENTS: (
                Note("Beth Anglin", at, "first"),
                Note(None, None, 'quotes " and {"datetime": "not a time"}'),
            ),
            TicketField.WORK_NOTES: (),
        }
    )
    decoded = decode_ticket(encode_ticket(ticket))
    assert decoded == ticket
    updated = decoded.get(TicketField.UPDATED_TIME)
    assert isinstance(updated, datetime)
    assert updated.tzinfo == UTC
    assert updated == in_la


def test_a_stored_ticket_keeps_its_refused_optional_reads() -> None:
    why = "task_sla: the account lacks read access (role sla_admin or an ACL on task_sla)"
    ticket = Ticket(
        {TicketField.TICKET_NUMBER: "INC1", TicketField.TICKET_BUSINESS_TIME_LEFT: None},
        refused={TicketField.TICKET_BUSINESS_TIME_LEFT: why},
    )
    record = Record(state="done", fingerprint="f", ticket=ticket)

    assert Record.from_json(record.to_json()).ticket == ticket


def test_a_stored_ticket_keeps_the_values_that_did_not_take() -> None:
    ticket = Ticket(
        {TicketField.TICKET_NUMBER: "INC1", TicketField.SYS_ID: "abc"},
        untaken=(
            UntakenValue("ticketJSON.state", "In Progress", "", "not a choice of incident.state"),
            UntakenValue("assignedTo", "beth", "Fred Luddy"),
        ),
    )
    record = Record(state="done", fingerprint="f", ticket=ticket)

    assert Record.from_json(record.to_json()).ticket == ticket


def test_a_naive_time_is_kept_as_utc() -> None:
    naive = Ticket({TicketField.CREATED_TIME: datetime(2026, 3, 2, 16, 5)})
    assert decode_ticket(encode_ticket(naive)).get(TicketField.CREATED_TIME) == datetime(
        2026, 3, 2, 16, 5, tzinfo=UTC
    )


# -- the in-memory store ---------------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


async def test_memory_keys_expire_a_ttl_after_their_last_write() -> None:
    clock = Clock()
    store = MemoryIdempotencyStore(ttl_seconds=100, clock=clock)
    await store.claim("a", "pending")
    await store.claim("b", "pending")
    clock.now = 50
    await store.replace("a", "done")  # written again: kept until 150
    clock.now = 120
    assert await store.claim("b", "retry") is None  # expired at 100
    assert await store.claim("a", "retry") == "done"
    clock.now = 151
    assert await store.claim("a", "retry") is None
    assert len(store) == 2  # the claims made at 120 and 151


async def test_a_full_memory_store_refuses_new_keys_and_keeps_the_old() -> None:
    store = MemoryIdempotencyStore(max_chars=10, clock=Clock())
    assert await store.claim("a", "12345") is None
    assert await store.claim("b", "12345") is None
    with pytest.raises(Unavailable) as full:
        await store.claim("c", "1")
    assert full.value.status == 503
    assert await store.claim("a", "x") == "12345"
    await store.replace("a", "a longer outcome")  # an outcome is never refused
    assert await store.claim("a", "x") == "a longer outcome"


async def test_memory_stores_share_nothing() -> None:
    one, two = MemoryIdempotencyStore(), MemoryIdempotencyStore()
    await one.claim("k", "v")
    assert await two.claim("k", "w") is None


# -- TicketService.create --------------------------------------------------------------------


class FakeItsm(InProcessItsm):
    """Creates numbered tickets; ``latency`` holds each create; ``fail_with`` raises instead."""

    def __init__(self) -> None:
        self.creates: list[Mapping[str, object]] = []
        self.fail_with: Exception | None = None
        self.gate = asyncio.Event()
        self.gate.set()

    async def create(self, write: WriteRequest, fields: Set[TicketField], zone: tzinfo) -> Ticket:
        self.creates.append(write.native)
        await self.gate.wait()
        if self.fail_with is not None:
            raise self.fail_with
        number = f"INC{10000 + len(self.creates):07d}"
        values = {TicketField.TICKET_NUMBER: number, TicketField.SYS_ID: f"sys-{number}"}
        return Ticket({name: value for name, value in values.items() if name in fields})


@pytest.fixture
def itsm() -> FakeItsm:
    return FakeItsm()


@pytest.fixture
def service(itsm: FakeItsm) -> TicketService:
    return servicenow_service(itsm, deadline_seconds=5)


async def create(
    service: TicketService,
    key: str | None,
    native: Mapping[str, object] | None = None,
    fields: list[str] | None = None,
) -> str:
    answer = await service.create(
        write=WriteRequest(native=dict(native or {"short_description": "Mail down"})),
        connection=DETAILS,
        fields=fields,
        zone=None,
        context=CallContext(idempotency_key=key),
    )
    return answer.number


async def test_a_retried_create_answers_the_first_ticket(
    service: TicketService, itsm: FakeItsm
) -> None:
    assert await create(service, "k1") == await create(service, "k1") == "INC0010001"
    assert len(itsm.creates) == 1


async def test_without_a_key_every_create_creates(service: TicketService, itsm: FakeItsm) -> None:
    assert [await create(service, None), await create(service, None)] == [
        "INC0010001",
        "INC0010002",
    ]


async def test_the_replay_answers_exactly_the_fields_asked(service: TicketService) -> None:
    await create(service, "k1", fields=["sysId"])
    answer = await service.create(
        write=WriteRequest(native={"short_description": "Mail down"}),
        connection=DETAILS,
        fields=["sysId"],
        zone=None,
        context=CallContext(idempotency_key="k1"),
    )
    assert answer.fields == frozenset({TicketField.SYS_ID})
    assert answer.ticket.get(TicketField.SYS_ID) == "sys-INC0010001"
    with pytest.raises(Conflict):
        await create(service, "k1", fields=None)  # all fields: another request


async def test_concurrent_creates_with_one_key_create_once(
    service: TicketService, itsm: FakeItsm
) -> None:
    itsm.gate.clear()
    tasks = [asyncio.create_task(create(service, "k1")) for _ in range(10)]
    for _ in range(100):
        await asyncio.sleep(0)
    itsm.gate.set()
    assert await asyncio.gather(*tasks) == ["INC0010001"] * 10
    assert len(itsm.creates) == 1


async def test_the_same_key_with_another_body_is_409(
    service: TicketService, itsm: FakeItsm
) -> None:
    await create(service, "k1")
    with pytest.raises(Conflict, match="Idempotency-Key k1 was used with a different request"):
        await create(service, "k1", {"short_description": "Printer down"})
    assert len(itsm.creates) == 1


async def test_a_malformed_key_is_400_before_the_itsm(
    service: TicketService, itsm: FakeItsm
) -> None:
    with pytest.raises(BadInput, match="Idempotency-Key"):
        await create(service, "x" * 256)
    assert itsm.creates == []


async def test_a_create_cut_short_by_the_deadline_is_never_sent_again(itsm: FakeItsm) -> None:
    registry = ConnectorRegistry([itsm])
    guard = AddressGuard(UrlPolicy.from_text("https://*.service-now.com"))
    resolver = ConnectionResolver(guard, ("servicenow",))
    service = TicketService(registry, resolver, deadline_seconds=0.01)
    itsm.gate.clear()  # the ITSM never answers
    with pytest.raises(ItsmTimeout) as first:
        await create(service, "k1")
    assert first.value.outcome_unknown
    itsm.gate.set()
    with pytest.raises(ItsmTimeout) as retried:
        await create(service, "k1")
    assert retried.value.message == UNKNOWN_OUTCOME_MESSAGE
    assert len(itsm.creates) == 1


async def test_a_definite_itsm_refusal_lets_the_retry_create(
    service: TicketService, itsm: FakeItsm
) -> None:
    itsm.fail_with = BadInput("ServiceNow refused: urgency must be 1, 2 or 3")
    with pytest.raises(BadInput):
        await create(service, "k1")
    itsm.fail_with = None
    assert await create(service, "k1") == "INC0010002"


async def test_the_service_uses_the_store_it_is_given(itsm: FakeItsm) -> None:
    store = MemoryIdempotencyStore()
    registry = ConnectorRegistry([itsm])
    guard = AddressGuard(UrlPolicy.from_text("https://*.service-now.com"))
    resolver = ConnectionResolver(guard, ("servicenow",))
    first = TicketService(registry, resolver, idempotency=store)
    second = TicketService(registry, resolver, idempotency=store)
    assert await create(first, "k1") == await create(second, "k1")
    assert len(itsm.creates) == 1
    assert len(store) == 1


def test_a_key_is_the_callers_own() -> None:
    details = ConnectionDetails(connection_id="acme")
    made = [
        IdempotentCall.for_create(
            "key-1",
            details,
            table="incident",
            write=WriteRequest(native={"short_description": "x"}),
            fields=frozenset(),
            zone=UTC,
            caller=caller,
        )
        for caller in ("alice|ui", "bob|ui", "alice|ui")
    ]
    assert made[0].storage_key != made[1].storage_key  # two callers never share a key
    assert made[0].storage_key == made[2].storage_key
    assert made[0].owner != made[1].owner
