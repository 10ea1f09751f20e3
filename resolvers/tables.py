"""The generic rule for ``connectionDetails.table``, the same for every tool.

A table name goes into the ITSM's URL path (``/api/now/table/<table>``) or query, so whatever the
tool, it must be a plain word: ASCII letters, digits and underscores, nothing that could climb a
path or change a query. Each tool may refine it (ServiceNow: lower case only; Jira: a project key
or id) by declaring a ``TableRule`` on its capabilities, which the use case checks before it opens
the connector and the connector again when it opens: the refinement lives in the vendor's folder,
and both layers apply the same declaration, so ``Incident`` is refused alike at either.

The rule is also what the settings file's profiles and ``check-connection --table`` are held to.
"""

from __future__ import annotations

from connectors.connection_keys import TABLE, key_path
from connectors.errors import BadInput

GENERIC_RULE = "letters, digits and underscores"


def is_table_name(name: str) -> bool:
    """Whether ``name`` passes the generic rule (a vendor may refuse more)."""
    return name.replace("_", "").isalnum() and name.isascii()


def checked_table(given: str | None, path: str = key_path(TABLE)) -> str | None:
    """The caller's table, stripped, or ``None`` for the connector's default; ``BadInput``
    naming ``path`` (the key as the caller's door names it) when it fails the generic rule."""
    table = given.strip() if given else None
    if table is not None and not is_table_name(table):
        raise BadInput(f"{path} {given!r} is not a table name ({GENERIC_RULE})")
    return table
