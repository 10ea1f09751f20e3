"""``itsm-gateway config check`` and ``itsm-gateway config show``.

``check`` goes through what ``serve`` goes through before it listens, by the same calls:
``Settings.load``'s two steps, then ``create_app``, which checks the URL policy, the connection
profiles (reading their secrets from the variables and files they name, and resolving their hosts
as ``serve`` does) and the Redis URL. Building the app opens no connection: Keycloak, Redis and
the ITSMs are not contacted. So ``check`` refuses exactly what ``serve`` would refuse, and says
every problem at once.

``show`` prints the effective settings and where each value came from, with every secret masked
(``gateway.commands.masking``).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import re
import sys
from collections.abc import Iterator, Mapping
from typing import Any

from gateway.app import create_app
from gateway.commands.masking import masked_settings, masked_url
from gateway.settings import (
    ENVIRONMENT,
    PREFIX,
    Settings,
    SettingsError,
    SettingsSources,
    closest_setting,
)

OK, INVALID = 0, 2

# gateway.profiles joins its problems with "; " into one SettingsError, and each starts with the
# profile's key; a problem's own text may hold "; " too, so only a split before a key is safe.
_PROFILE_PROBLEM = re.compile(r"; (?=connections\.)")


def add_parser(commands: Any) -> None:
    """``config check`` and ``config show`` under ``commands`` (argparse's subparsers)."""
    config = commands.add_parser(
        "config", help="check or show the settings `serve` would start with"
    )
    actions = config.add_subparsers(dest="config_command", required=True)
    actions.add_parser(
        "check",
        help="validate everything serve validates at start, contacting nothing; exit 0 or 2",
    )
    show = actions.add_parser(
        "show", help="print the effective settings and their sources, secrets masked"
    )
    show.add_argument("--json", action="store_true", help="JSON instead of TOML")


def run(args: argparse.Namespace) -> int:
    if args.config_command == "check":
        return check()
    return show(as_json=args.json)


# -- check ---------------------------------------------------------------------------------------


def check() -> int:
    warnings: list[str] = []
    problems: list[str] = []
    with _logged_warnings(warnings):
        try:
            sources = SettingsSources.read()
            warnings += _ignored_variables(sources)
            settings = Settings.from_sources(sources)
            create_app(settings)  # what serve builds: profiles, URL policy, clients; no I/O
        except SettingsError as error:
            problems = _problems(error)
    if not problems and settings.workers > 1 and not settings.redis_url:
        warnings.append(
            f"{settings.workers} workers keep idempotency keys each in its own memory: a retry "
            f"that reaches another worker is not recognised; set {PREFIX}REDIS_URL"
        )
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if problems:
        return _refuse(problems)
    print(f"settings OK: {summary(settings, sources)}")
    return OK


def summary(settings: Settings, sources: SettingsSources) -> str:
    profiles = ", ".join(sorted(settings.connections)) or "none"
    workers = f"{settings.workers} worker" + ("s" if settings.workers > 1 else "")
    store = (
        f"in Redis at {masked_url(settings.redis_url)}"
        if settings.redis_url
        else "in memory (per process)"
    )
    parts = [
        f"listening on {settings.host}:{settings.port} with {workers}",
        f"issuer {settings.keycloak_issuer} (audience {settings.keycloak_audience})",
        f"{len(settings.offline_clients())} offline-token client(s)",
        f"connection profiles: {profiles}",
        f"idempotency keys {store}",
        f"settings file {sources.file}" if sources.file else "no settings file",
    ]
    return "; ".join(parts)


def _problems(error: SettingsError) -> list[str]:
    return [part for problem in error.problems for part in _PROFILE_PROBLEM.split(problem)]


def _refuse(problems: list[str]) -> int:
    print(
        f"itsm-gateway: {len(problems)} problem(s) in the settings; serve would refuse to start:",
        file=sys.stderr,
    )
    for problem in problems:
        print(f"  - {problem}", file=sys.stderr)
    return INVALID


def _ignored_variables(sources: SettingsSources) -> list[str]:
    warnings = []
    for variable in sources.unknown_variables:
        guess = closest_setting(variable)
        hint = f" (did you mean {PREFIX}{guess.upper()}?)" if guess else ""
        warnings.append(f"{variable} is not a setting and is ignored{hint}")
    return warnings


class _Collect(logging.Handler):
    def __init__(self, messages: list[str]) -> None:
        super().__init__(logging.WARNING)
        self.messages = messages

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@contextlib.contextmanager
def _logged_warnings(messages: list[str]) -> Iterator[None]:
    """What building the app warns about (a profile host DNS did not answer for) into
    ``messages``, rather than to the log."""
    logger = logging.getLogger("itsm_gateway")
    handler = _Collect(messages)
    logger.addHandler(handler)
    try:
        yield
    finally:
        logger.removeHandler(handler)


# -- show ----------------------------------------------------------------------------------------


def show(*, as_json: bool) -> int:
    try:
        sources = SettingsSources.read()
        settings = Settings.from_sources(sources)
    except SettingsError as error:
        return _refuse(_problems(error))
    shown = masked_settings(settings)
    if as_json:
        print(json.dumps(_as_json(shown, sources), indent=2, ensure_ascii=False))
    else:
        print(to_toml(shown, sources), end="")
    return OK


def _as_json(shown: Mapping[str, Any], sources: SettingsSources) -> dict[str, Any]:
    return {
        "settings_file": str(sources.file) if sources.file else None,
        "settings": dict(shown),
        "sources": {name: sources.origin(name) for name in shown},
        "ignored_variables": list(sources.unknown_variables),
    }


def to_toml(shown: Mapping[str, Any], sources: SettingsSources) -> str:
    """``shown`` as a TOML document (it parses), each setting commented with its source."""
    file = f"{sources.file}" if sources.file else "no settings file"
    lines = [
        f"# itsm-gateway's effective settings: the defaults, then {file}, then {PREFIX}*",
        "# variables. Each line says where its value comes from; secrets are masked.",
    ]
    lines += [f"# ignored: {name} is not a setting" for name in sources.unknown_variables]
    rows = []
    for name, value in shown.items():
        if name == "connections":
            continue
        text = f"# {name} is not set" if value is None else f"{name} = {_toml(value)}"
        rows.append((text, _origin(name, sources)))
    width = min(max(len(text) for text, _ in rows), 60)
    lines += [f"{text:<{width}}  # {origin}" for text, origin in rows]
    for profile, table in shown["connections"].items():
        lines += ["", f"[connections.{_toml_key(profile)}]  # {_origin('connections', sources)}"]
        lines += [f"{_toml_key(key)} = {_toml(value)}" for key, value in table.items()]
    return "\n".join(lines) + "\n"


def _origin(name: str, sources: SettingsSources) -> str:
    origin = sources.origin(name)
    return f"{origin}: {PREFIX}{name.upper()}" if origin == ENVIRONMENT else origin


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml(item) for item in value) + "]"
    # A JSON string is a TOML basic string, as long as it is not ASCII-escaped (TOML has no
    # surrogate escapes).
    return json.dumps(str(value), ensure_ascii=False)


def _toml_key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else json.dumps(key, ensure_ascii=False)
