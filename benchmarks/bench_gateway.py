"""Gateway overhead benchmark (``make bench-gateway``).

N concurrent simulated Telegram customers send messages through the gateway (webhook ->
engine -> ``sendMessage`` at a fake Telegram API); the same messages go straight to the
engine's REST webhook in the same run. Prints throughput and p50/p95 latency of both and the
overhead ratios. Goal: gateway p50 <= 1.10 x engine p50, throughput >= 0.90 x engine.

Uses a real engine at ``RASA_URL`` when one answers, else a fake engine with a fixed delay.

    python benchmarks/bench_gateway.py --customers 20 --messages 10 [--delay 0.15]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import socket
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.bot.fakes import FakeRasa, FakeTelegram  # noqa: E402

SECRET = "bench-secret"
MESSAGES = ["where is my order?", "how long does delivery take?", "I want to cancel my order", "hi"]


class WaitingTelegram(FakeTelegram):
    """Fake Bot API that wakes the simulated customer when their reply arrives."""

    def __init__(self) -> None:
        super().__init__()
        self.arrived: dict[int, asyncio.Queue[float]] = {}

    async def handle(self, request: Any) -> Any:
        response = await super().handle(request)
        call = self.calls[-1]
        if call.method == "sendMessage":
            self.arrived.setdefault(int(call.params["chat_id"]), asyncio.Queue()).put_nowait(
                call.at
            )
        return response


@dataclass
class Result:
    name: str
    latencies: list[float]
    elapsed: float

    @property
    def throughput(self) -> float:
        return len(self.latencies) / self.elapsed

    def pct(self, q: float) -> float:
        data = sorted(self.latencies)
        return data[min(len(data) - 1, int(q * len(data)))]

    def line(self) -> str:
        return (f"{self.name:<8} n={len(self.latencies):<5} {self.throughput:8.1f} msg/s   "
                f"p50 {self.pct(0.5) * 1000:7.1f} ms   p95 {self.pct(0.95) * 1000:7.1f} ms")  # fmt: skip


async def direct(rasa_url: str, customers: int, messages: int) -> Result:
    latencies: list[float] = []
    run = os.urandom(3).hex()
    async with httpx.AsyncClient(
        timeout=60, limits=httpx.Limits(max_connections=customers * 2)
    ) as client:

        async def customer(i: int) -> None:
            for m in range(messages):
                body = {"sender": f"bench-direct-{run}-{i}", "message": MESSAGES[m % len(MESSAGES)]}
                t0 = time.perf_counter()
                r = await client.post(f"{rasa_url}/webhooks/rest/webhook", json=body)
                r.raise_for_status()
                latencies.append(time.perf_counter() - t0)

        t0 = time.perf_counter()
        await asyncio.gather(*(customer(i) for i in range(customers)))
    return Result("engine", latencies, time.perf_counter() - t0)


async def through_gateway(
    gateway_url: str, tg: WaitingTelegram, customers: int, messages: int
) -> Result:
    latencies: list[float] = []
    ids = itertools.count(int(time.time()) * 1000)
    base_chat = 10_000_000 + int.from_bytes(os.urandom(2), "big") * 1000
    async with httpx.AsyncClient(
        timeout=60, limits=httpx.Limits(max_connections=customers * 2)
    ) as client:

        async def customer(i: int) -> None:
            chat = base_chat + i
            queue = tg.arrived.setdefault(chat, asyncio.Queue())
            for m in range(messages):
                update = {"update_id": next(ids), "message": {
                    "message_id": next(ids), "date": int(time.time()), "text": MESSAGES[m % len(MESSAGES)],
                    "chat": {"id": chat, "type": "private"},
                    "from": {"id": chat, "is_bot": False, "first_name": "Bench"}}}  # fmt: skip
                t0 = time.perf_counter()
                r = await client.post(f"{gateway_url}/webhooks/telegram", json=update,
                                      headers={"X-Telegram-Bot-Api-Secret-Token": SECRET})  # fmt: skip
                r.raise_for_status()
                arrived = await asyncio.wait_for(queue.get(), timeout=60)
                latencies.append(arrived - t0)
                await asyncio.sleep(0.05)  # let multi-message replies land before the next turn
                while not queue.empty():
                    queue.get_nowait()

        t0 = time.perf_counter()
        await asyncio.gather(*(customer(i) for i in range(customers)))
    elapsed = time.perf_counter() - t0 - 0.05 * messages  # the settle pauses are not gateway time
    return Result("gateway", latencies, elapsed)


async def start_gateway(
    rasa_url: str, tg: WaitingTelegram
) -> tuple[str, asyncio.subprocess.Process]:
    """``python -m bot`` in its own process, as deployed (not sharing the load generator's CPU)."""
    tmp = Path(tempfile.mkdtemp(prefix="bench-gw-"))
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {
        **os.environ,
        "RASA_URL": rasa_url,
        "TELEGRAM_BOT_TOKEN": "1:bench",
        "TELEGRAM_WEBHOOK_SECRET": SECRET,
        "TELEGRAM_API_BASE_URL": tg.base_url,
        "TELEGRAM_MODE": "webhook",
        "SLACK_BOT_TOKEN": "",
        "SLACK_APP_TOKEN": "",
        "GATEWAY_HOST": "127.0.0.1",
        "GATEWAY_PORT": str(port),
        "CX_TELEMETRY_DB_URL": f"sqlite:///{tmp / 'telemetry.sqlite3'}",
        "CX_PSEUDONYM_KEY": "bench-pseudonym-key",
        "CX_TELEMETRY_OUTBOX": str(tmp / "outbox"),
        "CX_IDLE_TIMEOUT_SECONDS": "900",
    }
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", env=env, cwd=str(ROOT), stdout=asyncio.subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{port}"
    async with httpx.AsyncClient() as client:
        for _ in range(300):
            if proc.returncode is not None:
                raise SystemExit("the gateway exited during start-up")
            try:
                if (await client.get(url + "/healthz")).status_code == 200:
                    return url, proc
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.1)
    proc.terminate()
    raise SystemExit("the gateway did not start within 30 s")


