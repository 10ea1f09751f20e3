"""One Table API call, on the connectors' HTTP spine (``connectors.http.client``): ServiceNow's
quirks only.

The authentication headers are fetched per call (an OAuth token can change between calls), and
a 401 is retried once when the authenticator can fetch a new credential (OAuth); the error
messages are also scrubbed of the authentication headers actually sent. The credential is
fetched before a concurrency slot is taken, so a Table API call never holds a slot while it
waits for the OAuth token fetch, which needs one too. A 2xx must carry a ``result``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

from connectors.errors import GatewayError, ItsmError
from connectors.http import Resilience, Scrubber, Target, VendorClient, scrubbed, with_query
from connectors.servicenow.answers import ANSWERS
from connectors.servicenow.auth import ServiceNowAuth


class TableClient(VendorClient[Any]):
    """Calls ``{instance}/api/now/table/...`` for one connector (one request of the gateway)."""

    answers = ANSWERS

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        instance_url: str,
        host: str,
        auth: ServiceNowAuth,
        scrub: Scrubber,
        headers: Mapping[str, str],
        resilience: Resilience,
    ) -> None:
        super().__init__(
            http,
            target=Target(key=instance_url, name=f"ServiceNow at {host}", host=host),
            headers=headers,
            scrub=scrub,
            resilience=resilience,
        )
        self._base = f"{instance_url}/api/now/table/"
        self._auth = auth

    async def call(
        self,
        method: str,
        path: str,
        params: Mapping[str, str],
        *,
        body: Mapping[str, object] | None = None,
        not_found: str | None = None,
    ) -> Any:
        """The ``result`` of the answer (a list for queries, an object for one record).

        ``not_found`` is the message of the ``TicketNotFound`` a 404 becomes; without it a 404 is
        an ``ItsmError`` like any other refusal.
        """
        auth: dict[str, str] = {}
        try:
            auth = await self._auth.headers()
            url = with_query(self._base + path, params)
            operation = operation_of(method, path)
            response = await self.send(method, url, body, operation=operation, auth=auth)
            if response.status_code == 401 and self._auth.forget(auth):
                # Nothing was written on a 401, so even a POST is safe to send again.
                auth = await self._auth.headers()
                response = await self.send(method, url, body, operation=operation, auth=auth)
            return self.result(method, response, not_found)
        except GatewayError as exc:
            raise scrubbed(exc, self._scrub.with_secrets(_header_secrets(auth))) from None

    def success(self, response: httpx.Response, name: str) -> Any:
        body = self.answers.json_body(response, name)
        result = body.get("result") if isinstance(body, dict) else None
        if not isinstance(result, list | dict):
            raise ItsmError(f"{name} answered {response.status_code} without a result")
        return result


# The tables the gateway reads besides the ticket's own (which a connection may choose).
_TABLE_KINDS = {"sys_journal_field": "journal", "task_sla": "sla"}
_VERBS = {"GET": "read", "POST": "create", "PATCH": "update", "PUT": "update"}


def operation_of(method: str, path: str) -> str:
    """A call's name for metrics and traces, from a small fixed vocabulary (never the table a
    caller chose): ``read_ticket``, ``update_ticket``, ``read_journal``, ``read_sla``..."""
    kind = _TABLE_KINDS.get(path.partition("/")[0], "ticket")
    return f"{_VERBS.get(method.upper(), 'call')}_{kind}"


def _header_secrets(headers: Mapping[str, str]) -> list[str]:
    """The credential in each auth header (``Basic <b64>``, ``Bearer <token>``, an API key), so a
    401 page echoing the header cannot carry it into a message."""
    return [value.split(" ")[-1] for value in headers.values() if value]
