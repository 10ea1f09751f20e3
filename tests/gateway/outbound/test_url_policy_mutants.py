"""The URL policy's edges that ``make mutate`` found no test holding (docs/mutation.md): what is
valid must be accepted (capital schemes, ``_``, ports 1 and 65535, 63-character labels,
253-character hosts), what is not must be refused, each refusal naming its rule, and the checks
made below the URL's text (``allows_origin``, ``vouches_for``)."""

from __future__ import annotations

import pytest

from connectors.errors import BadInput
from gateway.outbound.url_policy import DEFAULT_ALLOWED_URLS, UrlPattern, UrlPolicy

DEFAULT = UrlPolicy.from_text(DEFAULT_ALLOWED_URLS)
ANY_HOST = UrlPolicy.from_text("http://*:*,https://*:*")


def refusal(policy: UrlPolicy, url: str) -> str:
    with pytest.raises(BadInput) as error:
        policy.admit(url)
    return error.value.message


@pytest.mark.parametrize(
    ("url", "base"),
    [
        ("HTTPS://acme.service-now.com", "https://acme.service-now.com"),
        ("Https://acme.service-now.com", "https://acme.service-now.com"),
        ("https://eXample.service-now.com", "https://example.service-now.com"),
        ("https://acme_dev.service-now.com", "https://acme_dev.service-now.com"),
    ],
)
def test_valid_spellings_are_accepted_and_normalised(url: str, base: str) -> None:
    assert DEFAULT.check(url) == base


def test_default_ports_are_left_out_of_the_base_and_kept_in_the_answer() -> None:
    policy = UrlPolicy.from_text("http://*.example.com,https://*.example.com")
    assert policy.admit("http://a.example.com").port == 80
    assert policy.check("http://a.example.com:80") == "http://a.example.com"
    assert policy.admit("https://a.example.com").port == 443
    assert policy.check("https://a.example.com:443") == "https://a.example.com"
    assert ANY_HOST.check("http://a.example.com:443") == "http://a.example.com:443"


@pytest.mark.parametrize("port", [1, 80, 65535])
def test_every_port_from_1_to_65535_is_valid(port: int) -> None:
    assert ANY_HOST.admit(f"http://itsm.example.com:{port}").port == port


@pytest.mark.parametrize("port", ["0", "65536", "000443", "99999", "-1", "44x"])
def test_ports_outside_1_to_65535_or_not_plain_digits_are_refused(port: str) -> None:
    assert "the port must be 1 to 65535" in refusal(ANY_HOST, f"http://itsm.example.com:{port}")


def test_a_label_holds_up_to_63_characters() -> None:
    assert ANY_HOST.admit(f"https://{'a' * 63}.example.com").host == f"{'a' * 63}.example.com"
    assert "may hold only letters" in refusal(ANY_HOST, f"https://{'a' * 64}.example.com")


def test_a_host_holds_up_to_253_characters() -> None:
    longest = ".".join(["a" * 63, "b" * 63, "c" * 63, "d" * 61])
    assert len(longest) == 253
    assert ANY_HOST.admit(f"https://{longest}").host == longest
    assert "may hold only letters" in refusal(ANY_HOST, f"https://{longest}e")


@pytest.mark.parametrize("host", ["a.0x", "a.0x1f", "a.1", "7.8"])
def test_a_host_whose_last_label_is_a_number_must_be_a_dotted_quad(host: str) -> None:
    assert "dotted-quad" in refusal(ANY_HOST, f"https://{host}")


@pytest.mark.parametrize(
    "host", ["localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback", "a.localhost"]
)
def test_loopback_names_are_internal(host: str) -> None:
    assert "internal address (loopback)" in refusal(ANY_HOST, f"http://{host}:8080")
    assert "internal address (loopback)" in refusal(ANY_HOST, f"http://{host.upper()}.:8080")


@pytest.mark.parametrize(
    ("url", "rule"),
    [
        ("https://acme.service-now.com?x=1", "without a query or fragment"),
        ("https://acme.service-now.com#top", "without a query or fragment"),
        ("https://acme.service-now.com\\evil.example", "without a query or fragment"),
        ("https://acme.service-now.com/rt;x=1", "a path may hold only plain segments"),
        ("https://acme.service-now.com/a//b", "a path may hold only plain segments"),
        ("https://acme.service-now.com/%2e", "a path may hold only plain segments"),
        ("https://", "must be an http(s) base URL"),
        ("https://:443", "must be an http(s) base URL"),
    ],
)
def test_each_refusal_names_its_rule(url: str, rule: str) -> None:
    message = refusal(DEFAULT, url)
    assert rule in message
    assert "connectionDetails.instanceUrl" in message


def test_a_refused_url_is_quoted_with_its_userinfo_masked() -> None:
    message = refusal(DEFAULT, "https://acme.service-now.com/b:hunter2@c")
    assert "hunter2" not in message
    assert "'https://***@c'" in message
    assert "'https://acme.service-now.com?x=1'" in refusal(
        DEFAULT, "https://acme.service-now.com?x=1"
    )


@pytest.mark.parametrize(
    "pattern",
    [
        "http://[]",
        "https://:443",
        "https://",
        "https://support.example.com:",
        "https://support.example.com/a//b",
        "https://support.example.com/rt/.",
        "https://support.example.com/./rt",
    ],
)
def test_malformed_patterns_are_refused(pattern: str) -> None:
    with pytest.raises(ValueError, match="must look like"):
        UrlPattern.parse(pattern)


def test_a_pattern_with_a_trailing_slash_admits_the_bare_host() -> None:
    policy = UrlPolicy.from_text("https://support.example.com/")
    assert policy.check("https://support.example.com") == "https://support.example.com"


def test_origin_checks_below_the_text_ignore_case_and_path_and_compress_ipv6() -> None:
    policy = UrlPolicy.from_text("https://support.example.com/rt,http://[::1]:8089")
    assert policy.allows_origin("HTTPS", "Support.Example.com", 443) is True
    assert policy.allows_origin("https", "support.example.com", 8443) is False
    assert policy.allows_origin("http", "support.example.com", 443) is False
    assert policy.allows_origin("http", "0:0::1", 8089) is True
    assert policy.allows_origin("http", "::2", 8089) is False


def test_only_a_literal_host_with_a_matching_port_is_vouched_for() -> None:
    policy = UrlPolicy.from_text(
        "https://itsm.corp.example,http://127.0.0.1:*,http://[::1]:8089,https://*.example.com"
    )
    assert policy.vouches_for("ITSM.corp.example", 443) is True
    assert policy.vouches_for("itsm.corp.example", 8443) is False
    assert policy.vouches_for("127.0.0.1", 8089) is True
    assert policy.vouches_for("127.0.0.2", 8089) is False
    assert policy.vouches_for("0:0::1", 8089) is True
    assert policy.vouches_for("::1", 8090) is False
    assert policy.vouches_for("a.example.com", 443) is False  # a wildcard vouches for nothing


def test_admitted_urls_are_remembered_within_a_bound() -> None:
    # The policy remembers admitted URLs to skip parsing them again; the memory is bounded so
    # that callers naming ever new URLs cannot grow it without end.
    policy = UrlPolicy.from_text("https://*.example.com")
    for number in range(1100):
        assert (
            policy.check(f"https://host{number}.example.com") == f"https://host{number}.example.com"
        )
        assert len(policy._admitted) <= 1024
    assert policy.check("https://host1099.example.com") == "https://host1099.example.com"
