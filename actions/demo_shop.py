"""`DemoShopBackend`: a seeded stand-in for the shop's systems (a SQLite file under `var/`, 50
orders in every state) so the assistant works out of the box and tests have known orders."""

from __future__ import annotations

import json
import os
import random
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from actions.backend import (
    BackendError,
    CancelOutcome,
    DeletionRequest,
    Order,
    OrderStatus,
    Refund,
    RefundStatus,
    ShopBackend,
)


def backend_from_env() -> ShopBackend:
    """The demo backend on `SHOP_DEMO_DB` (default `var/demo_shop.sqlite3`)."""
    return DemoShopBackend(Path(os.environ.get("SHOP_DEMO_DB", "var/demo_shop.sqlite3")))


class DemoShopBackend:
    """Seeded demo orders 10001-10050 in a SQLite file, created on first use."""

    FIRST_ORDER = 10001
    ORDER_COUNT = 50

    def __init__(self, path: Path, seed: int = 7) -> None:
        self.path = path
        self.seed = seed
        self._lock = threading.Lock()
        self._ready = False

    def today(self) -> date:
        return datetime.now(timezone.utc).date()

    # --- reads -------------------------------------------------------------
    def get_order(self, order_id: str) -> Order | None:
        with self._connect() as db:
            row = db.execute("SELECT * FROM orders WHERE order_id = ?", (order_id,)).fetchone()
        return _order(row) if row else None

    def get_refund(self, order_id: str) -> Refund | None:
        with self._connect() as db:
            row = db.execute("SELECT * FROM refunds WHERE order_id = ?", (order_id,)).fetchone()
        return _refund(row) if row else None

    # --- writes ------------------------------------------------------------
    def cancel_order(self, order_id: str) -> CancelOutcome:
        with self._connect() as db:
            changed = db.execute(
                "UPDATE orders SET status = 'cancelled', cancelled_on = ? "
                "WHERE order_id = ? AND status = 'processing'",
                (self.today().isoformat(), order_id),
            ).rowcount
            row = db.execute("SELECT * FROM orders WHERE order_id = ?", (order_id,)).fetchone()
        if row is None:
            raise BackendError(f"order {order_id} does not exist")
        return CancelOutcome(cancelled=changed == 1, order=_order(row))

    def request_refund(self, order_id: str, items: tuple[str, ...] = ()) -> Refund:
        """Starts a return for a delivered order: a label is e-mailed, money follows the parcel."""
        today = self.today()
        with self._connect() as db:
            row = db.execute("SELECT * FROM orders WHERE order_id = ?", (order_id,)).fetchone()
            if row is None:
                raise BackendError(f"order {order_id} does not exist")
            order = _order(row)
            db.execute(
                "INSERT OR IGNORE INTO refunds VALUES (?, ?, ?, 'awaiting_return', ?, ?, NULL)",
                (
                    order_id,
                    order.price_of(items or order.items),
                    row["currency"],
                    today.isoformat(),
                    (today + timedelta(days=14)).isoformat(),
                ),
            )
            refund = db.execute("SELECT * FROM refunds WHERE order_id = ?", (order_id,)).fetchone()
        return _refund(refund)

    def request_account_deletion(self, customer_ref: str) -> DeletionRequest:
        """Records the request; the demo shop has no accounts to e-mail, so nothing else."""
        today = self.today()
        with self._connect() as db:
            cursor = db.execute(
                "INSERT INTO deletion_requests (customer_ref, requested_on) VALUES (?, ?)",
                (customer_ref, today.isoformat()),
            )
        return DeletionRequest(reference=f"DEL-{cursor.lastrowid:05d}", requested_on=today)

    # --- storage -------------------------------------------------------------
    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        try:
            self._ensure_seeded()
            db = sqlite3.connect(self.path, timeout=5)
        except (sqlite3.Error, OSError) as exc:
            raise BackendError(f"demo shop database unavailable: {exc}") from exc
        db.row_factory = sqlite3.Row
        try:
            with db:
                yield db
        except sqlite3.Error as exc:
            raise BackendError(f"demo shop query failed: {exc}") from exc
        finally:
            db.close()

    def _ensure_seeded(self) -> None:
        if self._ready:
            return
        with self._lock:
            if self._ready:
                return
            self.path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(self.path, timeout=5)
            try:
                with db:
                    db.executescript(_SCHEMA)
                    if db.execute("SELECT COUNT(*) FROM orders").fetchone()[0] == 0:
                        _seed(db, self.today(), random.Random(self.seed))
            finally:
                db.close()
            self._ready = True


