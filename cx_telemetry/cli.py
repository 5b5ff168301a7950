"""``cx-telemetry``: the CX lead's command line (migrate, export, report, review, digest,
forget, purge, seed-demo, replay). Bad input ends with one line on stderr and a non-zero exit status;
``cx-telemetry`` alone lists the commands."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import NoReturn

from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from cx_telemetry.cli_input import (
    check_channel,
    database_url,
    output_file,
    parse_age,
    parse_period,
    parse_when,
    require_schema,
)  # fmt: skip
from cx_telemetry.erasure import load_targets
from cx_telemetry.errors import TelemetryError, UsageError
from cx_telemetry.export import FORMATS, WHATS
from cx_telemetry.report import GROUPINGS
from cx_telemetry.settings import Settings
from cx_telemetry.store import TelemetryStore

PROG = "cx-telemetry"
SHOP = "shop"  # --customer shop:<shop customer id>; no channel has this name

__all__ = ["main", "parse_age", "parse_when"]


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog=PROG, description="CX telemetry: reports and exports for CX leads.")
    p.add_argument("--db-url", help="SQLAlchemy URL (default: $CX_TELEMETRY_DB_URL)")
    sub = p.add_subparsers(dest="command", title="commands", metavar="COMMAND",
                           parser_class=_Parser)  # fmt: skip
    sub.add_parser("migrate", help="create or upgrade the schema (alembic upgrade head)")
    e = sub.add_parser("export", help="stream rows to CSV, JSONL or Parquet (+ .meta.json)")
    e.add_argument("--what", choices=WHATS, default="responses")
    e.add_argument("--format", choices=FORMATS, default="csv")
    e.add_argument("--since"), e.add_argument("--until"), e.add_argument("--channel")
    e.add_argument("--out", required=True, type=Path, metavar="FILE")
    e.add_argument("--with-header-comment", action="store_true",
                   help="CSV: start with a '# metric-definitions' line (pandas: comment='#')")  # fmt: skip
    r = sub.add_parser("report", help="CSAT, CES, containment, escalation, wait and handle times")
    r.add_argument("--since"), r.add_argument("--until")
    r.add_argument("--by", choices=GROUPINGS)
    r.add_argument("--json", action="store_true", help="print JSON")
    r.add_argument("--html", type=Path, metavar="FILE", help="write a self-contained HTML page")
    r.add_argument("--exclude-synthetic", action="store_true",
                   help="leave out synthetic (seeded demo) conversations")  # fmt: skip
    v = sub.add_parser("review", help="low-score conversations with their redacted transcripts")
    v.add_argument("--since"), v.add_argument("--until"), v.add_argument("--channel")
    v.add_argument("--intent", help="only this intent (e.g. track_order)")
    v.add_argument("--agent", help='only this agent, as recorded ("Ana (U123)")')
    v.add_argument("--max-csat", type=int, default=2, metavar="N",
                   help="CSAT answers at or below N (default 2)")  # fmt: skip
    v.add_argument("--max-ces", type=int, default=3, metavar="N",
                   help="CES answers at or below N (default 3)")  # fmt: skip
    v.add_argument("--limit", type=int, default=50, metavar="N",
                   help="show the N newest (default 50; 0 = all)")  # fmt: skip
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
    d = sub.add_parser("digest", help="post the week's headline and top complaints to Slack")
    d.add_argument("--slack", required=True, metavar="CHANNEL", help="channel id or #name")
    d.add_argument("--since"), d.add_argument("--until")
    d.add_argument("--exclude-synthetic", action="store_true")
    return p


def _report(store: TelemetryStore, args: argparse.Namespace) -> None:
    from cx_telemetry.report import to_json
    from cx_telemetry.report_comments import low_scores
    from cx_telemetry.report_model import collect
    from cx_telemetry.report_sql import Period

    since, until = parse_period(args.since, args.until)
    if args.html:
        output_file(args.html, "--html")
    require_schema(store.engine)
    period = Period(since, until, args.exclude_synthetic)
    low = low_scores() if args.html else None
    data = collect(store.engine, period, weekly=bool(args.html) or args.by == "week",
                   comments=bool(args.html), low=low)  # fmt: skip
    if args.html:
        from cx_telemetry.report_html import page

        try:
            args.html.write_text(page(data, args.by), encoding="utf-8")
        except OSError as err:
            raise OSError(err.errno, err.strerror, str(args.html)) from err
        print(f"wrote {args.html}", file=sys.stderr)
    if args.json:
        json.dump(to_json(data, args.by), sys.stdout, indent=2)
        sys.stdout.write("\n")
    elif not args.html:
        from cx_telemetry.report_terminal import render

        sys.stdout.write(render(data, args.by))


def _export(store: TelemetryStore, args: argparse.Namespace) -> None:
    from cx_telemetry.export import export

    since, until = parse_period(args.since, args.until)
    out = output_file(args.out)
    require_schema(store.engine)
    check_channel(store.engine, args.channel)
    n = export(store.engine, args.what, args.format, out, since, until, args.channel,
               args.with_header_comment)  # fmt: skip
    print(f"exported {n} {args.what} to {out} (described in {out}.meta.json)", file=sys.stderr)


def _review(store: TelemetryStore, args: argparse.Namespace) -> None:
    from cx_telemetry.review import ReviewFilter, render, reviews

    since, until = parse_period(args.since, args.until)
    if not 1 <= args.max_csat <= 5 or not 1 <= args.max_ces <= 7:
        raise UsageError("--max-csat must be 1 to 5 and --max-ces 1 to 7")
    if args.limit < 0:
        raise UsageError("--limit must be >= 0")
    require_schema(store.engine)
    check_channel(store.engine, args.channel)
    f = ReviewFilter(since, until, args.intent, args.agent, args.channel, args.max_csat,
                     args.max_ces)  # fmt: skip
    sys.stdout.write(render(list(reviews(store.engine, f, args.limit or None)), f))


def _seed(store: TelemetryStore, args: argparse.Namespace) -> None:
    from tqdm import tqdm

    from cx_telemetry.seed import seed_demo

    if args.conversations < 0:
        raise UsageError("--conversations must be >= 0")
    require_schema(store.engine)
    with tqdm(total=args.conversations, unit=" conversations", file=sys.stderr,
              disable=not sys.stderr.isatty()) as bar:  # fmt: skip
        counts = seed_demo(store.engine, args.conversations, seed=args.seed, days=args.days,
                           progress=lambda n: None if bar.update(n) else None)  # fmt: skip
    print("inserted " + " ".join(f"{k}={v}" for k, v in counts.items()) + " (synthetic)")


def _digest(store: TelemetryStore, args: argparse.Namespace) -> None:
    from cx_telemetry.digest_slack import digest_period, post_digest, slack_client
    from cx_telemetry.report_format import day_range

    since, until = digest_period(*parse_period(args.since, args.until))
    channel = args.slack.strip()
    if not channel:
        raise UsageError("--slack needs a channel (an id such as C0123ABC, or #name)")
    client = slack_client()
    require_schema(store.engine)
    posted = post_digest(store.engine, client, channel, since, until, args.exclude_synthetic)
    what = f" with {posted.file_name}" if posted.file_name else " (no data in the period)"
    print(f"posted the digest of {day_range(since, until)} to {channel}{what}")


def _run(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    settings = replace(settings, db_url=database_url(args.db_url or settings.db_url))
    store = TelemetryStore.from_settings(settings)
    if args.command == "migrate":
        store.migrate()
        print("schema is up to date")
    elif args.command == "export":
        _export(store, args)
    elif args.command == "report":
        _report(store, args)
    elif args.command == "review":
        _review(store, args)
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
        print("removed " + " ".join(f"{k}={v}" for k, v in counts.items()))
    elif args.command == "purge":
        now = datetime.now(timezone.utc)
        cutoff = now - parse_age(args.older_than)
        transcripts = now - timedelta(days=settings.transcript_retention_days)
        counts = store.purge(
            cutoff, also=load_targets(os.environ), transcripts_before=max(cutoff, transcripts)
        )
        print(
            f"removed before {cutoff:%Y-%m-%d} (transcripts before {max(cutoff, transcripts):%Y-%m-%d}): "
            + " ".join(f"{k}={v}" for k, v in counts.items())
        )
    elif args.command == "seed-demo":
        _seed(store, args)
    elif args.command == "digest":
        _digest(store, args)
    elif args.command == "replay":
        result = store.replay()
        print(f"applied={result.applied} pending={result.pending} dead={result.dead}")
        return 0 if result.pending == 0 else 1
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``cx-telemetry`` console script; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
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
        where = f"{err.filename}: " if err.filename else ""
        print(f"{PROG}: error: {where}{err.strerror or err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
