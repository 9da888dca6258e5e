"""Which server this is: the package's version and, in a git checkout, its commit. Shown by
`/health` and in every response's `Server` header, so that an operator or an integrator's
support ticket can tell which build answered."""

from __future__ import annotations

import subprocess
from functools import cache
from importlib import metadata
from pathlib import Path

PACKAGE = "tmf-bss-server"
_ROOT = Path(__file__).resolve().parent.parent


@cache
def version() -> str:
    try:
        return metadata.version(PACKAGE)
    except metadata.PackageNotFoundError:  # run from a copy that was never installed
        return "unknown"


@cache
def commit() -> str | None:
    """The checked-out commit, short; None outside a git checkout (an installed package)."""
    if not (_ROOT / ".git").exists():
        return None
    try:
        found = subprocess.run(
            ["git", "rev-parse", "--short=12", "HEAD"],
            cwd=_ROOT,
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return found.stdout.strip() or None


def server_header() -> str:
    """The `Server` header's value: product/version, the commit as a comment when known."""
    known = commit()
    return f"{PACKAGE}/{version()}" + (f" ({known})" if known else "")
