"""The one HTTP call path every vendor client runs: build the request, send it through the
factory's ``Resilience``, map the answer, flag a write whose outcome is unknown, scrub secrets.

``VendorClient.request`` is one call, to ``{instance}{api_path}{path}?{params}``:

1. ``send``: ``Accept: application/json``, the app's extra headers (``X-Request-ID``) and the
   connection's fixed headers on every call, ``Content-Type: application/json`` and an
   ``orjson`` body with one, and the headers of a ``RequestAuth`` (a credential fetched per call,
   such as an OAuth token); then ``call_or_raise``: retries, the instance's circuit breaker and
   its concurrency limit, and a request that got no HTTP answer turned into the gateway error
   naming the instance (flagged when a write may have been applied). A 401 with a
   ``RequestAuth`` that can fetch a new credential is sent once more (nothing was written);
2. ``read``: a 429 becomes ``RateLimited`` (with ``Retry-After``); a 401 a credentials error,
   whatever its body; a 2xx what the vendor's ``success`` hook makes of it; a 404 with
   ``not_found`` a ``TicketNotFound``; any other non-2xx the vendor's ``refusal``; an answer that
   should be JSON and is not, the vendor's not-JSON error;
3. ``result``: an error made from an answer is flagged ``outcome_unknown`` when the write may have
   been applied (``outcomes.flag_if_applied``);
4. every error message is scrubbed of the connection's secrets (and of the ``RequestAuth``
   credential actually sent, so a 401 page echoing its header cannot carry it into a message).

A vendor's client subclasses ``VendorClient``: it sets ``vendor``, ``itsm_type``, ``api_path``,
``answers`` (and ``fixed_headers`` if any), implements ``success``, and overrides
``look_up_base`` only when the calls do not go to the instance itself (Jira's OAuth calls).
"""

from __future__ import annotations

import abc
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import ClassVar, Generic, Protocol, TypeVar
from urllib.parse import urlencode

import httpx
import orjson

from connectors.errors import GatewayError, ItsmError, TicketNotFound
from connectors.http.answers import (
    Scrubber,
    VendorAnswers,
    scrub_body,
    scrubbed,
    transport_error,
)
from connectors.http.observer import Target
from connectors.http.outcomes import flag_if_applied, mark_outcome_unknown, outcome_unknown
from connectors.http.retries import Resilience

T = TypeVar("T")
# Every call names the gateway (an ITSM admin reading the instance's logs sees who called); a
# vendor may set its own in ``fixed_headers``.
USER_AGENT = "itsm-gateway"


async def call_or_raise(
    resilience: Resilience,
    target: Target,
    method: str,
    send: Callable[[], Awaitable[httpx.Response]],
    *,
    operation: str,
    idempotent: bool | None = None,
) -> httpx.Response:
    """``Resilience.call``, with a request that got no HTTP answer turned into the gateway error
    naming ``target`` (flagged when a write may have been applied)."""
    try:
        return await resilience.call(
            target, method, send, idempotent=idempotent, operation=operation
        )
    except httpx.TransportError as exc:
        error = transport_error(exc, target.name)
        if outcome_unknown(method, exc, idempotent=idempotent):
            mark_outcome_unknown(error, method)
        raise error from None


def target_key(instance_url: str, account: str) -> str:
    """What groups calls under one breaker and one set of concurrency slots: the instance and
    the account, so that one tenant's failures or slow calls never open the circuit or take the
    slots of another tenant on the same instance."""
    return f"{instance_url}#{account}" if account else instance_url


# Query parameters: a mapping, or pairs when a name repeats (RT's ``orderby``).
Params = Mapping[str, str] | Sequence[tuple[str, str]]


def with_query(url: str, params: Params | None) -> str:
    """``url`` with ``params`` encoded as httpx would (``+`` for spaces), so that httpx parses
    one URL rather than a URL and then the URL merged with its parameters."""
    query = urlencode(params) if params else ""
    return f"{url}?{query}" if query else url


