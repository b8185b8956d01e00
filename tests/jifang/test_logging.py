"""Log format: readable lines in a terminal, JSON lines anywhere else (Kubernetes, pipes)."""

from __future__ import annotations

import io
import json
import logging
import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest

from jifang.logging import ConsoleFormatter, JsonFormatter, configure_logging, console_wanted, request_id_var
from jifang.settings import ServiceSettings

ROOT = Path(__file__).resolve().parents[2]


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(
    ("log_format", "tty", "console"),
    [
        ("auto", True, True),
        ("auto", False, False),
        ("console", False, True),
        ("json", True, False),
    ],
)
def test_the_format_follows_the_setting_and_the_terminal(log_format: str, tty: bool, console: bool) -> None:
    stream = Terminal() if tty else io.StringIO()
    assert console_wanted(log_format, stream) is console  # type: ignore[arg-type]


def test_log_format_is_one_platform_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    assert ServiceSettings(port=8001).log_format == "auto"
    monkeypatch.setenv("LOG_FORMAT", "json")
    assert ServiceSettings(port=8001).log_format == "json"
    monkeypatch.setenv("LOG_FORMAT", "yaml")
    with pytest.raises(ValueError, match="log_format"):
        ServiceSettings(port=8001)


def _record(**extra: object) -> logging.LogRecord:
    record = logging.LogRecord("jifang.outbox", logging.WARNING, __file__, 1, "relayed %d", (3,), None)
    record.__dict__.update(extra)
    return record


def test_a_console_line_has_time_level_service_logger_message_and_extras() -> None:
    token = request_id_var.set("r-1")
    try:
        line = ConsoleFormatter("registry").format(
            _record(topic="jifang.registry.v1", detail="two words", password="hunter2")
        )
    finally:
        request_id_var.reset(token)
    when, level, service, logger, rest = line.split(" ", 4)
    assert len(when) == len("12:04:05.123") and when[2] == ":" and when[8] == "."
    assert (level, service, logger) == ("WARNING", "registry", "jifang.outbox:")
    assert rest == 'relayed 3 request_id=r-1 topic=jifang.registry.v1 detail="two words" password=[redacted]'
    assert "\n" not in line


def test_a_json_line_keeps_its_fields() -> None:
    entry = json.loads(JsonFormatter("ingest").format(_record(device_id="d1", token="t")))
    assert {k: entry[k] for k in ("level", "service", "logger", "msg", "device_id", "token")} == {
        "level": "WARNING",
        "service": "ingest",
        "logger": "jifang.outbox",
        "msg": "relayed 3",
        "device_id": "d1",
        "token": "[redacted]",
    }


CHILD = (
    "import logging, sys; from jifang.logging import configure_logging; "
    "configure_logging('registry', 'INFO', sys.argv[1]); "
    "logging.getLogger('jifang.test').info('hello', extra={'n': 1})"
)


def _stderr_of_child(log_format: str, on_terminal: bool) -> str:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    args = [sys.executable, "-c", CHILD, log_format]
    if not on_terminal:
        return subprocess.run(args, env=env, capture_output=True, text=True, check=True).stderr
    leader, follower = pty.openpty()
    try:
        subprocess.run(args, env=env, stderr=follower, check=True)
        return os.read(leader, 4096).decode()
    finally:
        os.close(leader)
        os.close(follower)


def test_a_process_on_a_terminal_logs_readable_lines_and_json_elsewhere() -> None:
    on_terminal = _stderr_of_child("auto", on_terminal=True)
    assert " INFO  registry jifang.test: hello n=1" in on_terminal
    piped = json.loads(_stderr_of_child("auto", on_terminal=False))
    assert (piped["msg"], piped["n"]) == ("hello", 1)
    assert json.loads(_stderr_of_child("json", on_terminal=True).strip())["msg"] == "hello"


@pytest.mark.parametrize(("level", "client_requests_logged"), [("INFO", False), ("DEBUG", True)])
def test_client_request_lines_only_at_debug_level(level: str, client_requests_logged: bool) -> None:
    root, httpx_logger = logging.getLogger(), logging.getLogger("httpx")
    saved = (root.handlers[:], root.level, httpx_logger.level)
    try:
        configure_logging("ingest", level, "json")
        assert httpx_logger.isEnabledFor(logging.INFO) is client_requests_logged
        assert httpx_logger.isEnabledFor(logging.WARNING)
    finally:
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])
        httpx_logger.setLevel(saved[2])
