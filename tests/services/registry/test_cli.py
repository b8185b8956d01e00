"""The operator CLI against a real registry server on a local port."""

from __future__ import annotations

import asyncio
import csv
from pathlib import Path

from typer.testing import CliRunner

from jifang.auth import Role
from services.registry.cli import app
from tests.conftest import TokenFactory
from tests.services.registry.factories import new_uscc, unique


async def test_import_with_progress_and_error_report(
    registry_url: str, token: TokenFactory, tmp_path: Path
) -> None:
    district = unique("平房区")
    src = tmp_path / "units.csv"
    with src.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(
            ["name", "uscc", "address", "district", "is_business", "security_affiliation", "jurisdiction"]
        )
        for i in range(23):
            w.writerow(
                [
                    f"单位{i}",
                    new_uscc() if i != 17 else "BAD",
                    "地址",
                    district,
                    "true",
                    "none",
                    "harbin-2008",
                ]
            )
    report = tmp_path / "refused.csv"
    env = {"REGISTRY_URL": registry_url, "JIFANG_TOKEN": token(Role.TECH_OFFICE)}
    result = await asyncio.to_thread(
        CliRunner().invoke,
        app,
        ["import", "units", str(src), "--chunk", "5", "--errors", str(report)],
        env=env,
    )
    assert result.exit_code == 2, result.output  # some rows refused
    assert "22 imported" in result.output and "1 refused" in result.output
    rows = list(csv.DictReader(report.open(encoding="utf-8")))
    assert [(r["row"], r["field"], r["rule"]) for r in rows] == [("18", "uscc", "uscc-length")]

    out = tmp_path / "export.csv"
    result = await asyncio.to_thread(CliRunner().invoke, app, ["export", "units", "--out", str(out)], env=env)
    assert result.exit_code == 0, result.output
    exported = [r for r in csv.DictReader(out.open(encoding="utf-8")) if r["district"] == district]
    assert len(exported) == 22


async def test_a_refused_token_is_reported(registry_url: str, token: TokenFactory) -> None:
    env = {"REGISTRY_URL": registry_url, "JIFANG_TOKEN": token(Role.AUDITOR)}
    result = await asyncio.to_thread(CliRunner().invoke, app, ["filings-due"], env=env)
    assert result.exit_code == 1 and "403" in result.output
