"""The emulator's pure parts: stored value forms, schedule, user formats, encoded queries,
business rules, and the seed's consistency with them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from emulators.servicenow import EmulatorConfig, EmulatorState, seed
from emulators.servicenow.datefmt import UserDateTimeFormat
from emulators.servicenow.glide import (
    duration_text,
    format_duration,
    parse_datetime,
    parse_duration,
)
from emulators.servicenow.query import parse
from emulators.servicenow.rules import DataPolicyViolation, check_data_policy, priority_for
from emulators.servicenow.schedule import add_business_seconds, business_seconds

LA = ZoneInfo("America/Los_Angeles")


@pytest.mark.parametrize(
    ("seconds", "stored"),
    [
        (0, "1970-01-01 00:00:00"),
        (28_800, "1970-01-01 08:00:00"),
        (6_899_930, "1970-03-21 20:38:50"),  # the notes' rollover example
        (31 * 86_400, "1970-02-01 00:00:00"),
    ],
)
def test_glide_duration_round_trips_through_the_epoch_form(seconds: int, stored: str) -> None:
    assert format_duration(seconds) == stored
    assert parse_duration(stored) == seconds


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (28_800, "8 Hours"),
        (93_900, "1 Day 2 Hours 5 Minutes"),
        (93_959, "1 Day 2 Hours 5 Minutes"),  # seconds dropped
        (3_661, "1 Hour 1 Minute"),
        (45, "45 Seconds"),
        (0, "0 Seconds"),
        (6_899_930, "79 Days 20 Hours 38 Minutes"),
    ],
)
def test_duration_display_text(seconds: int, text: str) -> None:
    assert duration_text(seconds) == text


def test_business_seconds_count_weekdays_eight_to_five_local() -> None:
    friday_4pm = datetime(2026, 3, 6, 16, 0, tzinfo=LA)
    monday_9am = datetime(2026, 3, 9, 9, 0, tzinfo=LA)  # across the weekend and the DST change
    assert business_seconds(friday_4pm, monday_9am, LA) == 2 * 3600
    assert business_seconds(monday_9am, friday_4pm, LA) == 0


def test_add_business_seconds_skips_nights_and_weekends() -> None:
    friday_4pm = datetime(2026, 3, 6, 16, 0, tzinfo=LA)
    end = add_business_seconds(friday_4pm, 2 * 3600, LA)
    assert end.astimezone(UTC) == datetime(2026, 3, 9, 16, 0, tzinfo=UTC)  # Monday 09:00 PDT


@pytest.mark.parametrize(
    ("date_format", "time_format", "text"),
    [
        ("yyyy-MM-dd", "HH:mm:ss", "2026-03-09 14:05:09"),
        ("dd-MM-yyyy", "HH:mm:ss", "09-03-2026 14:05:09"),
        ("MM-dd-yyyy", "hh:mm:ss a", "03-09-2026 02:05:09 PM"),
    ],
)
def test_user_datetime_formats_render_and_parse(
    date_format: str, time_format: str, text: str
) -> None:
    moment = datetime(2026, 3, 9, 21, 5, 9, tzinfo=UTC)  # 14:05:09 PDT
    fmt = UserDateTimeFormat(date_format, time_format)
    assert fmt.format(moment, LA) == text
    parsed = fmt.parse(text, LA)
    assert parsed is not None and parsed.astimezone(UTC) == moment


def test_unsupported_format_letters_are_refused() -> None:
    with pytest.raises(ValueError):
        EmulatorConfig(date_format="yyyy-MMM-dd")
    with pytest.raises(ValueError):
        EmulatorConfig(time_zone="Mars/Olympus_Mons")


def _rows(text: str, rows: list[dict[str, str]], known: set[str]) -> list[str]:
    query = parse(text).restricted_to(lambda column: column in known)
    return [row["n"] for row in rows if query.matches(_reader(row))]


def _reader(row: dict[str, str]) -> Callable[[str], str]:
    return lambda column: row.get(column, "")


ROWS = [
    {"n": "a", "state": "1", "element": "comments", "text": "Disk full"},
    {"n": "b", "state": "2", "element": "work_notes", "text": ""},
    {"n": "c", "state": "6", "element": "comments", "text": "disk replaced"},
]
KNOWN = {"n", "state", "element", "text"}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("state=1", ["a"]),
        ("state!=1", ["b", "c"]),
        ("stateIN1,6", ["a", "c"]),
        ("stateNOTIN1,6", ["b"]),
        ("elementINcomments,work_notes", ["a", "b", "c"]),
        ("textLIKEdisk", ["a", "c"]),
        ("textSTARTSWITHdisk", ["a", "c"]),
        ("textISEMPTY", ["b"]),
        ("textISNOTEMPTY", ["a", "c"]),
        ("state=1^ORstate=2^element=comments", ["a"]),  # OR binds tighter than AND
        ("state=1^NQstate=6", ["a", "c"]),
        ("state>1", ["b", "c"]),
        ("stat=1", ["a", "b", "c"]),  # unknown column: condition dropped, whole table
        ("state=1^bogus=x", ["a"]),
        ("state=2^ORbogus=x", ["b"]),
        ("garbage", ["a", "b", "c"]),
        ("", ["a", "b", "c"]),
    ],
)
def test_encoded_query_matching(query: str, expected: list[str]) -> None:
    assert _rows(query, ROWS, KNOWN) == expected


def test_encoded_query_ordering_terms() -> None:
    query = parse("element=comments^ORDERBYDESCsys_created_on^ORDERBYnumber^EQ")
    assert [(o.column, o.descending) for o in query.order_by] == [
        ("sys_created_on", True),
        ("number", False),
    ]


@pytest.mark.parametrize(
    ("impact", "urgency", "priority"),
    [
        ("1", "1", "1"),
        ("1", "2", "2"),
        ("2", "1", "2"),
        ("1", "3", "3"),
        ("2", "2", "3"),
        ("3", "1", "3"),
        ("2", "3", "4"),
        ("3", "2", "4"),
        ("3", "3", "5"),
    ],
)
def test_priority_matrix(impact: str, urgency: str, priority: str) -> None:
    assert priority_for(impact, urgency) == priority


def test_data_policy_names_the_missing_fields() -> None:
    with pytest.raises(DataPolicyViolation) as refused:
        check_data_policy({"state": "6", "close_code": "", "close_notes": ""})
    assert refused.value.detail == (
        "Data Policy Exception: \n\tThe following fields are mandatory: "
        "Resolution code, Resolution notes\n"
    )
    check_data_policy({"state": "6", "close_code": "Duplicate", "close_notes": "dup of INC1"})


def test_seeded_durations_agree_with_the_schedule() -> None:
    state = EmulatorState()
    for number, sys_id in (seed.INC_RESOLVED, seed.INC_CLOSED):
        row = state.get("incident", sys_id)
        assert row is not None and row["number"] == number
        opened, resolved = parse_datetime(row["opened_at"]), parse_datetime(row["resolved_at"])
        assert opened is not None and resolved is not None
        business = business_seconds(opened, resolved, LA)
        assert row["business_stc"] == str(business)
        assert parse_duration(row["business_duration"]) == business
        assert row["calendar_stc"] == str(int((resolved - opened).total_seconds()))
        assert row["priority"] == priority_for(row["impact"], row["urgency"])


def test_seed_is_deterministic() -> None:
    first, second = EmulatorState(), EmulatorState()
    for table in ("incident", "sys_journal_field", "task_sla", "sys_user", "sys_choice"):
        assert first.records(table) == second.records(table)


def test_seed_constants_match_the_data() -> None:
    state = EmulatorState()
    users = {row["sys_id"]: row["user_name"] for row in state.records("sys_user")}
    assert users[seed.INTEGRATION_USER] == "gateway.integration"
    assert users[seed.BETH_ANGLIN] == "beth.anglin"
    assert [row["number"] for row in state.records("incident")] == [
        f"INC001000{n}" for n in range(1, 8)
    ]
    active = [
        seconds
        for row in state.records("task_sla")
        if row["task"] == seed.INC_SLAS[1] and row["active"] == "true"
        if (seconds := parse_duration(row["business_time_left"])) is not None
    ]
    assert min(active) == seed.SMALLEST_ACTIVE_BUSINESS_TIME_LEFT
    assert seed.stable_id("sys_user", "gateway.integration") == seed.INTEGRATION_USER


def test_unseeded_state_still_has_the_account_users() -> None:
    state = EmulatorState(seed=False)
    assert state.records("incident") == []
    [user] = state.records("sys_user")
    assert (user["user_name"], user["name"], user["sys_id"]) == (
        "gateway.integration",
        "Gateway Integration",
        seed.INTEGRATION_USER,
    )
