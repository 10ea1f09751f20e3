"""``itsm-gateway config check`` and ``config show`` as an operator runs them: real subprocesses,
real settings files and environments, and ``serve`` run on the same settings to show that check
refuses exactly what serve refuses.

Every profile here points at a loopback or private IP literal that the allow-list names, so no
test depends on DNS.
"""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

import pytest

from tests.e2e.test_e2e_cli import clean_environment, run_to_end

ISSUER = "https://sso.example.com/realms/smartops"
SENTINEL = "SeNtInEl-7f3a"  # a secret that must never be printed

VALID = f"""
keycloak_issuer = "{ISSUER}"
keycloak_client_id = "smartops-ui"
itsm_allowed_urls = "http://127.0.0.1:*"
port = 8081
workers = 2
redis_url = "redis://redis.internal:6379/0"

[connections.acme]
itsm_type = "servicenow"
instance_url = "http://127.0.0.1:8089"
auth_type = "basic"
username = "svc.smartops"
password_env = "ACME_SN_PASSWORD"
roles = ["itsm-acme"]
"""


def settings_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "settings.toml"
    path.write_text(text)
    return path


def environment(file: Path | None, extra: dict[str, str] | None = None, **settings: str) -> dict:
    if file is not None:
        settings["settings_file"] = str(file)
    env = clean_environment(**settings)
    env.update(extra or {})
    return env


def problems_of(stderr: str) -> list[str]:
    """The problems ``config check`` listed, one per ``  - `` line."""
    return [line[4:] for line in stderr.splitlines() if line.startswith("  - ")]


# -- a valid configuration -------------------------------------------------------------------


async def test_check_accepts_a_valid_file_with_an_environment_override(tmp_path: Path) -> None:
    env = environment(
        settings_file(tmp_path, VALID), {"ACME_SN_PASSWORD": "pw"}, port="9090", host="::1"
    )

    code, out, err = await run_to_end("config", "check", env=env)

    assert code == 0, (out, err)
    [line] = out.splitlines()
    assert line.startswith("settings OK: ")
    assert "listening on ::1:9090 with 2 workers" in line
    assert f"issuer {ISSUER}" in line
    assert "connection profiles: acme" in line
    assert "idempotency keys in Redis at redis://redis.internal:6379/0" in line
    assert err == ""


async def test_show_prints_the_effective_settings_as_toml_with_each_source(
    tmp_path: Path,
) -> None:
    env = environment(settings_file(tmp_path, VALID), port="9090")

    code, out, err = await run_to_end("config", "show", env=env)

    assert code == 0, (out, err)
    shown = tomllib.loads(out)  # the output is TOML, comments and all
    assert shown["port"] == 9090  # the environment overrides the file's 8081
    assert shown["workers"] == 2
    assert shown["keycloak_issuer"] == ISSUER
    assert shown["keycloak_audience"] == "itsm-gateway"
    assert "keycloak_client_secret" not in shown  # not set: a comment, not a value
    assert shown["connections"]["acme"]["password_env"] == "ACME_SN_PASSWORD"
    assert shown["connections"]["acme"]["roles"] == ["itsm-acme"]

    def source(name: str) -> str:
        [line] = [line for line in out.splitlines() if line.startswith(f"{name} = ")]
        return line.rsplit("# ", 1)[1]

    assert source("port") == "environment: ITSM_GATEWAY_PORT"
    assert source("workers") == "file"
    assert source("keycloak_audience") == "default"
    assert re.search(r"^# keycloak_client_secret is not set\s+# default$", out, re.MULTILINE)


async def test_show_json_gives_values_and_sources(tmp_path: Path) -> None:
    env = environment(settings_file(tmp_path, VALID), port="9090")

    code, out, err = await run_to_end("config", "show", "--json", env=env)

    assert code == 0, (out, err)
    shown = json.loads(out)
    assert shown["settings_file"] == str(tmp_path / "settings.toml")
    assert shown["settings"]["port"] == 9090
    assert shown["settings"]["keycloak_client_secret"] is None
    assert shown["sources"]["port"] == "environment"
    assert shown["sources"]["workers"] == "file"
    assert shown["sources"]["keycloak_audience"] == "default"


# -- problems: check names them, and serve refuses the same ------------------------------------


async def assert_check_and_serve_refuse(env: dict[str, str]) -> list[str]:
    """Both exit 2; check lists the problems that serve's one-line message joins."""
    code, out, err = await run_to_end("config", "check", env=env)
    assert code == 2, (out, err)
    assert "settings OK" not in out
    problems = problems_of(err)
    assert problems, err
    assert "Traceback" not in err

    serve_code, serve_out, serve_err = await run_to_end("serve", env=env)
    assert serve_code == 2, (serve_out, serve_err)
    assert f"invalid settings: {'; '.join(problems)}\n" in serve_err
    return problems


async def test_an_unknown_key_in_the_file_is_named_with_a_suggestion(tmp_path: Path) -> None:
    # (Top-level keys go before the first table.)
    env = environment(
        settings_file(tmp_path, 'prot = 8080\nlog_levle = "DEBUG"\n' + VALID),
        {"ACME_SN_PASSWORD": "pw"},
    )

    problems = await assert_check_and_serve_refuse(env)

    file = tmp_path / "settings.toml"
    assert problems == [
        f"prot in {file} is not a setting; did you mean port? "
        "(`itsm-gateway config show` lists them all)",
        f"log_levle in {file} is not a setting; did you mean log_level? "
        "(`itsm-gateway config show` lists them all)",
    ]


