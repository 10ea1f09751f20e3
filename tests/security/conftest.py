"""The security suites run against the same real stack as the end-to-end tests: the gateway,
the ServiceNow emulator and a token issuer, each over loopback HTTP.

Every test here also runs with the process's production logging (JSON, at DEBUG, every logger of
the process, libraries' included) written to a buffer, and fails if any line carries a token or
the stack's ITSM password: whatever a suite tries, nothing of it may reach the log.
"""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Iterator

import pytest

from gateway.observability.logs import configure_logging
from tests.e2e.conftest import SN_PASSWORD, fresh_emulator, stack  # noqa: F401  (fixtures, by name)

_JWT = re.compile(r"eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}")


@pytest.fixture(autouse=True)
def no_secret_logged() -> Iterator[None]:
    root = logging.getLogger()
    saved_handlers, saved_level = root.handlers[:], root.level
    quietened = ("aiohttp.access", "httpx", "httpcore")
    saved_levels = {name: logging.getLogger(name).level for name in quietened}
    configure_logging("DEBUG", "json")
    buffer = io.StringIO()
    handler = root.handlers[0]
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(buffer)
    try:
        yield
    finally:
        root.handlers[:] = saved_handlers
        root.setLevel(saved_level)
        for name, level in saved_levels.items():
            logging.getLogger(name).setLevel(level)
    written = buffer.getvalue()
    assert not _JWT.search(written), "a token reached the log"
    assert SN_PASSWORD not in written, "the ITSM password reached the log"
