from __future__ import annotations

import pytest

from hospital.entrypoints.http.client_address import ClientAddressResolver


def scope(peer: str | None, *forwarded: str) -> dict:
    return {"client": (peer, 1234) if peer else None,
            "headers": [(b"x-forwarded-for", value.encode()) for value in forwarded]}


def test_without_trusted_proxies_the_peer_is_the_client_whatever_the_headers_say() -> None:
    resolve = ClientAddressResolver([])
    assert resolve(scope("203.0.113.9", "198.51.100.1")) == "203.0.113.9"


def test_a_trusted_proxy_is_believed_about_the_client() -> None:
    resolve = ClientAddressResolver(["10.0.0.0/8"])
    assert resolve(scope("10.1.2.3", "198.51.100.1")) == "198.51.100.1"


def test_the_rightmost_untrusted_hop_is_the_client_so_a_spoofed_left_part_is_ignored() -> None:
    resolve = ClientAddressResolver(["10.0.0.0/8"])
    assert resolve(scope("10.1.2.3", "1.1.1.1, 198.51.100.1, 10.9.9.9")) == "198.51.100.1"
    assert resolve(scope("10.1.2.3", "1.1.1.1", "198.51.100.1")) == "198.51.100.1"


def test_an_untrusted_peer_is_not_believed() -> None:
    resolve = ClientAddressResolver(["10.0.0.0/8"])
    assert resolve(scope("203.0.113.9", "198.51.100.1")) == "203.0.113.9"


@pytest.mark.parametrize("forwarded", [(), ("",), ("10.0.0.1, 10.0.0.2",)])
def test_when_every_hop_is_trusted_or_none_is_given_the_peer_is_used(forwarded: tuple[str, ...]) -> None:
    assert ClientAddressResolver(["10.0.0.0/8"])(scope("10.1.2.3", *forwarded)) == "10.1.2.3"


def test_no_peer_at_all_is_unknown() -> None:
    assert ClientAddressResolver([])(scope(None)) == "unknown"


def test_a_non_ip_peer_is_never_trusted() -> None:
    assert ClientAddressResolver(["10.0.0.0/8"])(scope("testclient", "198.51.100.1")) == "testclient"