_SCHEMA = """
CREATE TABLE IF NOT EXISTS orders (
    order_id TEXT PRIMARY KEY, status TEXT NOT NULL, placed_on TEXT NOT NULL,
    items TEXT NOT NULL, total_cents INTEGER NOT NULL, currency TEXT NOT NULL,
    payment_method TEXT NOT NULL, carrier TEXT, tracking_number TEXT,
    estimated_delivery TEXT, delivered_on TEXT, cancelled_on TEXT
);
CREATE TABLE IF NOT EXISTS refunds (
    order_id TEXT PRIMARY KEY REFERENCES orders(order_id), amount_cents INTEGER NOT NULL,
    currency TEXT NOT NULL, status TEXT NOT NULL, requested_on TEXT NOT NULL,
    expected_by TEXT, paid_on TEXT
);
CREATE TABLE IF NOT EXISTS deletion_requests (
    id INTEGER PRIMARY KEY AUTOINCREMENT, customer_ref TEXT NOT NULL, requested_on TEXT NOT NULL
);
"""

_PRODUCTS = [
    ("Wireless earbuds", 5990),
    ("Phone case", 1490),
    ("Running shoes", 8900),
    ("Desk lamp", 3450),
    ("Coffee grinder", 4990),
    ("Yoga mat", 2490),
    ("Backpack", 6490),
    ("Water bottle", 1990),
    ("Bluetooth speaker", 7990),
    ("Wool scarf", 2990),
    ("Cast-iron pan", 3990),
    ("Board game", 3490),
]
_PRICES = dict(_PRODUCTS)
_CARRIERS = ["DHL", "UPS", "DPD", "Royal Mail"]
_PAYMENTS = ["Visa", "Mastercard", "PayPal", "Apple Pay", "Klarna"]
# The first five orders are fixed so documentation and tests can name them.
_FIXED_STATES = ["processing", "shipped", "delivered", "cancelled", "refunded"]
_MIX = (
    ["processing"] * 9
    + ["shipped"] * 11
    + ["delivered"] * 13
    + ["cancelled"] * 5
    + ["refunded"] * 7
)


def _seed(db: sqlite3.Connection, today: date, rng: random.Random) -> None:
    states = _FIXED_STATES + rng.sample(_MIX, len(_MIX))
    for offset, status in enumerate(states):
        order_id = str(DemoShopBackend.FIRST_ORDER + offset)
        items = rng.sample(_PRODUCTS, rng.randint(1, 3))
        total = sum(price for _, price in items)
        age = {"processing": 1, "shipped": 3, "delivered": 10, "cancelled": 6, "refunded": 25}[
            status
        ]
        placed = today - timedelta(days=age + rng.randint(0, 2))
        carrier = rng.choice(_CARRIERS) if status in ("shipped", "delivered", "refunded") else None
        tracking = f"{carrier[:2].upper()}{rng.randint(10**9, 10**10 - 1)}" if carrier else None
        estimated = {
            "processing": today + timedelta(days=3),
            "shipped": today + timedelta(days=1),
        }.get(status)
        delivered = placed + timedelta(days=3) if status in ("delivered", "refunded") else None
        cancelled = placed + timedelta(days=1) if status == "cancelled" else None
        db.execute(
            "INSERT INTO orders VALUES (?, ?, ?, ?, ?, 'EUR', ?, ?, ?, ?, ?, ?)",
            (
                order_id,
                status,
                placed.isoformat(),
                json.dumps([name for name, _ in items]),
                total,
                rng.choice(_PAYMENTS),
                carrier,
                tracking,
                _iso(estimated),
                _iso(delivered),
                _iso(cancelled),
            ),
        )
        if status == "refunded":
            paid = today - timedelta(days=rng.randint(1, 5))
            db.execute(
                "INSERT INTO refunds VALUES (?, ?, 'EUR', 'paid', ?, ?, ?)",
                (
                    order_id,
                    total,
                    (paid - timedelta(days=8)).isoformat(),
                    paid.isoformat(),
                    paid.isoformat(),
                ),
            )
        elif status == "delivered" and offset % 4 == 0:
            db.execute(
                "INSERT INTO refunds VALUES (?, ?, 'EUR', 'processing', ?, ?, NULL)",
                (
                    order_id,
                    total,
                    (today - timedelta(days=2)).isoformat(),
                    (today + timedelta(days=5)).isoformat(),
                ),
            )


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _day(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _order(row: sqlite3.Row) -> Order:
    items = tuple(json.loads(row["items"]))
    prices = tuple(_PRICES.get(name, 0) for name in items)
    return Order(
        order_id=row["order_id"],
        status=OrderStatus(row["status"]),
        placed_on=date.fromisoformat(row["placed_on"]),
        items=items,
        item_cents=prices if sum(prices) == row["total_cents"] else (),
        total_cents=row["total_cents"],
        currency=row["currency"],
        payment_method=row["payment_method"],
        carrier=row["carrier"],
        tracking_number=row["tracking_number"],
        estimated_delivery=_day(row["estimated_delivery"]),
        delivered_on=_day(row["delivered_on"]),
        cancelled_on=_day(row["cancelled_on"]),
    )


def _refund(row: sqlite3.Row) -> Refund:
    return Refund(
        order_id=row["order_id"],
        amount_cents=row["amount_cents"],
        currency=row["currency"],
        status=RefundStatus(row["status"]),
        requested_on=date.fromisoformat(row["requested_on"]),
        expected_by=_day(row["expected_by"]),
        paid_on=_day(row["paid_on"]),
    )
