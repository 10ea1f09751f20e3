"""What a caller wants written, as the calls Jira gets: pure functions that refuse
(``BadInput``) everything the gateway can judge wrong before anything is sent.

``ticketJSON`` holds Jira field ids (``summary``, ``description``, ``priority``, ``labels``,
``customfield_10050``...) with Jira's values (``{"name": "High"}``), sent as the issue's
``fields`` as given, with these exceptions:

- ``description`` and ``environment`` given as text become ADF (``""`` clears them); an ADF
  document is sent as given. Other multi-line custom fields take ADF documents only.
- ``status`` (a name, ``{"name": ...}`` or ``{"id": ...}``) is not a field Jira lets anyone set:
  it asks for a transition (see the connector).
- ``resolution`` goes with that transition (Jira puts it on the transition's screen).
- ``comment``, a text, adds a public comment; ``{"body": text, "public": false}`` an internal one
  (the service desk API's own shape).
- ``issuetype`` may be a name (``"Task"``) as well as ``{"name"}``/``{"id"}``.

Refused: fields Jira sets itself (``created``, ``creator``, ``resolutiondate``...), ``project``
(the project is ``connectionDetails.table``), names that are not field ids, and a canonical and a
native value for the same thing. A create must have a summary and cannot set a status (an issue
starts in its workflow's first status).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from connectors.connection_keys import TABLE, key_path
from connectors.errors import BadInput
from connectors.fields import WritableField
from connectors.jira.adf import text_to_adf
from connectors.model import WriteRequest

W = WritableField

# Set by Jira (or only through other resources), never through an issue's fields.
SYSTEM_FIELDS = frozenset(
    {
        "id", "key", "issuekey", "self", "created", "updated", "creator", "resolutiondate",
        "lastViewed", "statuscategorychangedate", "statusCategory", "watches", "votes",
        "worklog", "attachment", "subtasks", "issuelinks", "progress", "aggregateprogress",
        "timespent", "aggregatetimespent", "timeestimate", "aggregatetimeestimate",
        "aggregatetimeoriginalestimate", "workratio", "thumbnail", "issuerestriction",
    }
)  # fmt: skip
_TEXT_AS_ADF = frozenset({"description", "environment"})
_FIELD_ID = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,99}")

CANONICAL_FIELDS: Mapping[WritableField, str] = {
    W.TICKET_STATUS: "a transition to the status of that name",
    W.SHORT_DESCRIPTION: "fields.summary",
    W.LONG_DESCRIPTION: "fields.description (plain text as Atlassian Document Format)",
    W.COMMENTS: (
        "a public comment: POST /rest/api/3/issue/{key}/comment, body in ADF (appends one)"
    ),
    W.WORK_NOTES: (
        "an internal comment: POST /rest/servicedeskapi/request/{key}/comment with "
        "public false (appends one; service projects only)"
    ),
    W.ASSIGNED_TO: "fields.assignee: the user with that display name, email or account id",
    W.CALLER_ID: "fields.reporter: the user with that display name, email or account id",
    W.CORRELATION_ID: (
        'the text custom field named "Correlation ID" (its id found through '
        "GET /rest/api/3/field; a site without it refuses a correlationId with 400)"
    ),
}
# The canonical people fields and the Jira user field each sets (after the connector finds the
# accountId: connectors.jira.people).
PEOPLE: Mapping[WritableField, str] = {W.ASSIGNED_TO: "assignee", W.CALLER_ID: "reporter"}


@dataclass(frozen=True)
class StatusTarget:
    """The status a write asks for, by name or by id, and how the caller named it."""

    name: str | None
    id: str | None
    given_as: str  # "ticketStatus" or "ticketJSON.status"

    def matches(self, status: object) -> bool:
        if not isinstance(status, Mapping):
            return False
        if self.id is not None:
            return str(status.get("id")) == self.id
        return str(status.get("name", "")).strip().casefold() == (self.name or "").casefold()

    @property
    def label(self) -> str:
        return self.name if self.name is not None else f"id {self.id}"


@dataclass(frozen=True)
class NewComment:
    body: str | dict[str, object]  # plain text, or ADF for a public comment given as ADF
    public: bool


@dataclass(frozen=True)
class WritePlan:
    fields: dict[str, object] = field(default_factory=dict)
    status: StatusTarget | None = None
    resolution: object | None = None
    comments: tuple[NewComment, ...] = ()
    # The Jira field ids a TicketInput field gave ("summary": "shortDescription"): a value that
    # did not take is named as the caller named it; the others came from ticketJSON.
    origins: Mapping[str, str] = field(default_factory=dict)
    # Jira user field -> (the canonical field, the person as the caller named them): resolved to
    # an accountId by the connector before anything is written.
    people: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    # Jira field -> the value as the caller gave it, where the gateway sends another form (a
    # person's name sent as an accountId): what a message about that field quotes.
    given: Mapping[str, str] = field(default_factory=dict)

    def caller_name(self, name: str) -> str:
        """How the caller named Jira's field ``name``."""
        return self.origins.get(name, f"ticketJSON.{name}")

    @property
    def needs_service_desk(self) -> bool:
        return any(not comment.public for comment in self.comments)


