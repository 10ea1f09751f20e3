"""The Jira Service Management connector: Jira Cloud's platform REST API v3 and the service desk
REST API, verified against ``emulators/jira`` only.

``client`` makes one call and maps its errors, ``cloud`` finds where OAuth 2.0 (bearer) calls go
(Atlassian's API gateway, by the site's cloudId), ``answers`` reads Jira's answers and error
bodies, ``adf`` converts Atlassian Document Format to and from plain text, ``mapping`` reads
issues, comments and SLAs, ``writes`` judges and shapes writes, ``connector`` implements the port.
"""

from connectors.jira.connector import JiraConnector, JiraConnectorFactory

__all__ = ["JiraConnector", "JiraConnectorFactory"]
