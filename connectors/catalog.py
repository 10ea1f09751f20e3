"""Every connector this gateway ships, in one list: what the app serves and what
``itsm-gateway check-connection`` can check, without either naming a vendor module.
"""

from __future__ import annotations

import httpx

from connectors.http import Resilience
from connectors.jira.cloud import DEFAULT_API_URL
from connectors.jira.connector import JiraConnectorFactory
from connectors.port import ConnectorFactory
from connectors.rt.connector import RtConnectorFactory
from connectors.servicenow.connector import ServiceNowConnectorFactory

_FACTORIES = (ServiceNowConnectorFactory, RtConnectorFactory, JiraConnectorFactory)


def itsm_types() -> tuple[str, ...]:
    """The ``itsmType`` of every shipped connector, sorted (what a registry of them knows)."""
    return tuple(sorted(factory.itsm_type for factory in _FACTORIES))


def connector_factories(
    http: httpx.AsyncClient,
    *,
    resilience: Resilience | None = None,
    jira_api_url: str = DEFAULT_API_URL,
) -> list[ConnectorFactory]:
    """One factory per shipped connector, sharing ``http`` and ``resilience``; ``jira_api_url``
    is Atlassian's API gateway, where Jira's OAuth 2.0 calls go."""
    return [
        ServiceNowConnectorFactory(http, resilience=resilience),
        RtConnectorFactory(http, resilience=resilience),
        JiraConnectorFactory(http, resilience=resilience, api_url=jira_api_url),
    ]
