"""ServiceNow's own Python client (PySNC) holds the emulator to account.

PySNC drives the emulator through its GlideRecord API as it would a real instance: encoded
queries built with ``add_query`` (each operator), ``add_or_condition`` and
``add_encoded_query``, row counts, paging in batches, the display modes, insert, update, delete
and the errors a client meets. Each test asserts the rows PySNC sees.

PySNC accepts only ``https://`` instances, so the emulator is served here over TLS on loopback
with a certificate made for the test. PySNC is synchronous (``requests``): its calls run in a
thread (``asyncio.to_thread``) while the emulator answers on the test's event loop.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
import ssl
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest
from aiohttp import web
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from emulators.servicenow import EmulatorState, create_app, seed
from tests.emulators.conftest import BASIC, FakeClock

# A dev dependency (pip install -e '.[dev]'). It ships no type information: its names are Any.
pysnc = pytest.importorskip("pysnc")
errors = pytest.importorskip("pysnc.exceptions")

T = TypeVar("T")


@dataclass
class Served:
    url: str
    state: EmulatorState
    cert: Path

    def client(self, auth: tuple[str, str] = BASIC) -> Any:
        return pysnc.ServiceNowClient(self.url, auth, verify=str(self.cert))


def _self_signed(directory: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "emulator.pem", directory / "emulator.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


@pytest.fixture
async def served(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Served]:
    # requests reads proxies and CA bundles from the environment: keep it on loopback and on
    # this test's certificate.
    for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "HTTPS_PROXY", "https_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    cert, key = _self_signed(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    state = EmulatorState(clock=FakeClock())
    runner = web.AppRunner(create_app(state), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=context)
    await site.start()
    try:
        yield Served(f"https://127.0.0.1:{runner.addresses[0][1]}", state, cert)
    finally:
        await runner.cleanup()


async def _run(call: Callable[[], T]) -> T:
    return await asyncio.to_thread(call)


def _numbers(served: Served, build: Callable[[Any], None], batch_size: int = 500) -> list[str]:
    """The incident numbers PySNC reads for a query ``build`` adds to a GlideRecord."""
    gr = served.client().GlideRecord("incident", batch_size=batch_size)
    build(gr)
    gr.order_by("number")
    gr.query()
    return [record.get_value("number") for record in gr]


# Seed incidents (number: state, urgency, short description): 0001 New 2 "Cannot send email
# from Outlook", 0002 In Progress 1 "Wi-Fi drops...", 0003 In Progress 1 "Orders database...",
# 0004 Resolved 3 "Laptop disk failing...", 0005 Closed 2 (inactive) "VPN client ... every
# hour", 0006 On Hold 3, 0007 custom state 10, urgency 3; unassigned: 0001 and 0007.
@pytest.mark.parametrize(
    ("operator", "column", "value", "expected"),
    [
        ("=", "state", "2", ["2", "3"]),
        ("!=", "state", "2", ["1", "4", "5", "6", "7"]),
        (">", "urgency", "2", ["4", "6", "7"]),
        (">=", "urgency", "2", ["1", "4", "5", "6", "7"]),
        ("<", "urgency", "2", ["2", "3"]),
        ("<=", "urgency", "2", ["1", "2", "3", "5"]),
        ("IN", "state", "6,7", ["4", "5"]),
        ("NOT IN", "state", "1,2,3", ["4", "5", "7"]),
        ("STARTSWITH", "short_description", "wi-fi", ["2"]),
        ("ENDSWITH", "short_description", "hour", ["5"]),
        ("CONTAINS", "short_description", "disk", ["4"]),
        ("DOES NOT CONTAIN", "short_description", "disk", ["1", "2", "3", "5", "6", "7"]),
        ("LIKE", "short_description", "database", ["3"]),
        ("NOT LIKE", "short_description", "e", []),
        ("BETWEEN", "sys_created_on", "2026-03-04 00:00:00@2026-03-06 23:59:59", ["2", "6", "7"]),
    ],
)
async def test_add_query_with_each_operator(
    served: Served, operator: str, column: str, value: str, expected: list[str]
) -> None:
    numbers = await _run(lambda: _numbers(served, lambda gr: gr.add_query(column, operator, value)))
    assert [n[-1] for n in numbers] == expected


async def test_null_and_not_null_queries(served: Served) -> None:
    empty = await _run(lambda: _numbers(served, lambda gr: gr.add_null_query("assigned_to")))
    assigned = await _run(lambda: _numbers(served, lambda gr: gr.add_not_null_query("assigned_to")))
    assert [n[-1] for n in empty] == ["1", "7"]
    assert [n[-1] for n in assigned] == ["2", "3", "4", "5", "6"]


async def test_or_condition_and_encoded_query(served: Served) -> None:
    def build(gr: Any) -> None:
        gr.add_query("state", "1").add_or_condition("state", "6")
        gr.add_encoded_query("urgency=3")

    assert await _run(lambda: _numbers(served, build)) == ["INC0010004"]

    def new_query(gr: Any) -> None:
        gr.add_encoded_query("state=1^NQstate=7^ORDERBYDESCnumber")

    # The query's own ORDERBYDESC comes before the ORDERBYnumber _numbers adds: it leads.
    assert await _run(lambda: _numbers(served, new_query)) == ["INC0010005", "INC0010001"]


async def test_row_count_and_paging_in_small_batches(served: Served) -> None:
    def read() -> tuple[int, list[str]]:
        gr = served.client().GlideRecord("incident", batch_size=2)
        gr.add_active_query()
        gr.order_by("number")
        gr.query()
        count = gr.get_row_count()
        return count, [record.get_value("number") for record in gr]

    count, numbers = await _run(read)
    assert count == 6
    assert numbers == [f"INC001000{n}" for n in (1, 2, 3, 4, 6, 7)]


async def test_display_values_all_and_true(served: Served) -> None:
    def read(mode: Any) -> tuple[Any, Any, Any]:
        gr = served.client().GlideRecord("incident")
        gr.display_value = mode
        assert gr.get(seed.INC_RESOLVED[1])
        return gr.get_value("state"), gr.get_display_value("state"), gr.get_value("assigned_to")

    value, label, assigned = await _run(lambda: read("all"))
    assert (value, label, assigned) == ("6", "Resolved", seed.BETH_ANGLIN)
    value, label, assigned = await _run(lambda: read(True))
    assert (value, label, assigned) == ("Resolved", "Resolved", "Beth Anglin")


async def test_insert_update_delete(served: Served) -> None:
    def insert() -> str:
        gr = served.client().GlideRecord("incident")
        gr.initialize()
        gr.short_description = "Printer on fire"
        gr.urgency = "1"
        return str(gr.insert())

    sys_id = await _run(insert)
    stored = served.state.get("incident", sys_id)
    assert stored is not None and stored["short_description"] == "Printer on fire"
    assert stored["number"] == seed.NEXT_NUMBER
    assert [r for r in served.state.rows("task_sla") if r["task"] == sys_id]

    def update() -> tuple[str, str]:
        gr = served.client().GlideRecord("incident")
        assert gr.get(sys_id)
        gr.short_description = "Printer extinguished"
        gr.update()
        again = served.client().GlideRecord("incident")
        assert again.get(sys_id)
        return again.get_value("short_description"), again.get_value("sys_mod_count")

    assert await _run(update) == ("Printer extinguished", "1")

    def delete() -> bool:
        gr = served.client().GlideRecord("incident")
        assert gr.get(sys_id)
        deleted: bool = gr.delete()
        return deleted and not served.client().GlideRecord("incident").get(sys_id)

    assert await _run(delete)
    assert served.state.get("incident", sys_id) is None
    assert [r for r in served.state.rows("task_sla") if r["task"] == sys_id] == []


async def test_errors_a_client_meets(served: Served) -> None:
    def unknown_table() -> None:
        served.client().GlideRecord("incidnet").query()

    with pytest.raises(errors.RequestException, match="Invalid table"):
        await _run(unknown_table)

    def bad_credentials() -> None:
        served.client(("gateway.integration", "wrong")).GlideRecord("incident").query()

    with pytest.raises(errors.AuthenticationException):
        await _run(bad_credentials)

    def missing() -> bool:
        found: bool = served.client().GlideRecord("incident").get("0" * 32)
        return found

    assert await _run(missing) is False

    def delete_missing() -> None:
        gr = served.client().GlideRecord("incident")
        assert gr.get(seed.INC_NEW[1])
        served.state.delete("incident", seed.INC_NEW[1])
        gr.delete()

    with pytest.raises(errors.NotFoundException):
        await _run(delete_missing)

    def unknown_operator() -> None:
        gr = served.client().GlideRecord("incident")
        gr.add_query("state", "SAMEAS", "urgency")
        gr.query()

    with pytest.raises(errors.RequestException, match="Invalid query"):
        await _run(unknown_operator)


async def test_stored_values_chosen_fields_and_get_by_column(served: Served) -> None:
    def read() -> tuple[list[str], Any, Any, int]:
        gr = served.client().GlideRecord("incident")
        gr.display_value = False
        gr.fields = "number,state"
        assert gr.get("number", seed.INC_ON_HOLD[0])
        return sorted(gr.fields), gr.get_value("state"), gr.get_value("short_description"), len(gr)

    fields, state, absent, count = await _run(read)
    assert fields == ["number", "state", "sys_id"]  # PySNC adds sys_id itself
    assert (state, absent, count) == ("3", None, 1)


async def test_limit_below_the_batch_size(served: Served) -> None:
    def read() -> tuple[int, list[str]]:
        gr = served.client().GlideRecord("incident", batch_size=5)
        gr.limit = 3
        gr.order_by_desc("number")
        gr.query()
        return gr.get_row_count(), [record.get_value("number") for record in gr]

    count, numbers = await _run(read)
    assert count == 7  # X-Total-Count: every match, not the page
    assert numbers == ["INC0010007", "INC0010006", "INC0010005"]


async def test_a_reference_written_by_name_is_stored_as_given(served: Served) -> None:
    """PySNC sends values as actual values (no ``sysparm_input_display_value``): a name in a
    reference is stored as it is, a broken reference, as on an instance."""

    def insert() -> tuple[str, Any, Any]:
        gr = served.client().GlideRecord("incident")
        gr.initialize()
        gr.short_description = "Assigned by name"
        gr.assigned_to = "Beth Anglin"
        gr.caller_id = seed.FRED_LUDDY
        sys_id = str(gr.insert())
        again = served.client().GlideRecord("incident")
        assert again.get(sys_id)
        return sys_id, again.get_value("assigned_to"), again.get_display_value("caller_id")

    sys_id, assigned, caller = await _run(insert)
    assert (assigned, caller) == ("Beth Anglin", "Fred Luddy")
    stored = served.state.get("incident", sys_id)
    assert stored is not None and stored["assigned_to"] == "Beth Anglin"


async def test_looking_people_up_as_a_client_does(served: Served) -> None:
    def active_named(name: str) -> list[str]:
        gr = served.client().GlideRecord("sys_user")
        gr.add_query("name", name)
        gr.add_active_query()
        gr.order_by("user_name")
        gr.query()
        return [record.get_value("user_name") for record in gr]

    assert await _run(lambda: active_named("alex chen")) == ["alex.chen", "alex.chen2"]
    assert await _run(lambda: active_named("Carol Former")) == []

    def either(value: str) -> int:
        gr = served.client().GlideRecord("sys_user")
        condition = gr.add_query("user_name", value)
        condition.add_or_condition("email", value)
        condition.add_or_condition("name", value)
        gr.add_active_query()
        gr.query()
        count: int = gr.get_row_count()
        return count

    assert await _run(lambda: either("alex.chen2@example.com")) == 1
    assert await _run(lambda: either("Alex Chen")) == 2


async def test_a_refused_lookup_table_as_a_client_meets_it(served: Served) -> None:
    served.state.faults.lookups_forbidden = True

    def read_users() -> None:
        served.client().GlideRecord("sys_user").query()

    with pytest.raises(errors.RoleException, match="Insufficient rights"):
        await _run(read_users)
