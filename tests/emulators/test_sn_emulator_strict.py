"""The emulator as strict as a real instance, over real HTTP (docs/connectors/servicenow.md,
"The emulator", cites the vendor page for each behaviour):

- references and choices are stored as given unless ``sysparm_input_display_value=true``, which
  resolves references by display value only and reads choice labels and local datetimes;
- a choice column holding an unknown value reads back as itself, and business rules survive it;
- writes, business rules and SLAs follow the zones a real instance uses (the session user's,
  and the SLA's caller's);
- the lookup tables (``sys_user``, ``sys_user_group``, ``sys_choice``) can be refused or
  ACL-filtered like the journal and SLA tables;
- the queries a client looks people, groups and choices up with.

The emulator's clock starts on Wednesday 2026-03-11 17:00 UTC (10:00 PDT, 02:00 Thursday in
Tokyo) and only moves when a test moves it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from emulators.servicenow import seed

if TYPE_CHECKING:  # for the annotations only: pytest gives the fixtures
    from tests.emulators.conftest import Emulator

ALL = {"sysparm_display_value": "all", "sysparm_exclude_reference_link": "true"}
DISPLAY_INPUT = {"sysparm_input_display_value": "true", **ALL}


async def _create(emulator: Emulator, body: dict[str, Any], **params: str) -> dict[str, Any]:
    response = await emulator.http.post(emulator.table("incident"), json=body, params=params)
    assert response.status_code == 201, response.text
    return response.json()["result"]


async def _patch(
    emulator: Emulator, table: str, sys_id: str, body: dict[str, Any], **params: str
) -> dict[str, Any]:
    response = await emulator.http.patch(emulator.table(table, sys_id), json=body, params=params)
    assert response.status_code == 200, response.text
    return response.json()["result"]


async def _list(emulator: Emulator, table: str, **params: str) -> list[dict[str, Any]]:
    response = await emulator.http.get(emulator.table(table), params=params)
    assert response.status_code == 200, response.text
    return response.json()["result"]


async def _move_user(emulator: Emulator, sys_id: str, zone: str) -> None:
    """Set a user's own time zone through the Table API, as an administrator would."""
    await _patch(emulator, "sys_user", sys_id, {"time_zone": zone})


# -- references ---------------------------------------------------------------------------


async def test_without_the_flag_a_sys_id_is_stored_and_anything_else_is_broken(
    emulator: Emulator,
) -> None:
    record = await _create(
        emulator,
        {
            "short_description": "x",
            "caller_id": seed.ABEL_TUTER,
            "assigned_to": "beth.anglin@example.com",
            "assignment_group": "Network",
        },
        **ALL,
    )
    assert record["caller_id"] == {"display_value": "Abel Tuter", "value": seed.ABEL_TUTER}
    assert record["assigned_to"] == {"display_value": "", "value": "beth.anglin@example.com"}
    assert record["assignment_group"] == {"display_value": "", "value": "Network"}
    stored = emulator.state.get("incident", record["sys_id"]["value"])
    assert stored is not None and stored["assignment_group"] == "Network"

    updated = await _patch(
        emulator, "incident", record["sys_id"]["value"], {"assigned_to": "Beth Anglin"}, **ALL
    )
    assert updated["assigned_to"] == {"display_value": "", "value": "Beth Anglin"}


async def test_with_the_flag_references_are_resolved_by_display_value_only(
    emulator: Emulator,
) -> None:
    record = await _create(
        emulator,
        {
            "short_description": "x",
            "caller_id": "beth ANGLIN",  # the display value, in any case
            "assigned_to": "fred.luddy",  # a user name is not a display value
            "opened_by": "david.loo@example.com",  # nor is an email address
            "assignment_group": "network",
            "resolved_by": seed.ABEL_TUTER,  # a sys_id of a record stays itself
            "closed_by": "Nobody Known",
        },
        **DISPLAY_INPUT,
    )
    assert record["caller_id"] == {"display_value": "Beth Anglin", "value": seed.BETH_ANGLIN}
    assert record["assigned_to"] == {"display_value": "", "value": "fred.luddy"}
    assert record["opened_by"] == {"display_value": "", "value": "david.loo@example.com"}
    assert record["assignment_group"] == {"display_value": "Network", "value": seed.NETWORK}
    assert record["resolved_by"] == {"display_value": "Abel Tuter", "value": seed.ABEL_TUTER}
    assert record["closed_by"] == {"display_value": "", "value": "Nobody Known"}


