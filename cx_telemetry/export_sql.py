"""The SQL of ``cx-telemetry export``: which columns each export has, and one expression per
row that makes the database format the whole CSV line (quoting in SQL, as the sqlite3 CLI does
in C), so Python moves one string per row and never a value.

Values are shaped for spreadsheets: times as ISO 8601 UTC with milliseconds
(``2026-01-31T09:15:02.123Z``), durations rounded to 0.1 s, and in CSV a free-text cell that
starts like a formula (``= + - @``, tab, CR) gets a leading ``'`` so Excel and Sheets show it as
text instead of running it. JSONL and Parquet carry the text as stored.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Float, Integer, Numeric, String, Text, case, cast, func, literal, select

from cx_telemetry.models import Conversation, Handoff, SurveyResponse


def iso_text(col: Any, dialect: str) -> Any:
    """ISO 8601 UTC text with milliseconds (truncated), e.g. ``2026-01-31T09:15:02.123Z``."""
    if dialect == "sqlite":
        # stored as 'YYYY-MM-DD HH:MM:SS.ffffff' UTC text: slicing is 2x cheaper than strftime
        day, clock = func.substr(col, 1, 10, type_=String), func.substr(col, 12, 12, type_=String)
        return day.concat("T").concat(clock).concat("Z")
    return func.to_char(func.timezone("UTC", col), 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')


# (name, column, kind); kind is one of str, int, float, bool, ts (formatted in SQL), json
Column = tuple[str, Any, str]


def columns(what: str) -> tuple[Any, Any, list[Column]]:
    """Table, its time column (for --since/--until) and the exported columns."""
    s, i, f, j, TS, B = "str", "int", "float", "json", "ts", "bool"
    cols: list[Column]
    if what == "responses":
        r = SurveyResponse
        cols = [("conversation_id", r.conversation_id, s), ("channel", r.channel, s),
                ("metric", r.metric, s), ("score", r.score, i), ("scale_max", r.scale_max, i),
                ("status", r.status, s), ("asked_at", r.asked_at, TS), ("answered_at", r.answered_at, TS),
                ("segment", r.segment, s), ("agent", r.agent, s), ("intent", r.intent, s),
                ("model_version", r.model_version, s), ("comment", r.comment, s),
                ("synthetic", r.synthetic, B)]  # fmt: skip
        return r, r.asked_at, cols
    if what == "conversations":
        c = Conversation
        cols = [("conversation_id", c.id, s), ("channel", c.channel, s), ("customer", c.customer, s),
                ("opened_at", c.opened_at, TS), ("closed_at", c.closed_at, TS), ("outcome", c.outcome, s),
                ("locale", c.locale, s), ("model_version", c.model_version, s),
                ("intents_seen", c.intents_seen, j), ("support_intents", c.support_intents, j),
                ("last_support_intent", c.last_support_intent, s), ("fallback_count", c.fallback_count, i),
                ("customer_turns", c.customer_turns, i), ("bot_turns", c.bot_turns, i),
                ("agent_turns", c.agent_turns, i), ("has_handoff", c.has_handoff, B),
                ("agent", c.agent, s), ("survey_started", c.survey_started, B),
                ("not_surveyed", c.not_surveyed, s), ("recontacted", c.recontacted, B),
                ("synthetic", c.synthetic, B)]  # fmt: skip
        return c, c.opened_at, cols
    h = Handoff
    cols = [("handoff_id", h.id, s), ("conversation_id", h.conversation_id, s), ("channel", h.channel, s),
            ("intent", h.intent, s), ("reason", h.reason, s), ("requested_at", h.requested_at, TS),
            ("claimed_at", h.claimed_at, TS), ("agent", h.agent, s), ("first_reply_at", h.first_reply_at, TS),
            ("resolved_at", h.resolved_at, TS), ("outcome", h.outcome, s), ("wait_s", h.wait_s, f),
            ("first_response_s", h.first_response_s, f), ("handle_s", h.handle_s, f),
            ("synthetic", h.synthetic, B)]  # fmt: skip
    return h, h.requested_at, cols


# hex ids we generate and values the store validates against a fixed list: never need quoting
_PLAIN = {"conversation_id", "handoff_id", "customer", "metric", "status", "segment", "outcome",
          "not_surveyed"}  # fmt: skip
# text typed by people (customers' comments, staff display names): may look like a formula
_FREE_TEXT = {"comment", "agent"}
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
DURATION_DECIMALS = 1


def _rounded(col: Any, dialect: str) -> Any:
    """A duration in seconds rounded to 0.1 s (a float; NULL stays NULL)."""
    if dialect == "sqlite":
        return func.round(col, DURATION_DECIMALS)
    return cast(func.round(cast(col, Numeric), DURATION_DECIMALS), Float)


def _as_text_cell(col: Any) -> Any:
    """``'`` before text that a spreadsheet would read as a formula."""
    return case(
        (func.substr(col, 1, 1).in_(_FORMULA_STARTS), literal("'", String).concat(col)),
        else_=col,
    )


