"""Jira Service Management SLAs: a clock per SLA metric per request, and its JSON.

Each metric has at most one ongoing cycle and any number of completed ones
(``GET /rest/servicedeskapi/request/{issueIdOrKey}/sla``). ``remainingTime`` is the goal minus
the elapsed time and goes negative once breached. The emulator times every SLA on a 24/7
calendar (the docs leave calendars to each site's configuration): ``withinCalendarHours`` is
always false.

Metrics, as a new service project configures them: "Time to first response" (4 h; stops at the
first public comment by someone other than the reporter, or at resolution) and "Time to
resolution" (goal by priority; paused while waiting for customer, stopped at resolution, a new
cycle when reopened).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from emulators.jira.dates import date_dto

FIRST_RESPONSE = ("1", "Time to first response")
RESOLUTION = ("2", "Time to resolution")
FIRST_RESPONSE_GOAL_MS = 4 * 3_600_000
RESOLUTION_GOALS_MS = {  # by priority id
    "1": 4 * 3_600_000,
    "2": 8 * 3_600_000,
    "3": 24 * 3_600_000,
    "4": 48 * 3_600_000,
    "5": 72 * 3_600_000,
}


@dataclass
class Cycle:
    start: datetime
    stop: datetime
    elapsed_ms: int


@dataclass
class SlaClock:
    id: str
    name: str
    goal_ms: int
    completed: list[Cycle] = field(default_factory=list)
    ongoing_start: datetime | None = None
    elapsed_before_ms: int = 0  # time counted in the ongoing cycle before its current run
    running_since: datetime | None = None  # None while paused (or no ongoing cycle)

    @classmethod
    def started(cls, metric: tuple[str, str], goal_ms: int, at: datetime) -> SlaClock:
        clock = cls(metric[0], metric[1], goal_ms)
        clock.start(at)
        return clock

    @property
    def ongoing(self) -> bool:
        return self.ongoing_start is not None

    def elapsed_ms(self, now: datetime) -> int:
        running = 0
        if self.running_since is not None:
            running = int((now - self.running_since).total_seconds() * 1000)
        return self.elapsed_before_ms + running

    def start(self, at: datetime) -> None:
        self.ongoing_start, self.elapsed_before_ms, self.running_since = at, 0, at

    def pause(self, at: datetime) -> None:
        if self.running_since is not None:
            self.elapsed_before_ms = self.elapsed_ms(at)
            self.running_since = None

    def resume(self, at: datetime) -> None:
        if self.ongoing and self.running_since is None:
            self.running_since = at

    def stop(self, at: datetime) -> None:
        if self.ongoing_start is not None:
            self.completed.append(Cycle(self.ongoing_start, at, self.elapsed_ms(at)))
            self.ongoing_start, self.elapsed_before_ms, self.running_since = None, 0, None


def duration(millis: int) -> dict[str, Any]:
    """A DurationDTO: ``millis`` and a ``friendly`` form (``4h 0m``, ``-1h 30m``)."""
    sign = "-" if millis < 0 else ""
    minutes = abs(millis) // 60_000
    return {"millis": millis, "friendly": f"{sign}{minutes // 60}h {minutes % 60}m"}


def sla_json(clock: SlaClock, now: datetime, user_zone: Any, self_link: str) -> dict[str, Any]:
    completed = [
        {
            "startTime": date_dto(cycle.start, user_zone),
            "stopTime": date_dto(cycle.stop, user_zone),
            "breachTime": date_dto(cycle.start + timedelta(milliseconds=clock.goal_ms), user_zone),
            "breached": cycle.elapsed_ms > clock.goal_ms,
            "goalDuration": duration(clock.goal_ms),
            "elapsedTime": duration(cycle.elapsed_ms),
            "remainingTime": duration(clock.goal_ms - cycle.elapsed_ms),
        }
        for cycle in clock.completed
    ]
    body: dict[str, Any] = {
        "id": clock.id,
        "name": clock.name,
        "_links": {"self": self_link},
        "completedCycles": completed,
        "slaDisplayFormat": "NEW_SLA_FORMAT",
    }
    if clock.ongoing_start is not None:
        elapsed = clock.elapsed_ms(now)
        remaining = clock.goal_ms - elapsed
        body["ongoingCycle"] = {
            "startTime": date_dto(clock.ongoing_start, user_zone),
            # When it breaches (or breached) if the clock keeps running from now.
            "breachTime": date_dto(now + timedelta(milliseconds=remaining), user_zone),
            "breached": remaining < 0,
            "paused": clock.running_since is None,
            "withinCalendarHours": False,
            "goalDuration": duration(clock.goal_ms),
            "elapsedTime": duration(elapsed),
            "remainingTime": duration(remaining),
        }
    return body
