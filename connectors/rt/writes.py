"""What a caller wants written, as what RT gets; and, read back, what RT did with it.

``ticketJSON`` holds RT's own REST 2.0 ticket fields (``Subject``, ``Queue``, ``Status``,
``Priority``, ``Owner``, ``Requestor``, ``CustomFields``: ``{"Urgency": "1-High"}``, ...), sent
as given, and on create ``Content`` (the description: RT keeps it as the ticket's first message,
so it cannot be changed later). Two keys are the gateway's, named after RT's two kinds of message:
``Correspond`` (a reply the requestor sees: a canonical comment) and ``Comment`` (internal: a
work note), each a text posted to ``/ticket/N/correspond`` or ``/ticket/N/comment``.

RT judges little itself and says less: an unknown field or custom field is ignored without a
word, ``Priority: "abc"`` or ``"high"`` becomes 0, a bad ``TimeWorked`` becomes 0, and an update
with an invalid status, owner or custom field value answers 200 with only a message, having
applied the rest (notes, section 7). So this module refuses (``BadInput``) what it can judge
before anything is sent, and ``check`` compares what RT holds afterwards with what was sent.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from connectors.errors import BadInput
from connectors.fields import WritableField
from connectors.model import WriteRequest
from connectors.rt.mapping import NOBODY, custom_field, login, rt_datetime, text

# The ticket fields the gateway sends on (POST /ticket or PUT /ticket/N).
TICKET_FIELDS = (
    "Subject", "Queue", "Status", "Priority", "InitialPriority", "FinalPriority", "Owner",
    "Requestor", "Cc", "AdminCc", "Due", "Starts", "TimeEstimated", "TimeWorked", "TimeLeft",
    "CustomFields",
)  # fmt: skip
CREATE_FIELDS = ("Content", "ContentType")
MESSAGES = ("Correspond", "Comment")
# Set by RT itself. (Started is set when the ticket is first opened, Resolved when resolved.)
SYSTEM_FIELDS = frozenset(
    {
        "id", "EffectiveId", "Type", "type", "Created", "Creator", "LastUpdated",
        "LastUpdatedBy", "Resolved", "Started", "Told", "_url", "_hyperlinks",
    }
)  # fmt: skip
_SYSTEM_FOLDED = frozenset(name.casefold() for name in SYSTEM_FIELDS)
DEFAULT_QUEUE = "General"  # RT's own first queue; present in every instance unless renamed
# RT's priority labels ($PriorityAsString's defaults), case-sensitive: others silently become 0.
PRIORITY_LABELS = ("Low", "Medium", "High")
_NUMBERS = (
    "Priority",
    "InitialPriority",
    "FinalPriority",
    "TimeEstimated",
    "TimeWorked",
    "TimeLeft",
)
_PEOPLE = ("Requestor", "Cc", "AdminCc")
_DATES = ("Due", "Starts")
_TEXTS = ("Subject", "Status", "Queue", "Owner")
_CONTENT_TYPES = ("text/plain", "text/html")

# How each TicketInput field is written: a ticket field, a custom field, or a message.
CANONICAL: Mapping[WritableField, str] = {
    WritableField.TICKET_STATUS: "Status",
    WritableField.URGENCY: "CustomFields.Urgency",
    WritableField.TICKET_SEVERITY: "CustomFields.Severity",
    WritableField.SHORT_DESCRIPTION: "Subject",
    WritableField.LONG_DESCRIPTION: "Content",
    WritableField.CATEGORY: "CustomFields.Category",
    WritableField.SUB_CATEGORY: "CustomFields.SubCategory",
    WritableField.ASSIGNED_TO: "Owner",
    WritableField.ASSIGNED_GROUP: "Queue",
    WritableField.CALLER_ID: "Requestor",
    WritableField.COMMENTS: "Correspond",
    WritableField.WORK_NOTES: "Comment",
    WritableField.CLOSURE_NOTES: "CustomFields.ClosureNotes",
    WritableField.CORRELATION_ID: "CustomFields.CorrelationId",
}
_CF = "CustomFields."


@dataclass(frozen=True)
class RtWrite:
    """The ticket fields to send (``CustomFields`` as one object) and the messages to post."""

    fields: dict[str, Any] = field(default_factory=dict)
    comment: str | None = None
    correspond: str | None = None
    # RT's name of each value a TicketInput field gave ("Status": "ticketStatus",
    # "CustomFields.Urgency": "urgency"): a value that did not take is named as the caller named
    # it. The others came from ticketJSON ("ticketJSON.Status").
    origins: dict[str, str] = field(default_factory=dict)

    def caller_name(self, name: str) -> str:
        """How the caller named RT's ``name`` ("Status", "CustomFields.Urgency")."""
        return self.origins.get(name, f"ticketJSON.{name}")


