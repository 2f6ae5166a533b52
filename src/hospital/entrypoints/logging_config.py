"""Structured logs: one JSON object per line on stderr, naming the request being served, with
secrets (tokens, passwords, hashes, keys, credentials in URLs) masked before anything is written.

`hospital serve` hands ``logging_config()`` to uvicorn, so its own lines (start, stop, errors) are
JSON too, in the supervisor and in every worker.
"""

from __future__ import annotations

import json
import logging
import logging.config
import re
from collections.abc import Iterable
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

request_id: ContextVar[str | None] = ContextVar("request_id", default=None)

MASK = "[redacted]"
# Attributes every record has, and uvicorn's ANSI-coloured copy of its message.
_STANDARD_ATTRIBUTES = {*vars(logging.LogRecord("", 0, "", 0, "", (), None)), "message", "asctime", "taskName",
                        "color_message"}
_SECRET_NAME = re.compile(r"pass(word)?|secret|token|authori[sz]ation|cookie|refresh|access|api_?key|hash",
                          re.IGNORECASE)
_PATTERNS = (
    # JSON Web Tokens (access and refresh tokens).
    (re.compile(r"eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*"), MASK),
    (re.compile(r"(?i)\b(bearer|basic)\s+[^\s\"',;]+"), rf"\1 {MASK}"),
    # Password hashes, should a statement or an object's repr ever reach a message.
    (re.compile(r"\$argon2(?:id|i|d)\$[^\s\"')]+"), MASK),
    # user:password@host in database and Redis URLs.
    (re.compile(r"(\b[a-z][a-z0-9+.-]*://[^:/@\s]*:)[^@\s]+@", re.IGNORECASE), rf"\1{MASK}@"),
    # password=..., "token": "...", secret_key: ... in free text.
    (re.compile(r"(?i)([\"']?\b\w*(?:password|secret|token|authorization)\w*[\"']?\s*[:=]\s*)"
                r"(\"[^\"]*\"|'[^']*'|[^\s,&;}]+)"), rf"\1{MASK}"),
)


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, MASK)
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class JsonFormatter(logging.Formatter):
    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self._secrets = tuple(s for s in secrets if s)

    def _clean(self, name: str, value: Any) -> Any:
        if _SECRET_NAME.search(name):
            return MASK
        if isinstance(value, str):
            return redact(value, self._secrets)
        if isinstance(value, int | float | bool) or value is None:
            return value
        return redact(repr(value), self._secrets)

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "pid": record.process,  # which worker, when several serve
            "message": redact(record.getMessage(), self._secrets),
        }
        current = request_id.get()
        if current is not None:
            entry["request_id"] = current
        for name, value in vars(record).items():
            if name not in _STANDARD_ATTRIBUTES and name not in entry and not name.startswith("_"):
                entry[name] = self._clean(name, value)
        if record.exc_info:
            entry["exception"] = redact(self.formatException(record.exc_info), self._secrets)
        return json.dumps(entry, ensure_ascii=False, default=str)


def logging_config(level: str = "INFO", secrets: Iterable[str] = ()) -> dict[str, Any]:
    """A ``logging.config.dictConfig`` dictionary: JSON lines on stderr."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": f"{__name__}.JsonFormatter", "secrets": list(secrets)}},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}},
        "root": {"handlers": ["stderr"], "level": "WARNING"},
        "loggers": {
            "hospital": {"level": level},
            "uvicorn": {"level": "INFO"},
            # Our own access line (hospital.access) names the request id; uvicorn's would not.
            "uvicorn.access": {"level": "WARNING"},
        },
    }


def configure_logging(level: str = "INFO", secrets: Iterable[str] = ()) -> None:
    logging.config.dictConfig(logging_config(level, secrets))
