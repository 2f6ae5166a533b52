"""Structured logs: one JSON object per line on stderr, naming the request being served, with
secrets (tokens, passwords, hashes, keys, credentials in URLs) masked before anything is written.

`hospital serve` hands ``logging_config()`` to uvicorn, so its own lines (start, stop, errors) are
JSON too, in the supervisor and in every worker.
"""

from __future__ import annotations

import logging
import logging.config
import os
import re
import time
from collections.abc import Iterable
from contextvars import ContextVar
from typing import Any

import msgspec

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
    # What PostgreSQL tells of a broken constraint names the values ("Key (lower(username))=(bob)
    # already exists", "Failing row contains (...)"): usernames, emails, phones never reach a log.
    (re.compile(r"(DETAIL:)[^\n]*"), rf"\1 {MASK}"),
    # password=..., "token": "...", secret_key: ... in free text.
    (re.compile(r"(?i)([\"']?\b\w*(?:password|secret|token|authorization)\w*[\"']?\s*[:=]\s*)"
                r"(\"[^\"]*\"|'[^']*'|[^\s,&;}]+)"), rf"\1{MASK}"),
)


# Every pattern above needs one of these, so text without any skips them all (most log lines).
_MAYBE_SECRET = re.compile(r"eyJ|bearer|basic|\$argon2|://|pass|secret|token|authori|DETAIL:", re.IGNORECASE)


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    for secret in secrets:
        if secret and secret in text:
            text = text.replace(secret, MASK)
    if _MAYBE_SECRET.search(text) is None:
        return text
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


# The keys every line has before a record's own attributes (``request_id`` aside).
_OWN_KEYS = frozenset({"time", "level", "logger", "pid", "message"})
_LEFT_OUT, _MASKED, _CLEANED = 0, 1, 2


class _Timestamps:
    """ISO 8601 UTC with milliseconds, as ``datetime.isoformat(timespec="milliseconds")`` writes it;
    the seconds part is formatted once per second, not once per line."""

    def __init__(self) -> None:
        self._second, self._prefix = -1, ""

    def __call__(self, created: float) -> str:
        second = int(created)
        if second != self._second:
            self._second, self._prefix = second, time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
        return f"{self._prefix}.{int((created - second) * 1000):03d}+00:00"


class JsonFormatter(logging.Formatter):
    # Formatting runs once per request (the access line): it is kept to a few microseconds.
    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self._secrets = tuple(s for s in secrets if s)
        self._timestamp = _Timestamps()
        self._kinds: dict[str, int] = {}
        self._encoder = msgspec.json.Encoder(enc_hook=str)

    def _kind(self, name: str) -> int:
        """What a record's attribute ``name`` becomes in the line, decided once per name: left out
        (a standard attribute, a private one, or one of the line's own keys), masked (its name says
        secret), or cleaned (``_clean``). ``request_id`` is left to the caller: it is the line's own
        only when a request is being served."""
        kind = self._kinds.get(name)
        if kind is None:
            if name in _STANDARD_ATTRIBUTES or name in _OWN_KEYS or name.startswith("_"):
                kind = _LEFT_OUT
            else:
                kind = _MASKED if _SECRET_NAME.search(name) is not None else _CLEANED
            self._kinds[name] = kind
        return kind

    def _clean(self, value: Any) -> Any:
        if isinstance(value, str):
            return redact(value, self._secrets)
        if isinstance(value, int | float | bool) or value is None:
            return value
        return redact(repr(value), self._secrets)

    def format(self, record: logging.LogRecord) -> str:
        entry = self._entry(record.created, record.levelname, record.name, record.process, record.getMessage(),
                            record.__dict__)
        if record.exc_info:
            entry["exception"] = redact(self.formatException(record.exc_info), self._secrets)
        return self._encoder.encode(entry).decode()

    def format_info(self, logger: str, created: float, message: str, fields: dict[str, Any]) -> str:
        """The line ``format`` writes for an INFO record of ``logger`` with ``fields`` as its extra
        attributes, made at ``created``, in this process: the same text, without a ``LogRecord``."""
        pid = os.getpid() if logging.logProcesses else None
        return self._encoder.encode(self._entry(created, "INFO", logger, pid, message, fields)).decode()

    def _entry(self, created: float, level: str, logger: str, pid: int | None, message: str,
               attributes: dict[str, Any]) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "time": self._timestamp(created),
            "level": level,
            "logger": logger,
            "pid": pid,  # which worker, when several serve
            "message": message,  # redacted below
        }
        current = request_id.get()
        if current is not None:
            entry["request_id"] = current
        kinds, secrets = self._kinds, self._secrets
        # The text values, which redact() returns unchanged if no secret and no pattern's trigger
        # appears in any of them: one search for all of them, the message included (a value joined
        # to the next may match where neither does, which only costs the slow way).
        plain: list[str] = [message]
        names: list[str] = ["message"]
        for name, value in attributes.items():
            kind = kinds.get(name)
            if kind is None:
                kind = self._kind(name)
            if kind == _LEFT_OUT or (current is not None and name == "request_id"):
                continue
            if kind == _MASKED:
                entry[name] = MASK
            elif type(value) is str:
                entry[name] = value
                plain.append(value)
                names.append(name)
            else:
                entry[name] = self._clean(value)
        joined = "\n".join(plain)
        suspect = _MAYBE_SECRET.search(joined) is not None
        for secret in secrets:
            suspect = suspect or secret in joined
        if suspect:
            for name, value in zip(names, plain, strict=True):
                entry[name] = redact(value, secrets)
        return entry