async def test_with_the_flag_a_shared_display_name_takes_one_of_them(emulator: Emulator) -> None:
    """Two active "Alex Chen": the write does not fail, it takes one (the first stored here;
    which one an instance takes is not documented). A client must not write names it has not
    made unique."""
    record = await _create(
        emulator, {"short_description": "x", "assigned_to": "Alex Chen"}, **DISPLAY_INPUT
    )
    assert record["assigned_to"] == {"display_value": "Alex Chen", "value": seed.ALEX_CHEN}


# -- choices --------------------------------------------------------------------------------


async def test_raw_choice_values_are_stored_and_read_back_as_themselves(
    emulator: Emulator,
) -> None:
    record = await _create(
        emulator, {"short_description": "x", "state": "In Progress", "urgency": "High"}, **ALL
    )
    assert record["state"] == {"display_value": "In Progress", "value": "In Progress"}
    assert record["urgency"] == {"display_value": "High", "value": "High"}
    # The business rules did not crash: an unknown urgency gives priority 5, the record is active.
    assert record["priority"]["value"] == "5"
    assert record["active"]["value"] == "true"
    stored = emulator.state.get("incident", record["sys_id"]["value"])
    assert stored is not None and (stored["state"], stored["urgency"]) == ("In Progress", "High")
    shown = await emulator.http.get(
        emulator.table("incident", record["sys_id"]["value"]),
        params={"sysparm_display_value": "true", "sysparm_fields": "state"},
    )
    assert shown.json()["result"] == {"state": "In Progress"}


async def test_a_raw_state_on_an_incident_with_slas_leaves_them_running(
    emulator: Emulator,
) -> None:
    sys_id = seed.INC_SLAS[1]
    updated = await _patch(emulator, "incident", sys_id, {"state": "Resolved"}, **ALL)
    assert updated["state"] == {"display_value": "Resolved", "value": "Resolved"}
    assert updated["resolved_at"]["value"] == ""  # "Resolved" is not the code 6
    slas = [r for r in emulator.state.rows("task_sla") if r["task"] == sys_id]
    assert {r["sys_id"]: r["active"] for r in slas}[seed.SLA_P1_RESOLUTION] == "true"


async def test_with_the_flag_choice_labels_are_stored_as_their_codes(emulator: Emulator) -> None:
    record = await _create(
        emulator,
        {"short_description": "x", "state": "in progress", "urgency": "1 - High"},
        **DISPLAY_INPUT,
    )
    assert record["state"] == {"display_value": "In Progress", "value": "2"}
    assert record["urgency"] == {"display_value": "1 - High", "value": "1"}
    unknown = await _create(emulator, {"short_description": "x", "state": "Busy"}, **DISPLAY_INPUT)
    assert unknown["state"] == {"display_value": "Busy", "value": "Busy"}


# -- zones ----------------------------------------------------------------------------------


async def test_with_the_flag_datetimes_are_read_in_the_session_users_own_zone(
    emulator: Emulator,
) -> None:
    await _move_user(emulator, seed.INTEGRATION_USER, "Asia/Tokyo")
    record = await _create(
        emulator, {"short_description": "x", "opened_at": "2026-03-10 09:30:00"}, **DISPLAY_INPUT
    )
    assert record["opened_at"]["value"] == "2026-03-10 00:30:00"  # 09:30 JST
    await _move_user(emulator, seed.INTEGRATION_USER, "")  # empty: the instance default (LA)
    record = await _create(
        emulator, {"short_description": "x", "opened_at": "2026-03-10 09:30:00"}, **DISPLAY_INPUT
    )
    assert record["opened_at"]["value"] == "2026-03-10 16:30:00"  # 09:30 PDT


