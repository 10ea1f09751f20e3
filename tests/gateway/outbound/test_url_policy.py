import pytest

from connectors.errors import BadInput
from gateway.outbound.url_policy import DEFAULT_ALLOWED_URLS, UrlPattern, UrlPolicy

DEFAULT = UrlPolicy.from_text(DEFAULT_ALLOWED_URLS)


@pytest.mark.parametrize(
    ("url", "normalised"),
    [
        ("https://acme.service-now.com", "https://acme.service-now.com"),
        ("https://ACME.service-now.com/", "https://acme.service-now.com"),
        ("https://acme.service-now.com:443", "https://acme.service-now.com"),
        ("https://gov.servicenowservices.com", "https://gov.servicenowservices.com"),
    ],
)
def test_default_patterns_accept_servicenow_hosts(url: str, normalised: str) -> None:
    assert DEFAULT.check(url) == normalised


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://acme.service-now.com", "not an allowed"),
        ("https://service-now.com.evil.example", "not an allowed"),
        ("https://acme.service-now.com:8443", "not an allowed"),
        ("https://user:pw@acme.service-now.com", "credentials"),
        ("https://acme.service-now.com/api/now", "base URL"),
        ("https://acme.service-now.com?x=1", "base URL"),
        ("ftp://acme.service-now.com", "http(s)"),
        ("file:///etc/passwd", "http(s)"),
        ("acme.service-now.com", "http(s)"),
        ("https://acme.service-now.com:99999", "not a valid URL"),
    ],
)
def test_refusals_name_the_field_and_the_reason(url: str, reason: str) -> None:
    with pytest.raises(BadInput) as error:
        DEFAULT.check(url)
    assert "connectionDetails.instanceUrl" in error.value.message
    assert reason in error.value.message


def test_internal_addresses_need_a_literal_pattern() -> None:
    wildcard = UrlPolicy.from_text("http://*:*")
    for url in (
        "http://127.0.0.1:8089",
        "http://localhost:80",
        "http://[::1]:8089",
        "http://169.254.169.254",
        "http://10.0.0.5",
    ):
        with pytest.raises(BadInput, match="internal address"):
            wildcard.check(url)
    literal = UrlPolicy.from_text("http://127.0.0.1:*")
    assert literal.check("http://127.0.0.1:8089") == "http://127.0.0.1:8089"
    with pytest.raises(BadInput, match="not an allowed"):
        literal.check("http://127.0.0.2:8089")


def test_bad_patterns_are_refused_with_an_example() -> None:
    with pytest.raises(ValueError, match="scheme://host"):
        UrlPattern.parse("acme.service-now.com")


def test_a_path_is_matched_exactly_and_normalised() -> None:
    policy = UrlPolicy.from_text("https://support.example.com/rt,https://*.service-now.com")
    for url in ("https://support.example.com/rt", "https://support.example.com/rt/"):
        assert policy.check(url) == "https://support.example.com/rt"
    for url in (
        "https://support.example.com",  # the pattern names a path: the bare host is another URL
        "https://support.example.com/rt/x",
        "https://support.example.com/rtx",
        "https://support.example.com/RT",
        "https://acme.service-now.com/rt",  # this pattern names no path
    ):
        with pytest.raises(BadInput, match="is not an allowed ITSM address"):
            policy.check(url)


@pytest.mark.parametrize(
    "url",
    [
        "https://support.example.com/rt/..",
        "https://support.example.com/rt/../admin",
        "https://support.example.com/./rt",
        "https://support.example.com/%72t",
        "https://support.example.com/rt%2f..",
        "https://support.example.com//rt",
        "https://support.example.com/rt;x",
    ],
)
def test_a_path_with_tricks_is_refused_by_its_text(url: str) -> None:
    policy = UrlPolicy.from_text("https://support.example.com/rt")
    with pytest.raises(BadInput, match="base URL"):
        policy.check(url)


@pytest.mark.parametrize("pattern", ["https://x.example.com/a/*", "https://x.example.com/../a"])
def test_a_pattern_path_holds_plain_segments_only(pattern: str) -> None:
    with pytest.raises(ValueError, match="plain segments"):
        UrlPolicy.from_text(pattern)
