"""Deterministic sample data: fixed sys_ids, numbers and times, no randomness.

Times are UTC; displayed in the default zone (America/Los_Angeles) they fall in PST before
2026-03-08 and in PDT after it. The key facts are exported as constants so tests in other
packages can refer to them. Incidents:

========== =================== ============================================================
number     state               what it is for
========== =================== ============================================================
INC0010001 1 New               a comment whose text contains a blank line; P3
INC0010002 2 In Progress       journal entries on 2026-03-07 and 2026-03-09 UTC, either side
                               of the US DST change (display shows UTC-8 and UTC-7 times)
INC0010003 2 In Progress       SLAs: two active (9,000 s and 3,891,600 s business time left,
                               the latter past 31 days) and one inactive with 1,200 s; P1
INC0010004 6 Resolved          close_code/notes, resolved_by Beth Anglin, 8 business hours
                               (``1970-01-01 08:00:00``, business_stc 28800)
INC0010005 7 Closed            resolved and closed; durations past 31 days
INC0010006 3 On Hold           hold_reason 1 (Awaiting Caller); P5; inquiry
INC0010007 "10" (custom code)  a state code the instance added: displays as ``10``
========== =================== ============================================================

Users: Beth Anglin, David Loo, Fred Luddy, Abel Tuter and Gateway Integration (the API account),
two active users both named "Alex Chen" (``alex.chen``, ``alex.chen2``) and an inactive one,
Carol Former; every one in America/Los_Angeles. Groups: Service Desk, Network, Database.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

from emulators.servicenow.glide import format_duration
from emulators.servicenow.schema import INCIDENT
from emulators.servicenow.session import DEFAULT_ZONE_PROPERTY

if TYPE_CHECKING:
    from emulators.servicenow.state import EmulatorState

BETH_ANGLIN = "2a313cf0aaef8941aa0772af047bbdcf"
DAVID_LOO = "a8d85930919f1ec63bb17c2df8443071"
FRED_LUDDY = "676f5d8d98d45850dd38e32612b78ac9"
ABEL_TUTER = "1e60a287161020f9875f078477cb2ce3"
INTEGRATION_USER = "498722103d2b5807b61e7c6dc80da436"  # gateway.integration
# Two active users sharing the display name "Alex Chen" (a name alone cannot say which), and
# an inactive user (left the company), whom a lookup of active users must not find.
ALEX_CHEN = "49c9a3c7b1ae5bf7a4c35fb6c947935c"  # alex.chen, alex.chen@example.com
ALEX_CHEN_2 = "2f60d9ec0b9f3cdd86d6c36e9d641619"  # alex.chen2, alex.chen2@example.com
FORMER_USER = "8e0ef267fbb1ee9b85dcd65a14cb4338"  # carol.former, "Carol Former", inactive

SERVICE_DESK = "c57196b79d2c314708bed3562db5ac90"
NETWORK = "420ce3a40065625e0f21fc1dceca48ef"
DATABASE = "f22d401a4fe650b98f2be75ba9e8671d"

INC_NEW = ("INC0010001", "6c6ad91e588641f787e151d94083bfcb")
INC_DST = ("INC0010002", "967243fd7319215248b7fd79be1743b9")
INC_SLAS = ("INC0010003", "d2b5fa775c486756ec3902adbfea68ff")
INC_RESOLVED = ("INC0010004", "af96b75ac304b7346d9e754e7290d81c")
INC_CLOSED = ("INC0010005", "eaa810b0d73e6cad04b97e3c9ebba5a4")
INC_ON_HOLD = ("INC0010006", "08bd9c923dc79d8fc74918fa9cb4b3e4")
INC_CUSTOM_STATE = ("INC0010007", "95df9ef91eb19086d8a4ce62097b32d1")
NEXT_NUMBER = "INC0010008"  # what the first API insert gets after a reset

# INC0010003's SLAs: the smallest business time left over *active* SLAs is 9,000 s.
SLA_P1_RESOLUTION = "ee2b918f6cdfeb007fde96c79c9bc77b"  # active, 9,000 s
SLA_VENDOR_OLA = "7d24591f6697323af230442ed4ebfe19"  # active, 3,891,600 s (45 d 1 h)
SLA_P2_CANCELLED = "e31f90216384021b937bd572f7c07a65"  # inactive, 1,200 s
SMALLEST_ACTIVE_BUSINESS_TIME_LEFT = 9_000

RESOLVED_BUSINESS_STC = 28_800
CLOSED_CALENDAR_STC = 6_069_600  # stored as 1970-03-12 06:00:00
CLOSED_BUSINESS_STC = 1_641_600  # stored as 1970-01-20 00:00:00

COMMENT_WITH_BLANK_LINE = "Outlook keeps asking for my password.\n\nWebmail works fine."


def stable_id(*parts: str) -> str:
    """A fixed 32-hex sys_id derived from a label (how every sys_id above was made)."""
    return hashlib.md5(":".join(parts).encode()).hexdigest()  # noqa: S324 - not security


def seed_accounts(state: EmulatorState) -> None:
    """A ``sys_user`` for every configured account that has none, in the configured zone, and
    the instance's default zone (``glide.sys.default.tz``), also the configured zone."""
    if state.find_row("sys_properties", "name", DEFAULT_ZONE_PROPERTY) is None:
        state.insert_raw(
            "sys_properties",
            {
                "sys_id": stable_id("sys_properties", DEFAULT_ZONE_PROPERTY),
                "name": DEFAULT_ZONE_PROPERTY,
                "value": state.config.time_zone,
                "type": "string",
                "description": "The instance's time zone, for users whose time_zone is empty",
            },
        )
    for account in state.config.accounts:
        user = state.find_row("sys_user", "user_name", account.user_name)
        if user is None:
            first, _, last = account.name.partition(" ")
            state.insert_raw(
                "sys_user",
                _user(stable_id("sys_user", account.user_name), account.user_name, first, last),
            )
            user = state.find_row("sys_user", "user_name", account.user_name)
        assert user is not None
        user["time_zone"] = state.config.time_zone


