"""The rules of specs/tools/derive.py, on small hand-written Swagger 2.0 fragments, and the
committed specs being exactly what it makes from the official files."""

from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from specs.tools import derive
from specs.tools.derive import DeriveError, Descriptions

OFFICIAL_DIR = derive.default_official_dir()
ABSENT = [name for name, _, _ in derive.COMMITTED if not (OFFICIAL_DIR / name).is_file()]
needs_official = pytest.mark.skipif(
    bool(ABSENT),
    reason=f"official TM Forum files not found in {OFFICIAL_DIR} ({', '.join(ABSENT)}); "
    f"set {derive.OFFICIAL_DIR_VARIABLE} to where they are",
)

ERROR_CODES = ("400", "401", "403", "404", "405", "409", "500")
WIDGET_REF = {"$ref": "#/definitions/Widget"}
ID = {"name": "id", "in": "path", "required": True, "type": "string"}
FIELDS = {"name": "fields", "in": "query", "required": False, "type": "string"}
PAGING = [FIELDS] + [
    {"name": n, "in": "query", "required": False, "type": "integer"} for n in ("offset", "limit")
]


def errors(*codes: str) -> dict[str, Any]:
    return {
        c: {"description": "Official text", "schema": {"$ref": "#/definitions/Error"}}
        for c in codes
    }


def body(name: str) -> dict[str, Any]:
    return {
        "name": "widget",
        "in": "body",
        "required": True,
        "schema": {"$ref": f"#/definitions/{name}"},
    }


def official() -> dict[str, Any]:
    """A v4 Swagger 2.0 file of one resource, widget, in the official files' shape (a new copy)."""
    paths = {
        "/widget": {
            "get": {
                "operationId": "listWidget",
                "description": "Official text",
                "parameters": PAGING,
                "responses": {
                    "200": {
                        "description": "Official text",
                        "schema": {"type": "array", "items": WIDGET_REF},
                    },
                    **errors(*ERROR_CODES),
                },
            },
            "post": {
                "operationId": "createWidget",
                "parameters": [body("Widget_Create")],
                "responses": {
                    "201": {"schema": WIDGET_REF},
                    **errors("400", "401", "403", "405", "409", "500"),
                },
            },
        },
        "/widget/{id}": {
            "get": {
                "operationId": "retrieveWidget",
                "parameters": [ID, FIELDS],
                "responses": {"200": {"schema": WIDGET_REF}, **errors(*ERROR_CODES)},
            },
            "patch": {
                "operationId": "patchWidget",
                "parameters": [ID, body("Widget_Update")],
                "responses": {"200": {"schema": WIDGET_REF}, **errors(*ERROR_CODES)},
            },
            "delete": {
                "operationId": "deleteWidget",
                "parameters": [ID],
                "responses": {"204": {"description": "Deleted"}, **errors(*ERROR_CODES)},
            },
        },
    }
    widget = {
        "type": "object",
        "description": "Official text",
        "required": ["id", "name"],
        "properties": {
            "id": {"type": "string", "description": "Official text"},
            "name": {"type": "string", "example": "Official example"},
            "colour": {"type": "string", "enum": ["red", "blue"]},
            "note": {"$ref": "#/definitions/Note", "description": "Official text"},
            "parts": {"type": "array", "items": {"$ref": "#/definitions/Note"}, "minItems": 1},
        },
    }
    create = copy.deepcopy(widget)
    del create["properties"]["id"]
    create["required"] = ["name"]
    return copy.deepcopy(
        {
            "swagger": "2.0",
            "info": {"title": "Official title", "description": "Official text", "version": "4.0"},
            "basePath": "/tmf-api/widgetManagement/v4/",
            "paths": paths,
            "definitions": {
                "Widget": widget,
                "Widget_Create": create,
                "Widget_Update": copy.deepcopy(create),
                "Note": {
                    "type": "object",
                    "properties": {"text": {"type": "string", "example": "x"}},
                },
                "Any": {},
                "Error": {
                    "type": "object",
                    "required": ["code", "reason"],
                    "properties": {"code": {"type": "string"}, "reason": {"type": "string"}},
                },
            },
        }
    )


