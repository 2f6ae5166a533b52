"""JSON log lines: one object per line, the request id, and no secret ever written."""

from __future__ import annotations

import io
import json
import logging

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hospital.entrypoints.logging_config import MASK, InfoLine, JsonFormatter, logging_config, redact, request_id

JWT = "eyJhbGciOiJIUzI1NiJ9.eyJ1c2VyX2lkIjoxLCJ0b2tlbl90eXBlIjoiYWNjZXNzIn0.c2lnbmF0dXJlLXBhcnQ"


@pytest.mark.parametrize(("text", "kept"), [
    (f"token {JWT} refused", "token [redacted] refused"),
    ("Authorization: Bearer abc.def.ghi", "Authorization: [redacted] [redacted]"),
    ("sent bearer s3cr3t-value to the API", "sent bearer [redacted] to the API"),
    ("hash $argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA stored", "hash [redacted] stored"),
    ("postgresql+asyncpg://app:hunter2@db:5432/hospital", "postgresql+asyncpg://app:[redacted]@db:5432/hospital"),
    ("redis://:hunter2@cache:6379/0", "redis://:[redacted]@cache:6379/0"),
    ('{"password": "hunter2", "username": "alice"}', '{"password": [redacted], "username": "alice"}'),
    ("confirm_password=hunter2&username=alice", "confirm_password=[redacted]&username=alice"),
    ("refresh_token='abc' next", "refresh_token=[redacted] next"),
    ("GET /api/doctors/ 200", "GET /api/doctors/ 200"),
    # PostgreSQL's detail of a broken constraint: the username, email or phone that clashed.
    ('duplicate key value violates unique constraint "uq_users_username_lower"\n'
     "DETAIL:  Key (lower(username::text))=(alice) already exists.\n[SQL: INSERT INTO users ...]",
     'duplicate key value violates unique constraint "uq_users_username_lower"\nDETAIL: [redacted]\n'
     "[SQL: INSERT INTO users ...]"),
    ("null value in column \"email\"\nDETAIL:  Failing row contains (7, bob, bob@example.com).",
     "null value in column \"email\"\nDETAIL: [redacted]"),
])
def test_redact_masks_credentials_and_keeps_the_rest(text: str, kept: str) -> None:
    assert redact(text) == kept


def test_redact_masks_the_given_secrets_wherever_they_appear() -> None:
    assert redact("key is not-a-pattern-but-secret!", ["not-a-pattern-but-secret!"]) == f"key is {MASK}"


@given(st.text(alphabet=st.characters(codec="ascii", categories=["L", "N", "P", "S", "Zs"],
                                      exclude_characters='"\\'), min_size=1))
def test_a_password_in_a_json_body_is_masked_whatever_it_is(password: str) -> None:
    assert redact(json.dumps({"password": password})) == '{"password": [redacted]}'


def _formatted(logger_name: str = "hospital.test", **extra) -> dict:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter(secrets=["the-signing-key-of-this-service"]))
    logger = logging.getLogger(logger_name)
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        logger.info("user %s logged in with the-signing-key-of-this-service", "alice", extra=extra)
    finally:
        logger.removeHandler(handler)
    line = stream.getvalue()
    assert line.count("\n") == 1
    return json.loads(line)


def test_a_line_is_one_json_object_with_time_level_logger_pid_and_message() -> None:
    entry = _formatted()
    assert entry["level"] == "INFO"
    assert entry["logger"] == "hospital.test"
    assert isinstance(entry["pid"], int)
    assert entry["message"] == f"user alice logged in with {MASK}"
    assert entry["time"].endswith("+00:00")
    assert "request_id" not in entry


def test_extra_fields_are_kept_and_those_named_like_secrets_are_masked() -> None:
    entry = _formatted(status=201, path="/api/user/register", password="hunter2", access_token="x", client=None)
    assert entry["status"] == 201
    assert entry["path"] == "/api/user/register"
    assert entry["password"] == MASK
    assert entry["access_token"] == MASK
    assert entry["client"] is None


def test_the_request_being_served_is_named() -> None:
    token = request_id.set("req-42")
    try:
        assert _formatted()["request_id"] == "req-42"
    finally:
        request_id.reset(token)


def test_exceptions_are_formatted_and_redacted() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("hospital.test.exceptions")
    logger.addHandler(handler)
    try:
        try:
            raise RuntimeError(f"could not decode {JWT}")
        except RuntimeError:
            logger.exception("failed")
    finally:
        logger.removeHandler(handler)
    entry = json.loads(stream.getvalue())
    assert "RuntimeError: could not decode [redacted]" in entry["exception"]
    assert JWT not in stream.getvalue()


