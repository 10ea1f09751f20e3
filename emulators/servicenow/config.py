"""Who may call the emulated instance, and the settings of the user it answers as.

The settings matter because ServiceNow renders display values (``sysparm_display_value=true``)
in the *API user's* own time zone and date/time format, and business time (SLAs, resolution
durations) is counted on a schedule in that zone. The emulator applies one set of settings to
every account: real instances keep them per user, but integrations run as one user.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from emulators.servicenow.datefmt import UserDateTimeFormat

DEFAULT_USER_NAME = "gateway.integration"
DEFAULT_PASSWORD = "integration-password"  # noqa: S105 - a documented demo credential
DEFAULT_CLIENT_ID = "gateway-client"
DEFAULT_CLIENT_SECRET = "gateway-client-secret"  # noqa: S105 - a documented demo credential
DEFAULT_API_KEY = "demo-api-key"


@dataclass(frozen=True)
class Account:
    """An API user: the ``sys_user`` it acts as and the credentials that authenticate it.

    ``password`` serves Basic auth and the OAuth password grant (``None``: neither);
    ``api_keys`` are accepted in the ``x-sn-apikey`` header. If no ``sys_user`` row has this
    ``user_name`` when the state is seeded, one is created with ``name`` as the full name.
    """

    user_name: str
    password: str | None = None
    name: str = ""
    api_keys: tuple[str, ...] = ()


@dataclass(frozen=True)
class OAuthClient:
    """An OAuth application registry entry.

    ``user_name`` is the account a ``client_credentials`` grant acts as (the instance property
    that names that user on real instances); the password grant acts as the named user.
    """

    client_id: str
    client_secret: str
    user_name: str


def _default_accounts() -> tuple[Account, ...]:
    return (
        Account(
            DEFAULT_USER_NAME,
            password=DEFAULT_PASSWORD,
            name="Gateway Integration",
            api_keys=(DEFAULT_API_KEY,),
        ),
    )


def _default_clients() -> tuple[OAuthClient, ...]:
    return (OAuthClient(DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, DEFAULT_USER_NAME),)


@dataclass(frozen=True)
class EmulatorConfig:
    """Settings of the emulated instance.

    ``date_format`` and ``time_format`` are ServiceNow patterns (``yyyy-MM-dd``, ``dd-MM-yyyy``,
    ``MM-dd-yyyy``; ``HH:mm:ss`` or the 12-hour ``hh:mm:ss a``). ``instance_url`` is the base of
    every ``link`` and ``Location``; ``None`` derives it from each request's scheme and host.
    ``token_lifetime_s`` is both the OAuth ``expires_in`` and how long a token really works.
    """

    time_zone: str = "America/Los_Angeles"
    date_format: str = "yyyy-MM-dd"
    time_format: str = "HH:mm:ss"
    instance_url: str | None = None
    accounts: tuple[Account, ...] = field(default_factory=_default_accounts)
    oauth_clients: tuple[OAuthClient, ...] = field(default_factory=_default_clients)
    token_lifetime_s: int = 1799

    def __post_init__(self) -> None:
        # Fail at construction, not at the first display value: both raise ValueError.
        self.zone  # noqa: B018
        self.datetime_format  # noqa: B018
        if self.token_lifetime_s <= 0:
            raise ValueError("token_lifetime_s must be positive")

    @property
    def zone(self) -> ZoneInfo:
        try:
            return ZoneInfo(self.time_zone)
        except (ValueError, KeyError) as exc:  # ZoneInfoNotFoundError is a KeyError
            raise ValueError(f"unknown time zone {self.time_zone!r}") from exc

    @property
    def datetime_format(self) -> UserDateTimeFormat:
        return UserDateTimeFormat(self.date_format, self.time_format)

    def account(self, user_name: str) -> Account | None:
        return next((a for a in self.accounts if a.user_name == user_name), None)
