"""An edition's attribute paths in filters, sorts, projections and hub queries, as stored."""

from __future__ import annotations

from tmf_apis.editions import IDENTITY, EditionMapping, stored_filter


class Renamed(EditionMapping):
    """An edition that calls v4's `name` `fullName` (and `contact.a` `contact.b`)."""

    def stored_path(self, resource: str, path: str) -> str:
        renames = {"fullName": "name", "contact.b": "contact.a"}
        return renames.get(path, path)


def test_filters_name_the_stored_paths_at_every_depth() -> None:
    where = {
        "$and": [
            {"fullName": {"$in": ["x"]}},
            {"$or": [{"contact.b": {"$gte": 1}}, {"status": "ok"}]},
        ]
    }
    assert stored_filter(Renamed(), "customer", where) == {
        "$and": [
            {"name": {"$in": ["x"]}},
            {"$or": [{"contact.a": {"$gte": 1}}, {"status": "ok"}]},
        ]
    }


def test_a_hub_query_maps_only_the_resources_attributes() -> None:
    selector = {"eventType": "CustomerCreateEvent", "event.customer.fullName": "x"}
    mapped = stored_filter(Renamed(), "customer", selector, "event.customer.")
    assert mapped == {"eventType": "CustomerCreateEvent", "event.customer.name": "x"}


def test_the_identity_edition_leaves_the_filter_as_it_is() -> None:
    where = {"fullName": "x"}
    assert stored_filter(IDENTITY, "customer", where) is where
