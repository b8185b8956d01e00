"""Log records with the request id of the request being served: JSON lines for machines
(Kubernetes, files, pipes), one readable line per record in a terminal."""

from __future__ import annotations

import json
import logging
import sys
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any, Literal, TextIO

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)

# `auto`: readable in a terminal, JSON anywhere else (a pod's log, a pipe, a file).
LogFormat = Literal["auto", "json", "console"]

_STANDARD_ATTRS = frozenset(
    vars(logging.LogRecord("", 0, "", 0, "", (), None)).keys()
    # uvicorn's `color_message`: the message again, with terminal colour codes
    | {"message", "asctime", "color_message"}
)
# Never let a secret reach a log line, whatever a caller passes in `extra`.
_REDACTED_KEYS = frozenset({"password", "secret", "token", "authorization", "credentials"})


def _extras(record: logging.LogRecord) -> dict[str, Any]:
    """The request id and what the caller passed in `extra`, secrets redacted."""
    fields: dict[str, Any] = {}
    rid = request_id_var.get()
    if rid:
        fields["request_id"] = rid
    for key, value in vars(record).items():
        if key in _STANDARD_ATTRS or key.startswith("_"):
            continue
        fields[key] = "[redacted]" if key.lower() in _REDACTED_KEYS else value
    return fields


class JsonFormatter(logging.Formatter):
    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "service": self.service,
            "logger": record.name,
            "msg": record.getMessage(),
            **_extras(record),
        }
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


class ConsoleFormatter(logging.Formatter):
    """``12:04:05.123 INFO  registry jifang.outbox: relayed count=3 topic=jifang.registry.v1``
    (local time; the traceback, if any, on the lines below)."""

    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        when = datetime.fromtimestamp(record.created).strftime("%H:%M:%S.%f")[:-3]
        line = f"{when} {record.levelname:<5} {self.service} {record.name}: {record.getMessage()}"
        extras = " ".join(f"{key}={_console_value(value)}" for key, value in _extras(record).items())
        if extras:
            line = f"{line} {extras}"
        if record.exc_info:
            line = f"{line}\n{self.formatException(record.exc_info)}"
        return line


def _console_value(value: Any) -> str:
    text = str(value)
    if not text or any(c.isspace() or c in '="' for c in text):
        return json.dumps(text, ensure_ascii=False)
    return text


def console_wanted(log_format: LogFormat, stream: TextIO) -> bool:
    """Readable lines for ``console``, or for ``auto`` on a terminal; JSON otherwise."""
    if log_format == "auto":
        return stream.isatty()
    return log_format == "console"


def configure_logging(service: str, level: str = "INFO", log_format: LogFormat = "auto") -> None:
    handler = logging.StreamHandler(sys.stderr)
    formatter = ConsoleFormatter if console_wanted(log_format, sys.stderr) else JsonFormatter
    handler.setFormatter(formatter(service))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # Request lines are for debugging: ours (jifang.http) are debug records, httpx writes one
    # per client call at INFO.
    logging.getLogger("httpx").setLevel(logging.NOTSET if root.level <= logging.DEBUG else logging.WARNING)
    # uvicorn's own access log duplicates ours, in another format.
    logging.getLogger("uvicorn.access").disabled = True
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
