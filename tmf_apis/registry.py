"""The registry contract: plain data describing each TMF API and its resources.

The generic handlers serve every resource from its entry here; what an API does differently
lives in its `Rules`. An operationId in a spec names its action and resource by TMF convention
(`listCustomer`, `patchProductOffering`); the resolver reads it that way.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tmf_apis.editions import IDENTITY, EditionMapping
from tmf_apis.rules import Reaction, Rules

if TYPE_CHECKING:
    from persistence.store import ResourceStore
    from settings import Settings
    from tmf_apis.schema import ResourceSchema

# What a role may do, as an API declares it: role -> resource path (`*` for every resource of
# the API, hub and listener included) -> actions. handlers/access.py gathers every API's.
READ, CREATE, UPDATE, DELETE = "read", "create", "update", "delete"
ALL = frozenset({READ, CREATE, UPDATE, DELETE})
ANY = "*"
Grants = Mapping[str, Mapping[str, frozenset[str]]]

# Starts an API's background work (given the server's stores and the API's schemas by resource
# schema name, the settings, and every API's reactions to domain events by event name); returns
# the function that stops it.
Background = Callable[
    [
        "Mapping[str, ResourceStore]",
        "Mapping[str, ResourceSchema]",
        "Settings",
        "Mapping[str, Sequence[Reaction]]",
    ],
    Callable[[], None],
]
# Makes the handler of an operation an API adds beyond the generic ones (given the API's stores
# by resource schema name, and the settings); connexion passes it the operation's parameters.
Operation = Callable[["Mapping[str, ResourceStore]", "Settings"], Callable[..., Any]]


@dataclass(frozen=True)
class Resource:
    """One TMF resource, e.g. Customer at `/customer`."""

    # The schema name, which is also the default `@type` (e.g. "Customer").
    schema: str
    # The path segment (e.g. "customer"); also the key of the resource in event payloads.
    path: str
    # The MongoDB collection; shared by every version of the API.
    collection: str
    # Attributes only the server sets: a client's value is replaced on create, refused on patch.
    server_owned: tuple[str, ...] = ("id", "href")
    # Attributes indexed for filtering and sorting, beyond the unique `id`.
    indexes: tuple[str, ...] = ()
    # Attributes an earlier version indexed and nothing reads now: their indexes are dropped at
    # start-up, as each costs every write.
    retired_indexes: tuple[str, ...] = ()
    rules: Rules = field(default_factory=Rules)
    # Entities with several versions under one id (persistence/versions.py): a POST naming an
    # existing `id` adds a version, and GET and DELETE take `?version=`.
    versioned: bool = False
    # Where the resource records the parties it belongs to (tmf_apis/scope.py): a channel or
    # partner touches only its own party's. None: it belongs to no party (the catalog), and is
    # read whole by those the grants let read it.
    party: str | None = None
    # Kinds of event (e.g. "Create", "StateChange") emitted beyond those the API's spec declares
    # as `<Resource><Kind>Event` schemas, for an API whose v4 file declares none (TMF678).
    extra_events: tuple[str, ...] = ()
    # The schema of the first edition's resource whose store, and so whose stored documents and
    # events, this one serves, when a later edition renamed the resource (TMF620 v5's
    # ProductCatalog at /productCatalog is v4's Catalog); None: its own schema.
    stored_as: str | None = None


@dataclass(frozen=True)
class Api:
    """One edition (version) of one TMF API, served from the spec file `spec` in `specs/`.

    The editions of an API share its `tmf`, `name`, resources and stored documents; each has
    its own spec and `mapping` to the stored shape (tmf_apis/editions.py). An API package
    declares its editions as `dataclasses.replace` of its first one."""

    tmf: str  # e.g. "TMF629"
    name: str  # the base path segment, e.g. "customerManagement"
    title: str
    version: str  # e.g. "v4"
    spec: str
    resources: tuple[Resource, ...]
    background: Background | None = None
    # Handlers of operations the generic ones do not cover, by operationId.
    operations: Mapping[str, Operation] = field(default_factory=dict, hash=False, compare=False)
    # What it does when another API publishes a domain event (tmf_apis/domain.py), by name.
    reactions: Mapping[str, Reaction] = field(default_factory=dict, hash=False, compare=False)
    # Other API names the edition's official file gives its root (TMF629 5.0.1: `customer`).
    aliases: tuple[str, ...] = ()
    # Who may do what with it, besides the operator's admin (who may do everything).
    grants: Grants = field(default_factory=dict, hash=False, compare=False)
    # Between the stored documents and this edition's wire shape; v4's is the identity.
    mapping: EditionMapping = field(default=IDENTITY, hash=False, compare=False)
    # The official TM Forum files of this edition (../shared/tmf-specs): the first is the one
    # its spec is generated from (specs/tools/derive.py); conformance runs against each.
    official: tuple[str, ...] = ()
    # Its official conformance kit (a folder of ../shared/tmf-ctk), if TM Forum ships one.
    ctk: str | None = None

    @property
    def base_path(self) -> str:
        return f"/tmf-api/{self.name}/{self.version}"

    @property
    def base_paths(self) -> tuple[str, ...]:
        """Every root the edition is served at: its own, then those its official file names
        (`aliases`), which answer the same (links point at the own root)."""
        return (self.base_path, *(f"/tmf-api/{a}/{self.version}" for a in self.aliases))

    @property
    def descriptions(self) -> str:
        """Our wording for its spec, in specs/tools/descriptions/."""
        return f"{self.tmf}-{self.version}.yaml"

    def resource(self, schema: str) -> Resource | None:
        return next((r for r in self.resources if r.schema == schema), None)
