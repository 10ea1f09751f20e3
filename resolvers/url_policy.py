"""Which ITSM base URLs callers may name (SPEC section 8).

``connectionDetails.instanceUrl`` comes from callers, so without a policy the gateway could be
pointed at internal services. A URL must match a configured pattern ``scheme://host[:port]``
(``*`` wildcards in host and port); loopback, private and link-local hosts pass only when a
pattern names that host literally, never through a wildcard.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from connectors.errors import BadInput

DEFAULT_ALLOWED_URLS = "https://*.service-now.com,https://*.servicenowservices.com"
_DEFAULT_PORTS = {"http": 80, "https": 443}
_INTERNAL_NAMES = ("localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback")


@dataclass(frozen=True, slots=True)
class UrlPattern:
    text: str
    scheme: str
    host: re.Pattern[str]
    port: re.Pattern[str]
    literal_host: str | None  # the host when the pattern has no wildcard in it

    @classmethod
    def parse(cls, text: str) -> UrlPattern:
        match = re.fullmatch(r"(https?)://(\[[^\]]+\]|[^:/\[\]]+)(?::([0-9*]+))?/?", text.strip())
        if not match:
            raise ValueError(
                f"URL pattern {text!r} must look like scheme://host[:port], e.g. "
                "https://*.service-now.com or http://127.0.0.1:*"
            )
        scheme, host, port = match[1].lower(), match[2].lower().strip("[]"), match[3]
        return cls(
            text=text.strip(),
            scheme=scheme,
            host=_wildcard(host),
            port=_wildcard(port or str(_DEFAULT_PORTS[scheme])),
            literal_host=None if "*" in host else host,
        )

    def matches(self, scheme: str, host: str, port: int) -> bool:
        return (
            scheme == self.scheme
            and bool(self.host.fullmatch(host))
            and bool(self.port.fullmatch(str(port)))
        )


def _wildcard(text: str) -> re.Pattern[str]:
    # '*' stands for one or more characters. Hosts reach here from urlsplit, so they hold no
    # path, userinfo or port for a wildcard to swallow.
    return re.compile(".+".join(re.escape(part) for part in text.split("*")))


class UrlPolicy:
    def __init__(self, patterns: Iterable[UrlPattern]) -> None:
        self.patterns = tuple(patterns)

    @classmethod
    def from_text(cls, text: str) -> UrlPolicy:
        return cls(UrlPattern.parse(part) for part in text.split(",") if part.strip())

    def check(self, url: str) -> str:
        """The normalised base URL (``scheme://host[:port]``), or ``BadInput`` naming the rule."""
        field = "connectionDetails.instanceUrl"
        try:
            parts = urlsplit(url.strip())
            port = parts.port
        except ValueError as error:
            raise BadInput(f"{field} {url!r} is not a valid URL ({error})") from None
        scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
        if scheme not in _DEFAULT_PORTS or not host:
            raise BadInput(
                f"{field} {url!r} must be an http(s) base URL such as https://acme.service-now.com"
            )
        if parts.username is not None or parts.password is not None:
            raise BadInput(f"{field} must not carry credentials; use the credential keys instead")
        if parts.path not in ("", "/") or parts.query or parts.fragment:
            raise BadInput(
                f"{field} {url!r} must be the instance's base URL, without a path or query"
            )
        effective_port = port or _DEFAULT_PORTS[scheme]
        allowed = [p for p in self.patterns if p.matches(scheme, host, effective_port)]
        if not allowed:
            raise BadInput(
                f"{field} {url!r} is not an allowed ITSM address; the gateway accepts "
                f"{', '.join(p.text for p in self.patterns)} (ITSM_GATEWAY_ITSM_ALLOWED_URLS)"
            )
        if _is_internal(host) and not any(p.literal_host == host for p in allowed):
            raise BadInput(
                f"{field} {url!r} points at an internal address; it is reachable only when "
                "ITSM_GATEWAY_ITSM_ALLOWED_URLS names that host literally"
            )
        shown_host = f"[{host}]" if ":" in host else host
        default = effective_port == _DEFAULT_PORTS[scheme]
        return f"{scheme}://{shown_host}" + ("" if default else f":{effective_port}")


def _is_internal(host: str) -> bool:
    if host.rstrip(".") in _INTERNAL_NAMES or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return not address.is_global
