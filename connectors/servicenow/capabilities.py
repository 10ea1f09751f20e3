"""What the ServiceNow connector can do (``connectors.capabilities``), from its own mapping."""

from __future__ import annotations

import re

from connectors.capabilities import Capabilities, IdRule, Operation, ProfileScope, TableRule
from connectors.fields import TicketField, WritableField
from connectors.servicenow.mapping import COLUMNS
from connectors.servicenow.writes import CANONICAL_COLUMNS, CHOICE_FIELDS

_SPECIAL = {
    TicketField.TICKET_BUSINESS_TIME_LEFT: (
        "task_sla.business_time_left, the smallest over the ticket's active SLAs"
    ),
    TicketField.COMMENTS: "sys_journal_field (element comments), else the incident's display text",
    TicketField.WORK_NOTES: (
        "sys_journal_field (element work_notes), else the incident's display text"
    ),
    TicketField.CLOSURE_NOTES: "incident.close_notes with resolved_by/resolved_at, closed_by/_at",
}

# How a TicketInput value becomes what is stored (servicenow.prepare, servicenow.directory).
_PERSON = " (the sys_id of the active sys_user with that user name, email, name or sys_id)"
_CHOICE = " (as the sys_choice code of the code or label given)"
_HOW_WRITTEN = {
    WritableField.ASSIGNED_TO: _PERSON,
    WritableField.CALLER_ID: _PERSON,
    WritableField.ASSIGNED_GROUP: " (the sys_id of the active sys_user_group by name or sys_id)",
    WritableField.COMMENTS: " (appends one entry)",
    WritableField.WORK_NOTES: " (appends one entry)",
    **dict.fromkeys(CHOICE_FIELDS, _CHOICE),
}

SERVICENOW = Capabilities(
    itsm_type="servicenow",
    name="ServiceNow",
    operations=frozenset({Operation.FETCH, Operation.CREATE, Operation.UPDATE, Operation.SEARCH}),
    readable={
        field: _SPECIAL.get(field) or ", ".join(f"<table>.{c}" for c in COLUMNS[field])
        for field in TicketField
    },
    writable={
        field: f"<table>.{column}" + _HOW_WRITTEN.get(field, "")
        for field, column in CANONICAL_COLUMNS.items()
    },
    # Table names are lower case (incident, sc_req_item); the Table API answers 400 "Invalid
    # table name" for any other, after a round trip the gateway can spare.
    table_rule=TableRule(
        re.compile(r"[a-z][a-z0-9_]{0,79}"),
        "{path} {table} is not a ServiceNow table name (lower-case letters, digits and "
        "underscores)",
    ),
    # A profile opens the incident table unless it lists others: the operator's account reaches
    # sys_user, sys_properties or any other table only where the operator named it.
    profile_scope=ProfileScope("table", default=("incident",)),
    # A number goes into an encoded query: letters, digits, '_' and '-' only, so that nothing
    # (a '^', an '=', a "javascript:" expression) can change the query.
    number_rule=IdRule(
        re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,39}"),
        "{name} {value} is not a ServiceNow number such as INC0010001 (letters, digits, '_' "
        "and '-', at most 40)",
    ),
    id_rule=IdRule(
        re.compile(r"[0-9a-fA-F]{32}"),
        "{name} {value} is not a ServiceNow sys_id: 32 hexadecimal characters",
    ),
)
