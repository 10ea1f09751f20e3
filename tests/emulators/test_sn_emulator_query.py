"""Encoded-query operators and the Table API list and write parameters, over real HTTP.

Seed incidents (number: state, urgency, created): 0001 New 2 03-02, 0002 In Progress 1 03-06,
0003 In Progress 1 03-10, 0004 Resolved 3 02-10, 0005 Closed (inactive) 2 2025-12-01,
0006 On Hold 3 03-04, 0007 custom state 10, 3 03-05.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from emulators.servicenow import seed
from emulators.servicenow.query import Condition, InvalidQuery, parse

if TYPE_CHECKING:  # for the annotations only: pytest gives the fixtures
    from tests.emulators.conftest import Emulator


async def _numbers(emulator: Emulator, query: str, **params: str) -> list[str]:
    response = await emulator.http.get(
        emulator.table("incident"),
        params={"sysparm_query": f"{query}^ORDERBYnumber", "sysparm_fields": "number", **params},
    )
    assert response.status_code == 200, response.text
    result = [row["number"][-1] for row in response.json()["result"]]
    assert response.headers["X-Total-Count"] == str(len(result))
    return result


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("state=2", ["2", "3"]),
        ("state!=2", ["1", "4", "5", "6", "7"]),
        ("urgency>2", ["4", "6", "7"]),
        ("urgency>=2", ["1", "4", "5", "6", "7"]),
        ("urgency<2", ["2", "3"]),
        ("urgency<=2", ["1", "2", "3", "5"]),
        ("stateIN6,7", ["4", "5"]),
        ("stateNOT IN1,2,3", ["4", "5", "7"]),
        ("short_descriptionSTARTSWITHwi-fi", ["2"]),
        ("short_descriptionENDSWITHhour", ["5"]),
        ("short_descriptionCONTAINSdisk", ["4"]),
        ("short_descriptionLIKEdisk", ["4"]),
        ("short_descriptionDOES NOT CONTAINdisk", ["1", "2", "3", "5", "6", "7"]),
        ("short_descriptionNOT LIKEdisk", ["1", "2", "3", "5", "6", "7"]),
        ("assigned_toISEMPTY", ["1", "7"]),
        ("assigned_toISNOTEMPTY", ["2", "3", "4", "5", "6"]),
        ("sys_created_onBETWEEN2026-03-04 00:00:00@2026-03-06 23:59:59", ["2", "6", "7"]),
        ("urgencyBETWEEN1@1", ["2", "3"]),
        ("state=1^ORstate=6^urgency=3", ["4"]),
        ("state=1^NQstate=7", ["1", "5"]),
    ],
)
async def test_each_operator_filters(emulator: Emulator, query: str, expected: list[str]) -> None:
    assert await _numbers(emulator, query) == expected


async def test_order_by_desc(emulator: Emulator) -> None:
    response = await emulator.http.get(
        emulator.table("incident"),
        params={
            "sysparm_query": "stateIN1,2^ORDERBYDESCsys_created_on",
            "sysparm_fields": "number",
        },
    )
    assert [r["number"] for r in response.json()["result"]] == [
        "INC0010003",
        "INC0010002",
        "INC0010001",
    ]


@pytest.mark.parametrize(
    "query",
    [
        "stateSAMEASurgency",  # documented, not emulated
        "short_descriptionINSTANCEOFtask",  # must not be read as IN
        "sys_created_onBETWEEN2026-03-04",  # BETWEEN without its @
        "sys_created_onONToday@javascript:gs.beginningOfToday()@javascript:gs.endOfToday()",
        "state=1^ORurgencyFOO2",
        "stateNOTEQUAL1",
    ],
)
async def test_an_operator_it_cannot_evaluate_is_refused(emulator: Emulator, query: str) -> None:
    response = await emulator.http.get(emulator.table("incident"), params={"sysparm_query": query})
    assert response.status_code == 400
    body = response.json()
    assert body["status"] == "failure"
    assert body["error"]["message"] == "Invalid query"


async def test_name_value_filters_are_anded_with_the_query(emulator: Emulator) -> None:
    assert await _numbers(emulator, "", active="false") == ["5"]
    assert await _numbers(emulator, "urgency=3", state="6") == ["4"]
    assert await _numbers(emulator, "state=1^NQstate=7", active="true") == ["1"]
    assert await _numbers(emulator, "state=1", urgency="3") == []


async def test_paging_headers_and_their_suppression(emulator: Emulator) -> None:
    params = {"sysparm_query": "ORDERBYnumber", "sysparm_fields": "number", "sysparm_limit": "3"}
    page = await emulator.http.get(
        emulator.table("incident"), params={**params, "sysparm_offset": "3"}
    )
    assert [r["number"] for r in page.json()["result"]] == [
        "INC0010004",
        "INC0010005",
        "INC0010006",
    ]
    assert page.headers["X-Total-Count"] == "7"
    assert {'rel="first"', 'rel="prev"', 'rel="next"', 'rel="last"'} <= {
        link.split(";")[1] for link in page.headers["Link"].split(",")
    }
    quiet = await emulator.http.get(
        emulator.table("incident"),
        params={**params, "sysparm_offset": "6", "sysparm_suppress_pagination_header": "true"},
    )
    assert [r["number"] for r in quiet.json()["result"]] == ["INC0010007"]
    assert quiet.headers["X-Total-Count"] == "7"
    assert "Link" not in quiet.headers


async def test_no_response_body_on_writes(emulator: Emulator) -> None:
    quiet = {"X-no-response-body": "true"}
    created = await emulator.http.post(
        emulator.table("incident"), json={"short_description": "Quiet"}, headers=quiet
    )
    assert created.status_code == 201 and created.content == b""
    sys_id = created.headers["Location"].rsplit("/", 1)[1]
    assert _stored(emulator, sys_id)["short_description"] == "Quiet"
    updated = await emulator.http.patch(
        emulator.table("incident", sys_id), json={"short_description": "Still quiet"}, headers=quiet
    )
    assert updated.status_code == 200 and updated.content == b""
    assert _stored(emulator, sys_id)["short_description"] == "Still quiet"


def _stored(emulator: Emulator, sys_id: str) -> dict[str, str]:
    row = emulator.state.get("incident", sys_id)
    assert row is not None
    return row


async def test_deleting_an_incident_deletes_its_slas_and_journal(emulator: Emulator) -> None:
    _, sys_id = seed.INC_SLAS
    assert (await emulator.http.delete(emulator.table("incident", sys_id))).status_code == 204
    assert [r for r in emulator.state.rows("task_sla") if r["task"] == sys_id] == []
    assert [r for r in emulator.state.rows("sys_journal_field") if r["element_id"] == sys_id] == []
    others = {r["task"] for r in emulator.state.rows("task_sla")}
    assert seed.INC_RESOLVED[1] in others  # only that incident's rows went
    assert len(emulator.state.rows("sys_journal_field")) == 8


def test_name_value_filters_join_every_alternative() -> None:
    query = parse("state=1^NQstate=7").and_equal({"active": "true"})
    assert [
        [[(c.column, c.operator, c.value) for c in g] for g in alt] for alt in query.alternatives
    ] == [
        [[("state", "=", "1")], [("active", "=", "true")]],
        [[("state", "=", "7")], [("active", "=", "true")]],
    ]
    assert parse("").and_equal({"active": "true"}).alternatives == (
        ((Condition("active", "=", "true"),),),
    )


def test_unknown_column_dropped_unknown_operator_refused() -> None:
    known = {"state"}.__contains__
    assert parse("stat=1").restricted_to(known).alternatives == ((),)
    assert parse("statFOO1").restricted_to(known).alternatives == ((),)
    with pytest.raises(InvalidQuery, match="stateFOO1"):
        parse("stateFOO1").restricted_to(known)
    with pytest.raises(InvalidQuery):
        parse("stateINSTANCEOFtask").restricted_to(known)
