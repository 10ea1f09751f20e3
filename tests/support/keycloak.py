"""A real Keycloak for tests: fetched once into the user cache, started per run from a fresh copy,
and driven through its admin and OIDC APIs.

The gateway must see Keycloak through a :class:`~tests.support.tcp_proxy.TcpProxy`, so that tests
can make it unreachable while it keeps running. Keycloak is therefore started with ``--hostname``
naming the *proxy's* port: every token's ``iss`` and every URL in the discovery document is the
proxy's, whichever port the request came in on. The helpers here talk to Keycloak's own port, so
they keep working while the proxy is cut.

What the realm needs is in ``docs/security.md`` ("What the SmartOps realm needs").
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import secrets
import shutil
import signal
import socket
import subprocess
import tarfile
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx

from tests.support.tcp_proxy import TcpProxy

KEYCLOAK_VERSION = "26.7.3"
REALM = "smartops"
HOST = "127.0.0.1"
# Keycloak 26.x runs on 17 (deprecated), 21 and 25; prefer 25 where the machine has it.
PREFERRED_JAVA_HOME = Path("/usr/lib/jvm/temurin-25-jdk-amd64")
READY_TIMEOUT = 180.0
STOP_TIMEOUT = 30.0
DOWNLOAD_TIMEOUT = 30 * 60.0


class KeycloakUnavailable(Exception):
    """Keycloak cannot be had on this machine (no Java, no Maven, download failed)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class KeycloakFailed(Exception):
    """Keycloak was there but did not start; the message carries the tail of its log."""


class TokenRefused(Exception):
    """The token or revocation endpoint answered something other than 200."""

    def __init__(self, status_code: int, body: dict[str, Any]) -> None:
        self.status_code = status_code
        self.error = str(body.get("error", ""))
        self.description = str(body.get("error_description", ""))
        super().__init__(f"{status_code} {self.error}: {self.description}")


# -- the distribution ------------------------------------------------------------------------


def keycloak_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "itsm-gateway" / "keycloak"


def java_home() -> Path | None:
    """The JDK to run Keycloak with, or None when there is none."""
    if (PREFERRED_JAVA_HOME / "bin" / "java").is_file():
        return PREFERRED_JAVA_HOME
    if java := shutil.which("java"):
        return Path(java).resolve().parent.parent
    return None


def keycloak_distribution(version: str = KEYCLOAK_VERSION) -> Path:
    """The unpacked distribution in the cache, downloaded with Maven and unpacked when missing.

    Both the tarball and the unpacked folder appear under their final names only once complete
    (written under temporary names, then renamed), so an interrupted run is never mistaken for a
    good one. A file lock keeps parallel test processes from downloading twice.
    """
    cache = keycloak_cache_dir()
    home = cache / f"keycloak-{version}"
    tarball = cache / f"keycloak-quarkus-dist-{version}.tar.gz"
    missing = []
    if java_home() is None:
        missing.append("Java 17+ (no `java` on PATH)")
    if not _is_distribution(home) and not tarball.is_file() and shutil.which("mvn") is None:
        missing.append("Maven (no `mvn` on PATH)")
    if missing:
        raise KeycloakUnavailable("Keycloak tests need " + " and ".join(missing))
    cache.mkdir(parents=True, exist_ok=True)
    with _locked(cache / ".lock"):
        if _is_distribution(home):
            return home
        if not tarball.is_file():
            _download(version, tarball)
        with tempfile.TemporaryDirectory(dir=cache, prefix=".unpack-") as scratch:
            with tarfile.open(tarball) as archive:
                archive.extractall(scratch, filter="data")
            os.replace(Path(scratch) / home.name, home)
    return home


def _is_distribution(home: Path) -> bool:
    return (home / "bin" / "kc.sh").is_file() and (home / "lib").is_dir()


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _download(version: str, tarball: Path) -> None:
    with tempfile.TemporaryDirectory(dir=tarball.parent, prefix=".download-") as scratch:
        command = [
            "mvn", "-B", "-q", "-ntp",
            "org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy",
            f"-Dartifact=org.keycloak:keycloak-quarkus-dist:{version}:tar.gz",
            f"-DoutputDirectory={scratch}",
        ]  # fmt: skip
        try:
            done = subprocess.run(  # noqa: S603 (fixed argv, no shell)
                command, capture_output=True, text=True, timeout=DOWNLOAD_TIMEOUT, check=False
            )
        except subprocess.TimeoutExpired as exc:
            raise KeycloakUnavailable(
                f"downloading Keycloak {version} with Maven timed out"
            ) from exc
        fetched = Path(scratch) / tarball.name
        if done.returncode != 0 or not fetched.is_file():
            tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-10:])
            raise KeycloakUnavailable(f"could not download Keycloak {version} with Maven:\n{tail}")
        os.replace(fetched, tarball)


