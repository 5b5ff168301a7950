"""``cx-telemetry digest --slack CHANNEL``: the week's digest posted to Slack, with the HTML
report uploaded in its thread (``files_upload_v2``).

The only module of ``cx_telemetry`` that talks to Slack (tests/test_architecture.py): a CLI run
by a CX lead or a cron job, with the gateway's bot token (``SLACK_BOT_TOKEN``) and Web API
address (``SLACK_API_BASE_URL``, a fake in tests).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from sqlalchemy import Engine

from cx_telemetry.digest import digest
from cx_telemetry.errors import TelemetryError, UsageError
from cx_telemetry.report_comments import low_scores
from cx_telemetry.report_model import collect
from cx_telemetry.report_sql import Period

DEFAULT_SLACK_API = "https://slack.com/api/"
WEEK = timedelta(days=7)


class DigestNotPosted(TelemetryError):
    """Slack refused the digest or could not be reached."""


@dataclass(frozen=True)
class Posted:
    channel: str
    ts: str
    file_name: str | None  # the HTML report uploaded in the thread; None with no data


def last_week(now: datetime | None = None) -> tuple[datetime, datetime]:
    """The seven whole days (UTC) before today."""
    now = now or datetime.now(timezone.utc)
    until = now.replace(hour=0, minute=0, second=0, microsecond=0)
    return until - WEEK, until


def slack_client(env: Mapping[str, str] | None = None) -> WebClient:
    env = os.environ if env is None else env
    token = env.get("SLACK_BOT_TOKEN")
    if not token:
        raise UsageError("SLACK_BOT_TOKEN is not set: the digest posts as the gateway's Slack app")
    return WebClient(
        token=token,
        base_url=env.get("SLACK_API_BASE_URL") or DEFAULT_SLACK_API,
        retry_handlers=[
            ConnectionErrorRetryHandler(max_retry_count=2),
            RateLimitErrorRetryHandler(max_retry_count=3),
            ServerErrorRetryHandler(max_retry_count=2),
        ],
    )


def post_digest(
    engine: Engine,
    client: WebClient,
    channel: str,
    since: datetime,
    until: datetime,
    exclude_synthetic: bool = False,
) -> Posted:
    """Post the digest of ``[since, until)`` to ``channel`` and upload the HTML report in its
    thread; with no data, only a message saying so."""
    from cx_telemetry.report_html import page

    data = collect(engine, Period(since, until, exclude_synthetic), weekly=True, comments=True,
                   low=low_scores())  # fmt: skip
    message = digest(data)
    try:
        posted = client.chat_postMessage(
            channel=channel, text=message.text, blocks=message.blocks, unfurl_links=False
        )
        ts = str(posted["ts"])
        if not message.has_data:
            return Posted(channel, ts, None)
        name = f"cx-report-{since:%Y-%m-%d}-to-{(until - timedelta(seconds=1)):%Y-%m-%d}.html"
        client.files_upload_v2(
            channel=str(posted.get("channel") or channel),
            thread_ts=ts,
            content=page(data).encode("utf-8"),
            filename=name,
            title=f"CX report {since:%Y-%m-%d} to {until:%Y-%m-%d}",
            initial_comment="The full report (open it in a browser).",
        )
    except SlackApiError as err:
        raise DigestNotPosted(f"Slack refused the digest: {err.response.get('error')}") from err
    except (SlackClientError, OSError) as err:
        raise DigestNotPosted(f"could not reach Slack: {err}") from err
    return Posted(channel, ts, name)


def digest_period(
    since: datetime | None, until: datetime | None, now: datetime | None = None
) -> tuple[datetime, datetime]:
    """``--since``/``--until`` with a week filled in: neither = the last seven whole days;
    one of them = the week starting or ending there."""
    if since is None and until is None:
        return last_week(now)
    if since is None:
        assert until is not None
        return until - WEEK, until
    return since, until or since + WEEK
