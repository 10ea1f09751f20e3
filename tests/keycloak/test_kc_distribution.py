"""Without Java or Maven, the reason Keycloak tests are skipped says exactly what is missing."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support import keycloak
from tests.support.keycloak import KeycloakUnavailable, keycloak_distribution


@pytest.fixture
def bare_machine(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No JDK, an empty PATH and an empty cache."""
    monkeypatch.setattr(keycloak, "PREFERRED_JAVA_HOME", tmp_path / "no-jdk")
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    (tmp_path / "bin").mkdir()
    return tmp_path


def _tool(machine: Path, name: str) -> None:
    tool = machine / "bin" / name
    tool.write_text("#!/bin/sh\nexit 1\n")
    tool.chmod(0o755)


def test_neither_java_nor_maven(bare_machine: Path) -> None:
    with pytest.raises(KeycloakUnavailable) as unavailable:
        keycloak_distribution()
    assert unavailable.value.reason == (
        "Keycloak tests need Java 17+ (no `java` on PATH) and Maven (no `mvn` on PATH)"
    )


def test_java_without_maven(bare_machine: Path) -> None:
    _tool(bare_machine, "java")
    with pytest.raises(KeycloakUnavailable) as unavailable:
        keycloak_distribution()
    assert unavailable.value.reason == "Keycloak tests need Maven (no `mvn` on PATH)"


def test_maven_not_needed_once_the_tarball_is_cached(bare_machine: Path) -> None:
    cache = bare_machine / "cache" / "itsm-gateway" / "keycloak"
    cache.mkdir(parents=True)
    (cache / f"keycloak-quarkus-dist-{keycloak.KEYCLOAK_VERSION}.tar.gz").touch()
    with pytest.raises(KeycloakUnavailable) as unavailable:
        keycloak_distribution()
    assert unavailable.value.reason == "Keycloak tests need Java 17+ (no `java` on PATH)"


def test_failed_download_leaves_nothing_behind(bare_machine: Path) -> None:
    _tool(bare_machine, "java")
    _tool(bare_machine, "mvn")
    with pytest.raises(KeycloakUnavailable, match="could not download Keycloak"):
        keycloak_distribution()
    cache = bare_machine / "cache" / "itsm-gateway" / "keycloak"
    assert sorted(p.name for p in cache.iterdir()) == [".lock"]
