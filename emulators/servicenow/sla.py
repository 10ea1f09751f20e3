"""``task_sla`` rows: the resolution SLA attached to a new incident, and its settlement.

An instance attaches SLAs from SLA definitions and refreshes ``business_time_left`` /
``time_left`` from a scheduled job, so read values can be minutes to days stale. The emulator
computes them when the row is attached and when it stops (resolution, closure, cancellation)
and never in between: a client sees the same staleness. Business time uses
``schedule`` (weekdays 08:00-17:00) in the zone of the SLA, which is the incident caller's when
the SLA is attached (the SLA definition's default time zone source, "the caller's time zone";
the instance default when the caller has none), kept in ``task_sla.timezone`` and used again
when the SLA stops, whoever stops it; durations are stored as ``glide_duration`` values.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta, tzinfo

from emulators.servicenow.glide import format_datetime, format_duration, parse_datetime
from emulators.servicenow.schedule import add_business_seconds, business_seconds
from emulators.servicenow.session import zone_name

# Resolution targets by priority, in business seconds. As on instances, "2 days" of an SLA
# on a schedule means 48 hours of schedule time, not two working days.
RESOLUTION_TARGETS = {
    "1": 4 * 3600,
    "2": 8 * 3600,
    "3": 2 * 86_400,
    "4": 5 * 86_400,
    "5": 10 * 86_400,
}


def resolution_sla(
    incident: Mapping[str, str], sys_id: str, actor: str, now: datetime, zone: tzinfo
) -> dict[str, str]:
    """The active "Priority N resolution" SLA row for a just-inserted incident, counted in
    ``zone`` (the SLA's time zone, stored in its ``timezone`` column)."""
    priority = incident.get("priority") or "5"
    target = RESOLUTION_TARGETS.get(priority, RESOLUTION_TARGETS["5"])
    start = parse_datetime(incident.get("opened_at", "")) or now
    planned_end = add_business_seconds(start, target, zone)
    stamp = format_datetime(now)
    row = {
        "sys_id": sys_id,
        "task": incident["sys_id"],
        "sla": f"Priority {priority} resolution",
        "active": "true",
        "stage": "in_progress",
        "has_breached": "false",
        "start_time": format_datetime(start),
        "end_time": "",
        "planned_end_time": format_datetime(planned_end),
        "timezone": zone_name(zone),
        "sys_created_on": stamp,
        "sys_created_by": actor,
        "sys_updated_on": stamp,
        "sys_updated_by": actor,
        "sys_mod_count": "0",
    }
    row.update(measure(start, planned_end, now, zone))
    return row


def settle(sla: dict[str, str], stage: str, actor: str, now: datetime, zone: tzinfo) -> None:
    """Stop an active SLA at ``now`` with ``stage`` (``completed`` or ``cancelled``)."""
    start = parse_datetime(sla.get("start_time", "")) or now
    planned_end = parse_datetime(sla.get("planned_end_time", "")) or now
    sla.update(measure(start, planned_end, now, zone))
    sla.update(
        {
            "active": "false",
            "stage": stage,
            "end_time": format_datetime(now),
            "has_breached": "true" if now > planned_end else "false",
            "sys_updated_on": format_datetime(now),
            "sys_updated_by": actor,
            "sys_mod_count": str(int(sla.get("sys_mod_count") or 0) + 1),
        }
    )


def measure(start: datetime, planned_end: datetime, now: datetime, zone: tzinfo) -> dict[str, str]:
    """Elapsed and remaining time of an SLA, as stored duration values."""
    remaining = max(planned_end - now, timedelta(0))
    return {
        "business_time_left": format_duration(business_seconds(now, planned_end, zone)),
        "time_left": format_duration(int(remaining.total_seconds())),
        "business_duration": format_duration(business_seconds(start, now, zone)),
        "duration": format_duration(int(max(now - start, timedelta(0)).total_seconds())),
    }