def _cpu_seconds(pid: int) -> float:
    """User+system CPU of a process (Linux); -1 elsewhere."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return -1.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--customers", type=int, default=20)
    p.add_argument("--messages", type=int, default=10)
    p.add_argument("--delay", type=float, default=0.15, help="fake engine delay (s)")
    p.add_argument(
        "--engine-workers",
        type=int,
        default=0,
        help="fake engine: messages processed at once (0 = unlimited; 1-2 models one Rasa process)",
    )
    args = p.parse_args()

    rasa_url = (os.environ.get("RASA_URL") or "http://localhost:5005").rstrip("/")
    fake: FakeRasa | None = None
    async with httpx.AsyncClient() as c:
        try:
            real = (await c.get(rasa_url + "/", timeout=2)).status_code == 200
        except httpx.HTTPError:
            real = False
    if real:
        print(f"engine: REAL Rasa at {rasa_url}")
    else:
        fake = await FakeRasa(delay=args.delay, workers=args.engine_workers).start()
        rasa_url = fake.url
        print(
            f"engine: FAKE (no engine at RASA_URL), fixed delay {args.delay * 1000:.0f} ms, "
            f"{args.engine_workers or 'unlimited'} worker(s)"
        )

    tg = await WaitingTelegram().start()
    gateway_url, proc = await start_gateway(rasa_url, tg)
    print(f"{args.customers} concurrent customers x {args.messages} messages")
    try:
        await direct(rasa_url, 2, 2)  # warm-up (model caches, connections)
        engine = await direct(rasa_url, args.customers, args.messages)
        cpu0 = _cpu_seconds(proc.pid)
        gateway = await through_gateway(gateway_url, tg, args.customers, args.messages)
        cpu = _cpu_seconds(proc.pid) - cpu0
        if cpu >= 0:
            print(f"gateway process CPU: {cpu / len(gateway.latencies) * 1000:.1f} ms per message")
    finally:
        proc.terminate()
        await proc.wait()
        await tg.stop()
        if fake is not None:
            await fake.stop()
    print(engine.line())
    print(gateway.line())
    p50 = gateway.pct(0.5) / engine.pct(0.5)
    thr = gateway.throughput / engine.throughput
    print(f"overhead: p50 x{p50:.3f} (goal <= 1.10), throughput {thr:.1%} of engine (goal >= 90%)")
    ok = p50 <= 1.10 and thr >= 0.90
    print("GOAL MET" if ok else "GOAL NOT MET")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
