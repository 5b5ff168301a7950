"""Chaos run (``make bench-chaos``): N Telegram customers, 30 at a time, through two gateways,
while the engine and a gateway are killed (SIGKILL) and the database goes away for 20 s.

Real processes on 127.0.0.1: the trained engine (trackers in a SQLite file), the action server,
two ``python -m bot`` gateways, a fake Telegram Bot API (``tests/bot/fakes.py``) in this
process, and the project's tables in a PostgreSQL database of its own, dropped at the end.
Each customer asks a question, says bye and taps CSAT then CES; every update is delivered twice
(to both gateways, as Telegram retries), some customers tap twice, and some go quiet after the
answer so the idle timer must bring them the survey. Telegram retries a delivery until a
gateway answers 200. At the end, from what the fake Telegram was sent and from the telemetry
tables, it prints: conversations completed, ratings lost / doubled / wrong, messages
unanswered, split conversations and lost timers; it exits 1 unless all of them are as they
should be (completed = N, the rest 0).

    python benchmarks/bench_chaos.py --customers 200 --concurrency 30
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import random
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.chaos_count import Expected, count  # noqa: E402
from benchmarks.chaos_stack import TG_SECRET, ChaosDatabase, Stack  # noqa: E402
from benchmarks.chaos_telegram import RecordingTelegram  # noqa: E402
from cx_telemetry.outbox import Outbox  # noqa: E402

QUESTIONS = [
    "what payment methods do you accept?",
    "which payment methods can I use?",
    "can I pay with paypal?",
]
ANSWERED = "Anything else I can help with?"
FAREWELL = "Thank you for your feedback"
HDR = {"X-Telegram-Bot-Api-Secret-Token": TG_SECRET}


@dataclass
class Customer:
    chat: int
    quiet: bool  # goes silent after the answer: the idle timer must bring the survey
    double_tap: bool
    csat: int
    ces: int
    done: bool = False
    stuck: str | None = None  # the step whose answer never came
    tapped: dict[str, int] = field(default_factory=dict)
    did: list[tuple[float, str]] = field(default_factory=list)  # what the customer sent, when


class Telegram:
    """Delivers updates as Telegram does: retried until a gateway answers 200, and (here)
    every one delivered twice, to both gateways."""

    def __init__(self, stack: Stack, tg: RecordingTelegram, deadline: float) -> None:
        self.stack = stack
        self.tg = tg
        self.deadline = deadline
        self.ids = itertools.count(1)
        self.client = httpx.AsyncClient(timeout=15, limits=httpx.Limits(max_connections=200))
        self.refused = 0  # non-200 answers and connection errors, each retried

    async def _post(self, update: dict[str, object], first: int) -> bool:
        urls = self.stack.gateway_urls()
        for attempt in itertools.count():
            url = urls[(first + attempt) % len(urls)]
            try:
                r = await self.client.post(f"{url}/webhooks/telegram", json=update, headers=HDR)
                if r.status_code == 200:
                    return True
            except httpx.HTTPError:
                pass
            self.refused += 1
            if time.monotonic() > self.deadline:
                return False
            await asyncio.sleep(min(0.5 * (attempt + 1), 3))
        return False

    async def deliver(self, c: Customer, update: dict[str, object]) -> None:
        """Returns once one gateway accepted it; the duplicate goes on in the background."""
        said = update.get("message") or update.get("callback_query")
        c.did.append((time.monotonic(), str(said.get("text") or said.get("data"))))  # type: ignore[union-attr]
        first = random.randrange(2)
        await self._post(update, first)
        asyncio.get_running_loop().create_task(self._later(update, first + 1))

    async def _later(self, update: dict[str, object], first: int) -> None:
        await asyncio.sleep(random.uniform(0, 0.5))
        await self._post(update, first)

    def text(self, chat: int, text: str) -> dict[str, object]:
        n = next(self.ids)
        return {"update_id": n, "message": {
            "message_id": n, "date": int(time.time()), "text": text,
            "chat": {"id": chat, "type": "private"},
            "from": {"id": chat, "is_bot": False, "first_name": "Chaos", "language_code": "en"}}}  # fmt: skip

    def tap(self, chat: int, message: dict[str, object], data: str) -> dict[str, object]:
        n = next(self.ids)
        sender = {"id": chat, "is_bot": False, "first_name": "Chaos", "language_code": "en"}
        return {"update_id": n, "callback_query": {
            "id": f"cb{n}", "from": sender, "chat_instance": str(chat), "data": data,
            "message": {**message, "from": {"id": 999, "is_bot": True, "first_name": "Shop"}}}}  # fmt: skip


async def converse(c: Customer, telegram: Telegram, tg: RecordingTelegram, step_s: float) -> None:
    async def wait(what: str, seen: int, test: object) -> dict[str, object] | None:
        found = await tg.wait_for(c.chat, seen, test, step_s)  # type: ignore[arg-type]
        if found is None:
            c.stuck = what
        return found

    def keyboard(prefix: str) -> object:
        return lambda m: any(d.startswith(prefix) for d in RecordingTelegram.payloads(m))

    seen = tg.count(c.chat)
    await telegram.deliver(c, telegram.text(c.chat, random.choice(QUESTIONS)))
    if await wait("question", seen, lambda m: ANSWERED in str(m.get("text", ""))) is None:
        return
    seen = tg.count(c.chat)
    if not c.quiet:
        await telegram.deliver(c, telegram.text(c.chat, "no, that's all, bye"))
    question = await wait("idle survey" if c.quiet else "bye", seen, keyboard("csat:"))
    for metric, score, follows in (("csat", c.csat, "ces:"), ("ces", c.ces, None)):
        if question is None:
            return
        seen = tg.count(c.chat)
        await telegram.deliver(c, telegram.tap(c.chat, question, f"{metric}:{score}"))
        c.tapped[metric] = score
        if c.double_tap:  # a second tap on the same question, after the first was accepted
            other = score - 1 if metric == "csat" else score
            await telegram.deliver(c, telegram.tap(c.chat, question, f"{metric}:{other}"))
        if follows is not None:
            question = await wait(f"{metric} tap", seen, keyboard(follows))
    if await wait("ces tap", seen, lambda m: FAREWELL in str(m.get("text", ""))) is not None:
        c.done = True


async def chaos(stack: Stack, db: ChaosDatabase, t0: float, at: dict[str, float],
                inflight: Callable[[], int], outage_s: float) -> None:  # fmt: skip
    def note(what: str) -> None:
        print(f"{time.monotonic() - t0:6.1f} s  {what} ({inflight()} customers mid-conversation)",
              flush=True)  # fmt: skip

    loop = asyncio.get_running_loop()

    async def at_time(event: str) -> None:
        await asyncio.sleep(max(0.0, t0 + at[event] - time.monotonic()))

    async def outage() -> None:
        await at_time("outage")
        await loop.run_in_executor(None, db.outage, True)
        note(f"database {db.name}: connections refused and cut")
        await asyncio.sleep(outage_s)
        await loop.run_in_executor(None, db.outage, False)
        note("database back")

    async def engine() -> None:
        await at_time("engine")
        stack.kill_engine()
        note("engine SIGKILLed; restarting it")
        stack.start_engine(wait=False)
        await loop.run_in_executor(None, stack.engine_up)
        note("engine ready again")

    async def gateway() -> None:
        await at_time("gateway")
        stack.kill_gateway("gw-a")
        note("gateway gw-a SIGKILLed")
        await asyncio.sleep(2)
        await loop.run_in_executor(None, stack.start_gateway, "gw-a")
        note("gateway gw-a restarted")

    await asyncio.gather(outage(), engine(), gateway())


async def settle(stack: Stack, seconds: float) -> None:
    """Wait until no gateway holds accepted updates, kept messages or outbox entries."""
    deadline = time.monotonic() + seconds
    async with httpx.AsyncClient(timeout=5) as client:
        while time.monotonic() < deadline:
            busy = 0
            for url in stack.gateway_urls():
                try:
                    h = (await client.get(f"{url}/health")).json()
                    busy += (h["inbox"]["waiting"] or 0) + (h["kept_messages"] or 0)
                    busy += h["telemetry_outbox"]["pending"] + h["timer_outbox"]["pending"]
                except (httpx.HTTPError, ValueError, KeyError, TypeError):
                    busy += 1
            busy += Outbox(stack.work / "outbox-actions").pending_count()
            if not busy:
                return
            await asyncio.sleep(1)


async def run(args: argparse.Namespace, work: Path) -> int:
    t_start = time.monotonic()
    deadline = t_start + args.time_limit - 30  # leave time to count and clean up
    tg = await RecordingTelegram().start()
    db = ChaosDatabase(args.admin_url)
    db.create()
    stack = Stack(work, db.url, tg.base_url, args.idle_seconds)
    try:
        stack.migrate()
        stack.start_actions()
        stack.start_engine()
        for name in ("gw-a", "gw-b"):
            stack.start_gateway(name)
        print(f"stack up in {time.monotonic() - t_start:.0f} s (database {db.name}, logs {work})")
        rng = random.Random(args.seed)
        customers = [
            Customer(chat=700_000 + i, quiet=i % 10 == 3, double_tap=i % 4 == 1,
                     csat=rng.randint(3, 5), ces=rng.randint(4, 7))
            for i in range(args.customers)
        ]  # fmt: skip
        ramp = max(90.0, 0.6 * args.customers)
        at = {"outage": 0.1 * ramp, "engine": 0.4 * ramp, "gateway": 0.7 * ramp}
        telegram = Telegram(stack, tg, deadline)
        slots = asyncio.Semaphore(args.concurrency)
        t0 = time.monotonic()
        active: set[int] = set()

        async def one(i: int, c: Customer) -> None:
            await asyncio.sleep(i * ramp / max(1, args.customers))
            async with slots:
                step = max(5.0, min(args.step_seconds, deadline - time.monotonic()))
                active.add(c.chat)
                try:
                    await converse(c, telegram, tg, step)
                finally:
                    active.discard(c.chat)

        breaker = asyncio.create_task(
            chaos(stack, db, t0, at, lambda: len(active), args.outage_seconds)
        )
        await asyncio.wait_for(
            asyncio.gather(*(one(i, c) for i, c in enumerate(customers))),
            timeout=max(1.0, deadline - time.monotonic()),
        )
        await breaker
        load_s = time.monotonic() - t0
        await settle(stack, min(args.idle_seconds + 20, max(0.0, deadline - time.monotonic())))
        await asyncio.sleep(1)
        expected = [
            Expected(c.chat, c.done, c.stuck, c.tapped, c.quiet,
                     tuple(said for _, said in c.did if ":" not in said))
            for c in customers
        ]  # fmt: skip
        result = await asyncio.get_running_loop().run_in_executor(
            None, count, db.url, stack.env["TRACKER_STORE_URL"], expected, tg
        )
        await telegram.client.aclose()
        print(f"{args.customers} customers, {args.concurrency} at a time, load {load_s:.0f} s, "
              f"{telegram.refused} deliveries refused and retried")  # fmt: skip
        print(result.report())
        failed = [c for c in customers if c.chat in result.failed_chats]
        if failed:
            with (work / "failed-customers.txt").open("w") as out:
                for c in failed:
                    out.write(f"chat {c.chat}\n{tg.transcript(c.chat, c.did, t0)}\n\n")
            print(f"what the {len(failed)} failed customers saw: {work / 'failed-customers.txt'}")
        return 0 if result.ok(args.customers) else 1
    finally:
        stack.stop()
        await tg.stop()
        if args.keep_db:
            db.outage(False)
            print(f"database {db.name} kept: {db.url}")
        else:
            db.drop()
            print(f"database {db.name} dropped")
        print(f"total {time.monotonic() - t_start:.0f} s")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--customers", type=int, default=200)
    p.add_argument("--concurrency", type=int, default=30)
    p.add_argument("--time-limit", type=float, default=600, help="seconds for the whole run")
    p.add_argument("--outage-seconds", type=float, default=20)
    p.add_argument("--idle-seconds", type=float, default=30, help="idle timeout of the survey")
    p.add_argument("--step-seconds", type=float, default=180, help="longest wait for a reply")
    p.add_argument("--seed", type=int, default=12)
    p.add_argument("--admin-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres",
                   help="a PostgreSQL login that may create and drop databases")  # fmt: skip
    p.add_argument("--keep-logs", action="store_true")
    p.add_argument("--keep-db", action="store_true", help="leave the database for a look")
    args = p.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-chaos-"))
    code = 1
    try:
        code = asyncio.run(asyncio.wait_for(run(args, work), timeout=args.time_limit))
    except asyncio.TimeoutError:
        print(f"time limit of {args.time_limit:.0f} s reached")
    finally:
        if code == 0 and not args.keep_logs:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"logs kept in {work}")
    return code


if __name__ == "__main__":
    sys.exit(main())
