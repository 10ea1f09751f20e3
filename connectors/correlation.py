"""Finding a ticket by its correlation id: the part of the port that settles a create whose
outcome is unknown.

A create with an ``Idempotency-Key`` writes the key's fingerprint into the ticket's
``correlationId`` (``resolvers.idempotency``). When the ITSM's answer to such a create is lost
(a timeout, a dropped connection, a 5xx after the write), the use case asks once whether a
ticket with that correlation id exists: if the ITSM answers, the outcome is known (created, or
not); only when the look-up fails too does the caller hear "outcome unknown".

A connector implements it when it can both write and query ``correlationId`` (its capabilities
then list ``WritableField.CORRELATION_ID``).

Where the place a correlation id lives is the site's own (Jira: a custom field a Jira admin
adds), the connector also implements ``CorrelationHolder``: the use case asks it before writing
the gateway's digest, so that a keyed create on a site without the place still works (its lost
answer stays "outcome unknown"), while a correlationId the caller names there is a 400.
"""

from __future__ import annotations

from collections.abc import Set
from datetime import tzinfo
from typing import Protocol, runtime_checkable

from connectors.fields import TicketField
from connectors.model import Ticket


@runtime_checkable
class CorrelatingConnector(Protocol):
    async def find_correlated(
        self, correlation_id: str, fields: Set[TicketField], zone: tzinfo
    ) -> Ticket | None:
        """The ticket whose correlation id is exactly ``correlation_id`` with the asked fields,
        or ``None`` when the ITSM answered that there is none. One query for the rows (the
        asked journals and SLAs as ``fetch`` reads them). ``Conflict`` when several match (the
        gateway's fingerprints never do; a caller's own ids may); any failure to get an answer
        raises as ``fetch`` does, so the caller cannot mistake it for "none"."""
        ...


@runtime_checkable
class CorrelationHolder(Protocol):
    async def holds_correlation_ids(self) -> bool:
        """Whether this connection's site has the place correlation ids live in. Cached by the
        connector (a call at most once per site and account in a while); a failure to ask
        raises as ``fetch`` does."""
        ...
