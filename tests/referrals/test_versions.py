"""Ordering versions of one resource by meta.lastUpdated and meta.versionId."""

from datetime import UTC, datetime

import pytest

from smartapp.referrals.facts import Version, version_order

MAY_1, MAY_2 = datetime(2025, 5, 1, tzinfo=UTC), datetime(2025, 5, 2, tzinfo=UTC)


@pytest.mark.parametrize(
    ("new", "old", "order"),
    [
        (Version(MAY_2, "1"), Version(MAY_1, "9"), 1),  # lastUpdated decides
        (Version(MAY_1, "9"), Version(MAY_2, "1"), -1),
        (Version(MAY_1, "3"), Version(MAY_1, "2"), 1),  # a numeric versionId breaks a tie
        (Version(MAY_1, "2"), Version(MAY_1, "2"), 0),
        (Version(None, "10"), Version(None, "9"), 1),  # numerically, not as text
        (Version(None, "W/abc"), Version(None, "W/abc"), 0),
        (Version(MAY_1, ""), Version(MAY_1, ""), 0),
        (Version(MAY_1, ""), Version(), 1),  # anything dated beats a row stored without meta
        (Version(MAY_1, "b"), Version(MAY_1, "a"), None),  # cannot be told: the content decides
        (Version(), Version(MAY_1, "2"), None),
        (Version(), Version(), None),
    ],
)
def test_it_orders_versions_and_admits_when_it_cannot(new, old, order):
    assert version_order(new, old) == order
