"""The generic TMF630 operations, written once for every resource of every API.

connexion has validated parameters and bodies against the spec before these run; what is left is
the TMF behaviour the spec cannot express (filters, selection, paging headers, patch semantics).
"""

from __future__ import annotations

import uuid
from http import HTTPStatus
from typing import Any
from urllib.parse import urlencode

import flask

import errors
from handlers import access, conditions, idempotency, patching, problems
from handlers.auth import principal
from handlers.binding import Binding
from handlers.responses import empty_response, json_response, server_url, with_href
from persistence import query
from persistence.documents import INTERNAL_PREFIX, public
from persistence.errors import Conflict as StaleWrite
from persistence.errors import NotFound as MissingEntity
from persistence.idempotency import IDEMPOTENCY_TAG
from persistence.store import REVISION, Document, ListQuery
from tmf_apis import scope
from tmf_apis.rules import RuleContext

# Query parameters with a meaning of their own; every other one is an attribute filter.
PAGING_AND_SELECTION = frozenset({"fields", "offset", "limit", "sort"})
# TMF630 options this server does not offer (JSONPath filters, expansion of references).
NOT_OFFERED = frozenset({"filter", "expand", "depth"})
# A concurrent change between read and write of a PATCH is retried this many times (never a
# PATCH with If-Match: the state it named is gone, 412).
PATCH_ATTEMPTS = 3


def list_resources(
    binding: Binding,
    fields: str | None = None,
    offset: int = 0,
    limit: int | None = None,
    sort: str | None = None,
) -> flask.Response:
    filters = []
    for key, value in flask.request.args.items(multi=True):
        if key in NOT_OFFERED:
            raise errors.NotImplementedFeature(f"the {key!r} query option is not supported")
        if key not in PAGING_AND_SELECTION:
            filters.append((key, value))
    types = binding.schema.field_types
    where = binding.stored_filter(query.build_filter(filters, types))
    scope = _scope(binding, access.READ)
    hidden = binding.api.mapping.hidden.get(binding.resource.path)
    if hidden is not None:
        where = _and(where, hidden.excluded())
    projection = binding.projection(fields)
    if fields is None:
        projection.pop(REVISION)  # whole documents are shown by revision (Binding.rendered)
    page = binding.store.find(
        ListQuery(
            # The scope is combined with the client's filters, never replaced by them.
            filter={"$and": [where, scope]} if scope else where,
            sort=binding.stored_sort(query.build_sort(sort or "", binding.schema.attribute_paths)),
            projection=projection,
            offset=offset,
            # The spec caps `limit`; without one, the same maximum bounds the response.
            limit=binding.settings.max_page_size if limit is None else limit,
        )
    )
    collection_url = binding.collection_url(server_url(binding.settings.public_url))
    items = (
        [binding.shown(item, collection_url) for item in page.items]
        if fields is not None
        else [
            binding.rendered(item, collection_url, revision)
            for item, revision in zip(page.items, page.revisions, strict=True)
        ]
    )
    complete = offset == 0 and len(items) == page.total
    headers = {"X-Total-Count": str(page.total), "X-Result-Count": str(len(items))}
    status = HTTPStatus.OK if complete else HTTPStatus.PARTIAL_CONTENT
    return json_response(items, status, headers)


def retrieve_resource(
    binding: Binding, id: str, fields: str | None = None, version: str | None = None
) -> flask.Response:
    projection = binding.projection(fields)
    revision: int | None = None  # of a whole document, shown by revision (Binding.rendered)
    if binding.versions is not None:
        _check_scope(binding, id, access.READ)
        document, tag = _version_and_tag(binding, id, version, projection)
    else:
        # One query: another party's resource is as unknown as a missing one, and so is one
        # this edition cannot show.
        within = _scope(binding, access.READ)
        hidden = binding.api.mapping.hidden.get(binding.resource.path)
        if hidden is not None:
            within = {"$and": [within, hidden.excluded()]} if within else hidden.excluded()
        document, revision = binding.store.get_with_revision(id, projection, within)
        tag = conditions.etag(revision)
    if conditions.not_modified(tag):
        response = empty_response(HTTPStatus.NOT_MODIFIED)
        response.headers["ETag"] = tag
        return response
    collection_url = binding.collection_url(server_url(binding.settings.public_url))
    shown = (
        binding.shown(document, collection_url)
        if fields is not None
        else binding.rendered(document, collection_url, revision)
    )
    return json_response(shown, headers={"ETag": tag})


