"""Serving: one process, or several sharing one listening socket.

Python runs one request's code at a time per process, so using every core takes one process per
core. With ``workers > 1`` the parent opens the listening socket, forks the workers (each builds
its own app, event loop and ITSM connections after the fork) and supervises them:

- the kernel hands each new connection to whichever worker accepts it first;
- SIGTERM or SIGINT to the parent is passed to every worker, which stops as one process would
  (no new connections, requests in flight finish within the grace period); the parent exits 0
  when all of them did;
- a worker that dies on its own is replaced and the event logged; if workers keep dying
  (``_RESTART_LIMIT`` within ``_RESTART_WINDOW_SECONDS``), the parent stops the rest and exits 1
  rather than fork forever;
- a worker whose parent dies gets SIGTERM (Linux ``PR_SET_PDEATHSIG``): no orphans keep the port.

State that must be shared between workers (idempotency keys) goes through Redis when
``ITSM_GATEWAY_REDIS_URL`` is set; without it each worker keeps its own
(docs/operations.md#workers-and-replicas).
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import gc
import logging
import os
import shutil
import signal
import socket
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FrameType

from aiohttp import web
from prometheus_client import multiprocess
from prometheus_client import values as prometheus_values

from gateway.http_server import LISTEN_BACKLOG, run_app
from gateway.observability.metrics import MULTIPROCESS_DIR
from gateway.settings import Settings

log = logging.getLogger("itsm_gateway")

_RESTART_LIMIT = 5
_RESTART_WINDOW_SECONDS = 60.0
_PR_SET_PDEATHSIG = 1
# gen0, gen1, gen2 (Python's default: 700, 10, 10). Measured with bench.load's harness at 64
# connections and a 50 ms ITSM: GraphQL fetch 1,367-1,377 -> 1,198-1,222 us of CPU per request.
_GC_THRESHOLDS = (20_000, 50, 20)


def event_loop(settings: Settings) -> asyncio.AbstractEventLoop:
    """uvloop when configured and installed (it made fetches 8-18% cheaper here), else asyncio's."""
    if settings.event_loop == "uvloop":
        try:
            import uvloop
        except ImportError:
            log.warning("uvloop is not installed; using asyncio's event loop")
        else:
            return uvloop.new_event_loop()
    return asyncio.new_event_loop()


