"""OfflineTokenExchanger: the edges the mutation check found no test holding (docs/mutation.md).

Two token endpoints: the development issuer's (a real one on loopback, which behaves as
Keycloak's: sessions, clients, rotation), and, for the answers it never gives (5xx, an OAuth error
without a description, a body that is not JSON, a short ``expires_in``), a scripted one: an httpx
``MockTransport`` handler that answers each exchange as a test says, with access tokens really
signed by the realm, so the gateway verifies them as any other. Each test asserts what a caller
sees: the principal, the error and its message, how many exchanges reached Keycloak, the metrics.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import orjson
import pytest
from prometheus_client.parser import text_string_to_metric_families

from connectors.errors import RateLimited, Unavailable
from gateway.auth.offline_refusals import OfflineRefusals
from gateway.auth.offline_tokens import OfflineTokenExchanger
from gateway.errors import Unauthenticated
from gateway.observability.metrics import Metrics
from tests.auth.conftest import Realm
from tests.auth.test_auth_offline_abuse import made_up

UI = "smartops-ui"  # a public client
EXCHANGE_LEEWAY = 30  # an offline token's exp may be this far past


async def exchanger(
    realm: Realm, http: httpx.AsyncClient | None = None, **options: Any
) -> OfflineTokenExchanger:
    realm.issuer.clock = realm.clock  # tokens from the endpoint live on the tests' clock
    options.setdefault("refusals", OfflineRefusals(clock=realm.monotonic))
    return OfflineTokenExchanger(
        issuer=realm.url,
        clients={UI: None},
        http=http or realm.http,
        verifier=await realm.loaded_verifier(),
        clock=realm.clock,
        **options,
    )


async def refusal(subject: OfflineTokenExchanger, token: str) -> str:
    with pytest.raises(Unauthenticated) as caught:
        await subject.principal_for(token)
    assert token not in caught.value.message
    return caught.value.message


async def unavailable(subject: OfflineTokenExchanger, token: str) -> str:
    with pytest.raises(Unavailable) as caught:
        await subject.principal_for(token)
    assert token not in caught.value.message
    return caught.value.message


def counted(metrics: Metrics, name: str, **labels: str) -> float:
    for family in text_string_to_metric_families(metrics.exposition().decode()):
        for sample in family.samples:
            if sample.name == name and sample.labels == labels:
                return sample.value
    return 0.0


def exchanges(metrics: Metrics, outcome: str) -> float:
    return counted(metrics, "itsm_gateway_keycloak_offline_exchanges_total", outcome=outcome)


class Grant(dict[str, Any]):
    """A scripted 200 answer to which the endpoint adds a fresh access token of the realm."""


class ScriptedKeycloak:
    """A token endpoint answering each exchange with the next scripted (status, body), and
    recording the forms it was sent."""

    def __init__(self, realm: Realm) -> None:
        self.realm = realm
        self.answers: list[tuple[int, Any]] = []
        self.forms: list[dict[str, str]] = []

    def grant(self, rotated: str | None = None, **fields: Any) -> None:
        """A 200 with an access token; ``fields`` change the answer (None removes one)."""
        answer = {"token_type": "Bearer", "expires_in": 300} | fields
        body = Grant({name: value for name, value in answer.items() if value is not None})
        if rotated is not None:
            body["refresh_token"] = rotated
        self.answers.append((200, body))

    def answer(self, status: int, body: Any) -> None:
        self.answers.append((status, body))

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.forms.append(dict(httpx.QueryParams(request.content.decode())))
        status, body = self.answers.pop(0)
        if isinstance(body, Grant):
            lifetime = body.get("expires_in")
            usable = isinstance(lifetime, int) and lifetime > 0
            body = dict(body, access_token=self.realm.mint(lifetime=lifetime if usable else 300))
        content = body if isinstance(body, bytes) else orjson.dumps(body)
        return httpx.Response(status, content=content)


@pytest.fixture
async def scripted(realm: Realm) -> AsyncIterator[tuple[ScriptedKeycloak, httpx.AsyncClient]]:
    keycloak = ScriptedKeycloak(realm)
    async with httpx.AsyncClient(transport=httpx.MockTransport(keycloak.handle)) as http:
        yield keycloak, http


# What is judged locally, before any call: the exact rule and message.


@pytest.mark.parametrize("alg", ["HS256", "HS384", "HS512"])
async def test_every_hmac_algorithm_keycloak_signs_with_is_sent_to_it(
    realm: Realm, alg: str
) -> None:
    """A realm may sign offline tokens HS256 or HS384 too: such a token is Keycloak's to judge
    (here it has no session, so Keycloak refuses it)."""
    message = await refusal(await exchanger(realm), made_up(realm, alg))
    assert message.startswith("Keycloak refused the offline token: it was revoked")
    assert realm.issuer.refresh_exchanges == 1


@pytest.mark.parametrize(("alg", "length"), [("HS256", 43), ("HS384", 64), ("HS512", 86)])
@pytest.mark.parametrize("change", [-1, +1])
async def test_a_signature_of_another_length_than_its_algorithm_gives_is_refused(
    realm: Realm, alg: str, length: int, change: int
) -> None:
    head, payload, signature = made_up(realm, alg).split(".")
    assert len(signature) == length
    resized = signature[: length + change] if change < 0 else signature + "A"
    message = await refusal(await exchanger(realm), f"{head}.{payload}.{resized}")
    assert message == (
        "the offline token is not signed as Keycloak signs offline tokens (HMAC, HS512); "
        "send the offline token Keycloak issued, unchanged"
    )
    assert realm.issuer.refresh_exchanges == 0


async def test_a_payload_that_is_not_json_is_not_a_jwt(realm: Realm) -> None:
    head, _, signature = made_up(realm).split(".")
    message = await refusal(await exchanger(realm), f"{head}.bm90IGpzb24.{signature}")
    assert message == "the offline token is not a JWT issued by Keycloak"


async def test_another_issuer_is_named(realm: Realm) -> None:
    message = await refusal(await exchanger(realm), made_up(realm, iss="https://x.example/r"))
    assert message == f"the offline token was issued by 'https://x.example/r', not by {realm.url}"


@pytest.mark.parametrize(
    "aud", [None, "https://elsewhere.example.com", "prefix-{url}", ["account"], {"{url}": 1}]
)
async def test_an_audience_other_than_the_realm_is_refused(realm: Realm, aud: Any) -> None:
    if isinstance(aud, str):
        aud = aud.replace("{url}", realm.url)
    elif isinstance(aud, dict):
        aud = {realm.url: 1}
    message = await refusal(await exchanger(realm), made_up(realm, aud=aud))
    assert (
        message
        == "the offline token's audience is not this realm, as a Keycloak offline token's is"
    )


async def test_an_audience_list_holding_the_realm_is_sent_to_keycloak(realm: Realm) -> None:
    message = await refusal(await exchanger(realm), made_up(realm, aud=["account", realm.url]))
    assert message.startswith("Keycloak refused the offline token")


async def test_exp_holds_until_the_leeway_past_it(realm: Realm) -> None:
    subject = await exchanger(realm)
    now = int(realm.clock())
    expired = made_up(realm, exp=now - EXCHANGE_LEEWAY - 1)
    assert await refusal(subject, expired) == (
        "the offline token has expired; get a new offline token"
    )
    assert realm.issuer.refresh_exchanges == 0

    at_the_edge = made_up(realm, exp=now - EXCHANGE_LEEWAY)
    assert (await refusal(subject, at_the_edge)).startswith("Keycloak refused the offline token")
    assert realm.issuer.refresh_exchanges == 1


async def test_a_client_that_is_not_text_is_named(realm: Realm) -> None:
    message = await refusal(await exchanger(realm), made_up(realm, azp=7))
    assert message.startswith("the offline token was issued to client '7', whose offline tokens")


# What the exchanger holds: how long, how many, and never a token in its repr.


async def test_the_access_token_is_renewed_exactly_at_the_renewal_point(realm: Realm) -> None:
    offline = realm.issuer.mint_offline("reader", client_id=UI)
    subject = await exchanger(realm)
    await subject.principal_for(offline)
    realm.clock.advance(300 - 30 - 1)
    await subject.principal_for(offline)
    assert realm.issuer.refresh_exchanges == 1
    realm.clock.advance(1)  # exactly lifetime less the 30 s margin
    await subject.principal_for(offline)
    assert realm.issuer.refresh_exchanges == 2


async def test_the_least_recently_used_exchange_is_forgotten_first(realm: Realm) -> None:
    a, b, c = (realm.issuer.mint_offline(name, client_id=UI) for name in ("a", "b", "c"))
    subject = await exchanger(realm, max_entries=2)
    for token in (a, b, a, c):  # using a again makes b the least recently used
        await subject.principal_for(token)
    assert realm.issuer.refresh_exchanges == 3
    await subject.principal_for(a)
    await subject.principal_for(c)
    assert realm.issuer.refresh_exchanges == 3  # both still held
    assert (await subject.principal_for(b)).username == "b"
    assert realm.issuer.refresh_exchanges == 4  # b was forgotten: exchanged again


async def test_the_exchanger_never_shows_a_token(realm: Realm) -> None:
    offline = realm.issuer.mint_offline("reader", client_id=UI)
    subject = await exchanger(realm)
    await subject.principal_for(offline)
    shown = repr(vars(subject)) + repr(list(vars(subject)["_entries"].values()))
    assert offline not in shown
    assert "eyJ" not in shown  # no access token either (every JWT starts so)


async def test_the_metrics_count_lookups_and_outcomes(realm: Realm) -> None:
    metrics = Metrics()
    subject = await exchanger(realm, metrics=metrics)
    offline = realm.issuer.mint_offline("reader", client_id=UI)
    await subject.principal_for(offline)
    await subject.principal_for(offline)
    lookups = "itsm_gateway_cache_lookups_total"
    assert counted(metrics, lookups, cache="offline_access_token", result="miss") == 1
    assert counted(metrics, lookups, cache="offline_access_token", result="hit") == 1
    assert exchanges(metrics, "ok") == 1

    made = made_up(realm)
    await refusal(subject, made)
    await refusal(subject, made)
    assert exchanges(metrics, "refused") == 1
    assert exchanges(metrics, "refused_again") == 1


async def test_pacing_is_counted(realm: Realm) -> None:
    metrics = Metrics()
    refusals = OfflineRefusals(refusals_per_minute=1, clock=realm.monotonic)
    subject = await exchanger(realm, metrics=metrics, refusals=refusals)
    await refusal(subject, made_up(realm))
    with pytest.raises(RateLimited, match="exchanges no new offline token for 60 s"):
        await subject.principal_for(made_up(realm))
    assert exchanges(metrics, "paced") == 1


# Keycloak's answers the development issuer never gives.


async def test_keycloak_down_at_exactly_the_expiry_is_unavailable(realm: Realm) -> None:
    offline = realm.issuer.mint_offline("reader", client_id=UI)
    metrics = Metrics()
    subject = await exchanger(realm, metrics=metrics)
    await subject.principal_for(offline)
    await realm.stop()
    realm.clock.advance(300)  # the access token's expiry, still within the verifier's leeway
    message = await unavailable(subject, offline)
    assert message.startswith(f"Keycloak at {realm.url} is unreachable (ConnectError)")
    assert exchanges(metrics, "unavailable") == 1


@pytest.mark.parametrize(
    ("status", "body", "said"),
    [
        (500, {"error": "unknown_error"}, "unknown_error: "),
        (503, {"error": "x", "error_description": "busy"}, "x: busy"),
        (502, b"<html>Bad gateway</html>", "HTTP 502"),
        (400, ["not", "an", "object"], "HTTP 400"),
        (200, {"token_type": "Bearer"}, "HTTP 200"),  # no access token in it
    ],
    ids=["500", "503", "not-json", "not-an-object", "200-without-token"],
)
async def test_a_failed_exchange_is_unavailable_saying_what_keycloak_said(
    realm: Realm,
    scripted: tuple[ScriptedKeycloak, httpx.AsyncClient],
    status: int,
    body: Any,
    said: str,
) -> None:
    keycloak, http = scripted
    keycloak.answer(status, body)
    metrics = Metrics()
    subject = await exchanger(realm, http, metrics=metrics)
    message = await unavailable(subject, realm.issuer.mint_offline("reader", client_id=UI))
    assert message == f"Keycloak at {realm.url} failed to exchange the offline token ({said})"
    assert exchanges(metrics, "unavailable") == 1


@pytest.mark.parametrize("status", [400, 401, 499])
async def test_an_oauth_error_below_500_is_the_gateways_own_misconfiguration(
    realm: Realm, scripted: tuple[ScriptedKeycloak, httpx.AsyncClient], status: int
) -> None:
    keycloak, http = scripted
    keycloak.answer(status, {"error": "invalid_client", "error_description": "no such client"})
    metrics = Metrics()
    subject = await exchanger(realm, http, metrics=metrics)
    message = await unavailable(subject, realm.issuer.mint_offline("reader", client_id=UI))
    assert message == (
        f"Keycloak refused the gateway's exchange as client {UI} "
        "(invalid_client: no such client); the operators must check the client's settings"
    )
    assert exchanges(metrics, "misconfigured") == 1


async def test_keycloaks_words_are_cut_at_200_characters(
    realm: Realm, scripted: tuple[ScriptedKeycloak, httpx.AsyncClient]
) -> None:
    keycloak, http = scripted
    keycloak.answer(400, {"error": "invalid_grant", "error_description": "d" * 300})
    message = await refusal(await exchanger(realm, http), made_up(realm))
    said = f"invalid_grant: {'d' * 300}"[:200]
    assert message == (
        "Keycloak refused the offline token: it was revoked, has expired or was already used "
        f"({said}); get a new offline token"
    )


async def test_a_refusal_without_description_is_quoted_as_is(
    realm: Realm, scripted: tuple[ScriptedKeycloak, httpx.AsyncClient]
) -> None:
    keycloak, http = scripted
    keycloak.answer(400, {"error": "invalid_grant"})
    message = await refusal(await exchanger(realm, http), made_up(realm))
    assert "(invalid_grant: ); get a new offline token" in message


async def test_the_exchange_form_names_the_grant_token_and_client(
    realm: Realm, scripted: tuple[ScriptedKeycloak, httpx.AsyncClient]
) -> None:
    keycloak, http = scripted
    keycloak.grant()
    offline = realm.issuer.mint_offline("reader", client_id=UI)
    await (await exchanger(realm, http)).principal_for(offline)
    assert keycloak.forms == [
        {"grant_type": "refresh_token", "refresh_token": offline, "client_id": UI}
    ]


async def test_an_empty_rotated_token_keeps_the_one_in_use(
    realm: Realm, scripted: tuple[ScriptedKeycloak, httpx.AsyncClient]
) -> None:
    keycloak, http = scripted
    keycloak.grant(rotated="")
    keycloak.grant(rotated="rotated-offline-token")
    keycloak.grant()
    offline = realm.issuer.mint_offline("reader", client_id=UI)
    subject = await exchanger(realm, http)
    for _ in range(3):
        await subject.principal_for(offline)
        realm.clock.advance(300)
    sent = [form["refresh_token"] for form in keycloak.forms]
    assert sent == [offline, offline, "rotated-offline-token"]


@pytest.mark.parametrize(
    ("expires_in", "reused_for"),
    [
        (None, 30),  # no expires_in: 60 s assumed, renewed 30 s before
        (0, 30),  # not a lifetime: as if absent
        (-5, 30),
        ("300", 30),
        (20, 10),  # short-lived: renewed at half its life
        (1, 0.5),
    ],
)
async def test_the_access_token_is_reused_for_its_lifetime_less_the_margin(
    realm: Realm,
    scripted: tuple[ScriptedKeycloak, httpx.AsyncClient],
    expires_in: Any,
    reused_for: float,
) -> None:
    keycloak, http = scripted
    keycloak.grant(expires_in=expires_in)
    keycloak.grant()
    offline = realm.issuer.mint_offline("reader", client_id=UI)
    subject = await exchanger(realm, http)
    await subject.principal_for(offline)
    realm.clock.advance(reused_for - 0.25)
    await subject.principal_for(offline)
    assert len(keycloak.forms) == 1
    realm.clock.advance(0.25)
    await subject.principal_for(offline)
    assert len(keycloak.forms) == 2
