"""TMF676 Payment Management, v4: payments received on accounts and refunds of them.

A payment is applied to the bills of its account (payments.py, ledger.py), what no bill takes is
a credit its account's next bills use (credit.py), a refund takes money back (refunds.py), and
the account's balances follow (balances.py). Every effect is recorded before it is carried out
and is idempotent, so a sweeper finishes what a stopped process left (sweeper.py).
docs/payments.md has the design.
"""
