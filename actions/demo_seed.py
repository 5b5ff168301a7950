"""The demo shop's schema and seed: 20 customers owning 50 orders in every state.

Orders 10001-10005 and their owners are fixed so the README and the tests can name them; the
rest come from a seeded random generator, so every machine seeds the same shop (dates are
relative to the day it is seeded).
"""

from __future__ import annotations

import json
import random
import sqlite3
from datetime import date, timedelta

FIRST_ORDER = 10001
ORDER_COUNT = 50

SCHEMA = """
CREATE TABLE IF NOT EXISTS customers (
    customer_id TEXT PRIMARY KEY, first_name TEXT NOT NULL, email TEXT NOT NULL UNIQUE,
    phone TEXT, created_on TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS orders (
    order_id TEXT PRIMARY KEY, status TEXT NOT NULL, placed_on TEXT NOT NULL,
    items TEXT NOT NULL, total_cents INTEGER NOT NULL, currency TEXT NOT NULL,
    payment_method TEXT NOT NULL, carrier TEXT, tracking_number TEXT,
    estimated_delivery TEXT, delivered_on TEXT, cancelled_on TEXT,
    customer_id TEXT REFERENCES customers(customer_id)
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
INDEXES = "CREATE INDEX IF NOT EXISTS ix_orders_customer_id ON orders (customer_id);"

# (id, first name, e-mail, phone, customer since); the first five own orders 10001-10005.
CUSTOMERS = [
    ("C1001", "Ana", "ana.lopez@example.com", "+44 7700 900101", "2024-03-14"),
    ("C1002", "Ben", "ben.okafor@example.com", None, "2023-11-02"),
    ("C1003", "Chloe", "chloe.martin@example.com", "+44 7700 900103", "2025-01-20"),
    ("C1004", "Daniel", "daniel.kim@example.com", None, "2024-07-08"),
    ("C1005", "Emma", "emma.schulz@example.com", "+44 7700 900105", "2022-05-30"),
    ("C1006", "Farid", "farid.haddad@example.com", None, "2024-09-12"),
    ("C1007", "Grace", "grace.obi@example.com", "+44 7700 900107", "2023-02-17"),
    ("C1008", "Hiro", "hiro.tanaka@example.com", None, "2025-04-03"),
    ("C1009", "Ines", "ines.ferreira@example.com", None, "2024-12-01"),
    ("C1010", "Jonas", "jonas.berg@example.com", "+44 7700 900110", "2023-06-25"),
    ("C1011", "Kemi", "kemi.adeyemi@example.com", None, "2025-02-14"),
    ("C1012", "Luca", "luca.romano@example.com", None, "2022-10-09"),
    ("C1013", "Maya", "maya.cohen@example.com", "+44 7700 900113", "2024-01-22"),
    ("C1014", "Noah", "noah.williams@example.com", None, "2025-06-30"),
    ("C1015", "Olga", "olga.ivanova@example.com", None, "2023-08-19"),
    ("C1016", "Priya", "priya.shah@example.com", "+44 7700 900116", "2024-05-05"),
    ("C1017", "Quentin", "quentin.dubois@example.com", None, "2022-12-12"),
    ("C1018", "Rosa", "rosa.garcia@example.com", None, "2025-03-08"),
    ("C1019", "Sam", "sam.taylor@example.com", "+44 7700 900119", "2023-04-01"),
    ("C1020", "Tara", "tara.nolan@example.com", None, "2024-10-27"),
]

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
PRICES = dict(_PRODUCTS)
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


def create_and_seed(db: sqlite3.Connection, today: date, seed: int) -> None:
    """Create the tables and seed an empty shop. A shop file from before customers existed
    gains them, and its orders their owners, without changing any order."""
    db.executescript(SCHEMA)
    columns = {row[1] for row in db.execute("PRAGMA table_info(orders)")}
    if "customer_id" not in columns:
        db.execute(
            "ALTER TABLE orders ADD COLUMN customer_id TEXT REFERENCES customers(customer_id)"
        )
    db.executescript(INDEXES)
    if db.execute("SELECT COUNT(*) FROM customers").fetchone()[0] == 0:
        db.executemany("INSERT INTO customers VALUES (?, ?, ?, ?, ?)", CUSTOMERS)
    if db.execute("SELECT COUNT(*) FROM orders").fetchone()[0] == 0:
        _seed_orders(db, today, random.Random(seed))
    _assign_owners(db, random.Random(seed + 1))


def _assign_owners(db: sqlite3.Connection, rng: random.Random) -> None:
    """Orders without an owner get one: 10001-10005 the first five customers, every other
    customer at least one order, the rest drawn at random (so some customers have several)."""
    ids = [c[0] for c in CUSTOMERS]
    owners = ids[:5] + rng.sample(ids[5:], len(ids) - 5)
    owners += [rng.choice(ids) for _ in range(ORDER_COUNT - len(owners))]
    fixed, rest = owners[:5], owners[5:]
    rng.shuffle(rest)
    for offset, owner in enumerate(fixed + rest):
        db.execute(
            "UPDATE orders SET customer_id = ? WHERE order_id = ? AND customer_id IS NULL",
            (owner, str(FIRST_ORDER + offset)),
        )


def _seed_orders(db: sqlite3.Connection, today: date, rng: random.Random) -> None:
    states = _FIXED_STATES + rng.sample(_MIX, len(_MIX))
    for offset, status in enumerate(states):
        order_id = str(FIRST_ORDER + offset)
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
            "INSERT INTO orders VALUES (?, ?, ?, ?, ?, 'EUR', ?, ?, ?, ?, ?, ?, NULL)",
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
