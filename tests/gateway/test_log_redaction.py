"""``gateway.observability.redaction``: what looks like a credential is masked in any text, and
control characters are written as escapes in text lines."""

from __future__ import annotations

import logging
import sys

import pytest

from gateway.observability.redaction import RedactingFilter, escape_controls, redact

JWT = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1c2VyIn0.c2lnbmF0dXJl"


@pytest.mark.parametrize(
    "text, expected",
    [
        (f"token {JWT} refused", "token *** refused"),
        ("Authorization: Bearer abcdef123456", "Authorization: Bearer ***"),
        ("header Bearer abcdef123456 seen", "header Bearer *** seen"),
        ("Basic dXNlcjpwYXNzd29yZA==", "Basic ***"),
        ("password=hunter2&user=x", "password=***&user=x"),
        ('{"client_secret": "s3cr3t", "a": 1}', '{"client_secret": "***", "a": 1}'),
        ("api_key: now_123 ok", "api_key: *** ok"),
        ("nothing secret here: INC0010001", "nothing secret here: INC0010001"),
    ],
)
def test_credentials_are_masked_wherever_they_appear(text: str, expected: str) -> None:
    assert redact(text) == expected


def test_control_characters_become_escapes() -> None:
    assert escape_controls("a\nb\rc\td\x1b[31m\x7f") == "a\\nb\\rc\\td\\x1b[31m\\x7f"


def test_the_filter_masks_message_arguments_extras_and_traceback() -> None:
    try:
        raise ValueError(f"bad token {JWT}")
    except ValueError:
        record = logging.makeLogRecord(
            {
                "name": "lib",
                "msg": "saw %s",
                "args": (f"Bearer {JWT}",),
                "exc_info": sys.exc_info(),
                "header": f"Bearer {JWT}",  # an extra= field
            }
        )
    assert RedactingFilter().filter(record)
    assert JWT not in record.getMessage()
    assert record.exc_text and JWT not in record.exc_text and "ValueError" in record.exc_text
    assert JWT not in vars(record)["header"]


def test_a_record_with_bad_arguments_does_not_break_the_caller() -> None:
    record = logging.makeLogRecord({"name": "lib", "msg": "%s and %s", "args": ("one",)})
    assert RedactingFilter().filter(record)  # no exception reaches the code that logged
    assert record.getMessage() == "%s and %s"
