"""The outcome judgement (``connectors/http/outcomes.py``) as its callers read it: for each kind
of answer or transport error, whether the instance is healthy, whether the call may be sent
again, and whether a write may have been applied. Written to kill what ``make mutate`` found
surviving (docs/mutation.md); the reason strings are for the log only and not held here."""

from __future__ import annotations

import httpx
import pytest

from connectors.errors import ItsmError
from connectors.http.outcomes import (
    Health,
    UnreadableAnswer,
    flag_if_applied,
    is_json,
    judge,
    mark_outcome_unknown,
    outcome_unknown,
    retry_after_seconds,
)

REQUEST = httpx.Request("POST", "https://acme.service-now.com/api/now/table/incident")


def answer(status: int, body: bytes = b"{}", /, **headers: str) -> httpx.Response:
    return httpx.Response(status, content=body, headers=headers, request=REQUEST)


def retry_after_bytes(status: int, value: bytes) -> httpx.Response:
    return httpx.Response(status, content=b"{}", headers=[(b"Retry-After", value)], request=REQUEST)


def verdict(method: str, result: httpx.Response | httpx.TransportError, **kw: bool) -> tuple:
    found = judge(method, result, **kw)
    return found.health, found.retryable, found.outcome_unknown


@pytest.mark.parametrize(
    ("method", "status", "expected"),
    [
        # 429: the instance is alive and refused before acting; any method may go again.
        ("POST", 429, (Health.HEALTHY, True, False)),
        ("GET", 429, (Health.HEALTHY, True, False)),
        # 503: refused before acting, yet the instance is in trouble.
        ("POST", 503, (Health.UNHEALTHY, True, False)),
        # Other 5xx: a read goes again, a write's outcome is unknown and it is not sent again.
        ("GET", 500, (Health.UNHEALTHY, True, False)),
        ("HEAD", 502, (Health.UNHEALTHY, True, False)),
        ("options", 504, (Health.UNHEALTHY, True, False)),
        ("POST", 500, (Health.UNHEALTHY, False, True)),
        ("PUT", 502, (Health.UNHEALTHY, False, True)),
        ("PATCH", 599, (Health.UNHEALTHY, False, True)),
        ("DELETE", 504, (Health.UNHEALTHY, False, True)),
        # 4xx: the instance answered sensibly; nothing to retry, nothing unknown.
        ("POST", 400, (Health.HEALTHY, False, False)),
        ("GET", 404, (Health.HEALTHY, False, False)),
        ("POST", 499, (Health.HEALTHY, False, False)),
        # 2xx and 3xx in JSON: healthy.
        ("GET", 200, (Health.HEALTHY, False, False)),
        ("POST", 201, (Health.HEALTHY, False, False)),
        ("GET", 399, (Health.HEALTHY, False, False)),
    ],
)
def test_answers(method: str, status: int, expected: tuple) -> None:
    assert verdict(method, answer(status)) == expected


@pytest.mark.parametrize("status", [200, 302, 399])
def test_a_success_that_is_not_json_is_unhealthy_and_not_retried(status: int) -> None:
    page = answer(status, b"<html>Instance hibernating</html>", **{"Content-Type": "text/html"})
    assert verdict("GET", page) == (Health.UNHEALTHY, False, False)
    assert verdict("POST", page) == (Health.UNHEALTHY, False, False)


@pytest.mark.parametrize("status", [400, 404, 500])
def test_an_error_answer_that_is_not_json_is_judged_by_its_status(status: int) -> None:
    page = answer(status, b"<html>oops</html>", **{"Content-Type": "text/html"})
    assert judge("GET", page).health is (Health.HEALTHY if status < 500 else Health.UNHEALTHY)


def test_the_idempotent_flag_overrides_the_method() -> None:
    assert verdict("POST", answer(500), idempotent=True) == (Health.UNHEALTHY, True, False)
    assert verdict("GET", answer(500), idempotent=False) == (Health.UNHEALTHY, False, True)
    assert outcome_unknown("POST", answer(500), idempotent=True) is False
    assert outcome_unknown("GET", answer(500), idempotent=False) is True
    assert outcome_unknown("POST", answer(500)) is True
    assert outcome_unknown("GET", answer(500)) is False


def test_retry_after_is_kept_on_429_and_503_only_when_in_seconds() -> None:
    assert judge("GET", answer(429, **{"Retry-After": "7"})).retry_after == 7.0
    assert judge("POST", answer(503, **{"Retry-After": " 12 "})).retry_after == 12.0
    assert judge("GET", answer(429)).retry_after is None
    http_date = answer(503, **{"Retry-After": "Wed, 21 Oct 2026 07:28:00 GMT"})
    assert judge("GET", http_date).retry_after is None
    assert judge("GET", answer(429, **{"Retry-After": "1.5"})).retry_after is None
    assert judge("GET", retry_after_bytes(429, "٣".encode())).retry_after is None  # not ASCII
    assert judge("GET", answer(500, **{"Retry-After": "7"})).retry_after is None


def test_retry_after_seconds() -> None:
    assert retry_after_seconds(answer(429, **{"Retry-After": " 30 "})) == 30
    assert retry_after_seconds(answer(429, **{"Retry-After": "-1"})) is None
    assert retry_after_seconds(retry_after_bytes(429, "٣".encode())) is None
    assert retry_after_seconds(answer(429, **{"Retry-After": "soon"})) is None
    assert retry_after_seconds(answer(429)) is None