def derived(source: dict[str, Any] | None = None, **wording: Any) -> dict[str, Any]:
    return derive.derive(
        source or official(), Descriptions({"info": {"title": "Widgets"}, **wording})
    )


def operation(document: dict[str, Any], path: str, method: str) -> dict[str, Any]:
    result: dict[str, Any] = document["paths"][path][method]
    return result


# --------------------------------------------------------------------------- schemas


def test_definitions_ref_becomes_components_schemas_ref() -> None:
    schemas = derived()["components"]["schemas"]
    assert schemas["Widget"]["properties"]["note"] == {"$ref": "#/components/schemas/Note"}
    assert schemas["Widget"]["properties"]["parts"]["items"] == {
        "$ref": "#/components/schemas/Note"
    }
    assert "#/definitions/" not in json.dumps(derived())


def test_every_definition_keeps_its_name_and_the_official_order() -> None:
    assert list(derived()["components"]["schemas"]) == [
        "Widget", "Widget_Create", "Widget_Update", "Note", "Any", "Error",
        "JsonPatch", "JsonPatchOperation", "JsonPatchValueOperation",
        "JsonPatchRemoveOperation", "JsonPatchMoveOperation",
    ]  # fmt: skip


def test_facts_are_kept_types_formats_enums_min_items() -> None:
    props = derived()["components"]["schemas"]["Widget_Create"]["properties"]
    assert props["colour"] == {"type": "string", "enum": ["red", "blue"]}
    assert props["parts"]["type"] == "array"
    assert props["parts"]["minItems"] == 1


def test_an_enum_value_written_with_white_space_is_the_value_without() -> None:
    # TMF622's and TMF637's product status lists 'aborted ', which the server writes `aborted`.
    source = official()
    colour = source["definitions"]["Widget_Create"]["properties"]["colour"]
    colour["enum"] = ["red", "aborted ", " blue", "blue"]
    props = derived(source)["components"]["schemas"]["Widget_Create"]["properties"]
    assert props["colour"]["enum"] == ["red", "aborted", "blue"]


def test_official_descriptions_and_examples_are_dropped() -> None:
    document = derived()
    text = json.dumps(document)
    assert "Official" not in text
    assert '"example"' not in text
    assert "description" not in document["components"]["schemas"]["Widget"]
    assert document["info"]["title"] == "Widgets"


def test_our_wording_describes_schemas_and_properties() -> None:
    schemas = derived(
        schemas={"Widget": {"_": "A widget.", "name": "What it is called."}},
        properties={"colour": "Its colour."},
    )["components"]["schemas"]
    assert schemas["Widget"]["description"] == "A widget."
    assert schemas["Widget"]["properties"]["name"]["description"] == "What it is called."
    assert schemas["Widget"]["properties"]["colour"]["description"] == "Its colour."
    assert schemas["Widget_Create"]["properties"]["colour"]["description"] == "Its colour."
    assert "description" not in schemas["Widget_Create"]["properties"]["name"]


def test_any_stays_the_empty_schema() -> None:
    assert derived()["components"]["schemas"]["Any"] == {}


def test_ref_with_sibling_facts_is_an_error() -> None:
    source = official()
    source["definitions"]["Widget"]["properties"]["note"]["type"] = "object"
    with pytest.raises(DeriveError, match="sibling facts"):
        derived(source)


def test_update_schema_has_no_required_list_and_accepts_null() -> None:
    update = derived()["components"]["schemas"]["Widget_Update"]
    assert "required" not in update
    assert update["properties"]["colour"]["nullable"] is True
    # OpenAPI 3.0 ignores siblings of $ref, so a nullable reference is an anyOf.
    assert update["properties"]["note"] == {
        "anyOf": [{"$ref": "#/components/schemas/Note"}, {"nullable": True, "enum": [None]}]
    }


