"""Command line: `python -m conformance schemathesis|ctk ...` against any TMF server."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from conformance.collection import KitError
from conformance.ctk import run_ctk
from conformance.schemathesis_suite import ALL_PHASES, run_schemathesis


def main(argv: Sequence[str] | None = None) -> int:
    """Run one suite; 0 only if it found nothing, 1 on failures, 2 on bad usage."""
    parser = _parser()
    args, extra = parser.parse_known_args(argv)
    # Only `schemathesis -- ARGS...` passes arguments on (to `st run`); anything else is a typo.
    if extra and (args.command != "schemathesis" or extra[0] != "--"):
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    extra = extra[1:]
    try:
        headers = dict(_header(h) for h in args.header)
    except ValueError as exc:
        parser.error(str(exc))
    try:
        if args.command == "schemathesis":
            st = run_schemathesis(
                args.base_url,
                args.spec,
                max_examples=args.max_examples,
                phases=_split(args.phases),
                checks=args.checks,
                headers=headers,
                report_dir=args.report_dir,
                workers=args.workers,
                seed=args.seed,
                extra_args=extra,
                echo=not args.quiet,
            )
            print(
                f"\nschemathesis: {st.operations_tested} operations, {st.test_cases} cases, "
                f"{len(st.failures)} failures, {len(st.errors)} errors; "
                f"reports in {st.report_dir}"
            )
            return 0 if st.ok else 1
        ctk = run_ctk(
            args.kit,
            args.base_url,
            headers=headers,
            report_dir=args.report_dir,
            url_variable=args.url_variable,
            echo=not args.quiet,
        )
        print(
            f"\nctk {ctk.collection}: {ctk.requests} requests, {ctk.assertions_failed} of "
            f"{ctk.assertions} assertions failed; reports in {ctk.report_dir}"
        )
        return 0 if ctk.ok else 1
    except (RuntimeError, FileNotFoundError, KitError) as exc:
        # Set-up problems (no newman, no spec, no collection): say what is missing, no traceback.
        print(f"error: {exc}", file=sys.stderr)
        return 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m conformance",
        description="Conformance checks for any TM Forum Open API server.",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    st = commands.add_parser(
        "schemathesis",
        help="fuzz the API against its OpenAPI/Swagger spec",
        description="Run schemathesis against the API. Arguments after `--` go to `st run`.",
    )
    st.add_argument("--base-url", required=True, help="API root, e.g. http://host/tmf-api/x/v4")
    st.add_argument("--spec", required=True, help="OpenAPI 3 or Swagger 2.0 file, path or URL")
    st.add_argument("--max-examples", type=int, default=50, help="cases per operation")
    st.add_argument("--phases", default=",".join(ALL_PHASES), help="comma-separated phases")
    st.add_argument("--checks", default="all", help="'all' or comma-separated check names")
    st.add_argument("--workers", type=int, default=1)
    st.add_argument("--seed", type=int, default=None)
    _common(st)

    kit = commands.add_parser(
        "ctk",
        help="run an official v4 CTK with newman",
        description="Run an official TM Forum v4 CTK (Postman collection) with newman.",
    )
    kit.add_argument("--kit", required=True, help="CTK folder, its ctk/ folder or the collection")
    kit.add_argument("--base-url", required=True, help="API root, e.g. http://host/tmf-api/x/v4")
    kit.add_argument(
        "--url-variable", default=None, help="collection variable for the API root (detected)"
    )
    _common(kit)
    return parser


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--header",
        action="append",
        default=[],
        metavar="'NAME: VALUE'",
        help="header for every request, e.g. 'Authorization: Bearer TOKEN'; repeatable",
    )
    parser.add_argument("--report-dir", default=None, help="default: reports/<UTC timestamp>")
    parser.add_argument("--quiet", action="store_true", help="do not echo the tool's output")


def _header(text: str) -> tuple[str, str]:
    name, sep, value = text.partition(":")
    if not sep or not name.strip():
        raise ValueError(f"header must look like 'Name: value', got {text!r}")
    return name.strip(), value.strip()


def _split(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]
