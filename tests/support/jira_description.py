"""Atlassian's description of the Jira Cloud platform API (``specs/jira-platform-openapi.v3.json``)
as a test oracle: every request the gateway's Jira connector sends to the Jira emulator, and every
answer the emulator gives, is validated against it (openapi-core).

The real-world exceptions are explicit and narrow, and nothing else is loosened:

- Jira writes datetimes with an offset without a colon (``2026-03-11T07:05:00.000-0700``), which
  the description's ``date-time`` format (RFC 3339) rejects; ``jira_date_time`` accepts that form
  and RFC 3339's.
- A 204 has no content (RFC 9110), while the description gives some 204s a JSON body: a 204 is
  checked to be one of the operation's described answers, with no body.
- 429 and 5xx may answer any operation and are described for none: a 429 must carry
  ``Retry-After`` (Atlassian's rate-limiting page) and each must carry Jira's error body.
- A page that is not JSON (a login or maintenance page in front of the API, which the emulator
  plays on purpose) is no answer of the API and is not validated.

What is not the platform API is not validated here, and is named in ``NOT_DESCRIBED``: the Jira
Service Management API (``/rest/servicedeskapi/``, described by Atlassian's service desk reference
in prose), the emulator's own control API, and Atlassian's API gateway's OAuth resources. A path
of the platform API that the description does not have is a problem like any other.
"""

from __future__ import annotations

import functools
import json
import re
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from openapi_core import Config, OpenAPI
from openapi_core.testing import MockRequest, MockResponse

SPEC = Path(__file__).resolve().parents[2] / "specs" / "jira-platform-openapi.v3.json"
SERVER = "https://your-domain.atlassian.net"  # the description's server; paths are matched under it
NOT_DESCRIBED = ("/rest/servicedeskapi/", "/_emulator/", "/oauth/", "/rest/api/3/_")
_GATEWAY_ROOT = re.compile(r"^/ex/jira/[^/]+")  # Atlassian's API gateway in front of the site
_RFC3339 = re.compile(r"\d{4}-\d\d-\d\d[Tt]\d\d:\d\d:\d\d(\.\d+)?([Zz]|[+-]\d\d:\d\d)")
_JIRA_OFFSET = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?[+-]\d{4}")


def jira_date_time(value: object) -> bool:
    """The description's ``date-time``, plus the one form real Jira writes that RFC 3339 lacks."""
    if not isinstance(value, str):
        return True  # a type mismatch is the schema's "type" to report, not the format's
    return bool(_RFC3339.fullmatch(value) or _JIRA_OFFSET.fullmatch(value))


@functools.cache
def description() -> OpenAPI:
    """The description, loaded once per test process (about a second). Its own validation is
    skipped: Atlassian's document has defaults outside their enums, which say nothing about
    requests and answers."""
    spec = json.loads(SPEC.read_text(encoding="utf-8"))
    config = Config(
        spec_validator_cls=None,
        extra_format_validators={"date-time": jira_date_time},
    )
    return OpenAPI.from_dict(spec, config=config)


@dataclass(frozen=True)
class Exchange:
    """One request to the Jira emulator and its answer, as the emulator saw them."""

    method: str
    path: str
    query: Mapping[str, list[str]]
    request_type: str
    request_body: bytes
    status: int
    answer_type: str
    answer_body: bytes
    answer_headers: Mapping[str, str] = field(default_factory=dict)


