"""Properties of the resolvers that judge caller input: ``ticketFields``, the write limits and the
ITSM URL policy. Each either answers or raises ``BadInput`` (a 400); any other exception is a 500.

Runs are derandomized so that CI sees the same examples every time; each failure found here was
fixed and is pinned with ``@example``.
"""

from __future__ import annotations

import asyncio
import inspect
import re
from collections.abc import Awaitable
from typing import Any
from urllib.parse import urlsplit

import httpx
import orjson
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from connectors.errors import BadInput
from connectors.fields import (
    ALL_FIELDS,
    DEFAULT_FIELDS,
    FIELD_NAMES,
    TicketField,
    WritableField,
)
from connectors.model import WriteRequest
from gateway.outbound.url_policy import DEFAULT_ALLOWED_URLS, UrlPolicy
from resolvers.field_sets import parse_ticket_fields
from resolvers.limits import InputLimits

PROPERTY = settings(
    max_examples=300,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)

# --- ticketFields -----------------------------------------------------------------------------


@st.composite
def field_name_like(draw: st.DrawFn) -> str:
    """A canonical name, a near miss of one (case, padding, a letter more or less), or any text."""
    kind = draw(st.sampled_from(["exact", "case", "pad", "typo", "text"]))
    if kind == "text":
        return draw(st.text(max_size=20))
    name = draw(st.sampled_from(FIELD_NAMES))
    if kind == "case":
        return draw(st.sampled_from([name.lower(), name.upper(), name[0].upper() + name[1:]]))
    if kind == "pad":
        return draw(st.sampled_from([" ", "\t", ",", "\u200b"])) + name
    if kind == "typo":
        cut = draw(st.integers(0, len(name) - 1))
        return name[:cut] + name[cut + 1 :]
    return name


@PROPERTY
@given(st.lists(field_name_like(), max_size=8))
def test_ticket_fields_are_canonical_fields_or_bad_input(names: list[str]) -> None:
    try:
        fields = parse_ticket_fields(names)
    except BadInput as error:
        assert error.message.startswith("ticketFields has unknown names")
        unknown = [name for name in names if name not in FIELD_NAMES]
        assert unknown, "refused a list of canonical names"
    else:
        assert isinstance(fields, frozenset)
        assert fields <= ALL_FIELDS
        assert all(isinstance(field, TicketField) for field in fields)
        assert all(name in FIELD_NAMES for name in names)
        assert fields == (frozenset(TicketField(name) for name in names) or DEFAULT_FIELDS)


@st.composite
def subsets_as_names(draw: st.DrawFn) -> tuple[frozenset[TicketField], list[str]]:
    """A set of canonical fields, named in any order, some names repeated."""
    chosen = draw(st.lists(st.sampled_from(list(TicketField)), unique=True))
    repeats = draw(st.lists(st.sampled_from(chosen), max_size=3)) if chosen else []
    names = draw(st.permutations([field.value for field in [*chosen, *repeats]]))
    return frozenset(chosen), names


@PROPERTY
@given(subsets_as_names())
def test_any_subset_of_canonical_names_round_trips(
    subset_and_names: tuple[frozenset[TicketField], list[str]],
) -> None:
    subset, names = subset_and_names
    assert parse_ticket_fields(names) == (subset or DEFAULT_FIELDS)
    assert parse_ticket_fields(tuple(names)) == (subset or DEFAULT_FIELDS)


# --- write limits -----------------------------------------------------------------------------

INT64_MIN, UINT64_MAX = -(2**63), 2**64 - 1
# Mostly short keys; some around the 100-character limit on key length.
keys = st.one_of(st.text(max_size=12), st.text(max_size=6).map(lambda text: "k" * 97 + text))
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(INT64_MIN, UINT64_MAX),
    st.floats(),
    st.text(max_size=60),
)
json_values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=5), st.dictionaries(keys, children, max_size=5)
    ),
    max_leaves=15,
)
limits = st.one_of(
    st.just(InputLimits()),
    st.builds(
        InputLimits,
        max_ticket_json_bytes=st.integers(2, 3000),
        max_ticket_json_keys=st.integers(0, 12),
        max_string_length=st.integers(0, 40),
    ),
)
canonical = st.dictionaries(
    st.one_of(st.sampled_from([field.value for field in WritableField]), keys),
    st.text(max_size=60),
    max_size=5,
)


