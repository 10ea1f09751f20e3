"""Authentication, fault switches, the request log and the control API, over real HTTP."""

from __future__ import annotations

import asyncio
import socket
import sys
from typing import TYPE_CHECKING

import httpx
import pytest

from emulators.jira import DEFAULT_EMAIL, DEFAULT_OAUTH_TOKEN
from emulators.jira.config import INTEGRATION_ACCOUNT_ID

if TYPE_CHECKING:
    from tests.emulators.jira.conftest import Jira


async def test_bearer_token_authenticates_the_same_account(jira: Jira) -> None:
    response = await jira.bearer.get(jira.api("issue/DESK-1"), params={"fields": "summary"})
    assert response.status_code == 200
    assert jira.state.requests[-1].account == INTEGRATION_ACCOUNT_ID


@pytest.mark.parametrize(
    "authorization",
    [
        "Bearer not-a-token",
        "Basic " + "Z2F0ZXdheUBhY21lLmV4YW1wbGU6d3Jvbmc=",  # gateway@acme.example:wrong
        "Basic !!!",
        "Negotiate abc",
    ],
)
async def test_a_refused_credential_is_401(jira: Jira, authorization: str) -> None:
    response = await jira.anonymous.get(
        jira.api("issue/DESK-1"), headers={"Authorization": authorization}
    )
    assert response.status_code == 401
    assert response.json()["errorMessages"] == [
        "You are not authenticated. Authentication required to perform this operation."
    ]
    assert response.headers["WWW-Authenticate"].startswith("OAuth realm=")


async def test_anonymous_reads_see_no_issue_and_may_not_write(jira: Jira) -> None:
    read = await jira.anonymous.get(jira.api("issue/DESK-1"))
    assert read.status_code == 404
    write = await jira.anonymous.post(jira.api("issue"), json={"fields": {}})
    assert write.status_code == 401


async def test_reject_credentials_refuses_a_valid_token(jira: Jira) -> None:
    jira.state.faults.reject_credentials = True
    assert (await jira.http.get(jira.api("issue/DESK-1"))).status_code == 401
    assert (await jira.bearer.get(jira.api("issue/DESK-1"))).status_code == 401


async def test_throttle_answers_429_with_retry_after_and_reset(jira: Jira) -> None:
    await jira.anonymous.post(
        f"{jira.url}/_emulator/faults", json={"throttle_next": 1, "throttle_retry_after_s": 90}
    )
    refused = await jira.http.get(jira.api("issue/DESK-1"))
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "90"
    assert refused.headers["X-RateLimit-Reset"] == "2026-03-11T17:01Z"
    assert refused.headers["X-RateLimit-Remaining"] == "0"
    assert refused.headers["X-RateLimit-NearLimit"] == "true"
    assert (await jira.http.get(jira.api("issue/DESK-1"))).status_code == 200


async def test_fail_next_and_login_page(jira: Jira) -> None:
    jira.state.faults.merge({"fail_next": 1, "fail_status": 503})
    failed = await jira.http.get(jira.api("issue/DESK-1"))
    assert failed.status_code == 503 and failed.json()["errorMessages"] == ["Service Unavailable"]
    jira.state.faults.merge({"fail_status": None, "login_page": True})
    page = await jira.http.get(jira.api("issue/DESK-1"))
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")


async def test_drop_after_write_applies_the_write_and_answers_nothing(jira: Jira) -> None:
    jira.state.faults.merge({"drop_next": 1, "drop_after_write": True})
    with pytest.raises(httpx.RemoteProtocolError):
        await jira.http.put(jira.api("issue/DESK-1"), json={"fields": {"summary": "dropped"}})
    assert _stored_summary(jira, "DESK-1") == "dropped"


async def test_sla_forbidden(jira: Jira) -> None:
    jira.state.faults.sla_forbidden = True
    response = await jira.http.get(jira.desk("request/DESK-1/sla"))
    assert response.status_code == 403
    assert response.json()["i18nErrorMessage"]["i18nKey"] == "sd.sla.error.no.permission"


