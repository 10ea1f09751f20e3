"""``itsm-gateway check-connection`` against a real Request Tracker 5 (``tests/support/rt.py``),
run as an operator runs it: a subprocess, by connection profile (an RT auth token) and by URL
(basic auth). Every run's output is searched for the account's secrets.

RT lives for the session and keeps what other tests wrote; these tests make the ticket they
need (as RT's superuser, behind the gateway's back) and never assume ids.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import orjson
import pytest

from emulators.rt_launcher import API_USER
from tests.e2e.test_e2e_check_connection import verdicts
from tests.e2e.test_e2e_cli import clean_environment, run_to_end
from tests.support.rt import RtServer, rt_server

__all__ = ["rt_server"]

CHECKS = (
    "instance URL",
    "instance",
    "authentication",
    "time zone",
    "queues",
    "tickets",
    "history",
    "writes",
)
TOKEN_VARIABLE = "LAB_RT_TOKEN"
PASSWORD_VARIABLE = "LAB_RT_PASSWORD"
PROBE_USER = "probe.outsider"
PROBE_PASSWORD = "pw-Sentinel-5be07a"


@dataclass
class RtLab:
    rt: RtServer
    settings_file: Path

    def env(self, **variables: str) -> dict[str, str]:
        return {
            **clean_environment(settings_file=str(self.settings_file)),
            TOKEN_VARIABLE: self.rt.api_token,
            PASSWORD_VARIABLE: self.rt.api_password,
            **variables,
        }

    @property
    def secrets(self) -> tuple[str, ...]:
        return (self.rt.api_token, self.rt.api_password, PROBE_PASSWORD)

    def by_url(self, user: str, variable: str, *options: str) -> list[str]:
        return [
            "check-connection",
            self.rt.url,
            "--itsm-type",
            "rt",
            "--username",
            user,
            "--password-env",
            variable,
            *options,
        ]


@pytest.fixture(scope="module")
async def rt_lab(rt_server: RtServer, tmp_path_factory: pytest.TempPathFactory) -> RtLab:
    directory = tmp_path_factory.mktemp("check-connection-rt")
    settings = directory / "settings.toml"
    settings.write_text(
        f"""itsm_allowed_urls = "http://127.0.0.1:*"

[connections.rt-lab]
itsm_type = "rt"
instance_url = "{rt_server.url}"
auth_type = "api_key"
api_key_env = "{TOKEN_VARIABLE}"
"""
    )
    async with rt_server.admin_client() as admin:
        created = await admin.post(
            "/ticket", json={"Queue": "General", "Subject": "check-connection sees this"}
        )
        assert created.status_code == 201, created.text
        # An account RT knows but has granted nothing: unprivileged, no group, no rights.
        user = await admin.post(
            "/user", json={"Name": PROBE_USER, "Password": PROBE_PASSWORD, "Privileged": 0}
        )
        assert user.status_code in (201, 409), user.text  # 409: made by an earlier module run
    return RtLab(rt_server, settings)


@pytest.fixture
async def lab(rt_lab: RtLab) -> AsyncIterator[RtLab]:
    yield rt_lab


async def check(lab: RtLab, *args: str, env: dict[str, str]) -> tuple[int, str, str]:
    code, out, err = await run_to_end(*args, env=env)
    for secret in lab.secrets:
        assert secret not in out + err, f"a secret was printed:\n{out}\n{err}"
    assert "Traceback" not in err, err
    return code, out, err


async def test_an_rt_profile_with_an_auth_token_passes(lab: RtLab) -> None:
    code, out, err = await check(lab, "check-connection", "rt-lab", env=lab.env())

    assert code == 0, (out, err)
    found = verdicts(out)
    assert list(found) == list(CHECKS)
    assert {name: verdict for name, (verdict, _) in found.items()} == dict.fromkeys(CHECKS, "ok")
    assert found["instance"][1].startswith(": Request Tracker 5.")
    assert found["time zone"][1] == ": UTC, as Request Tracker's REST 2.0 gives every time"
    assert "General" in found["queues"][1] and "Network" in found["queues"][1]
    writes = found["writes"][1]
    assert "create tickets in General, Network" in writes
    assert "reply (comments, ReplyToTicket)" in writes
    assert "comment (workNotes, CommentOnTicket)" in writes
    assert "cannot tell whether it may change a ticket's fields (ModifyTicket)" in writes
    assert out.splitlines()[-1] == "Result: the gateway can use this connection; exit code 0"


async def test_an_rt_url_with_basic_auth_as_json(lab: RtLab) -> None:
    args = lab.by_url(API_USER, PASSWORD_VARIABLE, "--json")

    code, out, err = await check(lab, *args, env=lab.env())

    assert code == 0, (out, err)
    report = orjson.loads(out)
    assert report["itsmType"] == "rt"
    assert report["table"] == "ticket"
    assert report["warnings"] == []
    checks = {c["name"]: c for c in report["checks"]}
    assert list(checks) == list(CHECKS)
    assert checks["authentication"]["message"] == f"basic auth as {API_USER} accepted"
    assert checks["tickets"]["blocking"] is True


async def test_an_account_granted_nothing_is_told_what_it_lacks(lab: RtLab) -> None:
    env = lab.env(PROBE_VARIABLE=PROBE_PASSWORD)

    code, out, err = await check(lab, *lab.by_url(PROBE_USER, "PROBE_VARIABLE"), env=env)

    found = verdicts(out)
    assert "the account is unprivileged" in found["authentication"][1]
    assert found["queues"][0] == "refused"
    assert "sees no queue (SeeQueue)" in found["queues"][1]
    assert found["writes"][0] == "refused"
    assert "may not create tickets in any queue it sees (CreateTicket)" in found["writes"][1]
    assert code == 0, (out, err)  # nothing blocking: the warnings say what is missing
    assert "warnings (queues" in out.splitlines()[-1]


async def test_a_wrong_rt_password_is_refused_authentication(lab: RtLab) -> None:
    env = lab.env(WRONG_VARIABLE="wrong-Sentinel-0c1d2e")

    code, out, err = await check(lab, *lab.by_url(API_USER, "WRONG_VARIABLE"), env=env)

    assert code == 1, (out, err)
    assert "wrong-Sentinel-0c1d2e" not in out + err
    found = verdicts(out)
    assert found["instance"][0] == "ok"
    assert found["authentication"][0] == "refused"
    assert "check the username and password" in found["authentication"][1]
    assert [found[name][0] for name in CHECKS[3:]] == ["skipped"] * len(CHECKS[3:])


async def test_a_table_is_refused_for_rt_before_anything_is_contacted(lab: RtLab) -> None:
    args = lab.by_url(API_USER, PASSWORD_VARIABLE, "--table", "incident")

    code, out, err = await check(lab, *args, env=lab.env())

    assert code == 1, (out, err)
    found = verdicts(out)
    verdict, rest = found["connection"]
    assert verdict == "refused"
    assert "does not apply to Request Tracker" in rest
    assert [found[name][0] for name in CHECKS[1:]] == ["skipped"] * len(CHECKS[1:])