def _version_and_tag(
    binding: Binding, resource_id: str, version: str | None, projection: dict[str, int] | None
) -> tuple[dict[str, Any], str]:
    """A version of a versioned entity (the latest one by default) and its ETag."""
    assert binding.versions is not None
    current = binding.versions.current
    # The tag names the version, which a `fields` selection may leave out: read it all the same.
    selected = projection is not None and any(v for k, v in projection.items() if k != "_id")
    unselected = selected and projection is not None and "version" not in projection
    read = {**projection, "version": 1} if unselected and projection is not None else projection
    try:
        within = {} if version is None else {"version": version}
        document, revision = current.get_with_revision(resource_id, read, within)
        tag = conditions.etag(revision, document.get("version"), versioned=True)
    except MissingEntity:
        if version is None:
            raise
        # Not the latest version: an archived one, which keeps no revision.
        tag = conditions.archived_etag(binding.versions.get(resource_id, version))
        document = binding.versions.get(resource_id, version, read)
    if unselected:
        document.pop("version", None)
    return document, tag


def create_resource(
    binding: Binding, body: dict[str, Any], fields: str | None = None
) -> flask.Response:
    binding.projection(fields)  # refuses unknown names before anything is written
    if binding.versions is not None and "id" in body:
        return _create_version(binding, body)
    resource = binding.resource
    context = binding.rule_context()
    stored = binding.stored(_tagged(binding, body))
    document = _new_document(binding, str(uuid.uuid4()), stored, context)
    collection_url = binding.collection_url(server_url(binding.settings.public_url))
    # Never store what the edition could not show (v5 request schemas let a reference leave
    # out the id its resource schema requires).
    _check_schema(binding, binding.shown(document, collection_url), "created", shape_only=True)
    _check_stored_shape(binding, document, collection_url, "created")
    settled = resource.rules.settle(document, context)
    key_tag = idempotency.current_tag()

    def tagged(written: Document) -> Document:
        # Tagged in the same write, so that a retry after a crash finds it (recover_created).
        return {**written, IDEMPOTENCY_TAG: key_tag} if key_tag else written

    binding.store.insert(tagged(document), then=tagged(settled) if settled else None)
    resource.rules.after_create(settled or document, context)
    shown = binding.shown(document, collection_url)
    # The tag of what is shown, the first revision (a settled document is at its second).
    tag = conditions.etag(1, document.get("version"), versioned=binding.versions is not None)
    headers = {"Location": shown["href"], "ETag": tag}
    return json_response(binding.select(shown, fields), HTTPStatus.CREATED, headers)


def recover_created(binding: Binding, tag: str, fields: str | None) -> flask.Response | None:
    """The answer a create would have given, for the resource an interrupted request made under
    this idempotency tag; None when it made none. The resource is shown as it is now (its
    after-create work, an order's validation, may have moved it on)."""
    found = binding.store.find_one({IDEMPOTENCY_TAG: tag})
    if found is None:
        return None
    binding.resource.rules.resume_create(found, binding.rule_context())
    document, revision = binding.store.get_with_revision(found["id"])
    shown = binding.shown(document, binding.collection_url(server_url(binding.settings.public_url)))
    etag = conditions.etag(
        revision, document.get("version"), versioned=binding.versions is not None
    )
    headers = {"Location": shown["href"], "ETag": etag}
    return json_response(binding.select(shown, fields), HTTPStatus.CREATED, headers)


