"""The counts of `make bench-chaos`: what each customer did (taps, where they got stuck) against
what the fake Telegram sent them and what the telemetry tables hold."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from sqlalchemy import create_engine, text

from benchmarks.chaos_stack import PSEUDONYM_KEY
from benchmarks.chaos_telegram import RecordingTelegram
from bot.messages import ALREADY_ANSWERED, APOLOGY
from contract import sender_id
from cx_telemetry.privacy import pseudonym

# Replies a customer should see once each in this conversation.
ONCE = ("Anything else I can help with?", "Before you go", "How satisfied", "How much do you agree",
        "Thank you for your feedback")  # fmt: skip


@dataclass(frozen=True)
class Expected:
    chat: int
    done: bool
    stuck: str | None  # the step whose answer never came
    tapped: dict[str, int]  # metric -> the score of the first tap
    quiet: bool
    said: tuple[str, ...]  # the customer's typed messages, each one update


@dataclass
class Result:
    completed: int = 0
    ratings_lost: int = 0
    ratings_doubled: int = 0
    ratings_wrong: int = 0
    unanswered: int = 0
    split: int = 0
    lost_timers: int = 0
    replies_twice: int = 0  # informative: a key reply sent twice to one chat
    processed_twice: int = 0  # informative: a typed message the engine ran more than once
    kept_left: int = 0  # of the lost timers: kept messages never replayed
    apologies: int = 0  # informative: "We're having trouble right now" sent (messages kept)
    already: int = 0  # informative: "Already got it" sent (repeated taps)
    conversations: int = 0
    answered: int = 0
    notes: list[str] = field(default_factory=list)
    failed_chats: set[int] = field(default_factory=set)

    def ok(self, customers: int) -> bool:
        bad = (self.ratings_lost, self.ratings_doubled, self.ratings_wrong, self.unanswered,
               self.split, self.lost_timers)  # fmt: skip
        return self.completed == customers and not any(bad)

    def report(self) -> str:
        lines = [
            f"conversations completed   {self.completed}",
            f"ratings lost              {self.ratings_lost}",
            f"ratings doubled           {self.ratings_doubled}",
            f"ratings wrong             {self.ratings_wrong}",
            f"messages unanswered       {self.unanswered}",
            f"split conversations       {self.split}",
            f"lost timers               {self.lost_timers}"
            f"  (kept messages never replayed among them: {self.kept_left})",
            f"(replies sent twice       {self.replies_twice})",
            f"(messages run twice       {self.processed_twice})",
            f"(telemetry: {self.conversations} conversations, {self.answered} ratings answered; "
            f"customers told 'having trouble' {self.apologies} times, "
            f"'Already got it' {self.already} times)",
        ]
        more = [f"... and {len(self.notes) - 20} more"] if len(self.notes) > 20 else []
        return "\n".join(lines + self.notes[:20] + more)


def engine_turns(trackers_url: str) -> Counter[tuple[str, str]]:
    """(sender id, text) of every customer message the engine ran, from Rasa's tracker store."""
    engine = create_engine(trackers_url)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT sender_id, data FROM events WHERE type_name = 'user'"))
        turns = Counter((sender, str(json.loads(data).get("text"))) for sender, data in rows)
    engine.dispose()
    return turns


def count(
    db_url: str, trackers_url: str, customers: list[Expected], tg: RecordingTelegram
) -> Result:
    turns = engine_turns(trackers_url)
    engine = create_engine(db_url)
    now = datetime.now(timezone.utc)
    with engine.connect() as conn:
        convs = conn.execute(text("SELECT id, customer FROM conversations")).all()
        aliases = dict(
            conn.execute(text("SELECT alias_id, conversation_id FROM conversation_aliases")).all()
        )
        answers = conn.execute(
            text("SELECT conversation_id, metric, score FROM survey_responses "
                 "WHERE status = 'answered'")
        ).all()  # fmt: skip
        timers = conn.execute(text("SELECT kind, due_at FROM timers")).all()
    engine.dispose()

    of_customer: dict[str, set[str]] = defaultdict(set)
    for cid, customer in convs:
        of_customer[customer].add(cid)
    answered: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for cid, metric, score in answers:
        answered[aliases.get(cid, cid)].append((metric, score))

    r = Result(conversations=len(convs), answered=len(answers))
    key = PSEUDONYM_KEY.encode()
    for c in customers:
        r.completed += c.done
        mine = of_customer.get(
            pseudonym(key, sender_id("telegram", str(c.chat), str(c.chat))), set()
        )
        if len(mine) > 1:
            r.split += 1
            r.notes.append(f"chat {c.chat}: {len(mine)} conversations")
        got = Counter(m for cid in mine for m, _ in answered.get(cid, []))
        scores = {m: s for cid in mine for m, s in answered.get(cid, [])}
        for metric in ("csat", "ces"):
            tapped = c.tapped.get(metric)
            if tapped is None:
                r.ratings_wrong += got[metric]  # recorded, never given
                continue
            if not got[metric]:
                r.ratings_lost += 1
                r.notes.append(f"chat {c.chat}: {metric}:{tapped} tapped, not recorded")
            elif got[metric] > 1:
                r.ratings_doubled += got[metric] - 1
                r.notes.append(f"chat {c.chat}: {metric} recorded {got[metric]} times")
            elif scores[metric] != tapped:
                r.ratings_wrong += 1
                r.notes.append(
                    f"chat {c.chat}: {metric}:{tapped} tapped, {scores[metric]} recorded"
                )
        if c.stuck == "idle survey":
            r.lost_timers += 1
            r.notes.append(f"chat {c.chat}: went quiet, no idle survey came")
        elif c.stuck is not None:
            r.unanswered += 1
            r.notes.append(f"chat {c.chat}: no answer to the {c.stuck}")
        for said in c.said:
            runs = turns[(sender_id("telegram", str(c.chat), str(c.chat)), said)]
            if runs > 1:
                r.processed_twice += runs - 1
                r.notes.append(f"chat {c.chat}: {said!r} run by the engine {runs} times")
        texts = [str(m.get("text", "")) for m in tg.sent(c.chat)]
        r.replies_twice += sum(max(0, sum(p in t for t in texts) - 1) for p in ONCE)
        r.apologies += sum(APOLOGY in t for t in texts)
        r.failed_chats = {int(n.split()[1].rstrip(":")) for n in r.notes if n.startswith("chat ")}
    r.already += sum(ALREADY_ANSWERED in t for t in texts)
    r.failed_chats = {int(n.split()[1].rstrip(":")) for n in r.notes if n.startswith("chat ")}
    r.already += sum(c.params.get("text") == ALREADY_ANSWERED for c in tg.of("answerCallbackQuery"))
    grace = timedelta(seconds=10)
    for kind, due_at in timers:
        due = due_at if due_at.tzinfo else due_at.replace(tzinfo=timezone.utc)
        if due < now - grace:
            r.lost_timers += 1  # a kept message's replay is a timer too
            if kind.startswith("replay:"):
                r.kept_left += 1
                r.notes.append(
                    f"a kept message due {(now - due).total_seconds():.0f} s ago, not replayed"
                )
            else:
                r.notes.append(
                    f"{kind} timer due {(now - due).total_seconds():.0f} s ago, not fired"
                )
    return r