def plan_write(
    write: WriteRequest,
    *,
    creating: bool,
    project_key: str = key_path(TABLE),
    correlation: str | None = None,
) -> WritePlan:
    """The calls a write needs, or ``BadInput`` naming what is wrong (nothing is sent).
    ``correlation``: the id of the site's correlation id field, looked up by the connector
    when the write names correlationId (``connectors.jira.correlation``)."""
    if write.is_empty():
        raise BadInput("ticketJSON needs at least one field to write; nothing was sent")
    native = dict(write.native)
    _refuse_names(native, project_key)
    canonical = _canonical(write.canonical)
    _refuse_doubles(native, canonical)

    fields: dict[str, object] = {}
    for name, value in native.items():
        if name not in ("status", "resolution", "comment"):
            fields[name] = _native_value(name, value)
    origins: dict[str, str] = {}
    if W.SHORT_DESCRIPTION in canonical:
        fields["summary"] = canonical[W.SHORT_DESCRIPTION]
        origins["summary"] = W.SHORT_DESCRIPTION.value
    if W.LONG_DESCRIPTION in canonical:
        fields["description"] = _adf_or_none(canonical[W.LONG_DESCRIPTION])
        origins["description"] = W.LONG_DESCRIPTION.value
    if W.CORRELATION_ID in canonical:
        if correlation is None:
            raise ValueError("the connector looks the correlation field up first")
        if correlation in native:
            raise BadInput(
                f"correlationId and ticketJSON.{correlation} both set the correlation id; "
                "send one of them"
            )
        fields[correlation] = canonical[W.CORRELATION_ID] or None
        origins[correlation] = W.CORRELATION_ID.value
    people: dict[str, tuple[str, str]] = {}
    for writable, jira_field in PEOPLE.items():
        if writable not in canonical:
            continue
        person = canonical[writable].strip()
        if not person and writable is W.ASSIGNED_TO:
            fields[jira_field] = None  # unassigned
            origins[jira_field] = writable.value
        elif not person:
            raise BadInput(f"{writable.value} must name a Jira user; a request needs a reporter")
        else:
            people[jira_field] = (writable.value, person)

    status = _status(native, canonical)
    if creating and status is not None:
        raise BadInput(
            f"{status.given_as}: Jira creates an issue in its workflow's first status; create "
            "it without a status, then change the status with an update (a transition)"
        )
    if ("summary" in fields or creating) and not _filled(fields.get("summary")):
        raise BadInput(
            "Jira needs a summary to create an issue: set ticketJSON.summary (or "
            "shortDescription) to a one-line text"
        )
    resolution = native.get("resolution")
    if "resolution" in native and status is None:
        fields["resolution"] = resolution  # no transition to carry it: Jira judges the edit
        resolution = None
    return WritePlan(fields, status, resolution, _comments(native, canonical), origins, people)


def _refuse_names(native: Iterable[object], project_key: str) -> None:
    odd = sorted(
        repr(key) for key in native if not isinstance(key, str) or not _FIELD_ID.fullmatch(key)
    )
    if odd:
        raise BadInput(
            f"ticketJSON has names that are not Jira field ids: {', '.join(odd)}; use ids "
            "such as summary, priority or customfield_10050"
        )
    system = sorted(key for key in native if key in SYSTEM_FIELDS)
    if system:
        names = ", ".join(f"ticketJSON.{key}" for key in system)
        raise BadInput(f"{names}: set by Jira, so they cannot be written; remove them")
    if "project" in native:
        raise BadInput(
            f"ticketJSON.project: the project is {project_key} (its key, e.g. DESK); "
            "remove project from ticketJSON"
        )


