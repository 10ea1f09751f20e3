"""Which ITSM base URLs callers may name (docs/security.md#which-itsm-addresses-callers-may-name).

``connectionDetails.instanceUrl`` comes from callers, so without a policy the gateway could be
pointed at internal services. A URL must be a base URL ``scheme://host[:port][/path]`` matching a
configured pattern (``*`` wildcards in host and port). A path (an ITSM served under one, such as
Request Tracker at ``https://support.example.com/rt``, or behind a proxy's path) must match the
pattern's path exactly, after normalisation (no trailing slash); it may hold only plain segments
of letters, digits, ``-``, ``_``, ``.`` and ``~``: no ``.`` or ``..`` segment, no ``%`` encoding,
no empty segment. A pattern without a path admits URLs without one.

Internal hosts (loopback, private, link-local, ... see ``addresses.internal_kind``) pass only when
a matching pattern *names the host literally*, with no wildcard in the host: the IP literal
(``http://127.0.0.1:*``) or the exact host name (``https://itsm.corp.example``, for an on-premises
ITSM at a private address). A literal pattern is the operator vouching for that host, whatever
it resolves to; a wildcard vouches for nothing, so ``https://*.example.com`` never reaches an
internal address. The strings are compared, not the addresses: ``127.1`` is not ``127.0.0.1``.

This module judges the URL's text; ``ConnectionResolver`` then resolves the host, and the HTTP
transport (``gateway.outbound.connect_guard``) checks the addresses again when it connects.

The text is parsed strictly, by this module rather than ``urllib``, because a parser that is
lenient in a different way from the HTTP client's is how allow-lists get bypassed: no spaces or
control characters, ASCII only (no internationalised names), no userinfo, no path beyond ``/``,
no query or fragment, a host of letters, digits, ``-``, ``_`` and dots (or a bracketed IPv6
address), and numeric hosts only as dotted-quad IPv4 (``127.1``, ``0x7f.0.0.1``, ``0177.0.0.1``
and ``2130706433`` all mean 127.0.0.1 to ``inet_aton`` and are refused).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from dataclasses import dataclass

from connectors.errors import BadInput
from gateway.outbound.addresses import internal_kind, ip_literal
from resolvers.instance_guard import FIELD

# api.atlassian.com: Atlassian's API gateway, where Jira calls with OAuth 2.0 tokens go.
DEFAULT_ALLOWED_URLS = (
    "https://*.service-now.com,https://*.servicenowservices.com,https://*.atlassian.net,"
    "https://api.atlassian.com"
)
_DEFAULT_PORTS = {"http": 80, "https": 443}
_INTERNAL_NAMES = ("localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback")
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*):")
_AUTHORITY = re.compile(r"(\[[^\]]*\]|[^:\[\]]*)(?::([^:]*))?")
_LABEL = re.compile(r"[a-z0-9_-]{1,63}")
_ADMITTED_REMEMBERED = 1024
_NUMERIC_LABEL = re.compile(r"[0-9]+|0x[0-9a-f]*")
# Everything up to the last '@': a password may hold '/', '?' or '#' and still be one to a
# lenient parser.
_USERINFO = re.compile(r"^([^/]*//)?.*@", re.DOTALL)


@dataclass(frozen=True, slots=True)
class AllowedUrl:
    """A base URL the policy accepts. ``host`` is lower-case; an IPv6 host is compressed and
    unbracketed. ``vouched``: a matching pattern names the host literally, so its addresses
    are not checked."""

    scheme: str
    host: str
    port: int
    vouched: bool
    path: str = ""  # "" or "/rt": normalised, no trailing slash

    @property
    def base(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        default = self.port == _DEFAULT_PORTS[self.scheme]
        return f"{self.scheme}://{host}" + ("" if default else f":{self.port}") + self.path


@dataclass(frozen=True, slots=True)
class UrlPattern:
    text: str
    scheme: str
    host: re.Pattern[str]
    port: re.Pattern[str]
    literal_host: str | None  # the host when the pattern has no wildcard in it
    path: str = ""  # matched exactly: "" or "/rt"

    @classmethod
    def parse(cls, text: str) -> UrlPattern:
        match = re.fullmatch(
            r"(https?)://(\[[^\]]+\]|[^:/\[\]]+)(?::([0-9*]+))?(/[^?#]*)?", text.strip()
        )
        path = _normal_path(match[4] or "") if match else None
        if not match or path is None:
            raise ValueError(
                f"URL pattern {text!r} must look like scheme://host[:port][/path], e.g. "
                "https://*.service-now.com, http://127.0.0.1:* or https://support.example.com/rt"
                " (a path of plain segments, no wildcard)"
            )
        scheme, host, port = match[1].lower(), _canonical_host(match[2].lower()), match[3]
        return cls(
            text=text.strip(),
            scheme=scheme,
            host=_wildcard(host),
            port=_wildcard(port or str(_DEFAULT_PORTS[scheme])),
            literal_host=None if "*" in host else host,
            path=path,
        )

    def matches(self, scheme: str, host: str, port: int, path: str = "") -> bool:
        return (
            scheme == self.scheme
            and bool(self.host.fullmatch(host))
            and bool(self.port.fullmatch(str(port)))
            and path == self.path
        )

    def matches_origin(self, scheme: str, host: str, port: int) -> bool:
        """Whether the origin matches, whatever the path (for checks below the URL's text)."""
        return self.matches(scheme, host, port, self.path)


_SEGMENT = re.compile(r"[A-Za-z0-9_~.-]+")


def _normal_path(path: str) -> str | None:
    """``path`` without its trailing slash (``""`` for none or ``/``), or ``None`` when it holds
    anything but plain segments: no ``.``/``..`` segment, no ``%``, no empty segment, no ``*``."""
    trimmed = path[:-1] if path.endswith("/") else path
    if not trimmed:
        return ""
    segments = trimmed.split("/")[1:]
    if all(_SEGMENT.fullmatch(s) and s not in (".", "..") for s in segments):
        return trimmed
    return None


def _wildcard(text: str) -> re.Pattern[str]:
    # '*' stands for one or more characters. Hosts reach here already parsed, so they hold no
    # path, userinfo or port for a wildcard to swallow.
    return re.compile(".+".join(re.escape(part) for part in text.split("*")))


def _canonical_host(host: str) -> str:
    """IPv6 literals compressed and unbracketed (``[0:0::1]`` -> ``::1``); names unchanged."""
    if host.startswith("["):
        address = ip_literal(host)
        return str(address) if address is not None else host.strip("[]")
    return host


class UrlPolicy:
    def __init__(self, patterns: Iterable[UrlPattern]) -> None:
        self.patterns = tuple(patterns)
        # URLs admitted before: the patterns never change, and parsing a URL was ~8% of a fetch's
        # CPU. Refusals are not remembered (they are rare, and their messages name the field).
        self._admitted: dict[tuple[str, str], AllowedUrl] = {}

    @classmethod
    def from_text(cls, text: str) -> UrlPolicy:
        return cls(UrlPattern.parse(part) for part in text.split(",") if part.strip())

    def check(self, url: str, *, field: str = FIELD) -> str:
        """The normalised base URL (``scheme://host[:port]``), or ``BadInput`` naming the rule."""
        return self.admit(url, field=field).base

    def admit(self, url: str, *, field: str = FIELD) -> AllowedUrl:
        """``url`` parsed and matched against the patterns, or ``BadInput`` naming ``field``.

        Hosts that are internal by their text (IP literals, ``localhost``) are refused here
        unless vouched for; host names are resolved later, by the caller.
        """
        admitted = self._admitted.get((url, field))
        if admitted is not None:
            return admitted
        allowed_url = self._admit(url, field)
        if len(self._admitted) >= _ADMITTED_REMEMBERED:
            self._admitted.clear()
        self._admitted[(url, field)] = allowed_url
        return allowed_url

    def _admit(self, url: str, field: str) -> AllowedUrl:
        subject = f"{field} {_shown(url)!r}"
        scheme, host, port, path = _parse(url, field, subject)
        allowed = [p for p in self.patterns if p.matches(scheme, host, port, path)]
        if not allowed and any(p.matches_origin(scheme, host, port) for p in self.patterns):
            raise BadInput(
                f"{subject} is not an allowed ITSM address: give the instance's base URL; a path "
                f"({path}) is accepted only where ITSM_GATEWAY_ITSM_ALLOWED_URLS names it"
            )
        if not allowed:
            raise BadInput(
                f"{subject} is not an allowed ITSM address; the gateway accepts "
                f"{', '.join(p.text for p in self.patterns)} (ITSM_GATEWAY_ITSM_ALLOWED_URLS)"
            )
        vouched = any(p.literal_host == host for p in allowed)
        kind = _internal_by_text(host)
        if kind is not None and not vouched:
            raise BadInput(
                f"{subject} points at an internal address ({kind}); it is reachable only "
                "when ITSM_GATEWAY_ITSM_ALLOWED_URLS names that host literally"
            )
        return AllowedUrl(scheme=scheme, host=host, port=port, vouched=vouched, path=path)

    def allows_origin(self, scheme: str, host: str, port: int) -> bool:
        """Whether any pattern matches this origin (for checks below the URL's text)."""
        host = _canonical_host(f"[{host}]") if ":" in host else host.lower()
        return any(p.matches_origin(scheme.lower(), host, port) for p in self.patterns)

    def vouches_for(self, host: str, port: int) -> bool:
        """Whether a pattern names ``host`` literally with a port matching ``port``.

        The scheme is not known where this is asked (opening a TCP connection); the URL was
        matched with its scheme before any request was sent.
        """
        host = _canonical_host(f"[{host}]") if ":" in host else host.lower()
        return any(p.literal_host == host and p.port.fullmatch(str(port)) for p in self.patterns)


def _parse(url: str, field: str, subject: str) -> tuple[str, str, int, str]:
    example = "such as https://acme.service-now.com"
    if any(ord(c) <= 0x20 or ord(c) == 0x7F for c in url):
        raise BadInput(f"{subject} must be a URL without spaces or control characters")
    if not url.isascii():
        raise BadInput(f"{subject} must be ASCII (internationalised hosts are not supported)")
    scheme_match = _SCHEME.match(url)
    scheme = scheme_match[1].lower() if scheme_match else ""
    rest = url[scheme_match.end() :] if scheme_match else url
    if scheme not in _DEFAULT_PORTS or not rest.startswith("//"):
        raise BadInput(f"{subject} must be an http(s) base URL {example}")
    # The authority ends at the first of these; a backslash ends it too for WHATWG parsers.
    ends = [i for i in (rest.find(c, 2) for c in "/?#\\") if i >= 0]
    cut = min(ends, default=len(rest))
    authority, tail = rest[2:cut], rest[cut:]
    if "@" in authority:
        raise BadInput(f"{field} must not carry credentials; use the credential keys instead")
    if "?" in tail or "#" in tail or "\\" in tail:
        raise BadInput(f"{subject} must be the instance's base URL, without a query or fragment")
    path = _normal_path(tail)
    if path is None:
        raise BadInput(
            f"{subject} must be the instance's base URL: a path may hold only plain segments "
            "(letters, digits, '-', '_', '.', '~'), no '.' or '..' segment, no '%' encoding, no "
            "empty segment"
        )
    parts = _AUTHORITY.fullmatch(authority)
    if parts is None:
        raise BadInput(f"{subject} is not a valid URL (cannot read the host and port)")
    raw_host, raw_port = parts[1].lower(), parts[2]
    port = _DEFAULT_PORTS[scheme]
    if raw_port is not None:
        if not (raw_port.isdigit() and len(raw_port) <= 5 and 1 <= int(raw_port) <= 65535):
            raise BadInput(f"{subject} is not a valid URL (the port must be 1 to 65535)")
        port = int(raw_port)
    return scheme, _valid_host(raw_host, subject, example), port, path


def _valid_host(host: str, subject: str, example: str) -> str:
    if host.startswith("["):
        address = ip_literal(host)
        if not isinstance(address, ipaddress.IPv6Address) or "%" in host:
            raise BadInput(f"{subject} is not a valid URL (bad IPv6 address {host})")
        return str(address)
    if not host:
        raise BadInput(f"{subject} must be an http(s) base URL {example}")
    labels = host.removesuffix(".").split(".")
    if len(host) > 253 or not all(_LABEL.fullmatch(label) for label in labels):
        raise BadInput(
            f"{subject} is not a valid URL (the host may hold only letters, digits, "
            "'-', '_' and dots)"
        )
    # Internationalised names are refused rather than half-checked: the HTTP client validates
    # A-labels by IDNA 2008 rules, and a label it rejects would fail later, as a 500.
    if any(label.startswith("xn--") for label in labels):
        raise BadInput(f"{subject} is not supported (internationalised xn-- host names are not)")
    # A host whose last label is a number is an IPv4 address to every URL parser that follows
    # the WHATWG rules, and inet_aton reads 127.1, 0177.0.0.1 and 2130706433 as 127.0.0.1.
    if _NUMERIC_LABEL.fullmatch(labels[-1]):
        try:
            return str(ipaddress.IPv4Address(host))
        except ValueError:
            raise BadInput(
                f"{subject} is not a valid URL (a numeric host must be a dotted-quad "
                "IPv4 address in decimal, e.g. 192.0.2.10)"
            ) from None
    return host


def _shown(url: str) -> str:
    """The URL as quoted in messages: userinfo, which may hold a password, becomes ``***``."""
    return _USERINFO.sub(lambda match: f"{match[1] or ''}***@", url)


def _internal_by_text(host: str) -> str | None:
    name = host.removesuffix(".")
    if name in _INTERNAL_NAMES or name.endswith(".localhost"):
        return "loopback"
    address = ip_literal(host)
    return internal_kind(address) if address is not None else None
