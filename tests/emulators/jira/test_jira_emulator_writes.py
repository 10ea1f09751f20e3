"""Creating, editing, transitioning and commenting on the emulated site, over real HTTP.

Every refusal is also checked to have changed nothing: Jira validates a whole request first.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

from emulators.jira import seed
from emulators.jira.config import INTEGRATION_ACCOUNT_ID
from emulators.jira.control import stored

if TYPE_CHECKING:
    from tests.emulators.jira.conftest import Jira

NOT_A_DOCUMENT = "Operation value must be an Atlassian Document (see the Atlassian Document Format)"


def doc(text: str) -> dict[str, Any]:
    return {
        "type": "doc",
        "version": 1,
        "content": [{"type": "paragraph", "content": [{"type": "text", "text": text}]}],
    }


def snapshot(jira: Jira) -> list[dict[str, Any]]:
    return copy.deepcopy([stored(issue) for issue in jira.state.issues.values()])


async def test_create_answers_id_key_and_self(jira: Jira) -> None:
    response = await jira.http.post(
        jira.api("issue"),
        json={
            "fields": {
                "project": {"key": "DESK"},
                "issuetype": {"name": "[System] Incident"},
                "summary": "Disk full on db-01",
                "description": doc("Only 2% left."),
                "priority": {"name": "High"},
                "labels": ["disk"],
                "customfield_10050": "Database",
            }
        },
    )
    assert response.status_code == 201
    key, issue_id = seed.NEXT_DESK
    assert response.json() == {
        "id": issue_id,
        "key": key,
        "self": f"{jira.url}/rest/api/3/issue/{issue_id}",
    }
    issue = jira.state.find(key)
    assert issue is not None and issue.creator == INTEGRATION_ACCOUNT_ID
    assert issue.values["priority"] == "2" and issue.values["customfield_10050"] == "Database"
    fetched = await jira.http.get(jira.api(f"issue/{key}"), params={"fields": "status,reporter"})
    assert fetched.json()["fields"]["status"]["name"] == "Open"
    assert fetched.json()["fields"]["reporter"]["accountId"] == INTEGRATION_ACCOUNT_ID
    slas = await jira.http.get(jira.desk(f"request/{key}/sla"))
    assert [v["ongoingCycle"]["goalDuration"]["millis"] for v in slas.json()["values"]] == [
        4 * 3_600_000,
        8 * 3_600_000,  # High
    ]


async def test_create_refusals_name_each_field_and_write_nothing(jira: Jira) -> None:
    before = snapshot(jira)
    response = await jira.http.post(
        jira.api("issue"),
        json={
            "fields": {
                "project": {"key": "DESK"},
                "issuetype": {"name": "Epic"},
                "description": "plain text is not ADF in v3",
                "priority": {"name": "Urgent"},
                "labels": ["two words"],
                "status": {"name": "Resolved"},
                "customfield_99999": "x",
            }
        },
    )
    assert response.status_code == 400
    assert response.json() == {
        "errorMessages": [],
        "errors": {
            "issuetype": "Specify a valid issue type",
            "description": NOT_A_DOCUMENT,
            "priority": "Priority name 'Urgent' is not valid",
            "labels": "The label 'two words' can't contain spaces.",
            "status": (
                "Field 'status' cannot be set. It is not on the appropriate screen, or unknown."
            ),
            "customfield_99999": (
                "Field 'customfield_99999' cannot be set. It is not on the appropriate screen, "
                "or unknown."
            ),
            "summary": "You must specify a summary of the issue.",
        },
    }
    assert snapshot(jira) == before


async def test_create_in_an_unknown_project(jira: Jira) -> None:
    response = await jira.http.post(
        jira.api("issue"), json={"fields": {"project": {"key": "NOPE"}, "summary": "x"}}
    )
    assert response.status_code == 400
    assert response.json()["errors"] == {"project": "Specify a valid project ID or key"}


async def test_edit_answers_204_and_return_issue_answers_it(jira: Jira) -> None:
    edited = await jira.http.put(
        jira.api("issue/DESK-1"),
        json={
            "fields": {"summary": "Outlook password prompt"},
            "update": {"labels": [{"add": "mail"}]},
        },
    )
    assert edited.status_code == 204 and edited.content == b""
    returned = await jira.http.put(
        jira.api("issue/DESK-1"),
        params={"returnIssue": "true"},
        json={"fields": {"description": None}},
    )
    assert returned.status_code == 200
    fields = returned.json()["fields"]
    assert fields["summary"] == "Outlook password prompt"
    assert fields["labels"] == ["mail"] and fields["description"] is None


async def test_edit_refuses_a_field_not_on_the_screen_and_writes_nothing(jira: Jira) -> None:
    before = snapshot(jira)
    response = await jira.http.put(
        jira.api("issue/DESK-1"),
        json={"fields": {"summary": "changed", "resolution": {"name": "Done"}}},
    )
    assert response.status_code == 400
    assert response.json()["errors"] == {
        "resolution": (
            "Field 'resolution' cannot be set. It is not on the appropriate screen, or unknown."
        )
    }
    assert snapshot(jira) == before


async def test_transition_moves_the_issue_and_sets_the_resolution(jira: Jira) -> None:
    response = await jira.http.post(
        jira.api("issue/DESK-1/transitions"),
        json={"transition": {"id": "51"}, "fields": {"resolution": {"name": "Duplicate"}}},
    )
    assert response.status_code == 204
    fields = (
        await jira.http.get(
            jira.api("issue/DESK-1"), params={"fields": "status,resolution,resolutiondate"}
        )
    ).json()["fields"]
    assert fields["status"]["name"] == "Resolved"
    assert fields["resolution"]["name"] == "Duplicate"
    assert fields["resolutiondate"] == "2026-03-11T10:00:00.000-0700"
    slas = (await jira.http.get(jira.desk("request/DESK-1/sla"))).json()
    assert all("ongoingCycle" not in v for v in slas["values"])
    reopened = await jira.http.post(
        jira.api("issue/DESK-1/transitions"), json={"transition": {"id": "61"}}
    )
    assert reopened.status_code == 204
    fields = (await jira.http.get(jira.api("issue/DESK-1?fields=resolution,resolutiondate"))).json()
    assert fields["fields"] == {"resolution": None, "resolutiondate": None}


async def test_transition_not_available_from_the_status_is_refused(jira: Jira) -> None:
    before = snapshot(jira)
    closed = await jira.http.post(
        jira.api("issue/DESK-1/transitions"), json={"transition": {"id": "81"}}
    )
    assert closed.status_code == 400
    assert closed.json() == {
        "errorMessages": ["Transition id '81' is not valid for this issue."],
        "errors": {},
    }
    screenless = await jira.http.post(
        jira.api("issue/DESK-1/transitions"),
        json={"transition": {"id": "11"}, "fields": {"resolution": {"name": "Done"}}},
    )
    assert screenless.status_code == 400
    assert "resolution" in screenless.json()["errors"]
    assert snapshot(jira) == before


async def test_waiting_for_customer_pauses_the_resolution_sla(jira: Jira) -> None:
    await jira.http.post(jira.api("issue/DESK-1/transitions"), json={"transition": {"id": "21"}})
    jira.clock.advance(hours=2)
    slas = (await jira.http.get(jira.desk("request/DESK-1/sla"))).json()["values"]
    resolution = slas[1]["ongoingCycle"]
    assert resolution["paused"] is True and resolution["remainingTime"]["millis"] == 75_600_000


async def test_platform_comment_is_public_unless_marked_internal(jira: Jira) -> None:
    public = await jira.http.post(jira.api("issue/DESK-1/comment"), json={"body": doc("Hello")})
    assert public.status_code == 201
    assert public.json()["jsdPublic"] is True
    assert public.json()["body"] == doc("Hello")
    internal = await jira.http.post(
        jira.api("issue/DESK-1/comment"),
        json={
            "body": doc("Agents only"),
            "properties": [{"key": "sd.public.comment", "value": {"internal": True}}],
        },
    )
    assert internal.json()["jsdPublic"] is False
    refused = await jira.http.post(jira.api("issue/DESK-1/comment"), json={"body": "text"})
    assert refused.status_code == 400
    assert refused.json()["errors"] == {"comment": NOT_A_DOCUMENT}


async def test_agents_public_comment_stops_first_response(jira: Jira) -> None:
    await jira.http.post(jira.api("issue/DESK-1/comment"), json={"body": doc("On it")})
    slas = (await jira.http.get(jira.desk("request/DESK-1/sla"))).json()["values"]
    first_response = slas[0]
    assert "ongoingCycle" not in first_response
    assert first_response["completedCycles"][0]["breached"] is False


async def test_servicedesk_comment_sets_public_and_keeps_lines(jira: Jira) -> None:
    response = await jira.http.post(
        jira.desk("request/DESK-1/comment"),
        json={"body": "Checked the logs.\nNothing yet.\n\nWill call.", "public": False},
    )
    assert response.status_code == 201
    assert response.json()["public"] is False
    assert response.json()["created"]["jira"] == "2026-03-11T10:00:00.000-0700"
    platform = (await jira.http.get(jira.api("issue/DESK-1/comment"))).json()["comments"][-1]
    assert platform["jsdPublic"] is False
    assert platform["body"]["content"] == [
        {
            "type": "paragraph",
            "content": [
                {"type": "text", "text": "Checked the logs."},
                {"type": "hardBreak"},
                {"type": "text", "text": "Nothing yet."},
            ],
        },
        {"type": "paragraph", "content": [{"type": "text", "text": "Will call."}]},
    ]
    refused = await jira.http.post(jira.desk("request/DESK-1/comment"), json={"public": True})
    assert refused.status_code == 400 and "errorMessage" in refused.json()