def request_problems(
    method: str, path: str, query: Mapping[str, list[str]], content_type: str, body: bytes
) -> list[str]:
    """What the description does not allow in a request alone (a connector's, in tests that
    answer it with pytest-httpx)."""
    path = _GATEWAY_ROOT.sub("", path)
    if any(path.startswith(prefix) for prefix in NOT_DESCRIBED) or not path.startswith("/rest/"):
        return []
    request = MockRequest(
        SERVER,
        method.lower(),
        path,
        args={name: values[-1] for name, values in query.items()},
        data=body or None,
        content_type=content_type or "application/json",
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            description().validate_request(request)
        except Exception as error:
            return [f"request {method} {path}: {_explained(error)}"]
    return []


def problems(exchange: Exchange) -> list[str]:
    """What the description does not allow in ``exchange`` (empty when it is described and
    valid, or not part of the platform API)."""
    path = _GATEWAY_ROOT.sub("", exchange.path)
    if any(path.startswith(prefix) for prefix in NOT_DESCRIBED) or not path.startswith("/rest/"):
        return []
    request = MockRequest(
        SERVER,
        exchange.method.lower(),
        path,
        args={name: values[-1] for name, values in exchange.query.items()},
        data=exchange.request_body or None,
        content_type=exchange.request_type or "application/json",
    )
    found: list[str] = []
    if exchange.answer_type == "text/html":
        return found  # a page in front of the API, not an answer of it
    if exchange.status == 204 and not exchange.answer_body:
        return _no_content(exchange, path)
    if exchange.status == 429 or exchange.status >= 500:
        # Any operation may answer these; the description lists them for none. Atlassian's
        # rate-limiting page documents 429 with Retry-After, and every error with Jira's error
        # body ({"errorMessages": [...], "errors": {...}}).
        found += _undescribed_status(exchange, path)
        return found
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "Unsupported scheme type": security is not checked
        try:
            description().validate_request(request)
        except Exception as error:  # openapi-core's errors share no useful base
            found.append(f"request {exchange.method} {path}: {_explained(error)}")
        response = MockResponse(
            exchange.answer_body,
            status_code=exchange.status,
            content_type=exchange.answer_type or "application/json",
        )
        try:
            description().validate_response(request, response)
        except Exception as error:
            found.append(
                f"answer {exchange.status} to {exchange.method} {path}: {_explained(error)}"
            )
    return found


def _no_content(exchange: Exchange, path: str) -> list[str]:
    """A 204 answers an operation the description gives a 204, with no body (HTTP's rule, where
    the description gives some 204s a JSON one)."""
    operation = _operation(exchange.method, path)
    if operation is None or "204" not in operation.get("responses", {}):
        return [f"answer 204 to {exchange.method} {path}: not one of the described answers"]
    return []


@functools.cache
def _paths() -> list[tuple[re.Pattern[str], Mapping[str, object]]]:
    """Each described path as a pattern (``{issueIdOrKey}`` matching one segment)."""
    spec = json.loads(SPEC.read_text(encoding="utf-8"))
    return [
        (re.compile("^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(name)) + "$"), item)
        for name, item in spec["paths"].items()
    ]


def _operation(method: str, path: str) -> Mapping[str, Any] | None:
    """The described operation for ``method`` on a concrete ``path``."""
    for pattern, item in _paths():
        operation = item.get(method.lower()) if pattern.match(path) else None
        if isinstance(operation, Mapping):
            return operation
    return None


def _undescribed_status(exchange: Exchange, path: str) -> list[str]:
    where = f"answer {exchange.status} to {exchange.method} {path}"
    found = []
    if exchange.status == 429 and "Retry-After" not in exchange.answer_headers:
        found.append(f"{where}: no Retry-After, which Atlassian's rate limiting documents")
    try:
        body = json.loads(exchange.answer_body or b"null")
    except ValueError:
        return [*found, f"{where}: not JSON"]
    if not (
        isinstance(body, dict)
        and isinstance(body.get("errorMessages", []), list)
        and isinstance(body.get("errors", {}), dict)
        and ("errorMessages" in body or "errors" in body)
    ):
        found.append(f"{where}: not Jira's error body (errorMessages, errors)")
    return found


def _explained(error: BaseException) -> str:
    """The error, and the schema errors under it (openapi-core nests them)."""
    parts = [f"{type(error).__name__}: {error}"]
    nested = getattr(error, "schema_errors", None) or []
    parts += [str(getattr(e, "message", e))[:300] for e in nested[:5]]
    cause = error.__cause__
    if cause is not None and not nested:
        parts.append(str(cause)[:300])
        parts += [
            str(getattr(e, "message", e))[:300]
            for e in (getattr(cause, "schema_errors", None) or [])[:5]
        ]
    return "; ".join(parts)
