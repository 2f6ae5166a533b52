"""Settings every test shares: a fixed secret, media in a temporary folder, generous rate limits."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

from hospital.adapters.sqlalchemy.group_commit import GroupCommit
from hospital.settings import RateLimit, Settings

# The SQLite writer's state machine checks its invariants after every event in every test.
GroupCommit.check_invariants = True

hypothesis_settings.register_profile(
    "default", deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
hypothesis_settings.register_profile(
    "ci", deadline=None, max_examples=200, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
# `make check`, the inner loop: fewer examples per property and shorter runs of the state machines;
# `make test` and CI run the full ones.
hypothesis_settings.register_profile(
    "check", deadline=None, max_examples=25, stateful_step_count=15,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))
_CHECKING = os.environ.get("HYPOTHESIS_PROFILE") == "check"


def properties(**values) -> hypothesis_settings:
    """A property's own settings (``max_examples``, ``stateful_step_count``, ...), as written in `make test`
    and CI. A setting given to a test overrides the loaded profile, so under `make check`'s profile these
    two are capped at the profile's instead: without the cap the costliest properties ran their full
    count there."""
    if _CHECKING:
        check = hypothesis_settings.get_profile("check")
        for name in ("max_examples", "stateful_step_count"):
            if name in values:
                values[name] = min(values[name], getattr(check, name))
    return hypothesis_settings(**values)


TEST_SECRET = "test-secret-key-that-is-long-enough-0123456789"


def make_settings(tmp_path: Path, **overrides) -> Settings:
    base = {
        "environment": "test",
        "secret_key": TEST_SECRET,
        "database_url": f"sqlite+aiosqlite:///{tmp_path / 'unused.sqlite3'}",
        "media_root": tmp_path / "media",
        "rate_limit_auth": RateLimit(10_000, 60),
        "rate_limit_anon": RateLimit(10_000, 60),
        "rate_limit_user": RateLimit(10_000, 60),
    }
    base.update(overrides)
    return Settings(**base)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path)
