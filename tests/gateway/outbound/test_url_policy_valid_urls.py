"""Issue 18, item 8: the other half of the URL policy's promise. The property tests check that
what is accepted is safe; these check that what is valid is accepted (and normalised), at the
edges a stricter-than-meant parser would refuse: the scheme in capitals, ``_`` in host names,
ports 1 and 65535, 63-character labels, 253-character host names, and hosts whose last label is
a number (an IPv4 address to every WHATWG parser: accepted only as a dotted quad)."""

from __future__ import annotations

import pytest

from connectors.errors import BadInput
from gateway.outbound.url_policy import DEFAULT_ALLOWED_URLS, UrlPolicy

DEFAULT = UrlPolicy.from_text(DEFAULT_ALLOWED_URLS)
ANY_PORT = UrlPolicy.from_text("https://*.example.com:*,http://192.0.2.10:*")


def _host_of_length(length: int, suffix: str = ".example.com") -> str:
    """A host name of exactly ``length`` characters, labels of at most 63, ending in ``suffix``."""
    left = length - len(suffix)
    labels = []
    while left > 0:
        size = min(63, left - 1) if left > 64 else left
        labels.append("a" * size)
        left -= size + 1
    host = ".".join(labels) + suffix
    assert len(host) == length, (len(host), length)
    return host


@pytest.mark.parametrize(
    ("url", "normalised"),
    [
        ("HTTPS://acme.service-now.com", "https://acme.service-now.com"),
        ("HtTpS://ACME.SERVICE-NOW.COM/", "https://acme.service-now.com"),
        ("https://acme_dev.service-now.com", "https://acme_dev.service-now.com"),
        ("https://_acme.service-now.com", "https://_acme.service-now.com"),
        ("https://acme-2.service-now.com:443", "https://acme-2.service-now.com"),
    ],
)
def test_valid_spellings_of_an_allowed_host_are_accepted(url: str, normalised: str) -> None:
    assert DEFAULT.check(url) == normalised


@pytest.mark.parametrize(("port", "shown"), [("1", ":1"), ("65535", ":65535"), ("443", "")])
def test_every_port_from_1_to_65535_is_accepted(port: str, shown: str) -> None:
    assert ANY_PORT.check(f"https://itsm.example.com:{port}") == f"https://itsm.example.com{shown}"


@pytest.mark.parametrize("port", ["0", "65536", "099999", "-1", "+443", "1e3"])
def test_ports_outside_1_to_65535_are_refused(port: str) -> None:
    with pytest.raises(BadInput, match=r"instanceUrl .* \(the port must be 1 to 65535\)"):
        ANY_PORT.check(f"https://itsm.example.com:{port}")


def test_leading_zeros_in_a_port_read_as_the_number() -> None:
    assert ANY_PORT.check("https://itsm.example.com:00443") == "https://itsm.example.com"


def test_a_253_character_host_name_is_accepted_and_254_refused() -> None:
    longest = _host_of_length(253)
    assert ANY_PORT.check(f"https://{longest}") == f"https://{longest}"
    with pytest.raises(BadInput, match="not a valid URL"):
        ANY_PORT.check(f"https://{_host_of_length(254)}")


def test_a_63_character_label_is_accepted_and_64_refused() -> None:
    assert ANY_PORT.check(f"https://{'a' * 63}.example.com") == f"https://{'a' * 63}.example.com"
    with pytest.raises(BadInput, match="not a valid URL"):
        ANY_PORT.check(f"https://{'a' * 64}.example.com")


@pytest.mark.parametrize(
    "url", ["https://itsm.123", "https://1.2.3.4.5", "https://0x7f.0.0.1", "https://acme.0x"]
)
def test_a_host_whose_last_label_is_a_number_must_be_a_dotted_quad(url: str) -> None:
    with pytest.raises(BadInput, match="dotted-quad"):
        ANY_PORT.check(url)


@pytest.mark.parametrize(
    ("url", "normalised"),
    [
        ("http://192.0.2.10:8080", "http://192.0.2.10:8080"),
        ("HTTP://192.0.2.10:8080/", "http://192.0.2.10:8080"),
    ],
)
def test_a_dotted_quad_named_by_a_pattern_is_accepted(url: str, normalised: str) -> None:
    assert ANY_PORT.check(url) == normalised


@pytest.mark.parametrize(
    "host",
    [
        "itsm.123abc.example.com",
        "v6.example.com",
        "1a.example.com",
        "itsm.2024.example.com",
        "123.example.com",
        "0x7f.example.com",
    ],
)
def test_labels_with_digits_are_names_when_the_last_label_is_not_a_number(host: str) -> None:
    assert ANY_PORT.check(f"https://{host}") == f"https://{host}"
