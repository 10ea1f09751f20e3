"""How ServiceNow's answers read: its error body, its advice, and its 403s, as hooks of the
spine's common mapping (``connectors.http.answers.VendorAnswers``). Every message names
ServiceNow and the instance host and carries no secret.

Used by the Table API client and by the OAuth token fetch alike, so that both speak the same way.
Vendor facts: ``docs/connectors/servicenow.md`` ("What ServiceNow does silently").
"""

from __future__ import annotations

from connectors.errors import GatewayError, ItsmError
from connectors.http import VendorAnswers

# A quote from ServiceNow is cut to this length: enough for "Data Policy Exception: The
# following fields are mandatory: ...", never a whole payload.
_QUOTE_LIMIT = 300


class AccessDenied(ItsmError):
    """ServiceNow answered 403. Still a 502 for the caller (docs/contract.md#errors: the ITSM
    refused the gateway's account, or a data policy refused the write); a subclass only so that
    the journal read can fall back to the incident's display text when ``sys_journal_field`` is
    refused, and a refused ``task_sla`` read leaves only its field empty."""


class ServiceNowAnswers(VendorAnswers):
    # A hibernating developer instance answers 200 with an HTML page, and so can a login page.
    not_json_advice = (
        " (the instance may be hibernating or asking for a login); check the instance in a "
        "browser and retry"
    )

    def quote(self, body: object) -> str:
        """ServiceNow's own ``error.message`` and ``error.detail`` (``detail`` may be null), or
        the OAuth endpoint's ``error`` and ``error_description``, cut short."""
        if not isinstance(body, dict):
            return "no error message"
        error = body.get("error")
        if isinstance(error, dict):
            parts = (error.get("message"), error.get("detail"))
        else:
            parts = (error, body.get("error_description"))
        texts = [str(part).strip()[:_QUOTE_LIMIT] for part in parts if part not in (None, "")]
        return ": ".join(texts) if texts else "no error message"

    def refusal(self, status: int, body: object, name: str) -> GatewayError:
        if status == 401:
            return ItsmError(f"{name} rejected the gateway's credentials ({self.quote(body)})")
        if status == 403:
            quoted = self.quote(body)
            if "data policy" in quoted.lower():
                return AccessDenied(
                    f"{name} refused the write because of a data policy (403: {quoted})"
                )
            return AccessDenied(f"{name} refused the gateway's account access (403: {quoted})")
        return super().refusal(status, body, name)


ANSWERS = ServiceNowAnswers()
