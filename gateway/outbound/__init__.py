"""The ITSM calls' way out and the SSRF guard, in one place.

- ``url_policy``: which base URLs a caller or a profile may name (the URL's text, parsed
  strictly, against ``ITSM_GATEWAY_ITSM_ALLOWED_URLS``);
- ``addresses``: which IP addresses the gateway may connect to, and resolving a host to them;
- ``transport``: httpx's API on one aiohttp session whose resolver checks every address again
  when a connection is opened (DNS rebinding), and the cookieless ITSM client.

The use cases (``resolvers.connections``) check a caller's URL before any call through a port
they declare; the guard here implements it and the app factory injects it.
"""
