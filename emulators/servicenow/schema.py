"""The emulated tables: their columns, column kinds and choice lists.

The kind of a column decides how it is stored, rendered and written (see ``display`` and
``writes``). Choice lists here are also what the ``sys_choice`` table is seeded from, so the
labels a client reads and the choices it can look up never disagree.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import cached_property

_CUSTOM = re.compile(r"u_[a-z0-9_]+")


class Kind(StrEnum):
    STRING = "string"
    CHOICE = "choice"
    REFERENCE = "reference"
    DATETIME = "glide_date_time"
    DURATION = "glide_duration"
    INTEGER = "integer"
    BOOLEAN = "boolean"
    JOURNAL = "journal"


@dataclass(frozen=True)
class Column:
    """One column. ``reference`` names the target table of a reference; ``choices`` maps a
    choice code to its label; ``label`` is the human name data policy messages use."""

    name: str
    kind: Kind = Kind.STRING
    reference: str | None = None
    choices: Mapping[str, str] | None = None
    label: str = ""


@dataclass(frozen=True)
class Table:
    """A table; ``display_column`` is what a reference to one of its rows displays as."""

    name: str
    columns: tuple[Column, ...]
    display_column: str

    @cached_property
    def _by_name(self) -> Mapping[str, Column]:
        return {column.name: column for column in self.columns}

    def column(self, name: str) -> Column | None:
        return self._by_name.get(name)


# Columns a write can never set: the platform owns them (the write is not refused, the value
# is just ignored, as on a real instance).
SYSTEM_COLUMNS = frozenset(
    {
        "sys_id",
        "number",
        "sys_created_on",
        "sys_created_by",
        "sys_updated_on",
        "sys_updated_by",
        "sys_mod_count",
    }
)

STATE_CHOICES = {
    "1": "New",
    "2": "In Progress",
    "3": "On Hold",
    "6": "Resolved",
    "7": "Closed",
    "8": "Canceled",
}
PRIORITY_CHOICES = {
    "1": "1 - Critical",
    "2": "2 - High",
    "3": "3 - Moderate",
    "4": "4 - Low",
    "5": "5 - Planning",
}
LEVEL_CHOICES = {"1": "1 - High", "2": "2 - Medium", "3": "3 - Low"}  # impact and urgency
SEVERITY_CHOICES = {"1": "1 - High", "2": "2 - Medium", "3": "3 - Low"}
CATEGORY_CHOICES = {
    "inquiry": "Inquiry / Help",
    "software": "Software",
    "hardware": "Hardware",
    "network": "Network",
    "database": "Database",
}
SUBCATEGORY_CHOICES = {
    "antivirus": "Antivirus",
    "email": "Email",
    "internal application": "Internal Application",
    "os": "Operating System",
    "cpu": "CPU",
    "disk": "Disk",
    "memory": "Memory",
    "monitor": "Monitor",
    "dhcp": "DHCP",
    "dns": "DNS",
    "vpn": "VPN",
    "wireless": "Wireless",
    "db2": "DB2",
    "oracle": "Oracle",
    "sql server": "MS SQL Server",
}
# Codes of a recent release (value == label). Older releases use e.g. "Solved (Permanently)";
# a client must read sys_choice rather than hard-code either list.
CLOSE_CODE_CHOICES = {
    code: code
    for code in (
        "Duplicate",
        "Known error",
        "No resolution provided",
        "Resolved by caller",
        "Resolved by change",
        "Resolved by problem",
        "Resolved by request",
        "Solution provided",
        "Workaround provided",
        "User error",
    )
}
HOLD_REASON_CHOICES = {
    "1": "Awaiting Caller",
    "5": "Awaiting Change",
    "3": "Awaiting Problem",
    "4": "Awaiting Vendor",
}
SLA_STAGE_CHOICES = {
    "in_progress": "In progress",
    "paused": "Paused",
    "completed": "Completed",
    "cancelled": "Cancelled",
    "breached": "Breached",
}


def _system() -> tuple[Column, ...]:
    return (
        Column("sys_created_on", Kind.DATETIME),
        Column("sys_created_by"),  # a user_name string, not a reference
        Column("sys_updated_on", Kind.DATETIME),
        Column("sys_updated_by"),
        Column("sys_mod_count", Kind.INTEGER),
    )


SYS_USER = Table(
    "sys_user",
    (
        Column("sys_id"),
        Column("user_name"),
        Column("name"),
        Column("first_name"),
        Column("last_name"),
        Column("email"),
        Column("time_zone"),
        Column("active", Kind.BOOLEAN),
        *_system(),
    ),
    display_column="name",
)

SYS_USER_GROUP = Table(
    "sys_user_group",
    (
        Column("sys_id"),
        Column("name"),
        Column("description"),
        Column("active", Kind.BOOLEAN),
        *_system(),
    ),
    display_column="name",
)

INCIDENT = Table(
    "incident",
    (
        Column("sys_id"),
        Column("number"),
        Column("state", Kind.CHOICE, choices=STATE_CHOICES, label="State"),
        Column("active", Kind.BOOLEAN),
        Column("priority", Kind.CHOICE, choices=PRIORITY_CHOICES),
        Column("impact", Kind.CHOICE, choices=LEVEL_CHOICES),
        Column("urgency", Kind.CHOICE, choices=LEVEL_CHOICES),
        Column("severity", Kind.CHOICE, choices=SEVERITY_CHOICES),
        Column("category", Kind.CHOICE, choices=CATEGORY_CHOICES),
        Column("subcategory", Kind.CHOICE, choices=SUBCATEGORY_CHOICES),
        Column("short_description"),
        Column("description"),
        Column("caller_id", Kind.REFERENCE, reference="sys_user"),
        Column("assigned_to", Kind.REFERENCE, reference="sys_user"),
        Column("assignment_group", Kind.REFERENCE, reference="sys_user_group"),
        Column("opened_at", Kind.DATETIME),
        Column("opened_by", Kind.REFERENCE, reference="sys_user"),
        Column("comments", Kind.JOURNAL),
        Column("work_notes", Kind.JOURNAL),
        Column("hold_reason", Kind.CHOICE, choices=HOLD_REASON_CHOICES, label="On hold reason"),
        Column("close_code", Kind.CHOICE, choices=CLOSE_CODE_CHOICES, label="Resolution code"),
        Column("close_notes", label="Resolution notes"),
        Column("resolved_at", Kind.DATETIME),
        Column("resolved_by", Kind.REFERENCE, reference="sys_user"),
        Column("closed_at", Kind.DATETIME),
        Column("closed_by", Kind.REFERENCE, reference="sys_user"),
        Column("business_duration", Kind.DURATION),
        Column("calendar_duration", Kind.DURATION),
        Column("business_stc", Kind.INTEGER),
        Column("calendar_stc", Kind.INTEGER),
        Column("reopen_count", Kind.INTEGER),
        Column("correlation_id"),  # a task column: another system's id for the record
        *_system(),
    ),
    display_column="number",
)

SYS_JOURNAL_FIELD = Table(
    "sys_journal_field",
    (
        Column("sys_id"),
        Column("element"),
        Column("element_id"),  # the record's sys_id as a plain string (a document id)
        Column("name"),
        Column("value"),
        Column("sys_created_on", Kind.DATETIME),
        Column("sys_created_by"),
    ),
    display_column="value",
)

TASK_SLA = Table(
    "task_sla",
    (
        Column("sys_id"),
        Column("task", Kind.REFERENCE, reference="incident"),
        Column("sla"),  # a reference to contract_sla on instances; its name here
        Column("active", Kind.BOOLEAN),
        Column("stage", Kind.CHOICE, choices=SLA_STAGE_CHOICES),
        Column("has_breached", Kind.BOOLEAN),
        Column("start_time", Kind.DATETIME),
        Column("end_time", Kind.DATETIME),
        Column("planned_end_time", Kind.DATETIME),
        Column("business_time_left", Kind.DURATION),
        Column("time_left", Kind.DURATION),
        Column("business_duration", Kind.DURATION),
        Column("duration", Kind.DURATION),
        Column("timezone"),  # the zone its schedule is counted in (a choice on instances)
        *_system(),
    ),
    display_column="sla",
)

SYS_CHOICE = Table(
    "sys_choice",
    (
        Column("sys_id"),
        Column("name"),
        Column("element"),
        Column("value"),
        Column("label"),
        Column("sequence", Kind.INTEGER),
        Column("inactive", Kind.BOOLEAN),
        Column("language"),
    ),
    display_column="label",
)

# System properties; the emulator keeps one, glide.sys.default.tz (the instance's default zone).
SYS_PROPERTIES = Table(
    "sys_properties",
    (
        Column("sys_id"),
        Column("name"),
        Column("value"),
        Column("type"),
        Column("description"),
        *_system(),
    ),
    display_column="name",
)

TABLES: Mapping[str, Table] = {
    t.name: t
    for t in (
        INCIDENT,
        SYS_JOURNAL_FIELD,
        TASK_SLA,
        SYS_USER,
        SYS_USER_GROUP,
        SYS_CHOICE,
        SYS_PROPERTIES,
    )
}


def is_custom_column(name: str) -> bool:
    """Customer-added columns (``u_*``): stored on write even though the schema lacks them."""
    return _CUSTOM.fullmatch(name) is not None
