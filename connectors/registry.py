"""Which connector serves which ``itsmType``."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from connectors.capabilities import Capabilities
from connectors.connection import Connection
from connectors.connection_keys import ITSM_TYPE
from connectors.errors import BadInput
from connectors.port import Connector, ConnectorFactory, ProbingFactory


class ConnectorRegistry:
    def __init__(self, factories: Iterable[ConnectorFactory]) -> None:
        self._factories = {factory.itsm_type: factory for factory in factories}

    @property
    def itsm_types(self) -> tuple[str, ...]:
        return tuple(sorted(self._factories))

    def is_known(self, itsm_type: str) -> bool:
        return itsm_type.lower() in self._factories

    def open(
        self, connection: Connection, *, extra_headers: Mapping[str, str] | None = None
    ) -> Connector:
        return self._factory(connection).open(connection, extra_headers=extra_headers)

    def capabilities(self, connection: Connection) -> Capabilities:
        return self._factory(connection).capabilities

    def all_capabilities(self) -> list[Capabilities]:
        return [self._factories[name].capabilities for name in self.itsm_types]

    def display_noun(self, connection: Connection) -> str:
        """What messages call the record ("incident", "issue")."""
        return self._factory(connection).capabilities.record_noun or self.record_noun(connection)

    def record_noun(self, connection: Connection) -> str:
        """What the ITSM calls the record: the table asked for, or the connector's default."""
        return connection.table or self._factory(connection).default_table

    def prober(self, itsm_type: str) -> ProbingFactory:
        """The factory that checks connections of ``itsm_type`` (``check-connection``)."""
        factory = self._factories.get(itsm_type.lower())
        if not isinstance(factory, ProbingFactory):
            probing = [n for n in self.itsm_types if isinstance(self._factories[n], ProbingFactory)]
            known = ", ".join(probing)
            raise BadInput(f"cannot check a connection of type {itsm_type!r}; use one of: {known}")
        return factory

    def _factory(self, connection: Connection) -> ConnectorFactory:
        factory = self._factories.get(connection.itsm_type.lower())
        if factory is None:
            known = ", ".join(self.itsm_types)
            raise BadInput(
                f"{connection.path(ITSM_TYPE)} {connection.itsm_type!r} is not supported; "
                f"use one of: {known}"
            )
        return factory

    async def aclose(self) -> None:
        for factory in self._factories.values():
            await factory.aclose()
