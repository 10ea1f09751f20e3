"""The checked-in list of mutants that are not counted (``mutation/equivalent.toml``)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

LIST = Path(__file__).with_name("equivalent.toml")
KINDS = frozenset({"equivalent", "message"})


@dataclass(frozen=True)
class Excluded:
    """A mutant named as equivalent or message-only, and why."""

    module: str
    id: str
    kind: str
    reason: str


def load(path: Path = LIST) -> dict[tuple[str, str], Excluded]:
    """Every listed mutant by (module path, id); refuses a list with an unknown kind or no
    reason, so nothing is excluded without saying why."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    listed: dict[tuple[str, str], Excluded] = {}
    for entry in data.get("mutant", []):
        excluded = Excluded(entry["module"], entry["id"], entry["kind"], entry["reason"].strip())
        if excluded.kind not in KINDS or not excluded.reason:
            raise SystemExit(f"{path}: {excluded.module} {excluded.id} needs a kind and a reason")
        listed[(excluded.module, excluded.id)] = excluded
    return listed
