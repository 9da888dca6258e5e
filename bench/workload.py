"""What the operations ask for: customer bodies, patches, order bodies, the seeded ids and parties
to draw, the demo catalog's categories whose launched offerings are listed, its offerings that
orders take up, and the customers whose orders are listed."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

# Customers per engaged party: more than a page of 20, so every filtered list page is full and
# the store also counts the matches, as a TMF list does for X-Total-Count.
CUSTOMERS_PER_PARTY = 25
PAGE_SIZE = 20
# The offerings operation lists the offerings on sale in a category.
LISTED_STATUS = "Launched"
# The orders operation lists a customer's orders at work: where the server's validation takes a
# valid order.
LISTED_ORDER_STATE = "inProgress"
# Items of an order, and units of an item: an order takes one to three offerings, one or two each.
ORDER_ITEMS = (1, 3)
ORDER_QUANTITY = (1, 2)
_CHANNELS = (("web", "Online shop"), ("app", "Mobile app"), ("shop", "Retail store"))

# Statuses with rough real-world weights: most customers are approved and active.
STATUSES = ("Approved", "Validated", "Initialized", "Suspended", "Closed")
STATUS_WEIGHTS = (60, 15, 10, 10, 5)
_FIRST = (
    "Ana",
    "Ben",
    "Chloé",
    "Dmitri",
    "Eva",
    "Farid",
    "Grace",
    "Hiro",
    "Inès",
    "Jonas",
    "Kofi",
    "Lena",
    "Mateo",
    "Nadia",
    "Omar",
    "Priya",
    "Quentin",
    "Rosa",
    "Sven",
    "Tariq",
)
_LAST = (
    "Almeida",
    "Bauer",
    "Costa",
    "Dubois",
    "Eriksen",
    "Fischer",
    "García",
    "Hansen",
    "Ivanova",
    "Jensen",
    "Kowalski",
    "López",
    "Müller",
    "Nakamura",
    "Okafor",
    "Petrov",
    "Rossi",
    "Silva",
)
_COMPANY = ("Logistics", "Retail", "Foods", "Telecom", "Energy", "Health", "Media", "Systems")
_CITIES = (
    ("Lisbon", "1100-148", "PT"),
    ("Lyon", "69002", "FR"),
    ("Hamburg", "20095", "DE"),
    ("Kraków", "31-008", "PL"),
    ("Osaka", "530-0001", "JP"),
    ("Lagos", "101233", "NG"),
)
_ROLES = ("contact", "billingContact", "accountManager", "technicalContact")
_EPOCH = datetime(2018, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Workload:
    """What requests pick from: the seeded customers' ids and engaged parties, the demo catalog's
    category ids and orderable offerings (`{id, name}` references), and the customers with
    seeded orders."""

    ids: list[str]
    parties: list[str]
    categories: list[str] = field(default_factory=list)
    offerings: list[dict[str, str]] = field(default_factory=list)
    orderers: list[str] = field(default_factory=list)


def party_id(number: int) -> str:
    return f"party-{number:06d}"


def party_ref(number: int) -> dict[str, Any]:
    # Every fourth party is a business; the rest are people.
    business = number % 4 == 0
    return {
        "id": party_id(number),
        "name": f"{_LAST[number % len(_LAST)]} {_COMPANY[number % len(_COMPANY)]}"
        if business
        else f"{_FIRST[number % len(_FIRST)]} {_LAST[number // len(_FIRST) % len(_LAST)]}",
        "@referredType": "Organization" if business else "Individual",
    }


def customer_body(rng: random.Random, party: int) -> dict[str, Any]:
    """A realistic `POST /customer` body, dates written with offsets as clients send them."""
    engaged = party_ref(party)
    since = _EPOCH + timedelta(minutes=rng.randrange(3_000_000))
    city, post_code, country = rng.choice(_CITIES)
    handle = f"{engaged['name'].split()[0].lower()}.{rng.randrange(100_000)}"
    contact: list[dict[str, Any]] = [
        {
            "mediumType": "email",
            "preferred": True,
            "characteristic": {"contactType": "work", "emailAddress": f"{handle}@example.com"},
        },
        {
            "mediumType": "phone",
            "preferred": False,
            "characteristic": {
                "contactType": "mobile",
                "phoneNumber": f"+351 9{rng.randrange(10**8):08d}",
            },
        },
    ]
    if rng.random() < 0.5:
        contact.append(
            {
                "mediumType": "postalAddress",
                "characteristic": {
                    "street1": f"{rng.randrange(1, 300)} Rua {rng.choice(_LAST)}",
                    "city": city,
                    "postCode": post_code,
                    "country": country,
                },
                "validFor": {"startDateTime": since.astimezone(_offset(rng)).isoformat()},
            }
        )
    related = [
        {
            "id": f"individual-{rng.randrange(1_000_000):07d}",
            "name": f"{rng.choice(_FIRST)} {rng.choice(_LAST)}",
            "role": rng.choice(_ROLES),
            "@referredType": "Individual",
        }
        for _ in range(rng.randrange(1, 4))
    ]
    body: dict[str, Any] = {
        "name": f"{engaged['name']} #{rng.randrange(1, 10_000)}",
        "status": rng.choices(STATUSES, STATUS_WEIGHTS)[0],
        "engagedParty": engaged,
        "relatedParty": related,
        "contactMedium": contact,
        "account": [
            {
                "id": f"account-{rng.randrange(10**7):07d}",
                "name": "Billing account",
                "@referredType": "BillingAccount",
            }
        ],
        "validFor": {"startDateTime": since.astimezone(_offset(rng)).isoformat()},
    }
    return body


def patch_body(rng: random.Random) -> dict[str, Any]:
    """A merge patch changing what a CRM changes most: status, and now and then the name."""
    patch: dict[str, Any] = {"status": rng.choices(STATUSES, STATUS_WEIGHTS)[0]}
    if rng.random() < 0.5:
        patch["name"] = f"{rng.choice(_FIRST)} {rng.choice(_LAST)} #{rng.randrange(1, 10_000)}"
    return patch


def order_body(
    rng: random.Random, offerings: list[dict[str, str]], customer_id: str
) -> dict[str, Any]:
    """A realistic `POST /productOrder` body: a customer adds one to three offerings; no prices,
    so the server prices the order from the catalog."""
    chosen = rng.sample(offerings, min(len(offerings), rng.randint(*ORDER_ITEMS)))
    channel_id, channel_name = rng.choice(_CHANNELS)
    return {
        "externalId": f"{channel_id}-{rng.randrange(10**8):08d}",
        "category": "consumer",
        "priority": "2",
        "channel": [{"id": channel_id, "name": channel_name, "role": "sales channel"}],
        "productOrderItem": [
            {
                "id": str(number),
                "action": "add",
                "quantity": rng.randint(*ORDER_QUANTITY),
                "productOffering": {"id": offering["id"], "name": offering["name"]},
            }
            for number, offering in enumerate(chosen, start=1)
        ],
        "relatedParty": [{"id": customer_id, "role": "Customer", "@referredType": "Customer"}],
    }


def _offset(rng: random.Random) -> timezone:
    return timezone(timedelta(hours=rng.choice((-5, 0, 1, 2, 9))))
