"""The Request Tracker 5 connector, over RT's REST 2.0 JSON API (vendor facts:
``docs/connectors/request-tracker.md``).

``client`` makes one REST 2.0 call and maps its errors (``answers``), ``mapping`` reads answers,
``writes`` checks and builds writes and judges what RT took, ``connector`` implements the port.
"""

from connectors.rt.connector import RtConnector, RtConnectorFactory

__all__ = ["RtConnector", "RtConnectorFactory"]