@pytest.mark.parametrize(
    ("zone", "business_seconds"),
    [
        ("America/Los_Angeles", 3600),  # 09:00-10:00 PDT: one business hour
        ("Asia/Tokyo", 0),  # 01:00-02:00 JST: none
    ],
)
async def test_business_durations_follow_the_session_users_zone(
    emulator: Emulator, zone: str, business_seconds: int
) -> None:
    await _move_user(emulator, seed.INTEGRATION_USER, zone)
    record = await _create(
        emulator, {"short_description": "x", "opened_at": "2026-03-11 16:00:00"}, **ALL
    )
    resolved = await _patch(
        emulator,
        "incident",
        record["sys_id"]["value"],
        {"state": "6", "close_code": "Solution provided", "close_notes": "done"},
        **ALL,
    )
    assert resolved["calendar_stc"]["value"] == "3600"
    assert resolved["business_stc"]["value"] == str(business_seconds)


@pytest.mark.parametrize(
    ("caller_zone", "planned_end", "timezone"),
    [
        # P1, 4 business hours from Wednesday 17:00 UTC:
        ("Asia/Tokyo", "2026-03-12 03:00:00", "Asia/Tokyo"),  # Thursday 08:00-12:00 JST
        ("", "2026-03-11 21:00:00", "America/Los_Angeles"),  # the default: 10:00-14:00 PDT
    ],
)
async def test_a_new_sla_is_counted_in_its_callers_zone(
    emulator: Emulator, caller_zone: str, planned_end: str, timezone: str
) -> None:
    await _move_user(emulator, seed.ABEL_TUTER, caller_zone)
    record = await _create(
        emulator,
        {"short_description": "x", "caller_id": seed.ABEL_TUTER, "impact": "1", "urgency": "1"},
        **ALL,
    )
    (task_sla,) = [
        r for r in emulator.state.rows("task_sla") if r["task"] == record["sys_id"]["value"]
    ]
    assert (task_sla["planned_end_time"], task_sla["timezone"]) == (planned_end, timezone)


async def test_an_sla_stops_in_its_own_zone_whoever_stops_it(emulator: Emulator) -> None:
    await _move_user(emulator, seed.ABEL_TUTER, "Asia/Tokyo")
    record = await _create(
        emulator,
        {"short_description": "x", "caller_id": seed.ABEL_TUTER, "impact": "1", "urgency": "1"},
        **ALL,
    )
    await _move_user(emulator, seed.ABEL_TUTER, "America/New_York")  # moved since: no effect
    emulator.clock.advance(hours=7)  # Thursday 00:00 UTC: 09:00 JST, 17:00 PDT
    await _patch(
        emulator,
        "incident",
        record["sys_id"]["value"],
        {"state": "6", "close_code": "Solution provided", "close_notes": "done"},
    )
    (task_sla,) = [
        r for r in emulator.state.rows("task_sla") if r["task"] == record["sys_id"]["value"]
    ]
    assert task_sla["stage"] == "completed"
    assert task_sla["business_duration"] == "1970-01-01 01:00:00"  # 08:00-09:00 JST only


# -- the lookup tables under ACLs ---------------------------------------------------------


@pytest.mark.parametrize("table", ["sys_user", "sys_user_group", "sys_choice"])
async def test_lookups_forbidden_refuses_the_lookup_tables(emulator: Emulator, table: str) -> None:
    set_fault = await emulator.anonymous.post(
        f"{emulator.url}/_emulator/faults", json={"lookups_forbidden": True}
    )
    assert set_fault.status_code == 200 and set_fault.json()["lookups_forbidden"] is True
    listed = await emulator.http.get(emulator.table(table))
    assert listed.status_code == 403
    assert listed.json()["error"]["message"] == "Insufficient rights to query records"
    one = await emulator.http.get(emulator.table(table, emulator.state.rows(table)[0]["sys_id"]))
    assert one.status_code == 403


