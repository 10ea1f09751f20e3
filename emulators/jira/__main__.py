"""``python -m emulators.jira --host 127.0.0.1 --port 8090``: run the emulator alone."""

from __future__ import annotations

import argparse

from aiohttp import web

from emulators.jira.app import create_app
from emulators.jira.config import JiraConfig
from emulators.jira.seed import SEED_NOW
from emulators.jira.state import JiraState, running_from


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m emulators.jira", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8090)
    parser.add_argument("--base-url", default=None, help="base of links (default: per request)")
    parser.add_argument("--no-seed", action="store_true", help="start without issues")
    parser.add_argument(
        "--wall-clock",
        action="store_true",
        help="use the real time (default: start at the seed's time, 2026-03-11 17:00 UTC, and run)",
    )
    args = parser.parse_args(argv)
    clock = None if args.wall_clock else running_from(SEED_NOW)
    state = JiraState(JiraConfig(base_url=args.base_url), seed=not args.no_seed, clock=clock)
    web.run_app(create_app(state), host=args.host, port=args.port)


if __name__ == "__main__":
    main()
