"""Deterministic sample data: fixed ids, keys and times, no randomness.

Times are UTC. With the clock at ``SEED_NOW`` (2026-03-11 17:00 UTC, what the tests hold it at)
the SLAs answer the values below; with a real clock they keep running, as a site's do.

====== ===== ==================== ============================================================
key    id    status               what it is for
====== ===== ==================== ============================================================
DESK-1 10001 Open                 a public comment with two paragraphs and an internal one;
                                  a description with a bullet list; SLAs 1 h and 21 h left
DESK-2 10002 Work in progress     rich ADF description (heading, marks, ordered list, code,
                                  mention, link); resolution SLA breached 24 h ago; custom fields
DESK-3 10003 Waiting for customer resolution SLA paused with 170,940 s left
DESK-4 10004 Resolved             resolution Done; SLAs completed, none ongoing
DESK-5 10005 Closed               no transition leaves Closed
OPS-1  10006 To Do                a Jira Software issue: the service desk API does not serve it
====== ===== ==================== ============================================================
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from emulators.jira import adf
from emulators.jira.config import ABEL_TUTER, BETH_ANGLIN, DAVID_LOO, FRED_LUDDY, INTEGRATION
from emulators.jira.projects import DESK, OPS
from emulators.jira.workflow import SERVICE_DESK, SOFTWARE, Transition

if TYPE_CHECKING:
    from emulators.jira.state import JiraState

SEED_NOW = datetime(2026, 3, 11, 17, 0, 0, tzinfo=UTC)

DESK_1 = ("DESK-1", "10001")
DESK_2 = ("DESK-2", "10002")
DESK_3 = ("DESK-3", "10003")
DESK_4 = ("DESK-4", "10004")
DESK_5 = ("DESK-5", "10005")
OPS_1 = ("OPS-1", "10006")
NEXT_DESK = ("DESK-6", "10007")  # what the first API create in DESK gets after a reset

DESK_1_SUMMARY = "Cannot send email from Outlook"
DESK_1_DESCRIPTION = (
    "Since this morning Outlook asks for my password again and again.\n\n"
    "- Outlook 2021 on Windows 11\n- Webmail works fine"
)
DESK_1_PUBLIC = "Outlook keeps asking for my password.\n\nWebmail works fine."
DESK_1_INTERNAL = "Account is not locked in AD."
# At SEED_NOW: first response 1 h left, resolution 21 h left.
DESK_1_TIME_LEFT_S = 3_600
DESK_2_TIME_LEFT_S = -86_400  # breached a day ago
DESK_3_TIME_LEFT_S = 170_940  # paused (48 h goal, 31 min counted)
ISSUE_COUNT = 6


def _at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC)


def _text(text: str) -> dict[str, Any]:
    return adf.from_text(text)


def _move(state: JiraState, issue: Any, name: str, at: datetime, resolution: str | None = None):
    transition = _by_name(issue.project.workflow.available(issue.status), name)
    state.transition(issue, transition, resolution, at)


def _by_name(transitions: tuple[Transition, ...], name: str) -> Transition:
    return next(t for t in transitions if t.name == name)


def seed_issues(state: JiraState) -> None:
    assert DESK.workflow is SERVICE_DESK and OPS.workflow is SOFTWARE
    incident, request, task = "10004", "10005", "10006"

    desk1 = state.create_issue(
        DESK,
        incident,
        {
            "summary": DESK_1_SUMMARY,
            "description": _desk1_description(),
            "reporter": ABEL_TUTER.account_id,
        },
        ABEL_TUTER.account_id,
        at=_at(11, 14),
    )
    state.add_comment(desk1, ABEL_TUTER.account_id, _text(DESK_1_PUBLIC), at=_at(11, 14, 5))
    state.add_comment(
        desk1, BETH_ANGLIN.account_id, _text(DESK_1_INTERNAL), public=False, at=_at(11, 15, 30)
    )

    desk2 = state.create_issue(
        DESK,
        incident,
        {
            "summary": "VPN drops every 30 minutes",
            "description": _desk2_description(),
            "priority": "2",
            "assignee": BETH_ANGLIN.account_id,
            "reporter": FRED_LUDDY.account_id,
            "labels": ["network", "vpn"],
            "customfield_10050": "VPN",
            "customfield_10051": 3,
        },
        FRED_LUDDY.account_id,
        at=_at(10, 9),
    )
    state.add_comment(
        desk2, BETH_ANGLIN.account_id, _text("Which VPN client version do you use?"),
        at=_at(10, 9, 15),
    )  # fmt: skip
    _move(state, desk2, "Start work", _at(10, 9, 20))
    state.add_comment(
        desk2, FRED_LUDDY.account_id, _text("Version 5.2.1\non Windows 11"), at=_at(10, 9, 40)
    )
    state.add_comment(
        desk2, DAVID_LOO.account_id, _text("Known issue with 5.2.x; upgrade to 5.3."),
        public=False, at=_at(10, 10),
    )  # fmt: skip

    desk3 = state.create_issue(
        DESK,
        request,
        {"summary": "New laptop for Fred", "priority": "4", "reporter": FRED_LUDDY.account_id},
        FRED_LUDDY.account_id,
        at=_at(11, 10),
    )
    state.add_comment(
        desk3, BETH_ANGLIN.account_id, _text("Which model do you need?"), at=_at(11, 10, 30)
    )
    _move(state, desk3, "Wait for customer", _at(11, 10, 31))

    desk4 = state.create_issue(
        DESK,
        incident,
        {
            "summary": "Printer on floor 3 jams",
            "assignee": DAVID_LOO.account_id,
            "reporter": ABEL_TUTER.account_id,
        },
        ABEL_TUTER.account_id,
        at=_at(9, 8),
    )
    state.add_comment(
        desk4, DAVID_LOO.account_id, _text("Replaced the fuser unit."), at=_at(9, 8, 30)
    )
    _move(state, desk4, "Start work", _at(9, 8, 30))
    _move(state, desk4, "Resolve", _at(9, 11), resolution="10000")

    desk5 = state.create_issue(
        DESK,
        request,
        {"summary": "Projector in room 4.2 flickers", "reporter": ABEL_TUTER.account_id},
        ABEL_TUTER.account_id,
        at=datetime(2026, 2, 20, 10, tzinfo=UTC),
    )
    _move(state, desk5, "Resolve", datetime(2026, 2, 20, 12, tzinfo=UTC))
    _move(state, desk5, "Close", datetime(2026, 2, 21, 9, tzinfo=UTC))

    ops1 = state.create_issue(
        OPS,
        task,
        {
            "summary": "Rotate TLS certificates on the edge proxies",
            "reporter": BETH_ANGLIN.account_id,
        },
        BETH_ANGLIN.account_id,
        at=_at(5, 10),
    )
    state.add_comment(ops1, DAVID_LOO.account_id, _text("Staging is done."), at=_at(6, 11))
    assert INTEGRATION.account_id not in (desk1.creator, ops1.creator)


def _desk1_description() -> dict[str, Any]:
    return {
        "type": "doc",
        "version": 1,
        "content": [
            _paragraph("Since this morning Outlook asks for my password again and again."),
            {
                "type": "bulletList",
                "content": [_item("Outlook 2021 on Windows 11"), _item("Webmail works fine")],
            },
        ],
    }


def _desk2_description() -> dict[str, Any]:
    """Rich ADF: what ``DESK_2_DESCRIPTION_TEXT`` is as plain text (see the connector's rules)."""
    return {
        "type": "doc",
        "version": 1,
        "content": [
            {"type": "heading", "attrs": {"level": 2}, "content": [_t("Symptoms")]},
            {
                "type": "paragraph",
                "content": [
                    _t("The tunnel drops "),
                    _t("every 30 minutes", [{"type": "strong"}]),
                    _t(" since the "),
                    _t(
                        "5.2 update",
                        [{"type": "link", "attrs": {"href": "https://vpn.example/5.2"}}],
                    ),
                    _t("."),
                    {"type": "hardBreak"},
                    _t("Reported by "),
                    {
                        "type": "mention",
                        "attrs": {"id": FRED_LUDDY.account_id, "text": "@Fred Luddy"},
                    },
                ],
            },
            {
                "type": "orderedList",
                "attrs": {"order": 1},
                "content": [_item("Connect"), _item("Wait 30 minutes")],
            },
            {
                "type": "codeBlock",
                "attrs": {"language": "text"},
                "content": [_t("error 809: tunnel closed")],
            },
        ],
    }


def _t(text: str, marks: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    node: dict[str, Any] = {"type": "text", "text": text}
    if marks:
        node["marks"] = marks
    return node


def _paragraph(text: str) -> dict[str, Any]:
    return {"type": "paragraph", "content": [_t(text)]}


def _item(text: str) -> dict[str, Any]:
    return {"type": "listItem", "content": [_paragraph(text)]}
