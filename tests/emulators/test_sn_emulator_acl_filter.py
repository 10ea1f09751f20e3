"""The ACL mode that filters rows with 200 (``journal_filtered``, ``sla_filtered``), beside the
403 mode: what real instances do to a list read of a table whose rows the account may not read."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from emulators.servicenow import seed

if TYPE_CHECKING:  # for the annotations only: pytest gives the fixtures
    from tests.emulators.conftest import Emulator


@pytest.mark.parametrize(
    ("fault", "table", "query"),
    [
        ("journal_filtered", "sys_journal_field", f"element_id={seed.INC_DST[1]}"),
        ("sla_filtered", "task_sla", f"task={seed.INC_SLAS[1]}"),
    ],
)
async def test_a_filtered_table_answers_200_without_the_rows(
    emulator: Emulator, fault: str, table: str, query: str
) -> None:
    before = await emulator.http.get(emulator.table(table), params={"sysparm_query": query})
    assert before.json()["result"]  # the seed has rows there
    set_fault = await emulator.anonymous.post(
        f"{emulator.url}/_emulator/faults", json={fault: True}
    )
    assert set_fault.json()[fault] is True

    after = await emulator.http.get(emulator.table(table), params={"sysparm_query": query})

    assert after.status_code == 200
    assert after.json() == {"result": []}
    # The count is taken before ACLs filter, as the limit is.
    assert after.headers["X-Total-Count"] == before.headers["X-Total-Count"]
    one = before.json()["result"][0]["sys_id"]
    by_id = await emulator.http.get(emulator.table(table, one))
    assert by_id.status_code == 404
    assert by_id.json()["error"]["message"] == "No Record found"


async def test_the_record_keeps_its_journal_text_when_the_journal_is_filtered(
    emulator: Emulator,
) -> None:
    emulator.state.faults.journal_filtered = True
    shown = await emulator.http.get(
        emulator.table("incident", seed.INC_DST[1]),
        params={"sysparm_display_value": "true", "sysparm_fields": "comments"},
    )
    assert "Beth Anglin (Additional comments)" in shown.json()["result"]["comments"]
    assert (await emulator.http.get(emulator.table("task_sla"))).json()["result"]


async def test_the_filter_modes_are_quiet_until_set(emulator: Emulator) -> None:
    faults = (await emulator.anonymous.get(f"{emulator.url}/_emulator/faults")).json()
    assert "journal_filtered" not in faults
    assert "sla_filtered" not in faults
    refused = await emulator.anonymous.post(
        f"{emulator.url}/_emulator/faults", json={"sla_filtered": "yes"}
    )
    assert refused.status_code == 400
