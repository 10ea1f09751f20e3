"""The emulated site's catalogue: projects, issue types, priorities and custom fields.

``DESK`` is a Jira Service Management project (``projectTypeKey`` ``service_desk``): its issues
are customer requests, so the service desk API (request comments, SLAs) answers for them. ``OPS``
is a Jira Software project: the platform API serves its issues, the service desk API does not.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from emulators.jira import sla
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
    kind: str  # "string" (single line), "number", "adf" (multi-line text) or "sla"
    metric: str | None = None  # an "sla" field: the id of the SLA metric it shows (sla.py)


AFFECTED_SERVICE = CustomField("customfield_10050", "Affected service", "string")
IMPACT_SCORE = CustomField("customfield_10051", "Impact score", "number")
WORKAROUND = CustomField("customfield_10052", "Workaround", "adf")
# Where the gateway keeps its correlation ids (docs/connectors/jira.md): a single-line text field.
CORRELATION_ID = CustomField("customfield_10053", "Correlation ID", "string")
# Jira Service Management's SLA fields (type com.atlassian.servicedesk:sd-sla-field): read-only,
# each holding its SLA's record (sla.sla_json) on a customer request and null elsewhere. They are
# global fields, so a Jira Software project's issues answer them too (null).
TIME_TO_RESOLUTION = CustomField("customfield_10030", sla.RESOLUTION[1], "sla", sla.RESOLUTION[0])
TIME_TO_FIRST_RESPONSE = CustomField(
    "customfield_10031", sla.FIRST_RESPONSE[1], "sla", sla.FIRST_RESPONSE[0]
)
SLA_FIELDS = (TIME_TO_RESOLUTION, TIME_TO_FIRST_RESPONSE)


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
    custom_fields={
        f.id: f for f in (AFFECTED_SERVICE, IMPACT_SCORE, WORKAROUND, CORRELATION_ID, *SLA_FIELDS)
    },
    service_desk_id="1",
)
OPS = Project(
    id="10001",
    key="OPS",
    name="Platform Operations",
    type_key="software",
    workflow=SOFTWARE,
    issue_types=("10006", "10007"),
    custom_fields={f.id: f for f in (AFFECTED_SERVICE, CORRELATION_ID, *SLA_FIELDS)},
)
PROJECTS: tuple[Project, ...] = (DESK, OPS)
