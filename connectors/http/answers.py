"""What every adapter does with an ITSM's answers alike, whatever the tool: keep secrets out of
messages, name the instance, decode JSON, and turn a 429, a refusal, a non-JSON answer or a
request that got no HTTP answer into a gateway error.

``VendorAnswers`` holds the common mapping; its hooks are where a tool differs (how its error
bodies carry a message, what advice a non-JSON answer or a refused credential deserves). Each
adapter's own ``answers`` module subclasses it. Every message names the instance as the caller
gave it (``name``: ``"Jira at acme.atlassian.net"``).
"""

from __future__ import annotations

import base64
import functools
import html
import re
from collections.abc import Iterable, Mapping
from typing import ClassVar
from urllib.parse import quote, quote_plus

import httpx
import orjson

from connectors.errors import GatewayError, ItsmError, ItsmTimeout, RateLimited, Unavailable
from connectors.http.outcomes import UnreadableAnswer, retry_after_seconds


class Scrubber:
    """Replaces every secret with ``***`` in text quoted from an ITSM or from an exception.

    An ITSM may echo a secret in another form than it was sent: re-cased, percent-encoded (a
    query string, a form body), HTML-escaped (an error page), JSON-escaped, or base64-encoded
    (a Basic credential). Each secret is matched in every one of these forms, case-insensitively,
    longest first, so that a secret containing another is not half-replaced. The pattern is
    built on first use: a request that meets no error never pays for it.

    Scrub before cutting: a quote cut first can keep the head of a secret that no longer matches
    whole (``scrub_body`` does it for an error body before a vendor quotes it).
    """

    def __init__(self, secrets: Iterable[str]) -> None:
        self._secrets = sorted({s for s in secrets if s}, key=len, reverse=True)
        self._pattern: re.Pattern[str] | None = None

    def with_secrets(self, more: Iterable[str]) -> Scrubber:
        return Scrubber([*self._secrets, *more])

    def __call__(self, text: str) -> str:
        if not self._secrets:
            return text
        if self._pattern is None:
            forms = {form for secret in self._secrets for form in _echoed_forms(secret) if form}
            alternatives = sorted(forms, key=len, reverse=True)
            self._pattern = re.compile("|".join(map(re.escape, alternatives)), re.IGNORECASE)
        return self._pattern.sub("***", text)


def _echoed_forms(secret: str) -> set[str]:
    """``secret`` as an ITSM might echo it (see ``Scrubber``)."""
    raw = secret.encode("utf-8")
    return {
        secret,
        quote(secret, safe=""),
        quote_plus(secret, safe=""),
        html.escape(secret),
        orjson.dumps(secret).decode()[1:-1],
        base64.b64encode(raw).decode().rstrip("="),
        base64.urlsafe_b64encode(raw).decode().rstrip("="),
    }


def scrub_body(body: object, scrub: Scrubber) -> object:
    """A decoded JSON body with every string in it (keys too) scrubbed: what a vendor's
    ``quote`` may cut from safely."""
    if isinstance(body, str):
        return scrub(body)
    if isinstance(body, Mapping):
        return {scrub(str(key)): scrub_body(value, scrub) for key, value in body.items()}
    if isinstance(body, list | tuple):
        return [scrub_body(item, scrub) for item in body]
    return body


def scrubbed(error: GatewayError, scrub: Scrubber) -> GatewayError:
    """The same error with its message scrubbed (the type, status and headers are kept)."""
    clean = scrub(error.message)
    if clean != error.message:
        error.message = clean
        error.args = (clean,)
    return error


@functools.lru_cache(maxsize=1024)  # a pure function, asked on every call with the same URLs
def host_of(instance_url: str) -> str:
    """The instance as named in messages: host and port, never userinfo or path."""
    url = httpx.URL(instance_url)
    return f"{url.host}:{url.port}" if url.port else url.host


def not_json(response: httpx.Response) -> str:
    """What an answer that is not JSON holds, for a message: "an HTML page" (a login, maintenance
    or hibernation page) or "non-JSON content (<type>)"."""
    content_type = response.headers.get("Content-Type", "")
    looks_html = "html" in content_type or response.content.lstrip()[:1] == b"<"
    return "an HTML page" if looks_html else f"non-JSON content ({content_type or 'no type'})"


def transport_error(exc: httpx.TransportError, name: str) -> GatewayError:
    """A request to ``name`` ("ServiceNow at acme.service-now.com") that got no HTTP answer. The
    exception text is not quoted: it can carry URLs."""
    kind = type(exc).__name__
    if isinstance(exc, UnreadableAnswer):  # its detail is the gateway's own text
        return ItsmError(f"{name} {exc.detail}")
    if isinstance(exc, httpx.TimeoutException):
        return ItsmTimeout(f"{name} did not answer in time ({kind})")
    if isinstance(exc, httpx.RemoteProtocolError):  # what a dropped connection looks like
        return ItsmError(f"{name} closed the connection without a valid HTTP answer ({kind})")
    if isinstance(exc, httpx.ProtocolError):
        return ItsmError(f"{name} broke the HTTP protocol ({kind})")
    return Unavailable(f"Could not reach {name} ({kind})")


class VendorAnswers:
    """How one tool's answers read. Stateless: one instance serves every connection.

    The common mapping is here; a subclass sets ``not_json_advice`` and ``credentials_advice``
    and overrides ``quote`` (where its error bodies carry a message), and where its wording
    differs, ``refusal`` or ``not_json_error``.
    """

    # Appended to "<name> answered 200 with an HTML page instead of JSON": why, and what to do.
    not_json_advice: ClassVar[str] = ""
    # Appended to the message of a 401: which credentials to check.
    credentials_advice: ClassVar[str] = ""

    def quote(self, body: object) -> str:
        """The tool's own error message in ``body``, cut short; never the whole body."""
        return "no error message"

    def json_body(self, response: httpx.Response, name: str) -> object:
        """The decoded body, or ``ItsmError`` when it is not JSON, whatever the status: a login
        page, a maintenance or hibernation page or a proxy's error page can answer 200."""
        try:
            return orjson.loads(response.content)
        except orjson.JSONDecodeError:
            pass
        raise self.not_json_error(response, name)

    def not_json_error(self, response: httpx.Response, name: str) -> ItsmError:
        """The error for an answer that is not JSON (hook: the tool's own wording)."""
        return ItsmError(
            f"{name} answered {response.status_code} with {not_json(response)} instead of JSON"
            f"{self.not_json_advice}"
        )

    def rate_limited(self, response: httpx.Response, name: str) -> RateLimited:
        """A 429, with its ``Retry-After`` in whole seconds when it has one."""
        return RateLimited(
            f"{name} is rate-limiting the gateway's account (429); retry later",
            retry_after=retry_after_seconds(response),
        )

    def refusal(self, status: int, body: object, name: str) -> GatewayError:
        """The error for a non-2xx JSON answer that the caller of the client did not handle."""
        quoted = self.quote(body)
        if status == 401:
            advice = self.credentials_advice
            return ItsmError(f"{name} rejected the gateway's credentials (401: {quoted}){advice}")
        if status == 403:
            return ItsmError(f"{name} refused the gateway's account access (403: {quoted})")
        if status == 400:
            return ItsmError(f"{name} refused the request (400: {quoted})")
        return ItsmError(f"{name} answered {status} ({quoted})")
