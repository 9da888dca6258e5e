"""Where a run writes its reports when the caller does not say."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path


def resolve_report_dir(report_dir: str | Path | None) -> Path:
    """The given directory, or `reports/<UTC timestamp>` under the current directory; created."""
    if report_dir is None:
        report_dir = Path("reports") / datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = Path(report_dir).resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path
