"""A production install (`pip install .`, as the image does) holds the gateway and nothing of the
demo: no emulator, no development token issuer (it signs whatever it is asked to), and
`itsm-gateway serve` runs from it without them.

The wheel is built from exactly what the Dockerfile copies, offline (``--no-build-isolation``,
the dev extra's setuptools), and installed without dependencies into a fresh virtual
environment that borrows this one's third-party packages through a ``.pth`` line. A path named
in a ``.pth`` file is not a site directory, so this environment's own ``.pth`` files, the
editable installs of the gateway and of the emulators among them, do not follow.
"""

from __future__ import annotations

import asyncio
import shutil
import signal
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from tests.deploy.test_manifests import REPO, dockerfile_instructions
from tests.e2e.test_e2e_cli import clean_environment, free_port, poll

BUILD_SECONDS = 180.0
EXIT_SECONDS = 30.0


def _run(*command: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 (our own interpreter and pip, fixed arguments)
        [str(part) for part in command],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=BUILD_SECONDS,
        check=False,
    )


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The gateway's wheel, built from the Dockerfile's build context."""
    source = tmp_path_factory.mktemp("context")
    for copy in dockerfile_instructions("COPY"):
        if copy.startswith("--from"):
            continue
        *sources, target = copy.split()
        for name in sources:
            path = REPO / name.rstrip("/")
            if path.is_dir():
                shutil.copytree(path, source / target, ignore=shutil.ignore_patterns("__pycache__"))
            else:
                shutil.copy(path, source / path.name)
    out = tmp_path_factory.mktemp("wheel")
    built = _run(
        sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
        "-q", "-w", out, source,
        cwd=source,
    )  # fmt: skip
    assert built.returncode == 0, built.stderr
    [found] = out.glob("itsm_gateway-*.whl")
    return found


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh environment with only the wheel installed; returns its ``bin`` folder."""
    venv = tmp_path_factory.mktemp("venv")
    made = _run(sys.executable, "-m", "venv", "--without-pip", venv, cwd=venv)
    assert made.returncode == 0, made.stderr
    python = venv / "bin" / "python"
    site = Path(
        _run(
            python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))", cwd=venv
        ).stdout.strip()
    )
    (site / "borrowed_dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n")
    done = _run(
        sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "--no-index",
        "-q", wheel,
        cwd=venv,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return venv / "bin"


def test_the_wheel_ships_no_emulator_and_no_token_issuer(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    assert any(name.startswith("gateway/commands/cli.py") for name in names)
    assert not [name for name in names if name.startswith("emulators/")]
    assert not [name for name in names if "token_issuer" in name or "rt_launcher" in name]


def test_the_production_install_has_the_command_and_no_emulators(installed: Path) -> None:
    help_text = _run(installed / "itsm-gateway", "--help", cwd=installed)
    assert help_text.returncode == 0, help_text.stderr
    assert "serve" in help_text.stdout
    # What `serve` imports (the command line, the app factory, the workers), and nothing else.
    probe = _run(
        installed / "python",
        "-c",
        "import importlib.util, sys; import gateway.commands.cli, gateway.app, gateway.workers; "
        "print(importlib.util.find_spec('emulators'), "
        "sorted(m for m in sys.modules if m.split('.')[0] == 'emulators'), "
        "gateway.app.__file__.startswith(sys.prefix))",
        cwd=installed,
    )
    assert probe.returncode == 0, probe.stderr
    assert probe.stdout.split() == ["None", "[]", "True"]


def test_demo_without_the_emulators_says_how_to_get_them(installed: Path) -> None:
    demo = _run(installed / "itsm-gateway", "demo", cwd=installed)
    assert demo.returncode == 2
    assert demo.stdout == ""
    [line] = demo.stderr.splitlines()
    assert "emulators are not installed" in line
    assert "pip install -e ./emulators" in line


async def test_serve_runs_from_the_production_install(installed: Path, tmp_path: Path) -> None:
    port = free_port()
    env = clean_environment(
        keycloak_issuer=f"http://127.0.0.1:{free_port()}/realms/smartops",
        host="127.0.0.1",
        port=str(port),
    )
    with (tmp_path / "stderr").open("wb") as stderr:
        process = await asyncio.create_subprocess_exec(
            installed / "itsm-gateway",
            "serve",
            cwd=tmp_path,
            env=env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=stderr,
        )
        try:
            await poll(f"http://127.0.0.1:{port}/healthz", process)
            process.send_signal(signal.SIGINT)
            assert await asyncio.wait_for(process.wait(), EXIT_SECONDS) == 0
        finally:
            if process.returncode is None:
                process.kill()
                await process.wait()
    assert "emulators" not in (tmp_path / "stderr").read_text()
