"""The oracle of issue 16 (``tests/support/jira_description.py``) catches what Atlassian's
description does not allow, and lets through exactly the real-world exceptions it names."""

from __future__ import annotations

import json

import pytest

from tests.support.jira_description import Exchange, jira_date_time, problems, request_problems

ISSUE = "/rest/api/3/issue/DESK-1"


def answer(body: object, status: int = 200, **headers: str) -> Exchange:
    return Exchange(
        method="GET",
        path=ISSUE,
        query={},
        request_type="",
        request_body=b"",
        status=status,
        answer_type="application/json",
        answer_body=json.dumps(body).encode(),
        answer_headers=headers,
    )


def test_jiras_offset_without_a_colon_is_the_one_date_time_exception() -> None:
    for value in (
        "2026-03-11T07:05:00.000-0700",
        "2026-03-11T07:05:00Z",
        "2026-03-11T07:05:00+02:00",
    ):
        assert jira_date_time(value), value
    for value in ("2026-03-11 07:05:00", "2026-03-11T07:05", "11/03/2026", "2026-03-11T07:05:00-7"):
        assert not jira_date_time(value), value


def test_a_described_answer_passes_and_a_broken_one_is_named() -> None:
    good = {
        "id": "10001",
        "key": "DESK-1",
        "self": "https://x/rest/api/3/issue/10001",
        "fields": {},
    }
    assert problems(answer(good)) == []
    broken = {**good, "id": 10001, "fields": []}  # a number where a string is described
    found = problems(answer(broken))
    assert found and found[0].startswith(f"answer 200 to GET {ISSUE}")


def test_an_undescribed_path_and_a_wrong_parameter_are_named() -> None:
    assert request_problems("GET", "/rest/api/3/no/such/thing", {}, "", b"")
    found = request_problems("GET", "/rest/api/3/search/jql", {"maxResults": ["many"]}, "", b"")
    assert found and "search/jql" in found[0]
    assert (
        request_problems("GET", "/rest/api/3/search/jql", {"jql": ["project = DESK"]}, "", b"")
        == []
    )


@pytest.mark.parametrize("status", [429, 503])
def test_statuses_any_operation_may_answer_need_jiras_error_body(status: int) -> None:
    error = {"errorMessages": ["slow down"], "errors": {}}
    assert problems(answer(error, status, **{"Retry-After": "3"})) == []
    assert problems(answer({"message": "nope"}, status, **{"Retry-After": "3"}))
    if status == 429:
        assert "Retry-After" in problems(answer(error, status))[0]


def test_the_service_desk_api_and_the_control_api_are_not_this_descriptions() -> None:
    for path in ("/rest/servicedeskapi/request/DESK-1/sla", "/_emulator/reset"):
        assert request_problems("GET", path, {}, "", b"") == []
