"""The test tooling's own promise: without RT and without the means to install it, the reason
is given (and the RT tests skip, or fail under ITSM_GATEWAY_REQUIRE_RT=1)."""

from __future__ import annotations

import pytest

from tests.support import rt


def test_not_root_and_not_installed_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rt, "installed", lambda: False)
    monkeypatch.setattr(rt.os, "geteuid", lambda: 1000)

    with pytest.raises(rt.RtUnavailable) as unavailable:
        rt.ensure_installed()

    assert unavailable.value.reason == (
        "Request Tracker tests need Debian's request-tracker5, rt5-db-sqlite, rt5-standalone; "
        "they are not installed and installing them needs root (`make test-tools` as root "
        "installs them)"
    )


def test_no_apt_get_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rt, "installed", lambda: False)
    monkeypatch.setattr(rt.os, "geteuid", lambda: 0)
    monkeypatch.setattr(rt.shutil, "which", lambda name: None)

    with pytest.raises(rt.RtUnavailable, match="this machine has no apt-get to install them"):
        rt.ensure_installed()
