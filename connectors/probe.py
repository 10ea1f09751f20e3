"""What ``itsm-gateway check-connection`` learns about a connection, in every connector's words.

Each connector that can be checked offers a probe through the port (``port.ProbingFactory``):
``check_names(table)`` lists its checks in the order it reports them, and ``probe(connection,
transport, timeouts=...)`` makes the calls its connector makes, through the gateway's guarded
transport, each sent once (no retries, no breaker), and judges each outcome as a ``Check``. The
command names no vendor: it asks the registry for the connection's probe and prints the checks.

Every probe reports the same kinds of things, under the same names where they are the same thing:
``instance``, ``authentication``, the account's ``time zone`` (which zone the gateway reads the
tool's local times in, and how it found it), what the account may read (the record table or
project, its fields, the journal and SLA sources) and what it may write, found without writing
anything. A check that cannot tell says so.

``AnswerLog`` wraps a probe's transport and remembers the last exchange: the connectors' clients
turn every failure into a gateway error meant for an API caller, while a probe must say which step
failed (the instance, the credentials, a table), for which it needs the status and whether the
answer was JSON. Probes run their calls one at a time, so the last exchange is the one that failed.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass

import httpx

from connectors.errors import BadInput, ItsmTimeout, Unavailable
from connectors.http import is_json

INSTANCE = "instance"
AUTHENTICATION = "authentication"
TIME_ZONE = "time zone"
WRITES = "writes"


class CheckVerdict(enum.StrEnum):
    """What one check of a probe found about the connection."""

    OK = "ok"
    REFUSED = "refused"  # the ITSM (or the gateway's own policy) said no
    FAILED = "failed"  # no usable answer: unreachable, timeout, 5xx, HTML, ...
    SKIPPED = "skipped"  # not tried: an earlier check stopped the probe, or nothing to check
    UNKNOWN = "unknown"  # answered, but the answer cannot tell (e.g. rights not readable)


@dataclass(frozen=True, slots=True)
class Check:
    """One line of the report. ``message`` says what the outcome means for the gateway;
    ``detail`` is the gateway's own error message, as an API caller would see it;
    ``blocking``: a verdict other than ok means the gateway cannot use the connection."""

    name: str
    verdict: CheckVerdict
    message: str
    status: int | None = None
    detail: str | None = None
    blocking: bool = False

    @property
    def usable(self) -> bool:
        return self.verdict is CheckVerdict.OK or not self.blocking

    @property
    def warning(self) -> bool:
        """Not blocking, but the gateway is degraded. ``UNKNOWN`` is no warning: the report
        shows it, and the account may well have what it needs."""
        return not self.blocking and self.verdict in (CheckVerdict.REFUSED, CheckVerdict.FAILED)


def stopped(failed: Check, names: Sequence[str], answering: str) -> list[Check]:
    """The report when ``failed`` ended a probe: the instance check passed (``answering`` says
    so) when the credentials were the failure, the failed check, and every later one skipped."""
    at = names.index(failed.name)
    ok = Check(INSTANCE, CheckVerdict.OK, answering, blocking=True)
    passed = [ok] if failed.name == AUTHENTICATION else []
    return [*passed, failed, *skipped(names[at + 1 :], f"{failed.name} {failed.verdict.value}")]


def skipped(names: Sequence[str], because: str) -> list[Check]:
    """``names`` not checked, ``because`` an earlier check said so ("authentication refused")."""
    return [Check(name, CheckVerdict.SKIPPED, because) for name in names]


@dataclass(frozen=True, slots=True)
class Exchange:
    """The last request's outcome: ``status`` is ``None`` when no HTTP answer came."""

    token: bool  # the request went to the token endpoint (``AnswerLog.token_path``)
    status: int | None = None
    json: bool = False


class AnswerLog(httpx.AsyncBaseTransport):
    """Wraps a transport and remembers the last exchange (see the module docstring).
    ``token_path``: the path of the vendor's token endpoint, if it has one (ServiceNow's
    ``/oauth_token.do``), so that a refusal there reads as authentication."""

    def __init__(self, inner: httpx.AsyncBaseTransport, *, token_path: str | None = None) -> None:
        self._inner = inner
        self._token_path = token_path
        self.last: Exchange | None = None

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        token = self._token_path is not None and request.url.path == self._token_path
        self.last = Exchange(token=token)
        response = await self._inner.handle_async_request(request)
        await response.aread()  # kept by the response: the client reads the same bytes
        self.last = Exchange(token=token, status=response.status_code, json=is_json(response))
        return response

    async def aclose(self) -> None:
        await self._inner.aclose()


def instance_failure(
    error: Exception, seen: Exchange | None, *, vendor: str, host: str, login_advice: str
) -> Check | None:
    """The ``instance`` check when ``error`` says the instance itself gave no usable answer (its
    address refused by the gateway, no answer, a timeout, a redirect, a page that is not JSON, a
    5xx); ``None`` when it answered and the step that asked is to judge (then ``seen`` holds its
    status). ``login_advice``: what a page that is not JSON most likely means for this vendor (a
    hibernating instance, a login page)."""
    detail = str(getattr(error, "message", "") or error)
    if isinstance(error, BadInput):  # the transport refused the address when connecting
        return Check(INSTANCE, CheckVerdict.REFUSED, detail, blocking=True)
    if seen is None or seen.status is None:
        if isinstance(error, ItsmTimeout):
            message = (
                "no answer in time: check the instance and the network, or raise "
                "ITSM_GATEWAY_ITSM_READ_TIMEOUT_SECONDS"
            )
        elif isinstance(error, Unavailable):
            message = (
                f"unreachable: could not connect to {host}; check the URL, DNS and the firewall "
                "between the gateway and the instance"
            )
        else:
            message = f"no valid HTTP answer from {host}"
        return Check(INSTANCE, CheckVerdict.FAILED, message, detail=detail, blocking=True)
    status = seen.status
    if 300 <= status < 400:  # the probes follow no redirect: a login page, or not the API's base
        message = f"answered {status}, a redirect, instead of JSON: {login_advice}"
        return Check(INSTANCE, CheckVerdict.FAILED, message, status, detail, blocking=True)
    if not seen.json and status != 401:
        message = f"answered {status} with a page that is not JSON: {login_advice}"
        return Check(INSTANCE, CheckVerdict.FAILED, message, status, detail, blocking=True)
    if status >= 500:
        message = f"{vendor} is failing; check its status and try again later"
        return Check(INSTANCE, CheckVerdict.FAILED, message, status, detail, blocking=True)
    return None