def seed_sample_data(state: EmulatorState) -> None:
    for sys_id, user_name, first, last in (
        (BETH_ANGLIN, "beth.anglin", "Beth", "Anglin"),
        (DAVID_LOO, "david.loo", "David", "Loo"),
        (FRED_LUDDY, "fred.luddy", "Fred", "Luddy"),
        (ABEL_TUTER, "abel.tuter", "Abel", "Tuter"),
        (INTEGRATION_USER, "gateway.integration", "Gateway", "Integration"),
        (ALEX_CHEN, "alex.chen", "Alex", "Chen"),
        (ALEX_CHEN_2, "alex.chen2", "Alex", "Chen"),
    ):
        state.insert_raw("sys_user", _user(sys_id, user_name, first, last))
    state.insert_raw(
        "sys_user", _user(FORMER_USER, "carol.former", "Carol", "Former", active=False)
    )
    for sys_id, name in (
        (SERVICE_DESK, "Service Desk"),
        (NETWORK, "Network"),
        (DATABASE, "Database"),
    ):
        state.insert_raw("sys_user_group", {"sys_id": sys_id, "name": name, "active": "true"})
    _seed_choices(state)
    for (number, sys_id), values in _INCIDENTS:
        state.insert_raw("incident", _incident(number, sys_id, values))
    for n, (incident, element, when, author, text) in enumerate(_JOURNAL, start=1):
        state.insert_raw(
            "sys_journal_field",
            {
                "sys_id": stable_id("journal", str(n)),
                "element": element,
                "element_id": incident[1],
                "name": "incident",
                "value": text,
                "sys_created_on": when,
                "sys_created_by": author,
            },
        )
    for sla in _SLAS:
        state.insert_raw("task_sla", sla)
    state.set_next_number(10008)