def csv_line(cols: list[Column], dialect: str, guard: bool = True, naive: bool = False) -> Any:
    """One SQL expression producing the whole CSV line of a row, so the database does the
    formatting in C (as the sqlite3 CLI does) and Python only moves one string per row.
    ``printf``/``format`` render NULL as an empty field; free text is always quoted with inner
    quotes doubled (SQLite's ``%w`` does exactly that)."""
    sqlite = dialect == "sqlite"
    template: list[str] = []
    args: list[Any] = []
    for name, col, kind in cols:
        if kind == "ts" and sqlite and naive:  # as stored: 'YYYY-MM-DD HH:MM:SS.ffffff' UTC
            template.append("%s")
            args.append(col)
        elif kind == "ts" and sqlite and not col.expression.nullable:
            # stored as 'YYYY-MM-DD HH:MM:SS.ffffff' UTC: printf cuts the day itself
            template.append("%.10sT%sZ")
            args += [col, func.substr(col, 12, 12, type_=String)]
        elif kind == "ts" and sqlite:  # NULL must stay empty: || makes the whole text NULL
            # slicing is 2x cheaper than strftime
            template.append("%s")
            day, clock = (
                func.substr(col, 1, 10, type_=String),
                func.substr(col, 12, 12, type_=String),
            )
            args.append(day.concat("T").concat(clock).concat("Z"))
        elif kind == "ts":
            template.append("%s")
            args.append(iso_text(col, dialect))
        elif kind == "bool":
            template.append("%s")
            args.append(col if sqlite else cast(col, Integer))  # SQLite stores 0 and 1
        elif kind == "float":
            template.append("%s")
            args.append(_rounded(col, dialect))
        elif kind == "int" or name in _PLAIN:
            template.append("%s")
            args.append(col)
        else:
            text = cast(col, Text) if kind == "json" else col
            text = _as_text_cell(text) if guard and name in _FREE_TEXT else text
            if sqlite:
                template.append('"%w"')
                args.append(func.coalesce(text, ""))
            else:
                template.append('"%s"')
                args.append(func.replace(text, '"', '""'))
    fmt = literal(",".join(template), String)
    return func.printf(fmt, *args) if sqlite else func.format(fmt, *args)


def export_select(
    what: str,
    dialect: str,
    since: datetime | None,
    until: datetime | None,
    channel: str | None,
    csv_lines: bool = False,
    guard: bool = False,
    naive: bool = False,
) -> tuple[Any, list[Column]]:
    """The statement of one export: CSV lines (``csv_lines``) or typed columns, with free text
    defused for spreadsheets when ``guard`` (CSV only) and, with ``naive``, times as SQLite
    stores them (for Parquet, whose reader parses those faster)."""
    table, when, cols = columns(what)
    exprs = []
    for name, col, typ in cols:
        if typ == "ts":
            exprs.append(iso_text(col, dialect).label(name))
        elif typ == "bool":
            exprs.append(cast(col, Integer).label(name))
        elif typ == "json":
            exprs.append(cast(col, Text).label(name))
        elif typ == "float":
            exprs.append(_rounded(col, dialect).label(name))
        elif guard and name in _FREE_TEXT:
            exprs.append(_as_text_cell(col).label(name))
        else:
            exprs.append(col.label(name))
    line = csv_line(cols, dialect, guard, naive)
    stmt = select(line.label("line")) if csv_lines else select(*exprs)
    if since is not None:
        stmt = stmt.where(when >= since)
    if until is not None:
        stmt = stmt.where(when < until)
    if channel is not None:
        stmt = stmt.where(table.channel == channel)
    return stmt, cols  # storage order: a full sequential scan, no sort, flat memory
