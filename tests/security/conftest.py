"""The security suites run against the same real stack as the end-to-end tests: the gateway,
the ServiceNow emulator and a token issuer, each over loopback HTTP."""

from tests.e2e.conftest import fresh_emulator, stack  # noqa: F401  (fixtures, by name)
