"""How Request Tracker's answers read: its ``{"message": ...}`` error body, its redirects to a
login page and its advice, as hooks of the spine's common mapping
(``connectors.http.answers.VendorAnswers``). Every message names RT and the host and carries no
secret.

RT 5's REST 2.0 answers errors as ``{"message": "..."}``; a client it takes for a browser gets a
302 to its login page instead of a 401, which reads here as a non-JSON answer.
"""

from __future__ import annotations

import httpx

from connectors.errors import GatewayError, ItsmError
from connectors.http import VendorAnswers

# A quote from RT is cut to this length: enough for its one-line messages, never a payload.
QUOTE_LIMIT = 300


class RtAnswers(VendorAnswers):
    not_json_advice = (
        "; check that the instance URL is RT's base URL and that REST 2.0 is served there"
    )

    def not_json_error(self, response: httpx.Response, name: str) -> ItsmError:
        """Also a redirect (RT's 302 for clients it takes for browsers) and an empty body."""
        status = response.status_code
        if 300 <= status < 400:
            return ItsmError(
                f"{name} answered {status} (a redirect, to "
                f"{response.headers.get('Location', '?')!r}) instead of JSON: RT redirects to "
                "its login page when it takes a client for a browser; check the instance URL "
                "(the RT base URL, without /REST/2.0)"
            )
        if not response.content.strip():
            return ItsmError(f"{name} answered {status} with an empty body")
        return super().not_json_error(response, name)

    def quote(self, body: object) -> str:
        """RT's own ``message`` (or its list of messages), cut short; never the whole body."""
        return quote(body)

    def refusal(self, status: int, body: object, name: str) -> GatewayError:
        if status == 403:
            return ItsmError(f"{name} refused the gateway's account (403: {self.quote(body)})")
        if 400 <= status < 500 and status != 401:
            return ItsmError(f"{name} refused the request ({status}: {self.quote(body)})")
        return super().refusal(status, body, name)


def quote(body: object) -> str:
    """RT's own ``message`` (or its list of messages), cut short; never the whole body."""
    if isinstance(body, dict):
        message = body.get("message")
        texts = [str(message).strip()] if message not in (None, "") else []
    elif isinstance(body, list):
        texts = [str(item).strip() for item in body if item not in (None, "")]
    else:
        texts = []
    text = "; ".join(texts)
    if len(text) > QUOTE_LIMIT:
        text = text[: QUOTE_LIMIT - 3] + "..."
    return text or "no error message"


ANSWERS = RtAnswers()
