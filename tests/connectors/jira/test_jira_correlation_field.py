"""Finding the "Correlation ID" custom field in a "Get fields" answer, and keeping it
(``connectors.jira.correlation``): pure functions. The cache: ``test_jira_site_fields.py``."""

from __future__ import annotations

from typing import Any

import pytest

from connectors.errors import BadInput, ItsmError
from connectors.jira.correlation import field_id_in

TEXT = "com.atlassian.jira.plugin.system.customfieldtypes:textfield"


def custom(field_id: str, name: str, kind: str = "string", plugin: str = TEXT) -> dict[str, Any]:
    return {
        "id": field_id,
        "name": name,
        "custom": True,
        "schema": {"type": kind, "custom": plugin, "customId": int(field_id.split("_")[1])},
    }


SUMMARY = {"id": "summary", "name": "Summary", "custom": False, "schema": {"type": "string"}}


def test_the_text_field_of_that_name_is_found_in_any_case() -> None:
    fields = [SUMMARY, custom("customfield_10050", "Affected service")]
    assert field_id_in(fields, "acme") is None
    assert field_id_in([*fields, custom("customfield_10099", " correlation id ")], "a") == (
        "customfield_10099"
    )


def test_a_field_of_that_name_that_is_no_single_line_text_is_not_it() -> None:
    number = custom("customfield_1", "Correlation ID", "number", "x:float")
    area = custom("customfield_2", "Correlation ID", "string", "x:textarea")
    assert field_id_in([number, area], "acme") is None


def test_several_are_an_admins_choice_to_make() -> None:
    fields = [custom("customfield_1", "Correlation ID"), custom("customfield_2", "Correlation ID")]
    with pytest.raises(BadInput, match="customfield_1, customfield_2"):
        field_id_in(fields, "acme")


def test_an_answer_that_is_no_list_is_an_itsm_error() -> None:
    with pytest.raises(ItsmError):
        field_id_in({"errorMessages": []}, "acme")
