"""The optional reads of a ServiceNow ticket, for one ticket (a fetch or a write's read-back)
or for every ticket of a search page at once: the ``sys_journal_field`` and ``task_sla`` calls'
parameters, and what a refused (403) read leaves.

A page reads the journal of all its tickets with ``element_idIN`` and their SLAs with
``taskIN``: one call each, never one per ticket. The answered rows are matched to each ticket
again by ``element_id`` / ``task`` (``mapping.notes_from_journal``, ``business_time_left``), so
another record's notes never leak into a ticket.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from connectors.errors import ItsmError
from connectors.model import RefusedRead
from connectors.servicenow.mapping import business_time_left, cell
from connectors.servicenow.optional_reads import SLA_REFUSED

# All of a page's notes in the one call (ServiceNow's own default is 10000 rows).
_JOURNAL_LIMIT = 10_000
_SYS_ID = re.compile(r"[0-9a-fA-F]{32}")


class Denied:
    """An optional read the account was refused (ServiceNow answered 403)."""


DENIED = Denied()


@dataclass(frozen=True, slots=True)
class PageReads:
    """A search page's journal and SLA rows for all its tickets (``None``: not asked;
    ``DENIED``: refused the account)."""

    journal: list[Mapping[str, Any]] | Denied | None = None
    slas: list[Mapping[str, Any]] | Denied | None = None


def journal_params(sys_ids: list[str]) -> tuple[str, dict[str, str]]:
    """The ``sys_journal_field`` read of some records' comments and work notes."""
    one = len(sys_ids) == 1
    records = f"element_id={sys_ids[0]}" if one else f"element_idIN{','.join(sys_ids)}"
    params = {
        "sysparm_query": f"{records}^elementINcomments,work_notes^ORDERBYsys_created_on",
        # element_id also to check the answer: other records' notes must never leak.
        "sysparm_fields": "element,element_id,value,sys_created_on,sys_created_by",
        "sysparm_display_value": "false",
    }
    if not one:
        # All of a page's notes in the one call (ServiceNow's own default is 10000 rows).
        params["sysparm_limit"] = str(_JOURNAL_LIMIT)
    return "sys_journal_field", params


def sla_params(sys_ids: list[str]) -> tuple[str, dict[str, str]]:
    """The ``task_sla`` read of some records' active SLAs."""
    query = f"task={sys_ids[0]}" if len(sys_ids) == 1 else f"taskIN{','.join(sys_ids)}"
    return "task_sla", {
        "sysparm_query": f"{query}^active=true",
        "sysparm_fields": "task,business_time_left,active",
        "sysparm_display_value": "false",
    }


def time_left_of(
    rows: list[Mapping[str, Any]] | Denied | None, sys_id: str
) -> str | RefusedRead | None:
    if isinstance(rows, Denied):
        # An optional read: the rest of the ticket is answered, this field empty.
        return RefusedRead(SLA_REFUSED)
    return business_time_left(rows or (), sys_id)


def page_sys_id(row: Mapping[str, Any], host: str) -> str:
    sys_id = cell(row, "sys_id")[1]
    if not _SYS_ID.fullmatch(sys_id):
        raise ItsmError(f"ServiceNow at {host} answered a record without a sys_id")
    return sys_id
