"""Request Tracker's REST 2.0 client, on the connectors' HTTP spine (``connectors.http.client``):
RT's quirks only.

Every call sends its own ``User-Agent`` (RT answers a client it takes for a browser with a 302
to its login page instead of a 401) and the connection's ``Authorization`` (``auth_header``:
RT's auth token or HTTP Basic), which the connector passes with the extra headers. A 2xx becomes
an ``Answer`` (RT's created ticket id and its per-field results are in the body).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass

import httpx

from connectors.connection import AuthType, Credentials
from connectors.errors import BadInput
from connectors.http import VendorClient
from connectors.rt.answers import ANSWERS

USER_AGENT = "itsm-gateway"
AUTH_TYPES = (AuthType.BASIC, AuthType.API_KEY)

PER_PAGE = 100  # REST 2.0's largest page
MAX_PAGES = 50  # of one collection (history, attachments) read for one answer


def auth_header(credentials: Credentials) -> str:
    """``Authorization`` for RT: HTTP Basic, or RT's own ``token <auth token>`` for ``api_key``
    (an auth token made in RT under Settings > Auth Tokens; RT 5 knows no Bearer scheme)."""
    credentials.check_complete()
    if credentials.auth_type is AuthType.BASIC:
        pair = f"{credentials.username}:{credentials.password}".encode()
        return f"Basic {base64.b64encode(pair).decode()}"
    if credentials.auth_type is AuthType.API_KEY:
        return f"token {credentials.api_key}"
    # Not reached through the connector, whose open() refuses other types first as the caller's
    # door names the key (capabilities' AuthRule); kept so that this function is total.
    raise BadInput(
        f"the connection's authType {credentials.auth_type.value} does not work with Request "
        "Tracker; use basic (username and password) or api_key (an RT auth token as apiKey)"
    )


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    body: object
    headers: httpx.Headers


class RestClient(VendorClient[Answer]):
    """Calls ``{instance}/REST/2.0/...`` for one connector (one request of the gateway)."""

    vendor = "Request Tracker"
    itsm_type = "rt"
    api_path = "/REST/2.0/"
    answers = ANSWERS
    fixed_headers = {"User-Agent": USER_AGENT}

    def success(self, response: httpx.Response, name: str) -> Answer:
        body = self.answers.json_body(response, name)
        return Answer(response.status_code, body, response.headers)
