"""``python -m emulators.jira --host 127.0.0.1 --port 8090``: run the emulator alone."""

from __future__ import annotations

import argparse

from aiohttp import web

from emulators.jira.app import create_app
from emulators.jira.config import JiraConfig
from emulators.jira.state import JiraState


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m emulators.jira", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8090)
    parser.add_argument("--base-url", default=None, help="base of links (default: per request)")
    parser.add_argument("--no-seed", action="store_true", help="start without issues")
    args = parser.parse_args(argv)
    state = JiraState(JiraConfig(base_url=args.base_url), seed=not args.no_seed)
    web.run_app(create_app(state), host=args.host, port=args.port)


if __name__ == "__main__":
    main()