def _create_version(binding: Binding, body: dict[str, Any]) -> flask.Response:
    """TMF630 part 4: a POST naming an existing entity's `id` adds a version of it."""
    assert binding.versions is not None
    resource_id, version = body["id"], body.get("version")
    noun = binding.resource.schema
    if not isinstance(resource_id, str) or not isinstance(version, str) or not version:
        raise errors.BadRequest(
            f"a new version of a {noun} names the existing id (a string) and a new version; "
            "leave id out to create a new entity",
            reason="Invalid version",
        )
    document = _new_document(binding, resource_id, binding.stored(body), binding.rule_context())
    try:
        binding.versions.add(document)
    except MissingEntity:
        raise errors.BadRequest(
            f"no {noun} with id {resource_id!r} to add a version to; leave id out to "
            "create a new one",
            reason="Unknown id",
        ) from None
    # Body and tag from one read of the version as stored (the latest's revision is not known
    # here: adding it replaced the previous latest).
    document, tag = _version_and_tag(binding, resource_id, version, None)
    collection_url = binding.collection_url(server_url(binding.settings.public_url))
    shown = binding.shown(document, collection_url)
    location = f"{shown['href']}?{urlencode({'version': version})}"
    return json_response(shown, HTTPStatus.CREATED, {"Location": location, "ETag": tag})


def _new_document(
    binding: Binding, resource_id: str, body: dict[str, Any], context: RuleContext
) -> dict[str, Any]:
    resource = binding.resource
    _refuse_internal_names(body)
    # Server-owned attributes are the server's to set: a client's values are replaced, not refused.
    document: dict[str, Any] = {"id": resource_id}
    document.update((k, v) for k, v in body.items() if k not in resource.server_owned)
    resource.rules.on_create(document, context)
    document.setdefault("@type", resource.schema)
    binding.store.prepare(document)
    return document


def patch_resource(
    binding: Binding, id: str, body: Any, fields: str | None = None
) -> flask.Response:
    binding.projection(fields)  # refuses unknown names before anything is read
    media_type = flask.request.mimetype
    collection_url = binding.collection_url(server_url(binding.settings.public_url))
    rules = binding.resource.rules
    _check_scope(binding, id, access.UPDATE)
    condition = conditions.if_match()
    versioned = binding.versions is not None
    for attempt in range(1, PATCH_ATTEMPTS + 1):
        context = binding.rule_context()
        before, revision = binding.store.get_for_update(id)
        _check_shown(binding, before)
        tag = conditions.etag(revision, before.get("version"), versioned)
        conditions.require(condition, tag)
        # Applied to what this edition shows, so every patch format names the edition's paths.
        mapping, path = binding.api.mapping, binding.resource.path
        wire = mapping.to_wire(path, before)
        after = mapping.patched(path, patching.apply(wire, body, media_type), before)
        _check_stays_in_scope(binding, before, after)
        _check_frozen(binding, before, after, f"{collection_url}/{id}")
        # Every representation states its type, so removing `@type` restores the default.
        after.setdefault("@type", before.get("@type", binding.resource.schema))
        rules.on_patch(before, after, context)
        if binding.versions is not None:
            binding.versions.check_version_change(id, before.get("version"), after.get("version"))
        binding.store.prepare(after)
        _check_schema(binding, binding.shown(after, collection_url))
        _check_stored_shape(binding, after, collection_url, "patched")
        try:
            # Guarded by the revision read: If-Match's check and the write are one step.
            binding.store.replace(before, revision, after)
            break
        except StaleWrite:
            if condition is not None:
                raise conditions.lost_race(tag) from None
            if attempt == PATCH_ATTEMPTS:
                raise
    rules.after_patch(before, after, context)
    headers = {"ETag": conditions.etag(revision + 1, after.get("version"), versioned)}
    return json_response(
        binding.select(binding.shown(after, collection_url), fields), headers=headers
    )


