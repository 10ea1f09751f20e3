"""The connector core: the port every ITSM adapter implements, the canonical ticket and its errors.

Adapters live one per folder (``connectors/servicenow/``) and import only this core.
"""