def _none_or_bad_input(limit: InputLimits, write: WriteRequest) -> BadInput | None:
    try:
        assert limit.check_write(write) is None  # type: ignore[func-returns-value]  # it says so
    except BadInput as error:
        assert error.message
        assert error.status == 400
        return error
    return None


@PROPERTY
@given(
    limit=limits,
    native=st.dictionaries(keys, json_values, max_size=14),
    typed=canonical,
)
def test_check_write_refuses_exactly_what_breaks_a_limit(
    limit: InputLimits, native: dict[str, Any], typed: dict[str, str]
) -> None:
    write = WriteRequest(native=native, canonical=typed)
    refused = _none_or_bad_input(limit, write)
    event("refused" if refused else "accepted")
    breaks = (
        len(native) > limit.max_ticket_json_keys
        or len(orjson.dumps(native)) > limit.max_ticket_json_bytes
        or any(len(key) > 100 for key in [*native, *typed])
        or any(
            isinstance(value, str) and len(value) > limit.max_string_length
            for value in [*native.values(), *typed.values()]
        )
    )
    assert (refused is not None) == breaks, refused


def _nested(depth: int, kind: str) -> object:
    value: object = [] if kind == "list" else {}
    for _ in range(depth - 1):
        value = [value] if kind == "list" else {"k": value}
    return value


@PROPERTY
@given(depth=st.integers(1, 400), kind=st.sampled_from(["list", "dict"]))
@example(depth=254, kind="list")
def test_check_write_on_deeply_nested_ticket_json(depth: int, kind: str) -> None:
    _none_or_bad_input(InputLimits(), WriteRequest(native={"a": _nested(depth, kind)}))


@PROPERTY
@given(st.integers())
@example(2**64)
def test_check_write_on_any_integer(number: int) -> None:
    _none_or_bad_input(InputLimits(), WriteRequest(native={"short_description": number}))


@PROPERTY
@given(
    text=st.text(st.characters(categories=["Cs"]), min_size=1, max_size=3),
    as_key=st.booleans(),
)
@example(text="\ud800", as_key=False)
def test_check_write_on_any_string(text: str, as_key: bool) -> None:
    native = {text: "x"} if as_key else {"short_description": text}
    _none_or_bad_input(InputLimits(), WriteRequest(native=native))


# --- ITSM URL policy --------------------------------------------------------------------------

FIELD = "connectionDetails.instanceUrl"
DEFAULT = UrlPolicy.from_text(DEFAULT_ALLOWED_URLS)
ALLOWED_SUFFIXES = (".service-now.com", ".servicenowservices.com")


def _check(policy: UrlPolicy, url: str) -> str:
    """``policy.check(url)``, awaited when ``check`` is (or returns) a coroutine."""
    if inspect.iscoroutinefunction(policy.check):
        return asyncio.run(policy.check(url))
    result: Any = policy.check(url)
    if inspect.isawaitable(result):
        return asyncio.run(_awaited(result))
    return result


async def _awaited(value: Awaitable[Any]) -> Any:
    return await value


hosts = st.one_of(
    st.sampled_from(
        [
            "acme.service-now.com",
            "ACME.Service-Now.COM",
            "gov.servicenowservices.com",
            "a.b.c.service-now.com",
            "service-now.com",
            ".service-now.com",
            "acme.service-now.com.",
            "acme.service-now.com.evil.example",
            "evil.example",
            "127.0.0.1",
            "0x7f.1",
            "2130706433",
            "localhost",
            "acme.localhost",
            "[::1]",
            "[::ffff:127.0.0.1]",
            "[fe80::1%25eth0]",
            "[fe80::1%eth0]",
            "[v1.fe]",
            "[",
            "]",
            "[::1",
            "::1]",
            "[]",
            "[acme.service-now.com]",
            "\uff41cme.service-now.com",
            "acme.service-now.com\u3002",
            "xn--acme-.service-now.com",
            "%61cme.service-now.com",
            "acme%2eservice-now.com",
            "a%00.service-now.com",
            "*.service-now.com",
            "",
        ]
    ),
    st.text(max_size=12).map(lambda text: text + ".service-now.com"),
    st.text(max_size=12),
)
servicenow_hosts = st.tuples(
    st.from_regex(r"[A-Za-z0-9-]{1,12}(\.[a-z0-9-]{1,5})?", fullmatch=True),
    st.sampled_from(ALLOWED_SUFFIXES),
).map("".join)
ports = st.one_of(
    st.none(),
    st.integers(0, 70000).map(str),
    st.sampled_from(["", "443", "0443", "+443", "-1", "\uff14\uff14\uff13", "4 43", "*", "80"]),
    st.text(max_size=6),
)


