"""Statuses, transitions and resolutions of the emulated site's two workflows.

Jira moves an issue between statuses only through the transitions its workflow offers from the
current status (``GET /rest/api/3/issue/{key}/transitions`` lists them; ``POST`` performs one).
The service desk workflow is a small version of Jira Service Management's "IT support" one; the
software workflow is Jira's default three-status one.

Post functions, as a real workflow would configure them: entering a status of the ``done``
category sets the resolution (the transition's screen may choose it, else ``default_resolution``)
and the resolution date; leaving the ``done`` category clears both.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

NEW, IN_PROGRESS, DONE = "new", "indeterminate", "done"

# Status categories as Jira numbers and names them (``statusCategory`` in every status).
CATEGORIES: Mapping[str, tuple[int, str, str]] = {
    NEW: (2, "To Do", "blue-gray"),
    IN_PROGRESS: (4, "In Progress", "yellow"),
    DONE: (3, "Done", "green"),
}

RESOLUTIONS: Mapping[str, str] = {
    "10000": "Done",
    "10001": "Won't Do",
    "10002": "Duplicate",
    "10003": "Cannot Reproduce",
    "10004": "Declined",
}


@dataclass(frozen=True)
class Status:
    id: str
    name: str
    category: str  # NEW, IN_PROGRESS or DONE


@dataclass(frozen=True)
class Transition:
    id: str
    name: str
    to: str  # status id
    # A screen with the resolution field: the only field a transition here may set.
    has_screen: bool = False
    default_resolution: str = "10000"


@dataclass(frozen=True)
class Workflow:
    name: str
    initial: str  # status id a created issue starts in
    statuses: Mapping[str, Status]
    transitions: Mapping[str, tuple[Transition, ...]]  # from status id -> available transitions
    # Statuses in which the resolution SLA is paused (Jira Service Management's "waiting for
    # customer" pause condition).
    paused: frozenset[str] = frozenset()

    def available(self, status_id: str) -> tuple[Transition, ...]:
        return self.transitions.get(status_id, ())


OPEN = Status("1", "Open", NEW)
WORK_IN_PROGRESS = Status("10010", "Work in progress", IN_PROGRESS)
WAITING_FOR_CUSTOMER = Status("10011", "Waiting for customer", IN_PROGRESS)
RESOLVED = Status("5", "Resolved", DONE)
CLOSED = Status("6", "Closed", DONE)
CANCELED = Status("10012", "Canceled", DONE)

_START = Transition("11", "Start work", WORK_IN_PROGRESS.id)
_WAIT = Transition("21", "Wait for customer", WAITING_FOR_CUSTOMER.id)
_BACK = Transition("41", "Back to work", WORK_IN_PROGRESS.id)
_RESOLVE = Transition("51", "Resolve", RESOLVED.id, has_screen=True)
_REOPEN = Transition("61", "Reopen", WORK_IN_PROGRESS.id)
_CANCEL = Transition("71", "Cancel request", CANCELED.id, default_resolution="10001")
_CLOSE = Transition("81", "Close", CLOSED.id)

SERVICE_DESK = Workflow(
    name="Service desk workflow",
    initial=OPEN.id,
    statuses={
        s.id: s for s in (OPEN, WORK_IN_PROGRESS, WAITING_FOR_CUSTOMER, RESOLVED, CLOSED, CANCELED)
    },
    transitions={
        OPEN.id: (_START, _WAIT, _RESOLVE, _CANCEL),
        WORK_IN_PROGRESS.id: (_WAIT, _RESOLVE, _CANCEL),
        WAITING_FOR_CUSTOMER.id: (_BACK, _RESOLVE, _CANCEL),
        RESOLVED.id: (_REOPEN, _CLOSE),
        CANCELED.id: (_REOPEN,),
        CLOSED.id: (),  # closed for good: no transition leaves it
    },
    paused=frozenset({WAITING_FOR_CUSTOMER.id}),
)

TO_DO = Status("10000", "To Do", NEW)
IN_PROGRESS_STATUS = Status("3", "In Progress", IN_PROGRESS)
DONE_STATUS = Status("10001", "Done", DONE)

SOFTWARE = Workflow(
    name="Software simplified workflow",
    initial=TO_DO.id,
    statuses={s.id: s for s in (TO_DO, IN_PROGRESS_STATUS, DONE_STATUS)},
    transitions={
        TO_DO.id: (
            Transition("11", "Start progress", IN_PROGRESS_STATUS.id),
            Transition("31", "Done", DONE_STATUS.id),
        ),
        IN_PROGRESS_STATUS.id: (
            Transition("21", "Stop progress", TO_DO.id),
            Transition("31", "Done", DONE_STATUS.id),
        ),
        DONE_STATUS.id: (Transition("41", "Reopen", TO_DO.id),),
    },
)