def settle_the_heap() -> None:
    """Keep what start-up built out of the garbage collector's way: the schema, the settings,
    the imported modules (hundreds of thousands of objects) are never garbage, yet every older-
    generation collection walked them all while requests were served. ``gc.freeze`` moves them to
    the permanent generation; objects made by requests are collected as before.

    And collect the youngest generation less often (``_GC_THRESHOLDS``): with 64 requests in
    flight, a collection every 700 allocations (Python's default) found most of their objects
    still alive and promoted them, so older generations filled with requests' garbage and were
    walked again and again; CPU per request then grew with the number of connections."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*_GC_THRESHOLDS)


def run(app: web.Application, settings: Settings, sock: socket.socket | None = None) -> None:
    """Serve ``app`` until SIGTERM or SIGINT, then stop gracefully.

    Served by :func:`gateway.http_server.run_app` (aiohttp's loop, unparseable requests answered
    in JSON). On either signal aiohttp closes the listening sockets, closes idle keep-alive
    connections, waits up to the grace period for the handlers in flight (answering them with
    Connection: close), cancels what is left, then runs the app's cleanup, which closes the HTTP
    clients.
    """
    grace = settings.shutdown_grace_seconds

    async def stopping(app: web.Application) -> None:
        log.info("stopping: no new connections; requests in flight have %ss to finish", grace)

    app.on_shutdown.append(stopping)
    settle_the_heap()
    listen = {"sock": sock} if sock else {"host": settings.host, "port": settings.port}
    run_app(
        app,
        **listen,
        shutdown_timeout=grace,
        # Also how long a new connection may take to send a whole request head: aiohttp starts
        # this timer when the connection opens and closes it if no request has arrived.
        keepalive_timeout=settings.http_idle_timeout_seconds,
        loop_factory=lambda: event_loop(settings),
    )


def run_workers(settings: Settings, build: Callable[[], web.Application]) -> int:
    """Fork ``settings.workers`` processes serving ``build()`` on one socket; supervise them."""
    sock = socket.create_server((settings.host, settings.port), backlog=LISTEN_BACKLOG)
    sock.set_inheritable(True)
    with _shared_metrics():
        supervisor = _Supervisor(settings, sock, build)
        return supervisor.run()


@contextlib.contextmanager
def _shared_metrics() -> Iterator[None]:
    """prometheus-client's multiprocess mode: each worker writes its metric values to files in
    one directory and /metrics sums them, so a scrape that reaches any worker sees them all.
    The directory is ``PROMETHEUS_MULTIPROC_DIR`` when the operator set it (emptied first, as
    prometheus-client requires), else a temporary one removed at exit."""
    given = os.environ.get(MULTIPROCESS_DIR)
    directory = Path(given) if given else Path(tempfile.mkdtemp(prefix="itsm-gateway-metrics-"))
    directory.mkdir(parents=True, exist_ok=True)
    for stale in directory.glob("*.db"):
        stale.unlink()
    os.environ[MULTIPROCESS_DIR] = str(directory)
    # prometheus-client picks its value class when first imported, which the parent already did
    # (validating the settings builds an app); pick again now that the directory is set, before
    # any worker creates a metric.
    prometheus_values.ValueClass = prometheus_values.get_value_class()
    try:
        yield
    finally:
        if not given:
            shutil.rmtree(directory, ignore_errors=True)


class _Supervisor:
    def __init__(
        self, settings: Settings, sock: socket.socket, build: Callable[[], web.Application]
    ) -> None:
        self._settings = settings
        self._sock = sock
        self._build = build
        self._workers: dict[int, int] = {}  # pid -> worker number
        self._stopping = False
        self._restarts: list[float] = []

    def run(self) -> int:
        signal.signal(signal.SIGTERM, self._stop)
        signal.signal(signal.SIGINT, self._stop)
        for first in range(1, self._settings.workers + 1):
            self._start(first)
        host, port = self._sock.getsockname()[:2]
        log.info(
            "serving on %s:%s with %d workers",
            host,
            port,
            self._settings.workers,
            extra={"pids": sorted(self._workers)},
        )
        failed = False
        while self._workers:
            try:
                pid, status = os.wait()
            except ChildProcessError:
                break
            number = self._workers.pop(pid, None)
            if number is None:
                continue
            multiprocess.mark_process_dead(pid)  # its live gauges no longer count
            code = os.waitstatus_to_exitcode(status)
            if self._stopping:
                failed |= code != 0
                continue
            log.error("worker %d (pid %d) exited on its own with %s", number, pid, _describe(code))
            if self._too_many_restarts():
                log.error(
                    "workers exited %d times within %gs: stopping the gateway",
                    _RESTART_LIMIT,
                    _RESTART_WINDOW_SECONDS,
                )
                self._stop(signal.SIGTERM, None)
                failed = True
                continue
            self._start(number)
        self._sock.close()
        log.info("stopped")
        return 1 if failed else 0

    def _start(self, number: int) -> None:
        parent = os.getpid()
        pid = os.fork()
        if pid:
            self._workers[pid] = number
            return
        code = 0
        try:
            _become_worker(parent)
            run(self._build(), self._settings, self._sock)
        except BaseException:
            log.exception("worker %d failed", number)
            code = 1
        finally:
            logging.shutdown()
            os._exit(code)

    def _too_many_restarts(self) -> bool:
        now = time.monotonic()
        self._restarts = [t for t in self._restarts if now - t < _RESTART_WINDOW_SECONDS]
        self._restarts.append(now)
        return len(self._restarts) >= _RESTART_LIMIT

    def _stop(self, signum: int, _frame: FrameType | None) -> None:
        if not self._stopping:
            log.info(
                "signal %s: stopping %d workers", signal.Signals(signum).name, len(self._workers)
            )
        self._stopping = True
        for pid in self._workers:
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass


def _become_worker(parent: int) -> None:
    """In a freshly forked worker: its own signal handling (aiohttp installs it), and SIGTERM
    when the parent dies."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    if sys.platform == "linux":
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
        if os.getppid() != parent:  # the parent died before prctl took effect
            os._exit(0)


def _describe(code: int) -> str:
    return f"signal {signal.Signals(-code).name}" if code < 0 else f"exit code {code}"
