"""The account's own zone, learned when the caller names none (``servicenow.account_zone``).

pytest-httpx fails a test on any request no response was added for, so each test also proves
which calls the zone costs: one per connection per cache period, and none when no local time is
read.
"""

from __future__ import annotations

import copy
import logging
import re
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from connectors.connection import AuthType, Credentials
from connectors.fields import TicketField
from connectors.model import Note
from connectors.servicenow.account_zone import (
    AccountZones,
    LearnedZone,
    checked_zone,
    observed_offsets,
)
from connectors.zones import ACCOUNT_ZONE
from tests.connectors.servicenow_connector.conftest import SECRETS

pytestmark = pytest.mark.usefixtures("lookups")

INSTANCE = "https://acme.service-now.com"
TABLE_URL = f"{INSTANCE}/api/now/table/incident"
JOURNAL_URL = f"{INSTANCE}/api/now/table/sys_journal_field"
USER_URL = f"{INSTANCE}/api/now/table/sys_user"
PROPERTY_URL = f"{INSTANCE}/api/now/table/sys_properties"
F = TicketField
LOS_ANGELES = ZoneInfo("America/Los_Angeles")
REFUSED = {
    "error": {"message": "Insufficient rights to query records", "detail": None},
    "status": "failure",
}
USER_QUERY = {
    "sysparm_query": "user_name=svc.gateway",
    "sysparm_fields": "user_name,time_zone",
    "sysparm_display_value": "false",
    "sysparm_limit": "2",
}
PROPERTY_QUERY = {
    "sysparm_query": "name=glide.sys.default.tz",
    "sysparm_fields": "name,value",
    "sysparm_display_value": "false",
    "sysparm_limit": "2",
}
# The recorded incident's comments, read in America/Los_Angeles (PST, then PDT).
LOS_ANGELES_COMMENTS = (
    Note(
        "Fred Luddy",
        datetime(2026, 3, 8, 0, 20, tzinfo=UTC),
        "The printer on floor 3 jams on every job.",
    ),
    Note(
        "Beth Anglin",
        datetime(2026, 3, 9, 17, 15, tzinfo=UTC),
        "The printer works again.\n\nThanks for your patience.",
    ),
)


def any_query(url: str) -> re.Pattern[str]:
    return re.compile(re.escape(url) + r"(\?.*)?$")


def user(time_zone: str) -> dict[str, Any]:
    return {"result": [{"user_name": "svc.gateway", "time_zone": time_zone}]}


def incident_with_refused_journal(httpx_mock: Any, row: dict[str, Any], times: int = 1) -> None:
    for _ in range(times):
        httpx_mock.add_response(
            url=TABLE_URL,
            match_params={
                "sysparm_query": "number=INC0010001",
                "sysparm_display_value": "all",
                "sysparm_exclude_reference_link": "true",
                # the pairs to check the zone against come in the same call
                "sysparm_fields": "comments,number,sys_created_on,sys_id,sys_updated_on",
                "sysparm_limit": "2",
            },
            json={"result": [row]},
        )
        httpx_mock.add_response(url=any_query(JOURNAL_URL), status_code=403, json=REFUSED)


async def test_the_users_zone_reads_the_fallback_once_per_connection(
    httpx_mock, factory, connection, payload
):
    row = payload("incident_resolved")["result"][0]
    incident_with_refused_journal(httpx_mock, row, times=2)
    httpx_mock.add_response(url=USER_URL, match_params=USER_QUERY, json=user("America/Los_Angeles"))

    for _ in range(2):  # the second fetch finds the zone cached: no second sys_user call
        ticket = await factory.open(connection()).fetch("INC0010001", {F.COMMENTS}, ACCOUNT_ZONE)
        assert ticket.values[F.COMMENTS] == LOS_ANGELES_COMMENTS


async def test_a_fetch_that_reads_no_local_time_makes_no_extra_call(
    httpx_mock, factory, connection, payload
):
    httpx_mock.add_response(url=any_query(TABLE_URL), json=payload("incident_resolved"))
    httpx_mock.add_response(url=any_query(JOURNAL_URL), json=payload("journal_rows"))

    ticket = await factory.open(connection()).fetch("INC0010001", {F.COMMENTS}, ACCOUNT_ZONE)

    # the journal rows' user names answered as display names (issue 12, item 5)
    assert [note.author for note in ticket.values[F.COMMENTS]] == ["Fred Luddy", "Beth Anglin"]


async def test_an_empty_user_zone_is_the_instance_default(httpx_mock, factory, connection, payload):
    incident_with_refused_journal(httpx_mock, payload("incident_resolved")["result"][0])
    httpx_mock.add_response(url=USER_URL, match_params=USER_QUERY, json=user(""))
    httpx_mock.add_response(
        url=PROPERTY_URL,
        match_params=PROPERTY_QUERY,
        json={"result": [{"name": "glide.sys.default.tz", "value": "America/Los_Angeles"}]},
    )

    ticket = await factory.open(connection()).fetch("INC0010001", {F.COMMENTS}, ACCOUNT_ZONE)

    assert ticket.values[F.COMMENTS] == LOS_ANGELES_COMMENTS


