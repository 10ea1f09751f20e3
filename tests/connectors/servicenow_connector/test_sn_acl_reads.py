"""Journals and SLAs under ACLs: a journal table filtered to fewer rows than the record's own
journal text shows falls back to that text; a refused optional read leaves the field empty and
names what the account lacks, never failing the ticket."""

from __future__ import annotations

import copy
import re
from datetime import UTC

import pytest

from connectors.connection import AuthType
from connectors.fields import TicketField as F
from tests.connectors.servicenow_connector.conftest import INSTANCE

pytestmark = pytest.mark.usefixtures("lookups")

TABLE = re.compile(re.escape(f"{INSTANCE}/api/now/table/incident") + r"\?.*$")
JOURNAL = re.compile(re.escape(f"{INSTANCE}/api/now/table/sys_journal_field") + r"\?.*$")
SLA = re.compile(re.escape(f"{INSTANCE}/api/now/table/task_sla") + r"\?.*$")


@pytest.fixture
def connector(factory, connection):
    return factory.open(connection(AuthType.BASIC))


REFUSED = {
    "error": {"message": "Insufficient rights to query records", "detail": None},
    "status": "failure",
}


async def test_a_journal_filtered_to_nothing_falls_back_to_the_display_text(
    httpx_mock, connector, payload
):
    httpx_mock.add_response(url=TABLE, json=payload("incident_resolved"))
    httpx_mock.add_response(url=JOURNAL, json={"result": []})  # ACLs filtered every row

    ticket = await connector.fetch("INC0010001", {F.COMMENTS, F.WORK_NOTES}, UTC)

    comments = ticket.values[F.COMMENTS]
    assert [note.author for note in comments] == ["Fred Luddy", "Beth Anglin"]
    assert [note.author for note in ticket.values[F.WORK_NOTES]] == ["Beth Anglin"]
    assert ticket.refused == {}
    assert len(httpx_mock.get_requests()) == 2  # the comparison costs no call


async def test_a_journal_missing_one_stream_falls_back_for_that_stream_only(
    httpx_mock, connector, payload
):
    rows = payload("journal_rows")
    rows["result"] = [row for row in rows["result"] if row["element"] == "comments"]
    httpx_mock.add_response(url=TABLE, json=payload("incident_resolved"))
    httpx_mock.add_response(url=JOURNAL, json=rows)

    ticket = await connector.fetch("INC0010001", {F.COMMENTS, F.WORK_NOTES}, UTC)

    # comments from the table (user names looked up), work notes from the display text (names)
    assert [note.author for note in ticket.values[F.COMMENTS]] == ["Fred Luddy", "Beth Anglin"]
    assert [note.author for note in ticket.values[F.WORK_NOTES]] == ["Beth Anglin"]


async def test_a_whole_journal_is_read_from_the_table(httpx_mock, connector, payload):
    httpx_mock.add_response(url=TABLE, json=payload("incident_resolved"))
    httpx_mock.add_response(url=JOURNAL, json=payload("journal_rows"))

    ticket = await connector.fetch("INC0010001", {F.COMMENTS}, UTC)

    assert [note.author for note in ticket.values[F.COMMENTS]] == ["Fred Luddy", "Beth Anglin"]


async def test_a_refused_journal_with_no_fallback_is_a_refused_field(
    httpx_mock, connector, payload
):
    incident = copy.deepcopy(payload("incident_resolved"))
    for row in incident["result"]:  # the account may not read the record's journal fields
        row.pop("comments")
        row.pop("work_notes")
    httpx_mock.add_response(url=TABLE, json=incident)
    httpx_mock.add_response(url=JOURNAL, status_code=403, json=REFUSED)

    ticket = await connector.fetch("INC0010001", {F.COMMENTS, F.SHORT_DESCRIPTION}, UTC)

    assert ticket.values[F.COMMENTS] == ()
    assert ticket.values[F.SHORT_DESCRIPTION]
    assert set(ticket.refused) == {F.COMMENTS}
    assert ticket.refused[F.COMMENTS].startswith("sys_journal_field: the account lacks read")


async def test_a_refused_sla_leaves_the_journal_answered(httpx_mock, connector, payload):
    httpx_mock.add_response(url=TABLE, json=payload("incident_resolved"))
    httpx_mock.add_response(url=JOURNAL, json=payload("journal_rows"))
    httpx_mock.add_response(url=SLA, status_code=403, json=REFUSED)

    ticket = await connector.fetch("INC0010001", {F.COMMENTS, F.TICKET_BUSINESS_TIME_LEFT}, UTC)

    assert len(ticket.values[F.COMMENTS]) == 2
    assert ticket.values[F.TICKET_BUSINESS_TIME_LEFT] is None
    assert set(ticket.refused) == {F.TICKET_BUSINESS_TIME_LEFT}
    assert "task_sla" in ticket.refused[F.TICKET_BUSINESS_TIME_LEFT]
