"""The ITSM transport (``gateway.outbound``) checks addresses again when it connects: refused
URLs never reach a socket, DNS rebinding between the check and the connection is caught, the
connection goes to the checked address, and TLS still verifies the host name."""

from __future__ import annotations

import asyncio
import datetime
import ssl
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from connectors.errors import BadInput, GatewayError
from connectors.registry import ConnectorRegistry
from connectors.servicenow.connector import ServiceNowConnectorFactory
from gateway.outbound import AddressRefused, GuardedTransport
from resolvers.connections import ConnectionDetails, ConnectionResolver
from resolvers.tickets import CallContext, TicketService
from resolvers.url_policy import UrlPolicy
from tests.resolvers.test_ssrf import FakeDns

OK = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"


class CountingServer:
    """A TCP server on 127.0.0.1 that counts connections and answers every one with ``OK``."""

    def __init__(self) -> None:
        self.connections = 0
        self.port = 0

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            await reader.readuntil(b"\r\n\r\n")
            writer.write(OK)
            await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    @asynccontextmanager
    async def running(self, ssl_context: ssl.SSLContext | None = None) -> AsyncIterator[None]:
        server = await asyncio.start_server(self._handle, "127.0.0.1", 0, ssl=ssl_context)
        self.port = server.sockets[0].getsockname()[1]
        async with server:
            yield


@pytest.fixture
async def server() -> AsyncIterator[CountingServer]:
    counting = CountingServer()
    async with counting.running():
        yield counting


def service(
    policy: UrlPolicy, request_dns: FakeDns, connect_dns: FakeDns
) -> tuple[TicketService, httpx.AsyncClient]:
    http = httpx.AsyncClient(
        transport=GuardedTransport(policy, resolve=connect_dns), follow_redirects=False
    )
    registry = ConnectorRegistry([ServiceNowConnectorFactory(http)])
    resolver = ConnectionResolver(policy, registry.itsm_types, resolve_host=request_dns)
    return TicketService(registry, resolver), http


async def fetch(tickets: TicketService, url: str) -> None:
    await tickets.fetch(
        number="INC0010001",
        connection=ConnectionDetails(
            itsm_type="servicenow",
            instance_url=url,
            auth_type="basic",
            username="u",
            password="not-in-any-message",
        ),
        fields=["ticketNumber"],
        zone=None,
        context=CallContext(),
    )


LOOPBACK = FakeDns({name: ["127.0.0.1"] for name in ("evil.example", "good.example")})
HOSTILE = [
    "http://127.0.0.1:{port}",
    "http://127.1:{port}",
    "http://2130706433:{port}",
    "http://0x7f.0.0.1:{port}",
    "http://0177.0.0.1:{port}",
    "http://[::ffff:127.0.0.1]:{port}",
    "http://localhost:{port}",
    "http://localhost.:{port}",
    "http://evil.example:{port}",
    "http://user:pw@evil.example:{port}",
    "http://evil.example:{port}/api/now/table/incident",
    "gopher://evil.example:{port}/_",
]


@pytest.mark.parametrize("template", HOSTILE)
async def test_refused_urls_make_no_connection(server: CountingServer, template: str) -> None:
    tickets, http = service(UrlPolicy.from_text("http://*:*"), LOOPBACK, LOOPBACK)
    async with http:
        with pytest.raises(BadInput):
            await fetch(tickets, template.format(port=server.port))
    assert server.connections == 0


async def test_the_control_connects(server: CountingServer) -> None:
    policy = UrlPolicy.from_text("http://127.0.0.1:*,http://good.example:*")
    tickets, http = service(policy, LOOPBACK, LOOPBACK)
    async with http:
        for url in (f"http://127.0.0.1:{server.port}", f"http://good.example:{server.port}"):
            with pytest.raises(GatewayError):  # the fake answers {} rather than a record
                await fetch(tickets, url)
    assert server.connections == 2


async def test_dns_rebinding_is_caught_when_connecting(server: CountingServer) -> None:
    public_then = FakeDns({"rebind.example": ["93.184.216.34"]})
    loopback_now = FakeDns({"rebind.example": ["127.0.0.1"]})
    tickets, http = service(UrlPolicy.from_text("http://*:*"), public_then, loopback_now)
    async with http:
        with pytest.raises(AddressRefused) as error:
            await fetch(tickets, f"http://rebind.example:{server.port}")
    assert error.value.status == 400
    assert "rebind.example" in error.value.message
    assert "resolved to a loopback address when the connection was opened" in error.value.message
    assert "127.0.0.1" not in error.value.message
    assert server.connections == 0
    assert public_then.asked and loopback_now.asked


