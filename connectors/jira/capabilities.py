"""What the Jira connector can do (``connectors.capabilities``), from its own mapping.

Not declared, so refused with 400 before any call: ticketBusinessDuration (Jira keeps no business
duration), assignedGroup, category, subCategory, urgency and ticketSeverity (no system field: a
site may model them as custom fields, which callers reach through ``ticketJSON``),
closureNotes, updatedBy, resolvedBy and closedBy (Jira records no note or person for them on
the issue). Writes of assignedTo and callerId need an account id, which the canonical display
name is not: set ``ticketJSON.assignee`` / ``reporter`` to ``{"accountId": ...}`` instead.
"""

from __future__ import annotations

import re

from connectors.capabilities import (
    AuthRule,
    Capabilities,
    IdRule,
    Operation,
    ProfileScope,
    TableRule,
)
from connectors.connection_keys import AuthType
from connectors.fields import TicketField
from connectors.jira.mapping import FIELDS
from connectors.jira.writes import CANONICAL_FIELDS

F = TicketField

_READ_AS = {
    F.TICKET_STATUS: "fields.status.name",
    F.TICKET_PRIORITY: "fields.priority.name",
    F.ASSIGNED_TO: "fields.assignee.displayName",
    F.SHORT_DESCRIPTION: "fields.summary",
    F.LONG_DESCRIPTION: "fields.description (Atlassian Document Format as plain text)",
    F.CALLER_ID: "fields.reporter.displayName (who raised the request)",
    F.CREATED_TIME: "fields.created",
    F.UPDATED_TIME: "fields.updated",
    F.RESOLVED_TIME: "fields.resolutiondate",
    F.CREATED_BY: "fields.creator.displayName",
}
_OTHER_READS = {
    F.TICKET_NUMBER: "the issue key",
    F.SYS_ID: "the issue id",
    F.TICKET_BUSINESS_TIME_LEFT: (
        "GET /rest/servicedeskapi/request/{key}/sla (a search: the SLA custom fields in its "
        "answer): ongoingCycle.remainingTime, the smallest over the request's ongoing SLAs "
        "(negative once breached)"
    ),
    F.COMMENTS: "GET /rest/api/3/issue/{key}/comment: comments with jsdPublic true",
    F.WORK_NOTES: (
        "GET /rest/api/3/issue/{key}/comment: comments with jsdPublic false or a visibility "
        "restriction"
    ),
    F.CORRELATION_ID: (
        'fields.customfield_NNNNN: the text custom field named "Correlation ID" (its id found '
        "through GET /rest/api/3/field); a site without it refuses correlationId with 400"
    ),
}
assert set(_READ_AS) == set(FIELDS)

JIRA = Capabilities(
    itsm_type="jira",
    record_noun="issue",
    name="Jira Service Management",
    operations=frozenset({Operation.FETCH, Operation.CREATE, Operation.UPDATE, Operation.SEARCH}),
    # In the canonical order, so that Query.connectors lists them as docs/contract.md does.
    readable={
        field: (_READ_AS | _OTHER_READS)[field]
        for field in TicketField
        if field in _READ_AS or field in _OTHER_READS
    },
    writable=dict(CANONICAL_FIELDS),
    # The table is the project: its key (DESK; upper case in Jira, accepted in any case) or id.
    auth_rule=AuthRule(
        frozenset({AuthType.BASIC, AuthType.BEARER}),
        "authType {auth_type} is not supported for Jira: use basic (username = the Atlassian "
        "account's email, password = an API token) or bearer (token = an OAuth 2.0 access token)",
    ),
    table_rule=TableRule(
        re.compile(r"[A-Za-z][A-Za-z0-9_]{0,254}|[1-9][0-9]{0,18}"),
        "{path} {table} is not a Jira project key or id (such as DESK or 10000)",
    ),
    # No project is the default one: a Jira profile lists the projects callers may use.
    profile_scope=ProfileScope("project"),
    number_rule=IdRule(
        re.compile(r"[A-Za-z][A-Za-z0-9_]{0,254}-[1-9][0-9]{0,17}"),
        "{name} {value} is not a Jira issue key such as DESK-1",
    ),
    id_rule=IdRule(
        re.compile(r"[1-9][0-9]{0,18}|[A-Za-z][A-Za-z0-9_]{0,254}-[1-9][0-9]{0,17}"),
        "{name} {value} is not a Jira issue id or key (such as 10001 or DESK-1)",
    ),
)
