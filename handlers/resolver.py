"""Maps each operationId of a spec to a generic handler bound to its registry entry.

TMF operationIds follow one pattern per edition (`listCustomer`, `createProductOrder`; the hub's
`registerListener` and `unregisterListener` in v4, `createHub`, `hubGet` and `hubDelete` in v5;
our `listHub` and v4 `retrieveHub` in both;
listeners `listenToCustomerCreateEvent` in v4, `customerCreateEvent` in v5), so no
per-resource handler is ever written.
"""

from __future__ import annotations

import re
from collections import ChainMap
from collections.abc import Callable
from http import HTTPStatus
from typing import Any

import flask
from connexion.exceptions import ResolverError
from connexion.resolver import Resolution, Resolver

from handlers import idempotency, listener, resources
from handlers.binding import Binding
from handlers.hub import Hub
from settings import Settings
from tmf_apis.registry import Api

_RESOURCE_OPERATION = re.compile(r"^(list|retrieve|create|patch|delete)([A-Z]\w*)$")
# v4 `listenToCustomerCreateEvent`, v5 `customerCreateEvent`: the event type, either way.
_LISTENER_OPERATION = re.compile(r"^(?:listenTo([A-Z]\w*Event)|([a-z]\w*Event))$")
# The hub's operations, by the operationIds of each edition.
_REGISTER = frozenset({"registerListener", "createHub"})
_UNREGISTER = frozenset({"unregisterListener", "hubDelete"})
_RETRIEVE = frozenset({"hubGet", "retrieveHub"})
_LIST = frozenset({"listHub"})


class TmfResolver(Resolver):  # type: ignore[misc]  # connexion has no type information
    def __init__(self, api: Api, bindings: list[Binding], settings: Settings) -> None:
        super().__init__()
        self.api = api
        self.settings = settings
        self.bindings = {b.resource.schema: b for b in bindings}
        self.hub = Hub(api, bindings, settings)

    def resolve(self, operation: Any) -> Resolution:
        resolution = super().resolve(operation)
        # Every POST, whatever serves it (create, task, hub, listener), honours Idempotency-Key;
        # a resource's create also finds what an interrupted request under the key made.
        if operation.method.lower() == "post":
            resolution.function = idempotency.guarded(
                resolution.function, self.settings, self._recovery(operation.operation_id)
            )
        return resolution

    def _recovery(self, operation_id: str) -> idempotency.Recover | None:
        matched = _RESOURCE_OPERATION.match(operation_id)
        if matched is None or matched.group(1) != "create" or operation_id in self.api.operations:
            return None
        binding = self.bindings.get(matched.group(2))
        if binding is None:
            return None

        def recover(tag: str) -> Any:
            return resources.recover_created(binding, tag, flask.request.args.get("fields"))

        return recover

    def resolve_function_from_operation_id(self, operation_id: str) -> Callable[..., Any]:
        hub_operation = self._hub_operation(operation_id)
        if hub_operation is not None:
            return hub_operation
        if operation_id in self.api.operations:
            own = {schema: b.store for schema, b in self.bindings.items()}
            # The API's own stores, then every API's (filled as they are bound, so read at
            # request time: a bill document names products of TMF637).
            server = next(iter(self.bindings.values())).server.stores if self.bindings else {}
            stores = ChainMap(own, server)
            return self.api.operations[operation_id](stores, self.settings)
        listened = _LISTENER_OPERATION.match(operation_id)
        if listened:
            return self._listener(listened.group(1) or listened.group(2), self.api)
        matched = _RESOURCE_OPERATION.match(operation_id)
        if matched and matched.group(2) in self.bindings:
            return _resource_handler(matched.group(1), self.bindings[matched.group(2)])
        raise ResolverError(f"{self.api.tmf}: no handler for operationId {operation_id!r}")

    def _hub_operation(self, operation_id: str) -> Callable[..., Any] | None:
        hub = self.hub
        # connexion passes the parameters a handler's signature names, so each has its own.
        if operation_id in _REGISTER:

            def register_listener(body: dict[str, Any]) -> Any:
                return hub.register(body)

            return register_listener
        if operation_id in _UNREGISTER:

            def unregister_listener(id: str) -> Any:
                return hub.unregister(id)

            return unregister_listener
        if operation_id in _RETRIEVE:

            def retrieve_listener(id: str) -> Any:
                return hub.retrieve(id)

            return retrieve_listener
        if operation_id in _LIST:

            def list_listeners(offset: int = 0, limit: int | None = None) -> Any:
                return hub.listing(offset, limit)

            return list_listeners
        if operation_id == "retrieveHubDelivery":

            def retrieve_hub_delivery(id: str) -> Any:
                return hub.delivery(id)

            return retrieve_hub_delivery
        if operation_id == "replayHubDeadLetters":

            def replay_hub_dead_letters(id: str) -> Any:
                return hub.replay(id)

            return replay_hub_dead_letters
        return None

    @staticmethod
    def _listener(event_type: str, api: Api) -> Callable[..., Any]:
        event_name = event_type[0].lower() + event_type[1:]
        answer = HTTPStatus(api.mapping.listener_answer)

        def listen(body: dict[str, Any]) -> Any:
            return listener.receive_event(event_name, body, answer)

        return listen


def _resource_handler(action: str, binding: Binding) -> Callable[..., Any]:
    # connexion passes the parameters a handler's signature names, so each action has its own.
    if action == "list":

        def list_(
            fields: str | None = None,
            offset: int = 0,
            limit: int | None = None,
            sort: str | None = None,
        ) -> Any:
            return resources.list_resources(binding, fields, offset, limit, sort)

        return list_
    if action == "retrieve":

        def retrieve(id: str, fields: str | None = None, version: str | None = None) -> Any:
            return resources.retrieve_resource(binding, id, fields, version)

        return retrieve
    if action == "create":

        def create(body: dict[str, Any], fields: str | None = None) -> Any:
            return resources.create_resource(binding, body, fields)

        return create
    if action == "patch":

        def patch(id: str, body: Any, fields: str | None = None) -> Any:
            return resources.patch_resource(binding, id, body, fields)

        return patch

    def delete(id: str, version: str | None = None) -> Any:
        return resources.delete_resource(binding, id, version)

    return delete
