"""Webhook URLs pass the URL-import guard (SPEC §3.11, §5; issue 19) at registration and again at
every delivery, against the addresses DNS actually returned: every address class the guard
refuses is refused both times, including a name that resolves to a public address when it is
registered and to 127.0.0.1 (where a receiver listens) when an event is delivered.

The security stack lets URL imports reach loopback (IMPORT_ALLOW_PRIVATE_NETWORKS=true); here the
guard is on, as in AWS, and DNS is a table the test controls (no lookup leaves the machine)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.harness.http import Client, assert_problem
from tests.harness.receiver import Receiver

# One address of every class the URL-import guard refuses (tests/unit/test_fetch.py has them all).
REFUSED = [
    "127.0.0.1", "10.0.0.5", "172.16.0.1", "192.168.1.1", "100.64.0.1", "169.254.169.254", "224.0.0.1",
    "240.0.0.1", "255.255.255.255", "0.0.0.0", "198.18.0.1", "192.0.2.1", "192.0.0.8", "::1", "::",
    "fc00::1", "fe80::1", "fec0::1", "ff02::1", "2001:db8::1", "::ffff:127.0.0.1", "::127.0.0.1",
    "64:ff9b::7f00:1", "64:ff9b:1::1", "2002:7f00:1::1", "2001:0:4136:e378:8000:63bf:f5ff:fffe",
]  # fmt: skip
PUBLIC = "93.184.215.14"
NAME = "hooks.example.test"


class Dns:
    """Answers from a table the test edits (what the webhook sender resolves names with)."""

    def __init__(self) -> None:
        self.answers: dict[str, list[str]] = {}

    def __call__(self, host: str, port: int) -> list[str]:
        if host not in self.answers:
            raise OSError(f"no such name: {host}")
        return list(self.answers[host])


@pytest.fixture(scope="module")
def dns(sec_stack: Any) -> Iterator[Dns]:
    """The stack's webhook sender with the guard on (as in AWS) and this DNS."""
    from imageapi.context_events import webhook_sender

    sender = webhook_sender()
    saved = (sender.allow_private, sender.allowed_origins, sender.resolver)
    table = Dns()
    sender.allow_private, sender.allowed_origins, sender.resolver = False, frozenset(), table
    yield table
    sender.allow_private, sender.allowed_origins, sender.resolver = saved


@pytest.fixture(scope="module")
def attacker(sec_stack: Any) -> Client:
    return Client(sec_stack.api_url, sec_stack.token("sec-ssrf"))


def _literal(address: str) -> str:
    return f"http://[{address}]:8080/hook" if ":" in address else f"http://{address}:8080/hook"


@pytest.mark.parametrize("address", REFUSED)
def test_registration_refuses_every_forbidden_address_literal_or_resolved(
    attacker: Client, dns: Dns, address: str
) -> None:
    refused = attacker.request("POST", "/webhooks", json={"url": _literal(address), "events": ["image.ready"]})
    assert "webhook address" in assert_problem(refused, 400)["detail"]
    host = f"a{REFUSED.index(address)}.example.test"
    dns.answers[host] = [address]
    refused = attacker.request("POST", "/webhooks", json={"url": f"http://{host}/hook", "events": ["image.ready"]})
    assert "resolves to" in assert_problem(refused, 400)["detail"]
    assert refused.json()["type"].endswith(":url-refused")
    # A name with one good and one bad address is refused whole (which one a connection uses is not ours).
    dns.answers["mixed.example.test"] = [PUBLIC, address]
    assert_problem(
        attacker.request("POST", "/webhooks", json={"url": "http://mixed.example.test/", "events": ["image.ready"]}),
        400,
    )
    assert attacker.request("GET", "/webhooks").json()["items"] == []


def _first_attempt(client: Client, webhook_id: str, delivery_id: str, timeout: float = 30) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        items = client.request("GET", f"/webhooks/{webhook_id}/deliveries", params={"limit": "100"}).json()["items"]
        found = [d for d in items if d["id"] == delivery_id and d["attempts"]]
        if found:
            return found[0]["attempts"][-1]  # newest first: the last is the first
        assert time.monotonic() < deadline, f"no attempt of {delivery_id}"
        time.sleep(0.05)


def test_a_name_public_at_registration_is_refused_at_delivery_whatever_it_resolves_to_then(
    attacker: Client, dns: Dns
) -> None:
    with Receiver() as receiver:  # listening on 127.0.0.1, where the rebinding points
        port = int(receiver.origin.rsplit(":", 1)[1])
        dns.answers[NAME] = [PUBLIC]
        url = f"http://{NAME}:{port}/hook"
        created = attacker.request("POST", "/webhooks", json={"url": url, "events": ["image.ready"]})
        assert created.status_code == 201, created.text
        webhook = created.json()["id"]
        for address in REFUSED:
            dns.answers[NAME] = [address]  # DNS rebinding: the name now points inside
            tested = attacker.request("POST", f"/webhooks/{webhook}/test")
            assert tested.status_code == 202
            first = _first_attempt(attacker, webhook, tested.json()["id"])
            assert first["status_code"] is None and first["error"].startswith("refused:"), (address, first)
            assert "resolves to" in first["error"], first
        assert receiver.received == []  # nothing ever reached the receiver on 127.0.0.1
    attacker.request("DELETE", f"/webhooks/{webhook}")
