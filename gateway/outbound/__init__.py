"""The ITSM calls' way out and the SSRF guard, in one place, by job:

- ``url_policy``: which base URLs a caller or a profile may name (the URL's text, parsed
  strictly, against ``ITSM_GATEWAY_ITSM_ALLOWED_URLS``);
- ``addresses``: which IP addresses the gateway may connect to, and resolving a host to them;
- ``guard``: the check before any call, for the use cases (``AddressGuard``, which implements
  their port ``resolvers.instance_guard.InstanceGuard``; the app factory injects it) and for
  connection profiles at start-up (``check_at_start``);
- ``connect_guard``: the same rules again when a connection is opened (DNS rebinding), and every
  request's origin held to the policy;
- ``transport``: httpx's API on one aiohttp session whose resolver is ``connect_guard``'s;
- ``client``: the ITSM client, keeping no cookies.
"""
