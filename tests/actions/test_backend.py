from __future__ import annotations

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
