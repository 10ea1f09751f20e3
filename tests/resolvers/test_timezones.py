from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from connectors.errors import BadInput
from connectors.zones import ACCOUNT_ZONE
from resolvers.formatting import format_utc
from resolvers.timezones import parse_zone


@pytest.mark.parametrize(
    ("text", "offset"),
    [
        (None, timedelta(0)),
        ("", timedelta(0)),
        ("Z", timedelta(0)),
        ("UTC", timedelta(0)),
        ("utc", timedelta(0)),
        ("+05:30", timedelta(hours=5, minutes=30)),
        ("-04:00", timedelta(hours=-4)),
        ("+0530", timedelta(hours=5, minutes=30)),
        ("+05", timedelta(hours=5)),
        ("-12:00", timedelta(hours=-12)),
        ("+14:00", timedelta(hours=14)),
    ],
)
def test_fixed_offsets(text: str | None, offset: timedelta) -> None:
    assert parse_zone(text).utcoffset(datetime(2026, 1, 1)) == offset


def test_iana_zone_follows_daylight_saving_time() -> None:
    zone = parse_zone("America/Los_Angeles")
    assert zone.utcoffset(datetime(2026, 3, 7, 12)) == timedelta(hours=-8)
    assert zone.utcoffset(datetime(2026, 3, 9, 12)) == timedelta(hours=-7)


@pytest.mark.parametrize(
    "text",
    ["India", "+5:30", "+25:00", "+05:60", "GMT+5", "../../etc/passwd", "Mars/Olympus", "5"],
)
def test_anything_else_is_refused_naming_the_field(text: str) -> None:
    with pytest.raises(BadInput) as error:
        parse_zone(text)
    assert "itsmTimeZoneOffset" in error.value.message
    assert "America/Los_Angeles" in error.value.message  # says how to fix it


def test_utc_output_has_six_fraction_digits_and_no_suffix() -> None:
    moment = datetime(2016, 12, 12, 15, 19, 57, tzinfo=UTC)
    assert format_utc(moment) == "2016-12-12T15:19:57.000000"
    local = datetime(2016, 12, 12, 7, 19, 57, 120, tzinfo=parse_zone("-08:00"))
    assert format_utc(local) == "2016-12-12T15:19:57.000120"


def test_naive_times_are_a_programming_error() -> None:
    with pytest.raises(ValueError, match="aware"):
        format_utc(datetime(2016, 12, 12))


@pytest.mark.parametrize("text", [None, "", "  "])
def test_no_zone_is_the_accounts_zone(text: str | None) -> None:
    # UTC+0 for every connector that needs no zone; ServiceNow learns the account's.
    assert parse_zone(text) is ACCOUNT_ZONE
    assert str(parse_zone(text)) != str(parse_zone("UTC"))


@pytest.mark.parametrize("text", ["Z", "UTC", "utc"])
def test_an_explicit_utc_is_utc(text: str) -> None:
    assert parse_zone(text) is UTC


@pytest.mark.parametrize(
    "text, name",
    [
        ("america/los_angeles", "America/Los_Angeles"),
        ("AMERICA/NEW_YORK", "America/New_York"),
        ("europe/PARIS", "Europe/Paris"),
        ("Asia/Kolkata", "Asia/Kolkata"),
    ],
)
def test_iana_names_are_read_without_regard_to_case(text: str, name: str) -> None:
    zone = parse_zone(text)
    assert isinstance(zone, ZoneInfo) and zone.key == name


@pytest.mark.parametrize("text", ["localtime", "LocalTime", "posixrules", " localtime "])
def test_the_gateway_hosts_own_zone_is_refused(text: str) -> None:
    with pytest.raises(BadInput, match="gateway host's own zone"):
        parse_zone(text)


# --- issue 18, item 10: the edges of the offset forms ------------------------------------------


@pytest.mark.parametrize(
    ("text", "offset"),
    [
        ("z", timedelta(0)),
        (" z ", timedelta(0)),
        ("+05:59", timedelta(hours=5, minutes=59)),
        ("-11:59", timedelta(hours=-11, minutes=-59)),
        ("-12", timedelta(hours=-12)),
        ("-1200", timedelta(hours=-12)),
        ("+1400", timedelta(hours=14)),
        ("-00:30", timedelta(minutes=-30)),
    ],
)
def test_edge_offsets_are_read_exactly(text: str, offset: timedelta) -> None:
    assert parse_zone(text).utcoffset(None) == offset


@pytest.mark.parametrize("text", ["+05:3", "+05:", "+0:30", "+053", "+05:300", "+05-30", "+5"])
def test_an_offset_with_a_missing_digit_is_not_a_zone(text: str) -> None:
    """``+05:3`` is no zone: neither +05:03 nor +05:30, and never +05 with the rest dropped."""
    with pytest.raises(BadInput, match="itsmTimeZoneOffset is not a time zone"):
        parse_zone(text)


@pytest.mark.parametrize("text", ["-13:00", "-14:00", "-12:01", "-1300", "-13", "+14:01", "+15"])
def test_offsets_outside_the_zones_in_use_are_refused_naming_the_range(text: str) -> None:
    """The zones in use run from UTC-12:00 to UTC+14:00; the message gives that range, and the
    gateway accepts exactly what its message says."""
    with pytest.raises(BadInput) as error:
        parse_zone(text)
    assert "out of range (-12:00 to +14:00)" in error.value.message


@pytest.mark.parametrize(
    "text", ["+\u0660\u0665:\u0663\u0660", "+\uff10\uff15:30", "+05:\u0663\u0660"]
)
def test_offsets_are_written_in_ascii_digits(text: str) -> None:
    """Arabic-Indic or full-width digits are no offset (``\\d`` and ``int`` would take them)."""
    with pytest.raises(BadInput, match="itsmTimeZoneOffset is not a time zone"):
        parse_zone(text)