async def test_an_automation_rule_edits_the_issue_after_a_create_and_an_edit(jira: Jira) -> None:
    set_faults = await jira.anonymous.post(
        f"{jira.url}/_emulator/faults", json={"automation_edits": {"priority": {"name": "Lowest"}}}
    )
    assert set_faults.status_code == 200
    created = await jira.http.post(
        jira.api("issue"),
        json={
            "fields": {
                "project": {"key": "DESK"},
                "issuetype": {"name": "[System] Incident"},
                "summary": "Printer on fire",
                "priority": {"name": "Highest"},
            }
        },
    )
    assert created.status_code == 201  # the write's own answer says nothing of the rule
    key = created.json()["key"]
    edited = await jira.http.put(
        jira.api(f"issue/{key}"), json={"fields": {"priority": {"id": "2"}}}
    )
    assert edited.status_code == 204

    read = await jira.http.get(jira.api(f"issue/{key}"), params={"fields": "priority"})

    assert read.json()["fields"]["priority"]["name"] == "Lowest"


async def test_fail_issue_reads_fails_only_the_reads_of_an_issue(jira: Jira) -> None:
    jira.state.faults.merge({"fail_issue_reads": 1})
    edited = await jira.http.put(jira.api("issue/DESK-1"), json={"fields": {"summary": "kept"}})
    failed = await jira.http.get(jira.api("issue/DESK-1"))
    again = await jira.http.get(jira.api("issue/DESK-1"), params={"fields": "summary"})
    assert (edited.status_code, failed.status_code, again.status_code) == (204, 503, 200)
    assert again.json()["fields"]["summary"] == "kept"


async def test_automation_edits_must_be_an_object(jira: Jira) -> None:
    with pytest.raises(ValueError, match="automation_edits must be an object"):
        jira.state.faults.merge({"automation_edits": ["priority"]})


async def test_bad_fault_values_are_refused_and_change_nothing(jira: Jira) -> None:
    refused = await jira.anonymous.post(
        f"{jira.url}/_emulator/faults", json={"fail_next": 2, "fail_status": 404}
    )
    assert refused.status_code == 400
    assert jira.state.faults.fail_next == 0


async def test_request_log_keeps_no_credential_and_the_control_api_resets(jira: Jira) -> None:
    await jira.http.put(
        jira.api("issue/DESK-1"),
        json={"fields": {"summary": "x"}},
        headers={"X-Request-ID": "req-7"},
    )
    log = (await jira.anonymous.get(f"{jira.url}/_emulator/requests")).json()
    assert log == [
        {
            "method": "PUT",
            "path": "/rest/api/3/issue/DESK-1",
            "api": "platform",
            "issue": "DESK-1",
            "query": {},
            "json": {"fields": {"summary": "x"}},
            "account": INTEGRATION_ACCOUNT_ID,
            "headers": {"x-request-id": "req-7"},
        }
    ]
    assert DEFAULT_EMAIL not in str(log)
    issues = (await jira.anonymous.get(f"{jira.url}/_emulator/issues")).json()
    assert next(i for i in issues if i["key"] == "DESK-1")["values"]["summary"] == "x"
    assert (await jira.anonymous.post(f"{jira.url}/_emulator/reset")).status_code == 204
    assert _stored_summary(jira, "DESK-1") != "x"
    assert jira.state.requests == []


def _stored_summary(jira: Jira, key: str) -> object:
    issue = jira.state.find(key)
    assert issue is not None, key
    return issue.values["summary"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def test_runs_standalone_with_python_dash_m() -> None:
    port = _free_port()
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "emulators.jira", "--port", str(port),
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    try:
        async with httpx.AsyncClient(
            headers={"Authorization": f"Bearer {DEFAULT_OAUTH_TOKEN}"}
        ) as client:
            for _ in range(200):  # bounded: at most about 20 s
                try:
                    response = await client.get(f"http://127.0.0.1:{port}/rest/api/3/issue/DESK-1")
                    break
                except httpx.ConnectError:
                    await asyncio.sleep(0.1)
            else:
                raise AssertionError("the emulator did not start")
        assert response.status_code == 200 and response.json()["key"] == "DESK-1"
    finally:
        process.terminate()
        await process.wait()
