"""The one place CSV exports write their cells: OWASP's "CSV Injection" advice, per value type."""

from __future__ import annotations

import csv
import datetime as dt
import io
import uuid

from jifang.csv_export import SafeCsvWriter, SafeDictWriter, neutralise


def test_text_that_a_spreadsheet_would_run_begins_with_a_quote() -> None:
    for text in ("=1+1", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1", "-", '=HYPERLINK("x")'):
        assert neutralise(text) == "'" + text
    for text in ("", "南岗区", "A-1", "1=1", " =1", "'=already"):
        assert neutralise(text) == text


def test_numbers_stay_numbers_and_other_values_become_text() -> None:
    assert neutralise(-33.9) == -33.9 and neutralise(-5) == -5 and neutralise(0) == 0
    assert neutralise(True) == "True" and neutralise(None) == ""
    assert neutralise(dt.datetime(2026, 12, 2, 8, 0, tzinfo=dt.UTC)) == "2026-12-02T08:00:00+00:00"
    some = uuid.UUID(int=1)
    assert neutralise(some) == str(some)
    assert neutralise(["HRB-2008 art. 7(4)", "-x"]) == "HRB-2008 art. 7(4); -x"
    assert neutralise(["-x"]) == "'-x"  # the joined cell is what a spreadsheet reads
    assert neutralise({"party": "=unit"}) == '{"party": "=unit"}'


def test_text_is_quoted_numbers_are_not() -> None:
    buf = io.StringIO()
    SafeCsvWriter(buf).writerow(["名称,带逗号", -2.5, 7, "=cmd|' /C calc'!A0", None])
    assert buf.getvalue() == '"名称,带逗号",-2.5,7,"\'=cmd|\' /C calc\'!A0",""\r\n'
    buf = io.StringIO()
    writer = SafeDictWriter(buf, ["name", "latitude"])
    writer.writeheader()
    writer.writerow({"name": "@x", "latitude": -1.5})
    writer.writerow({"name": "y"})
    assert list(csv.reader(io.StringIO(buf.getvalue()))) == [["name", "latitude"], ["'@x", "-1.5"], ["y", ""]]
