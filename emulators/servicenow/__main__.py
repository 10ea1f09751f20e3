"""``python -m emulators.servicenow --host 127.0.0.1 --port 8089``: run the emulator alone."""

from __future__ import annotations

import argparse

from aiohttp import web

from emulators.servicenow.app import create_app
from emulators.servicenow.config import EmulatorConfig
from emulators.servicenow.state import EmulatorState


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m emulators.servicenow", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8089)
    parser.add_argument("--time-zone", default=EmulatorConfig.time_zone)
    parser.add_argument("--date-format", default=EmulatorConfig.date_format)
    parser.add_argument("--time-format", default=EmulatorConfig.time_format)
    parser.add_argument("--instance-url", default=None, help="base of links (default: per request)")
    parser.add_argument("--no-seed", action="store_true", help="start with empty tables")
    args = parser.parse_args(argv)
    config = EmulatorConfig(
        time_zone=args.time_zone,
        date_format=args.date_format,
        time_format=args.time_format,
        instance_url=args.instance_url,
    )
    app = create_app(EmulatorState(config, seed=not args.no_seed))
    web.run_app(app, host=args.host, port=args.port)


if __name__ == "__main__":
    main()
