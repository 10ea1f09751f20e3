"""Journals, SLAs and columns under ACLs: what a refused or filtered optional read becomes.

ServiceNow enforces read ACLs on ``sys_journal_field`` and ``task_sla`` in two ways: a 403 for the
whole table, or, far more often, a 200 with the rows the account may not read filtered out. A
refusal never sinks the ticket: the field is answered empty and the message below says which
table and what the account lacks (``connectors.model.Ticket.refused``).
"""

from __future__ import annotations

from typing import NamedTuple

from connectors.model import Note

# The roles are the usual ones on a base instance; an instance's own ACLs may differ.
SLA_REFUSED = "task_sla: the account lacks read access (role sla_admin or an ACL on task_sla)"
JOURNAL_REFUSED = (
    "sys_journal_field: the account lacks read access (role itil or an ACL on "
    "sys_journal_field), and the record's own comments and work_notes are not readable either"
)


def column_refused(table: str, column: str) -> str:
    """Why a field is empty when a field-level ACL kept its column out of the answer.

    Every column the gateway maps exists on ``incident``; another table (``connectionDetails
    .table``) may lack one (``severity`` is the incident's own), which ServiceNow answers the
    same way, so the message then names both causes."""
    cause = f"a field ACL on {table}.{column}"
    if table != "incident":
        cause += f", or {table} has no such column"
    return (
        f"{table}.{column}: the account lacks read access ({cause}; ServiceNow left the column "
        "out of its answer)"
    )


class Stream(NamedTuple):
    """One journal stream's entries, and whether their authors are user names (rows of
    ``sys_journal_field``, to be answered by display name) or already display names (the
    record's display text)."""

    notes: tuple[Note, ...]
    by_user_name: bool


def whole(journal: tuple[Note, ...], display: tuple[Note, ...]) -> Stream:
    """The journal table's entries of one stream, unless the record's display text shows more of
    them (ACLs filtered the table's rows): then the display text's."""
    if len(display) > len(journal):
        return Stream(display, by_user_name=False)
    return Stream(journal, by_user_name=True)