def test_update_schema_keeps_what_create_requires_non_null() -> None:
    update = derived()["components"]["schemas"]["Widget_Update"]
    assert update["properties"]["name"] == {"type": "string"}


def test_create_keeps_the_required_list_and_the_resource_drops_it() -> None:
    schemas = derived()["components"]["schemas"]
    assert schemas["Widget_Create"]["required"] == ["name"]
    assert "required" not in schemas["Widget"]
    assert schemas["Error"]["required"] == ["code", "reason"]  # not a resource


# --------------------------------------------------------------------------- operations


def test_servers_hold_the_relative_base_path_and_info_the_api_name() -> None:
    document = derived()
    assert document["openapi"] == "3.0.3"
    assert document["servers"] == [{"url": "/tmf-api/widgetManagement/v4"}]
    assert document["info"] == {
        "title": "Widgets",
        "version": "4.0.0",
        "x-api-name": "widgetManagement",
    }
    assert list(document) == ["openapi", "info", "servers", "tags", "paths", "components"]


def test_list_operation_gets_fields_offset_limit_sort_and_206() -> None:
    document = derived()
    list_op = operation(document, "/widget", "get")
    assert list_op["parameters"][:4] == [
        {"$ref": f"#/components/parameters/{name}"}
        for name in ("Fields", "Offset", "Limit", "Sort")
    ]
    # then the common filters the widget has (derive.COMMON_FILTERS): its name
    assert [p["name"] for p in list_op["parameters"][4:]] == ["name"]
    assert set(document["components"]["parameters"]) == {
        *("Fields", "Offset", "Limit", "Sort"),
        *("IfMatch", "IfNoneMatch"),  # conditional requests, on retrieve, patch and delete
        "IdempotencyKey",  # safe retries, on every POST
    }
    for code in ("200", "206"):
        response = list_op["responses"][code]
        assert set(response["headers"]) == {"X-Total-Count", "X-Result-Count"}
        assert response["content"]["application/json"]["schema"] == {
            "type": "array",
            "items": {"$ref": "#/components/schemas/Widget"},
        }


def test_create_answers_201_with_location() -> None:
    create = operation(derived(), "/widget", "post")
    assert list(create["responses"]["201"]["headers"]) == ["Location", "ETag"]
    assert create["requestBody"]["required"] is True
    assert create["requestBody"]["content"] == {
        "application/json": {"schema": {"$ref": "#/components/schemas/Widget_Create"}}
    }
    assert "404" not in create["responses"]  # the official file declares none on create


def test_patch_takes_merge_patch_plain_json_and_json_patch() -> None:
    patch = operation(derived(), "/widget/{id}", "patch")
    update = {"schema": {"$ref": "#/components/schemas/Widget_Update"}}
    assert patch["requestBody"]["content"] == {
        "application/merge-patch+json": update,
        "application/json": update,
        "application/json-patch+json": {"schema": {"$ref": "#/components/schemas/JsonPatch"}},
    }
    assert {"$ref": "#/components/parameters/Fields"} in patch["parameters"]


def test_delete_answers_204_without_a_body() -> None:
    delete = operation(derived(), "/widget/{id}", "delete")
    assert "content" not in delete["responses"]["204"]
    assert "requestBody" not in delete


def test_conditional_requests_are_declared_on_each_resource_operation() -> None:
    document = derived()
    etag = {"ETag": derive.HEADER_ETAG}
    retrieve = operation(document, "/widget/{id}", "get")
    assert {"$ref": "#/components/parameters/IfNoneMatch"} in retrieve["parameters"]
    assert retrieve["responses"]["200"]["headers"] == etag
    assert retrieve["responses"]["304"] == {**derive.NOT_MODIFIED, "headers": etag}
    assert "412" not in retrieve["responses"]
    for method in ("patch", "delete"):
        changing = operation(document, "/widget/{id}", method)
        assert {"$ref": "#/components/parameters/IfMatch"} in changing["parameters"]
        assert changing["responses"]["412"] == {"$ref": "#/components/responses/PreconditionFailed"}
    assert operation(document, "/widget/{id}", "patch")["responses"]["200"]["headers"] == etag
    assert document["components"]["parameters"]["IfMatch"]["in"] == "header"


