"""What `hospital serve` refuses or warns about before any worker starts."""

from __future__ import annotations

from dataclasses import replace

import pytest

from hospital.entrypoints.startup_checks import refuse_unusable, serving_warnings
from hospital.settings import Settings, SettingsError


@pytest.mark.parametrize("proxies", [("127.0.0.1",), ("10.0.0.0/8", "::1"), ("192.168.1.7/24",), ()])
def test_addresses_and_networks_are_accepted_as_trusted_proxies(settings: Settings, proxies) -> None:
    refuse_unusable(replace(settings, trusted_proxies=proxies))


@pytest.mark.parametrize("proxy", ["nginx", "10.0.0.0/33", "127.0.0.1:8080"])
def test_a_trusted_proxy_that_is_not_an_address_is_refused_by_name(settings: Settings, proxy: str) -> None:
    with pytest.raises(SettingsError, match="HOSPITAL_TRUSTED_PROXIES") as refused:
        refuse_unusable(replace(settings, trusted_proxies=(proxy,)))
    assert repr(proxy) in str(refused.value)


@pytest.mark.parametrize("origins", [("https://app.example.org",), ("http://localhost:3000", "https://a.b"), ()])
def test_origins_are_accepted(settings: Settings, origins) -> None:
    refuse_unusable(replace(settings, cors_origins=origins))


@pytest.mark.parametrize("origin", ["app.example.org", "https://app.example.org/", "https://a.b/path",
                                    "ftp://a.b", "https://"])
def test_something_that_is_not_an_origin_is_refused(settings: Settings, origin: str) -> None:
    with pytest.raises(SettingsError, match="HOSPITAL_CORS_ORIGINS"):
        refuse_unusable(replace(settings, cors_origins=(origin,)))


def test_several_workers_without_redis_are_warned_about(settings: Settings) -> None:
    (warning,) = serving_warnings(settings, workers=4)
    assert "HOSPITAL_REDIS_URL" in warning and "4 times" in warning
    assert serving_warnings(settings, workers=1) == []
    assert serving_warnings(replace(settings, redis_url="redis://127.0.0.1:6379/0"), workers=4) == []


def test_production_refuses_a_short_secret_and_wildcard_cors() -> None:
    with pytest.raises(SettingsError, match="HOSPITAL_SECRET_KEY"):
        Settings.from_env({"HOSPITAL_SECRET_KEY": "too-short"})
    with pytest.raises(SettingsError, match="HOSPITAL_CORS_ORIGINS"):
        Settings.from_env({"HOSPITAL_SECRET_KEY": "x" * 48, "HOSPITAL_CORS_ORIGINS": "*"})
    assert Settings.from_env({"HOSPITAL_SECRET_KEY": "x" * 48, "HOSPITAL_CORS_ORIGINS": "https://a.example, "
                              "https://b.example"}).cors_origins == ("https://a.example", "https://b.example")
