"""The security suites run against the same real stack as the end-to-end tests: the gateway,
the ServiceNow emulator and a token issuer, each over loopback HTTP.

Every test here also runs with the process's production logging (at DEBUG, every logger of the
process, libraries' included) written to a buffer in both formats at once, JSON (production's)
and text (the demo's), and fails if any line of either carries a token or the stack's ITSM
password: whatever a suite tries, nothing of it may reach the log.
"""

from __future__ import annotations

import copy
import io
import logging
import re
from collections.abc import Iterator

import pytest

from gateway.observability.logs import configure_logging
from tests.e2e.conftest import SN_PASSWORD, fresh_emulator, stack  # noqa: F401  (fixtures, by name)

_JWT = re.compile(r"eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}")


class _BothFormats(logging.Handler):
    """Hands each record to the production handler of each format, each its own shallow copy:
    the redacting filter sets attributes on the record it gets, and the second handler must see
    the record as the first did, or its own redaction would go untested."""

    def __init__(self, handlers: dict[str, logging.Handler]) -> None:
        super().__init__()
        self.handlers = handlers

    def handle(self, record: logging.LogRecord) -> bool:
        for handler in self.handlers.values():
            handler.handle(copy.copy(record))
        return True


@pytest.fixture(autouse=True)
def no_secret_logged() -> Iterator[dict[str, io.StringIO]]:
    """Yields what each format wrote, by format (``json``, ``text``)."""
    root = logging.getLogger()
    saved_handlers, saved_level = root.handlers[:], root.level
    quietened = ("aiohttp.access", "httpx", "httpcore")
    saved_levels = {name: logging.getLogger(name).level for name in quietened}
    buffers: dict[str, io.StringIO] = {}
    handlers: dict[str, logging.Handler] = {}
    for fmt in ("json", "text"):
        configure_logging("DEBUG", fmt)
        handler = root.handlers[0]
        assert isinstance(handler, logging.StreamHandler)
        buffers[fmt] = io.StringIO()
        handler.setStream(buffers[fmt])
        handlers[fmt] = handler
    root.handlers[:] = [_BothFormats(handlers)]
    try:
        yield buffers
    finally:
        root.handlers[:] = saved_handlers
        root.setLevel(saved_level)
        for name, level in saved_levels.items():
            logging.getLogger(name).setLevel(level)
    for fmt, buffer in buffers.items():
        written = buffer.getvalue()
        assert not _JWT.search(written), f"a token reached the {fmt} log"
        assert SN_PASSWORD not in written, f"the ITSM password reached the {fmt} log"