def _user(
    sys_id: str, user_name: str, first: str, last: str, *, active: bool = True
) -> dict[str, str]:
    stamp = "2025-11-03 17:00:00"
    return {
        "sys_id": sys_id,
        "user_name": user_name,
        "name": f"{first} {last}".strip() or user_name,
        "first_name": first,
        "last_name": last,
        "email": f"{user_name}@example.com",
        "time_zone": "America/Los_Angeles",
        "active": "true" if active else "false",
        "sys_created_on": stamp,
        "sys_created_by": "admin",
        "sys_updated_on": stamp,
        "sys_updated_by": "admin",
        "sys_mod_count": "0",
    }


def _seed_choices(state: EmulatorState) -> None:
    for column in INCIDENT.columns:
        for sequence, (value, label) in enumerate((column.choices or {}).items(), start=1):
            state.insert_raw(
                "sys_choice",
                {
                    "sys_id": stable_id("sys_choice", "incident", column.name, value),
                    "name": "incident",
                    "element": column.name,
                    "value": value,
                    "label": label,
                    "sequence": str(sequence),
                    "inactive": "false",
                    "language": "en",
                },
            )


def _incident(number: str, sys_id: str, values: dict[str, str]) -> dict[str, str]:
    """An incident row as the business rules would have left it."""
    row = {
        "number": number,
        "sys_id": sys_id,
        "state": "1",
        "impact": "3",
        "urgency": "3",
        "severity": "3",
        "reopen_count": "0",
        "opened_by": INTEGRATION_USER,
        "sys_created_by": "gateway.integration",
        "sys_mod_count": "0",
    } | values
    row["priority"] = str(int(row["impact"]) + int(row["urgency"]) - 1)
    row["active"] = "false" if row["state"] in {"7", "8"} else "true"
    row["sys_created_on"] = row["opened_at"]
    row.setdefault("sys_updated_on", row["opened_at"])
    row.setdefault("sys_updated_by", row["sys_created_by"])
    return row


def _sla(
    sys_id: str,
    incident: tuple[str, str],
    name: str,
    *,
    left: int,
    elapsed: int,
    start: str,
    planned_end: str,
    end: str = "",
    stage: str = "in_progress",
    breached: bool = False,
) -> dict[str, str]:
    """A ``task_sla`` row as the SLA job last left it; ``left`` and ``elapsed`` are business
    seconds. Rows that have ended (``end`` set) are inactive."""
    return {
        "sys_id": sys_id,
        "task": incident[1],
        "sla": name,
        "active": "false" if end else "true",
        "stage": stage,
        "has_breached": "true" if breached else "false",
        "start_time": start,
        "end_time": end,
        "planned_end_time": planned_end,
        "business_time_left": format_duration(left),
        "time_left": format_duration(left),
        "business_duration": format_duration(elapsed),
        "duration": format_duration(elapsed),
        "sys_created_on": start,
        "sys_created_by": "system",
        "sys_updated_on": end or "2026-03-10 18:00:00",
        "sys_updated_by": "system",
        "sys_mod_count": "1",
    }