@st.composite
def url_like(draw: st.DrawFn) -> str:
    """A clean ServiceNow base URL (so that enough are accepted), one with a plausible change,
    or any combination of the parts."""
    mode = draw(st.sampled_from(["clean", "plausible", "any"]))
    if mode == "clean":
        host = draw(servicenow_hosts)
        return "https://" + host + draw(st.sampled_from(["", "", "/", ":443", ":443/"]))
    if mode == "plausible":
        scheme = draw(st.sampled_from(["https", "HTTPS", "http"]))
        separator = "://"
        userinfo = draw(st.sampled_from(["", "", "", "user@", ":@"]))
        port = draw(st.sampled_from([None, None, "443", "", "0", "0443", "8443"]))
        tail = draw(st.sampled_from(["", "/", "/", "?", "#", "/x"]))
        pad = draw(st.sampled_from(["", " ", "\t"]))
        host = draw(st.one_of(servicenow_hosts, hosts))
    else:
        scheme = draw(st.sampled_from(["https", "http", "HTTPS", "ftp", "file", "javascript", ""]))
        separator = draw(st.sampled_from(["://", "://", ":/", ":", ":///", "//", ":\\\\"]))
        userinfo = draw(
            st.sampled_from(
                ["", "", "user@", "user:pw@", ":@", "@", "a%40b@", "x.service-now.com@"]
            )
        )
        port = draw(ports)
        tail = draw(
            st.sampled_from(
                ["", "/", "//", "/api/now", "?x=1", "#frag", "/?", "\\", "\\@evil.example", "%2F"]
            )
        )
        pad = draw(st.sampled_from(["", " ", "\t", "\n", "\x00", "\u00a0"]))
        host = draw(hosts)
    netloc = userinfo + host + ("" if port is None else f":{port}")
    return pad + scheme + separator + netloc + tail + pad


urls = st.one_of(st.text(), url_like())


def _result_or_bad_input(url: str) -> str | None:
    try:
        result = _check(DEFAULT, url)
    except BadInput as error:
        assert FIELD in error.message
        assert error.status == 400
        event("refused")
        return None
    assert isinstance(result, str)
    event("accepted")
    return result


@PROPERTY
@given(urls)
@example("https://acme.service-now.com")
@example("https://[::1")
@example("https://acme.service-now.com:99999")
def test_url_check_is_a_base_url_or_bad_input(url: str) -> None:
    result = _result_or_bad_input(url)
    if result is None:
        return
    # What the default patterns allow: https, a host under a ServiceNow domain, port 443.
    assert re.fullmatch(r"https://[^/?#@\[\]]+", result), result
    assert result.endswith(ALLOWED_SUFFIXES), result
    # The normalised form is itself accepted, unchanged.
    assert _check(DEFAULT, result) == result


def _accepts(url: str) -> bool:
    try:
        _check(DEFAULT, url)
    except BadInput:
        return False
    return True


# The policy is being rewritten with a strict parser of its own that refuses both examples; the
# marker applies only while the policy in the tree still accepts them (HEAD at the time of
# writing). Once no policy in use accepts them, drop the marker.
NON_IDNA_HOSTS = ("https://\uff41.service-now.com", "https://\x00.service-now.com")


@PROPERTY
@given(urls)
@example("https://\uff41.service-now.com")
@example("https://\x00.service-now.com")
def test_accepted_urls_are_usable_by_the_http_client(url: str) -> None:
    result = _result_or_bad_input(url)
    if result is None:
        return
    parsed = httpx.URL(result + "/api/now/table/incident")
    assert parsed.scheme == "https"
    assert parsed.host.endswith(ALLOWED_SUFFIXES)
    assert parsed.host == urlsplit(result).hostname