async def test_a_bad_value_in_the_environment_names_the_variable_and_the_file_key(
    tmp_path: Path,
) -> None:
    env = environment(
        settings_file(tmp_path, VALID),
        {"ACME_SN_PASSWORD": "pw"},
        port="eighty",
        log_level="LOUD",
    )

    problems = await assert_check_and_serve_refuse(env)

    assert len(problems) == 2, problems  # every problem at once, not the first only
    assert problems[0].startswith("ITSM_GATEWAY_PORT is not valid: Input should be a valid integer")
    assert problems[0].endswith("(set in the environment; in the settings file the key is port)")
    assert problems[1].startswith(
        "ITSM_GATEWAY_LOG_LEVEL is not valid: expected DEBUG, INFO, WARNING or ERROR"
    )


async def test_a_profile_whose_password_variable_is_not_set(tmp_path: Path) -> None:
    env = environment(settings_file(tmp_path, VALID))  # no ACME_SN_PASSWORD

    problems = await assert_check_and_serve_refuse(env)

    assert problems == [
        "connections.acme.password_env: environment variable ACME_SN_PASSWORD is not set"
    ]


async def test_profile_problems_are_listed_one_by_one(tmp_path: Path) -> None:
    text = VALID + (
        "\n[connections.globex]\n"
        'itsm_type = "servicenow"\n'
        'instance_url = "https://globex.example.org"\n'
        'auth_type = "bearer"\n'
        'token_file = "/nonexistent/globex-token"\n'
    )
    env = environment(settings_file(tmp_path, text))

    problems = await assert_check_and_serve_refuse(env)

    assert problems[0] == (
        "connections.acme.password_env: environment variable ACME_SN_PASSWORD is not set"
    )
    assert problems[1].startswith("connections.globex.instance_url ")
    assert "is not an allowed ITSM address" in problems[1]
    assert problems[2] == (
        "connections.globex.token_file: cannot read /nonexistent/globex-token "
        "(No such file or directory)"
    )
    assert len(problems) == 3


async def test_an_unusable_redis_url_is_refused_without_quoting_it(tmp_path: Path) -> None:
    env = environment(
        settings_file(tmp_path, VALID),
        {"ACME_SN_PASSWORD": "pw"},
        redis_url=f"redis://:{SENTINEL}@redis.internal:63x9/0",
    )

    problems = await assert_check_and_serve_refuse(env)

    [problem] = problems
    assert problem.startswith("ITSM_GATEWAY_REDIS_URL is not valid: expected redis://")
    assert SENTINEL not in problem


async def test_an_unreadable_settings_file(tmp_path: Path) -> None:
    env = environment(tmp_path / "missing.toml")

    problems = await assert_check_and_serve_refuse(env)

    assert problems == [
        f"ITSM_GATEWAY_SETTINGS_FILE names {tmp_path / 'missing.toml'}, which cannot be read: "
        "No such file or directory"
    ]


async def test_check_warns_of_ignored_variables_and_unshared_idempotency_keys(
    tmp_path: Path,
) -> None:
    text = VALID.replace('redis_url = "redis://redis.internal:6379/0"\n', "")
    env = environment(settings_file(tmp_path, text), {"ACME_SN_PASSWORD": "pw"})
    env["ITSM_GATEWAY_WORKRES"] = "4"

    code, out, err = await run_to_end("config", "check", env=env)

    assert code == 0, (out, err)
    assert "idempotency keys in memory (per process)" in out
    warnings = err.splitlines()
    assert warnings == [
        "warning: ITSM_GATEWAY_WORKRES is not a setting and is ignored "
        "(did you mean ITSM_GATEWAY_WORKERS?)",
        "warning: 2 workers keep idempotency keys each in its own memory: a retry that reaches "
        "another worker is not recognised; set ITSM_GATEWAY_REDIS_URL",
    ]


# -- secrets -------------------------------------------------------------------------------------

SECRETS_IN_THE_FILE = f"""
keycloak_issuer = "{ISSUER}"
keycloak_client_id = "smartops-ui"
itsm_allowed_urls = "http://127.0.0.1:*"
redis_url = "redis://gateway:{SENTINEL}@redis.internal:6379/0"

[connections.acme]
itsm_type = "servicenow"
instance_url = "http://127.0.0.1:8089"
auth_type = "basic"
username = "svc.smartops"
password_env = "ACME_SN_PASSWORD"

[connections.inline]
itsm_type = "servicenow"
instance_url = "http://127.0.0.1:8090"
auth_type = "basic"
username = "svc.smartops"
password = "{SENTINEL}"
"""


@pytest.mark.parametrize("args", [("show",), ("show", "--json"), ("check",)])
async def test_no_secret_is_ever_printed(tmp_path: Path, args: tuple[str, ...]) -> None:
    env = environment(
        settings_file(tmp_path, SECRETS_IN_THE_FILE),
        {"ACME_SN_PASSWORD": SENTINEL},
        keycloak_client_secret=SENTINEL,
        keycloak_clients=f"batch={SENTINEL}, reports",
    )

    code, out, err = await run_to_end("config", *args, env=env)

    assert SENTINEL not in out
    assert SENTINEL not in err
    if args[0] == "check":
        # The inline password is refused, by key name only.
        assert code == 2
        assert (
            "connections.inline.password: secrets may not be written in the settings file; "
            "give password_env (an environment variable) or password_file instead"
        ) in problems_of(err)
        return
    assert code == 0, (out, err)
    shown = json.loads(out)["settings"] if "--json" in args else tomllib.loads(out)
    assert shown["keycloak_client_secret"] == "********"
    assert shown["keycloak_clients"] == "batch=********,reports"
    assert shown["redis_url"] == "redis://gateway:********@redis.internal:6379/0"
    assert shown["connections"]["inline"]["password"] == "********"
    # Where a secret comes from is no secret: it stays visible.
    assert shown["connections"]["acme"]["password_env"] == "ACME_SN_PASSWORD"
