"""``GET /rest/api/3/field`` ("Get fields",
https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issue-fields/#api-rest-api-3-field-get):
every system and custom field of the site, as ``FieldDetails``. The SLA fields are listed even to
an account that may not view SLAs (``Faults.sla_forbidden``): their values are what it cannot see.

The system fields listed are those the emulated issues hold; the custom fields are those of every
project (``emulators.jira.projects``), each once. A test drops a custom field from the site by
replacing ``JiraState.projects`` with projects that do not have it.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from emulators.jira import responses
from emulators.jira.keys import STATE_KEY
from emulators.jira.projects import CustomField

# System field id -> (name, schema type).
_SYSTEM: dict[str, tuple[str, str]] = {
    "summary": ("Summary", "string"),
    "description": ("Description", "string"),
    "priority": ("Priority", "priority"),
    "status": ("Status", "status"),
    "assignee": ("Assignee", "user"),
    "reporter": ("Reporter", "user"),
    "created": ("Created", "datetime"),
    "updated": ("Updated", "datetime"),
    "labels": ("Labels", "array"),
}
_PLUGIN = "com.atlassian.jira.plugin.system.customfieldtypes:"
# kind -> (schema type, schema custom): the SLA fields' are Jira Service Management's own.
_CUSTOM_TYPES = {
    "string": ("string", f"{_PLUGIN}textfield"),
    "adf": ("string", f"{_PLUGIN}textarea"),
    "number": ("number", f"{_PLUGIN}float"),
    "sla": ("sd-servicelevelagreement", "com.atlassian.servicedesk:sd-sla-field"),
}


async def get_fields(request: web.Request) -> web.Response:
    state = request.app[STATE_KEY]
    customs: dict[str, CustomField] = {}
    for project in state.projects.values():
        customs.update(project.custom_fields)
    body = [_system(field_id, *named) for field_id, named in _SYSTEM.items()]
    body.extend(_custom(field) for field in customs.values())
    return responses.json_response(body)


def _system(field_id: str, name: str, kind: str) -> dict[str, Any]:
    return {
        "id": field_id,
        "key": field_id,
        "name": name,
        "custom": False,
        "orderable": True,
        "navigable": True,
        "searchable": True,
        "clauseNames": [field_id],
        "schema": {"type": kind, "system": field_id},
    }


def _custom(field: CustomField) -> dict[str, Any]:
    kind, plugin = _CUSTOM_TYPES[field.kind]
    number = int(field.id.removeprefix("customfield_"))
    return {
        "id": field.id,
        "key": field.id,
        "name": field.name,
        "custom": True,
        "orderable": True,
        "navigable": True,
        "searchable": True,
        "clauseNames": [f"cf[{number}]", field.name],
        "schema": {
            "type": kind,
            "custom": plugin,
            "customId": number,
        },
    }
