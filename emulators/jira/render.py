"""Issues, users, statuses, comments and transitions as the platform API writes them.

``fields=`` picks which fields an issue answer carries (``GET /rest/api/3/issue/{issueIdOrKey}``):
a comma-separated list, possibly repeated; ``*all`` and ``*navigable`` for every field (the
emulator has no non-navigable ones); ``-name`` to leave one out. Without it every field is
answered. Unknown names are ignored, as Jira does. A field the issue has no value for is ``null``.

An SLA field (``projects.SLA_FIELDS``) holds its SLA's record, the same body as the service desk
API's "Get SLA information" gives for it (``sla.sla_json``), or ``null`` when the issue has no
such SLA (not a customer request). To an account that may not view SLAs
(``Faults.sla_forbidden``) the SLA fields are left out of the answer, as Jira leaves out fields
the caller cannot view.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import tzinfo
from typing import Any

from emulators.jira.dates import jira_time
from emulators.jira.projects import ISSUE_TYPES, PRIORITIES, CustomField, Project
from emulators.jira.sla import sla_json
from emulators.jira.state import Comment, Issue, JiraState, resolution_name
from emulators.jira.workflow import CATEGORIES, RESOLUTIONS, Transition

SYSTEM_FIELDS = (
    "summary", "description", "environment", "priority", "labels", "assignee", "reporter",
    "creator", "status", "resolution", "resolutiondate", "created", "updated", "project",
    "issuetype", "duedate", "comment",
)  # fmt: skip
EXPANDABLE = "renderedFields,names,schema,operations,editmeta,changelog,versionedRepresentations"


def selected_fields(values: Iterable[str]) -> tuple[set[str] | None, set[str]]:
    """``(included, excluded)`` from every ``fields`` parameter; ``None``: every field. An empty
    ``fields=`` answers every field (the docs do not say; the emulator chose)."""
    names = [name.strip() for value in values for name in value.split(",") if name.strip()]
    excluded = {name[1:] for name in names if name.startswith("-")}
    plain = {name for name in names if not name.startswith("-") and not name.startswith("*")}
    if not plain or any(name in ("*all", "*navigable") for name in names):
        return None, excluded
    return plain, excluded


class Renderer:
    """Writes answers for one request: links under ``base``, times in the caller's ``zone``."""

    def __init__(self, state: JiraState, base: str, zone: tzinfo) -> None:
        self.state, self.base, self.zone = state, base, zone

    def time(self, moment: Any) -> str | None:
        return None if moment is None else jira_time(moment, self.zone)

    def user(self, account_id: str | None) -> dict[str, Any] | None:
        user = self.state.user(account_id)
        if user is None:
            return None
        return {
            "self": f"{self.base}/rest/api/3/user?accountId={user.account_id}",
            "accountId": user.account_id,
            "emailAddress": user.email,
            "avatarUrls": {},
            "displayName": user.display_name,
            "active": True,
            "timeZone": user.time_zone,
            "accountType": user.account_type,
        }

    def status(self, project: Project, status_id: str) -> dict[str, Any]:
        status = project.workflow.statuses[status_id]
        number, name, color = CATEGORIES[status.category]
        return {
            "self": f"{self.base}/rest/api/3/status/{status.id}",
            "description": "",
            "iconUrl": f"{self.base}/images/icons/statuses/generic.png",
            "name": status.name,
            "id": status.id,
            "statusCategory": {
                "self": f"{self.base}/rest/api/3/statuscategory/{number}",
                "id": number,
                "key": status.category,
                "colorName": color,
                "name": name,
            },
        }

    def project(self, project: Project) -> dict[str, Any]:
        return {
            "self": f"{self.base}/rest/api/3/project/{project.id}",
            "id": project.id,
            "key": project.key,
            "name": project.name,
            "projectTypeKey": project.type_key,
            "simplified": False,
            "avatarUrls": {},
        }

    def issue(
        self, issue: Issue, fields: Iterable[str] = (), expand: Iterable[str] = ()
    ) -> dict[str, Any]:
        included, excluded = selected_fields(list(fields))
        customs = issue.project.custom_fields
        forbidden = self.state.faults.sla_forbidden
        hidden = {n for n, f in customs.items() if f.kind == "sla" and forbidden}
        names = [*SYSTEM_FIELDS, *(n for n in customs if n not in hidden)]
        wanted = [n for n in names if (included is None or n in included) and n not in excluded]
        body: dict[str, Any] = {
            "expand": EXPANDABLE,
            "id": issue.id,
            "self": f"{self.base}/rest/api/3/issue/{issue.id}",
            "key": issue.key,
            "fields": {name: self._field(issue, name) for name in wanted},
        }
        if "transitions" in set(expand):
            body["transitions"] = self.transitions(issue)
        return body

    def _field(self, issue: Issue, name: str) -> Any:
        value = issue.values.get(name)
        match name:
            case "assignee" | "reporter":
                return self.user(value)
            case "creator":
                return self.user(issue.creator)
            case "priority":
                priority: str = issue.values["priority"]  # every issue has one (the default: 3)
                icon = f"{self.base}/images/icons/priorities/{PRIORITIES[priority].lower()}.svg"
                return {
                    "self": f"{self.base}/rest/api/3/priority/{priority}",
                    "iconUrl": icon,
                    "name": PRIORITIES[priority],
                    "id": priority,
                }
            case "status":
                return self.status(issue.project, issue.status)
            case "resolution":
                name_ = resolution_name(issue.resolution)
                if name_ is None:
                    return None
                return {
                    "self": f"{self.base}/rest/api/3/resolution/{issue.resolution}",
                    "id": issue.resolution,
                    "description": "",
                    "name": name_,
                }
            case "resolutiondate":
                return self.time(issue.resolutiondate)
            case "created":
                return self.time(issue.created)
            case "updated":
                return self.time(issue.updated)
            case "project":
                return self.project(issue.project)
            case "issuetype":
                return {
                    "self": f"{self.base}/rest/api/3/issuetype/{issue.issue_type}",
                    "id": issue.issue_type,
                    "description": "",
                    "iconUrl": f"{self.base}/images/icons/issuetypes/generic.svg",
                    "name": ISSUE_TYPES[issue.issue_type],
                    "subtask": False,
                    "hierarchyLevel": 0,
                }
            case "labels":
                return list(value or [])
            case "comment":
                comments = [self.comment(issue, c) for c in issue.comments]
                return {
                    "comments": comments,
                    "self": f"{self.base}/rest/api/3/issue/{issue.id}/comment",
                    "maxResults": len(comments),
                    "total": len(comments),
                    "startAt": 0,
                }
            case _ if name in issue.project.custom_fields:
                return self._custom(issue, issue.project.custom_fields[name], value)
            case _:
                return value

    def _custom(self, issue: Issue, custom: CustomField, value: Any) -> Any:
        if custom.kind != "sla":
            return value
        clock = next((c for c in issue.slas if c.id == custom.metric), None)
        if clock is None:
            return None
        link = f"{self.base}/rest/servicedeskapi/request/{issue.id}/sla/{clock.id}"
        return sla_json(clock, self.state.now(), self.zone, link)

    def comment(self, issue: Issue, comment: Comment, expand: Iterable[str] = ()) -> dict[str, Any]:
        body: dict[str, Any] = {
            "self": f"{self.base}/rest/api/3/issue/{issue.id}/comment/{comment.id}",
            "id": comment.id,
            "author": self.user(comment.author),
            "body": comment.body,
            "updateAuthor": self.user(comment.author),
            "created": self.time(comment.created),
            "updated": self.time(comment.created),
            "jsdPublic": comment.public,
        }
        if comment.visibility is not None:
            body["visibility"] = comment.visibility
        if "properties" in set(expand):
            body["properties"] = comment.properties
        return body

    def transitions(self, issue: Issue, with_fields: bool = False) -> list[dict[str, Any]]:
        return [
            self.transition(issue, t, with_fields)
            for t in issue.project.workflow.available(issue.status)
        ]

    def transition(self, issue: Issue, transition: Transition, with_fields: bool) -> dict[str, Any]:
        body: dict[str, Any] = {
            "id": transition.id,
            "name": transition.name,
            "to": self.status(issue.project, transition.to),
            "hasScreen": transition.has_screen,
            "isGlobal": False,
            "isInitial": False,
            "isAvailable": True,
            "isConditional": False,
            "isLooped": False,
        }
        if with_fields:
            body["fields"] = (
                {
                    "resolution": {
                        "required": False,
                        "schema": {"type": "resolution", "system": "resolution"},
                        "name": "Resolution",
                        "key": "resolution",
                        "operations": ["set"],
                        "allowedValues": [
                            {"id": rid, "name": rname} for rid, rname in sorted(RESOLUTIONS.items())
                        ],
                    }
                }
                if transition.has_screen
                else {}
            )
        return body