# -- the server ------------------------------------------------------------------------------


def free_port() -> int:
    """A port the OS considers free right now (another process could still take it)."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


class KeycloakServer:
    """One ``kc.sh start-dev`` with an in-memory database, run from a copy of the distribution.

    The copy (made in ``workdir``, removed on stop) gets only the given realm in ``data/import``,
    so no import or dev data from an earlier run can leak in. The log stays in
    ``workdir/keycloak.log``.
    """

    def __init__(
        self,
        distribution: Path,
        realm_file: Path,
        workdir: Path,
        *,
        http_port: int,
        public_port: int,
    ) -> None:
        self.distribution = distribution
        self.realm_file = realm_file
        self.workdir = workdir
        self.public_port = public_port
        self.http_port = http_port
        self.admin_password = secrets.token_urlsafe(16)
        self.log_path = workdir / "keycloak.log"
        self.ready_seconds: float | None = None
        self._prepared_at = 0.0
        self._home = workdir / distribution.name
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def direct_url(self) -> str:
        return f"http://{HOST}:{self.http_port}"

    @property
    def public_url(self) -> str:
        return f"http://{HOST}:{self.public_port}"

    @property
    def issuer(self) -> str:
        return f"{self.public_url}/realms/{REALM}"

    async def start(self) -> None:
        await asyncio.to_thread(self._prepare_home)
        env = {
            **os.environ,
            "KC_BOOTSTRAP_ADMIN_USERNAME": "admin",
            "KC_BOOTSTRAP_ADMIN_PASSWORD": self.admin_password,
            "JAVA_OPTS_KC_HEAP": "-Xms256m -Xmx768m",
        }
        if (home := java_home()) is not None:
            env["JAVA_HOME"] = str(home)
        command = [
            str(self._home / "bin" / "kc.sh"), "start-dev",
            "--db=dev-mem",
            f"--http-host={HOST}",
            f"--http-port={self.http_port}",
            f"--hostname={self.public_url}",
            "--import-realm",
        ]  # fmt: skip
        started = time.monotonic()
        with self.log_path.open("wb") as log:
            self._process = subprocess.Popen(  # noqa: S603, ASYNC220 (returns at once)
                command,
                cwd=self.workdir,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        await self._wait_until_ready()
        self.ready_seconds = time.monotonic() - started
        await asyncio.to_thread(self._keep_dev_build)

    # ``start-dev`` first re-augments the Quarkus application for its options (about half of the
    # start-up time), writing only ``lib/quarkus/``. That folder is kept in the cache after a run
    # that rebuilt it and laid over the next copy; Keycloak checks the build against its options
    # on every start and rebuilds when they differ, so a stale one costs time, never correctness.

    @property
    def _dev_build(self) -> Path:
        return self.distribution.parent / f"{self.distribution.name}-dev-build"

    def _prepare_home(self) -> None:
        # data/ is never copied: a distribution someone started in place would carry its H2
        # files, imports and transaction logs.
        shutil.copytree(
            self.distribution,
            self._home,
            symlinks=True,
            ignore=lambda folder, _: ["data"] if Path(folder) == self.distribution else [],
        )
        with _locked(self.distribution.parent / ".lock"):
            if self._dev_build.is_dir():
                shutil.rmtree(self._home / "lib" / "quarkus")
                shutil.copytree(self._dev_build, self._home / "lib" / "quarkus")
        self._prepared_at = time.time()
        imports = self._home / "data" / "import"
        imports.mkdir(parents=True)
        shutil.copy(self.realm_file, imports / f"{REALM}-realm.json")

    def _keep_dev_build(self) -> None:
        built = self._home / "lib" / "quarkus"
        # copytree keeps modification times, so only a rebuild makes these newer than the copy.
        if max(f.stat().st_mtime for f in built.iterdir()) < self._prepared_at:
            return
        with _locked(self.distribution.parent / ".lock"):
            scratch = Path(tempfile.mkdtemp(dir=self.distribution.parent, prefix=".dev-build-"))
            shutil.copytree(built, scratch / "quarkus")
            shutil.rmtree(self._dev_build, ignore_errors=True)
            os.replace(scratch / "quarkus", self._dev_build)
            scratch.rmdir()

    async def _wait_until_ready(self) -> None:
        assert self._process is not None
        url = f"{self.direct_url}/realms/{REALM}/.well-known/openid-configuration"
        deadline = time.monotonic() + READY_TIMEOUT
        async with httpx.AsyncClient(timeout=5.0) as client:
            while time.monotonic() < deadline:
                if self._process.poll() is not None:
                    raise KeycloakFailed(
                        f"Keycloak exited with {self._process.returncode}:\n{self.log_tail()}"
                    )
                with contextlib.suppress(httpx.TransportError):
                    if (await client.get(url)).status_code == 200:
                        return
                await asyncio.sleep(0.5)
        raise KeycloakFailed(f"Keycloak not ready after {READY_TIMEOUT:.0f} s:\n{self.log_tail()}")

    def log_tail(self, lines: int = 40) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])

    def jvm_memory(self) -> dict[str, int]:
        """``VmRSS`` and ``VmHWM`` (peak RSS) in bytes of the JVM in the server's process group.

        ``kc.sh`` is a shell script that starts ``java`` as a child (and may start it a second
        time after a re-augmentation), so the JVM is found by process group, not by the PID.
        """
        if self._process is None:
            return {}
        pgid = self._process.pid
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                raw = stat.read_text()
                # comm is parenthesised and may hold spaces; the fields after it are plain.
                comm = raw[raw.index("(") + 1 : raw.rindex(")")]
                pgrp = int(raw[raw.rindex(")") + 2 :].split()[2])
                if comm != "java" or pgrp != pgid:
                    continue
                status = (stat.parent / "status").read_text()
            except (OSError, ValueError):
                continue  # the process went away meanwhile
            return {
                key: int(line.split()[1]) * 1024
                for line in status.splitlines()
                for key in ("VmRSS", "VmHWM")
                if line.startswith(f"{key}:")
            }
        return {}

    async def stop(self) -> None:
        """SIGTERM to the whole process group, SIGKILL after ``STOP_TIMEOUT``; then clean up."""
        process, self._process = self._process, None
        try:
            if process is not None:
                # The group even when kc.sh is gone: a JVM it left behind is still in it.
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGTERM)
                try:
                    await asyncio.to_thread(process.wait, STOP_TIMEOUT)
                except subprocess.TimeoutExpired:
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(process.pid, signal.SIGKILL)
                    await asyncio.to_thread(process.wait)
        finally:
            await asyncio.to_thread(shutil.rmtree, self._home, True)


# -- the running realm -----------------------------------------------------------------------


class Keycloak:
    """A running Keycloak behind its proxy, with the helpers tests need.

    ``issuer`` is what the gateway must be configured with (through the proxy); every helper
    goes to ``direct_url``. Helpers raise :class:`TokenRefused` on OIDC refusals and
    ``httpx.HTTPStatusError`` on admin API failures.
    """

    def __init__(self, server: KeycloakServer, proxy: TcpProxy, http: httpx.AsyncClient) -> None:
        self.server = server
        self.proxy = proxy
        self.http = http
        self.realm = REALM
        self._admin_token: tuple[str, float] | None = None

    @property
    def issuer(self) -> str:
        return self.server.issuer

    @property
    def direct_url(self) -> str:
        return self.server.direct_url

    @property
    def _oidc(self) -> str:
        return f"{self.direct_url}/realms/{self.realm}/protocol/openid-connect"

    @property
    def _admin(self) -> str:
        return f"{self.direct_url}/admin/realms/{self.realm}"

    # OIDC, as a caller would do it

    async def token(self, form: dict[str, str]) -> dict[str, Any]:
        """POST to the token endpoint; the token response, or :class:`TokenRefused`."""
        response = await self.http.post(f"{self._oidc}/token", data=form)
        body = response.json()
        if response.status_code != 200:
            raise TokenRefused(response.status_code, body)
        return body

    async def password_grant(
        self,
        username: str,
        password: str,
        *,
        client_id: str,
        client_secret: str | None = None,
        scope: str | None = None,
    ) -> dict[str, Any]:
        form = {"grant_type": "password", "username": username, "password": password}
        form |= _client(client_id, client_secret)
        if scope is not None:
            form["scope"] = scope
        return await self.token(form)

    async def refresh(
        self, refresh_token: str, *, client_id: str, client_secret: str | None = None
    ) -> dict[str, Any]:
        """The refresh grant, which is also how an offline token is exchanged."""
        form = {"grant_type": "refresh_token", "refresh_token": refresh_token}
        return await self.token(form | _client(client_id, client_secret))

    async def revoke(
        self,
        token: str,
        *,
        client_id: str,
        client_secret: str | None = None,
        token_type_hint: str = "refresh_token",  # noqa: S107 (a token type, not a secret)
    ) -> None:
        form = {"token": token, "token_type_hint": token_type_hint}
        response = await self.http.post(
            f"{self._oidc}/revoke", data=form | _client(client_id, client_secret)
        )
        if response.status_code != 200:
            raise TokenRefused(response.status_code, response.json())

    # the admin API

    async def admin_token(self) -> str:
        """A master-realm token for the bootstrap admin, reused until shortly before it expires
        (they live 60 s by default)."""
        if self._admin_token is not None and time.monotonic() < self._admin_token[1]:
            return self._admin_token[0]
        response = await self.http.post(
            f"{self.direct_url}/realms/master/protocol/openid-connect/token",
            data={
                "grant_type": "password",
                "client_id": "admin-cli",
                "username": "admin",
                "password": self.server.admin_password,
            },
        )
        response.raise_for_status()
        body = response.json()
        self._admin_token = (body["access_token"], time.monotonic() + body["expires_in"] - 15)
        return body["access_token"]

    async def admin(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """A call to ``/admin/realms/smartops<path>`` as the bootstrap admin; raises on >= 400."""
        headers = {"Authorization": f"Bearer {await self.admin_token()}"}
        response = await self.http.request(
            method, f"{self._admin}{path}", headers=headers, **kwargs
        )
        response.raise_for_status()
        return response

    async def set_realm(self, **attributes: Any) -> None:
        """Merge ``attributes`` into the realm (``revokeRefreshToken=True``, ...)."""
        realm = (await self.admin("GET", "")).json()
        await self.admin("PUT", "", json=realm | attributes)

    async def rotate_signing_key(self, priority: int) -> str:
        """Add an RS256 ``rsa-generated`` key provider with ``priority`` (the highest active
        priority signs new tokens); returns the new key's kid. Remove it again with
        :meth:`remove_key_provider` and :meth:`key_provider_id`."""
        realm_id = (await self.admin("GET", "")).json()["id"]
        created = await self.admin(
            "POST",
            "/components",
            json={
                "name": f"rsa-test-{secrets.token_hex(4)}",
                "providerId": "rsa-generated",
                "providerType": "org.keycloak.keys.KeyProvider",
                "parentId": realm_id,
                "config": {
                    "priority": [str(priority)],
                    "enabled": ["true"],
                    "active": ["true"],
                    "algorithm": ["RS256"],
                },
            },
        )
        component_id = created.headers["Location"].rstrip("/").rsplit("/", 1)[1]
        for key in (await self.admin("GET", "/keys")).json()["keys"]:
            if key.get("providerId") == component_id:
                return key["kid"]
        raise AssertionError(f"key provider {component_id} created but no key listed for it")

    async def key_provider_id(self, kid: str) -> str:
        """The id of the key provider component holding ``kid``."""
        for key in (await self.admin("GET", "/keys")).json()["keys"]:
            if key.get("kid") == kid:
                return key["providerId"]
        raise KeyError(kid)

    async def remove_key_provider(self, component_id: str) -> None:
        await self.admin("DELETE", f"/components/{component_id}")

    async def events(self, type: str | None = None, *, max_results: int = 1000) -> list[dict]:
        """User events, newest first; only ``type`` (``REFRESH_TOKEN``, ...) when given."""
        params: dict[str, Any] = {"max": max_results}
        if type is not None:
            params["type"] = type
        return (await self.admin("GET", "/events", params=params)).json()

    async def clear_events(self) -> None:
        await self.admin("DELETE", "/events")


def _client(client_id: str, client_secret: str | None) -> dict[str, str]:
    """Client authentication in the form body (``client_secret_post``)."""
    form = {"client_id": client_id}
    if client_secret is not None:
        form["client_secret"] = client_secret
    return form


@contextlib.asynccontextmanager
async def running_keycloak(
    distribution: Path, realm_file: Path, workdir: Path
) -> AsyncIterator[Keycloak]:
    """A proxy, then Keycloak behind it (named after the proxy's port), until the block ends."""
    http_port = free_port()
    async with TcpProxy(HOST, http_port) as proxy:
        server = KeycloakServer(
            distribution, realm_file, workdir, http_port=http_port, public_port=proxy.port
        )
        try:
            await server.start()
            async with httpx.AsyncClient(timeout=30.0) as http:
                yield Keycloak(server, proxy, http)
        finally:
            await server.stop()
