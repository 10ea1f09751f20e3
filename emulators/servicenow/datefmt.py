"""A user's date and time format: ServiceNow (Java ``SimpleDateFormat``) patterns.

Only the letters ServiceNow's user preferences offer are supported: ``yyyy``, ``MM``, ``dd``,
``HH`` (24-hour), ``hh`` (12-hour), ``mm``, ``ss`` and ``a`` (AM/PM). Any other letter is
refused when the settings are made, so a typo fails loudly instead of rendering garbage.
Everything that is not a letter is copied literally.
"""

from __future__ import annotations

import re
from datetime import datetime, tzinfo
from functools import cached_property

_TOKEN = re.compile(r"yyyy|MM|dd|HH|hh|mm|ss|a|[A-Za-z]+|[^A-Za-z]+")
_FIELDS = {"yyyy", "MM", "dd", "HH", "hh", "mm", "ss", "a"}
_PARSE_GROUPS = {
    "yyyy": r"(?P<yyyy>\d{4})",
    "MM": r"(?P<MM>\d{1,2})",
    "dd": r"(?P<dd>\d{1,2})",
    "HH": r"(?P<HH>\d{1,2})",
    "hh": r"(?P<hh>\d{1,2})",
    "mm": r"(?P<mm>\d{1,2})",
    "ss": r"(?P<ss>\d{1,2})",
    "a": r"(?P<a>[AaPp][Mm])",
}


def _tokens(pattern: str) -> list[str]:
    tokens = _TOKEN.findall(pattern)
    bad = [t for t in tokens if t[0].isalpha() and t not in _FIELDS]
    if bad:
        raise ValueError(f"unsupported pattern letters {bad!r} in {pattern!r}")
    return tokens


class UserDateTimeFormat:
    """``<date pattern> <time pattern>``, the way display datetimes are written."""

    def __init__(self, date_format: str, time_format: str) -> None:
        self.date_format = date_format
        self.time_format = time_format
        self._tokens = [*_tokens(date_format), " ", *_tokens(time_format)]
        if "hh" in self._tokens and "a" not in self._tokens:
            raise ValueError("a 12-hour time format (hh) needs the AM/PM marker (a)")

    def format(self, moment: datetime, zone: tzinfo) -> str:
        """``moment`` (aware) as the user sees it in ``zone``."""
        local = moment.astimezone(zone)
        hour12 = local.hour % 12 or 12
        values = {
            "yyyy": f"{local.year:04d}",
            "MM": f"{local.month:02d}",
            "dd": f"{local.day:02d}",
            "HH": f"{local.hour:02d}",
            "hh": f"{hour12:02d}",
            "mm": f"{local.minute:02d}",
            "ss": f"{local.second:02d}",
            "a": "AM" if local.hour < 12 else "PM",
        }
        return "".join(values.get(token, token) for token in self._tokens)

    @cached_property
    def _parser(self) -> re.Pattern[str]:
        parts = [_PARSE_GROUPS.get(t, re.escape(t)) for t in self._tokens]
        return re.compile(r"\s*" + "".join(parts) + r"\s*")

    def parse(self, text: str, zone: tzinfo) -> datetime | None:
        """The aware moment a user means by ``text`` in ``zone``; ``None`` if it does not fit.

        Used for writes with ``sysparm_input_display_value=true``. An ambiguous wall time (the
        repeated hour when daylight saving ends) is read as its first occurrence (``fold=0``).
        """
        match = self._parser.fullmatch(text)
        if match is None:
            return None
        found = {key: value for key, value in match.groupdict().items() if value is not None}

        def number(key: str, default: int = 0) -> int:
            return int(found.get(key, default))

        hour = number("HH")
        if "hh" in found:
            hour = number("hh") % 12 + (12 if found.get("a", "AM").upper() == "PM" else 0)
        try:
            return datetime(
                number("yyyy", 1970),
                number("MM", 1),
                number("dd", 1),
                hour,
                number("mm"),
                number("ss"),
                tzinfo=zone,
            )
        except ValueError:
            return None
