"""The shared probe vocabulary (``connectors.probe``), the registry's ``prober`` and the catalog:
how ``check-connection`` finds a connector's probe without naming a vendor."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping

import httpx
import pytest

from connectors.capabilities import Capabilities
from connectors.catalog import connector_factories, itsm_types
from connectors.connection import Connection
from connectors.errors import BadInput, ItsmTimeout, Unavailable
from connectors.port import Connector, ProbingFactory
from connectors.probe import AnswerLog, Check, CheckVerdict, Exchange, instance_failure
from connectors.registry import ConnectorRegistry


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as client:
        yield client


class _NoProbe:
    """A connector factory that offers no probe."""

    itsm_type = "other"
    default_table = "record"
    capabilities = Capabilities(
        itsm_type="other", name="Other", operations=frozenset(), readable={}, writable={}
    )

    def open(
        self, connection: Connection, *, extra_headers: Mapping[str, str] | None = None
    ) -> Connector:
        raise NotImplementedError

    async def aclose(self) -> None:
        return None


async def test_every_shipped_connector_offers_its_probe(http: httpx.AsyncClient) -> None:
    registry = ConnectorRegistry(connector_factories(http))

    assert registry.itsm_types == itsm_types() == ("jira", "rt", "servicenow")
    for itsm_type in itsm_types():
        prober = registry.prober(itsm_type.upper())  # the type is matched as the registry does
        assert isinstance(prober, ProbingFactory)
        assert prober.itsm_type == itsm_type
        names = prober.check_names(None)
        assert names[:2] == ("instance", "authentication")
        assert "time zone" in names and names[-1] == "writes"


async def test_a_type_without_a_probe_is_refused_naming_those_that_have_one(
    http: httpx.AsyncClient,
) -> None:
    registry = ConnectorRegistry([*connector_factories(http), _NoProbe()])

    with pytest.raises(BadInput) as refused:
        registry.prober("other")

    assert refused.value.message == (
        "cannot check a connection of type 'other'; use one of: jira, rt, servicenow"
    )
    with pytest.raises(BadInput):
        registry.prober("nope")


def test_a_warning_is_a_non_blocking_refusal_or_failure() -> None:
    def check(verdict: CheckVerdict, *, blocking: bool = False) -> Check:
        return Check("x", verdict, "m", blocking=blocking)

    assert check(CheckVerdict.REFUSED).warning
    assert check(CheckVerdict.FAILED).warning
    assert not check(CheckVerdict.UNKNOWN).warning  # cannot tell: shown, not a warning
    assert not check(CheckVerdict.SKIPPED).warning
    assert not check(CheckVerdict.REFUSED, blocking=True).warning
    assert not check(CheckVerdict.REFUSED, blocking=True).usable
    assert check(CheckVerdict.UNKNOWN, blocking=True).usable is False
    assert check(CheckVerdict.OK, blocking=True).usable


async def test_the_answer_log_remembers_the_last_exchange() -> None:
    def app(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth_token.do":
            return httpx.Response(401, json={"error": "invalid_client"})
        return httpx.Response(200, text="<html>login</html>")

    log = AnswerLog(httpx.MockTransport(app), token_path="/oauth_token.do")
    async with httpx.AsyncClient(transport=log) as client:
        await client.post("https://x.example/oauth_token.do")
        assert log.last == Exchange(token=True, status=401, json=True)
        page = await client.get("https://x.example/api/now/table/incident")
        assert log.last == Exchange(token=False, status=200, json=False)
        assert page.text == "<html>login</html>"  # the body is still there for the client


@pytest.mark.parametrize(
    ("error", "seen", "verdict_message"),
    [
        (ItsmTimeout("slow"), None, "no answer in time"),
        (Unavailable("down"), Exchange(token=False), "unreachable: could not connect to h"),
        (Unavailable("?"), Exchange(token=False, status=200, json=False), "answered 200 with a"),
        (Unavailable("?"), Exchange(token=False, status=503, json=True), "V is failing"),
        (Unavailable("?"), Exchange(token=False, status=302, json=True), "answered 302, a redi"),
    ],
)
def test_an_instance_that_gives_no_usable_answer_fails_the_instance_check(
    error: Exception, seen: Exchange | None, verdict_message: str
) -> None:
    check = instance_failure(error, seen, vendor="V", host="h", login_advice="log in")

    assert check is not None
    assert (check.name, check.verdict, check.blocking) == ("instance", CheckVerdict.FAILED, True)
    assert check.message.startswith(verdict_message)


def test_an_answer_in_json_is_for_the_step_to_judge() -> None:
    seen = Exchange(token=False, status=403, json=True)

    assert instance_failure(Unavailable("?"), seen, vendor="V", host="h", login_advice="") is None
    # A 401 that is not JSON is still the credentials' (RT and Jira may answer one as text).
    seen = Exchange(token=False, status=401, json=False)
    assert instance_failure(Unavailable("?"), seen, vendor="V", host="h", login_advice="") is None
