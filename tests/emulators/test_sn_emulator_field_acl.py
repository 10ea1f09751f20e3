"""Field-level read ACLs (``unreadable_columns``): an account that passes the table's ACL but not
a column's gets Table API answers without that column: the key is absent, not empty, in every
display mode, for reads and writes alike, and through dot-walks."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from emulators.servicenow import seed

if TYPE_CHECKING:  # for the annotations only: pytest gives the fixtures
    from tests.emulators.conftest import Emulator

FIELDS = "number,assigned_to,assigned_to.name,short_description,severity"


@pytest.mark.parametrize("display", ["true", "false", "all"])
async def test_an_unreadable_column_is_left_out_of_a_read(emulator: Emulator, display: str) -> None:
    params = {"sysparm_fields": FIELDS, "sysparm_display_value": display}
    before = await emulator.http.get(emulator.table("incident", seed.INC_DST[1]), params=params)
    assert {"assigned_to", "assigned_to.name"} <= before.json()["result"].keys()
    set_fault = await emulator.anonymous.post(
        f"{emulator.url}/_emulator/faults",
        json={"unreadable_columns": ["incident.assigned_to", "incident.severity"]},
    )
    assert set_fault.json()["unreadable_columns"] == ["incident.assigned_to", "incident.severity"]

    record = await emulator.http.get(emulator.table("incident", seed.INC_DST[1]), params=params)
    listed = await emulator.http.get(
        emulator.table("incident"), params={**params, "sysparm_query": "number=INC0010002"}
    )

    assert record.status_code == listed.status_code == 200
    for row in (record.json()["result"], listed.json()["result"][0]):
        assert set(row) == {"number", "short_description"}
        assert row["number"] == before.json()["result"]["number"]


async def test_a_whole_record_read_leaves_the_column_out_too(emulator: Emulator) -> None:
    emulator.state.faults.unreadable_columns = ("incident.caller_id",)
    row = (await emulator.http.get(emulator.table("incident", seed.INC_DST[1]))).json()["result"]
    assert "caller_id" not in row
    assert "short_description" in row


async def test_only_the_named_table_is_affected(emulator: Emulator) -> None:
    emulator.state.faults.unreadable_columns = ("incident.number",)
    users = await emulator.http.get(emulator.table("sys_user"), params={"sysparm_limit": "1"})
    assert "sys_id" in users.json()["result"][0]
    incidents = await emulator.http.get(emulator.table("incident"), params={"sysparm_limit": "1"})
    assert "number" not in incidents.json()["result"][0]


async def test_a_write_answer_leaves_the_column_out(emulator: Emulator) -> None:
    emulator.state.faults.unreadable_columns = ("incident.short_description",)
    created = await emulator.http.post(
        emulator.table("incident"), json={"short_description": "printer on fire"}
    )
    assert created.status_code == 201
    assert "short_description" not in created.json()["result"]
    stored = await emulator.anonymous.get(f"{emulator.url}/_emulator/records/incident")
    assert "printer on fire" in stored.text  # written: only the answer hides it


@pytest.mark.parametrize(
    "value", ["incident.assigned_to", ["incident"], ["incident.assigned_to x"], [1], None]
)
async def test_the_switch_takes_only_lists_of_table_column_names(
    emulator: Emulator, value: object
) -> None:
    answer = await emulator.anonymous.post(
        f"{emulator.url}/_emulator/faults", json={"unreadable_columns": value}
    )
    assert answer.status_code == 400
    assert emulator.state.faults.unreadable_columns == ()


async def test_the_switch_is_quiet_until_set(emulator: Emulator) -> None:
    faults = (await emulator.anonymous.get(f"{emulator.url}/_emulator/faults")).json()
    assert "unreadable_columns" not in faults