def test_every_post_and_only_a_post_takes_an_idempotency_key() -> None:
    document = derived()
    key = {"$ref": "#/components/parameters/IdempotencyKey"}
    posts = 0
    for path, item in document["paths"].items():
        for method, op in item.items():
            taken = key in op.get("parameters", [])
            assert taken == (method == "post"), f"{method} {path}"
            if method == "post":
                posts += 1
                assert set(derive.IDEMPOTENCY_ERRORS) <= set(op["responses"]), path
                assert list(op).index("parameters") < list(op).index("responses"), path
    assert posts > 0
    parameter = document["components"]["parameters"]["IdempotencyKey"]
    assert (parameter["name"], parameter["in"], parameter["required"]) == (
        "Idempotency-Key",
        "header",
        False,
    )


def test_every_operation_declares_the_official_errors_and_ours() -> None:
    document = derived()
    for path, item in document["paths"].items():
        for method, op in item.items():
            codes = [c for c in op["responses"] if c[0] in "45"]
            official_codes = official()["paths"][path][method]["responses"]
            conditional = {"412"} if method in ("patch", "delete") and "/hub" not in path else set()
            idempotent = set(derive.IDEMPOTENCY_ERRORS) if method == "post" else set()
            assert (
                set(codes)
                == {c for c in official_codes if c[0] != "2"}
                | set(derive.EXTRA_ERRORS)
                | conditional
                | idempotent
            ), f"{method} {path}"
            assert codes == sorted(codes, key=int)
    responses = document["components"]["responses"]
    assert responses["UnprocessableEntity"]["content"] == {
        "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}
    }


def test_operations_are_tagged_and_summarised_from_our_wording() -> None:
    document = derived(
        tags={"widget": "Widgets."},
        operations={
            "listWidget": "List widgets.",
            "createWidget": {"summary": "S", "description": "D"},
        },
    )
    assert document["tags"] == [{"name": "widget", "description": "Widgets."}]
    assert operation(document, "/widget", "get")["summary"] == "List widgets."
    create = operation(document, "/widget", "post")
    assert (create["tags"], create["summary"], create["description"]) == (["widget"], "S", "D")


def test_an_unsupported_operation_shape_is_an_error() -> None:
    source = official()
    source["paths"]["/widget/{id}"]["put"] = source["paths"]["/widget/{id}"].pop("patch")
    with pytest.raises(DeriveError, match="unsupported operation shape: PUT"):
        derived(source)


def test_a_hub_gets_the_delivery_extension() -> None:
    source = official()
    source["paths"]["/hub"] = {
        "post": {
            "operationId": "registerListener",
            "parameters": [body("EventSubscriptionInput")],
            "responses": {
                "201": {"schema": {"$ref": "#/definitions/EventSubscription"}},
                **errors("400"),
            },
        }
    }
    source["paths"]["/hub/{id}"] = {
        "delete": {
            "operationId": "unregisterListener",
            "parameters": [ID],
            "responses": {"204": {}},
        }
    }
    subscription = {
        "type": "object",
        "properties": {"id": {"type": "string"}, "callback": {"type": "string"}},
    }
    source["definitions"]["EventSubscription"] = subscription
    source["definitions"]["EventSubscriptionInput"] = copy.deepcopy(subscription)
    document = derived(source)
    assert list(document["paths"])[-2:] == ["/hub/{id}/delivery", "/hub/{id}/delivery/replay"]
    assert "Location" in operation(document, "/hub", "post")["responses"]["201"]["headers"]
    schemas = document["components"]["schemas"]
    assert "secret" in schemas["EventSubscription"]["properties"]
    assert {"HubDelivery", "HubDeadLetter"} <= set(schemas)
    # the callback must be an absolute http(s) URL
    assert schemas["EventSubscriptionInput"]["properties"]["callback"]["format"] == "uri"
    assert document["tags"][-1] == {"name": "hub"}
    # subscriptions read back: one, and the client's, paged like a list
    retrieve = operation(document, "/hub/{id}", "get")
    assert retrieve["operationId"] == "retrieveHub"
    assert retrieve["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/EventSubscription"
    }
    listing = operation(document, "/hub", "get")
    assert listing["operationId"] == "listHub"
    assert {"X-Total-Count", "X-Result-Count"} <= set(listing["responses"]["206"]["headers"])
    assert listing["parameters"] == [
        {"$ref": "#/components/parameters/Offset"},
        {"$ref": "#/components/parameters/Limit"},
    ]


