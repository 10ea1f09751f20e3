"""The custom fields found by what they are in one "Get fields" answer
(``connectors.jira.site_fields``), and the factory's small cache of them."""

from __future__ import annotations

import pytest

from connectors.errors import BadInput, ItsmError
from connectors.jira.site_fields import SLA_FIELD_TYPE, SiteFieldCache, SiteFields, site_fields_in
from tests.connectors.jira.test_jira_correlation_field import SUMMARY, custom


def sla(field_id: str, name: str) -> dict[str, object]:
    return custom(field_id, name, "sd-servicelevelagreement", SLA_FIELD_TYPE)


def test_the_sla_fields_are_found_by_their_type_whatever_their_name() -> None:
    answer = [
        SUMMARY,
        sla("customfield_10031", "Time to first response"),
        sla("customfield_10030", "Zeit bis zur Lösung"),
        custom("customfield_10050", "Time to resolution"),  # a text field of that name: not one
        custom("customfield_10053", "Correlation ID"),
    ]
    found = site_fields_in(answer, "acme")
    assert found.slas == ("customfield_10030", "customfield_10031")
    assert found.correlation("acme") == "customfield_10053"


def test_a_site_without_them_has_none() -> None:
    assert site_fields_in([SUMMARY], "acme") == SiteFields()


def test_several_correlation_fields_refuse_correlation_only() -> None:
    answer = [
        custom("customfield_1", "Correlation ID"),
        custom("customfield_2", "Correlation ID"),
        sla("customfield_3", "Time to resolution"),
    ]
    found = site_fields_in(answer, "acme")
    assert found.slas == ("customfield_3",)  # the SLA time left still works
    with pytest.raises(BadInput, match="customfield_1, customfield_2"):
        found.correlation("acme")


def test_an_answer_that_is_no_list_is_an_itsm_error() -> None:
    with pytest.raises(ItsmError):
        site_fields_in({"errorMessages": []}, "acme")


async def test_the_cache_keeps_an_answer_until_it_expires() -> None:
    now = [0.0]
    cache = SiteFieldCache(ttl=300, clock=lambda: now[0], max_entries=1)
    asked: list[SiteFields] = []

    async def look_up(answer: SiteFields) -> SiteFields:
        asked.append(answer)
        return answer

    none, one, two, three = (SiteFields(slas=(f"customfield_{n}",) * n) for n in range(4))
    site = ("https://acme.atlassian.net", "account")
    assert await cache.fields(site, lambda: look_up(none)) == none
    assert await cache.fields(site, lambda: look_up(one)) == none  # kept
    now[0] = 301
    assert await cache.fields(site, lambda: look_up(one)) == one
    assert await cache.fields(("other", "account"), lambda: look_up(two)) == two
    assert asked == [none, one, two]
    # max_entries=1: the other site's entry pushed this one out.
    assert await cache.fields(site, lambda: look_up(three)) == three
