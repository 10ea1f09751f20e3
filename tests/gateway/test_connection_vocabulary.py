"""What the gateway derives from the connection vocabulary (``connectors.connection_keys``):
REST's model, the settings file's profile keys, what ``config show`` masks and
``check-connection``'s options. Each follows the table, so a key added there is everywhere."""

from __future__ import annotations

import argparse

import pytest

from connectors.connection_keys import CONNECTION_KEYS, CREDENTIAL_KEYS, SECRET_KEYS
from gateway import profiles
from gateway.commands import check_connection
from gateway.commands.masking import MASK, masked_profile
from rest_compat.contracts import ConnectionDetailsModel


def test_the_rest_model_has_every_key_with_the_tables_length_and_description() -> None:
    schema = ConnectionDetailsModel.model_json_schema()["properties"]

    assert list(schema) == [key.name for key in CONNECTION_KEYS]
    for key in CONNECTION_KEYS:
        assert schema[key.name]["description"] == key.description
        assert schema[key.name]["anyOf"][0] == {"maxLength": key.max_length, "type": "string"}


def test_the_rest_model_keeps_secrets_out_of_repr_and_reads_into_details() -> None:
    given = {key.name: f"{key.name}-Secret" for key in CONNECTION_KEYS}

    model = ConnectionDetailsModel.model_validate(given)

    assert all(f"{key.name}-Secret" not in repr(model) for key in SECRET_KEYS)
    details = model.to_details()
    assert {key.name: details.value(key) for key in CONNECTION_KEYS} == given


def test_profile_keys_are_the_plain_keys_and_each_secret_by_env_or_file() -> None:
    plain = [key.attribute for key in CONNECTION_KEYS if key.in_profile and not key.secret]

    assert profiles.PLAIN_KEYS == (*plain, "tables", "roles")
    assert "connection_id" not in profiles.PLAIN_KEYS  # a profile is named, it names none
    for key in SECRET_KEYS:
        assert f"{key.attribute}_env" in profiles._KEYS
        assert f"{key.attribute}_file" in profiles._KEYS
        assert key.attribute not in profiles._KEYS  # never inline


def test_masking_shows_plain_profile_keys_and_masks_every_inline_secret() -> None:
    table = {key: "shown" for key in profiles.PLAIN_KEYS}
    table |= {key.attribute: "Secret" for key in SECRET_KEYS}
    table |= {key.name: "Secret" for key in SECRET_KEYS}

    shown = masked_profile(table)

    assert all(shown[key] == "shown" for key in profiles.PLAIN_KEYS)
    assert all(value == MASK for key, value in shown.items() if key not in profiles.PLAIN_KEYS)


@pytest.fixture
def check_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser()
    check_connection.add_arguments(parser)
    return parser


def test_check_connection_has_an_option_per_credential_secrets_only_indirectly(
    check_parser: argparse.ArgumentParser,
) -> None:
    options = {option for action in check_parser._actions for option in action.option_strings}

    for key in CREDENTIAL_KEYS:
        if key.secret:
            assert {f"{key.option}-env", f"{key.option}-file"} <= options, key.name
        else:
            assert key.option in options, key.name
