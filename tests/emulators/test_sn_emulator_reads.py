"""Reading over real HTTP: lists, single records, the three display modes, paging, quirks."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlsplit

from emulators.servicenow import seed

if TYPE_CHECKING:  # for the annotations only: pytest gives the fixtures
    from tests.emulators.conftest import Emulator

JSON = "application/json;charset=UTF-8"


async def test_list_answers_stored_strings_with_total_and_json_type(emulator: Emulator) -> None:
    response = await emulator.http.get(
        emulator.table("incident"),
        params={"sysparm_query": "ORDERBYnumber", "sysparm_fields": "number,state,business_stc"},
    )
    assert response.status_code == 200
    assert response.headers["Content-Type"] == JSON
    assert response.headers["X-Total-Count"] == "7"
    result = response.json()["result"]
    assert result[0] == {"number": "INC0010001", "state": "1", "business_stc": ""}
    assert result[3] == {"number": "INC0010004", "state": "6", "business_stc": "28800"}
    assert all(isinstance(v, str) for row in result for v in row.values())


async def test_v2_prefix_and_single_record(emulator: Emulator) -> None:
    number, sys_id = seed.INC_RESOLVED
    response = await emulator.http.get(emulator.table("incident", sys_id, v2=True))
    assert response.status_code == 200
    record = response.json()["result"]
    assert record["number"] == number
    assert record["comments"] == "" and record["work_notes"] == ""  # journals never stored
    assert record["assigned_to"] == {
        "link": f"{emulator.url}/api/now/v2/table/sys_user/{seed.BETH_ANGLIN}",
        "value": seed.BETH_ANGLIN,
    }
    assert record["caller_id"]["value"] == seed.DAVID_LOO
    assert record["resolved_at"] == "2026-02-11 16:00:00"
    assert record["business_duration"] == "1970-01-01 08:00:00"


async def test_unknown_sys_id_is_404(emulator: Emulator) -> None:
    response = await emulator.http.get(emulator.table("incident", "0" * 32))
    assert response.status_code == 404
    assert response.json() == {
        "error": {
            "message": "No Record found",
            "detail": "Record doesn't exist or ACL restricts the record retrieval",
        },
        "status": "failure",
    }


async def test_unknown_table_is_400(emulator: Emulator) -> None:
    response = await emulator.http.get(emulator.table("incidnet"))
    assert response.status_code == 400
    assert response.json() == {
        "error": {"message": "Invalid table incidnet", "detail": None},
        "status": "failure",
    }


async def test_misspelt_filter_returns_the_whole_table(emulator: Emulator) -> None:
    response = await emulator.http.get(
        emulator.table("incident"), params={"sysparm_query": "numbr=INC0010004"}
    )
    assert response.headers["X-Total-Count"] == "7"
    assert len(response.json()["result"]) == 7


async def test_no_match_is_an_empty_result(emulator: Emulator) -> None:
    response = await emulator.http.get(
        emulator.table("incident"), params={"sysparm_query": "number=INC9999999"}
    )
    assert response.status_code == 200
    assert response.json() == {"result": []}
    assert response.headers["X-Total-Count"] == "0"


async def test_unknown_field_names_are_ignored(emulator: Emulator) -> None:
    response = await emulator.http.get(
        emulator.table("incident", seed.INC_NEW[1]),
        params={"sysparm_fields": "number,no_such_column,caller_id.name"},
    )
    assert response.json()["result"] == {"number": "INC0010001", "caller_id.name": "Abel Tuter"}


async def test_display_true_gives_labels_names_local_times_and_text(emulator: Emulator) -> None:
    response = await emulator.http.get(
        emulator.table("incident", seed.INC_RESOLVED[1]),
        params={
            "sysparm_display_value": "true",
            "sysparm_exclude_reference_link": "true",
            "sysparm_fields": "state,priority,urgency,impact,severity,category,subcategory,"
            "assigned_to,assignment_group,resolved_at,business_duration,business_stc,number",
        },
    )
    assert response.json()["result"] == {
        "state": "Resolved",
        "priority": "4 - Low",
        "urgency": "3 - Low",
        "impact": "2 - Medium",
        "severity": "3 - Low",
        "category": "Hardware",
        "subcategory": "Disk",
        "assigned_to": "Beth Anglin",
        "assignment_group": "Service Desk",
        "resolved_at": "2026-02-11 08:00:00",  # PST
        "business_duration": "8 Hours",
        "business_stc": "28,800",
        "number": "INC0010004",
    }


async def test_display_true_references_carry_links_unless_excluded(emulator: Emulator) -> None:
    response = await emulator.http.get(
        emulator.table("incident", seed.INC_DST[1]),
        params={"sysparm_display_value": "true", "sysparm_fields": "assigned_to,category"},
    )
    assert response.json()["result"] == {
        "assigned_to": {
            "display_value": "David Loo",
            "link": f"{emulator.url}/api/now/v2/table/sys_user/{seed.DAVID_LOO}",
        },
        "category": "Network",
    }


async def test_display_all_pairs_label_and_value(emulator: Emulator) -> None:
    response = await emulator.http.get(
        emulator.table("incident"),
        params={
            "sysparm_display_value": "all",
            "sysparm_query": "number=INC0010003",
            "sysparm_fields": "state,assigned_to,assignment_group,subcategory,resolved_by",
        },
    )
    [row] = response.json()["result"]
    assert row == {
        "state": {"display_value": "In Progress", "value": "2"},
        "assigned_to": {
            "display_value": "Fred Luddy",
            "value": seed.FRED_LUDDY,
            "link": f"{emulator.url}/api/now/v2/table/sys_user/{seed.FRED_LUDDY}",
        },
        "assignment_group": {
            "display_value": "Database",
            "value": seed.DATABASE,
            "link": f"{emulator.url}/api/now/v2/table/sys_user_group/{seed.DATABASE}",
        },
        "subcategory": {"display_value": "Oracle", "value": "oracle"},
        "resolved_by": {"display_value": "", "value": ""},
    }


async def test_unknown_state_code_displays_as_itself(emulator: Emulator) -> None:
    response = await emulator.http.get(
        emulator.table("incident", seed.INC_CUSTOM_STATE[1]),
        params={"sysparm_display_value": "all", "sysparm_fields": "state"},
    )
    assert response.json()["result"] == {"state": {"display_value": "10", "value": "10"}}


async def test_journal_display_straddles_daylight_saving(emulator: Emulator) -> None:
    response = await emulator.http.get(
        emulator.table("incident", seed.INC_DST[1]),
        params={"sysparm_display_value": "all", "sysparm_fields": "comments,work_notes"},
    )
    result = response.json()["result"]
    assert result["comments"] == {
        "display_value": (
            "2026-03-09 10:10:00 - David Loo (Additional comments)\n"  # 17:10 UTC, UTC-7
            "We upgraded the access point. Please tell us if the drops continue.\n\n"
            "2026-03-07 10:30:00 - Beth Anglin (Additional comments)\n"  # 18:30 UTC, UTC-8
            "Still dropping this morning."
        ),
        "value": "",
    }
    assert result["work_notes"]["display_value"].startswith(
        "2026-03-09 09:45:00 - David Loo (Work notes)\nUpgraded AP-3F-02"
    )


async def test_journal_text_keeps_its_blank_lines(emulator: Emulator) -> None:
    response = await emulator.http.get(
        emulator.table("incident", seed.INC_NEW[1]),
        params={"sysparm_display_value": "true", "sysparm_fields": "comments"},
    )
    assert response.json()["result"]["comments"] == (
        "2026-03-02 08:05:00 - Abel Tuter (Additional comments)\n" + seed.COMMENT_WITH_BLANK_LINE
    )


async def test_display_follows_the_users_zone_and_formats(emulator: Emulator) -> None:
    changed = await emulator.http.post(
        f"{emulator.url}/_emulator/config",
        json={
            "time_zone": "Europe/Paris",
            "date_format": "dd-MM-yyyy",
            "time_format": "hh:mm:ss a",
        },
    )
    assert changed.status_code == 200
    response = await emulator.http.get(
        emulator.table("incident", seed.INC_RESOLVED[1]),
        params={"sysparm_display_value": "true", "sysparm_fields": "resolved_at,opened_at"},
    )
    assert response.json()["result"] == {
        "resolved_at": "11-02-2026 05:00:00 PM",
        "opened_at": "10-02-2026 06:00:00 PM",
    }
    users = await emulator.http.get(
        emulator.table("sys_user"), params={"sysparm_query": "user_name=gateway.integration"}
    )
    assert users.json()["result"][0]["time_zone"] == "Europe/Paris"


async def test_paging_with_link_header(emulator: Emulator) -> None:
    response = await emulator.http.get(
        emulator.table("incident"),
        params={"sysparm_query": "ORDERBYnumber", "sysparm_limit": "2", "sysparm_offset": "2"},
    )
    assert [r["number"] for r in response.json()["result"]] == ["INC0010003", "INC0010004"]
    assert response.headers["X-Total-Count"] == "7"
    links = {}
    for part in response.headers["Link"].split(","):
        url, rel = part.split(";")
        parsed = urlsplit(url.strip("<>"))
        assert parsed.path == "/api/now/v2/table/incident"
        query = parse_qs(parsed.query)
        assert query["sysparm_query"] == ["ORDERBYnumber"]
        links[rel.removeprefix("rel=").strip('"')] = query["sysparm_offset"][0]
    assert links == {"first": "0", "prev": "0", "next": "4", "last": "6"}


async def test_order_by_desc_and_in(emulator: Emulator) -> None:
    response = await emulator.http.get(
        emulator.table("incident"),
        params={
            "sysparm_query": "stateIN6,7^ORDERBYDESCnumber",
            "sysparm_fields": "number",
        },
    )
    assert response.json()["result"] == [{"number": "INC0010005"}, {"number": "INC0010004"}]


async def test_journal_rows_in_one_query(emulator: Emulator) -> None:
    sys_id = seed.INC_DST[1]
    response = await emulator.http.get(
        emulator.table("sys_journal_field"),
        params={
            "sysparm_query": f"element_id={sys_id}^elementINcomments,work_notes"
            "^ORDERBYsys_created_on",
            "sysparm_fields": "element,value,sys_created_on,sys_created_by",
        },
    )
    rows = response.json()["result"]
    assert [(r["element"], r["sys_created_on"], r["sys_created_by"]) for r in rows] == [
        ("comments", "2026-03-07 18:30:00", "beth.anglin"),
        ("work_notes", "2026-03-07 19:05:00", "david.loo"),
        ("work_notes", "2026-03-09 16:45:00", "david.loo"),
        ("comments", "2026-03-09 17:10:00", "david.loo"),
    ]


async def test_task_sla_rows_and_smallest_active_time_left(emulator: Emulator) -> None:
    response = await emulator.http.get(
        emulator.table("task_sla"),
        params={
            "sysparm_query": f"task={seed.INC_SLAS[1]}",
            "sysparm_fields": "sys_id,active,business_time_left,stage",
            "sysparm_exclude_reference_link": "true",
        },
    )
    rows = {r["sys_id"]: r for r in response.json()["result"]}
    assert rows[seed.SLA_P1_RESOLUTION]["business_time_left"] == "1970-01-01 02:30:00"
    assert rows[seed.SLA_VENDOR_OLA]["business_time_left"] == "1970-02-15 01:00:00"
    assert rows[seed.SLA_P2_CANCELLED] == {
        "sys_id": seed.SLA_P2_CANCELLED,
        "active": "false",
        "business_time_left": "1970-01-01 00:20:00",
        "stage": "cancelled",
    }


async def test_close_code_choices_are_listed(emulator: Emulator) -> None:
    response = await emulator.http.get(
        emulator.table("sys_choice"),
        params={"sysparm_query": "name=incident^element=close_code", "sysparm_fields": "value"},
    )
    values = [r["value"] for r in response.json()["result"]]
    assert "Solution provided" in values and "Workaround provided" in values


async def test_unknown_api_path_is_a_json_error(emulator: Emulator) -> None:
    response = await emulator.http.get(f"{emulator.url}/api/now/tables/incident")
    assert response.status_code == 400
    assert response.json()["error"]["message"] == "Requested URI does not represent any resource"