@dataclass(frozen=True, slots=True)
class Refused:
    name: str  # "Status", "CustomFields.Urgency"
    sent: object
    now: str  # what RT holds instead; "" when it holds nothing
    reason: str = ""  # more to say ("no such custom field applies to the ticket's queue")


def plan(write: WriteRequest, *, creating: bool) -> RtWrite:
    """The write as RT takes it, or ``BadInput`` naming what is wrong; nothing is sent yet."""
    if write.is_empty():
        raise BadInput("ticketJSON needs at least one field to write; nothing was sent")
    native = dict(write.native)
    _check_names(native, creating=creating)
    _check_values(native)
    origins: dict[str, str] = {}
    for caller, name, value in _canonical(write.canonical, creating=creating):
        _merge(native, name, value)
        origins[name] = caller
    fields = {k: v for k, v in native.items() if k not in MESSAGES}
    if "Content" in fields:
        fields.setdefault("ContentType", "text/plain")  # RT wants it with every JSON Content
    if creating:
        fields.setdefault("Queue", DEFAULT_QUEUE)
    return RtWrite(
        fields, _message(native, "Comment"), _message(native, "Correspond"), origins=origins
    )


def _message(native: Mapping[str, object], key: str) -> str | None:
    """A message to post (``_check_values`` let only text through)."""
    value = native.get(key)
    return value if isinstance(value, str) else None


def _check_names(native: Mapping[str, object], *, creating: bool) -> None:
    if any(not isinstance(key, str) or not key for key in native):
        raise BadInput("ticketJSON has an empty field name")
    # Whatever their case or the spaces around them.
    system = sorted(key for key in native if key.strip().casefold() in _SYSTEM_FOLDED)
    if system:
        names = ", ".join(f"ticketJSON.{key}" for key in system)
        raise BadInput(f"{names}: set by Request Tracker, so they cannot be written; remove them")
    if not creating:
        given = [key for key in CREATE_FIELDS if key in native]
        if given:
            raise BadInput(
                f"ticketJSON.{given[0]}: Request Tracker keeps the description as the ticket's "
                "first message, which cannot be changed; add a Correspond (reply) or Comment "
                "(internal note) instead"
            )
    known = (*TICKET_FIELDS, *(CREATE_FIELDS if creating else ()), *MESSAGES)
    unknown = sorted(key for key in native if key not in known)
    if unknown:
        # RT ignores fields it does not know without a word: refuse them here instead.
        raise BadInput(
            f"ticketJSON has fields Request Tracker does not take: {', '.join(unknown)}; "
            f"valid names are {', '.join(known)} (custom fields go in CustomFields)"
        )


def _check_values(native: Mapping[str, Any]) -> None:
    for key, value in native.items():
        where = f"ticketJSON.{key}"
        if value is None:
            raise BadInput(f'{where} is null; give a value ("" clears a field)')
        if key in _NUMBERS:
            _check_number(where, value, labels=key == "Priority")
        elif key in _PEOPLE:
            _check_people(where, value)
        elif key == "CustomFields":
            _check_custom_fields(value)
        elif key in MESSAGES:
            if not isinstance(value, str) or not value.strip():
                raise BadInput(f"{where} must be the text of the message to post")
        elif key == "ContentType":
            if value not in _CONTENT_TYPES:
                raise BadInput(f"{where} must be one of {', '.join(_CONTENT_TYPES)}")
        elif key in (*_DATES, "Content", "Subject") and not isinstance(value, str):
            raise BadInput(f"{where} must be a string")
        elif key == "Queue" and not _is_name_or_id(value):
            raise BadInput(f"{where} must be a queue name or id, such as General")
        elif key in ("Status", "Owner") and (not isinstance(value, str) or not value.strip()):
            raise BadInput(f"{where} must be a non-empty string")
    owner = native.get("Owner")
    if isinstance(owner, str) and owner.strip().isdigit():
        raise BadInput(
            "ticketJSON.Owner must be the user's login name (such as agent1), not a numeric id"
        )


