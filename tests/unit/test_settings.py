from __future__ import annotations

from pathlib import Path

import pytest

from hospital.settings import MIN_SECRET_BYTES, RateLimit, Settings, SettingsError

SECRET = "s" * MIN_SECRET_BYTES


def from_env(**variables: str) -> Settings:
    return Settings.from_env({f"HOSPITAL_{name}": value for name, value in variables.items()})


def test_production_is_the_default_and_needs_a_long_secret() -> None:
    with pytest.raises(SettingsError, match="HOSPITAL_SECRET_KEY must be at least 32 bytes"):
        from_env()
    with pytest.raises(SettingsError, match="got 31"):
        from_env(SECRET_KEY="s" * 31)
    assert from_env(SECRET_KEY=SECRET).secret_key == SECRET


def test_the_secret_is_measured_in_bytes() -> None:
    with pytest.raises(SettingsError):
        from_env(SECRET_KEY="é" * 15)  # 30 bytes
    assert from_env(SECRET_KEY="é" * 16).environment == "production"


def test_development_makes_a_stable_secret_of_its_own(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    first = from_env(ENV="development")
    second = from_env(ENV="test", SECRET_KEY="short")

    assert len(first.secret_key.encode()) >= MIN_SECRET_BYTES
    assert first.secret_key == second.secret_key
    assert (tmp_path / ".hospital-dev-secret").stat().st_mode & 0o077 == 0


def test_every_variable_is_read() -> None:
    settings = from_env(
        SECRET_KEY=SECRET, DATABASE_URL="postgresql+asyncpg://db/x", ACCESS_TOKEN_LIFETIME="60",
        REFRESH_TOKEN_LIFETIME="120", ROTATE_REFRESH_TOKENS="yes", MEDIA_ROOT="/srv/media",
        RATE_LIMIT_AUTH="5/second", RATE_LIMIT_ANON="7/hour", RATE_LIMIT_USER="9/day",
        TRUSTED_PROXIES="10.0.0.0/8, 127.0.0.1", CORS_ORIGINS="https://a.example,https://b.example",
        LOG_LEVEL="debug", PASSWORD_HASH_CONCURRENCY="4", JWT_ISSUER="me", AUDIT_READS="Sync",
        AUDIT_RETENTION_DAYS="30",
    )
    assert settings.database_url == "postgresql+asyncpg://db/x"
    assert (settings.access_token_lifetime, settings.refresh_token_lifetime) == (60, 120)
    assert settings.rotate_refresh_tokens is True
    assert settings.media_root == Path("/srv/media")
    assert settings.rate_limit_auth == RateLimit(5, 1)
    assert settings.rate_limit_anon == RateLimit(7, 3600)
    assert settings.rate_limit_user == RateLimit(9, 86400)
    assert settings.trusted_proxies == ("10.0.0.0/8", "127.0.0.1")
    assert settings.cors_origins == ("https://a.example", "https://b.example")
    assert (settings.log_level, settings.password_hash_concurrency, settings.jwt_issuer) == ("DEBUG", 4, "me")
    assert (settings.audit_reads, settings.audit_retention_days) == ("sync", 30)
    assert (from_env(SECRET_KEY=SECRET).audit_reads, from_env(SECRET_KEY=SECRET).audit_retention_days) == (
        "batched", 2190)


@pytest.mark.parametrize(("name", "value", "message"), [
    ("ENV", "staging", "HOSPITAL_ENV"),
    ("ACCESS_TOKEN_LIFETIME", "soon", "HOSPITAL_ACCESS_TOKEN_LIFETIME: expected an integer"),
    ("ACCESS_TOKEN_LIFETIME", "0", "must be at least 1"),
    ("ROTATE_REFRESH_TOKENS", "maybe", "expected true or false"),
    ("RATE_LIMIT_AUTH", "lots", "expected a rate like '20/minute'"),
    ("RATE_LIMIT_AUTH", "3/fortnight", "HOSPITAL_RATE_LIMIT_AUTH"),
    ("CORS_ORIGINS", "*", "refused in production"),
    ("AUDIT_READS", "sometimes", "HOSPITAL_AUDIT_READS: expected one of batched, sync, off"),
    ("AUDIT_RETENTION_DAYS", "0", "HOSPITAL_AUDIT_RETENTION_DAYS: must be at least 1"),
])
def test_malformed_or_unsafe_values_are_refused_by_name(name: str, value: str, message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        from_env(SECRET_KEY=SECRET, **{name: value})


def test_a_wildcard_cors_origin_is_allowed_in_development(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert from_env(ENV="development", CORS_ORIGINS="*").cors_origins == ("*",)
