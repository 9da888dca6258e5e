"""Money: amounts as Decimal, rounded at one step by one rule, shared by pricing, charging and
billing so that a quote, the charges it becomes and the bill that collects them agree to the cent.

The rule:
1. A price is a unit amount on one basis: tax-excluded (the default) or tax-included (a catalog
   price marked `isTaxIncluded: true`, e.g. a consumer price of 29.99 with VAT).
2. The unit amount is rounded to the currency's minor unit (ISO 4217: 2 digits for EUR, 0 for
   JPY, 3 for KWD), half away from zero, so a credit is the exact negation of an equal charge.
3. The unit's other amount is derived from it, on the unit, once: tax-excluded basis, tax =
   round(net x rate) and gross = net + tax; tax-included basis, net = round(gross / (1 + rate))
   and tax = gross - net. A tax-included price is thus billed exactly as the catalog shows it.
4. A discount reduces the unit amount on the price's basis (a percentage is rounded once, a fixed
   amount is taken as it is, never below zero); the discount's amounts are the difference between
   the discounted unit's amounts (step 3) and the undiscounted unit's.
5. A line, a charge or a credit, is its unit amounts times the item's quantity (a whole number):
   nothing is rounded after step 3.
6. Every total (an item's, an order's, a bill's, a bill's tax per rate) is a sum of lines.
So tax is computed per unit of each line, never on a total, and no total is rounded again.

Amounts are stored as JSON numbers; `number` gives the stored form of a Decimal and `decimal`
reads one back exactly (through its shortest text form, never through binary float arithmetic).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import cache
from typing import Any

from babel.numbers import get_currency_precision

from settings import Settings

ZERO = Decimal(0)
HUNDRED = Decimal(100)
# The kind of rate a plain charge is (TMF678), whose configured tax rate applies to every price
# that names none.
CHARGE = "appliedBillingCharge"
TAX_RATES_SETTING = "TMF_BILLING_TAX_RATES"
# A currency babel does not know (or none given) is taken as having cents.
DEFAULT_DIGITS = 2


@cache
def quantum(currency: str) -> Decimal:
    """The currency's minor unit as a Decimal exponent: Decimal("0.01") for EUR."""
    try:
        digits = get_currency_precision(currency) if currency else DEFAULT_DIGITS
    except Exception:  # babel raises for names it cannot parse; such a unit keeps cents
        digits = DEFAULT_DIGITS
    return Decimal(1).scaleb(-digits)


def rounded(amount: Decimal, currency: str) -> Decimal:
    """`amount` at the currency's minor unit, half away from zero (step 2)."""
    return amount.quantize(quantum(currency), rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Amounts:
    """A tax-excluded and a tax-included amount in one currency."""

    net: Decimal
    gross: Decimal
    currency: str

    @property
    def tax(self) -> Decimal:
        return self.gross - self.net

    def times(self, quantity: int | Decimal) -> Amounts:
        return Amounts(self.net * quantity, self.gross * quantity, self.currency)

    def __add__(self, other: Amounts) -> Amounts:
        return Amounts(self.net + other.net, self.gross + other.gross, self.currency)

    def __sub__(self, other: Amounts) -> Amounts:
        return Amounts(self.net - other.net, self.gross - other.gross, self.currency)

    def __neg__(self) -> Amounts:
        return Amounts(-self.net, -self.gross, self.currency)

    @classmethod
    def zero(cls, currency: str) -> Amounts:
        return cls(ZERO, ZERO, currency)


def unit(amount: Decimal, currency: str, tax_rate: Decimal, tax_included: bool) -> Amounts:
    """A unit price's two amounts (steps 2 and 3) from the one it is given on."""
    given = rounded(amount, currency)
    if tax_included:
        net = rounded(given / (1 + tax_rate / HUNDRED), currency)
        return Amounts(net, given, currency)
    return Amounts(given, given + rounded(given * tax_rate / HUNDRED, currency), currency)


@dataclass(frozen=True)
class Price:
    """A unit price on its basis, with the discounts taken off it so far (step 4)."""

    amount: Decimal  # on its basis, rounded
    currency: str
    tax_rate: Decimal
    tax_included: bool = False
    off: Decimal = ZERO  # taken off `amount` by discounts, on the same basis

    @property
    def full(self) -> Amounts:
        return unit(self.amount, self.currency, self.tax_rate, self.tax_included)

    @property
    def discounted(self) -> Amounts:
        return unit(self.amount - self.off, self.currency, self.tax_rate, self.tax_included)

    @property
    def remaining(self) -> Decimal:
        return self.amount - self.off

    def percentage_off(self, percent: Decimal) -> Decimal:
        """What `percent` % of the unit price is, capped at what is left of it."""
        return min(rounded(self.amount * percent / HUNDRED, self.currency), self.remaining)

    def fixed_off(self, amount: Decimal) -> Decimal:
        return min(max(rounded(amount, self.currency), ZERO), self.remaining)


def discount(price: Price, off: Decimal) -> tuple[Price, Amounts]:
    """`price` with `off` more taken off, and that discount's (negative) unit amounts."""
    reduced = Price(
        price.amount, price.currency, price.tax_rate, price.tax_included, price.off + off
    )
    return reduced, reduced.discounted - price.discounted


def decimal(value: Any) -> Decimal | None:
    """A stored or client-sent JSON number as an exact Decimal; None for anything else."""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        return None
    try:
        found = Decimal(str(value))
    except InvalidOperation:
        return None
    return found if found.is_finite() else None


def number(amount: Decimal) -> float | int:
    """The stored (JSON) form of an amount: a float whose shortest text is the Decimal's."""
    return float(amount)


def money(amount: Decimal, currency: str) -> dict[str, Any]:
    """TMF Money `{unit, value}`."""
    return {"unit": currency, "value": number(amount)}


def percent(value: Any) -> Decimal | None:
    """A percentage (0 to 100) given as a JSON number; None when it is not one."""
    found = decimal(value)
    return found if found is not None and ZERO <= found <= HUNDRED else None


def quantity(value: Any) -> int:
    """A line's quantity: a positive whole number as the order gives it, else 1."""
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 1


def default_tax_rate(settings: Settings | None) -> Decimal:
    """The tax rate of a price that names none: the one configured for charges
    (`TMF_BILLING_TAX_RATES`), applied alike when an order is quoted and when it is charged."""
    configured = (
        settings.billing_tax_rates if settings is not None else Settings().billing_tax_rates
    )
    return percentages(configured, TAX_RATES_SETTING).get(CHARGE, ZERO)


@cache
def percentages(text: str, setting: str) -> Mapping[str, Decimal]:
    """`a=20,b=7.5` as {"a": Decimal("20"), "b": Decimal("7.5")}; raises ValueError naming the
    setting when a pair is malformed or a percentage is outside 0..100."""
    found: dict[str, Decimal] = {}
    for pair in filter(None, (p.strip() for p in text.split(","))):
        name, _, value = pair.rpartition("=")
        try:
            rate = Decimal(value.strip())
        except InvalidOperation:
            rate = Decimal(-1)
        if not name.strip() or not ZERO <= rate <= HUNDRED:
            raise ValueError(f"{setting}: {pair!r} is not name=percent (0 to 100)")
        found[name.strip()] = rate
    return found