# --------------------------------------------------------------------------- descriptions file


@pytest.mark.parametrize(
    ("wording", "message"),
    [
        pytest.param(
            {"operations": {"listGadget": "x"}}, "unknown operationId listGadget", id="operation"
        ),
        pytest.param({"schemas": {"Gadget": {"_": "x"}}}, "unknown schema Gadget", id="schema"),
        pytest.param(
            {"schemas": {"Widget": {"size": "x"}}}, "unknown property Widget.size", id="property"
        ),
        pytest.param({"tags": {"gadget": "x"}}, r"unknown tags \['gadget'\]", id="tag"),
        pytest.param({"gadgets": {}}, r"unknown top-level keys \['gadgets'\]", id="top-level key"),
        pytest.param({"info": {"title": "W", "colour": "x"}}, "unknown info keys", id="info key"),
    ],
)
def test_unknown_names_in_a_descriptions_file_are_errors(
    wording: dict[str, Any], message: str
) -> None:
    with pytest.raises(DeriveError, match=message):
        derived(**wording)


def test_describing_a_ref_property_is_an_error() -> None:
    with pytest.raises(DeriveError, match=r"Widget.note is a \$ref"):
        derived(schemas={"Widget": {"note": "The note."}})


def test_naming_what_only_derive_words_is_an_error() -> None:
    with pytest.raises(DeriveError, match="unknown schema HubDelivery"):
        derived(schemas={"HubDelivery": {"_": "x"}})


def test_a_descriptions_file_needs_a_title() -> None:
    with pytest.raises(DeriveError, match="info.title is required"):
        derive.derive(official(), Descriptions({}))


def test_anchor_holders_in_a_descriptions_file_are_ignored() -> None:
    assert derived(_shared={"name": "x"})["info"]["title"] == "Widgets"


# --------------------------------------------------------------------------- output


def test_render_is_plain_yaml_behind_the_generated_header() -> None:
    text = derive.render(derived(), "Widget-v4.0.0.swagger.json", "specs/tools/descriptions/W.yaml")
    assert text.startswith("# GENERATED by specs/tools/derive.py: do not edit by hand")
    assert "Widget-v4.0.0.swagger.json" in text.splitlines()[1]
    assert "&id" not in text and "*id" not in text  # no YAML anchors or aliases
    assert yaml.safe_load(text) == derived()
    assert derive.render(derived(), "a", "b") == derive.render(derived(), "a", "b")


def test_every_committed_spec_is_listed_as_generated() -> None:
    committed = {path.name for path in derive.SPECS_DIR.glob("*.yaml")}
    assert committed == {output for _, _, output in derive.COMMITTED}
    for _, descriptions, _ in derive.COMMITTED:
        assert (derive.DESCRIPTIONS_DIR / descriptions).is_file()