_INCIDENTS: list[tuple[tuple[str, str], dict[str, str]]] = [
    (
        INC_NEW,
        {
            "short_description": "Cannot send email from Outlook",
            "description": "Outlook on the user's laptop fails to send since the password change.",
            "category": "software",
            "subcategory": "email",
            "impact": "2",
            "urgency": "2",
            "caller_id": ABEL_TUTER,
            "assignment_group": SERVICE_DESK,
            "opened_at": "2026-03-02 16:05:00",
        },
    ),
    (
        INC_DST,
        {
            "state": "2",
            "short_description": "Wi-Fi drops every few minutes on floor 3",
            "description": "Laptops on floor 3 lose the corporate SSID several times an hour.",
            "category": "network",
            "subcategory": "wireless",
            "impact": "2",
            "urgency": "1",
            "severity": "2",
            "caller_id": BETH_ANGLIN,
            "assigned_to": DAVID_LOO,
            "assignment_group": NETWORK,
            "opened_at": "2026-03-06 22:40:00",
            "sys_updated_on": "2026-03-09 17:10:00",
            "sys_updated_by": "david.loo",
            "sys_mod_count": "4",
        },
    ),
    (
        INC_SLAS,
        {
            "state": "2",
            "short_description": "Orders database replica lagging behind primary",
            "description": "Replication lag on the orders replica exceeds 20 minutes.",
            "category": "database",
            "subcategory": "oracle",
            "impact": "1",
            "urgency": "1",
            "severity": "1",
            "caller_id": ABEL_TUTER,
            "assigned_to": FRED_LUDDY,
            "assignment_group": DATABASE,
            "opened_at": "2026-03-10 15:00:00",
            "sys_updated_on": "2026-03-10 16:20:00",
            "sys_updated_by": "fred.luddy",
            "sys_mod_count": "2",
        },
    ),
    (
        INC_RESOLVED,
        {
            "state": "6",
            "short_description": "Laptop disk failing SMART check",
            "description": "The laptop reports an imminent disk failure at boot.",
            "category": "hardware",
            "subcategory": "disk",
            "impact": "2",
            "urgency": "3",
            "caller_id": DAVID_LOO,
            "assigned_to": BETH_ANGLIN,
            "assignment_group": SERVICE_DESK,
            "opened_at": "2026-02-10 17:00:00",
            "close_code": "Solution provided",
            "close_notes": "Replaced the disk and restored the user profile from backup.",
            "resolved_at": "2026-02-11 16:00:00",
            "resolved_by": BETH_ANGLIN,
            "business_duration": format_duration(RESOLVED_BUSINESS_STC),
            "calendar_duration": format_duration(82_800),
            "business_stc": str(RESOLVED_BUSINESS_STC),
            "calendar_stc": "82800",
            "sys_updated_on": "2026-02-11 16:00:00",
            "sys_updated_by": "beth.anglin",
            "sys_mod_count": "3",
        },
    ),
    (
        INC_CLOSED,
        {
            "state": "7",
            "short_description": "VPN client asks for reauthentication every hour",
            "description": "Remote staff are prompted to log in to the VPN again every hour.",
            "category": "network",
            "subcategory": "vpn",
            "impact": "3",
            "urgency": "2",
            "caller_id": FRED_LUDDY,
            "assigned_to": DAVID_LOO,
            "assignment_group": NETWORK,
            "opened_at": "2025-12-01 17:30:00",
            "close_code": "Workaround provided",
            "close_notes": "Use the split-tunnel profile until the vendor fix ships.",
            "resolved_at": "2026-02-09 23:30:00",
            "resolved_by": DAVID_LOO,
            "closed_at": "2026-02-12 23:30:00",
            "closed_by": BETH_ANGLIN,
            "business_duration": format_duration(CLOSED_BUSINESS_STC),
            "calendar_duration": format_duration(CLOSED_CALENDAR_STC),
            "business_stc": str(CLOSED_BUSINESS_STC),
            "calendar_stc": str(CLOSED_CALENDAR_STC),
            "sys_updated_on": "2026-02-12 23:30:00",
            "sys_updated_by": "beth.anglin",
            "sys_mod_count": "9",
        },
    ),
    (
        INC_ON_HOLD,
        {
            "state": "3",
            "hold_reason": "1",
            "short_description": "Access to the finance shared drive",
            "description": "Needs read access to \\\\fs01\\finance for the quarter close.",
            "category": "inquiry",
            "caller_id": ABEL_TUTER,
            "assigned_to": BETH_ANGLIN,
            "assignment_group": SERVICE_DESK,
            "opened_at": "2026-03-04 18:15:00",
            "sys_updated_on": "2026-03-04 19:00:00",
            "sys_updated_by": "beth.anglin",
            "sys_mod_count": "1",
        },
    ),
    (
        INC_CUSTOM_STATE,
        {
            "state": "10",
            "short_description": "Expense app shows a blank page after login",
            "category": "software",
            "subcategory": "internal application",
            "impact": "2",
            "urgency": "3",
            "caller_id": DAVID_LOO,
            "assignment_group": SERVICE_DESK,
            "opened_at": "2026-03-05 20:00:00",
        },
    ),
]

