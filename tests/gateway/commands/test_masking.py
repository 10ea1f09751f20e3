"""What ``config show`` may print: secrets masked, where they come from visible."""

from __future__ import annotations

from typing import Any

import pytest

from gateway.commands.masking import (
    MASK,
    masked_clients,
    masked_profile,
    masked_settings,
    masked_url,
)
from gateway.settings import Settings

SECRET = "s3cr3t-Value"
ISSUER = "https://sso.example.com/realms/smartops"


def test_every_secret_setting_is_masked() -> None:
    """A setting declared ``repr=False`` is a secret; one added later is masked too."""
    secret_fields = [name for name, field in Settings.model_fields.items() if not field.repr]
    assert {"keycloak_client_secret", "keycloak_clients", "redis_url"} <= set(secret_fields)
    values: dict[str, Any] = {  # text, as the environment gives it: the settings parse it
        "keycloak_client_secret": SECRET,
        "keycloak_clients": f"batch={SECRET}",
        "redis_url": f"redis://:{SECRET}@redis:6379/0",
    }
    for name in secret_fields:  # a secret added later: give it a valid value here if this is not
        values.setdefault(name, SECRET * 2)
    settings = Settings(keycloak_issuer=ISSUER, **values)

    shown = masked_settings(settings)

    assert SECRET not in repr(shown)
    assert shown["keycloak_client_secret"] == MASK
    assert shown["keycloak_issuer"] == ISSUER
    assert shown["port"] == 8080


@pytest.mark.parametrize(
    ("clients", "shown"),
    [
        ("ui", "ui"),
        (f"ui, batch={SECRET}", f"ui,batch={MASK}"),
        (f"a={SECRET},b={SECRET}x", f"a={MASK},b={MASK}"),
    ],
)
def test_client_ids_stay_and_their_secrets_go(clients: str, shown: str) -> None:
    assert masked_clients(clients) == shown


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("redis://redis:6379/0", "redis://redis:6379/0"),
        (f"redis://:{SECRET}@redis:6379/0", f"redis://:{MASK}@redis:6379/0"),
        (f"rediss://gateway:{SECRET}@redis:6380/2", f"rediss://gateway:{MASK}@redis:6380/2"),
        # Without a colon the userinfo may be a password written as a user name.
        (f"redis://{SECRET}@redis:6379", f"redis://{MASK}@redis:6379"),
        (
            f"redis://redis:6379/0?password={SECRET}&db=1",
            f"redis://redis:6379/0?password={MASK}&db=1",
        ),
        # Unencoded '/' and '#' in a password move its tail into the path or the fragment.
        (f"redis://:ab/{SECRET}@redis:6379", f"redis://:{MASK}/{MASK}"),
        (f"redis://:ab#{SECRET}@redis:6379", f"redis://:{MASK}#{MASK}"),
        ("unix:///run/redis/redis.sock?db=3", "unix:///run/redis/redis.sock?db=3"),
    ],
)
def test_a_url_keeps_where_it_points_and_loses_its_password(url: str, shown: str) -> None:
    masked = masked_url(url)
    assert SECRET not in masked
    assert masked == shown


def test_a_profile_shows_where_its_secrets_are_but_not_their_values() -> None:
    table = {
        "itsm_type": "servicenow",
        "instance_url": f"https://svc:{SECRET}@acme.service-now.com",
        "username": "svc",
        "password_env": "ACME_SN_PASSWORD",
        "client_secret_file": "/run/secrets/acme",
        "token_env": f"{SECRET} pasted here by mistake",  # not a variable name
        "api_key_file": SECRET,  # not a path
        "password": SECRET,  # inline: config check refuses it
        "pasword": SECRET,  # a misspelt key
        "roles": ["itsm-acme"],
    }

    shown = masked_profile(table)

    assert SECRET not in repr(shown)
    assert shown == {
        "itsm_type": "servicenow",
        "instance_url": f"https://{MASK}@acme.service-now.com",
        "username": "svc",
        "password_env": "ACME_SN_PASSWORD",
        "client_secret_file": "/run/secrets/acme",
        "token_env": MASK,
        "api_key_file": MASK,
        "password": MASK,
        "pasword": MASK,
        "roles": ["itsm-acme"],
    }
