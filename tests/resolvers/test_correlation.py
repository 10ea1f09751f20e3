"""A keyed create writes its key's correlation id, and a create of unknown outcome is settled
by looking the ticket up by it (``TicketService.create``, ``Idempotency.run``'s ``settle``),
with a fake ITSM that keeps what it created and can lose its answer."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Set
from datetime import UTC, tzinfo

import pytest

from connectors.correlation import CorrelatingConnector, CorrelationHolder
from connectors.errors import BadInput, ItsmError, ItsmTimeout, Unavailable
from connectors.fields import TicketField, WritableField
from connectors.model import Ticket, WriteRequest
from connectors.servicenow.capabilities import SERVICENOW
from resolvers.idempotency import UNKNOWN_OUTCOME_MESSAGE, IdempotentCall
from resolvers.tickets import CallContext, TicketService
from tests.support.in_process_itsm import SERVICENOW_DETAILS, InProcessItsm, servicenow_service

DETAILS = SERVICENOW_DETAILS
CORRELATION = TicketField.CORRELATION_ID.value


class LosingItsm(InProcessItsm):
    """Creates tickets it keeps by correlation id. ``lose_answer``: the next create is applied
    but its answer lost (``outcome_unknown``); ``drop_create``: the next create is lost before
    it is applied; ``look_up_fails``: the look-up gets no answer either."""

    def __init__(self) -> None:
        self.created: list[WriteRequest] = []
        self.look_ups: list[str] = []
        self.lose_answer = False
        self.drop_create = False
        self.look_up_fails = False

    async def create(self, write: WriteRequest, fields: Set[TicketField], zone: tzinfo) -> Ticket:
        if self.drop_create:
            self.drop_create = False
            raise _unknown(Unavailable("the connection dropped before ServiceNow answered"))
        self.created.append(write)
        ticket = self._ticket(len(self.created), fields)
        if self.lose_answer:
            self.lose_answer = False
            raise _unknown(ItsmTimeout("ServiceNow did not answer within 30 s"))
        return ticket

    async def find_correlated(
        self, correlation_id: str, fields: Set[TicketField], zone: tzinfo
    ) -> Ticket | None:
        self.look_ups.append(correlation_id)
        if self.look_up_fails:
            raise Unavailable("ServiceNow is unavailable (503)")
        for index, write in enumerate(self.created, start=1):
            if write.canonical.get(CORRELATION) == correlation_id:
                return self._ticket(index, fields)
        return None

    def _ticket(self, index: int, fields: Set[TicketField]) -> Ticket:
        number = f"INC{10000 + index:07d}"
        write = self.created[index - 1]
        values = {
            TicketField.TICKET_NUMBER: number,
            TicketField.SYS_ID: f"sys-{number}",
            TicketField.CORRELATION_ID: write.canonical.get(CORRELATION),
        }
        return Ticket({name: value for name, value in values.items() if name in fields})


def _unknown(error: ItsmError | ItsmTimeout | Unavailable) -> ItsmError | ItsmTimeout | Unavailable:
    error.outcome_unknown = True
    return error


@pytest.fixture
def itsm() -> LosingItsm:
    return LosingItsm()


@pytest.fixture
def service(itsm: LosingItsm) -> TicketService:
    return servicenow_service(itsm, deadline_seconds=5)


async def create(
    service: TicketService,
    key: str | None,
    canonical: Mapping[str, str] | None = None,
    caller: str = "smartops-ui",
) -> Ticket:
    answer = await service.create(
        write=WriteRequest(canonical=dict(canonical or {"shortDescription": "Mail down"})),
        connection=DETAILS,
        fields=["ticketNumber", "correlationId"],
        zone=None,
        context=CallContext(idempotency_key=key, caller=caller),
    )
    return answer.ticket


def test_the_fake_can_be_looked_up_by_correlation() -> None:
    assert isinstance(LosingItsm(), CorrelatingConnector)


async def test_a_keyed_create_writes_a_digest_of_its_key_not_the_key(
    service: TicketService, itsm: LosingItsm
) -> None:
    key = "3f2b8c1e-5d4a-4f7e-9b2c-1a0d6e8f7c35"
    ticket = await create(service, key)
    written = itsm.created[0].canonical[CORRELATION]
    assert ticket.get(TicketField.CORRELATION_ID) == written
    assert written.startswith("igw-") and len(written) == 36
    assert key not in written and key.replace("-", "")[:8] not in written
    await create(service, key, caller="another-client")  # another caller: another key space
    assert itsm.created[1].canonical[CORRELATION] != written


def test_the_correlation_id_is_the_callers_and_accounts() -> None:
    def correlation(key: str, caller: str) -> str:
        return IdempotentCall.for_create(
            key,
            DETAILS,
            table="incident",
            write=WriteRequest(native={"short_description": "x"}),
            fields=frozenset({TicketField.SYS_ID}),
            zone=UTC,
            caller=caller,
        ).correlation_id

    assert correlation("k1", "a") == correlation("k1", "a")
    assert len({correlation("k1", "a"), correlation("k2", "a"), correlation("k1", "b")}) == 3


async def test_without_a_key_the_callers_correlation_id_is_written(
    service: TicketService, itsm: LosingItsm
) -> None:
    ticket = await create(service, None, {"shortDescription": "x", CORRELATION: "MON-4711"})
    assert ticket.get(TicketField.CORRELATION_ID) == "MON-4711"


async def test_a_callers_correlation_id_with_a_key_is_400_before_the_itsm(
    service: TicketService, itsm: LosingItsm
) -> None:
    with pytest.raises(BadInput) as refused:
        await create(service, "k1", {"shortDescription": "x", CORRELATION: "MON-4711"})
    assert refused.value.message.startswith(
        "ticketInput.correlationId cannot be set on a create with an Idempotency-Key: the "
        "gateway writes the key's fingerprint there"
    )
    assert itsm.created == []


async def test_a_lost_answer_is_settled_as_created_and_replayed(
    service: TicketService, itsm: LosingItsm
) -> None:
    itsm.lose_answer = True
    first = await create(service, "k1")
    assert first.get(TicketField.TICKET_NUMBER) == "INC0010001"
    assert itsm.look_ups == [itsm.created[0].canonical[CORRELATION]]
    assert await create(service, "k1") == first  # the retry replays: recorded as done
    assert len(itsm.created) == 1


async def test_a_create_that_never_landed_is_settled_as_not_created(
    service: TicketService, itsm: LosingItsm
) -> None:
    itsm.drop_create = True
    with pytest.raises(Unavailable) as failed:
        await create(service, "k1")
    assert failed.value.status == 503 and not failed.value.outcome_unknown
    assert failed.value.message.startswith("the connection dropped before ServiceNow answered; ")
    assert failed.value.message.endswith(
        "the ticket was not created (the ITSM has no ticket with this Idempotency-Key's "
        "correlation id): sending the create again is safe"
    )
    retried = await create(service, "k1")  # the key was released: the retry creates
    assert retried.get(TicketField.TICKET_NUMBER) == "INC0010001"
    assert len(itsm.created) == 1


async def test_a_failed_look_up_leaves_the_outcome_unknown(
    service: TicketService, itsm: LosingItsm
) -> None:
    itsm.lose_answer = True
    itsm.look_up_fails = True
    with pytest.raises(ItsmTimeout) as first:
        await create(service, "k1")
    assert first.value.outcome_unknown
    with pytest.raises(ItsmTimeout) as retried:
        await create(service, "k1")
    assert retried.value.message == UNKNOWN_OUTCOME_MESSAGE
    assert len(itsm.created) == 1


async def test_a_tool_without_a_correlation_id_gets_none_written() -> None:
    narrow = LosingItsm()
    narrow.capabilities = dataclasses.replace(
        SERVICENOW,
        writable={
            f: how
            for f, how in SERVICENOW.writable.items()
            if f is not WritableField.CORRELATION_ID
        },
    )
    service = servicenow_service(narrow)
    narrow.lose_answer = True
    with pytest.raises(ItsmTimeout) as failed:
        await service.create(
            write=WriteRequest(canonical={"shortDescription": "x"}),
            connection=DETAILS,
            fields=["ticketNumber"],
            zone=None,
            context=CallContext(idempotency_key="k1"),
        )
    assert failed.value.outcome_unknown
    assert CORRELATION not in narrow.created[0].canonical
    assert narrow.look_ups == []


class SiteWithoutThePlace(LosingItsm):
    """A tool whose correlation id lives in a place a site may lack (Jira's custom field): it
    says so through ``holds_correlation_ids`` (``connectors.correlation.CorrelationHolder``)."""

    def __init__(self, holds: bool) -> None:
        super().__init__()
        self.holds = holds
        self.asked = 0

    async def holds_correlation_ids(self) -> bool:
        self.asked += 1
        return self.holds


async def test_a_site_without_the_place_gets_keyed_creates_without_the_digest() -> None:
    itsm = SiteWithoutThePlace(holds=False)
    assert isinstance(itsm, CorrelationHolder)
    service = servicenow_service(itsm, deadline_seconds=5)
    ticket = await create(service, "k1")
    assert ticket.get(TicketField.TICKET_NUMBER) == "INC0010001"
    assert CORRELATION not in itsm.created[0].canonical and itsm.asked == 1
    itsm.lose_answer = True
    with pytest.raises(ItsmTimeout):  # not settled: there is nothing to look up by
        await create(service, "k2")
    assert itsm.look_ups == []


async def test_a_site_with_the_place_gets_the_digest() -> None:
    itsm = SiteWithoutThePlace(holds=True)
    service = servicenow_service(itsm, deadline_seconds=5)
    ticket = await create(service, "k1")
    assert ticket.get(TicketField.CORRELATION_ID) == itsm.created[0].canonical[CORRELATION]
