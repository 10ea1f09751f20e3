"""What every adapter does with an ITSM's answers alike, whatever the tool: keep secrets out of
messages, name the instance, and turn a request that got no HTTP answer into a gateway error.

The tool-specific parts (error bodies, rate-limit headers, login pages) stay in each adapter's own
``answers`` module, which names the tool (``"Jira at acme.atlassian.net"``) in what it builds.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable

import httpx

from connectors.errors import GatewayError, ItsmError, ItsmTimeout, Unavailable


class Scrubber:
    """Replaces every secret with ``***`` in text quoted from an ITSM or from an exception.

    Longest secrets first, so that a secret containing another is not half-replaced.
    """

    def __init__(self, secrets: Iterable[str]) -> None:
        self._secrets = sorted({s for s in secrets if s}, key=len, reverse=True)

    def with_secrets(self, more: Iterable[str]) -> Scrubber:
        return Scrubber([*self._secrets, *more])

    def __call__(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text


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
    if isinstance(exc, httpx.TimeoutException):
        return ItsmTimeout(f"{name} did not answer in time ({kind})")
    if isinstance(exc, httpx.RemoteProtocolError):  # what a dropped connection looks like
        return ItsmError(f"{name} closed the connection without a valid HTTP answer ({kind})")
    if isinstance(exc, httpx.ProtocolError):
        return ItsmError(f"{name} broke the HTTP protocol ({kind})")
    return Unavailable(f"Could not reach {name} ({kind})")