def delete_resource(binding: Binding, id: str, version: str | None = None) -> flask.Response:
    _check_scope(binding, id, access.DELETE)
    context = binding.rule_context()
    condition = conditions.if_match()
    if binding.versions is not None:
        if condition is not None:
            # Checked before the write (not in one step with it, as for other resources): the
            # versions of an entity span two collections.
            conditions.require(condition, _version_and_tag(binding, id, version, None)[1])
        # Other versions stay; references by plain id move on to the next latest one, and
        # only the last version's removal is a removal of the entity.
        if version is not None and binding.versions.versions(id) != [version]:
            binding.versions.delete(id, version)
            return empty_response(HTTPStatus.NO_CONTENT)
    elif condition is not None:
        return _delete_at_revision(binding, id, condition, context)
    document = binding.store.get(id)
    _check_shown(binding, document)
    binding.resource.rules.on_delete(document, context)
    if binding.versions is not None:
        binding.versions.delete(id)
    else:
        binding.store.delete(id)
    binding.resource.rules.after_delete(document, context)
    return empty_response(HTTPStatus.NO_CONTENT)


def _delete_at_revision(
    binding: Binding, resource_id: str, condition: conditions.Condition, context: RuleContext
) -> flask.Response:
    """DELETE with If-Match: the revision checked is the one deleted, or 412."""
    stored, revision = binding.store.get_for_update(resource_id)
    document = public(stored)
    _check_shown(binding, document)
    tag = conditions.etag(revision)
    conditions.require(condition, tag)
    binding.resource.rules.on_delete(document, context)
    try:
        binding.store.delete_revision(stored, revision)
    except StaleWrite:
        raise conditions.lost_race(tag) from None
    binding.resource.rules.after_delete(document, context)
    return empty_response(HTTPStatus.NO_CONTENT)


def _check_frozen(
    binding: Binding, before: dict[str, Any], after: dict[str, Any], href: str
) -> None:
    """Refuse a change to an attribute clients may not patch; resending its value is harmless."""
    changed = sorted(n for n in binding.frozen - {"href"} if before.get(n) != after.get(n))
    internal = {n for n in set(before) | set(after) if n.startswith(INTERNAL_PREFIX)}
    changed += sorted(n for n in internal if before.get(n) != after.get(n))
    if after.pop("href", href) != href:
        changed.append("href")
    if changed:
        raise errors.BadRequest(
            f"{', '.join(changed)} cannot be changed with PATCH", reason="Non-patchable attribute"
        )


def _party_scope(binding: Binding, action: str) -> tuple[str, str] | None:
    """The (party id, relatedParty role) a scoped caller acts for here, or None: an open server,
    or a caller not held to a party (handlers/access.py)."""
    caller = principal()
    if caller is None:
        return None  # an open server
    decision = access.decide(caller, binding.api.tmf, binding.resource.path, action)
    if not decision.allowed:  # AccessGuard let it through: another route shape; refuse here too
        raise errors.Forbidden(f"{caller.name!r} may not {action} this", reason="Not allowed")
    if decision.scope_role is None or caller.party_id is None:
        return None
    return caller.party_id, decision.scope_role


def _scope(binding: Binding, action: str) -> dict[str, Any] | None:
    """The filter a party-scoped caller is held to, or None."""
    scoped = _party_scope(binding, action)
    return (
        access.scope_filter(binding.api.tmf, binding.resource.path, scoped[1], scoped[0])
        if scoped
        else None
    )


def _check_scope(binding: Binding, resource_id: str, action: str) -> None:
    """Another party's resource is as unknown as one that does not exist: 404, not 403."""
    held_to = _scope(binding, action)
    if held_to is not None and not binding.store.exists({"id": resource_id, **held_to}):
        raise errors.NotFound(f"no resource with id {resource_id!r}")


def _and(where: dict[str, Any], condition: dict[str, Any]) -> dict[str, Any]:
    """Both filters; side by side when they name different attributes (the database then
    picks the index of the client's own condition, which an `$and` hides from it)."""
    if where.keys() & condition.keys() or any(k.startswith("$") for k in where):
        return {"$and": [where, condition]}
    return {**where, **condition}