class InfoLine:
    """One INFO line of a logger with the same message and fields each time (the access line of each
    request), written as the logger's ``info(message, extra=fields)`` would write it.

    When every handler the line reaches is a plain ``StreamHandler`` formatting with ``JsonFormatter``
    (what ``configure_logging`` installs), the line is formatted and written here: the same text, but
    no ``LogRecord`` (its caller lookup, its fields and the handlers' dispatch were about 8% of a
    request's work). Anything else on the way (a filter, another handler or formatter: a test's
    capture, an operator's configuration) gets the ordinary record. Handlers are looked up on every
    call, so a configuration changed at run time is followed at once.
    """

    def __init__(self, logger: logging.Logger, message: str) -> None:
        self._logger, self._message = logger, message

    def __call__(self, fields: dict[str, Any]) -> None:
        logger = self._logger
        if not logger.isEnabledFor(logging.INFO):
            return
        handlers = self._json_streams()
        if handlers is None:
            logger.info(self._message, extra=fields)
            return
        created = time.time()
        for handler in handlers:
            formatter: JsonFormatter = handler.formatter  # type: ignore[assignment]
            handler.acquire()
            try:
                handler.stream.write(formatter.format_info(logger.name, created, self._message, fields)
                                     + handler.terminator)
                handler.flush()
            except Exception:
                handler.handleError(logger.makeRecord(logger.name, logging.INFO, "(unknown file)", 0, self._message,
                                                      (), None, extra=fields))
            finally:
                handler.release()

    def _json_streams(self) -> list[logging.StreamHandler[Any]] | None:
        """The handlers ``Logger.callHandlers`` would give an INFO record to, if each can be written
        to directly; else None. None found means none writes it (the last resort is for warnings)."""
        if self._logger.filters:
            return None
        found: list[logging.StreamHandler[Any]] = []
        current: logging.Logger | None = self._logger
        while current is not None:
            for handler in current.handlers:
                if handler.level > logging.INFO:
                    continue
                if (type(handler) is not logging.StreamHandler or handler.filters
                        or not isinstance(handler.formatter, JsonFormatter)):
                    return None
                found.append(handler)
            current = current.parent if current.propagate else None
        return found


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
    lighten_log_records()


def lighten_log_records() -> None:
    """Records stop looking up their thread, process name and asyncio task: no line shows them, and
    one record is made per request (the logging HOWTO's "Optimization")."""
    logging.logThreads = False
    logging.logMultiprocessing = False
    logging.logAsyncioTasks = False
