"""The settings as they may be shown: every secret masked, where it comes from left visible.

What counts as a secret:

- a setting declared with ``repr=False`` (``Settings`` marks its secrets so): masked whole, except
  ``keycloak_clients``, whose client ids stay (``smartops-ui,batch=********``), and ``redis_url``,
  whose host, port and database stay (``redis://:********@redis:6379/0``);
- in a connection profile, every key that is not known to be plain. ``password_env = "SN_PW"``
  and ``password_file = "/run/secrets/sn"`` stay visible, as in ``gateway.profiles``' own
  messages: they say where a secret is, not what it is. A secret written inline (which
  ``config check`` refuses) or under a misspelt key is masked;
- credentials inside any URL (``https://user:pw@host``).

Masking errs towards hiding: a value it cannot judge is masked.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from gateway.profiles import PLAIN_KEYS
from gateway.settings import Settings

MASK = "********"

# Profile keys whose values are not secrets (the connection vocabulary's plain keys and the
# profile's roles); anything else in a profile is masked.
_PROFILE_PLAIN = frozenset(PLAIN_KEYS)
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_USERINFO = re.compile(r"(?<=://)[^/?#@\s]*@")
_SECRET_QUERY = re.compile(r"password|secret|token|key", re.IGNORECASE)


def masked_settings(settings: Settings) -> dict[str, Any]:
    """Every setting, in declaration order, as it may be printed (``None``: not set)."""
    return {
        name: _masked(name, value, repr_shown=Settings.model_fields[name].repr)
        for name, value in settings.model_dump().items()
    }


def _masked(name: str, value: Any, *, repr_shown: bool) -> Any:
    if value is None or value == "":
        return value
    if name == "connections":
        return {profile: masked_profile(table) for profile, table in value.items()}
    if not repr_shown:
        return _PARTLY_SHOWN.get(name, lambda _: MASK)(value)
    return _plain(value)


def masked_clients(text: str) -> str:
    """``"ui, batch=s3cret"`` -> ``"ui,batch=********"``."""
    clients = []
    for part in text.split(","):
        client_id, equals, _ = part.strip().partition("=")
        if client_id:
            clients.append(f"{client_id}={MASK}" if equals else client_id)
    return ",".join(clients)


def masked_url(url: str) -> str:
    """A Redis (or any) URL without its password, its userinfo when that may be one, any query
    value that may be a secret, and any part that only a mistyped password would produce."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return MASK
    userinfo, at, hostinfo = parts.netloc.rpartition("@")
    netloc = parts.netloc
    if at:
        user, colon, _ = userinfo.partition(":")
        # Without a colon the userinfo may be a password written as a user name.
        netloc = f"{user}:{MASK}@{hostinfo}" if colon else f"{MASK}@{hostinfo}"
    else:
        host, colon, port = hostinfo.rpartition(":")
        if colon and not port.isdigit() and not hostinfo.endswith("]"):
            netloc = f"{host}:{MASK}"  # no port: the start of a password with a '/' or '#' in it
    query = urlencode(
        [
            (key, MASK if _SECRET_QUERY.search(key) else value)
            for key, value in parse_qsl(parts.query, keep_blank_values=True)
        ],
        safe="*",
    )
    path = parts.path
    if parts.scheme in ("redis", "rediss") and not re.fullmatch(r"/?\d*", path):
        path = f"/{MASK}"  # a database is a number: this is more likely a '/' in the password
    # (urlunsplit would drop the empty host of unix:///path.)
    return (
        f"{parts.scheme}://{netloc}{path}"
        + (f"?{query}" if query else "")
        + (f"#{MASK}" if parts.fragment else "")  # an unencoded '#' in a password
    )


_PARTLY_SHOWN: Mapping[str, Callable[[str], str]] = {
    "keycloak_clients": masked_clients,
    "redis_url": masked_url,
}


def masked_profile(table: Mapping[str, Any]) -> dict[str, Any]:
    shown: dict[str, Any] = {}
    for key, value in table.items():
        if key in _PROFILE_PLAIN:
            shown[key] = _plain(value)
        elif key.endswith("_env") and isinstance(value, str) and _ENV_NAME.fullmatch(value):
            shown[key] = value
        elif key.endswith("_file") and isinstance(value, str) and value.startswith("/"):
            shown[key] = value
        else:
            shown[key] = MASK
    return shown


def _plain(value: Any) -> Any:
    """A value that is no secret, but may still hold credentials in a URL."""
    if isinstance(value, str):
        return _USERINFO.sub(f"{MASK}@", value)
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value if isinstance(value, int | float) else MASK  # bool is an int
