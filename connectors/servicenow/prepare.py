"""A write made ready before anything is sent: the lookups it needs, its body, and what the
write's answer must then hold (``servicenow.verify``).

Every lookup that decides what is written runs before the POST or PATCH, concurrently: the
choices of ``TicketInput``'s choice fields (one ``sys_choice`` call, cached) beside one
``sys_user`` / ``sys_user_group`` call per person or group it names (``servicenow.directory``).
A refusal of any of them is a ``BadInput`` and nothing is written.

The choices of the columns ``ticketJSON`` writes only serve to judge the answer (``ticketJSON``
is sent as given), so ``judging_choices`` fetches them alongside the write rather than before
it: such a lookup never delays, blocks or fails a write (usually the cache answers it anyway).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from connectors.errors import GatewayError
from connectors.fields import WritableField
from connectors.http import together
from connectors.model import WriteRequest
from connectors.servicenow.directory import Choice, Directory, all_of
from connectors.servicenow.verify import JOURNAL_COLUMNS, REFERENCE_COLUMNS, SentValue, as_text
from connectors.servicenow.writes import (
    CANONICAL_COLUMNS,
    CHOICE_FIELDS,
    GROUP_FIELDS,
    PEOPLE_FIELDS,
    STATES,
    check_write,
    missing_close,
    native_body,
)

log = logging.getLogger(__name__)

# Columns the connector writes that are known to hold no choice: no sys_choice question for them.
_NOT_CHOICES = frozenset(
    {"short_description", "description", "close_notes", *JOURNAL_COLUMNS, *REFERENCE_COLUMNS}
)


@dataclass(frozen=True, slots=True)
class PreparedWrite:
    """The body to send and, for each column it sets, what the answer must hold;
    ``native_choice_columns``: the ``ticketJSON`` columns whose choices are still to be known."""

    body: dict[str, object]
    sent: tuple[SentValue, ...]
    native_choice_columns: tuple[str, ...] = ()

    def judged_with(self, choices: Mapping[str, Sequence[Choice]] | None) -> tuple[SentValue, ...]:
        """``sent``, the ``ticketJSON`` columns given their ``choices`` where known."""
        choices = choices or {}
        return tuple(
            replace(value, choices=frozenset(c.value for c in choices[value.column]))
            if value.choices is None and choices.get(value.column)
            else value
            for value in self.sent
        )


async def judging_choices(
    prepared: PreparedWrite, directory: Directory | None, table: str
) -> Mapping[str, Sequence[Choice]]:
    """The choices of the ``ticketJSON`` columns written, or none: never an error, since the
    write runs alongside (a failure only means those columns are judged without them)."""
    if directory is None or not prepared.native_choice_columns:
        return {}
    try:
        return await directory.choices(table, prepared.native_choice_columns)
    except GatewayError as error:
        log.warning("ServiceNow choices not looked up to judge a write: %s", error.message)
        return {}


def missing_close_before_lookups(write: WriteRequest) -> tuple[str, ...]:
    """``writes.missing_close`` on what the caller sent, the state read with the connector's own
    labels: so that a resolve without close fields is refused before any call at all."""
    check_write(write)
    state = write.canonical.get(WritableField.TICKET_STATUS.value)
    body = dict(write.native)
    if state is not None:
        body["state"] = STATES.get(state.strip().lower(), state.strip())
    return missing_close(body)


async def prepare_write(
    write: WriteRequest, directory: Directory | None, table: str
) -> PreparedWrite:
    """The looked-up body (``BadInput`` for what cannot be written) and the values to verify.

    Without a ``directory`` nothing is looked up: choices are the connector's own, names are
    sent as given."""
    check_write(write)
    fields = {WritableField(key): key for key in write.canonical}
    choice_columns = [CHOICE_FIELDS[field] for field in fields if field in CHOICE_FIELDS]
    named = [
        (field, CANONICAL_COLUMNS[field], (write.canonical[key] or "").strip())
        for field, key in fields.items()
        if field in (*PEOPLE_FIELDS, *GROUP_FIELDS) and (write.canonical[key] or "").strip()
    ]
    choices: Mapping[str, Sequence[Choice]] = {}
    references: dict[str, str] = {}
    if directory is not None:
        looked_up, sys_ids = await together(
            directory.choices(table, choice_columns) if choice_columns else None,
            all_of(
                directory.person(field.value, value)
                if field in PEOPLE_FIELDS
                else directory.group(field.value, value)
                for field, _, value in named
            )
            if named
            else None,
        )
        choices = looked_up or {}
        references = {
            column: sys_id for (_, column, _), sys_id in zip(named, sys_ids or (), strict=False)
        }
    body = native_body(write, choices=choices, references=references)
    by_column = {CANONICAL_COLUMNS[field]: key for field, key in fields.items()}
    sent = []
    for column, written in body.items():
        codes = frozenset(choice.value for choice in choices.get(column, ())) or None
        if column in by_column:
            key = by_column[column]
            caller = write.canonical[key]
            sent.append(SentValue(key, caller or "", column, written, codes))
        else:
            sent.append(
                SentValue(
                    f"ticketJSON.{column}", as_text(write.native[column]), column, written, codes
                )
            )
    native_choice_columns = tuple(c for c in write.native if c not in _NOT_CHOICES)
    return PreparedWrite(body, tuple(sent), native_choice_columns)
