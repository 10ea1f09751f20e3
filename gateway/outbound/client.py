"""The ITSM client: httpx's ``AsyncClient``, keeping no cookies and handing each request straight
to its transport (``transport.GuardedTransport``)."""

from __future__ import annotations

from typing import Any

import httpx


class _NoCookies(httpx.Cookies):
    """Cookies that are never taken from an answer, so never sent."""

    def extract_cookies(self, response: httpx.Response) -> None:
        return None

    def set(self, name: str, value: str, domain: str = "", path: str = "/") -> None:
        raise TypeError("the ITSM client keeps no cookies")


class CookielessClient(httpx.AsyncClient):
    """The ITSM client: httpx's ``AsyncClient``, keeping no cookies. One client serves every
    caller and every instance, and a cookie an ITSM set for one caller must never ride along on
    another's request. Its ``cookies`` are always empty; giving it some is an error. (httpx
    offers every answer to the client's cookies; skipping that here saved ~6% of a fetch's CPU.)
    """

    def __init__(
        self, *, transport: httpx.AsyncBaseTransport | None = None, **options: Any
    ) -> None:
        if options.get("cookies"):
            raise TypeError("the ITSM client keeps no cookies")
        if any(options.get(name) for name in ("follow_redirects", "event_hooks", "mounts", "auth")):
            # ``send`` below hands requests straight to the transport: nothing would follow a
            # redirect, add a client-wide auth, run a hook or pick a mount. The gateway uses none.
            raise TypeError("the ITSM client follows no redirects and has no auth, hooks or mounts")
        super().__init__(transport=transport, **options)
        self._no_cookies = _NoCookies()
        self._direct = transport  # None: httpx's own transport, sent through httpx's path

    async def send(
        self,
        request: httpx.Request,
        *,
        stream: bool = False,
        # Typed as httpx's own parameters (whose types httpx keeps private).
        auth: Any = httpx.USE_CLIENT_DEFAULT,
        follow_redirects: Any = httpx.USE_CLIENT_DEFAULT,
    ) -> httpx.Response:
        """The request sent by the transport the client was given, directly: the client's auth,
        redirect, hook and cookie steps all do nothing here (none is configured, cookies are
        never kept), and walking through them cost about 4% of a fetch's CPU. Anything else asked
        (a stream, an auth, redirects) takes httpx's own path."""
        direct = self._direct
        if (
            direct is None
            or stream
            or auth is not httpx.USE_CLIENT_DEFAULT
            or follow_redirects is True
        ):
            return await super().send(
                request, stream=stream, auth=auth, follow_redirects=follow_redirects
            )
        if self.is_closed:
            raise RuntimeError("Cannot send a request, as the client has been closed.")
        request.extensions.setdefault("timeout", self.timeout.as_dict())
        response = await direct.handle_async_request(request)
        response.request = request
        try:
            await response.aread()
        except BaseException:
            await response.aclose()
            raise
        return response

    @property
    def cookies(self) -> httpx.Cookies:
        return self._no_cookies

    @cookies.setter
    def cookies(self, cookies: object) -> None:  # whatever httpx accepts: all refused alike
        if cookies:
            raise TypeError("the ITSM client keeps no cookies")