def _check_number(where: str, value: object, *, labels: bool) -> None:
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return
    if isinstance(value, str) and (value.isascii() and value.isdigit()):
        return
    if labels and value in PRIORITY_LABELS:
        return
    hint = f", or one of {', '.join(PRIORITY_LABELS)} (case matters)" if labels else ""
    raise BadInput(
        f"{where} {value!r} is not a whole number{hint}; Request Tracker would store 0 instead"
    )


def _check_people(where: str, value: object) -> None:
    people = [value] if isinstance(value, str) else value
    if not isinstance(people, list) or not all(isinstance(p, str) for p in people):
        raise BadInput(f"{where} must be a user name or email address, or a list of them")
    if any(not p.strip() for p in people):
        # RT 5.0.3 answers 500 to "" here (and may have applied the rest); [] clears.
        raise BadInput(f"{where} has an empty name; send [] to remove them all")


def _check_custom_fields(value: object) -> None:
    if not isinstance(value, Mapping) or not value:
        raise BadInput(
            "ticketJSON.CustomFields must be an object of custom field names and values, "
            'such as {"Urgency": "1-High"}'
        )
    for name, entry in value.items():
        where = f"ticketJSON.CustomFields.{name}"
        if not isinstance(name, str) or not name.strip():
            raise BadInput("ticketJSON.CustomFields has an empty name")
        # RT stores null as a value of its own (values: [null]): never send one.
        values = entry if isinstance(entry, list) else [entry]
        if not all(isinstance(v, str) for v in values):
            raise BadInput(f'{where} must be a string or a list of strings ("" clears it)')


def _is_name_or_id(value: object) -> bool:
    if isinstance(value, str):
        return bool(value.strip())
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def _canonical(canonical: Mapping[str, str], *, creating: bool) -> list[tuple[str, str, str]]:
    """``(caller's name, RT's name, value)`` of each TicketInput field given."""
    known = {f.value: f for f in WritableField}
    unknown = sorted(key for key in canonical if key not in known)
    if unknown:
        raise BadInput(
            f"Unknown ticket input fields: {', '.join(unknown)}; valid names are {', '.join(known)}"
        )
    pairs = []
    for key, value in canonical.items():
        writable = known[key]
        if not isinstance(value, str):
            raise BadInput(f"{key} must be a string")
        if writable is WritableField.LONG_DESCRIPTION and not creating:
            raise BadInput(
                "longDescription: Request Tracker keeps the description as the ticket's first "
                "message, which cannot be changed; add comments or workNotes instead"
            )
        target = CANONICAL[writable]
        if target in MESSAGES and not value.strip():
            raise BadInput(f"{key} must be the text of the note to add")
        if target in ("Status", "Owner", "Queue") and not value.strip():
            raise BadInput(f"{key} must not be empty")
        if target == "Owner" and value.strip().isdigit():
            raise BadInput(f"{key} must be the user's login name (such as agent1), not an id")
        pairs.append((key, target, value))
    return pairs


def _merge(native: dict[str, Any], target: str, value: str) -> None:
    """Add a translated canonical value, refusing one the native fields set too."""
    if target.startswith(_CF):
        name = target[len(_CF) :]
        custom = dict(native.get("CustomFields") or {})
        if any(key.casefold() == name.casefold() for key in custom):
            raise BadInput(
                f"Both ticketInput and ticketJSON.CustomFields set the custom field {name}; "
                "give the value once"
            )
        custom[name] = value
        native["CustomFields"] = custom
        return
    if target in native:
        raise BadInput(
            f"Both ticketInput and ticketJSON.{target} set Request Tracker's {target}; "
            "give the value once"
        )
    native[target] = value


