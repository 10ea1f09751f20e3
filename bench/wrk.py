"""Drive Debian's ``wrk`` (4.1) from Python: a Lua script per target, results as a dataclass.

The script cycles through one or more requests (method, path, headers, body) per connection and
prints, from ``done()``, one line ``BENCH {json}`` with the request count, duration, errors and
latency percentiles (microseconds), so nothing is scraped from wrk's human output.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

MARKER = "BENCH "

_DONE = r"""
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH {"requests":%d,"duration_us":%d,"non2xx":%d,"socket_errors":%d,' ..
    '"p50_us":%d,"p99_us":%d}\n',
    summary.requests, summary.duration, e.status, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
"""


@dataclass(frozen=True)
class HttpRequest:
    method: str
    path: str  # with its query string
    headers: dict[str, str] = field(default_factory=dict)
    body: str | None = None


@dataclass(frozen=True)
class WrkResult:
    requests: int
    seconds: float
    non2xx: int
    socket_errors: int
    p50_ms: float
    p99_ms: float

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def lua_script(requests: Sequence[HttpRequest]) -> str:
    """Build the requests in ``init`` (after wrk has set the Host header), cycle through them."""
    lines = ["local reqs = {}", "local i = 0", "init = function(args)"]
    for request in requests:
        headers = ", ".join(f"[{_lua(k)}] = {_lua(v)}" for k, v in request.headers.items())
        body = "nil" if request.body is None else _lua(request.body)
        lines.append(
            f"  reqs[#reqs + 1] = wrk.format({_lua(request.method)}, {_lua(request.path)}, "
            f"{{{headers}}}, {body})"
        )
    lines += [
        "end",
        "request = function()",
        "  i = i % #reqs + 1",
        "  return reqs[i]",
        "end",
        _DONE,
    ]
    return "\n".join(lines)


async def run_wrk(
    base_url: str,
    requests: Sequence[HttpRequest],
    *,
    connections: int,
    seconds: int,
    script_dir: Path,
    name: str,
    cpus: str | None = None,
) -> WrkResult:
    script = script_dir / f"{name}.lua"
    script.write_text(lua_script(requests))
    command = [
        "wrk",
        "-t1",
        f"-c{connections}",
        f"-d{seconds}s",
        "--timeout",
        "10s",
        "-s",
        str(script),
        base_url,
    ]
    if cpus is not None:
        command = ["taskset", "-c", cpus, *command]
    process = await asyncio.create_subprocess_exec(
        *command, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await process.communicate()
    for line in out.decode().splitlines():
        if line.startswith(MARKER):
            data = json.loads(line[len(MARKER) :])
            return WrkResult(
                requests=data["requests"],
                seconds=data["duration_us"] / 1e6,
                non2xx=data["non2xx"],
                socket_errors=data["socket_errors"],
                p50_ms=data["p50_us"] / 1000,
                p99_ms=data["p99_us"] / 1000,
            )
    raise RuntimeError(
        f"wrk gave no result (exit {process.returncode}): {(out + err).decode()[-800:]}"
    )


def _lua(text: str) -> str:
    """A double-quoted Lua string literal; every byte outside printable ASCII as ``\\ddd``."""
    out = []
    for byte in text.encode():
        char = chr(byte)
        if char in '"\\' or not 32 <= byte < 127:
            out.append(f"\\{byte:03d}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'
