"""Reading issues, comments, transitions and SLAs from the emulated site, over real HTTP."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from emulators.jira import seed

if TYPE_CHECKING:  # conftest is not importable under --import-mode=importlib
    from tests.emulators.jira.conftest import Jira


async def test_fields_selects_exactly_the_asked_fields(jira: Jira) -> None:
    response = await jira.http.get(
        jira.api("issue/DESK-1"), params={"fields": "summary,status,nosuchfield"}
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["id"], body["key"]) == ("10001", "DESK-1")
    assert set(body["fields"]) == {"summary", "status"}
    assert body["fields"]["summary"] == seed.DESK_1_SUMMARY
    status = body["fields"]["status"]
    assert status["name"] == "Open"
    assert status["statusCategory"]["key"] == "new"


async def test_repeated_and_excluding_fields_parameters(jira: Jira) -> None:
    both = await jira.http.get(jira.api("issue/DESK-1?fields=summary&fields=priority"))
    assert set(both.json()["fields"]) == {"summary", "priority"}
    all_but = await jira.http.get(jira.api("issue/DESK-1"), params={"fields": "*all,-comment"})
    fields = all_but.json()["fields"]
    assert "comment" not in fields and "summary" in fields and "customfield_10050" in fields


async def test_times_come_in_the_callers_zone_with_milliseconds(jira: Jira) -> None:
    # Created 2026-03-11 14:00 UTC; the integration user's profile is in Los Angeles (PDT).
    response = await jira.http.get(jira.api("issue/DESK-1"), params={"fields": "created"})
    assert response.json()["fields"]["created"] == "2026-03-11T07:00:00.000-0700"
    # DESK-5 was created before the change to daylight saving time.
    older = await jira.http.get(jira.api("issue/DESK-5"), params={"fields": "created"})
    assert older.json()["fields"]["created"] == "2026-02-20T02:00:00.000-0800"


async def test_key_lookup_ignores_case_and_id_works(jira: Jira) -> None:
    by_lower = await jira.http.get(jira.api("issue/desk-2"), params={"fields": "summary"})
    by_id = await jira.http.get(jira.api("issue/10002"), params={"fields": "summary"})
    assert by_lower.json()["key"] == by_id.json()["key"] == "DESK-2"


async def test_missing_issue_is_404_with_jiras_error_body(jira: Jira) -> None:
    response = await jira.http.get(jira.api("issue/DESK-999"))
    assert response.status_code == 404
    assert response.json() == {
        "errorMessages": ["Issue does not exist or you do not have permission to see it."],
        "errors": {},
    }


async def test_rich_description_is_adf(jira: Jira) -> None:
    body = (await jira.http.get(jira.api("issue/DESK-2?fields=description"))).json()
    description = body["fields"]["description"]
    assert description["type"] == "doc" and description["version"] == 1
    kinds = [node["type"] for node in description["content"]]
    assert kinds == ["heading", "paragraph", "orderedList", "codeBlock"]


async def test_expand_transitions_lists_those_available_from_the_status(jira: Jira) -> None:
    issue = await jira.http.get(
        jira.api("issue/DESK-1"), params={"fields": "status", "expand": "transitions"}
    )
    reachable = {t["to"]["name"] for t in issue.json()["transitions"]}
    assert reachable == {"Work in progress", "Waiting for customer", "Resolved", "Canceled"}
    listed = await jira.http.get(
        jira.api("issue/DESK-1/transitions"), params={"expand": "transitions.fields"}
    )
    resolve = next(t for t in listed.json()["transitions"] if t["name"] == "Resolve")
    assert resolve["id"] == "51" and resolve["hasScreen"] is True
    assert "resolution" in resolve["fields"]
    closed = await jira.http.get(jira.api("issue/DESK-5/transitions"))
    assert closed.json()["transitions"] == []


async def test_platform_comments_carry_jsd_public_and_page(jira: Jira) -> None:
    response = await jira.http.get(jira.api("issue/DESK-2/comment"), params={"orderBy": "created"})
    body = response.json()
    assert body["total"] == 3
    assert [c["jsdPublic"] for c in body["comments"]] == [True, True, False]
    assert body["comments"][1]["body"]["content"][0]["content"][1] == {"type": "hardBreak"}
    assert body["comments"][0]["author"]["displayName"] == "Beth Anglin"
    page = await jira.http.get(
        jira.api("issue/DESK-2/comment"), params={"startAt": "1", "maxResults": "1"}
    )
    assert page.json()["startAt"] == 1 and len(page.json()["comments"]) == 1
    newest_first = await jira.http.get(
        jira.api("issue/DESK-2/comment"), params={"orderBy": "-created"}
    )
    assert newest_first.json()["comments"][0]["jsdPublic"] is False


async def test_servicedesk_comments_filter_public_and_internal(jira: Jira) -> None:
    internal = await jira.http.get(jira.desk("request/DESK-1/comment"), params={"public": "false"})
    values = internal.json()["values"]
    assert [(v["public"], v["body"]) for v in values] == [(False, seed.DESK_1_INTERNAL)]
    public = await jira.http.get(jira.desk("request/DESK-1/comment"), params={"internal": "false"})
    assert [v["body"] for v in public.json()["values"]] == [seed.DESK_1_PUBLIC]
    assert public.json()["isLastPage"] is True


async def test_sla_remaining_time_ongoing_breached_paused_and_completed(jira: Jira) -> None:
    def ongoing(body: dict) -> list[dict]:
        return [v["ongoingCycle"] for v in body["values"] if "ongoingCycle" in v]

    desk1 = (await jira.http.get(jira.desk("request/DESK-1/sla"))).json()
    assert [v["name"] for v in desk1["values"]] == ["Time to first response", "Time to resolution"]
    assert [c["remainingTime"]["millis"] for c in ongoing(desk1)] == [3_600_000, 75_600_000]
    desk2 = ongoing((await jira.http.get(jira.desk("request/DESK-2/sla"))).json())
    assert [(c["breached"], c["remainingTime"]["millis"]) for c in desk2] == [(True, -86_400_000)]
    desk3 = ongoing((await jira.http.get(jira.desk("request/DESK-3/sla"))).json())
    assert [(c["paused"], c["remainingTime"]["millis"]) for c in desk3] == [(True, 170_940_000)]
    desk4 = (await jira.http.get(jira.desk("request/DESK-4/sla"))).json()
    assert ongoing(desk4) == [] and all(v["completedCycles"] for v in desk4["values"])


async def test_slas_keep_running_with_the_clock_unless_paused(jira: Jira) -> None:
    jira.clock.advance(minutes=30)
    desk1 = (await jira.http.get(jira.desk("request/DESK-1/sla"))).json()
    assert desk1["values"][0]["ongoingCycle"]["remainingTime"]["millis"] == 1_800_000
    desk3 = (await jira.http.get(jira.desk("request/DESK-3/sla"))).json()
    assert desk3["values"][1]["ongoingCycle"]["remainingTime"]["millis"] == 170_940_000


async def test_servicedesk_api_does_not_serve_software_issues(jira: Jira) -> None:
    for path in ("request/OPS-1/sla", "request/OPS-1/comment", "request/DESK-999/sla"):
        response = await jira.http.get(jira.desk(path))
        assert response.status_code == 404
        assert set(response.json()) == {"errorMessage", "i18nErrorMessage"}


async def test_project_answers_its_type(jira: Jira) -> None:
    desk = await jira.http.get(jira.api("project/DESK"))
    assert desk.json()["projectTypeKey"] == "service_desk"
    ops = await jira.http.get(jira.api("project/10001"))
    assert ops.json()["key"] == "OPS" and ops.json()["projectTypeKey"] == "software"
    missing = await jira.http.get(jira.api("project/NOPE"))
    assert missing.status_code == 404
    assert missing.json()["errorMessages"] == ["No project could be found with key 'NOPE'."]


@pytest.mark.jira_undescribed
async def test_unknown_rest_path_is_404_in_jiras_shape(jira: Jira) -> None:
    response = await jira.http.get(jira.api("nosuchresource"))
    assert response.status_code == 404
    assert response.json()["errorMessages"][0].startswith("null for uri: ")


async def test_user_search_matches_prefixes_of_names_and_email_addresses(jira: Jira) -> None:
    async def names(**params: str) -> list[str]:
        response = await jira.http.get(jira.api("user/search"), params=params)
        assert response.status_code == 200, response.text
        return [user["displayName"] for user in response.json()]

    assert await names(query="beth") == ["Beth Anglin"]
    assert await names(query="Anglin") == ["Beth Anglin"]
    assert await names(query="david.loo@acme") == ["David Loo"]
    assert await names(query="nobody-here") == []
    assert await names(accountId="5b109f2e9729b51b54dc274d") == ["David Loo"]
    missing = await jira.http.get(jira.api("user/search"))
    assert missing.status_code == 400
