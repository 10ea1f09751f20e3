"""The emulated API gateway for OAuth 2.0 clients: the accessible-resources lookup and the site's
API under ``/ex/jira/{cloudId}``, over real HTTP."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from emulators.jira import CLOUD_ID

if TYPE_CHECKING:  # conftest is not importable under --import-mode=importlib
    from tests.emulators.jira.conftest import Jira

RESOURCES = "/oauth/token/accessible-resources"


async def test_accessible_resources_lists_the_site_with_its_cloud_id(jira: Jira) -> None:
    response = await jira.bearer.get(f"{jira.url}{RESOURCES}")

    assert response.status_code == 200
    (site,) = response.json()
    assert set(site) == {"id", "url", "name", "scopes", "avatarUrl"}
    assert (site["id"], site["url"]) == (CLOUD_ID, jira.url)
    assert "read:jira-work" in site["scopes"]
    assert [r.path for r in jira.state.requests] == [RESOURCES]


async def test_accessible_resources_takes_oauth_tokens_only(jira: Jira) -> None:
    assert (await jira.http.get(f"{jira.url}{RESOURCES}")).status_code == 401  # Basic
    assert (await jira.anonymous.get(f"{jira.url}{RESOURCES}")).status_code == 401
    wrong = await jira.anonymous.get(
        f"{jira.url}{RESOURCES}", headers={"Authorization": "Bearer not-a-token"}
    )
    assert wrong.status_code == 401


async def test_the_site_api_answers_under_the_cloud_id(jira: Jira) -> None:
    root = f"{jira.url}/ex/jira/{CLOUD_ID}"
    direct = await jira.bearer.get(jira.api("issue/DESK-1"), params={"fields": "summary"})
    via = await jira.bearer.get(f"{root}/rest/api/3/issue/DESK-1", params={"fields": "summary"})
    sla = await jira.bearer.get(f"{root}/rest/servicedeskapi/request/DESK-1/sla")

    assert via.status_code == 200 and sla.status_code == 200
    assert via.json()["fields"] == direct.json()["fields"]
    assert via.json()["self"] == f"{root}/rest/api/3/issue/10001"
    recorded = jira.state.requests[1]
    assert (recorded.path, recorded.api, recorded.issue) == (
        f"/ex/jira/{CLOUD_ID}/rest/api/3/issue/DESK-1",
        "platform",
        "DESK-1",
    )


async def test_an_unknown_cloud_id_is_404(jira: Jira) -> None:
    response = await jira.bearer.get(f"{jira.url}/ex/jira/no-such-cloud/rest/api/3/issue/DESK-1")

    assert response.status_code == 404
    assert response.json() == {"code": 404, "message": "Not Found"}


@pytest.mark.jira_undescribed
async def test_an_unknown_path_under_the_cloud_id_is_jiras_404(jira: Jira) -> None:
    response = await jira.bearer.get(f"{jira.url}/ex/jira/{CLOUD_ID}/rest/api/3/nothing")

    assert response.status_code == 404
    assert response.json()["errorMessages"][0].startswith("null for uri:")
