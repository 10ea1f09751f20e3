"""What the Request Tracker connector can do (``connectors.capabilities``).

RT has no business-time or SLA clock, so ``ticketBusinessDuration`` and ``ticketBusinessTimeLeft``
are not declared: asking for them is refused before any call. Category, subcategory, urgency,
severity and closure notes are ticket custom fields of those names (an RT admin adds them).
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
from connectors.fields import TicketField, WritableField

F = TicketField
W = WritableField

TICKET_ID = IdRule(
    re.compile(r"[1-9][0-9]{0,17}"),
    "{name} {value} is not a Request Tracker ticket id: a number such as 17",
)

REQUEST_TRACKER = Capabilities(
    itsm_type="rt",
    name="Request Tracker",
    operations=frozenset({Operation.FETCH, Operation.CREATE, Operation.UPDATE, Operation.SEARCH}),
    readable={
        F.TICKET_NUMBER: "Ticket.id",
        F.TICKET_STATUS: "Ticket.Status",
        F.TICKET_PRIORITY: "Ticket.Priority (the number, 0-100)",
        F.SYS_ID: "Ticket.id",
        F.ASSIGNED_TO: "Ticket.Owner: RealName, else Name (Nobody: no value)",
        F.ASSIGNED_GROUP: "Ticket.Queue: Name",
        F.SHORT_DESCRIPTION: "Ticket.Subject",
        F.LONG_DESCRIPTION: "text of the Create transaction",
        F.CATEGORY: "custom field Category",
        F.SUB_CATEGORY: "custom field SubCategory",
        F.CALLER_ID: "Ticket.Requestor, the first: RealName, else Name",
        F.URGENCY: "custom field Urgency",
        F.TICKET_SEVERITY: "custom field Severity",
        F.COMMENTS: "Correspond transactions (replies the requestor sees)",
        F.WORK_NOTES: "Comment transactions (internal)",
        F.CLOSURE_NOTES: "custom field ClosureNotes, by the transaction that set it",
        F.CREATED_TIME: "Ticket.Created",
        F.UPDATED_TIME: "Ticket.LastUpdated",
        F.RESOLVED_TIME: "Ticket.Resolved (RT keeps it when the ticket is reopened)",
        F.CREATED_BY: "Ticket.Creator",
        F.UPDATED_BY: "Ticket.LastUpdatedBy",
        F.RESOLVED_BY: "Creator of the last Status transaction to resolved",
        F.CLOSED_BY: "Creator of the last Status transaction to resolved or rejected",
        F.CORRELATION_ID: "custom field CorrelationId",
    },
    writable={
        W.TICKET_STATUS: "Ticket.Status",
        W.URGENCY: "custom field Urgency",
        W.TICKET_SEVERITY: "custom field Severity",
        W.SHORT_DESCRIPTION: "Ticket.Subject",
        W.LONG_DESCRIPTION: "Content of the Create transaction (create only)",
        W.CATEGORY: "custom field Category",
        W.SUB_CATEGORY: "custom field SubCategory",
        W.ASSIGNED_TO: "Ticket.Owner (a login name)",
        W.ASSIGNED_GROUP: "Ticket.Queue",
        W.CALLER_ID: "Ticket.Requestor (replaces the requestors)",
        W.COMMENTS: "a Correspond transaction (appends one reply)",
        W.WORK_NOTES: "a Comment transaction (appends one internal comment)",
        W.CLOSURE_NOTES: "custom field ClosureNotes",
        W.CORRELATION_ID: "custom field CorrelationId",
    },
    # RT 5 knows no Bearer scheme; its auth tokens go as api_key.
    auth_rule=AuthRule(
        frozenset({AuthType.BASIC, AuthType.API_KEY}),
        "{path} {auth_type} does not work with Request Tracker; use basic (username and "
        "password) or api_key (an RT auth token as apiKey)",
    ),
    # RT has queues, not tables: any table is refused, before any call.
    table_rule=TableRule(
        None,
        "{path} does not apply to Request Tracker, which has queues, not tables: name the queue "
        "in ticketJSON.Queue (creates go to General otherwise)",
    ),
    # Queues live in the ticket, so the connector holds a profile's tickets to its queues.
    profile_scope=ProfileScope("queue", default=("General",), in_table=False),
    number_rule=TICKET_ID,
    id_rule=TICKET_ID,  # RT's number is its id
)