def _canonical(canonical: Mapping[str, str]) -> dict[WritableField, str]:
    known = {f.value: f for f in WritableField}
    unknown = sorted(key for key in canonical if key not in known)
    if unknown:
        raise BadInput(
            f"Unknown ticket input fields: {', '.join(unknown)}; valid names are {', '.join(known)}"
        )
    values: dict[WritableField, str] = {}
    for key, value in canonical.items():
        if value is not None and not isinstance(value, str):
            raise BadInput(f"{key} must be a string")
        values[known[key]] = value or ""
    return values


_DOUBLES = (
    (W.SHORT_DESCRIPTION, "summary"),
    (W.LONG_DESCRIPTION, "description"),
    (W.TICKET_STATUS, "status"),
    (W.COMMENTS, "comment"),
    (W.WORK_NOTES, "comment"),
    (W.ASSIGNED_TO, "assignee"),
    (W.CALLER_ID, "reporter"),
)


def _refuse_doubles(native: Mapping[str, object], canonical: Mapping[WritableField, str]) -> None:
    both = [f"{c.value} and ticketJSON.{n}" for c, n in _DOUBLES if c in canonical and n in native]
    if both:
        raise BadInput(f"Both set the same Jira field: {'; '.join(both)}; give each value once")


def _native_value(name: str, value: object) -> object:
    if name in _TEXT_AS_ADF:
        if value is None or isinstance(value, dict):
            return value
        if isinstance(value, str):
            return _adf_or_none(value)
        raise BadInput(f"ticketJSON.{name} must be text or an Atlassian Document Format document")
    if name == "issuetype" and isinstance(value, str):
        if not value.strip():
            raise BadInput("ticketJSON.issuetype must name an issue type, e.g. Task")
        return {"name": value}
    return value


def _adf_or_none(text: str) -> dict[str, object] | None:
    return text_to_adf(text) if text else None


def _filled(value: object) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _status(
    native: Mapping[str, object], canonical: Mapping[WritableField, str]
) -> StatusTarget | None:
    if W.TICKET_STATUS in canonical:
        name = canonical[W.TICKET_STATUS].strip()
        if not name:
            raise BadInput("ticketStatus must name a Jira status, e.g. In Progress")
        return StatusTarget(name, None, "ticketStatus")
    if "status" not in native:
        return None
    value = native["status"]
    if isinstance(value, str) and value.strip():
        return StatusTarget(value.strip(), None, "ticketJSON.status")
    if isinstance(value, dict) and len(value) == 1:
        ((key, given),) = value.items()
        if key in ("name", "id") and isinstance(given, str | int) and str(given).strip():
            text = str(given).strip()
            return StatusTarget(
                text if key == "name" else None, text if key == "id" else None, "ticketJSON.status"
            )
    raise BadInput(
        'ticketJSON.status must be a status name, {"name": ...} or {"id": ...}, e.g. "Resolved"'
    )


def _comments(
    native: Mapping[str, object], canonical: Mapping[WritableField, str]
) -> tuple[NewComment, ...]:
    comments: list[NewComment] = []
    if W.COMMENTS in canonical:
        comments.append(NewComment(_comment_text("comments", canonical[W.COMMENTS]), True))
    if W.WORK_NOTES in canonical:
        comments.append(NewComment(_comment_text("workNotes", canonical[W.WORK_NOTES]), False))
    if "comment" in native:
        comments.append(_native_comment(native["comment"]))
    return tuple(comments)


def _comment_text(name: str, text: object) -> str:
    if not isinstance(text, str) or not text.strip():
        raise BadInput(f"{name} must be a non-empty text")
    return text


def _native_comment(value: object) -> NewComment:
    if isinstance(value, str):
        return NewComment(_comment_text("ticketJSON.comment", value), True)
    if isinstance(value, dict) and set(value) <= {"body", "public"} and "body" in value:
        public = value.get("public", True)
        if not isinstance(public, bool):
            raise BadInput("ticketJSON.comment.public must be true or false")
        body = value["body"]
        if isinstance(body, dict) and public:
            return NewComment(body, True)  # an ADF document, sent as given
        return NewComment(_comment_text("ticketJSON.comment.body", body), public)
    raise BadInput(
        'ticketJSON.comment must be a text (a public comment) or {"body": text, "public": '
        "false} (an internal one)"
    )