def test_the_dict_config_routes_every_logger_through_the_json_formatter() -> None:
    config = logging_config("DEBUG", secrets=["k"])
    assert config["loggers"]["hospital"]["level"] == "DEBUG"
    assert config["formatters"]["json"]["secrets"] == ["k"]
    assert config["root"]["handlers"] == ["stderr"]
    assert config["disable_existing_loggers"] is False


def _info_line_through(handler: logging.Handler, name: str, **fields) -> None:
    logger = logging.getLogger(name)
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    try:
        InfoLine(logger, "request")(fields)
    finally:
        logger.removeHandler(handler)


def test_an_info_line_written_directly_is_the_line_the_record_would_give(monkeypatch) -> None:
    fields = {"method": "GET", "path": "/api/user/token/refresh", "status": 200, "duration_ms": 0.4,
              "client": "127.0.0.1", "access_token": "x"}
    direct, recorded = io.StringIO(), io.StringIO()
    handler = logging.StreamHandler(direct)
    handler.setFormatter(JsonFormatter(secrets=["k"]))
    # Both lines made in the same millisecond (records read time.time, or time.time_ns from Python 3.13).
    monkeypatch.setattr("time.time", lambda: 1_700_000_000.123)
    monkeypatch.setattr("time.time_ns", lambda: 1_700_000_000_123_000_000)
    token = request_id.set("req-7")
    try:
        _info_line_through(handler, "hospital.test.direct", **fields)
        reference = logging.StreamHandler(recorded)
        reference.setFormatter(JsonFormatter(secrets=["k"]))
        logger = logging.getLogger("hospital.test.recorded")
        logger.addHandler(reference)
        logger.setLevel(logging.INFO)
        logger.propagate = False
        try:
            logger.info("request", extra=fields)
        finally:
            logger.removeHandler(reference)
    finally:
        request_id.reset(token)
    assert direct.getvalue() == recorded.getvalue().replace("hospital.test.recorded", "hospital.test.direct")
    assert json.loads(direct.getvalue())["access_token"] == MASK


def test_an_info_line_reaches_any_other_handler_as_an_ordinary_record() -> None:
    class Capture(logging.Handler):
        def __init__(self) -> None:
            super().__init__()
            self.records: list[logging.LogRecord] = []

        def emit(self, record: logging.LogRecord) -> None:
            self.records.append(record)

    capture = Capture()
    _info_line_through(capture, "hospital.test.captured", status=404)
    assert [(r.getMessage(), r.status, r.levelno) for r in capture.records] == [("request", 404, logging.INFO)]


def test_an_info_line_is_not_written_below_the_loggers_level_or_the_handlers() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.setLevel(logging.WARNING)
    _info_line_through(handler, "hospital.test.quiet", status=200)
    logger = logging.getLogger("hospital.test.silenced")
    loud = logging.StreamHandler(stream)
    loud.setFormatter(JsonFormatter())
    logger.addHandler(loud)
    logger.setLevel(logging.WARNING)
    try:
        InfoLine(logger, "request")({"status": 200})
    finally:
        logger.removeHandler(loud)
    assert stream.getvalue() == ""


_PIECES = st.sampled_from(["GET", "/doctors/", "eyJ", "abc.def", "bear", "er ", "pass", "word=x", "://u:p@h", "DETAIL:",
                           "the-signing-key", "-of-this-service", "\n", " ", "tok", "en: y", "127.0.0.1"])
_TEXTS = st.lists(_PIECES, max_size=6).map("".join)


@given(st.dictionaries(st.sampled_from(["method", "path", "client", "note", "refresh", "request_id", "_private",
                                        "msg", "time"]),
                       st.one_of(_TEXTS, st.integers(), st.floats(allow_nan=False), st.none(), st.booleans(),
                                 st.tuples(_TEXTS)), max_size=6),
       _TEXTS, st.one_of(st.none(), st.just("req-1")))
def test_a_lines_fields_are_redacted_one_by_one(fields: dict, message: str, current: str | None) -> None:
    """The line's one search over all its text values gives what redacting each value gives."""
    secrets = ["the-signing-key-of-this-service"]
    formatter = JsonFormatter(secrets=secrets)
    token = request_id.set(current)
    try:
        entry = formatter._entry(0.0, "INFO", "hospital.access", 1, message, fields)
    finally:
        request_id.reset(token)
    expected = {"time": entry["time"], "level": "INFO", "logger": "hospital.access", "pid": 1,
                "message": redact(message, secrets)}
    if current is not None:
        expected["request_id"] = current
    for name, value in fields.items():
        if name in ("msg", "time", "_private") or name in expected:
            continue
        if name == "refresh":
            expected[name] = MASK
        elif isinstance(value, str):
            expected[name] = redact(value, secrets)
        elif value is None or isinstance(value, int | float | bool):
            expected[name] = value
        else:
            expected[name] = redact(repr(value), secrets)
    assert list(entry.items()) == list(expected.items())
