"""`jifang-registry`: the operator CLI. It talks to the registry's API with a token, so it
obeys the same roles and validation as any other client.

    jifang-registry import devices devices.csv --errors refused.csv
    jifang-registry export units --out units.csv
    jifang-registry export findings --out findings.csv
    jifang-registry enrollment-token UNIT_ID
    jifang-registry findings --district 南岗区 --status open
    jifang-registry filings-due --within-days 7
"""

from __future__ import annotations

import asyncio
import csv
import io
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from jifang.csv_export import SafeDictWriter
from jifang.registry_client import RegistryClient, RegistryRefused, RegistryUnavailable

app = typer.Typer(help="Jifang registry operator CLI", no_args_is_help=True, add_completion=False)
console = Console(stderr=True)

UrlOpt = Annotated[str, typer.Option(envvar="REGISTRY_URL", help="Registry base URL")]
TokenOpt = Annotated[str, typer.Option(envvar="JIFANG_TOKEN", help="Bearer token (see `make tokens`)")]
T = TypeVar("T")


def _run(url: str, token: str, work: Callable[[RegistryClient], Awaitable[T]]) -> T:
    """Run one command against the registry; a refusal or an outage is printed, exit 1."""

    async def session() -> T:
        async with RegistryClient(url, token, timeout_s=300) as registry:
            return await work(registry)

    try:
        return asyncio.run(session())
    except RegistryRefused as refused:
        p = refused.problem
        console.print(f"[red]{refused.status} {p.get('title', '')}[/red]: {p.get('detail', '')}")
    except RegistryUnavailable as exc:
        console.print(f"[red]registry unavailable[/red]: {exc}")
    raise typer.Exit(1)


async def import_file(
    registry: RegistryClient, kind: str, path: Path, chunk: int, show_progress: bool = True
) -> dict[str, Any]:
    """Send the CSV in chunks of rows; gather one report with the file's own row numbers."""
    with path.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    if not rows:
        raise typer.BadParameter("the file is empty")
    header, data = rows[0], rows[1:]
    total: dict[str, Any] = {"kind": kind, "rows": 0, "imported": 0, "failed": 0, "errors": []}
    progress = Progress(
        TextColumn(f"importing {kind}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console,
        disable=not show_progress,
    )
    with progress:
        task = progress.add_task("rows", total=len(data))
        for start in range(0, len(data), chunk):
            part = data[start : start + chunk]
            buf = io.StringIO()
            # The operator's own cells, sent as they are: this is no export for a spreadsheet.
            writer = csv.writer(buf)
            writer.writerow(header)
            writer.writerows(part)
            report = await registry.import_csv(kind, buf.getvalue().encode())
            for key in ("rows", "imported", "failed"):
                total[key] += report[key]
            for err in report["errors"]:
                total["errors"].append({**err, "row": err["row"] + start})
            progress.advance(task, len(part))
    return total


@app.command("import")
def import_cmd(
    kind: Annotated[str, typer.Argument(help="units, places or devices")],
    path: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
    url: UrlOpt = "http://127.0.0.1:8001",
    token: TokenOpt = "",
    chunk: Annotated[int, typer.Option(min=1, max=50_000)] = 5000,
    errors: Annotated[
        Path | None, typer.Option(help="Write refused rows (row, field, rule, message) here")
    ] = None,
) -> None:
    """Import a CSV; bad rows are reported and never stop the good ones."""
    report = _run(url, token, lambda registry: import_file(registry, kind, path, chunk))
    console.print(
        f"{report['rows']} rows: [green]{report['imported']} imported[/green], "
        f"[red]{report['failed']} refused[/red]"
    )
    if errors is not None:
        with errors.open("w", encoding="utf-8", newline="") as fh:
            refused = SafeDictWriter(fh, ["row", "field", "rule", "message"])
            refused.writeheader()
            refused.writerows(sorted(report["errors"], key=lambda e: e["row"]))
    else:
        for e in sorted(report["errors"], key=lambda e: e["row"])[:50]:
            console.print(f"  row {e['row']}: {e['field']} ({e['rule']}) {e['message']}")
    if report["failed"]:
        raise typer.Exit(2)


@app.command("export")
def export_cmd(
    kind: Annotated[str, typer.Argument(help="units, devices or findings")],
    url: UrlOpt = "http://127.0.0.1:8001",
    token: TokenOpt = "",
    out: Annotated[Path | None, typer.Option(help="File to write (default: standard output)")] = None,
) -> None:
    """Export units, devices or findings as CSV (credentials are never exported). Text that a
    spreadsheet would run as a formula begins with a single quote (jifang.csv_export); a list
    (a finding's articles) is one cell, its items separated by "; "."""
    if kind not in ("units", "devices", "findings"):
        raise typer.BadParameter("kind must be units, devices or findings")
    fh = out.open("w", encoding="utf-8", newline="") if out else sys.stdout

    async def export(registry: RegistryClient) -> None:
        writer: SafeDictWriter | None = None
        async for item in registry.all_items(f"/{kind}"):
            if writer is None:
                writer = SafeDictWriter(fh, list(item))
                writer.writeheader()
            writer.writerow(item)

    try:
        _run(url, token, export)
    finally:
        if out:
            fh.close()


@app.command("enrollment-token")
def enrollment_token(
    unit_id: str, url: UrlOpt = "http://127.0.0.1:8001", token: TokenOpt = "", label: str | None = None
) -> None:
    """Issue a one-time token with which one NVR registers itself."""
    body = _run(url, token, lambda registry: registry.issue_enrollment_token(unit_id, label))
    print(body["token"])
    console.print(f"valid until {body['expires_at']}")


@app.command("findings")
def findings_cmd(
    url: UrlOpt = "http://127.0.0.1:8001",
    token: TokenOpt = "",
    unit_id: str | None = None,
    district: str | None = None,
    article: str | None = None,
    status: str | None = None,
) -> None:
    """List findings with the articles they cite."""
    params = {
        k: v
        for k, v in {"unit_id": unit_id, "district": district, "article": article, "status": status}.items()
        if v
    }
    page = _run(url, token, lambda registry: registry.get("/findings", **params, limit=500))
    table = Table("status", "rule", "articles", "detail")
    for f in page["items"]:
        table.add_row(f["status"], f["rule"], ", ".join(f["articles"]), f["detail"])
    Console().print(table)
    console.print(f"{page['total']} findings")


@app.command("filings-due")
def filings_due(url: UrlOpt = "http://127.0.0.1:8001", token: TokenOpt = "", within_days: int = 7) -> None:
    """Filings whose deadline falls within the given days, overdue first, with who files: the
    unit (HRB art. 14) or the firm, per project (KMG art. 16)."""
    rows = _run(url, token, lambda registry: registry.get("/filings/due", within_days=within_days))
    table = Table("due", "overdue", "unit", "district", "system", "files", "article")
    for d in rows:
        liable = d["liable"]
        table.add_row(
            d["due_date"],
            "yes" if d["overdue"] else "",
            d["unit_name"],
            d["district"],
            d["system_name"],
            "the unit" if liable["party"] == "unit" else f"firm: {liable['name'] or 'not recorded'}",
            d["article"],
        )
    Console().print(table)


if __name__ == "__main__":
    app()
