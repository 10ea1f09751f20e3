"""The ServiceNow Table API connector (vendor facts: ``docs/connectors/servicenow.md``).

``client`` makes one Table API call and maps its errors, ``auth`` authenticates it, ``mapping``
and ``display_journal`` read answers, ``writes`` builds bodies, ``directory`` looks people,
groups, choices and display names up (cached in a ``ttl_cache``), ``prepare`` readies a write,
``verify`` judges whether it took, ``connector`` implements the port.
"""

from connectors.servicenow.connector import ServiceNowConnector, ServiceNowConnectorFactory

__all__ = ["ServiceNowConnector", "ServiceNowConnectorFactory"]
