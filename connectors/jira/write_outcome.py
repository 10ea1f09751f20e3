"""After a write: which of the values the gateway sent Jira does not hold, read back from the
issue (pure functions, tested on recorded shapes).

Jira answers 201 / 204 to a write and may still end up holding something else: an automation rule
or a workflow post function that edits the issue right after ("When: issue created / field value
changed; Then: edit issue"), a field the screen ignores. So the connector reads back every Jira
field it sent (``read_back_fields``) with the asked ones, and ``untaken`` compares them, naming
each value as the caller did: ``shortDescription``, ``longDescription``, ``ticketStatus``, or
``ticketJSON.<field id>``.

Values are compared by what identifies them in Jira: an object by the keys the caller gave
(``{"name": "High"}`` by name, ``{"id": "2"}`` by id, ``{"accountId"}``, ``{"value"}`` of an
option), a document by its text, a list as a set, anything else as text. A shape the gateway
cannot judge counts as taken (nothing is claimed that is not known).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from connectors.jira.adf import adf_to_text
from connectors.jira.writes import WritePlan
from connectors.model import UntakenValue

# The keys that identify a value object in Jira, in the order they are shown.
_IDENTIFYING = ("name", "value", "key", "accountId", "id")


def read_back_fields(plan: WritePlan) -> set[str]:
    """The Jira field ids to read back to judge ``plan``: what it sets, and the status its
    transition targets."""
    names = set(plan.fields)
    if plan.status is not None:
        names.add("status")
    return names


def untaken(plan: WritePlan, issue: Mapping[str, Any]) -> tuple[UntakenValue, ...]:
    raw = issue.get("fields")
    held: Mapping[str, Any] = raw if isinstance(raw, Mapping) else {}
    found: list[UntakenValue] = []
    for name, sent in plan.fields.items():
        if name not in held or _same(sent, held[name]):
            continue  # a field Jira does not answer is not judged
        sent_as = plan.given.get(name) or shown(sent)
        found.append(UntakenValue(plan.caller_name(name), sent_as, shown(held[name])))
    status = plan.status
    if status is not None and "status" in held and not status.matches(held["status"]):
        found.append(UntakenValue(status.given_as, status.label, shown(held["status"])))
    return tuple(found)


def _same(sent: Any, held: Any) -> bool:
    if sent is None or sent == "" or sent == []:
        return held in (None, "", []) or (_is_document(held) and not adf_to_text(held))
    if _is_document(sent):
        return adf_to_text(sent) == adf_to_text(held)
    if isinstance(sent, Mapping):
        keys = [key for key in _IDENTIFYING if key in sent]
        if not keys:
            return True  # not a shape the gateway can judge
        if not isinstance(held, Mapping):
            return False
        return all(_text(held.get(key)).casefold() == _text(sent[key]).casefold() for key in keys)
    if isinstance(sent, list):
        if not isinstance(held, list) or len(sent) != len(held):
            return False
        return sorted(shown(v) for v in sent) == sorted(shown(v) for v in held)
    if isinstance(sent, bool) or isinstance(held, bool):
        return bool(sent == held)
    if isinstance(sent, int | float) and isinstance(held, int | float):
        return float(sent) == float(held)
    return _text(sent) == _text(held)


def shown(value: Any) -> str:
    """A Jira value as text for a message: an object by its name (or other identifying key), a
    document by its text, a list joined; ``""`` for nothing."""
    if value is None:
        return ""
    if _is_document(value):
        return adf_to_text(value)
    if isinstance(value, Mapping):
        for key in ("displayName", *_IDENTIFYING):
            if value.get(key) not in (None, ""):
                return _text(value[key])
        return ""
    if isinstance(value, list):
        return ", ".join(shown(v) for v in value)
    return _text(value)


def _is_document(value: Any) -> bool:
    return isinstance(value, Mapping) and value.get("type") == "doc"


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
