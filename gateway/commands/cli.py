"""``itsm-gateway``: serve, demo, export-schema, config (check, show), check-connection."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from gateway.app import create_app
from gateway.commands import check_connection, config_commands
from gateway.observability.logs import configure_logging
from gateway.settings import Settings, SettingsError
from gateway.workers import run, run_workers
from graph.schema import build_schema

log = logging.getLogger("itsm_gateway")

EMULATORS_MISSING = (
    "itsm-gateway demo: the emulators are not installed (they stay out of a production install); "
    "from a clone of the repository run `make demo`, or `pip install -e ./emulators`"
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="itsm-gateway", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the gateway (settings from ITSM_GATEWAY_*)")
    serve.add_argument("--host", help="overrides ITSM_GATEWAY_HOST")
    serve.add_argument("--port", type=int, help="overrides ITSM_GATEWAY_PORT")
    serve.add_argument(
        "--workers", type=int, help="processes sharing the port; overrides ITSM_GATEWAY_WORKERS"
    )

    demo = commands.add_parser(
        "demo", help="run the gateway with ServiceNow and Jira emulators and a demo token issuer"
    )
    demo.add_argument("--port", type=int, default=8080, help="the gateway's port (default 8080)")
    demo.add_argument("--emulator-port", type=int, default=8089)
    demo.add_argument("--issuer-port", type=int, default=8088)
    demo.add_argument("--rt-port", type=int, help="RT 5 if installed (default: emulator port + 2)")

    export = commands.add_parser("export-schema", help="write the GraphQL schema (SDL)")
    export.add_argument("--output", type=Path, default=Path("schema.graphql"))
    export.add_argument(
        "--check", action="store_true", help="exit 1 when the file differs from the code"
    )

    config_commands.add_parser(commands)

    check_connection.add_arguments(
        commands.add_parser("check-connection", help="check an ITSM connection before going live")
    )

    args = parser.parse_args(argv)
    if args.command == "serve":
        return _serve(args.host, args.port, args.workers)
    if args.command == "demo":
        return _demo(args.port, args.emulator_port, args.issuer_port, args.rt_port)
    if args.command == "config":
        return config_commands.run(args)
    if args.command == "check-connection":
        return check_connection.run(args)
    return _export_schema(args.output, args.check)


def _serve(host: str | None, port: int | None, workers: int | None) -> int:
    try:
        settings = Settings.load(host=host, port=port, workers=workers)
        configure_logging(settings.log_level, settings.log_format)
        # Connection profiles are checked as the app is built: their errors are settings errors,
        # reported once, before any worker starts.
        app = create_app(settings)
    except SettingsError as error:
        print(f"itsm-gateway: invalid settings: {error}", file=sys.stderr)
        return 2
    if settings.workers > 1:
        # Each worker builds its own app after the fork (its own loop, clients, connections).
        return run_workers(settings, lambda: create_app(settings))
    run(app, settings)
    log.info("stopped")
    return 0


def _demo(port: int, emulator_port: int, issuer_port: int, rt_port: int | None) -> int:
    # Imported here, not at the top: the demo needs the emulators, a separate distribution that
    # a production install does not have, and `serve` must never load them.
    try:
        from gateway.commands.demo import run_demo
    except ModuleNotFoundError as error:
        if error.name != "emulators" and not (error.name or "").startswith("emulators."):
            raise
        print(EMULATORS_MISSING, file=sys.stderr)
        return 2
    return run_demo(port, emulator_port, issuer_port, rt_port=rt_port)


def schema_sdl() -> str:
    return build_schema().as_str() + "\n"


def _export_schema(output: Path, check: bool) -> int:
    sdl = schema_sdl()
    if check:
        current = output.read_text() if output.exists() else ""
        if current != sdl:
            print(
                f"{output} differs from the schema in the code; "
                "run `itsm-gateway export-schema` and commit the result",
                file=sys.stderr,
            )
            return 1
        return 0
    output.write_text(sdl)
    print(f"wrote {output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
