"""A real headless Chromium for tests, confined to loopback and driven over the Chrome DevTools
Protocol (CDP) with aiohttp's websocket client: no WebDriver, no extra package.

Debian's ``chromium``: ``make test`` and ``.ci/run`` install it when they run as root. Elsewhere
the browser tests are skipped with a message naming what is missing, or fail when
``ITSM_GATEWAY_REQUIRE_BROWSER=1`` says the browser must be there (CI).

Confinement: Chromium sends every request for a host other than loopback to a proxy on a
loopback port that this module holds bound but never listens on, so such a request fails at once;
Chromium never proxies loopback itself. The host resolver also answers "not found" for every name
but ``localhost``, in case anything went round the proxy. Every URL the page asks for is
recorded (``Page.requests``) so that tests can check where it went.

CDP reference: https://chromedevtools.github.io/devtools-protocol/
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
from collections import deque
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest

REQUIRE_VARIABLE = "ITSM_GATEWAY_REQUIRE_BROWSER"
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "[::1]"})
START_SECONDS = 30.0
COMMAND_SECONDS = 30.0
WAIT_SECONDS = 30.0
STOP_SECONDS = 10.0


class BrowserError(Exception):
    """Chromium did not start, a CDP command failed, or the page threw."""


def chromium_binary() -> str:
    """The ``chromium`` to run; skips the test (or fails it, when required) without one."""
    binary = shutil.which("chromium")
    if binary is None:
        reason = (
            "browser tests need chromium on PATH (Debian package chromium; "
            "`make test` installs it when run as root)"
        )
        if os.environ.get(REQUIRE_VARIABLE) == "1":
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    return binary


class DevTools:
    """One CDP connection: commands answered by id, events kept per session."""

    def __init__(self, socket: aiohttp.ClientWebSocketResponse) -> None:
        self._socket = socket
        self._ids = itertools.count(1)
        self._pending: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self.events: dict[str | None, list[dict[str, Any]]] = {}
        self._reader = asyncio.create_task(self._read(), name="cdp-reader")

    async def send(
        self, method: str, params: dict[str, Any] | None = None, session: str | None = None
    ) -> dict[str, Any]:
        message: dict[str, Any] = {"id": next(self._ids), "method": method}
        message["params"] = params or {}
        if session is not None:
            message["sessionId"] = session
        answer = asyncio.get_running_loop().create_future()
        self._pending[message["id"]] = answer
        await self._socket.send_str(json.dumps(message))
        try:
            result = await asyncio.wait_for(answer, COMMAND_SECONDS)
        finally:
            self._pending.pop(message["id"], None)
        if "error" in result:
            raise BrowserError(f"{method}: {result['error']}")
        return result["result"]

    async def _read(self) -> None:
        async for frame in self._socket:
            if frame.type != aiohttp.WSMsgType.TEXT:
                break
            message = json.loads(frame.data)
            if "id" in message:
                answer = self._pending.get(message["id"])
                if answer is not None and not answer.done():
                    answer.set_result(message)
            else:
                self.events.setdefault(message.get("sessionId"), []).append(message)
        for answer in self._pending.values():
            if not answer.done():
                answer.set_exception(BrowserError("the browser closed the DevTools connection"))

    async def aclose(self) -> None:
        self._reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._reader
        await self._socket.close()


class Page:
    """A tab, attached to with its own CDP session."""

    def __init__(self, devtools: DevTools, session: str) -> None:
        self._devtools = devtools
        self._session = session

    async def send(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        return await self._devtools.send(method, params, self._session)

    def events(self, method: str) -> list[dict[str, Any]]:
        return [
            e["params"]
            for e in self._devtools.events.get(self._session, [])
            if e["method"] == method
        ]

    @property
    def requests(self) -> list[str]:
        """Every URL the page asked for (documents, scripts, styles, fetches, websockets)."""
        sent = [e["request"]["url"] for e in self.events("Network.requestWillBeSent")]
        return sent + [e["url"] for e in self.events("Network.webSocketCreated")]

    async def goto(self, url: str) -> None:
        navigated = await self.send("Page.navigate", {"url": url})
        if "errorText" in navigated:
            raise BrowserError(f"navigating to {url}: {navigated['errorText']}")
        await self.wait_for("document.readyState === 'complete'")

    async def evaluate(self, expression: str) -> Any:
        """The value of a JavaScript expression (awaited when it is a promise)."""
        answer = await self.send(
            "Runtime.evaluate",
            {"expression": expression, "awaitPromise": True, "returnByValue": True},
        )
        if "exceptionDetails" in answer:
            details = answer["exceptionDetails"]
            thrown = details.get("exception", {}).get("description") or details.get("text")
            raise BrowserError(f"{expression!r} threw {thrown}")
        return answer["result"].get("value")

    async def wait_for(
        self,
        expression: str,
        until: Callable[[Any], bool] = bool,
        seconds: float = WAIT_SECONDS,
    ) -> Any:
        """Polls ``expression`` until ``until`` holds for its value (by default: until it is
        truthy) and returns that value. Fails after ``seconds``, saying what it last saw."""
        deadline = asyncio.get_running_loop().time() + seconds
        while True:
            value = await self.evaluate(expression)
            if until(value):
                return value
            if asyncio.get_running_loop().time() > deadline:
                raise BrowserError(f"after {seconds} s, {expression}\nis still {value!r}")
            await asyncio.sleep(0.1)

    async def click(self, selector: str) -> None:
        """A real mouse click in the middle of the first element matching ``selector``."""
        box = await self.wait_for(
            f"""(() => {{
                const element = document.querySelector({json.dumps(selector)});
                if (!element) return null;
                element.scrollIntoView({{block: "center"}});
                const r = element.getBoundingClientRect();
                return r.width && r.height ? {{x: r.x + r.width / 2, y: r.y + r.height / 2}} : null;
            }})()"""
        )
        for kind in ("mousePressed", "mouseReleased"):
            await self.send(
                "Input.dispatchMouseEvent",
                {"type": kind, "x": box["x"], "y": box["y"], "button": "left", "clickCount": 1},
            )

    async def select_all(self) -> None:
        """Ctrl+A in the focused element."""
        key = {"key": "a", "code": "KeyA", "windowsVirtualKeyCode": 65, "modifiers": 2}
        await self.send(
            "Input.dispatchKeyEvent", {"type": "keyDown", **key, "commands": ["selectAll"]}
        )
        await self.send("Input.dispatchKeyEvent", {"type": "keyUp", **key})

    async def type(self, text: str) -> None:
        """Text into the focused element, as an input method would enter it."""
        await self.send("Input.insertText", {"text": text})

    async def screenshot(self) -> bytes:
        """What the tab shows, as PNG."""
        shot = await self.send("Page.captureScreenshot", {"format": "png"})
        return base64.b64decode(shot["data"])


class Browser:
    def __init__(self, devtools: DevTools) -> None:
        self._devtools = devtools

    async def new_page(self, width: int = 1400, height: int = 900) -> Page:
        """A blank tab that records its network requests."""
        target = await self._devtools.send("Target.createTarget", {"url": "about:blank"})
        attached = await self._devtools.send(
            "Target.attachToTarget", {"targetId": target["targetId"], "flatten": True}
        )
        page = Page(self._devtools, attached["sessionId"])
        await page.send("Network.enable")
        await page.send("Page.enable")
        await page.send("Runtime.enable")
        await page.send(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
        )
        return page


def _blackhole_port() -> socket.socket:
    """A loopback port bound but never listened on: connections to it are refused."""
    hole = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    hole.bind(("127.0.0.1", 0))
    return hole


def _arguments(profile: Path, proxy: str) -> list[str]:
    return [
        "--headless=new",
        # As root Chromium refuses to start sandboxed; it only ever opens test pages here.
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        f"--user-data-dir={profile}",
        "--remote-debugging-port=0",  # the port it picks is written to DevToolsActivePort
        "--remote-debugging-address=127.0.0.1",
        f"--proxy-server={proxy}",
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1",
        "--no-first-run",
        "--no-default-browser-check",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-default-apps",
        "--disable-extensions",
        "--disable-sync",
        "about:blank",
    ]


@contextlib.asynccontextmanager
async def chromium() -> AsyncIterator[Browser]:
    """A headless Chromium, confined to loopback, with a fresh profile, until the block ends.
    Skips (or fails) the test when there is no ``chromium``."""
    binary = chromium_binary()
    with tempfile.TemporaryDirectory(prefix="itsm-chromium-") as profile, _blackhole_port() as hole:
        proxy = f"http://127.0.0.1:{hole.getsockname()[1]}"
        process = await asyncio.create_subprocess_exec(
            binary,
            *_arguments(Path(profile), proxy),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,  # its own process group, so that _stop ends its helpers too
        )
        output: deque[bytes] = deque(maxlen=40)
        drain = asyncio.create_task(_drain(process, output), name="chromium-output")
        try:
            endpoint = await _devtools_endpoint(Path(profile), process, output)
            async with aiohttp.ClientSession() as http:
                devtools = DevTools(await http.ws_connect(endpoint, max_msg_size=0))
                try:
                    yield Browser(devtools)
                finally:
                    with contextlib.suppress(BrowserError, ConnectionError):
                        await devtools.send("Browser.close")
                    await devtools.aclose()
        finally:
            await _stop(process)
            drain.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await drain


async def _drain(process: asyncio.subprocess.Process, tail: deque[bytes]) -> None:
    """Reads Chromium's chatter as it comes (a full pipe would stall it), keeping the tail."""
    assert process.stderr is not None
    async for line in process.stderr:
        tail.append(line)


async def _devtools_endpoint(
    profile: Path, process: asyncio.subprocess.Process, output: deque[bytes]
) -> str:
    """The browser's DevTools websocket, from the file Chromium writes once it listens."""
    announced = profile / "DevToolsActivePort"
    deadline = asyncio.get_running_loop().time() + START_SECONDS
    while asyncio.get_running_loop().time() < deadline:
        if process.returncode is not None:
            said = b"".join(output).decode(errors="replace")
            raise BrowserError(f"chromium exited with {process.returncode}:\n{said}")
        with contextlib.suppress(FileNotFoundError):
            lines = announced.read_text().split()
            if len(lines) == 2:
                port, path = lines
                return f"ws://127.0.0.1:{port}{path}"
        await asyncio.sleep(0.1)
    raise BrowserError(f"chromium did not open DevTools within {START_SECONDS} s")


async def _stop(process: asyncio.subprocess.Process) -> None:
    """Ends Chromium and its helper processes (its process group): TERM, then KILL."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)  # the helpers may outlive the main process
        if process.returncode is None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(process.wait(), STOP_SECONDS)
    await process.wait()
