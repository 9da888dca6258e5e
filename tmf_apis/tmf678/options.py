"""Billing's configuration: tax rates by kind of charge, partners' revenue shares, payment terms.

Read from the server settings (`TMF_BILLING_TAX_RATES`, `TMF_SETTLEMENT_SHARES`,
`TMF_BILL_PAYMENT_DAYS`); the text forms are `name=percent` pairs separated by commas.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache

from settings import Settings
from tmf_apis import money, parties

CHARGE = money.CHARGE
CREDIT = "appliedBillingCredit"
PENALTY = "appliedPenaltyCharge"
# What the operator owes a channel partner for what it sold; on the partner's settlement bill.
REVENUE_SHARE = "partnerRevenueShare"
RATE_TYPES = (CHARGE, CREDIT, PENALTY, REVENUE_SHARE)
# Where TMF678 v4 is served (registry.py); bill documents are linked under it.
API_BASE = "/tmf-api/customerBillManagement/v4"


@dataclass(frozen=True)
class BillingOptions:
    # Percent, by rate type; a charge whose catalog price names its own tax rate keeps that one.
    tax_rates: Mapping[str, Decimal] = field(default_factory=dict)
    # Percent of what a partner sold that is its share: by `partner:<party id>`, then by
    # `offering:<offering id>`, then `default`.
    shares: Mapping[str, Decimal] = field(default_factory=dict)
    payment_days: int = 14
    # The base of the bill documents' URLs: TMF_PUBLIC_URL's when set, else path-absolute
    # (resolved against the address the client uses).
    document_base: str = API_BASE

    def tax_rate(self, rate_type: str) -> Decimal:
        return self.tax_rates.get(rate_type, Decimal(0))

    def share(self, partner_id: str, offering_id: str | None) -> Decimal:
        for key in (f"partner:{partner_id}", f"offering:{offering_id}", "default"):
            if key in self.shares:
                return self.shares[key]
        return Decimal(0)

    @classmethod
    def from_settings(cls, settings: Settings | None) -> BillingOptions:
        """The options the settings give (parsed once per settings); ValueError names a
        malformed setting, which stops the server at start (bill_runs.start_bill_runner)."""
        return _from_settings(settings or Settings())


@cache
def _from_settings(settings: Settings) -> BillingOptions:
    return BillingOptions(
        tax_rates=money.percentages(settings.billing_tax_rates, money.TAX_RATES_SETTING),
        shares=money.percentages(settings.settlement_shares, parties.SHARES_SETTING),
        payment_days=settings.bill_payment_days,
        document_base=settings.public_url.rstrip("/") + API_BASE,
    )
