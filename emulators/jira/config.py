"""Who exists on the emulated Jira site and how API clients authenticate as them.

Jira Cloud authenticates REST calls with Basic auth built from an Atlassian account's email
address and one of its API tokens (``email:token``), or with an OAuth 2.0 access token as
``Authorization: Bearer``. The emulator keeps both per user.

Demo values, not secrets: ``gateway@acme.example`` with API token ``jira-api-token``, and the
OAuth 2.0 access token ``jira-oauth-token`` for the same account.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

DEFAULT_EMAIL = "gateway@acme.example"
DEFAULT_API_TOKEN = "jira-api-token"  # noqa: S105 - a documented demo credential
DEFAULT_OAUTH_TOKEN = "jira-oauth-token"  # noqa: S105 - a documented demo credential
INTEGRATION_ACCOUNT_ID = "712020:4b6c2d1e-7f3a-4e5b-9c8d-0a1b2c3d4e5f"
# The site's cloudId, as Atlassian's API gateway names it: OAuth 2.0 calls go to
# ``/ex/jira/{cloudId}/rest/...`` (``emulators.jira.cloud``). Stable, like a real site's.
CLOUD_ID = "3f6c1a2b-8d4e-4c7a-9b1e-5a2d7c8e9f01"
GATEWAY_ROOT = f"/ex/jira/{CLOUD_ID}"


@dataclass(frozen=True)
class User:
    """An Atlassian account. ``account_type`` is ``atlassian`` for agents and ``customer`` for
    Jira Service Management portal customers. ``time_zone`` is the profile's zone, in which Jira
    renders the date-times it answers this user with."""

    account_id: str
    display_name: str
    email: str
    account_type: str = "atlassian"
    time_zone: str = "America/Los_Angeles"
    api_tokens: tuple[str, ...] = ()
    oauth_tokens: tuple[str, ...] = ()

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)


INTEGRATION = User(
    INTEGRATION_ACCOUNT_ID,
    "Gateway Integration",
    DEFAULT_EMAIL,
    api_tokens=(DEFAULT_API_TOKEN,),
    oauth_tokens=(DEFAULT_OAUTH_TOKEN,),
)
BETH_ANGLIN = User("5b10ac8d82e05b22cc7d4ef5", "Beth Anglin", "beth.anglin@acme.example")
DAVID_LOO = User("5b109f2e9729b51b54dc274d", "David Loo", "david.loo@acme.example")
ABEL_TUTER = User(
    "qm:1f4e2a9c-5b3d-4c7e-8a6f-2d1c0b9a8e7f:5e8c0f2a1b3d4c5e6f7a8b9c",
    "Abel Tuter",
    "abel.tuter@customer.example",
    account_type="customer",
)
FRED_LUDDY = User(
    "qm:9a8b7c6d-5e4f-4a3b-2c1d-0e9f8a7b6c5d:6f1a2b3c4d5e6f7a8b9c0d1e",
    "Fred Luddy",
    "fred.luddy@customer.example",
    account_type="customer",
)


def _default_users() -> tuple[User, ...]:
    return (INTEGRATION, BETH_ANGLIN, DAVID_LOO, ABEL_TUTER, FRED_LUDDY)


@dataclass(frozen=True)
class JiraConfig:
    """``users``: every account of the site (those with tokens can call the API).
    ``base_url``: the base of every ``self`` link; ``None`` derives it from each request."""

    users: tuple[User, ...] = field(default_factory=_default_users)
    base_url: str | None = None

    def user(self, account_id: str) -> User | None:
        return next((u for u in self.users if u.account_id == account_id), None)
