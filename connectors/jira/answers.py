"""How Jira's answers read: its three error shapes and its advice, as hooks of the spine's
common mapping (``connectors.http.answers.VendorAnswers``). Every message names Jira and the
site's host and carries no secret.

The platform API answers errors as ``{"errorMessages": [...], "errors": {field: message}}``, the
service desk API as ``{"errorMessage": ..., "i18nErrorMessage": {...}}``, and Atlassian's API
gateway (OAuth 2.0 calls) as ``{"code": ..., "message": ...}``; ``quote`` reads all three.
"""

from __future__ import annotations

from connectors.errors import GatewayError, ItsmError
from connectors.http import VendorAnswers

# Each quoted message is cut to this length, the whole quote to twice it: enough for Jira's
# field errors, never a whole payload.
_QUOTE_LIMIT = 300


class AccessDenied(ItsmError):
    """Jira answered 403. Still a 502 for the caller; a subclass only so that an optional read
    (the request's SLAs) can be answered empty instead of failing the ticket."""


class JiraAnswers(VendorAnswers):
    # A site behind single sign-on or in maintenance can answer 200 with an HTML page.
    not_json_advice = (
        " (the site may be asking for a login or be in maintenance); check the site in a "
        "browser and retry"
    )
    credentials_advice = (
        "; check the account's email address and API token (basic) or the OAuth 2.0 access "
        "token (bearer)"
    )

    def quote(self, body: object) -> str:
        """Jira's own error messages, cut short; never the whole body."""
        if not isinstance(body, dict):
            return "no error message"
        parts: list[str] = []
        messages = body.get("errorMessages")
        if isinstance(messages, list):
            parts.extend(str(m) for m in messages if m)
        errors = body.get("errors")
        if isinstance(errors, dict):
            parts.extend(f"{field}: {message}" for field, message in errors.items())
        for key in ("errorMessage", "message"):
            if isinstance(body.get(key), str) and body[key]:
                parts.append(body[key])
        text = "; ".join(part.strip()[:_QUOTE_LIMIT] for part in parts)
        return text[: 2 * _QUOTE_LIMIT] if text else "no error message"

    def refusal(self, status: int, body: object, name: str) -> GatewayError:
        error = super().refusal(status, body, name)
        return AccessDenied(error.message) if status == 403 else error


ANSWERS = JiraAnswers()
