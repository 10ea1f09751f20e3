"""Behaviours of ``resolvers/timezones.py`` that ``make mutate`` found no test holding
(docs/mutation.md): the edges of the offset grammar and the zone names that are no place."""

from datetime import UTC, datetime, timedelta

import pytest

from connectors.errors import BadInput
from resolvers.timezones import parse_zone

_WINTER = datetime(2026, 1, 1)


def test_a_lowercase_z_is_utc() -> None:
    assert parse_zone("z") is UTC


def test_minute_59_is_the_last_minute_of_an_offset() -> None:
    assert parse_zone("+05:59").utcoffset(_WINTER) == timedelta(hours=5, minutes=59)
    assert parse_zone("-0359").utcoffset(_WINTER) == -timedelta(hours=3, minutes=59)


@pytest.mark.parametrize("text", ["+05:3", "+053", "-04:0"])
def test_minutes_need_two_digits(text: str) -> None:
    # "+05:3" must not read as +05:03 (nor as +05:30): the caller meant something the gateway
    # cannot know.
    with pytest.raises(BadInput, match="not a time zone"):
        parse_zone(text)


@pytest.mark.parametrize("text", ["+123", "+100", "+05:300", "+0530 0"])
def test_three_digit_hours_or_minutes_are_no_offset(text: str) -> None:
    # Not an offset out of range: no offset at all, and the answer says so.
    with pytest.raises(BadInput, match="not a time zone"):
        parse_zone(text)


@pytest.mark.parametrize("text", ["Factory", "factory", "FACTORY"])
def test_the_zone_database_factory_zone_is_no_place(text: str) -> None:
    # "Factory" is in the IANA database (offset 0, abbreviation "-00") but is no ITSM's zone.
    with pytest.raises(BadInput, match="not a time zone"):
        parse_zone(text)
