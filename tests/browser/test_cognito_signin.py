"""Cloud sign-in as the deployed page does it: config.json in "cognito" mode, the hosted UI's
authorization-code flow with PKCE, tokens exchanged at the token endpoint, sign-out. The
identity provider is played by the test (Playwright routes on an invented https host); the tokens
it hands out are real ones from the local issuer, so the local gateway accepts them."""

from __future__ import annotations

import base64
import hashlib
import json
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

IDP = "https://auth.example.test"
CLIENT_ID = "web-test-client"


def test_cognito_mode_signs_in_with_pkce_and_signs_out(stack, context, page_errors, user):
    page_url = stack.api_url + "/"
    seen: dict[str, str] = {}

    def config(route):
        body = {
            "apiUrl": "",
            "auth": {"mode": "cognito", "clientId": CLIENT_ID, "domain": IDP, "redirectUri": page_url},
        }
        route.fulfill(status=200, content_type="application/json", body=json.dumps(body))

    def authorize(route):
        query = parse_qs(urlparse(route.request.url).query)
        assert query["response_type"] == ["code"] and query["client_id"] == [CLIENT_ID]
        assert query["code_challenge_method"] == ["S256"] and query["redirect_uri"] == [page_url]
        assert "openid" in query["scope"][0].split()
        seen["challenge"] = query["code_challenge"][0]
        location = f"{page_url}?code=one-time-code&state={query['state'][0]}"
        route.fulfill(status=302, headers={"Location": location})

    def token(route):
        form = parse_qs(route.request.post_data or "")
        assert form["grant_type"] == ["authorization_code"] and form["code"] == ["one-time-code"]
        verifier = form["code_verifier"][0].encode()
        derived = base64.urlsafe_b64encode(hashlib.sha256(verifier).digest()).rstrip(b"=").decode()
        assert derived == seen["challenge"], "the verifier must match the challenge sent to /authorize"
        issued = stack.token(user)
        body = {"access_token": issued, "id_token": issued, "token_type": "Bearer", "expires_in": 3600}
        route.fulfill(
            status=200,
            content_type="application/json",
            headers={"Access-Control-Allow-Origin": "*"},
            body=json.dumps(body),
        )

    def logout(route):
        query = parse_qs(urlparse(route.request.url).query)
        seen["logout"] = json.dumps(query)
        route.fulfill(status=200, content_type="text/html", body="<p>signed out</p>")

    context.route("**/config.json", config)
    context.route(f"{IDP}/oauth2/authorize**", authorize)
    context.route(f"{IDP}/oauth2/token", token)
    context.route(f"{IDP}/logout**", logout)

    page = context.new_page()
    page_errors.attach(page)
    page.goto(page_url)

    expect(page.locator("#auth-status")).to_have_text(f"Signed in as {user}", timeout=20_000)
    assert "code=" not in page.url and "state=" not in page.url, "the redirect parameters are cleaned up"
    expect(page.locator("#gallery-summary")).to_have_text("No images yet. Upload one above to get started.")
    assert page.evaluate("() => Object.keys(localStorage).filter(k => /token/i.test(k))") == []

    page.click("#sign-out")
    page.wait_for_url(f"{IDP}/logout**")
    assert json.loads(seen["logout"]) == {"client_id": [CLIENT_ID], "logout_uri": [page_url]}
