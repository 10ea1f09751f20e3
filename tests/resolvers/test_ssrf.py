"""No server-side request forgery (issue 4, item 1): hostile ``instanceUrl`` values are refused
with 400 naming the field, by their text or by what their host resolves to (an injected
resolver stands in for DNS), before any connection."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Sequence

import pytest

from connectors.errors import BadInput, Unavailable
from gateway.outbound.addresses import RememberingResolver, internal_kind
from gateway.outbound.guard import AddressGuard
from gateway.outbound.url_policy import FIELD, UrlPolicy
from resolvers.connections import ConnectionDetails, ConnectionResolver

# Wildcards only: every refusal below comes from the SSRF rules, not from a missing pattern.
ANYWHERE = UrlPolicy.from_text("http://*:*,https://*:*")

HOSTILE_BY_TEXT = [
    # loopback in every spelling
    ("http://127.0.0.1", "internal address (loopback)"),
    ("http://127.0.0.1:8080", "internal address (loopback)"),
    ("http://127.1", "dotted-quad"),
    ("http://127.0.1", "dotted-quad"),
    ("http://0177.0.0.1", "dotted-quad"),
    ("http://0x7f.0.0.1", "dotted-quad"),
    ("http://0x7f000001", "dotted-quad"),
    ("http://2130706433", "dotted-quad"),
    ("http://017700000001", "dotted-quad"),
    ("http://127.0.0.01", "dotted-quad"),
    ("http://127.0.0.1.", "dotted-quad"),
    ("http://[::1]", "internal address (loopback)"),
    ("http://[0:0:0:0:0:0:0:1]", "internal address (loopback)"),
    ("http://[::ffff:127.0.0.1]", "loopback IPv4-in-IPv6"),
    ("http://[::ffff:7f00:1]", "loopback IPv4-in-IPv6"),
    ("http://[2002:7f00:1::]", "loopback IPv4-in-IPv6"),  # 6to4
    ("http://[64:ff9b::7f00:1]", "loopback IPv4-in-IPv6"),  # NAT64
    ("http://[::7f00:1]", "IPv4-compatible"),
    ("http://localhost", "internal address (loopback)"),
    ("http://localhost.", "internal address (loopback)"),
    ("http://LOCALHOST", "internal address (loopback)"),
    ("http://LocalHost.:8080", "internal address (loopback)"),
    ("http://api.localhost", "internal address (loopback)"),
    ("http://ip6-localhost", "internal address (loopback)"),
    # unspecified, private, link-local and metadata, shared, multicast, reserved
    ("http://0.0.0.0", "unspecified"),
    ("http://[::]", "unspecified"),
    ("http://10.0.0.5", "private"),
    ("http://172.16.3.4", "private"),
    ("http://192.168.1.1", "private"),
    ("http://169.254.169.254", "link-local"),
    ("http://[fd00:ec2::254]", "private"),
    ("http://[fe80::1]", "link-local"),
    ("http://[fe80::1%25eth0]", "bad IPv6 address"),
    ("http://100.64.0.1", "carrier-grade NAT"),
    ("http://224.0.0.1", "multicast"),
    ("http://[ff02::1]", "multicast"),
    ("http://240.0.0.1", "internal address"),
    ("http://255.255.255.255", "internal address"),
    ("http://192.0.0.8", "internal address"),
    # not http(s)
    ("file:///etc/passwd", "http(s)"),
    ("gopher://acme.example:70/_GET", "http(s)"),
    ("ftp://acme.example", "http(s)"),
    ("javascript:alert(1)", "http(s)"),
    ("dict://127.0.0.1:11211/", "http(s)"),
    ("https:acme.example", "http(s)"),
    ("//acme.example", "http(s)"),
    ("acme.example", "http(s)"),
    # credentials
    ("https://user:pw@acme.example", "credentials"),
    ("https://acme.example@127.0.0.1", "credentials"),
    ("https://:@acme.example", "credentials"),
    # path, query, fragment, backslash tricks
    ("https://acme.example/api/now", "base URL"),
    ("https://acme.example?x=1", "base URL"),
    ("https://acme.example?", "base URL"),
    ("https://acme.example#frag", "base URL"),
    ("https://acme.example#@127.0.0.1", "base URL"),
    ("https://acme.example\\@127.0.0.1", "base URL"),
    ("https://acme.example//", "base URL"),
    # whitespace, control and non-ASCII characters
    (" https://acme.example", "spaces or control"),
    ("https://acme.example ", "spaces or control"),
    ("https://acme.example\n", "spaces or control"),
    ("https://acme\t.example", "spaces or control"),
    ("https://acme.example\x00", "spaces or control"),
    ("https://acme.example\x7f", "spaces or control"),
    ("https://acme.example\u00a0", "ASCII"),
    ("https://\uff41cme.example", "ASCII"),
    ("http://127\u30020\u30020\u30021", "ASCII"),
    # hosts a client would decode or read otherwise
    ("http://%31%32%37.0.0.1", "only letters"),
    ("http://acme%2eexample", "only letters"),
    ("http://xn--acme-.example", "internationalised"),
    ("http://[v1.fe]", "bad IPv6"),
    ("http://[::1", "not a valid URL"),
    ("http://acme..example", "only letters"),
    # ports
    ("http://acme.example:0", "1 to 65535"),
    ("http://acme.example:65536", "1 to 65535"),
    ("http://acme.example:+80", "1 to 65535"),
    ("http://acme.example:-1", "1 to 65535"),
    ("http://acme.example:", "1 to 65535"),
    ("http://acme.example:80:80", "not a valid URL"),
]


@pytest.mark.parametrize(("url", "reason"), HOSTILE_BY_TEXT)
def test_hostile_urls_are_refused_by_their_text(url: str, reason: str) -> None:
    with pytest.raises(BadInput) as error:
        ANYWHERE.check(url)
    assert error.value.status == 400
    assert FIELD in error.value.message
    assert reason in error.value.message


@pytest.mark.parametrize(
    ("pattern", "url", "normalised"),
    [
        ("http://127.0.0.1:*", "http://127.0.0.1:8089", "http://127.0.0.1:8089"),
        ("http://[::1]:*", "http://[::1]:8089", "http://[::1]:8089"),
        ("http://[0::1]:8089", "http://[0:0::1]:8089", "http://[::1]:8089"),
        ("http://localhost:8089", "http://LOCALHOST:8089/", "http://localhost:8089"),
        ("https://itsm.corp.example", "https://itsm.corp.example", "https://itsm.corp.example"),
    ],
)
def test_a_literal_pattern_vouches_for_its_host(pattern: str, url: str, normalised: str) -> None:
    policy = UrlPolicy.from_text(f"{pattern},http://*:*")
    allowed = policy.admit(url)
    assert allowed.base == normalised
    assert allowed.vouched


@pytest.mark.parametrize(
    "url",
    ["http://127.1:8089", "http://localhost.:8089", "http://[::ffff:127.0.0.1]:8089"],
)
def test_a_literal_pattern_vouches_for_its_spelling_only(url: str) -> None:
    with pytest.raises(BadInput):
        UrlPolicy.from_text("http://127.0.0.1:*,http://localhost:*,http://*:*").check(url)


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("8.8.8.8", None),
        ("93.184.216.34", None),
        ("2606:4700::1111", None),
        ("::ffff:8.8.8.8", None),  # IPv4-mapped public
        ("64:ff9b::808:808", None),  # NAT64 of a public address (DNS64 networks)
        ("2002:808:808::1", None),  # 6to4 of a public address
        ("127.0.0.53", "loopback"),
        ("169.254.169.254", "link-local"),
        ("fd00:ec2::254", "private"),
        ("::ffff:10.0.0.1", "private IPv4-in-IPv6"),
        ("::ffff:169.254.169.254", "link-local IPv4-in-IPv6"),
        ("64:ff9b:1::a00:1", "private (local NAT64)"),
        ("100.127.255.254", "shared (carrier-grade NAT)"),
        ("198.18.0.1", "private"),
        ("192.0.2.1", "private"),
        ("2001:db8::1", "private"),
        ("239.255.255.250", "multicast"),
        ("192.88.99.1", "reserved"),
    ],
)
def test_address_kinds(address: str, kind: str | None) -> None:
    assert internal_kind(ipaddress.ip_address(address)) == kind


class FakeDns:
    """Answers from a table; a name mapped to an exception raises it; records every question."""

    def __init__(self, answers: dict[str, Sequence[str] | BaseException]) -> None:
        self.answers = answers
        self.asked: list[tuple[str, int]] = []

    async def __call__(self, host: str, port: int) -> Sequence[str]:
        self.asked.append((host, port))
        answer = self.answers.get(host, socket.gaierror(socket.EAI_NONAME, "Name not known"))
        if isinstance(answer, BaseException):
            raise answer
        if answer == ["hang"]:
            await asyncio.Event().wait()
        return answer


DNS = FakeDns(
    {
        "public.example.com": ["93.184.216.34", "2606:2800:220:1::1"],
        "evil.example.com": ["127.0.0.1"],
        "evil6.example.com": ["::1"],
        "meta.example.com": ["169.254.169.254"],
        "meta6.example.com": ["fd00:ec2::254"],
        "mixed.example.com": ["93.184.216.34", "10.0.0.1"],
        "mapped.example.com": ["::ffff:127.0.0.1"],
        "zoned.example.com": ["fe80::1%eth0"],
        "odd.example.com": ["not-an-address"],
        "empty.example.com": [],
        "down.example.com": socket.gaierror(socket.EAI_AGAIN, "Temporary failure"),
        "slow.example.com": ["hang"],
    }
)
POLICY = UrlPolicy.from_text("https://*.example.com,https://itsm.corp.example")


def resolver(dns: FakeDns = DNS) -> ConnectionResolver:
    guard = AddressGuard(POLICY, resolve_host=dns, dns_timeout_seconds=0.2)
    return ConnectionResolver(guard, ("servicenow",))


def details(url: str) -> ConnectionDetails:
    return ConnectionDetails(
        itsm_type="servicenow", instance_url=url, auth_type="bearer", token="t0ken"
    )


@pytest.mark.parametrize(
    ("host", "reason"),
    [
        ("evil.example.com", "resolves to a loopback address"),
        ("evil6.example.com", "resolves to a loopback address"),
        ("meta.example.com", "resolves to a link-local address"),
        ("meta6.example.com", "resolves to a private address"),
        ("mixed.example.com", "resolves to a private address"),  # ANY address counts
        ("mapped.example.com", "loopback IPv4-in-IPv6"),
        ("zoned.example.com", "link-local"),
        ("odd.example.com", "unrecognised"),
        ("missing.example.com", "cannot resolve host missing.example.com"),
        ("empty.example.com", "cannot resolve host empty.example.com"),
    ],
)
async def test_hosts_resolving_inside_are_refused(host: str, reason: str) -> None:
    with pytest.raises(BadInput) as error:
        await resolver().resolve(details(f"https://{host}"), frozenset())
    assert error.value.status == 400
    assert f"{FIELD} 'https://{host}'" in error.value.message
    assert reason in error.value.message
    # The caller learns the kind of address, not the address: DNS is not an oracle.
    for address in ("127.0.0.1", "169.254.169.254", "10.0.0.1", "fd00:ec2::254"):
        assert address not in error.value.message


async def test_a_public_host_resolves_to_a_connection() -> None:
    connection = await resolver().resolve(details("https://public.example.com"), frozenset())
    assert connection.instance_url == "https://public.example.com"


@pytest.mark.parametrize("host", ["down.example.com", "slow.example.com"])
async def test_dns_that_does_not_answer_is_unavailable_not_bad_input(host: str) -> None:
    with pytest.raises(Unavailable, match=f"cannot resolve host {host}"):
        await resolver().resolve(details(f"https://{host}"), frozenset())


async def test_a_vouched_host_is_not_resolved() -> None:
    dns = FakeDns({"itsm.corp.example": ["10.1.2.3"]})
    connection = await resolver(dns).resolve(details("https://itsm.corp.example"), frozenset())
    assert connection.instance_url == "https://itsm.corp.example"
    assert dns.asked == []


async def test_bad_input_is_reported_before_any_dns_question() -> None:
    dns = FakeDns({})
    without_token = ConnectionDetails(
        itsm_type="servicenow", instance_url="https://evil.example.com", auth_type="bearer"
    )
    with pytest.raises(BadInput, match=r"connectionDetails\.token"):
        await resolver(dns).resolve(without_token, frozenset())
    assert dns.asked == []


async def test_without_a_resolver_only_the_text_is_judged() -> None:
    plain = ConnectionResolver(AddressGuard(POLICY), ("servicenow",))
    connection = await plain.resolve(details("https://evil.example.com"), frozenset())
    assert connection.instance_url == "https://evil.example.com"
    with pytest.raises(BadInput, match="internal address"):
        await ConnectionResolver(AddressGuard(ANYWHERE), ("servicenow",)).resolve(
            details("http://127.0.0.1"), frozenset()
        )


@pytest.mark.parametrize(
    "url",
    [
        "ftp://svc:{pw}@acme.example",
        " https://svc:{pw}@acme.example",
        "https://svc:{pw}@acme.example/path",
        "https://svc:a/{pw}@acme.example",
        "svc:{pw}@acme.example",
        "https://svc:{pw}@\uff41cme.example",
    ],
)
def test_a_password_in_a_refused_url_is_never_quoted(url: str) -> None:
    password = "pw-Sentinel-0d41"
    with pytest.raises(BadInput) as error:
        ANYWHERE.check(url.format(pw=password))
    assert password not in error.value.message
    assert FIELD in error.value.message


# -- the request-time check remembers DNS answers; the connect-time check does not ---------------


async def test_request_time_answers_are_remembered_for_their_ttl() -> None:
    now = [0.0]
    dns = FakeDns({"public.example.com": ["93.184.216.34"]})
    remembering = RememberingResolver(dns, ttl_seconds=30, clock=lambda: now[0])
    assert await remembering("public.example.com", 443) == ("93.184.216.34",)
    now[0] = 29.0
    assert await remembering("public.example.com", 443) == ("93.184.216.34",)
    assert len(dns.asked) == 1
    now[0] = 31.0
    await remembering("public.example.com", 443)
    assert len(dns.asked) == 2


async def test_failures_are_not_remembered() -> None:
    dns = FakeDns({})
    remembering = RememberingResolver(dns, ttl_seconds=30, clock=lambda: 0.0)
    for _ in range(2):
        with pytest.raises(socket.gaierror):
            await remembering("nowhere.example", 443)
    assert len(dns.asked) == 2


async def test_a_full_memory_forgets_rather_than_grows() -> None:
    dns = FakeDns({f"h{i}.example.com": ["93.184.216.34"] for i in range(10)})
    remembering = RememberingResolver(dns, ttl_seconds=30, max_entries=4, clock=lambda: 0.0)
    for i in range(10):
        await remembering(f"h{i}.example.com", 443)
    assert len(remembering._answers) <= 4
