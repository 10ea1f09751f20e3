"""Issue 17, item 3: every secret setting can be read from a file (``ITSM_GATEWAY_<NAME>_FILE``,
or ``<name>_file`` in the settings file), as Kubernetes and Docker mount secrets; never both a
value and a file; no message quotes a secret."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.settings import SECRET_SETTINGS, Settings, SettingsError

ISSUER = {"ITSM_GATEWAY_KEYCLOAK_ISSUER": "https://sso.example.com/realms/smartops"}
VALUES = {
    "keycloak_client_secret": "client-Secret-4f1",
    "keycloak_clients": "ui,backend=backend-Secret-77",
    "redis_url": "redis://:redis-Secret-9@redis.example.com:6379/0",
    "metrics_token": "metrics-Secret-token-0123456789",
}


def test_every_secret_setting_is_one_of_them() -> None:
    assert set(SECRET_SETTINGS) == set(VALUES)


@pytest.mark.parametrize("name", sorted(VALUES))
def test_a_secret_setting_reads_from_a_file(tmp_path: Path, name: str) -> None:
    secret = tmp_path / name
    secret.write_text(VALUES[name] + "\n")  # as a mounted secret ends
    variable = f"ITSM_GATEWAY_{name.upper()}_FILE"
    settings = Settings.load({**ISSUER, variable: str(secret)})
    assert getattr(settings, name) == VALUES[name]
    assert VALUES[name] not in repr(settings)


def test_the_settings_file_may_name_the_file_too(tmp_path: Path) -> None:
    secret = tmp_path / "redis"
    secret.write_text(VALUES["redis_url"])
    settings_file = tmp_path / "gateway.toml"
    settings_file.write_text(f'redis_url_file = "{secret}"\n')
    settings = Settings.load({**ISSUER, "ITSM_GATEWAY_SETTINGS_FILE": str(settings_file)})
    assert settings.redis_url == VALUES["redis_url"]


@pytest.mark.parametrize(
    "problem, words",
    [
        ("both", "not both"),
        ("missing", "cannot read"),
        ("empty", "is empty"),
    ],
)
def test_a_bad_secret_file_is_named_without_its_content(
    tmp_path: Path, problem: str, words: str
) -> None:
    secret = tmp_path / "token"
    secret.write_text("" if problem == "empty" else VALUES["metrics_token"])
    environ = {**ISSUER, "ITSM_GATEWAY_METRICS_TOKEN_FILE": str(secret)}
    if problem == "both":
        environ["ITSM_GATEWAY_METRICS_TOKEN"] = "another-Secret-token-0123456789"
    if problem == "missing":
        environ["ITSM_GATEWAY_METRICS_TOKEN_FILE"] = str(tmp_path / "nowhere")
    with pytest.raises(SettingsError) as refused:
        Settings.load(environ)
    assert words in str(refused.value)
    assert "Secret" not in str(refused.value)