def _check_shown(binding: Binding, document: dict[str, Any]) -> None:
    """A resource this edition cannot show is as unknown to its clients as a missing one."""
    hidden = binding.api.mapping.hidden.get(binding.resource.path)
    if hidden is not None and hidden.covers(document):
        raise errors.NotFound(f"no resource with id {document.get('id')!r}")


def _check_stays_in_scope(binding: Binding, before: dict[str, Any], after: dict[str, Any]) -> None:
    scoped = _party_scope(binding, access.UPDATE)
    if scoped is None:
        return
    if not access.in_scope(after, binding.api.tmf, binding.resource.path, scoped[1], scoped[0]):
        raise errors.Forbidden(
            f"the change would take the resource out of party {scoped[0]!r}",
            reason="Not allowed",
        )
    if access.foreign_tags(before, scoped[1], scoped[0]) != access.foreign_tags(
        after, scoped[1], scoped[0]
    ):
        _refuse_foreign_tags(after, scoped[1], scoped[0])
        raise errors.Forbidden(
            f"only the operator changes which other {scoped[1]}s a resource names",
            reason="Not allowed",
        )


def _refuse_foreign_tags(body: dict[str, Any], role: str, party_id: str) -> None:
    foreign = access.foreign_tags(body, role, party_id)
    if foreign:
        raise errors.Forbidden(
            f"relatedParty may name no other party with the role {role!r} "
            f"({', '.join(repr(f) for f in foreign)}): a {role} acts for itself only",
            reason="Not allowed",
        )


def _tagged(binding: Binding, body: dict[str, Any]) -> dict[str, Any]:
    """What a scoped caller creates is its party's: tagged with it as relatedParty."""
    scoped = _party_scope(binding, access.CREATE)
    if scoped is None:
        return body
    party_id, role = scoped
    _refuse_foreign_tags(body, role, party_id)
    parties = body.get("relatedParty")
    parties = list(parties) if isinstance(parties, list) else []
    tagged = dict(body)
    if not scope.in_scope({"relatedParty": parties}, scope.RELATED_PARTY, role, party_id):
        own = {"id": party_id, "role": role, "@referredType": "Organization"}
        tagged["relatedParty"] = [*parties, own]
    return tagged


def _refuse_internal_names(body: dict[str, Any]) -> None:
    """Top-level names starting with `_` are the server's own bookkeeping (revisions, pending
    events, tombstones, billing state); no TMF attribute starts so, and none may be sent."""
    names = sorted(n for n in body if n.startswith(INTERNAL_PREFIX))
    if names:
        raise errors.BadRequest(
            f"{', '.join(names)}: attribute names starting with '_' are reserved to the server",
            reason="Reserved attribute",
        )


def _check_stored_shape(
    binding: Binding, document: dict[str, Any], collection_url: str, change: str
) -> None:
    """What an edition writes must stay readable through the edition whose shape is stored
    (v5's `@schemaLocation` is any string, v4's a URI): every edition shows the same data."""
    stored = binding.stored_shape()
    if stored is None or not stored.readable(document):
        return
    error = problems.first(stored.schema.shape.iter_errors(with_href(document, collection_url)))
    if error is not None:
        raise errors.UnprocessableEntity(
            f"the {change} resource could not be read through the other editions of this API: "
            f"{problems.describe(error)}",
            reason=f"Invalid {change} resource",
        )


def _check_schema(
    binding: Binding, document: dict[str, Any], change: str = "patched", shape_only: bool = False
) -> None:
    """A patched resource must be whole (what creation requires included); a new one must be
    showable (its server-set attributes, e.g. a job's url, may come later)."""
    validator = binding.schema.shape if shape_only else binding.schema.validator
    error = problems.first(validator.iter_errors(document))
    if error is not None:
        # RFC 5789: the request is well-formed but would leave the resource invalid.
        raise errors.UnprocessableEntity(
            f"the {change} resource would be invalid: {problems.describe(error)}",
            reason=f"Invalid {change} resource",
        )
