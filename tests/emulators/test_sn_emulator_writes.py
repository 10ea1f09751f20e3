"""Writing over real HTTP: inserts, updates, journals, business rules and the data policy.

The emulator's clock starts on Wednesday 2026-03-11 17:00 UTC (10:00 PDT) and only moves
when a test moves it.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from emulators.servicenow import seed

if TYPE_CHECKING:  # for the annotations only: pytest gives the fixtures
    from tests.emulators.conftest import Emulator

NOW = "2026-03-11 17:00:00"
POLICY_DETAIL = (
    "Data Policy Exception: \n\tThe following fields are mandatory: "
    "Resolution code, Resolution notes\n"
)


async def _create(emulator: Emulator, body: dict[str, Any], **params: str) -> dict[str, Any]:
    response = await emulator.http.post(emulator.table("incident"), json=body, params=params)
    assert response.status_code == 201, response.text
    return response.json()["result"]


async def test_insert_applies_business_rules(emulator: Emulator) -> None:
    response = await emulator.http.post(
        emulator.table("incident"),
        params={"sysparm_exclude_reference_link": "true"},
        json={
            "short_description": "Printer on fire",
            "impact": "1",
            "urgency": 2,  # numbers are accepted and stored as strings
            "priority": "5",  # computed, so overwritten
            "number": "INC9999999",  # system columns are ignored
            "sys_created_by": "mallory",
            "sys_id": "f" * 32,
        },
    )
    assert response.status_code == 201
    record = response.json()["result"]
    assert re.fullmatch(r"[0-9a-f]{32}", record["sys_id"]) and record["sys_id"] != "f" * 32
    assert response.headers["Location"] == (
        f"{emulator.url}/api/now/v2/table/incident/{record['sys_id']}"
    )
    assert record["number"] == seed.NEXT_NUMBER
    assert (record["state"], record["impact"], record["urgency"], record["priority"]) == (
        "1",
        "1",
        "2",
        "2",
    )
    assert record["sys_created_by"] == "gateway.integration"
    assert record["sys_created_on"] == record["opened_at"] == NOW
    assert record["opened_by"] == seed.INTEGRATION_USER
    assert record["sys_mod_count"] == "0"
    second = await _create(emulator, {"short_description": "Second"})
    assert second["number"] == "INC0010009"
    assert (second["impact"], second["urgency"], second["priority"]) == ("3", "3", "5")


async def test_insert_attaches_a_resolution_sla(emulator: Emulator) -> None:
    record = await _create(emulator, {"short_description": "Slow laptop"})
    [sla] = [r for r in emulator.state.records("task_sla") if r["task"] == record["sys_id"]]
    assert sla["sla"] == "Priority 5 resolution"
    assert (sla["active"], sla["stage"], sla["has_breached"]) == ("true", "in_progress", "false")
    assert sla["business_time_left"] == "1970-01-11 00:00:00"  # 10 days, past the 1st of Jan
    assert sla["start_time"] == NOW


async def test_journal_writes_append_rows_and_read_empty(emulator: Emulator) -> None:
    record = await _create(
        emulator,
        {"short_description": "VPN", "comments": "First line\n\nafter a blank line"},
        sysparm_display_value="all",
    )
    sys_id = record["sys_id"]["value"]
    assert record["comments"] == {
        "display_value": (
            "2026-03-11 10:00:00 - Gateway Integration (Additional comments)\n"
            "First line\n\nafter a blank line"
        ),
        "value": "",
    }
    emulator.clock.advance(minutes=5)
    response = await emulator.http.patch(
        emulator.table("incident", sys_id), json={"work_notes": "Checked the tunnel"}
    )
    assert response.status_code == 200
    assert response.json()["result"]["work_notes"] == ""
    rows = [r for r in emulator.state.records("sys_journal_field") if r["element_id"] == sys_id]
    assert [
        (r["element"], r["value"], r["name"], r["sys_created_on"], r["sys_created_by"])
        for r in rows
    ] == [
        ("comments", "First line\n\nafter a blank line", "incident", NOW, "gateway.integration"),
        (
            "work_notes",
            "Checked the tunnel",
            "incident",
            "2026-03-11 17:05:00",
            "gateway.integration",
        ),
    ]


async def test_patch_and_put_update_partially(emulator: Emulator) -> None:
    sys_id = seed.INC_NEW[1]
    emulator.clock.advance(hours=1)
    patched = await emulator.http.patch(
        emulator.table("incident", sys_id), json={"urgency": "1", "no_such_column": "x"}
    )
    assert patched.status_code == 200
    record = patched.json()["result"]
    assert (record["urgency"], record["impact"], record["priority"]) == ("1", "2", "2")
    assert record["short_description"] == "Cannot send email from Outlook"
    assert record["sys_mod_count"] == "1"
    assert (record["sys_updated_on"], record["sys_updated_by"]) == (
        "2026-03-11 18:00:00",
        "gateway.integration",
    )
    assert "no_such_column" not in record
    put = await emulator.http.put(
        emulator.table("incident", sys_id, v2=True), json={"description": "Now via PUT"}
    )
    assert put.status_code == 200
    assert put.json()["result"]["urgency"] == "1"  # PUT is partial too
    assert put.json()["result"]["sys_mod_count"] == "2"


async def test_update_of_unknown_record_is_404(emulator: Emulator) -> None:
    response = await emulator.http.patch(
        emulator.table("incident", "0" * 32), json={"description": "x"}
    )
    assert response.status_code == 404
    assert response.json()["error"]["message"] == "No Record found"


async def test_malformed_json_is_400(emulator: Emulator) -> None:
    response = await emulator.http.post(
        emulator.table("incident"),
        content=b'{"short_description": ',
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 400
    body = response.json()
    assert body["status"] == "failure" and body["error"]["message"]


async def test_custom_columns_are_stored_other_unknowns_ignored(emulator: Emulator) -> None:
    record = await _create(emulator, {"short_description": "x", "u_vendor_ref": "V-1", "bogus": 1})
    assert record["u_vendor_ref"] == "V-1"
    assert "bogus" not in record
    other = await emulator.http.get(emulator.table("incident", seed.INC_NEW[1]))
    assert other.json()["result"]["u_vendor_ref"] == ""


async def test_references_are_stored_as_given(emulator: Emulator) -> None:
    """Without sysparm_input_display_value nothing is looked up: a name is a broken reference
    (docs/connectors/servicenow.md, "The emulator"; more in test_sn_emulator_strict.py)."""
    record = await _create(
        emulator,
        {
            "short_description": "x",
            "caller_id": "Beth Anglin",
            "assigned_to": "fred.luddy",
            "assignment_group": seed.NETWORK,
            "opened_by": "Nobody Known",
        },
        sysparm_display_value="all",
        sysparm_exclude_reference_link="true",
    )
    assert record["caller_id"] == {"display_value": "", "value": "Beth Anglin"}
    assert record["assigned_to"] == {"display_value": "", "value": "fred.luddy"}
    assert record["assignment_group"] == {"display_value": "Network", "value": seed.NETWORK}
    assert record["opened_by"] == {"display_value": "", "value": "Nobody Known"}


async def test_resolving_without_closure_fields_is_refused(emulator: Emulator) -> None:
    sys_id = seed.INC_DST[1]
    before = emulator.state.get("incident", sys_id)
    journal_before = len(emulator.state.records("sys_journal_field"))
    response = await emulator.http.patch(
        emulator.table("incident", sys_id),
        json={"state": "6", "close_code": "Solution provided", "comments": "fixed"},
    )
    assert response.status_code == 403
    assert response.json() == {
        "error": {
            "message": "Operation Failed",
            "detail": "Data Policy Exception: \n\tThe following fields are mandatory: "
            "Resolution notes\n",
        },
        "status": "failure",
    }
    assert emulator.state.get("incident", sys_id) == before
    assert len(emulator.state.records("sys_journal_field")) == journal_before
    both = await emulator.http.post(emulator.table("incident"), json={"state": "7"})
    assert both.status_code == 403
    assert both.json()["error"]["detail"] == POLICY_DETAIL


async def test_on_hold_needs_a_reason(emulator: Emulator) -> None:
    response = await emulator.http.patch(
        emulator.table("incident", seed.INC_NEW[1]), json={"state": "3"}
    )
    assert response.status_code == 403
    assert "On hold reason" in response.json()["error"]["detail"]


async def test_resolve_close_and_reopen(emulator: Emulator) -> None:
    record = await _create(emulator, {"short_description": "Disk", "impact": "2"})
    sys_id = record["sys_id"]
    emulator.clock.advance(hours=26)  # Wednesday 10:00 -> Thursday 12:00 PDT
    resolved = await emulator.http.patch(
        emulator.table("incident", sys_id),
        params={"sysparm_exclude_reference_link": "true"},
        json={"state": "6", "close_code": "Solution provided", "close_notes": "Swapped it"},
    )
    assert resolved.status_code == 200
    row = resolved.json()["result"]
    assert (row["resolved_at"], row["resolved_by"]) == (
        "2026-03-12 19:00:00",
        seed.INTEGRATION_USER,
    )
    assert (row["business_duration"], row["business_stc"]) == ("1970-01-01 11:00:00", "39600")
    assert (row["calendar_duration"], row["calendar_stc"]) == ("1970-01-02 02:00:00", "93600")
    assert row["active"] == "true"
    [sla] = [r for r in emulator.state.records("task_sla") if r["task"] == sys_id]
    assert (sla["active"], sla["stage"], sla["business_duration"]) == (
        "false",
        "completed",
        "1970-01-01 11:00:00",
    )

    emulator.clock.advance(hours=1)
    closed = (
        await emulator.http.patch(
            emulator.table("incident", sys_id),
            params={"sysparm_exclude_reference_link": "true"},
            json={"state": "7"},
        )
    ).json()["result"]
    assert (closed["closed_at"], closed["closed_by"]) == (
        "2026-03-12 20:00:00",
        seed.INTEGRATION_USER,
    )
    assert closed["resolved_at"] == "2026-03-12 19:00:00"  # kept from the resolution
    assert closed["active"] == "false"

    reopened = (
        await emulator.http.patch(emulator.table("incident", sys_id), json={"state": "2"})
    ).json()["result"]
    assert reopened["resolved_at"] == reopened["closed_at"] == reopened["business_stc"] == ""
    assert reopened["reopen_count"] == "1"
    assert reopened["close_notes"] == "Swapped it"  # kept for the next resolution


async def test_closing_directly_also_resolves(emulator: Emulator) -> None:
    response = await emulator.http.patch(
        emulator.table("incident", seed.INC_SLAS[1]),
        params={"sysparm_display_value": "all", "sysparm_fields": "state,resolved_by,closed_by"},
        json={"state": "7", "close_code": "Workaround provided", "close_notes": "Restarted"},
    )
    assert response.status_code == 200
    result = response.json()["result"]
    assert result["state"] == {"display_value": "Closed", "value": "7"}
    assert result["resolved_by"]["display_value"] == "Gateway Integration"
    assert result["closed_by"]["display_value"] == "Gateway Integration"
    active = [
        r
        for r in emulator.state.records("task_sla")
        if r["task"] == seed.INC_SLAS[1] and r["active"] == "true"
    ]
    assert active == []


async def test_input_display_value_reads_local_times_and_labels(emulator: Emulator) -> None:
    record = await _create(
        emulator,
        {"short_description": "x", "opened_at": "2026-03-10 09:30:00", "category": "Network"},
        sysparm_input_display_value="true",
    )
    assert record["opened_at"] == "2026-03-10 16:30:00"  # 09:30 PDT
    assert record["category"] == "network"


async def test_delete_then_404(emulator: Emulator) -> None:
    url = emulator.table("incident", seed.INC_CUSTOM_STATE[1])
    assert (await emulator.http.delete(url)).status_code == 204
    assert (await emulator.http.get(url)).status_code == 404
    assert (await emulator.http.delete(url)).status_code == 404


async def test_insert_raw_makes_a_duplicate_number(emulator: Emulator) -> None:
    copy = emulator.state.insert_raw(
        "incident", {"number": seed.INC_RESOLVED[0], "short_description": "Duplicate"}
    )
    assert len(copy["sys_id"]) == 32 and copy["state"] == ""
    response = await emulator.http.get(
        emulator.table("incident"),
        params={"sysparm_query": f"number={seed.INC_RESOLVED[0]}", "sysparm_fields": "sys_id"},
    )
    assert {r["sys_id"] for r in response.json()["result"]} == {
        seed.INC_RESOLVED[1],
        copy["sys_id"],
    }


async def test_insert_raw_through_the_control_api(emulator: Emulator) -> None:
    response = await emulator.anonymous.post(
        f"{emulator.url}/_emulator/records/incident",
        json={"number": seed.INC_NEW[0], "sys_id": "a" * 32},
    )
    assert response.status_code == 201
    assert response.json()["sys_id"] == "a" * 32
    again = await emulator.anonymous.post(
        f"{emulator.url}/_emulator/records/incident", json={"sys_id": "a" * 32}
    )
    assert again.status_code == 400
