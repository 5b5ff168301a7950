"""``cx-telemetry``: the CX lead's command line (migrate, export, report, forget, purge,
seed-demo, replay). Bad input ends with one line on stderr and a non-zero exit status."""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import NoReturn

from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from cx_telemetry.erasure import load_targets
from cx_telemetry.errors import TelemetryError, UsageError
from cx_telemetry.export import FORMATS, WHATS, export
from cx_telemetry.report import GROUPINGS, aggregate, build_report
from cx_telemetry.settings import Settings
from cx_telemetry.store import TelemetryStore

PROG = "cx-telemetry"
SHOP = "shop"  # --customer shop:<shop customer id>; no channel has this name


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message}\n")


def parse_when(text: str | None, end: bool = False) -> datetime | None:
    """``YYYY-MM-DD`` or an ISO datetime, UTC unless it says otherwise. A bare date used as an
    end (``--until``) means the end of that day, so ``--until 2026-01-31`` includes the 31st."""
    if text is None:
        return None
    try:
        when = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise UsageError(f"cannot read date {text!r}: use YYYY-MM-DD or YYYY-MM-DDTHH:MM") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    if end and re.fullmatch(r"\d{4}-\d{2}-\d{2}", text.strip()):
        when += timedelta(days=1)
    return when


def parse_age(text: str) -> timedelta:
    """``365d``, ``12w`` or ``48h``."""
    m = re.fullmatch(r"\s*(\d+)\s*([dwh])\s*", text)
    if not m:
        raise UsageError(f"cannot read duration {text!r}: use e.g. 365d, 12w or 48h")
    n, unit = int(m.group(1)), m.group(2)
    return (
        timedelta(days=n)
        if unit == "d"
        else timedelta(weeks=n)
        if unit == "w"
        else timedelta(hours=n)
    )


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog=PROG, description="CX telemetry: migrate, export, report, erase.")
    p.add_argument("--db-url", help="SQLAlchemy URL (default: $CX_TELEMETRY_DB_URL)")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)
    sub.add_parser("migrate", help="create or upgrade the schema (alembic upgrade head)")
    e = sub.add_parser("export", help="stream rows to CSV, JSONL or Parquet")
    e.add_argument("--what", choices=WHATS, default="responses")
    e.add_argument("--format", choices=FORMATS, default="csv")
    e.add_argument("--since"), e.add_argument("--until"), e.add_argument("--channel")
    e.add_argument("--out", required=True, type=Path)
    r = sub.add_parser("report", help="CSAT, CES, containment, escalation, wait and handle times")
    r.add_argument("--since"), r.add_argument("--until")
    r.add_argument("--by", choices=GROUPINGS)
    r.add_argument("--json", action="store_true", help="print JSON")
    r.add_argument("--html", type=Path, metavar="FILE", help="write a self-contained HTML page")
    f = sub.add_parser("forget", help="erase everything about one customer")
    f.add_argument(
        "--customer",
        required=True,
        metavar="CHANNEL:USER_ID|shop:CUSTOMER_ID",
        help="a chat (telegram:42) or a shop customer with every chat linked to them (shop:C1001)",
    )
    g = sub.add_parser("purge", help="delete telemetry older than the retention period")
    g.add_argument("--older-than", required=True, metavar="AGE", help="e.g. 365d")
    s = sub.add_parser("seed-demo", help="insert synthetic telemetry (marked synthetic)")
    s.add_argument("--conversations", type=int, required=True)
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--days", type=int, default=90)
    sub.add_parser("replay", help="replay the local outbox into the database")
    return p


def _run(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    if args.db_url:
        settings = Settings(
            args.db_url, settings.pseudonym_key, settings.pseudonym_key_file, settings.outbox_dir
        )
    store = TelemetryStore.from_settings(settings)
    out = sys.stdout
    if args.command == "migrate":
        store.migrate()
        print("schema is up to date", file=out)
    elif args.command == "export":
        since, until = parse_when(args.since), parse_when(args.until, end=True)
        n = export(store.engine, args.what, args.format, args.out, since, until, args.channel)
        print(f"exported {n} {args.what} to {args.out}", file=sys.stderr)
    elif args.command == "report":
        since, until = parse_when(args.since), parse_when(args.until, end=True)
        if args.html:
            from cx_telemetry.render import html_page

            period = f"{args.since or 'start'} to {args.until or 'now'}"
            args.html.write_text(
                html_page(aggregate(store.engine, ["week", "channel"], since, until), period),
                encoding="utf-8",
            )
            print(f"wrote {args.html}", file=sys.stderr)
        if args.json or not args.html:
            report = build_report(store.engine, since, until, args.by)
            if args.json:
                json.dump(report, out, indent=2)
                out.write("\n")
            else:
                from cx_telemetry.render import text_table

                out.write(text_table(report))
    elif args.command == "forget":
        kind, _, ident = args.customer.partition(":")
        if not kind or not ident:
            raise UsageError(
                "--customer must look like CHANNEL:USER_ID (telegram:42) or shop:CUSTOMER_ID"
            )
        targets = load_targets(os.environ)
        counts = (
            store.forget_shop_customer(ident, also=targets)
            if kind == SHOP
            else store.forget(args.customer, also=targets)
        )
        print("removed " + " ".join(f"{k}={v}" for k, v in counts.items()), file=out)
    elif args.command == "purge":
        cutoff = datetime.now(timezone.utc) - parse_age(args.older_than)
        counts = store.purge(cutoff, also=load_targets(os.environ))
        print(
            f"removed before {cutoff:%Y-%m-%d}: " + " ".join(f"{k}={v}" for k, v in counts.items()),
            file=out,
        )
    elif args.command == "seed-demo":
        if args.conversations < 0:
            raise UsageError("--conversations must be >= 0")
        counts = store.seed_demo(args.conversations, seed=args.seed, days=args.days)
        print("inserted " + " ".join(f"{k}={v}" for k, v in counts.items()), file=out)
    elif args.command == "replay":
        result = store.replay()
        print(f"applied={result.applied} pending={result.pending} dead={result.dead}", file=out)
        return 0 if result.pending == 0 else 1
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``cx-telemetry`` console script; returns the exit status."""
    args = build_parser().parse_args(argv)
    try:
        return _run(args)
    except UsageError as err:
        print(f"{PROG}: error: {err}", file=sys.stderr)
        return 2
    except TelemetryError as err:
        print(f"{PROG}: error: {err}", file=sys.stderr)
        return 1
    except (SQLAlchemyError, ArgumentError) as err:
        reason = str(getattr(err, "orig", None) or err).strip().splitlines()[0]
        print(f"{PROG}: error: database error: {reason}", file=sys.stderr)
        return 1
    except OSError as err:
        print(f"{PROG}: error: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