def test_check_fails_without_the_official_files_unless_they_are_optional(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert derive.derive_all(tmp_path, derive.SPECS_DIR, check=True, optional=False) == 2
    assert "official files not found" in capsys.readouterr().err
    assert derive.derive_all(tmp_path, derive.SPECS_DIR, check=True, optional=True) == 0
    assert "skipped the specs made from" in capsys.readouterr().out


@needs_official
@pytest.mark.parametrize(
    ("official_name", "descriptions", "output"),
    [pytest.param(*entry, id=entry[2]) for entry in derive.COMMITTED],
)
def test_committed_spec_is_what_derive_makes(
    official_name: str, descriptions: str, output: str
) -> None:
    made = derive.generate(
        OFFICIAL_DIR / official_name,
        derive.DESCRIPTIONS_DIR / descriptions,
        f"specs/tools/descriptions/{descriptions}",
    )
    assert (derive.SPECS_DIR / output).read_text(encoding="utf-8") == made, (
        f"specs/{output} differs from what derive.py makes: run python specs/tools/derive.py --all"
    )


@needs_official
def test_check_refuses_a_stale_spec_and_regenerating_mends_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The smallest spec, made three times: `make lint` checks every one (derive.py --all --check).
    smallest = min(derive.COMMITTED, key=lambda c: (derive.SPECS_DIR / c[2]).stat().st_size)
    monkeypatch.setattr(derive, "COMMITTED", (smallest,))
    for _, _, output in derive.COMMITTED:
        shutil.copy(derive.SPECS_DIR / output, tmp_path / output)
    stale = tmp_path / derive.COMMITTED[0][2]
    stale.write_text(stale.read_text(encoding="utf-8") + "# edited by hand\n", encoding="utf-8")
    assert derive.derive_all(OFFICIAL_DIR, tmp_path, check=True, optional=False) == 1
    assert f"{stale.name} differ" in capsys.readouterr().err
    assert derive.derive_all(OFFICIAL_DIR, tmp_path, check=False, optional=False) == 0
    assert stale.read_text(encoding="utf-8") == (derive.SPECS_DIR / stale.name).read_text(
        encoding="utf-8"
    )
    assert derive.derive_all(OFFICIAL_DIR, tmp_path, check=True, optional=False) == 0


def test_common_filters_follow_refs_parents_unions_and_arrays() -> None:
    schemas = {
        "Thing": {
            "allOf": [
                {"$ref": "#/components/schemas/Entity"},
                {
                    "properties": {
                        "status": {"type": "string"},
                        "isBundle": {"type": "boolean"},
                        "relatedParty": {
                            "type": "array",
                            "items": {"$ref": "#/components/schemas/Party"},
                        },
                        "billingAccount": {
                            "oneOf": [
                                {"$ref": "#/components/schemas/AccountRef"},
                                {"$ref": "#/components/schemas/AccountValue"},
                            ]
                        },
                        "category": {"type": "array", "items": {"type": "string"}},
                    }
                },
            ]
        },
        "Entity": {"properties": {"name": {"type": "string"}}},
        "Party": {"properties": {"id": {"type": "string"}}},
        "AccountRef": {"properties": {"id": {"type": "string"}}},
        "AccountValue": {"properties": {"id": {"type": "integer"}}},
    }
    listing = {
        "responses": {
            "200": {
                "headers": {"X-Total-Count": {}},
                "content": {
                    "application/json": {
                        "schema": {"type": "array", "items": {"$ref": "#/components/schemas/Thing"}}
                    }
                },
            }
        }
    }
    document = {"paths": {"/thing": {"get": listing}}, "components": {"schemas": schemas}}
    declared = {
        p["name"]: p["schema"]["type"]
        for p in derive.with_common_filters(document)["paths"]["/thing"]["get"]["parameters"]
    }
    # the account id is a string in one member and an integer in the other: not declared; an
    # array of strings is filtered by one of its values
    assert declared == {
        "name": "string",
        "status": "string",
        "isBundle": "boolean",
        "category": "string",
        "relatedParty.id": "string",
    }


def test_our_example_body_goes_with_the_create_operation() -> None:
    example = {"name": "Blue widget", "colour": "blue"}
    document = derived(operations={"createWidget": {"summary": "Make one.", "example": example}})
    create = operation(document, "/widget", "post")
    assert create["summary"] == "Make one." and "example" not in create
    assert create["requestBody"]["content"]["application/json"]["example"] == example
    with pytest.raises(DeriveError, match="example must be an object"):
        derived(operations={"createWidget": {"summary": "Make one.", "example": "blue"}})
