"""`DemoShopBackend`: a seeded stand-in for the shop's systems (a SQLite file under `var/`, 20
customers owning 50 orders in every state, seeded by `actions.demo_seed`) so the assistant works
out of the box and tests have known customers and orders."""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from actions.backend import (
    BackendError,
    CancelOutcome,
    Customer,
    DeletionRequest,
    Order,
    OrderStatus,
    Refund,
    RefundStatus,
    ShopBackend,
    normalise_email,
)
from actions.demo_seed import PRICES, create_and_seed
from actions.settings import Settings


def backend_from_settings(settings: Settings) -> ShopBackend:
    """The demo backend on `SHOP_DEMO_DB` (default `var/demo_shop.sqlite3`)."""
    return DemoShopBackend(settings.shop_demo_db)


class DemoShopBackend:
    """Seeded demo customers C1001-C1020 and orders 10001-10050 in a SQLite file, created on
    first use."""

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

    def get_customer(self, customer_id: str) -> Customer | None:
        return self._customer("SELECT * FROM customers WHERE customer_id = ?", customer_id)

    def customer_by_email(self, email: str) -> Customer | None:
        return self._customer("SELECT * FROM customers WHERE email = ?", normalise_email(email))

    def customer_of_order(self, order_id: str) -> Customer | None:
        return self._customer(
            "SELECT c.* FROM orders o JOIN customers c ON c.customer_id = o.customer_id "
            "WHERE o.order_id = ?",
            order_id,
        )

    def orders_of_customer(self, customer_id: str, limit: int | None = None) -> list[Order]:
        with self._connect() as db:
            rows = db.execute(
                "SELECT * FROM orders WHERE customer_id = ? "
                "ORDER BY placed_on DESC, order_id DESC LIMIT ?",
                (customer_id, -1 if limit is None else limit),
            ).fetchall()
        return [_order(row) for row in rows]

    def _customer(self, sql: str, key: str) -> Customer | None:
        with self._connect() as db:
            row = db.execute(sql, (key,)).fetchone()
        return _customer(row) if row else None

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
                    create_and_seed(db, self.today(), self.seed)
            finally:
                db.close()
            self._ready = True


def _day(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _order(row: sqlite3.Row) -> Order:
    items = tuple(json.loads(row["items"]))
    prices = tuple(PRICES.get(name, 0) for name in items)
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


def _customer(row: sqlite3.Row) -> Customer:
    return Customer(
        customer_id=row["customer_id"],
        first_name=row["first_name"],
        email=row["email"],
        phone=row["phone"],
        created_on=date.fromisoformat(row["created_on"]),
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
