"""What the idempotency store holds for one key, as text: the state of the first create (pending,
done with its ticket, or unknown) and the fingerprint of its request. Tickets are stored as
JSON-ready values (datetimes and notes tagged), so a retry gets exactly the first answer.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal, cast

import orjson

from connectors.fields import TicketField
from connectors.model import FieldValue, Note, Ticket
from resolvers.write_report import untaken_entries, untaken_from_entries

State = Literal["pending", "done", "unknown"]


@dataclass(frozen=True, slots=True)
class Record:
    state: State
    fingerprint: str
    owner: str = ""  # pending: the claimant's random token
    lease_until: float = 0.0  # pending: wall-clock time after which it counts as unknown
    ticket: Ticket | None = None  # done
    status: int = 0  # unknown: the first attempt's HTTP status

    def to_json(self) -> str:
        data: dict[str, Any] = {"state": self.state, "fingerprint": self.fingerprint}
        if self.state == "pending":
            data |= {"owner": self.owner, "leaseUntil": self.lease_until}
        elif self.state == "done" and self.ticket is not None:
            data["ticket"] = encode_ticket(self.ticket)
            if self.ticket.refused:  # a replay names the refused optional reads again
                data["refused"] = {str(f): why for f, why in self.ticket.refused.items()}
            if self.ticket.untaken:  # a replay names the values that did not take again
                data["untaken"] = untaken_entries(self.ticket.untaken)
        elif self.state == "unknown":
            data["status"] = self.status
        return orjson.dumps(data).decode()

    @classmethod
    def from_json(cls, text: str) -> Record:
        data = orjson.loads(text)
        ticket = decode_ticket(data["ticket"]) if "ticket" in data else None
        if ticket is not None and (data.get("refused") or data.get("untaken")):
            refused = {
                TicketField(name): str(why) for name, why in (data.get("refused") or {}).items()
            }
            untaken = untaken_from_entries(data.get("untaken") or ())
            ticket = Ticket(ticket.values, refused=refused, untaken=untaken)
        return cls(
            state=data["state"],
            fingerprint=data["fingerprint"],
            owner=data.get("owner", ""),
            lease_until=float(data.get("leaseUntil", 0.0)),
            ticket=ticket,
            status=int(data.get("status", 0)),
        )


def encode_ticket(ticket: Ticket) -> dict[str, Any]:
    """JSON-ready values: text and null as they are, datetimes and notes tagged."""
    return {str(name): _encode_value(value) for name, value in ticket.values.items()}


def decode_ticket(data: Mapping[str, Any]) -> Ticket:
    return Ticket({TicketField(name): _decode_value(value) for name, value in data.items()})


def _encode_value(value: FieldValue) -> Any:
    if isinstance(value, datetime):
        return {"datetime": _utc_text(value)}
    if isinstance(value, tuple):
        return {
            "notes": [
                {
                    "author": note.author,
                    "time": _utc_text(note.time) if note.time else None,
                    "text": note.text,
                }
                for note in value
            ]
        }
    return value


def _decode_value(value: Any) -> FieldValue:
    if isinstance(value, dict) and "datetime" in value:
        return datetime.fromisoformat(value["datetime"])
    if isinstance(value, dict) and "notes" in value:
        return tuple(
            Note(
                author=note["author"],
                time=datetime.fromisoformat(note["time"]) if note["time"] else None,
                text=note["text"],
            )
            for note in value["notes"]
        )
    # What remains was stored as text (or null): JSON gives nothing else for a field value.
    return cast("str | None", value)


def _utc_text(value: datetime) -> str:
    # The model's datetimes are aware UTC; a naive one is read as UTC rather than as local time.
    aware = value if value.tzinfo else value.replace(tzinfo=UTC)
    return aware.astimezone(UTC).isoformat()
