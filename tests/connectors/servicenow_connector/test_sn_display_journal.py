"""The journal fallback: the display text of comments / work_notes parsed into notes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from connectors.model import Note
from connectors.servicenow.display_journal import COMMENTS, WORK_NOTES, notes_from_display

LOS_ANGELES = ZoneInfo("America/Los_Angeles")


def test_iana_zone_applies_daylight_saving_per_entry(payload):
    # 8 March 2026, 02:00 PST -> PDT: the older entry is at UTC-8, the newer at UTC-7.
    text = payload("incident_resolved")["result"][0]["comments"]["display_value"]

    notes = notes_from_display(text, LOS_ANGELES, COMMENTS)

    assert notes == (
        Note(
            author="Fred Luddy",
            time=datetime(2026, 3, 8, 0, 20, tzinfo=UTC),
            text="The printer on floor 3 jams on every job.",
        ),
        Note(
            author="Beth Anglin",
            time=datetime(2026, 3, 9, 17, 15, tzinfo=UTC),
            text="The printer works again.\n\nThanks for your patience.",
        ),
    )


def test_fixed_offset_applies_to_every_entry():
    text = (
        "2026-07-02 09:30:00 - Ravi Kumar (Work notes)\nSecond note\n\n"
        "2026-07-01 18:00:00 - Ravi Kumar (Work notes)\nFirst note\n\n"
    )
    ist = timezone(timedelta(hours=5, minutes=30))

    notes = notes_from_display(text, ist, WORK_NOTES)

    assert [(n.time, n.text) for n in notes] == [
        (datetime(2026, 7, 1, 12, 30, tzinfo=UTC), "First note"),
        (datetime(2026, 7, 2, 4, 0, tzinfo=UTC), "Second note"),
    ]


def test_text_with_blank_lines_stays_whole():
    text = (
        "2026-01-05 10:00:00 - Beth Anglin (Additional comments)\n"
        "Steps:\n\n1. reboot\n\n\n2. log in again\n\n"
        "2026-01-05 09:00:00 - Fred Luddy (Additional comments)\nHelp\n\n"
    )

    notes = notes_from_display(text, UTC, COMMENTS)

    assert [n.text for n in notes] == ["Help", "Steps:\n\n1. reboot\n\n\n2. log in again"]


def test_twelve_hour_times():
    text = (
        "2026-01-05 12:05:00 AM - Beth Anglin (Additional comments)\nafter midnight\n\n"
        "2026-01-04 01:30:00 PM - Fred Luddy (Additional comments)\nafternoon\n\n"
    )

    notes = notes_from_display(text, UTC, COMMENTS)

    assert [n.time for n in notes] == [
        datetime(2026, 1, 4, 13, 30, tzinfo=UTC),
        datetime(2026, 1, 5, 0, 5, tzinfo=UTC),
    ]


def test_day_first_dates_are_recognised_by_a_day_over_twelve():
    text = (
        "25-03-2026 08:00:00 - Beth Anglin (Additional comments)\nlater\n\n"
        "03-02-2026 08:00:00 - Fred Luddy (Additional comments)\nearlier\n\n"
    )

    notes = notes_from_display(text, UTC, COMMENTS)

    # 25-03 can only be day-month, so 03-02 is 3 February, not 2 March.
    assert [n.time for n in notes] == [
        datetime(2026, 2, 3, 8, tzinfo=UTC),
        datetime(2026, 3, 25, 8, tzinfo=UTC),
    ]


def test_month_first_dates_with_twelve_hour_times():
    text = "03-25-2026 02:15:00 PM - Fred Luddy (Additional comments)\nUS format\n"

    (note,) = notes_from_display(text, LOS_ANGELES, COMMENTS)

    assert note.time == datetime(2026, 3, 25, 21, 15, tzinfo=UTC)  # PDT, UTC-7


def test_order_decides_between_day_first_and_month_first():
    # Day-first reads 5 March above 2 April: not newest first. Month-first reads 3 May above
    # 4 February, which is, so month-first wins despite the day-first preference.
    text = (
        "05-03-2026 08:00:00 - Beth Anglin (Additional comments)\nnewer\n\n"
        "02-04-2026 08:00:00 - Fred Luddy (Additional comments)\nolder\n\n"
    )

    notes = notes_from_display(text, UTC, COMMENTS)

    assert [(n.time, n.text) for n in notes] == [
        (datetime(2026, 2, 4, 8, tzinfo=UTC), "older"),
        (datetime(2026, 5, 3, 8, tzinfo=UTC), "newer"),
    ]


def test_truly_ambiguous_dates_are_read_day_first():
    text = "02-03-2026 08:00:00 - Fred Luddy (Additional comments)\nwhich month?\n"

    (note,) = notes_from_display(text, UTC, COMMENTS)

    assert note.time == datetime(2026, 3, 2, 8, tzinfo=UTC)


def test_only_the_asked_kind_and_nothing_from_empty_text():
    text = (
        "2026-01-05 10:00:00 - Beth Anglin (Work notes)\ninternal\n\n"
        "2026-01-05 09:00:00 - Fred Luddy (Additional comments)\npublic\n\n"
    )

    assert [n.text for n in notes_from_display(text, UTC, COMMENTS)] == ["public"]
    assert [n.text for n in notes_from_display(text, UTC, WORK_NOTES)] == ["internal"]
    assert notes_from_display("", UTC, COMMENTS) == ()