async def test_lookups_forbidden_leaves_reference_display_values_and_writes(
    emulator: Emulator,
) -> None:
    emulator.state.faults.lookups_forbidden = True
    record = await _create(
        emulator, {"short_description": "x", "caller_id": "Beth Anglin"}, **DISPLAY_INPUT
    )
    assert record["caller_id"] == {"display_value": "Beth Anglin", "value": seed.BETH_ANGLIN}
    incident = await emulator.http.get(emulator.table("incident", seed.INC_NEW[1]), params=ALL)
    assert incident.json()["result"]["caller_id"]["display_value"] == "Abel Tuter"


@pytest.mark.parametrize("table", ["sys_user", "sys_user_group", "sys_choice"])
async def test_lookups_filtered_answers_200_without_the_rows(
    emulator: Emulator, table: str
) -> None:
    emulator.state.faults.lookups_filtered = True
    listed = await emulator.http.get(emulator.table(table))
    assert listed.status_code == 200 and listed.json() == {"result": []}
    assert int(listed.headers["X-Total-Count"]) == len(emulator.state.rows(table))
    one = await emulator.http.get(emulator.table(table, emulator.state.rows(table)[0]["sys_id"]))
    assert one.status_code == 404
    other = await emulator.http.get(emulator.table("incident"))
    assert len(other.json()["result"]) == 7


# -- the lookups a client makes --------------------------------------------------------------


@pytest.mark.parametrize(
    ("wanted", "user_names"),
    [
        ("alex.chen", ["alex.chen"]),
        ("ALEX.CHEN2@example.com", ["alex.chen2"]),  # = ignores case, as GlideRecord does
        ("alex chen", ["alex.chen", "alex.chen2"]),  # a shared display name: both
        ("Carol Former", []),  # inactive
        ("Carol", []),  # = is not a prefix match
    ],
)
async def test_a_person_by_user_name_email_or_name_among_active_users(
    emulator: Emulator, wanted: str, user_names: list[str]
) -> None:
    rows = await _list(
        emulator,
        "sys_user",
        sysparm_query=f"user_name={wanted}^ORemail={wanted}^ORname={wanted}^active=true",
        sysparm_fields="sys_id,user_name,name,email",
    )
    assert sorted(r["user_name"] for r in rows) == user_names


async def test_the_inactive_user_is_still_in_the_table(emulator: Emulator) -> None:
    rows = await _list(emulator, "sys_user", sysparm_query="active=false", sysparm_fields="sys_id")
    assert rows == [{"sys_id": seed.FORMER_USER}]


async def test_in_lists_of_user_names_names_and_sys_ids(emulator: Emulator) -> None:
    by_user_name = await _list(
        emulator,
        "sys_user",
        sysparm_query="user_nameINbeth.anglin,DAVID.LOO,nobody",
        sysparm_fields="name",
    )
    assert sorted(r["name"] for r in by_user_name) == ["Beth Anglin", "David Loo"]
    groups = await _list(
        emulator,
        "sys_user_group",
        sysparm_query="nameINService Desk,network^active=true",
        sysparm_fields="sys_id",
    )
    assert sorted(r["sys_id"] for r in groups) == sorted([seed.SERVICE_DESK, seed.NETWORK])
    by_id = await _list(
        emulator,
        "sys_user",
        sysparm_query=f"sys_idIN{seed.ALEX_CHEN},{seed.FRED_LUDDY}",
        sysparm_fields="user_name",
    )
    assert sorted(r["user_name"] for r in by_id) == ["alex.chen", "fred.luddy"]


async def test_the_choices_of_a_column(emulator: Emulator) -> None:
    rows = await _list(
        emulator,
        "sys_choice",
        sysparm_query="name=incident^element=state^inactive=false^ORDERBYsequence",
        sysparm_fields="value,label",
    )
    assert [(r["value"], r["label"]) for r in rows] == [
        ("1", "New"),
        ("2", "In Progress"),
        ("3", "On Hold"),
        ("6", "Resolved"),
        ("7", "Closed"),
        ("8", "Canceled"),
    ]


async def test_a_lookup_on_a_misspelt_column_widens_the_answer(emulator: Emulator) -> None:
    """As documented (the invalid part of a query is dropped): why a client checks every row
    it is answered instead of trusting the filter."""
    rows = await _list(emulator, "sys_user", sysparm_query="usr_name=alex.chen^active=true")
    assert len(rows) == 7  # every active user