@pytest.mark.parametrize(
    "auth_type", [AuthType.API_KEY, AuthType.BEARER, AuthType.OAUTH_CLIENT_CREDENTIALS]
)
async def test_an_account_without_a_user_name_reads_the_instance_default(
    httpx_mock, factory, connection, payload, auth_type
):
    if auth_type is AuthType.OAUTH_CLIENT_CREDENTIALS:
        httpx_mock.add_response(
            url=f"{INSTANCE}/oauth_token.do",
            json={"access_token": "tok-1", "token_type": "Bearer", "expires_in": 1800},
        )
    incident_with_refused_journal(httpx_mock, payload("incident_resolved")["result"][0])
    httpx_mock.add_response(
        url=PROPERTY_URL,
        match_params=PROPERTY_QUERY,
        json={"result": [{"name": "glide.sys.default.tz", "value": "America/Los_Angeles"}]},
    )

    opened = factory.open(connection(auth_type))
    ticket = await opened.fetch("INC0010001", {F.COMMENTS}, ACCOUNT_ZONE)

    assert ticket.values[F.COMMENTS] == LOS_ANGELES_COMMENTS


async def test_nothing_readable_is_utc_checked_against_the_record(
    httpx_mock, factory, connection, payload, caplog
):
    # The account may read neither: UTC, which the record's own pairs then contradict.
    incident_with_refused_journal(httpx_mock, payload("incident_resolved")["result"][0])
    httpx_mock.add_response(url=any_query(USER_URL), status_code=403, json=REFUSED)
    httpx_mock.add_response(url=any_query(PROPERTY_URL), status_code=403, json=REFUSED)

    with caplog.at_level(logging.WARNING, logger="connectors.servicenow.account_zone"):
        ticket = await factory.open(connection()).fetch("INC0010001", {F.COMMENTS}, ACCOUNT_ZONE)

    # The latest pair (sys_updated_on, PDT) wins for the whole record.
    assert [note.time for note in ticket.values[F.COMMENTS]] == [
        datetime(2026, 3, 7, 23, 20, tzinfo=UTC),
        datetime(2026, 3, 9, 17, 15, tzinfo=UTC),
    ]
    (line,) = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert "acme.service-now.com" in line
    assert "UTC-07:00" in line
    assert not any(secret in caplog.text for secret in SECRETS.values())


async def test_the_records_pairs_win_over_a_stale_zone(httpx_mock, factory, connection, payload):
    row = copy.deepcopy(payload("incident_resolved")["result"][0])
    incident_with_refused_journal(httpx_mock, row)
    # The user moved to Berlin since: the record still shows Los Angeles times.
    httpx_mock.add_response(url=USER_URL, match_params=USER_QUERY, json=user("Europe/Berlin"))

    ticket = await factory.open(connection()).fetch("INC0010001", {F.COMMENTS}, ACCOUNT_ZONE)

    assert ticket.values[F.COMMENTS][1].time == datetime(2026, 3, 9, 17, 15, tzinfo=UTC)


async def test_an_explicit_zone_asks_nothing(httpx_mock, factory, connection, payload):
    httpx_mock.add_response(url=any_query(TABLE_URL), json=payload("incident_resolved"))
    httpx_mock.add_response(url=any_query(JOURNAL_URL), status_code=403, json=REFUSED)

    ticket = await factory.open(connection()).fetch("INC0010001", {F.COMMENTS}, LOS_ANGELES)

    assert ticket.values[F.COMMENTS] == LOS_ANGELES_COMMENTS


def test_observed_offsets_read_each_pair_in_any_user_format() -> None:
    row = {
        "sys_created_on": {
            "display_value": "07-03-2026 04:18:41 PM",
            "value": "2026-03-08 00:18:41",
        },
        "sys_updated_on": {"display_value": "03/09/2026 10:30:00", "value": "2026-03-09 17:30:00"},
        "number": {"display_value": "INC0010001", "value": "INC0010001"},
        "resolved_at": {"display_value": "", "value": ""},
    }
    assert observed_offsets(row) == [
        (datetime(2026, 3, 8, 0, 18, 41, tzinfo=UTC), timedelta(hours=-8)),
        (datetime(2026, 3, 9, 17, 30, tzinfo=UTC), timedelta(hours=-7)),
    ]


def test_a_zone_that_agrees_with_the_record_is_kept() -> None:
    row = {
        "sys_created_on": {"display_value": "2026-03-07 16:18:41", "value": "2026-03-08 00:18:41"}
    }
    learned = LearnedZone(LOS_ANGELES, "sys_user.time_zone")
    assert checked_zone(learned, row, "acme.service-now.com") is LOS_ANGELES


async def test_the_cache_expires_and_stays_bounded() -> None:
    now = [0.0]
    zones = AccountZones(ttl=60, clock=lambda: now[0], max_entries=2)
    calls: list[str] = []

    async def call(table: str, params: Any) -> Any:
        calls.append(params["sysparm_query"])
        return [{"user_name": params["sysparm_query"][10:], "time_zone": "Asia/Kolkata"}]

    def basic(name: str) -> Credentials:
        return Credentials(AuthType.BASIC, username=name, password="x")

    for _ in range(2):
        learned = await zones.zone_of(INSTANCE, basic("a"), call)
        assert (learned.zone, learned.source) == (ZoneInfo("Asia/Kolkata"), "sys_user.time_zone")
    assert calls == ["user_name=a"]
    now[0] = 61.0
    await zones.zone_of(INSTANCE, basic("a"), call)
    assert calls == ["user_name=a", "user_name=a"]
    for name in ("b", "c"):
        await zones.zone_of(INSTANCE, basic(name), call)
    assert len(zones) == 2
