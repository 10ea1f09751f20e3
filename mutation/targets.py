"""The modules ``make mutate`` covers and, for each, the fast unit tests that judge its mutants.

Only tests that start no server and reach the module in process belong here (never tests/e2e,
tests/keycloak, tests/redis, tests/rt or tests/contract): every mutant runs them, so their run
time is multiplied by the number of mutants. They run in the order given and stop at the first
failure, so the quick files come first and the property tests (hypothesis) last. A test file
named ``test_<module>_mutants.py`` holds the tests written to kill this module's survivors.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Target:
    """A module under the check: ``path`` from the repository root, ``tests`` run per mutant."""

    path: str
    tests: tuple[str, ...]

    @property
    def module_name(self) -> str:
        return self.path.removesuffix(".py").replace("/", ".")


TARGETS: tuple[Target, ...] = (
    Target(
        "resolvers/timezones.py",
        (
            "tests/resolvers/test_timezones_mutants.py",
            "tests/resolvers/test_timezones.py",
            "tests/resolvers/test_properties_timezones.py",
        ),
    ),
    Target(
        "resolvers/field_sets.py",
        (
            "tests/resolvers/test_field_sets_mutants.py",
            "tests/resolvers/test_field_sets.py",
        ),
    ),
    Target(
        "gateway/outbound/url_policy.py",
        (
            "tests/gateway/outbound/test_url_policy_mutants.py",
            "tests/gateway/outbound/test_url_policy.py",
            "tests/resolvers/test_ssrf.py",
        ),
    ),
    Target(
        "connectors/servicenow/mapping.py",
        (
            "tests/connectors/servicenow_connector/test_mapping_mutants.py",
            "tests/connectors/servicenow_connector/test_sn_mapping.py",
            "tests/connectors/servicenow_connector/test_sn_display_journal.py",
            "tests/connectors/servicenow_connector/test_sn_acl_reads.py",
        ),
    ),
    Target(
        "connectors/jira/mapping.py",
        (
            "tests/connectors/jira/test_mapping_mutants.py",
            "tests/connectors/jira/test_jira_mapping.py",
        ),
    ),
    Target(
        "connectors/rt/mapping.py",
        (
            "tests/connectors/rt/test_mapping_mutants.py",
            "tests/connectors/rt/test_rt_mapping.py",
            "tests/connectors/rt/test_rt_requests.py",
            "tests/connectors/rt/test_rt_correlation.py",
        ),
    ),
    Target(
        "connectors/http/outcomes.py",
        (
            "tests/connectors/http/test_outcomes_mutants.py",
            "tests/connectors/http/test_resilience.py",
            "tests/connectors/http/test_client.py",
        ),
    ),
    Target(
        "resolvers/idempotency.py",
        (
            "tests/resolvers/test_idempotency_mutants.py",
            "tests/resolvers/test_idempotency.py",
        ),
    ),
    Target(
        "gateway/auth/access_tokens.py",
        (
            "tests/auth/test_access_tokens_mutants.py",
            "tests/auth/test_auth_access_tokens.py",
        ),
    ),
    Target(
        "gateway/auth/offline_tokens.py",
        (
            "tests/auth/test_offline_tokens_mutants.py",
            "tests/auth/test_auth_offline_tokens.py",
            "tests/auth/test_auth_offline_abuse.py",
        ),
    ),
)


def target_for(path: str) -> Target:
    for target in TARGETS:
        if target.path == path:
            return target
    known = ", ".join(target.path for target in TARGETS)
    raise SystemExit(f"{path} is not covered by the mutation check (covered: {known})")
