import pytest

from gateway.auth.credentials import bearer_token
from gateway.errors import Unauthenticated

TOKEN = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl"


@pytest.mark.parametrize(
    "header",
    [f"Bearer {TOKEN}", f"bearer {TOKEN}", f"BEARER {TOKEN}", f"  Bearer   {TOKEN}  "],
)
def test_bearer_token_is_read_whatever_the_scheme_case(header):
    assert bearer_token(header) == TOKEN


@pytest.mark.parametrize("header", [None, "", "   "])
def test_missing_header_says_what_to_send(header):
    with pytest.raises(Unauthenticated) as caught:
        bearer_token(header)
    assert caught.value.message == (
        "missing Authorization header: send 'Authorization: Bearer <access token>'"
    )


@pytest.mark.parametrize("header", [f"Basic {TOKEN}", TOKEN, f"Token {TOKEN}", f"Bearer{TOKEN}"])
def test_other_schemes_are_refused_without_quoting_the_header(header):
    with pytest.raises(Unauthenticated) as caught:
        bearer_token(header)
    assert caught.value.message == "Authorization header must use the Bearer scheme"
    assert TOKEN not in caught.value.message


def test_bearer_without_token_is_refused():
    with pytest.raises(Unauthenticated, match="no token after 'Bearer'"):
        bearer_token("Bearer ")


def test_two_tokens_are_refused():
    with pytest.raises(Unauthenticated) as caught:
        bearer_token(f"Bearer {TOKEN} {TOKEN}")
    assert caught.value.message == "Authorization header must hold exactly one token after 'Bearer'"
    assert TOKEN not in caught.value.message
