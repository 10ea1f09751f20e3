"""Checking the ``fields`` of a create or an edit, as Jira does before it changes anything.

Errors come back as Jira's ``errors`` map (field id -> message); any error refuses the whole
request (400) and nothing is written. A field that is not on the create or edit screen (system
fields such as ``status``, ``created``, ``resolution`` outside a transition, or an unknown id) gets
Jira's "cannot be set" message. The messages are Jira Cloud's where they are known; where the docs
are silent the emulator words them itself (priority, user and label messages).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from emulators.jira import adf
from emulators.jira.projects import ISSUE_TYPES, PRIORITIES, Project
from emulators.jira.state import JiraState

SUMMARY_REQUIRED = "You must specify a summary of the issue."
SUMMARY_TOO_LONG = "Summary must be less than 255 characters."
_ADF_FIELDS = frozenset({"description", "environment"})
_USER_FIELDS = frozenset({"assignee", "reporter"})
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def not_settable(name: str) -> str:
    return f"Field '{name}' cannot be set. It is not on the appropriate screen, or unknown."


def check_fields(
    state: JiraState, project: Project, fields: Mapping[str, Any], *, creating: bool
) -> tuple[dict[str, Any], dict[str, str]]:
    """``(values to store, errors)`` for the editable fields (not ``project``/``issuetype`` on a
    create, which the create handler reads)."""
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for name, value in fields.items():
        if creating and name in ("project", "issuetype"):
            continue
        problem, stored = _check(state, project, name, value)
        if problem is None:
            values[name] = stored
        else:
            errors[name] = problem
    if creating and "summary" not in fields and "summary" not in errors:
        errors["summary"] = SUMMARY_REQUIRED
    return values, errors


def _check(state: JiraState, project: Project, name: str, value: Any) -> tuple[str | None, Any]:
    if name == "summary":
        if not isinstance(value, str) or not value.strip():
            return SUMMARY_REQUIRED, None
        if len(value) > 255:
            return SUMMARY_TOO_LONG, None
        return None, value
    if name in _ADF_FIELDS:
        return _adf(value)
    if name == "priority":
        return _priority(value)
    if name == "labels":
        return _labels(value)
    if name in _USER_FIELDS:
        return _user(state, name, value)
    if name == "duedate":
        if value is None or (isinstance(value, str) and _DATE.fullmatch(value)):
            return None, value
        return "Error parsing date string: " + str(value)[:40], None
    if name == "issuetype":
        issue_type = issue_type_of(project, value)
        return (None, issue_type) if issue_type else ("Specify a valid issue type", None)
    custom = project.custom_fields.get(name)
    if custom is None or custom.kind == "sla":  # SLA fields are Jira's to set
        return not_settable(name), None
    if custom.kind == "adf":
        return _adf(value)
    if value is None:
        return None, None
    if custom.kind == "number":
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        return (None, value) if ok else ("Operation value must be a number", None)
    return (None, value) if isinstance(value, str) else ("Operation value must be a string", None)


def _adf(value: Any) -> tuple[str | None, Any]:
    if value is None or adf.is_document(value):
        return None, value
    return adf.NOT_A_DOCUMENT, None


def _priority(value: Any) -> tuple[str | None, Any]:
    if not isinstance(value, dict) or not ({"id", "name"} & set(value)):
        return "Could not find valid 'id' or 'name' in priority object.", None
    if "id" in value:
        ok = value["id"] in PRIORITIES
        return (None, value["id"]) if ok else (f"Priority id '{value['id']}' is not valid", None)
    found = next((pid for pid, name in PRIORITIES.items() if name == value["name"]), None)
    return (None, found) if found else (f"Priority name '{value['name']}' is not valid", None)


def _labels(value: Any) -> tuple[str | None, Any]:
    if value is None:
        return None, []
    if not isinstance(value, list) or not all(isinstance(label, str) for label in value):
        return "Operation value must be a list of labels", None
    spaced = next((label for label in value if " " in label or not label), None)
    if spaced is not None:
        return f"The label '{spaced}' can't contain spaces.", None
    return None, list(value)


def _user(state: JiraState, name: str, value: Any) -> tuple[str | None, Any]:
    if value is None and name == "assignee":
        return None, None
    account = value.get("accountId") if isinstance(value, dict) else None
    if not isinstance(account, str) or state.user(account) is None:
        return "Specified user does not exist or you do not have required permissions", None
    return None, account


def issue_type_of(project: Project, value: Any) -> str | None:
    """The issue type id a ``{"id"}`` or ``{"name"}`` names among the project's, or ``None``."""
    if not isinstance(value, dict):
        return None
    if value.get("id") in project.issue_types:
        return str(value["id"])
    wanted = value.get("name")
    return next((t for t in project.issue_types if ISSUE_TYPES[t] == wanted), None)