@pytest.mark.parametrize(
    ("error", "write_expected", "read_expected"),
    [
        # Nothing was sent: retried, writes included.
        (httpx.ConnectError("refused"), (Health.UNHEALTHY, True, False), None),
        (httpx.ConnectTimeout("slow"), (Health.UNHEALTHY, True, False), None),
        # Our own pool was full: nothing sent, and nothing said about the instance.
        (httpx.PoolTimeout("full"), (Health.NEUTRAL, True, False), None),
        # Sent, or partly: a read goes again, a write's outcome is unknown.
        (
            httpx.ReadTimeout("slow"),
            (Health.UNHEALTHY, False, True),
            (Health.UNHEALTHY, True, False),
        ),
        (
            httpx.WriteTimeout("slow"),
            (Health.UNHEALTHY, False, True),
            (Health.UNHEALTHY, True, False),
        ),
        (
            httpx.ReadError("reset"),
            (Health.UNHEALTHY, False, True),
            (Health.UNHEALTHY, True, False),
        ),
        (
            httpx.WriteError("reset"),
            (Health.UNHEALTHY, False, True),
            (Health.UNHEALTHY, True, False),
        ),
        (
            httpx.RemoteProtocolError("cut"),
            (Health.UNHEALTHY, False, True),
            (Health.UNHEALTHY, True, False),
        ),
        # The instance answered something the gateway would not read: alive, not retried.
        (
            UnreadableAnswer("is too large"),
            (Health.HEALTHY, False, True),
            (Health.HEALTHY, False, False),
        ),
        # Our side: nothing reached the ITSM.
        (httpx.UnsupportedProtocol("ftp"), (Health.NEUTRAL, False, False), None),
        (httpx.LocalProtocolError("bad header"), (Health.NEUTRAL, False, False), None),
        (httpx.ProxyError("proxy"), (Health.NEUTRAL, False, False), None),
    ],
)
def test_transport_errors(
    error: httpx.TransportError, write_expected: tuple, read_expected: tuple | None
) -> None:
    assert verdict("POST", error) == write_expected
    assert verdict("GET", error) == (read_expected or write_expected)


def test_the_reason_names_the_status_or_the_error() -> None:
    assert judge("GET", answer(503)).reason == "answer 503"
    assert judge("GET", httpx.ConnectError("x")).reason == "ConnectError"


@pytest.mark.parametrize(
    ("body", "content_type", "expected"),
    [
        (b"", "text/html", True),  # nothing to misread
        (b"<html/>", "application/json", True),
        (b"<html/>", "Application/JSON; charset=utf-8", True),
        (b"<html/>", "application/problem+json", True),
        (b'  {"a": 1}', "text/plain", True),
        (b"\n[1]", "", True),
        (b"<html/>", "text/html", False),
        (b"null", "text/plain", False),
        (b" ", "text/plain", False),
    ],
)
def test_is_json(body: bytes, content_type: str, expected: bool) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    response = httpx.Response(200, content=body, headers=headers, request=REQUEST)
    if not content_type:
        response.headers.pop("Content-Type", None)
    assert is_json(response) is expected


def test_marking_an_outcome_unknown_tells_the_caller_to_check_before_retrying() -> None:
    error = mark_outcome_unknown(ItsmError("ServiceNow at acme answered 500"), "post")
    assert error.outcome_unknown is True
    assert error.message.startswith("ServiceNow at acme answered 500; the POST was sent")
    assert "check in the ITSM whether it was applied" in error.message
    assert error.args == (error.message,)
    assert str(error) == error.message


@pytest.mark.parametrize(
    ("method", "response", "idempotent", "flagged"),
    [
        ("POST", answer(500), None, True),  # a 5xx after the write
        ("POST", answer(503), None, False),  # refused before acting
        ("POST", answer(200), None, True),  # a 2xx in JSON: it was applied
        ("PATCH", answer(201, b""), None, True),  # an empty 2xx is JSON enough
        ("POST", answer(200, b"<html/>", **{"Content-Type": "text/html"}), None, False),
        ("POST", answer(400), None, False),
        ("GET", answer(200), None, False),  # a read applies nothing
        ("GET", answer(500), None, False),
        ("POST", answer(200), True, False),  # the caller said it is idempotent
        ("POST", answer(500), True, False),
        ("GET", answer(200), False, True),
    ],
)
def test_flag_if_applied(
    method: str, response: httpx.Response, idempotent: bool | None, flagged: bool
) -> None:
    error = flag_if_applied(ItsmError("refused"), method, response, idempotent=idempotent)
    assert error.outcome_unknown is flagged
    assert ("may have been applied" in error.message) is flagged


def test_an_unreadable_answer_reads_as_its_detail_and_keeps_its_request() -> None:
    # The connectors finish "<ServiceNow at host> ..." with str(error) and log the request.
    error = UnreadableAnswer("answered more than 10 MiB", request=REQUEST)
    assert str(error) == "answered more than 10 MiB"
    assert error.detail == "answered more than 10 MiB"
    assert error.request is REQUEST
