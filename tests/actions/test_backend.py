from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from actions.backend import BackendError, OrderStatus, normalise_order_id
from actions.demo_shop import DemoShopBackend


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("10234", "10234"),
        ("#10234", "10234"),
        ("ORD-10234", "10234"),
        ("order 10234", "10234"),
        ("ord-10234.", "10234"),
        ("1023", None),
        ("102345", None),
        ("09999", None),
        ("abc", None),
    ],
)
def test_order_numbers_are_normalised(text: str, expected: str | None) -> None:
    assert normalise_order_id(text) == expected


def test_demo_shop_has_fifty_orders_in_every_state(tmp_path: Path) -> None:
    shop = DemoShopBackend(tmp_path / "shop.sqlite3")
    orders = [shop.get_order(str(n)) for n in range(10001, 10051)]
    assert all(orders)
    assert {o.status for o in orders if o} == set(OrderStatus)
    assert shop.get_order("10051") is None
    assert [shop.get_order(str(n)).status.value for n in range(10001, 10006)] == [  # type: ignore[union-attr]
        "processing",
        "shipped",
        "delivered",
        "cancelled",
        "refunded",
    ]


def test_only_an_unshipped_order_can_be_cancelled(tmp_path: Path) -> None:
    shop = DemoShopBackend(tmp_path / "shop.sqlite3")
    assert shop.cancel_order("10001").cancelled
    assert shop.get_order("10001").status is OrderStatus.CANCELLED  # type: ignore[union-attr]
    outcome = shop.cancel_order("10002")
    assert not outcome.cancelled and outcome.order.status is OrderStatus.SHIPPED


def test_an_unreachable_shop_raises_backend_error(tmp_path: Path) -> None:
    shop = DemoShopBackend(tmp_path)  # a directory, not a database file
    with pytest.raises(BackendError):
        shop.get_order("10001")


DEMO_CUSTOMERS = {
    "10001": ("C1001", "Ana", "ana.lopez@example.com"),
    "10002": ("C1002", "Ben", "ben.okafor@example.com"),
    "10003": ("C1003", "Chloe", "chloe.martin@example.com"),
    "10004": ("C1004", "Daniel", "daniel.kim@example.com"),
    "10005": ("C1005", "Emma", "emma.schulz@example.com"),
}


def test_the_first_five_orders_belong_to_the_readme_customers(tmp_path: Path) -> None:
    shop = DemoShopBackend(tmp_path / "shop.sqlite3")
    for order_id, (customer_id, name, email) in DEMO_CUSTOMERS.items():
        owner = shop.customer_of_order(order_id)
        assert owner is not None
        assert (owner.customer_id, owner.first_name, owner.email) == (customer_id, name, email)
    assert shop.customer_of_order("10051") is None


def test_twenty_customers_own_the_fifty_orders(tmp_path: Path) -> None:
    shop = DemoShopBackend(tmp_path / "shop.sqlite3")
    customers = [shop.get_customer(f"C{n}") for n in range(1001, 1021)]
    assert all(customers) and shop.get_customer("C1021") is None
    owned = [o.order_id for c in customers if c for o in shop.orders_of_customer(c.customer_id)]
    assert sorted(owned) == [str(n) for n in range(10001, 10051)]  # each order exactly once
    assert all(shop.orders_of_customer(c.customer_id) for c in customers if c)
    assert any(c.phone for c in customers if c) and any(c.phone is None for c in customers if c)
    assert {c.created_on.year for c in customers if c} <= {2022, 2023, 2024, 2025}


def test_a_customers_orders_come_newest_first(tmp_path: Path) -> None:
    shop = DemoShopBackend(tmp_path / "shop.sqlite3")
    orders = shop.orders_of_customer("C1013")
    assert len(orders) > 2
    assert [o.placed_on for o in orders] == sorted((o.placed_on for o in orders), reverse=True)
    assert shop.orders_of_customer("C1013", limit=2) == orders[:2]
    assert shop.orders_of_customer("C9999") == []


def test_customers_are_found_by_email_whatever_its_case(tmp_path: Path) -> None:
    shop = DemoShopBackend(tmp_path / "shop.sqlite3")
    assert shop.customer_by_email("  Ana.Lopez@Example.COM ") == shop.get_customer("C1001")
    assert shop.customer_by_email("nobody@example.com") is None


def test_a_shop_file_from_before_customers_gains_them_and_keeps_its_orders(tmp_path: Path) -> None:
    path = tmp_path / "shop.sqlite3"
    db = sqlite3.connect(path)
    with db:  # the schema the demo shop had before customers
        db.executescript(
            "CREATE TABLE orders (order_id TEXT PRIMARY KEY, status TEXT NOT NULL,"
            " placed_on TEXT NOT NULL, items TEXT NOT NULL, total_cents INTEGER NOT NULL,"
            " currency TEXT NOT NULL, payment_method TEXT NOT NULL, carrier TEXT,"
            " tracking_number TEXT, estimated_delivery TEXT, delivered_on TEXT, cancelled_on TEXT);"
            "CREATE TABLE refunds (order_id TEXT PRIMARY KEY, amount_cents INTEGER NOT NULL,"
            " currency TEXT NOT NULL, status TEXT NOT NULL, requested_on TEXT NOT NULL,"
            " expected_by TEXT, paid_on TEXT);"
            "INSERT INTO orders VALUES ('10001', 'shipped', '2026-11-20', '[\"Yoga mat\"]', 2490,"
            " 'EUR', 'Visa', 'DHL', 'DH1', NULL, NULL, NULL);"
        )
    db.close()
    shop = DemoShopBackend(path)
    order = shop.get_order("10001")
    assert order is not None and order.status is OrderStatus.SHIPPED  # kept as it was
    assert shop.customer_of_order("10001") == shop.get_customer("C1001")
    assert shop.get_order("10002") is None  # an existing shop is not re-seeded