_JOURNAL: list[tuple[tuple[str, str], str, str, str, str]] = [
    (INC_NEW, "comments", "2026-03-02 16:05:00", "abel.tuter", COMMENT_WITH_BLANK_LINE),
    (INC_DST, "comments", "2026-03-07 18:30:00", "beth.anglin", "Still dropping this morning."),
    (
        INC_DST,
        "work_notes",
        "2026-03-07 19:05:00",
        "david.loo",
        "Access point AP-3F-02 reboots every few minutes; firmware suspected.",
    ),
    (
        INC_DST,
        "work_notes",
        "2026-03-09 16:45:00",
        "david.loo",
        "Upgraded AP-3F-02 firmware to 8.10.130.",
    ),
    (
        INC_DST,
        "comments",
        "2026-03-09 17:10:00",
        "david.loo",
        "We upgraded the access point. Please tell us if the drops continue.",
    ),
    (INC_SLAS, "work_notes", "2026-03-10 15:30:00", "fred.luddy", "Replica IO thread stalled."),
    (INC_SLAS, "work_notes", "2026-03-10 16:20:00", "fred.luddy", "Opened vendor case 88231."),
    (INC_RESOLVED, "comments", "2026-02-10 17:00:00", "david.loo", "It beeps at every boot."),
    (
        INC_RESOLVED,
        "work_notes",
        "2026-02-11 15:45:00",
        "beth.anglin",
        "Disk replaced; profile restored from last night's backup.",
    ),
    (INC_CLOSED, "comments", "2026-02-09 23:30:00", "david.loo", "Workaround rolled out to all."),
]

_SLAS: list[dict[str, str]] = [
    _sla(
        stable_id("sla", "1"),
        INC_NEW,
        "Priority 3 resolution",
        left=61_200,
        elapsed=111_600,
        start="2026-03-02 16:05:00",
        planned_end="2026-03-12 23:05:00",
    ),
    _sla(
        stable_id("sla", "2"),
        INC_DST,
        "Priority 2 resolution",
        left=0,
        elapsed=28_800,
        start="2026-03-06 22:40:00",
        planned_end="2026-03-09 23:40:00",
        breached=True,
    ),
    _sla(
        SLA_P1_RESOLUTION,
        INC_SLAS,
        "Priority 1 resolution",
        left=9_000,
        elapsed=5_400,
        start="2026-03-10 15:00:00",
        planned_end="2026-03-10 19:00:00",
    ),
    _sla(
        SLA_VENDOR_OLA,
        INC_SLAS,
        "Database vendor OLA",
        left=3_891_600,
        elapsed=5_400,
        start="2026-03-10 15:00:00",
        planned_end="2026-06-26 16:00:00",
    ),
    _sla(
        SLA_P2_CANCELLED,
        INC_SLAS,
        "Priority 2 resolution",
        left=1_200,
        elapsed=27_600,
        start="2026-03-10 15:00:00",
        planned_end="2026-03-10 15:20:00",
        end="2026-03-10 15:20:00",
        stage="cancelled",
    ),
    _sla(
        stable_id("sla", "3"),
        INC_RESOLVED,
        "Priority 4 resolution",
        left=403_200,
        elapsed=28_800,
        start="2026-02-10 17:00:00",
        planned_end="2026-03-03 17:00:00",
        end="2026-02-11 16:00:00",
        stage="completed",
    ),
    _sla(
        stable_id("sla", "4"),
        INC_CLOSED,
        "Priority 4 resolution",
        left=0,
        elapsed=CLOSED_BUSINESS_STC,
        start="2025-12-01 17:30:00",
        planned_end="2025-12-22 17:30:00",
        end="2026-02-09 23:30:00",
        stage="completed",
        breached=True,
    ),
    _sla(
        stable_id("sla", "5"),
        INC_ON_HOLD,
        "Priority 5 resolution",
        left=838_800,
        elapsed=25_200,
        start="2026-03-04 18:15:00",
        planned_end="2026-04-14 22:15:00",
        stage="paused",
    ),
    _sla(
        stable_id("sla", "6"),
        INC_CUSTOM_STATE,
        "Priority 4 resolution",
        left=410_400,
        elapsed=21_600,
        start="2026-03-05 20:00:00",
        planned_end="2026-03-27 20:00:00",
    ),
]