async def test_any_internal_address_refuses_the_host(server: CountingServer) -> None:
    dns = FakeDns({"mixed.example": ["93.184.216.34", "127.0.0.1"]})
    async with httpx.AsyncClient(
        transport=GuardedTransport(UrlPolicy.from_text("http://*:*"), resolve=dns)
    ) as http:
        with pytest.raises(AddressRefused, match=r"mixed\.example"):
            await http.get(f"http://mixed.example:{server.port}/")
    assert server.connections == 0


async def test_origins_no_pattern_allows_are_refused_below_the_url_check(
    server: CountingServer,
) -> None:
    transport = GuardedTransport(UrlPolicy.from_text("https://*.service-now.com"), resolve=LOOPBACK)
    async with httpx.AsyncClient(transport=transport) as http:
        for url in (f"http://127.0.0.1:{server.port}/", f"http://good.example:{server.port}/"):
            with pytest.raises(AddressRefused, match="ITSM_GATEWAY_ITSM_ALLOWED_URLS"):
                await http.get(url)
    assert server.connections == 0


async def test_the_connection_goes_to_the_checked_address_in_turn(server: CountingServer) -> None:
    # 127.0.0.2 is loopback too, but nothing listens there: the next address is tried. The name
    # exists only in the fake DNS, so the answer proves the socket went to the checked address.
    dns = FakeDns({"multi.example": ["127.0.0.2", "127.0.0.1"]})
    policy = UrlPolicy.from_text("http://multi.example:*")
    async with httpx.AsyncClient(transport=GuardedTransport(policy, resolve=dns)) as http:
        response = await http.get(f"http://multi.example:{server.port}/")
    assert response.status_code == 200
    assert dns.asked == [("multi.example", server.port)]
    assert server.connections == 1


async def test_a_name_that_does_not_resolve_is_a_connect_error() -> None:
    transport = GuardedTransport(UrlPolicy.from_text("http://*:*"), resolve=FakeDns({}))
    async with httpx.AsyncClient(transport=transport) as http:
        with pytest.raises(httpx.ConnectError, match="DNS"):
            await http.get("http://nowhere.example/")


async def test_an_internal_ip_literal_is_refused_without_dns(server: CountingServer) -> None:
    dns = FakeDns({})
    transport = GuardedTransport(UrlPolicy.from_text("http://*:*"), resolve=dns)
    async with httpx.AsyncClient(transport=transport) as http:
        with pytest.raises(AddressRefused, match="loopback"):
            await http.get(f"http://127.0.0.1:{server.port}/")
    assert server.connections == 0
    assert dns.asked == []


def certificate_for(name: str, directory: Path) -> tuple[Path, Path]:
    """A self-signed certificate for ``name`` (also its CA), as PEM files."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = directory / f"{name}.pem", directory / f"{name}.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


@pytest.mark.parametrize(("served", "verified"), [("itsm.test", True), ("other.test", False)])
async def test_tls_uses_the_host_name_while_connecting_to_the_address(
    tmp_path: Path, served: str, verified: bool
) -> None:
    cert_file, key_file = certificate_for(served, tmp_path)
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_context.load_cert_chain(cert_file, key_file)
    names: list[str | None] = []
    server_context.sni_callback = lambda _sock, name, _ctx: names.append(name)
    client_context = ssl.create_default_context(cafile=str(cert_file))

    counting = CountingServer()
    dns = FakeDns({"itsm.test": ["127.0.0.1"]})
    transport = GuardedTransport(
        UrlPolicy.from_text("https://itsm.test:*"), resolve=dns, verify=client_context
    )
    async with counting.running(server_context), httpx.AsyncClient(transport=transport) as http:
        url = f"https://itsm.test:{counting.port}/"
        if verified:
            assert (await http.get(url)).status_code == 200
        else:
            with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
                await http.get(url)
    assert names == ["itsm.test"]  # SNI: the name, though the socket went to 127.0.0.1
    assert dns.asked == [("itsm.test", counting.port)]
