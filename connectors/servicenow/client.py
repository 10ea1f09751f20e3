"""ServiceNow's Table API client, on the connectors' HTTP spine (``connectors.http.client``):
ServiceNow's quirks only.

The authentication headers come per call from the connection's ``RequestAuth``
(``servicenow.auth``: static for basic, API key and bearer; an OAuth token that can change
between calls); the spine retries a 401 once when it can fetch a new one. A 2xx must carry a
``result``.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Mapping
from typing import Any

import httpx

from connectors.errors import ItsmError
from connectors.http import VendorClient
from connectors.servicenow.answers import ANSWERS

# A value that goes into an encoded query (``number=<value>``): ^ (AND, ^OR, ^NQ), = and , (IN
# lists) and control characters would change the query, and ServiceNow silently ignores parts it
# cannot read. Such a value is refused rather than sent.
QUERY_UNSAFE = re.compile(r"[\^=,\x00-\x1f\x7f]")


class Rows(list[Any]):
    """A query's ``result`` rows, with the ``X-Total-Count`` ServiceNow sent beside them
    (``total``: how many records match in all, ``None`` when the header is absent or not a
    number). A list, so that every reader of a query's result reads it as before."""

    total: int | None = None


class TableClient(VendorClient[Any]):
    """Calls ``{instance}/api/now/table/...`` for one connector (one request of the gateway)."""

    vendor = "ServiceNow"
    itsm_type = "servicenow"
    api_path = "/api/now/table/"
    answers = ANSWERS

    def call(
        self,
        method: str,
        path: str,
        params: Mapping[str, str],
        *,
        body: Mapping[str, object] | None = None,
        not_found: str | None = None,
        operation: str | None = None,
    ) -> Awaitable[Any]:
        """The ``result`` of the answer (a list for queries, an object for one record), named
        for metrics after the table it reads (``operation_of``) unless ``operation`` names it
        (``read_directory``: the lookups of ``servicenow.directory``)."""
        operation = operation or operation_of(method, path)
        return self.request(
            method, path, operation=operation, params=params, body=body, not_found=not_found
        )

    def success(self, response: httpx.Response, name: str) -> Any:
        body = self.answers.json_body(response, name)
        result = body.get("result") if isinstance(body, dict) else None
        if not isinstance(result, list | dict):
            raise ItsmError(f"{name} answered {response.status_code} without a result")
        if isinstance(result, list):
            rows = Rows(result)
            count = response.headers.get("X-Total-Count", "")
            rows.total = int(count) if count.isascii() and count.isdigit() else None
            return rows
        return result


# The tables the gateway reads besides the ticket's own (which a connection may choose).
_TABLE_KINDS = {
    "sys_journal_field": "journal",
    "task_sla": "sla",
    "sys_user": "account",  # the account's zone (servicenow.account_zone)
    "sys_properties": "account",
}
_VERBS = {"GET": "read", "POST": "create", "PATCH": "update", "PUT": "update"}


def operation_of(method: str, path: str) -> str:
    """A call's name for metrics and traces, from a small fixed vocabulary (never the table a
    caller chose): ``read_ticket``, ``update_ticket``, ``read_journal``, ``read_sla``,
    ``read_account``... (``read_directory`` is given by the lookups themselves)."""
    kind = _TABLE_KINDS.get(path.partition("/")[0], "ticket")
    return f"{_VERBS.get(method.upper(), 'call')}_{kind}"
