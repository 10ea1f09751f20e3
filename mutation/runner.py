"""Runs a module's mutants: each in a forked child whose import system serves the mutated
source from memory, running the module's fast tests with pytest, stopped at the first failure.

Why a fork and not a file write: the parent imports pytest, its plugins and every third-party
library once (by collecting the tests), then forgets the project's own modules; each child
imports the project again, the mutated module included, and pays only for that. The working
tree is never written, so a run that is interrupted (Ctrl-C, a timeout, a crash) leaves the
module as it was, and two runs can share a tree.

A child's outcome: pytest's exit code 1, 2 or 4 (a test failed, a test module or a conftest did
not import with the mutant; the baseline run, with the same arguments, rules out a usage error)
is a kill; 0 a survivor; a child still running after the timeout (a few times the unmutated run) is
killed and counted as killed (the mutant hangs, which a caller would notice); any other exit
code is an error, reported, never counted as a kill.
"""

from __future__ import annotations

import contextlib
import importlib.abc
import importlib.machinery
import importlib.util
import io
import os
import signal
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import pytest

# The project's own packages: forgotten by the parent after its warm-up, imported afresh by
# every child.
_PROJECT_PACKAGES = ("gateway", "graph", "rest_compat", "resolvers", "connectors", "emulators")
_TEST_PACKAGES = ("tests",)
# Hypothesis: no example database (a mutant's failing examples must not replay in the next
# mutant or in the developer's runs), the same examples every run, no deadline (the machine is
# shared; a slow example is no kill).
_HYPOTHESIS_PROFILE = "mutation"


@dataclass(frozen=True)
class Outcome:
    """What one child did: ``status`` is killed, survived, timeout or error."""

    status: str
    seconds: float
    exit_code: int | None


class _MutantLoader(importlib.abc.Loader):
    def __init__(self, path: str, source: str) -> None:
        self._path = path
        self._source = source

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        return None

    def exec_module(self, module: ModuleType) -> None:
        exec(compile(self._source, self._path, "exec"), module.__dict__)  # noqa: S102 - the mutant is ours


class _MutantFinder(importlib.abc.MetaPathFinder):
    """Serves one module's mutated source; every other import goes on as usual."""

    def __init__(self, name: str, path: str, source: str) -> None:
        self._name = name
        self._path = path
        self._source = source

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None = None,
        target: ModuleType | None = None,
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname != self._name:
            return None
        return importlib.util.spec_from_file_location(
            fullname, self._path, loader=_MutantLoader(self._path, self._source)
        )


def _pytest_args(tests: Sequence[str]) -> list[str]:
    return [
        *tests,
        "-x",
        "-q",
        "-p",
        "no:randomly",
        "-p",
        "no:cacheprovider",
        f"--hypothesis-profile={_HYPOTHESIS_PROFILE}",
    ]


def _forget_project_modules() -> None:
    for name in list(sys.modules):
        top = name.partition(".")[0]
        if top in _PROJECT_PACKAGES or top in _TEST_PACKAGES:
            del sys.modules[name]


def warm_up(tests: Sequence[str]) -> None:
    """Imports pytest's plugins and every library the tests use by collecting them once, then
    forgets the project's modules so that each child imports them (and the mutant) afresh."""
    import hypothesis

    hypothesis.settings.register_profile(
        _HYPOTHESIS_PROFILE, database=None, derandomize=True, deadline=None
    )
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        code = pytest.main([*_pytest_args(tests), "--collect-only"])
    _forget_project_modules()
    if code != 0:
        raise RuntimeError(f"collecting {' '.join(tests)} failed (pytest exit code {code})")


def run_child(
    module_name: str, path: Path, source: str, tests: Sequence[str], timeout: float
) -> Outcome:
    """Runs ``tests`` in a forked child in which ``module_name`` is ``source``."""
    started = time.monotonic()
    pid = os.fork()
    if pid == 0:  # the child: never returns
        code = 3
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, 1)
            os.dup2(devnull, 2)
            sys.meta_path.insert(0, _MutantFinder(module_name, str(path), source))
            code = int(pytest.main(_pytest_args(tests)))
        finally:
            os._exit(code)
    deadline = started + timeout
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            return Outcome("timeout", time.monotonic() - started, None)
        time.sleep(0.01)
    seconds = time.monotonic() - started
    if os.WIFSIGNALED(status):
        return Outcome("killed", seconds, -os.WTERMSIG(status))
    code = os.WEXITSTATUS(status)
    if code == 0:
        return Outcome("survived", seconds, code)
    if code in (1, 2, 4):
        return Outcome("killed", seconds, code)
    return Outcome("error", seconds, code)
