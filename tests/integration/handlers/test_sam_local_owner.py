"""Under `sam local` (no JWT authorizer runs) the owner is the bearer token's `sub`; anywhere
else a request without the authorizer's claims is 401, whatever token it carries."""

import base64
import json

import pytest

from imageapi.http.api import sam_local_bearer_subject


def _token(payload: object) -> str:
    def part(value: object) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'RS256', 'typ': 'JWT'})}.{part(payload)}.c2lnbmF0dXJl"


@pytest.mark.parametrize(
    ("header", "owner"),
    [
        (f"Bearer {_token({'sub': 'bob'})}", "bob"),
        (f"bearer {_token({'sub': 'bob'})}", "bob"),
        (f"Basic {_token({'sub': 'bob'})}", None),
        (f"Bearer {_token({'sub': ''})}", None),
        (f"Bearer {_token({'sub': 7})}", None),
        (f"Bearer {_token(['sub'])}", None),
        ("Bearer not-a-jwt", None),
        ("Bearer a.%%%.c", None),
        ("", None),
        (None, None),
    ],
)
def test_bearer_subject(header: str | None, owner: str | None) -> None:
    assert sam_local_bearer_subject(header) == owner


def _without_authorizer(api, monkeypatch, sam_local: bool):
    if sam_local:
        monkeypatch.setenv("AWS_SAM_LOCAL", "true")
    else:
        monkeypatch.delenv("AWS_SAM_LOCAL", raising=False)
    token = _token({"sub": "sam-local-owner"})
    return api.call("list", "list_images.json", sub=None, headers={"authorization": f"Bearer {token}"})


def test_outside_sam_local_a_token_without_the_authorizer_is_401(api, monkeypatch) -> None:
    _without_authorizer(api, monkeypatch, sam_local=False).assert_problem(401)


def test_under_sam_local_the_owner_is_the_tokens_subject(api, monkeypatch) -> None:
    reply = _without_authorizer(api, monkeypatch, sam_local=True)
    assert reply.status == 200, reply.text
    assert reply.json()["items"] == []
