"""What the demo operator sells: its category tree, its product families and their tiers, and
the levers that set prices, statuses and discounts (tmf_apis/tmf620/demo.py loads it)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

CURRENCY = "EUR"
VAT_RATE = 20
VERSION = "1.0"
# One offering in BUNDLE_EVERY is a bundle; a share of the others carries a discount.
BUNDLE_EVERY = 10
DISCOUNT_SHARE = 0.2
# Most of a live catalog is on sale; a few offerings were withdrawn, a few are not launched yet.
STATUSES = ("Launched", "Retired", "In design")
STATUS_WEIGHTS = (88, 7, 5)
# Price factors of a market segment and of a contract term (months; 0 is no commitment).
SEGMENTS = {"": 1.0, "Online": 0.95, "Student": 0.85, "Family": 0.9, "Business": 1.1}
TERMS = {0: 1.0, 12: 0.95, 24: 0.9}
PERCENTAGES = (10, 15, 20, 25, 50)
AMOUNTS_OFF = (2.0, 5.0, 10.0)
SIM_FEE = 4.99
DATA_PER_GB = 2.0
# A device bought on a term pays this share upfront and the rest in monthly instalments.
UPFRONT_SHARE = 0.1
LAUNCHES = datetime(2023, 1, 1, tzinfo=UTC)
WITHDRAWN = datetime(2021, 1, 1, tzinfo=UTC)
PLANNED = datetime(2027, 1, 1, tzinfo=UTC)

CATEGORY_TREE: dict[str, tuple[str, ...]] = {
    "Mobile": ("Postpaid", "Prepaid", "Data-only"),
    "Broadband": ("Fibre", "DSL", "Fixed wireless"),
    "TV": ("Packages", "Add-ons"),
    "Devices": ("Smartphones", "Routers"),
    "Bundles": (),
}
BUNDLES = "Bundles"


@dataclass(frozen=True)
class Tier:
    """One product of a family: its label, its characteristic values and its base price."""

    label: str
    values: tuple[Any, ...]
    price: float


@dataclass(frozen=True)
class Family:
    """Products sold alike, in one leaf category.

    `charging` names their prices: plan (monthly + activation fee), prepaid (monthly pack +
    out-of-bundle data + SIM), addon (monthly), device (one-time, or upfront + monthly
    instalments on a term).
    """

    category: str
    code: str
    brand: str
    charging: str
    # (name, valueType, unit) of each characteristic, in the order of Tier.values.
    characteristics: tuple[tuple[str, str, str], ...]
    tiers: tuple[Tier, ...]
    terms: tuple[int, ...]
    one_time: float
    weight: int


def _tiers(*rows: tuple[str, tuple[Any, ...], float]) -> tuple[Tier, ...]:
    return tuple(Tier(*row) for row in rows)


_MOBILE = (("dataAllowance", "number", "GB"), ("voiceMinutes", "number", "min"))
_LINE = (
    ("downloadSpeed", "number", "Mbps"),
    ("uploadSpeed", "number", "Mbps"),
    ("technology", "string", ""),
)
# A table reads best as rows: the formatter would give every field a line of its own.
FAMILIES = (
    Family(
        "Mobile/Postpaid", "MOB-POST", "Acme Mobile", "plan", _MOBILE,
        _tiers(
            ("Mobile 5GB", (5, 300), 9.99), ("Mobile 20GB", (20, 1000), 14.99),
            ("Mobile 50GB", (50, 3000), 19.99), ("Mobile 100GB", (100, 3000), 24.99),
            ("Mobile Unlimited", (1000, 10000), 34.99),
        ),
        (0, 12, 24), 19.99, 30,
    ),
    Family(
        "Mobile/Prepaid", "MOB-PRE", "Acme Mobile", "prepaid", _MOBILE,
        _tiers(
            ("Prepaid 2GB", (2, 100), 4.99), ("Prepaid 10GB", (10, 500), 9.99),
            ("Prepaid 30GB", (30, 1000), 14.99),
        ),
        (0,), SIM_FEE, 15,
    ),
    Family(
        "Mobile/Data-only", "MOB-DATA", "Acme Mobile", "plan", (_MOBILE[0],),
        _tiers(("Data SIM 10GB", (10,), 7.99), ("Data SIM 50GB", (50,), 12.99),
               ("Data SIM 200GB", (200,), 19.99)),
        (0, 12), 9.99, 8,
    ),
    Family(
        "Broadband/Fibre", "BB-FIB", "Acme Home", "plan", _LINE,
        _tiers(
            ("Fibre 300M", (300, 100, "FTTH"), 24.99), ("Fibre 500M", (500, 200, "FTTH"), 29.99),
            ("Fibre 1G", (1000, 500, "FTTH"), 39.99), ("Fibre 2G", (2000, 1000, "FTTH"), 49.99),
            ("Fibre 8G", (8000, 8000, "XGS-PON"), 69.99),
        ),
        (0, 12, 24), 49.0, 15,
    ),
    Family(
        "Broadband/DSL", "BB-DSL", "Acme Home", "plan", _LINE,
        _tiers(("DSL 16M", (16, 1, "ADSL2+"), 19.99), ("VDSL 50M", (50, 10, "VDSL2"), 24.99),
               ("VDSL 100M", (100, 40, "VDSL2"), 29.99)),
        (0, 12, 24), 39.0, 8,
    ),
    Family(
        "Broadband/Fixed wireless", "BB-FWA", "Acme Home", "plan", _LINE,
        _tiers(("5G Home 100M", (100, 20, "5G FWA"), 24.99),
               ("5G Home 300M", (300, 50, "5G FWA"), 32.99),
               ("5G Home 1G", (1000, 100, "5G FWA"), 44.99)),
        (0, 12, 24), 29.0, 6,
    ),
    Family(
        "TV/Packages", "TV-PKG", "Acme TV", "plan",
        (("channels", "number", ""), ("hdChannels", "number", ""), ("replayDays", "number", "day")),
        _tiers(("TV Start", (50, 20, 7), 9.99), ("TV Plus", (120, 80, 7), 19.99),
               ("TV Max", (200, 150, 30), 29.99)),
        (0, 12, 24), 19.0, 10,
    ),
    Family(
        "TV/Add-ons", "TV-ADD", "Acme TV", "addon", (("channels", "number", ""),),
        _tiers(("Sports pack", (12,), 14.99), ("Movies pack", (8,), 9.99),
               ("Kids pack", (6,), 4.99), ("World pack", (40,), 7.99),
               ("Multiroom", (0,), 5.0)),
        (0,), 0.0, 10,
    ),
    Family(
        "Devices/Smartphones", "DEV-PHN", "Acme Devices", "device",
        (("storage", "number", "GB"), ("colour", "string", "")),
        _tiers(("Nova 12 128GB", (128, "Graphite"), 699.0),
               ("Nova 12 256GB", (256, "Graphite"), 799.0), ("Nova 12 Lite", (128, "Blue"), 399.0),
               ("Orbit S 256GB", (256, "Silver"), 999.0), ("Orbit A5", (64, "Black"), 199.0)),
        (0, 12, 24), 0.0, 12,
    ),
    Family(
        "Devices/Routers", "DEV-RTR", "Acme Devices", "device",
        (("wifiStandard", "string", ""),),
        _tiers(("Wi-Fi 6 router", ("Wi-Fi 6",), 129.0), ("Wi-Fi 7 router", ("Wi-Fi 7",), 219.0),
               ("Mesh extender", ("Wi-Fi 6",), 89.0)),
        (0, 24), 0.0, 6,
    ),
)  # fmt: skip
MIN_OFFERINGS = len(FAMILIES) + 1  # one launched offering per family, and a bundle of them
