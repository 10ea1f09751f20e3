"""The emulated site's catalogue: projects, issue types, priorities and custom fields.

``DESK`` is a Jira Service Management project (``projectTypeKey`` ``service_desk``): its issues
are customer requests, so the service desk API (request comments, SLAs) answers for them. ``OPS``
is a Jira Software project: the platform API serves its issues, the service desk API does not.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from emulators.jira.workflow import SERVICE_DESK, SOFTWARE, Workflow

ISSUE_TYPES: Mapping[str, str] = {
    "10004": "[System] Incident",
    "10005": "[System] Service request",
    "10006": "Task",
    "10007": "Bug",
}
PRIORITIES: Mapping[str, str] = {
    "1": "Highest",
    "2": "High",
    "3": "Medium",
    "4": "Low",
    "5": "Lowest",
}
DEFAULT_PRIORITY = "3"


@dataclass(frozen=True)
class CustomField:
    id: str  # customfield_NNNNN
    name: str
    kind: str  # "string" (single line), "number" or "adf" (multi-line text)


AFFECTED_SERVICE = CustomField("customfield_10050", "Affected service", "string")
IMPACT_SCORE = CustomField("customfield_10051", "Impact score", "number")
WORKAROUND = CustomField("customfield_10052", "Workaround", "adf")
# Where the gateway keeps its correlation ids (docs/connectors/jira.md): a single-line text field.
CORRELATION_ID = CustomField("customfield_10053", "Correlation ID", "string")


@dataclass(frozen=True)
class Project:
    id: str
    key: str
    name: str
    type_key: str  # "service_desk" or "software"
    workflow: Workflow
    issue_types: tuple[str, ...]
    custom_fields: Mapping[str, CustomField] = field(default_factory=dict)
    service_desk_id: str | None = None

    @property
    def is_service_desk(self) -> bool:
        return self.type_key == "service_desk"


DESK = Project(
    id="10000",
    key="DESK",
    name="IT Service Desk",
    type_key="service_desk",
    workflow=SERVICE_DESK,
    issue_types=("10004", "10005", "10006"),
    custom_fields={f.id: f for f in (AFFECTED_SERVICE, IMPACT_SCORE, WORKAROUND, CORRELATION_ID)},
    service_desk_id="1",
)
OPS = Project(
    id="10001",
    key="OPS",
    name="Platform Operations",
    type_key="software",
    workflow=SOFTWARE,
    issue_types=("10006", "10007"),
    custom_fields={f.id: f for f in (AFFECTED_SERVICE, CORRELATION_ID)},
)
PROJECTS: tuple[Project, ...] = (DESK, OPS)