# -- after the write -------------------------------------------------------------------------


def checked(fields: Mapping[str, Any]) -> set[str]:
    """The search columns ``check`` needs to judge ``fields``."""
    return {name for name in fields if name not in CREATE_FIELDS}


def check(fields: Mapping[str, Any], item: Mapping[str, Any]) -> tuple[list[str], list[Refused]]:
    """``(applied, refused)``: which of the sent ``fields`` RT now holds (by name), and which it
    does not. A priority label is taken as applied (its number depends on RT's configuration);
    a date is judged set or not set (RT reads it in the user's time zone)."""
    applied: list[str] = []
    refused: list[Refused] = []
    for name, sent in fields.items():
        if name in CREATE_FIELDS:
            continue
        if name == "CustomFields":
            for cf_name, cf_value in sent.items():
                label = f"CustomFields.{cf_name}"
                outcome = _custom_field_outcome(item, cf_name, cf_value)
                if outcome is None:
                    applied.append(label)
                else:
                    refused.append(Refused(label, cf_value, *outcome))
            continue
        now = _held(name, item)
        if _matches(name, sent, item):
            applied.append(name)
        else:
            refused.append(Refused(name, sent, now))
    return applied, refused


def _matches(name: str, sent: Any, item: Mapping[str, Any]) -> bool:
    raw = item.get(name)
    if name in ("Subject",):
        return bool(text(raw).strip() == sent.strip())
    if name == "Status":
        return bool(text(raw).casefold() == sent.strip().casefold())
    if name in _NUMBERS:
        if isinstance(sent, str) and sent in PRIORITY_LABELS:
            return True
        return text(raw).isdigit() and int(text(raw)) == int(sent)
    if name == "Owner":
        return bool((login(raw) or "").casefold() == sent.strip().casefold())
    if name == "Queue":
        if not isinstance(raw, Mapping):
            return False
        if isinstance(sent, int) or sent.strip().isdigit():
            return text(raw.get("id")) == str(sent).strip()
        return bool(text(raw.get("Name")).casefold() == sent.strip().casefold())
    if name in _PEOPLE:
        wanted = [p.strip().casefold() for p in ([sent] if isinstance(sent, str) else sent)]
        wanted = [p for p in wanted if p]
        held = raw if isinstance(raw, list) else []
        if not wanted:
            return not held
        names = {
            text(ref.get(key)).casefold()
            for ref in held
            if isinstance(ref, Mapping)
            for key in ("id", "Name", "EmailAddress")
        }
        return all(p in names for p in wanted)
    if name in _DATES:
        return (rt_datetime(raw, name) is None) == (not sent.strip())
    return True  # nothing else is sent


def _held(name: str, item: Mapping[str, Any]) -> str:
    """What RT holds, as text; ``""`` when it holds nothing (no owner: RT's ``Nobody``)."""
    raw = item.get(name)
    if name == "Owner":
        held = login(raw) or ""
        return "" if held == NOBODY else held
    if name == "Queue" and isinstance(raw, Mapping):
        return text(raw.get("Name") or raw.get("id"))
    if name in _PEOPLE:
        refs = raw if isinstance(raw, list) else []
        return ", ".join(login(ref) or "?" for ref in refs)
    if name in _DATES:
        moment = rt_datetime(raw, name)
        return "" if moment is None else text(raw)
    return text(raw)


def _custom_field_outcome(item: Mapping[str, Any], name: str, sent: Any) -> tuple[str, str] | None:
    """``None`` when RT holds what was sent; else ``(what it holds, why)``."""
    ident, values = custom_field(item, name)
    if ident is None:
        return "", "no such custom field applies to the ticket's queue"
    wanted = [v.strip() for v in (sent if isinstance(sent, list) else [sent]) if v.strip()]
    held = [v.strip() for v in values if v.strip()]
    if sorted(held) == sorted(wanted):
        return None
    return ", ".join(held), ""
