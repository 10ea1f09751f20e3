"""``servicenow.probe_access``: what check-connection says of the account's zone, its reach into
sys_user, sys_user_group and sys_choice, and its roles, from the Table API's answers (a fake
``call`` per table: rows, or the refusal ServiceNow answers)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from connectors.connection import AuthType, Connection, Credentials
from connectors.errors import ItsmError
from connectors.probe import CheckVerdict
from connectors.servicenow.answers import AccessDenied
from connectors.servicenow.probe_access import AccessProbe

URL = "https://acme.service-now.com"
REFUSED = AccessDenied("ServiceNow at acme.service-now.com refused the gateway's account access")


def _connection(auth: AuthType = AuthType.BASIC, table: str = "incident") -> Connection:
    if auth is AuthType.BASIC:
        credentials = Credentials(auth, username="gateway.integration", password="pw")
    else:
        credentials = Credentials(auth, client_id="c", client_secret="s")
    return Connection("servicenow", URL, credentials, table)


def _probe(answers: Mapping[str, object], **kwargs: Any) -> AccessProbe:
    """Each table answers its rows, or raises its error; unnamed tables answer no row."""

    async def call(table: str, params: Mapping[str, str]) -> list[Mapping[str, Any]]:
        answer = answers.get(table, [])
        if isinstance(answer, Exception):
            raise answer
        assert isinstance(answer, list)
        return answer

    connection = _connection(**kwargs)
    return AccessProbe(connection, connection.table or "incident", call, lambda: 403)


def _by_name(checks: list[Any]) -> dict[str, Any]:
    return {check.name: check for check in checks}


async def test_a_readable_account_with_itil() -> None:
    checks = _by_name(
        await _probe(
            {
                "sys_user": [{"user_name": "gateway.integration", "time_zone": "Europe/Paris"}],
                "sys_user_group": [{"sys_id": "1"}],
                "sys_choice": [{"value": "1"}],
                "sys_user_has_role": [{"role": "itil"}, {"role": {"display_value": "rest_api"}}],
            }
        ).run()
    )

    assert checks["time zone"].message == (
        "Europe/Paris, from sys_user.time_zone of gateway.integration"
    )
    assert [checks[n].verdict for n in ("sys_user", "sys_user_group", "sys_choice")] == [
        CheckVerdict.OK
    ] * 3
    assert checks["writes"].verdict is CheckVerdict.OK
    assert checks["writes"].message == (
        "gateway.integration holds itil: may create and update incidents"
    )


async def test_every_refusal_is_a_warning_and_the_zone_falls_back_to_utc() -> None:
    checks = _by_name(
        await _probe(
            {
                "sys_user": REFUSED,
                "sys_properties": REFUSED,
                "sys_user_group": REFUSED,
                "sys_choice": REFUSED,
                "sys_user_has_role": REFUSED,
            }
        ).run()
    )

    zone = checks["time zone"]
    assert zone.verdict is CheckVerdict.REFUSED
    assert zone.message.startswith("UTC: sys_user is refused, and sys_properties is refused")
    assert "set itsmTimeZoneOffset" in zone.message
    assert all(not check.blocking for check in checks.values())
    assert checks["sys_user_group"].status == 403
    assert checks["writes"].verdict is CheckVerdict.UNKNOWN
    assert checks["writes"].message.startswith("could not be told: sys_user_has_role is refused")


async def test_an_unset_default_zone_is_assumed_utc_and_said() -> None:
    checks = _by_name(await _probe({}).run())

    assert checks["time zone"].verdict is CheckVerdict.UNKNOWN
    assert checks["time zone"].message.startswith(
        "UTC, assumed: sys_user gateway.integration has no time_zone, and glide.sys.default.tz "
        "is not set"
    )
    # No row visible: ACLs filter every row out with 200.
    assert checks["sys_user"].verdict is CheckVerdict.REFUSED
    assert checks["sys_user"].message.startswith("no row visible (ACLs?)")


async def test_a_zone_that_could_not_be_read_fails_without_blocking() -> None:
    checks = _by_name(await _probe({"sys_user": ItsmError("ServiceNow answered 500")}).run())

    assert checks["time zone"].verdict is CheckVerdict.FAILED
    assert checks["sys_user"].verdict is CheckVerdict.FAILED
    assert not checks["sys_user"].blocking


async def test_roles_other_than_the_writing_ones_cannot_tell() -> None:
    rows = {"sys_user_has_role": [{"role": "rest_api_explorer"}], "sys_user": []}

    check = _by_name(await _probe(rows).run())["writes"]

    assert check.verdict is CheckVerdict.UNKNOWN
    assert "holds rest_api_explorer" in check.message
    assert "depends on the instance's ACLs" in check.message


async def test_a_custom_table_is_never_said_writable_from_incident_roles() -> None:
    rows = {"sys_user_has_role": [{"role": "itil"}]}

    check = _by_name(await _probe(rows, table="u_ticket").run())["writes"]

    assert check.verdict is CheckVerdict.UNKNOWN
    assert "whether it may write u_ticket depends on the instance's ACLs" in check.message


async def test_an_oauth_client_names_no_user_whose_roles_could_be_read() -> None:
    default = [{"name": "glide.sys.default.tz", "value": "Asia/Tokyo"}]
    checks = _by_name(
        await _probe({"sys_properties": default}, auth=AuthType.OAUTH_CLIENT_CREDENTIALS).run()
    )

    assert checks["time zone"].message == (
        "Asia/Tokyo, from the instance default (glide.sys.default.tz)"
    )
    assert checks["writes"].verdict is CheckVerdict.UNKNOWN
    assert "oauth_client_credentials names no user" in checks["writes"].message
