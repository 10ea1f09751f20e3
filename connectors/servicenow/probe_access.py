"""What a ServiceNow account may read and write besides the ticket table, found without writing
(the second half of ``servicenow.probe``). Nothing here blocks: a refusal degrades the gateway,
and the message says how.

- ``time zone``: learned as the connector learns it (``servicenow.account_zone``:
  ``sys_user.time_zone`` of the account, else the instance default ``glide.sys.default.tz``,
  else UTC), and reported with how it was found;
- ``sys_user`` and ``sys_user_group``: the connector looks the names written into
  ``assignedTo`` / ``callerId`` and ``assignedGroup`` up there before writing (issue 12). A
  refusal, or an answer with every row filtered out by ACLs, means those canonical fields
  cannot be written (``ticketJSON`` still can, natively);
- ``sys_choice``: the choices of the table's choice columns (``name=<table>``); refused, the
  connector falls back to its built-in lists;
- ``writes``: the account's roles, from ``sys_user_has_role`` (the User Role table), where the
  account may read it. ServiceNow grants writing incidents to ``itil`` (and ``admin``); with the
  ITSM Roles plugin, ``sn_incident_write`` ("Components installed with ITSM Roles — Incident
  Management", https://www.servicenow.com/docs/r/it-service-management/incident-management/inci-roles-instld-itsm-roles.html).
  An instance's own ACLs may grant more or less, so a role list without those says it cannot
  tell; only a write would, and the probe writes nothing.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from connectors.connection import AuthType, Connection
from connectors.errors import GatewayError
from connectors.probe import TIME_ZONE, WRITES, Check, CheckVerdict
from connectors.servicenow.account_zone import DEFAULT_ZONE_PROPERTY, AccountZones
from connectors.servicenow.answers import AccessDenied
from connectors.servicenow.client import QUERY_UNSAFE

PEOPLE = "sys_user"
GROUPS = "sys_user_group"
CHOICES = "sys_choice"
ROLES = "sys_user_has_role"
ACCESS_CHECKS = (TIME_ZONE, PEOPLE, GROUPS, CHOICES, WRITES)
# Roles that may write incidents on a base instance (see the module docstring).
WRITING_ROLES = ("admin", "itil", "sn_incident_write")
_NAMED_USER = frozenset({AuthType.BASIC, AuthType.OAUTH_PASSWORD})
_ROLE_PAGE = 200

Call = Callable[[str, Mapping[str, str]], Awaitable[list[Mapping[str, Any]]]]


class AccessProbe:
    """``call`` is the probe's one-shot Table API GET (rows of a list answer); ``status`` the
    last answer's status, for a check that failed."""

    def __init__(
        self, connection: Connection, table: str, call: Call, status: Callable[[], int | None]
    ) -> None:
        self._connection = connection
        self._credentials = connection.credentials
        self._table = table
        self._call = call
        self._status = status

    async def run(self) -> list[Check]:
        return [
            await self._zone(),
            await self._readable(
                PEOPLE,
                {"sysparm_fields": "sys_id,user_name,name,email"},
                cannot="assignedTo and callerId cannot be written by name (the gateway looks "
                "names up in sys_user before writing); ticketJSON.assigned_to and caller_id "
                "still can, as sys_ids",
            ),
            await self._readable(
                GROUPS,
                {"sysparm_fields": "sys_id,name"},
                cannot="assignedGroup cannot be written by name (the gateway looks group names "
                "up in sys_user_group before writing); ticketJSON.assignment_group still can, "
                "as a sys_id",
            ),
            await self._readable(
                CHOICES,
                {
                    "sysparm_query": f"name={self._table}^inactive=false",
                    "sysparm_fields": "name,element,value,label",
                },
                cannot=f"the choices of {self._table} cannot be read: labels in choice fields "
                "are checked against the gateway's built-in lists, which an instance's own "
                "choices may differ from",
            ),
            await self._writes(),
        ]

    async def _zone(self) -> Check:
        learned = await AccountZones().zone_of(
            self._connection.instance_url, self._credentials, self._call
        )
        source = learned.source
        if source == "sys_user.time_zone":
            message = f"{learned.zone}, from sys_user.time_zone of {self._credentials.username}"
            return Check(TIME_ZONE, CheckVerdict.OK, message)
        if source == DEFAULT_ZONE_PROPERTY:
            message = f"{learned.zone}, from the instance default ({DEFAULT_ZONE_PROPERTY})"
            return Check(TIME_ZONE, CheckVerdict.OK, message)
        why = source.removeprefix("UTC: ")
        advice = "; set itsmTimeZoneOffset so that local times (the journal fallback) are right"
        if "could not be read" in why:
            return Check(TIME_ZONE, CheckVerdict.FAILED, f"UTC: {why}{advice}", self._status())
        if "refused" in why:
            return Check(TIME_ZONE, CheckVerdict.REFUSED, f"UTC: {why}{advice}")
        return Check(TIME_ZONE, CheckVerdict.UNKNOWN, f"UTC, assumed: {why}{advice}")

    async def _readable(self, table: str, params: Mapping[str, str], *, cannot: str) -> Check:
        """One row of ``table``: readable with a row is ok; refused, or every row filtered out
        (ServiceNow's ACLs answer 200 with the rows removed), degrades what ``cannot`` says."""
        try:
            rows = await self._call(
                table,
                {**params, "sysparm_display_value": "false", "sysparm_limit": "1"},
            )
        except AccessDenied as error:
            return Check(table, CheckVerdict.REFUSED, cannot, 403, error.message)
        except GatewayError as error:
            return Check(table, CheckVerdict.FAILED, cannot, self._status(), error.message)
        if not rows:
            return Check(table, CheckVerdict.REFUSED, f"no row visible (ACLs?): {cannot}")
        return Check(table, CheckVerdict.OK, "readable")

    async def _writes(self) -> Check:
        user_name = self._credentials.username or ""
        named = self._credentials.auth_type in _NAMED_USER
        if not named or QUERY_UNSAFE.search(user_name):
            return Check(
                WRITES,
                CheckVerdict.UNKNOWN,
                f"could not be told: {self._credentials.auth_type.value} names no user whose "
                f"roles could be read; the account needs write access to {self._table}",
            )
        try:
            rows = await self._call(
                ROLES,
                {
                    "sysparm_query": f"user.user_name={user_name}^state=active",
                    "sysparm_fields": "role",
                    "sysparm_display_value": "true",
                    "sysparm_exclude_reference_link": "true",
                    "sysparm_limit": str(_ROLE_PAGE),
                },
            )
        except GatewayError as error:
            refused = "refused" if isinstance(error, AccessDenied) else "not readable"
            return Check(
                WRITES,
                CheckVerdict.UNKNOWN,
                f"could not be told: {ROLES} is {refused} (the roles of {user_name} are not "
                f"known); the account needs write access to {self._table}",
                self._status(),
                error.message,
            )
        roles = sorted({_role_name(row) for row in rows} - {""})
        writing = [role for role in WRITING_ROLES if role in roles]
        if writing and self._table == "incident":
            message = f"{user_name} holds {', '.join(writing)}: may create and update incidents"
            return Check(WRITES, CheckVerdict.OK, message)
        held = ", ".join(roles[:10]) + ("..." if len(roles) > 10 else "") if roles else "no role"
        return Check(
            WRITES,
            CheckVerdict.UNKNOWN,
            f"could not be told: {user_name} holds {held} ({', '.join(WRITING_ROLES)} write "
            f"incidents on a base instance); whether it may write {self._table} depends on the "
            "instance's ACLs",
        )


def _role_name(row: Mapping[str, Any]) -> str:
    role = row.get("role")
    if isinstance(role, Mapping):  # a reference answered with its link
        role = role.get("display_value")
    return role.strip() if isinstance(role, str) else ""
