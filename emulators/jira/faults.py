"""Switches that make the emulated site misbehave the ways Jira Cloud does.

Set them on ``state.faults`` in-process or with ``POST /_emulator/faults`` from another process.
They apply to API paths (``/rest/...``), in this order: ``latency_ms``; ``login_page`` (200 with
an HTML page, what a site behind SSO or in maintenance can answer); ``fail_next`` /
``fail_status`` (a 5xx before anything is done); authentication, where ``reject_credentials``
refuses every credential (a revoked API token, an expired OAuth token); ``throttle_next`` (429
with ``Retry-After: throttle_retry_after_s`` and the ``X-RateLimit-*`` headers); then
``drop_next``: the request is read and the connection closed without an answer, after applying a
write when ``drop_after_write`` is set; ``drop_next_write`` does the same to the next N writes
only (applied, then no answer), letting reads through: a create whose answer is lost even
though other calls come before it. ``sla_forbidden`` answers the SLA endpoint 403 and leaves the
SLA fields out of issue and search answers, as for an account that is not an agent of the service
project. Refused and dropped requests are recorded.

Two switches make a write that Jira answers with success end up holding something else, or fail
what comes after it:

- ``automation_edits``: Jira field values (as a create or edit sends them, e.g.
  ``{"priority": {"name": "Lowest"}}``) that an automation rule sets right after every create and
  every edit of an issue's fields: a rule "When: work item created / field value changed; Then:
  edit work item fields" (Atlassian's automation actions,
  https://support.atlassian.com/cloud-automation/docs/jira-automation-actions/). The write's own
  answer is unchanged (201 / 204); a read shows the rule's values, as on a real site, where the
  rule's change is recorded as made by its actor ("Automation for Jira"). Values Jira would refuse
  are ignored, as a failing rule leaves the issue as it was.
- ``fail_issue_reads``: the next N reads of one issue (``GET /rest/api/3/issue/{key}``) answer
  503, after everything else was done: with a create, the issue exists but reading it back fails.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any


@dataclass
class Faults:
    latency_ms: int = 0
    login_page: bool = False
    fail_status: int | None = None
    fail_next: int = 0
    reject_credentials: bool = False
    throttle_next: int = 0
    throttle_retry_after_s: int = 1
    drop_next: int = 0
    drop_after_write: bool = False
    drop_next_write: int = 0
    sla_forbidden: bool = False
    automation_edits: dict[str, Any] = field(default_factory=dict)
    fail_issue_reads: int = 0

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    def merge(self, changes: dict[str, Any]) -> None:
        """Apply a partial update, checking every value first; ``ValueError`` if any is bad."""
        checked = {name: _check(name, value) for name, value in changes.items()}
        for name, value in checked.items():
            setattr(self, name, value)

    def take_failure(self) -> int | None:
        if self.fail_next > 0:
            self.fail_next -= 1
            return self.fail_status or 500
        return self.fail_status

    def take_throttle(self) -> bool:
        if self.throttle_next > 0:
            self.throttle_next -= 1
            return True
        return False

    def take_issue_read_failure(self) -> bool:
        if self.fail_issue_reads > 0:
            self.fail_issue_reads -= 1
            return True
        return False

    def take_write_drop(self) -> bool:
        if self.drop_next_write > 0:
            self.drop_next_write -= 1
            return True
        return False

    def take_drop(self) -> bool:
        if self.drop_next > 0:
            self.drop_next -= 1
            return True
        return False


_TYPES = {f.name: f.type for f in fields(Faults)}
_BOOLEANS = {"login_page", "reject_credentials", "drop_after_write", "sla_forbidden"}


def _check(name: str, value: Any) -> Any:
    if name not in _TYPES:
        raise ValueError(f"unknown fault {name!r}")
    if name == "automation_edits":
        if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
            raise ValueError("automation_edits must be an object of Jira field ids and values")
        return dict(value)
    if name in _BOOLEANS:
        if not isinstance(value, bool):
            raise ValueError(f"{name} must be a boolean")
        return value
    if name == "fail_status" and value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{name} must be a non-negative integer")
    if name == "fail_status" and not 500 <= value <= 599:
        raise ValueError("fail_status must be a 5xx status")
    return value