class RequestAuth(Protocol):
    """A credential fetched per call (an OAuth access token), which a 401 may invalidate."""

    async def headers(self) -> dict[str, str]:
        """The headers that authenticate one call."""
        ...

    def forget(self, sent: Mapping[str, str]) -> bool:
        """Drop the credential carried by ``sent`` after a 401; ``True`` when a retry may help."""
        ...


class VendorClient(abc.ABC, Generic[T]):
    """The spine under each vendor's client (see the module docstring); ``T`` is what a 2xx
    answer becomes for that vendor. One per connector (one request of the gateway)."""

    vendor: ClassVar[str]  # how messages name the tool: "ServiceNow" (at acme.service-now.com)
    itsm_type: ClassVar[str]  # the metrics label
    api_path: ClassVar[str]  # from the instance URL to the API: "/api/now/table/"
    answers: ClassVar[VendorAnswers]  # how the tool's answers read: error bodies, advice text
    fixed_headers: ClassVar[Mapping[str, str]] = {}  # sent on every call (RT's User-Agent)

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        instance_url: str,
        host: str,
        headers: Mapping[str, str],
        scrub: Scrubber,
        resilience: Resilience,
        auth: RequestAuth | None = None,
        account: str = "",
    ) -> None:
        """``headers``: the app's extra headers and the connection's static credential header,
        if any; ``auth``: a credential fetched per call instead; ``account``: which account
        (``Credentials.account_key``), so that its breaker and slots are its own."""
        self._http = http
        self.name = f"{self.vendor} at {host}"
        self.host = host
        self._instance = instance_url
        self._target = Target(target_key(instance_url, account), self.name, host, self.itsm_type)
        self._base: str | None = f"{instance_url}{self.api_path}"  # None: ``look_up_base``
        self._headers = {
            "User-Agent": USER_AGENT,
            **headers,
            **self.fixed_headers,
            "Accept": "application/json",
        }
        self._scrub = scrub
        self._resilience = resilience
        self._auth = auth

    @abc.abstractmethod
    def success(self, response: httpx.Response, name: str) -> T:
        """What a 2xx answer means (hook): its decoded body (``self.answers.json_body``), the part
        of it the vendor wraps results in, or ``None`` for an empty one where that is normal."""

    async def look_up_base(self) -> str:
        """Where ``path`` starts when it is not the instance's API (hook, for a client that sets
        ``_base`` to ``None``: Jira's OAuth calls go to Atlassian's API gateway)."""
        raise NotImplementedError(f"{type(self).__name__} has no base URL to look up")

    def request(
        self,
        method: str,
        path: str,
        *,
        operation: str,
        params: Params | None = None,
        body: object = None,
        not_found: str | None = None,
        idempotent: bool | None = None,
    ) -> Awaitable[T]:
        """What the answer means (``success``), or the gateway error it is.

        ``operation`` names the call in metrics and traces (``read_ticket``, ``add_journal``);
        ``not_found`` is the message of the ``TicketNotFound`` a 404 becomes (without it, a 404
        is a refusal like any other); ``idempotent`` overrides the method's default for retries.
        A plain method returning the exchange, so that a call costs no extra coroutine.
        """
        base = self._base
        if base is None:
            return self._request_later(method, path, operation, params, body, not_found, idempotent)
        url = with_query(base + path, params)
        return self._exchange(method, url, operation, body, not_found, idempotent)

    async def _request_later(
        self,
        method: str,
        path: str,
        operation: str,
        params: Params | None,
        body: object,
        not_found: str | None,
        idempotent: bool | None,
    ) -> T:
        try:
            base = await self.look_up_base()
        except GatewayError as exc:
            raise scrubbed(exc, self._scrub) from None
        url = with_query(base + path, params)
        return await self._exchange(method, url, operation, body, not_found, idempotent)

    async def _exchange(
        self,
        method: str,
        url: str,
        operation: str,
        body: object,
        not_found: str | None,
        idempotent: bool | None,
    ) -> T:
        """``send`` and ``result``, with the ``RequestAuth`` credential if any: fetched before a
        concurrency slot is taken, so a call never holds a slot while it waits for a token
        fetch, which needs one too."""
        auth = self._auth
        sent: dict[str, str] | None = None
        try:
            if auth is not None:
                sent = await auth.headers()
            response = await self.send(
                method, url, body, operation=operation, idempotent=idempotent, auth=sent
            )
            if auth is not None and response.status_code == 401 and auth.forget(sent or {}):
                # Nothing was written on a 401, so even a POST is safe to send again.
                sent = await auth.headers()
                response = await self.send(
                    method, url, body, operation=operation, idempotent=idempotent, auth=sent
                )
            scrub = self._scrub if not sent else self._scrub.with_secrets(_header_secrets(sent))
            return self.result(method, response, not_found, idempotent, scrub=scrub)
        except GatewayError as exc:
            scrub = self._scrub if not sent else self._scrub.with_secrets(_header_secrets(sent))
            raise scrubbed(exc, scrub) from None

    async def send(
        self,
        method: str,
        url: str,
        body: object,
        *,
        operation: str,
        idempotent: bool | None = None,
        auth: Mapping[str, str] | None = None,
        target: Target | None = None,
    ) -> httpx.Response:
        """One HTTP exchange through ``Resilience``: its final answer, whatever the status, or
        the gateway error for a request that got no answer. ``auth``: per-call headers;
        ``target``: another host than the instance."""
        headers = {**self._headers, **auth} if auth else dict(self._headers)
        content = None
        if body is not None:
            headers["Content-Type"] = "application/json"
            content = orjson.dumps(body)
        # One request object for every attempt, built here rather than by the client's
        # ``build_request``, which would parse the URL twice and merge the client's default
        # headers into it on each attempt (about a tenth of a fetch's CPU). ``send`` still adds
        # the client's timeouts. The client's default headers are not sent: ``self._headers``
        # holds every header a call carries.
        request = httpx.Request(method, url, headers=headers, content=content)
        http = self._http

        def attempt() -> Awaitable[httpx.Response]:
            return http.send(request)

        return await call_or_raise(
            self._resilience,
            target or self._target,
            method,
            attempt,
            operation=operation,
            idempotent=idempotent,
        )

    def result(
        self,
        method: str,
        response: httpx.Response,
        not_found: str | None,
        idempotent: bool | None = None,
        *,
        scrub: Scrubber | None = None,
    ) -> T:
        """``read``, with its error flagged when the write may have been applied."""
        try:
            return self.read(response, not_found, self.name, scrub=scrub or self._scrub)
        except GatewayError as error:
            raise flag_if_applied(error, method, response, idempotent=idempotent) from None

    def read(
        self,
        response: httpx.Response,
        not_found: str | None,
        name: str,
        *,
        scrub: Scrubber | None = None,
    ) -> T:
        """The answer's meaning, or the gateway error it is; ``name`` names the host in it. An
        error body is scrubbed (``scrub``, default the connection's) before the vendor quotes and
        cuts it, so a cut can never keep the head of a secret."""
        scrub = scrub or self._scrub
        answers = self.answers
        status = response.status_code
        if status == 429:
            raise answers.rate_limited(response, name)
        if status == 401:  # whatever the body is: a login page here still means credentials
            try:
                body: object = answers.json_body(response, name)
            except ItsmError:
                body = None
            raise answers.refusal(401, scrub_body(body, scrub), name)
        if response.is_success:
            return self.success(response, name)
        body = answers.json_body(response, name)
        if status == 404 and not_found is not None:
            raise TicketNotFound(not_found)
        raise answers.refusal(status, scrub_body(body, scrub), name)


def _header_secrets(headers: Mapping[str, str]) -> list[str]:
    """The credential in each auth header (``Basic <b64>``, ``Bearer <token>``, an API key)."""
    return [value.split(" ")[-1] for value in headers.values() if value]
