"""The use cases both doors call: fetch, create and update a ticket.

Nothing here knows HTTP, GraphQL or a particular ITSM: the doors parse their own shapes into the
plain values these functions take, and connectors do the talking.
"""
