"""The rules of specs/tools/derive_v5.py, on small hand-written OpenAPI 3.0 fragments in the
official v5 files' shape, and the committed v5 spec being exactly what it makes."""

from __future__ import annotations

import copy
import json
from typing import Any

import connexion
import pytest
from connexion.json_schema import Draft4RequestValidator
from connexion.resolver import Resolver
from jsonschema import Draft4Validator
from openapi_spec_validator import validate

from app import configure_spec, load_spec
from settings import Settings
from specs.tools import derive, derive_v5
from specs.tools.derive import DeriveError, Descriptions

OFFICIAL_DIR = derive.default_official_dir()
V5_COMMITTED = [entry for entry in derive.COMMITTED if entry[0].endswith(".oas.yaml")]

SCHEMAS = "#/components/schemas/"
ERROR_CODES = ("400", "401", "403", "404", "405", "409", "500", "501", "503")


def schema_ref(name: str) -> dict[str, str]:
    return {"$ref": SCHEMAS + name}


def refs(kind: str, *names: str) -> list[dict[str, str]]:
    return [{"$ref": f"#/components/{kind}/{name}"} for name in names]


def errors(*codes: str) -> dict[str, Any]:
    return {code: {"$ref": f"#/components/responses/{code}"} for code in codes}


def json_body(schema: str) -> dict[str, Any]:
    return {
        "description": "Official text",
        "content": {JSON: {"schema": schema_ref(schema), "examples": {"x": {"value": {}}}}},
        "required": True,
    }


JSON = "application/json"


def official() -> dict[str, Any]:
    """A v5 OpenAPI 3.0 file of one resource, widget, in the official files' shape (a new copy)."""
    own = {"type": "object", "description": "Official text"}
    widget_props = {
        "name": {"type": "string", "description": "Official text", "example": "Official"},
        "colour": {"type": "string", "enum": ["red", "blue"]},
        "size": {"type": "number", "format": "float", "default": 1},
        "note": schema_ref("Note"),
        "parts": {"type": "array", "items": schema_ref("Note")},
    }
    schemas = {
        "Extensible": {
            "type": "object",
            "description": "Official text",
            "properties": {"@type": {"type": "string", "description": "Official text"}},
            "required": ["@type"],
        },
        "Extensible_MVO": {"type": "object", "description": "Official text"},
        "Entity": {"type": "object", "allOf": [schema_ref("Extensible")]},
        "Widget": {
            "allOf": [
                schema_ref("Entity"),
                {**own, "properties": {"id": {"type": "string"}, **widget_props}},
                {"required": ["name"]},
            ],
            "discriminator": {
                "propertyName": "@type",
                "mapping": {"Widget": SCHEMAS + "Widget", "Gadget": SCHEMAS + "Gadget"},
            },
        },
        "Widget_FVO": {
            "allOf": [schema_ref("Extensible"), {**own, "properties": widget_props}],
            "required": ["name"],
        },
        "Widget_MVO": {
            "allOf": [
                schema_ref("Extensible_MVO"),
                {**own, "properties": copy.deepcopy(widget_props), "required": ["name"]},
            ],
            "required": ["colour"],
        },
        "Gadget": {"allOf": [schema_ref("Widget")]},
        "WidgetOrGadget": {
            "type": "object",
            "oneOf": [schema_ref("Widget"), schema_ref("Gadget")],
            "discriminator": {"propertyName": "@type"},
        },
        "Note": {"type": "object", "properties": {"text": {"type": "string", "example": "x"}}},
        "Error": {
            "allOf": [
                schema_ref("Extensible"),
                {
                    "type": "object",
                    "required": ["code", "reason"],
                    "properties": {"code": {"type": "string"}, "reason": {"type": "string"}},
                },
            ]
        },
        "Hub_FVO": {
            "type": "object",
            "required": ["callback"],
            "allOf": [
                schema_ref("Extensible"),
                {"properties": {"callback": {"type": "string"}, "query": {"type": "string"}}},
            ],
        },
        "Hub": {
            "type": "object",
            "allOf": [
                schema_ref("Entity"),
                {
                    "properties": {"id": {"type": "string"}, "callback": {"type": "string"}},
                    "required": ["callback"],
                },
            ],
        },
        "WidgetCreateEvent": {
            "allOf": [
                schema_ref("Extensible"),
                {"type": "object", "properties": {"event": schema_ref("Widget")}},
            ]
        },
        "JsonPatch": {
            "type": "object",
            "description": "Official text",
            "required": ["op", "path"],
            "properties": {
                "op": {
                    "type": "string",
                    "enum": ["add", "remove", "replace", "move", "copy", "test"],
                },
                "path": {"type": "string", "description": "Official text"},
                "value": {"description": "Official text"},
                "from": {"type": "string"},
            },
        },
        "JsonPatchOperations": {"type": "array", "items": schema_ref("JsonPatch")},
    }
    error_response = {
        "description": "Official text",
        "content": {JSON: {"schema": schema_ref("Error")}},
    }
    one = {"description": "Official text", "content": {JSON: {"schema": schema_ref("Widget")}}}
    components = {
        "schemas": schemas,
        "parameters": {
            "Id": {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}},
            "Fields": {"name": "fields", "in": "query", "schema": {"type": "string"}},
            "Offset": {"name": "offset", "in": "query", "schema": {"type": "integer"}},
            "Limit": {"name": "limit", "in": "query", "schema": {"type": "integer"}},
        },
        "requestBodies": {
            "Widget_FVO": json_body("Widget_FVO"),
            "Widget_MVO": {
                "content": {
                    JSON: {"schema": schema_ref("Widget_MVO")},
                    "application/merge-patch+json": {"schema": schema_ref("Widget_MVO")},
                    "application/json-patch+json": {"schema": schema_ref("JsonPatchOperations")},
                    "application/json-patch-query+json": {
                        "schema": schema_ref("JsonPatchOperations")
                    },
                },
                "required": True,
            },
            "Hub_FVO": json_body("Hub_FVO"),
            "WidgetCreateEvent": json_body("WidgetCreateEvent"),
        },
        "responses": {
            "202": {"description": "Official text"},
            "204": {"description": "Official text"},
            **{code: error_response for code in ERROR_CODES},
            "Error": error_response,
            "200WidgetArray": {
                "description": "Official text",
                "headers": {"X-Total-Count": {"$ref": "#/components/headers/X-Total-Count"}},
                "content": {JSON: {"schema": {"type": "array", "items": schema_ref("Widget")}}},
            },
            "200Widget": one,
            "201Widget": one,
            "Hub": {"description": "Official", "content": {JSON: {"schema": schema_ref("Hub")}}},
        },
        "headers": {"X-Total-Count": {"description": "Official", "schema": {"type": "integer"}}},
        "examples": {"x": {"value": {"name": "Official example"}}},
    }
    by_id = refs("parameters", "Id")
    paths = {
        "/widget": {
            "get": {
                "tags": ["widget"],
                "summary": "Official summary",
                "description": "Official text",
                "operationId": "listWidget",
                "parameters": refs("parameters", "Fields", "Offset", "Limit"),
                "responses": {
                    "200": {"$ref": "#/components/responses/200WidgetArray"},
                    **errors("400", "401", "403", "404", "405", "500", "501", "503"),
                },
            },
            "post": {
                "operationId": "createWidget",
                "parameters": refs("parameters", "Fields"),
                "requestBody": {"$ref": "#/components/requestBodies/Widget_FVO"},
                "responses": {
                    "201": {"$ref": "#/components/responses/201Widget"},
                    "202": {"description": "Official text"},
                    **errors(*ERROR_CODES),
                },
            },
        },
        "/widget/{id}": {
            "get": {
                "operationId": "retrieveWidget",
                "parameters": [*by_id, *refs("parameters", "Fields")],
                "responses": {
                    "200": {"$ref": "#/components/responses/200Widget"},
                    **errors("400", "404", "500"),
                },
            },
            "patch": {
                "operationId": "patchWidget",
                "parameters": [*by_id, *refs("parameters", "Fields")],
                "requestBody": {"$ref": "#/components/requestBodies/Widget_MVO"},
                "responses": {
                    "200": {"$ref": "#/components/responses/200Widget"},
                    "202": {},
                    **errors("400", "404", "409", "500"),
                },
            },
            "delete": {
                "operationId": "deleteWidget",
                "parameters": by_id,
                "responses": {
                    "202": {"$ref": "#/components/responses/202"},
                    "204": {"$ref": "#/components/responses/204"},
                    **errors("400", "404", "500"),
                },
            },
        },
        "/hub": {
            "post": {
                "operationId": "createHub",
                "requestBody": {"$ref": "#/components/requestBodies/Hub_FVO"},
                "responses": {
                    "201": {"$ref": "#/components/responses/Hub"},
                    "default": {"$ref": "#/components/responses/Error"},
                },
            }
        },
        "/hub/{id}": {
            "get": {
                "operationId": "hubGet",
                "parameters": by_id,
                "responses": {
                    "200": {"$ref": "#/components/responses/Hub"},
                    "default": {"$ref": "#/components/responses/Error"},
                },
            },
            "delete": {
                "operationId": "hubDelete",
                "parameters": by_id,
                "responses": {"204": {}, "default": {"$ref": "#/components/responses/Error"}},
            },
        },
        "/listener/widgetCreateEvent": {
            "post": {
                "operationId": "widgetCreateEvent",
                "requestBody": {"$ref": "#/components/requestBodies/WidgetCreateEvent"},
                "responses": {"204": {}, "default": {"$ref": "#/components/responses/Error"}},
            }
        },
    }
    return copy.deepcopy(
        {
            "openapi": "3.0.1",
            "info": {"title": "Official title", "description": "Official", "version": "5.0.1"},
            "servers": [{"url": "{apiRoot}/tmf-api/widget/v5/", "variables": {"apiRoot": {}}}],
            "tags": [{"name": "widget", "description": "Official text"}],
            "paths": paths,
            "components": components,
        }
    )


def derived(source: dict[str, Any] | None = None, **wording: Any) -> dict[str, Any]:
    return derive_v5.derive_v5(
        source or official(),
        Descriptions({"info": {"title": "Widgets"}, **wording}),
        name="widgetManagement",
    )


def operation(document: dict[str, Any], path: str, method: str) -> dict[str, Any]:
    result: dict[str, Any] = document["paths"][path][method]
    return result


def checker(document: dict[str, Any], name: str) -> Draft4Validator:
    """A validator for one component schema as connexion checks request bodies (`nullable`
    included), references resolved inside the document."""
    root = {"$ref": SCHEMAS + name, "components": document["components"]}
    validator: Draft4Validator = Draft4RequestValidator(root)
    return validator


# --------------------------------------------------------------------------- schemas


def test_official_descriptions_summaries_and_examples_are_dropped() -> None:
    document = derived()
    text = json.dumps(document)
    assert "Official" not in text
    assert '"example"' not in text and '"examples"' not in text
    assert document["info"]["title"] == "Widgets"


def test_only_our_components_are_written() -> None:
    assert list(derived()["components"]) == ["parameters", "responses", "schemas"]


def test_schemas_keep_their_names_order_and_composition() -> None:
    schemas = derived()["components"]["schemas"]
    # Extensible_FVO is the request copy of Extensible (see the @type tests below).
    assert list(schemas)[:11] == [
        "Extensible", "Extensible_FVO", "Extensible_MVO", "Entity", "Widget", "Widget_FVO",
        "Widget_MVO", "Gadget", "WidgetOrGadget", "Note", "Error",
    ]  # fmt: skip
    assert schemas["Widget"]["allOf"][0] == schema_ref("Entity")
    assert schemas["Widget"]["discriminator"]["mapping"]["Gadget"] == SCHEMAS + "Gadget"
    assert schemas["WidgetOrGadget"] == {
        "type": "object",
        "anyOf": [schema_ref("Widget"), schema_ref("Gadget")],
        "discriminator": {"propertyName": "@type"},
    }


def test_facts_are_kept_types_formats_enums_defaults() -> None:
    props = derived()["components"]["schemas"]["Widget_FVO"]["allOf"][1]["properties"]
    assert props["colour"] == {"type": "string", "enum": ["red", "blue"]}
    assert props["size"] == {"type": "number", "format": "float", "default": 1}
    assert props["parts"] == {"type": "array", "items": schema_ref("Note")}


def test_an_enum_value_written_with_white_space_is_the_value_without() -> None:
    # TMF637 5.0.0's ProductStatusType lists 'aborted ', which the server writes `aborted`.
    source = official()
    colour = source["components"]["schemas"]["Widget_FVO"]["allOf"][1]["properties"]["colour"]
    colour["enum"] = ["red", "aborted ", "blue "]
    props = derived(source)["components"]["schemas"]["Widget_FVO"]["allOf"][1]["properties"]
    assert props["colour"]["enum"] == ["red", "aborted", "blue"]


def test_our_wording_reaches_properties_of_inline_all_of_members() -> None:
    schemas = derived(
        schemas={"Widget": {"_": "A widget.", "name": "What it is called."}},
        properties={"colour": "Its colour."},
    )["components"]["schemas"]
    assert schemas["Widget"]["description"] == "A widget."
    props = schemas["Widget"]["allOf"][1]["properties"]
    assert props["name"]["description"] == "What it is called."
    assert props["colour"]["description"] == "Its colour."
    assert schemas["Widget_FVO"]["allOf"][1]["properties"]["colour"]["description"] == (
        "Its colour."
    )


def test_fvo_keeps_its_required_lists_and_the_resource_drops_its_own() -> None:
    schemas = derived()["components"]["schemas"]
    assert schemas["Widget_FVO"]["required"] == ["name"]
    assert all("required" not in member for member in schemas["Widget"]["allOf"][1:])
    # What a resource inherits is another schema's fact, and other schemas keep theirs.
    assert schemas["Extensible"]["required"] == ["@type"]
    assert schemas["Hub"]["allOf"][1]["required"] == ["callback"]


def test_mvo_has_no_required_list_and_accepts_null() -> None:
    mvo = derived()["components"]["schemas"]["Widget_MVO"]
    assert "required" not in mvo and "required" not in mvo["allOf"][1]
    props = mvo["allOf"][1]["properties"]
    assert props["size"]["nullable"] is True
    assert props["parts"]["nullable"] is True
    # a nullable enum lists null (OpenAPI 3.0.3), and a nullable $ref is an anyOf
    assert props["colour"] == {"type": "string", "enum": ["red", "blue", None], "nullable": True}
    assert props["note"] == {"anyOf": [schema_ref("Note"), {"nullable": True, "enum": [None]}]}
    assert checker(derived(), "Widget_MVO").is_valid({"size": None, "note": None})


def test_mvo_keeps_what_fvo_requires_non_null() -> None:
    props = derived()["components"]["schemas"]["Widget_MVO"]["allOf"][1]["properties"]
    assert props["name"] == {"type": "string"}


# Draft 4 (connexion's validator) ignores `discriminator`: a discriminated oneOf is an anyOf.


def test_a_discriminated_one_of_becomes_an_any_of_with_its_discriminator() -> None:
    source = official()
    union = {
        "oneOf": [schema_ref("Widget"), schema_ref("Gadget")],
        "discriminator": {"propertyName": "@type", "mapping": {"Gadget": SCHEMAS + "Gadget"}},
    }
    box = {"type": "object", "properties": {"about": copy.deepcopy(union)}}  # inline
    source["components"]["schemas"]["Box"] = box
    document = derived(source)
    schemas = document["components"]["schemas"]
    assert schemas["Box"]["properties"]["about"] == {
        "anyOf": union["oneOf"],
        "discriminator": union["discriminator"],
    }
    assert "oneOf" not in schemas["WidgetOrGadget"]
    # A Gadget is a Widget too: the members overlap, which oneOf refuses and anyOf takes.
    gadget = {"@type": "Gadget", "name": "g", "colour": "red"}
    assert checker(document, "WidgetOrGadget").is_valid(gadget)
    assert checker(document, "Box").is_valid({"about": gadget})
    assert not checker(document, "WidgetOrGadget").is_valid({"@type": "Gadget", "colour": "x"})


def test_a_one_of_without_a_discriminator_stays_one_of() -> None:
    source = official()
    choice = {"oneOf": [{"type": "string"}, {"type": "integer"}]}
    source["components"]["schemas"]["Note"]["properties"]["code"] = copy.deepcopy(choice)
    schemas = derived(source)["components"]["schemas"]
    assert schemas["Note"]["properties"]["code"] == choice
    assert "oneOf" in schemas["JsonPatch"]  # ours: its members exclude each other


# @type is optional in what clients send, and required as before in what the server sends.


def labelled() -> dict[str, Any]:
    """official() with a Label that the served Widget and the Widget_FVO both hold (shared, and
    requiring @type through Entity), and a Tag only Widget_FVO holds, requiring @type itself."""
    source = official()
    schemas = source["components"]["schemas"]
    schemas["Label"] = {
        "allOf": [schema_ref("Entity"), {"type": "object", "properties": {"text": {}}}],
        "discriminator": {"propertyName": "@type", "mapping": {"Label": SCHEMAS + "Label"}},
    }
    schemas["Tag"] = {"type": "object", "required": ["@type", "key"], "properties": {"key": {}}}
    schemas["Widget"]["allOf"][1]["properties"]["label"] = schema_ref("Label")
    schemas["Widget_FVO"]["allOf"][1]["properties"]["label"] = schema_ref("Label")
    schemas["Widget_FVO"]["allOf"][1]["properties"]["tag"] = schema_ref("Tag")
    return source


def test_request_schemas_do_not_require_type_and_response_schemas_do() -> None:
    document = derived(labelled())
    schemas = document["components"]["schemas"]
    # Request copies of the shared schemas that require @type, each right after its original.
    names = list(schemas)
    for name in ("Extensible", "Entity", "Label"):
        assert names.index(name + "_FVO") == names.index(name) + 1
    assert "required" not in schemas["Extensible_FVO"]
    assert schemas["Extensible_FVO"]["properties"] == schemas["Extensible"]["properties"]
    assert schemas["Entity_FVO"]["allOf"] == [schema_ref("Extensible_FVO")]
    assert schemas["Label_FVO"]["allOf"][0] == schema_ref("Entity_FVO")
    assert schemas["Label_FVO"]["discriminator"] == schemas["Label"]["discriminator"]
    assert "Widget_FVO" not in names[names.index("Widget_FVO") + 1 :]  # no copy of a copy
    # Request schemas point at them; a request-only schema drops @type itself.
    fvo = schemas["Widget_FVO"]
    assert fvo["allOf"][0] == schema_ref("Extensible_FVO")
    assert fvo["allOf"][1]["properties"]["label"] == schema_ref("Label_FVO")
    assert fvo["allOf"][1]["properties"]["tag"] == schema_ref("Tag")
    assert schemas["Tag"]["required"] == ["key"]
    assert schemas["Hub_FVO"]["allOf"][0] == schema_ref("Extensible_FVO")
    # The originals keep their facts for the responses (and events) that use them.
    assert schemas["Extensible"]["required"] == ["@type"]
    assert schemas["Entity"]["allOf"] == [schema_ref("Extensible")]
    assert schemas["Label"]["allOf"][0] == schema_ref("Entity")
    assert schemas["Widget"]["allOf"][1]["properties"]["label"] == schema_ref("Label")
    assert schemas["WidgetCreateEvent"]["allOf"][0] == schema_ref("Extensible")

    body = {"name": "w", "label": {"text": "x"}, "tag": {"key": "k"}}
    assert checker(document, "Widget_FVO").is_valid(body)
    assert not checker(document, "Widget_FVO").is_valid({**body, "tag": {}})
    assert checker(document, "Widget_MVO").is_valid({"colour": "red"})
    assert checker(document, "Hub_FVO").is_valid({"callback": "https://example.com/cb"})
    served = {"@type": "Widget", "name": "w", "label": {"@type": "Label", "text": "x"}}
    assert checker(document, "Widget").is_valid(served)
    assert not checker(document, "Widget").is_valid({**served, "label": {"text": "x"}})
    assert not checker(document, "Widget").is_valid({"name": "w"})


def test_an_official_fvo_serves_as_the_request_copy_loosened() -> None:
    source = labelled()
    schemas = source["components"]["schemas"]
    schemas["Entity_FVO"] = {
        "type": "object",
        "allOf": [schema_ref("Extensible")],
        "properties": {"other": {"type": "string"}},
        "required": ["@type", "other"],
    }
    made = derived(source)["components"]["schemas"]
    # Its own facts (it may ask more than Entity), @type optional, references to request forms.
    assert made["Entity_FVO"]["allOf"] == [schema_ref("Extensible_FVO")]
    assert made["Entity_FVO"]["required"] == ["other"]
    assert made["Entity_FVO"]["properties"] == {"other": {"type": "string"}}
    assert list(made).count("Entity_FVO") == 1


def test_a_ref_with_a_default_beside_it_is_wrapped_so_the_default_counts() -> None:
    source = official()
    source["components"]["schemas"]["Note"]["properties"]["link"] = {
        **schema_ref("Widget"),
        "default": {},
    }
    made = derived(source)["components"]["schemas"]["Note"]["properties"]["link"]
    assert made == {"allOf": [schema_ref("Widget")], "default": {}}


def test_ref_with_other_sibling_facts_is_an_error() -> None:
    source = official()
    source["components"]["schemas"]["Note"]["properties"]["link"] = {
        **schema_ref("Widget"),
        "minItems": 1,
    }
    with pytest.raises(DeriveError, match="sibling facts"):
        derived(source)


def test_an_unsupported_schema_keyword_is_an_error() -> None:
    source = official()
    source["components"]["schemas"]["Note"]["not"] = {"type": "string"}
    with pytest.raises(DeriveError, match=r"unsupported keywords \['not'\]"):
        derived(source)


# --------------------------------------------------------------------------- operations


def test_servers_and_info_name_the_api_as_this_server_serves_it() -> None:
    document = derived()
    assert document["openapi"] == "3.0.3"
    assert document["servers"] == [{"url": "/tmf-api/widgetManagement/v5"}]
    assert document["info"] == {
        "title": "Widgets",
        "version": "5.0.1",
        "x-api-name": "widgetManagement",
    }
    assert list(document) == ["openapi", "info", "servers", "tags", "paths", "components"]


def test_without_a_name_the_registered_api_of_x_tmf_api_is_used() -> None:
    desc = Descriptions({"info": {"title": "Customers", "x-tmf-api": "TMF629"}})
    document = derive_v5.derive_v5(official(), desc)
    assert document["servers"] == [{"url": "/tmf-api/customerManagement/v5"}]
    assert document["info"]["x-api-name"] == "customerManagement"
    unknown = Descriptions({"info": {"title": "Gadgets", "x-tmf-api": "TMF999"}})
    with pytest.raises(DeriveError, match="must name one registered API"):
        derive_v5.derive_v5(official(), unknown)


def test_list_operation_gets_fields_offset_limit_sort_and_206() -> None:
    document = derived()
    list_op = operation(document, "/widget", "get")
    assert list_op["parameters"][:4] == [
        {"$ref": f"#/components/parameters/{name}"}
        for name in ("Fields", "Offset", "Limit", "Sort")
    ]
    # then the common filters the widget has (derive.COMMON_FILTERS): its name
    assert [p["name"] for p in list_op["parameters"][4:]] == ["name"]
    parameters = document["components"]["parameters"]
    assert parameters["Offset"]["schema"]["minimum"] == 0
    # the v4 specs' Limit, whose maximum app.configure_spec sets to the page size
    assert parameters["Limit"] == derive.SHARED_PARAMETERS["Limit"]
    for code in ("200", "206"):
        response = list_op["responses"][code]
        assert set(response["headers"]) == {"X-Total-Count", "X-Result-Count"}
        assert response["content"][JSON]["schema"] == {
            "type": "array",
            "items": schema_ref("Widget"),
        }


def test_retrieve_takes_the_id_in_the_path_and_fields() -> None:
    retrieve = operation(derived(), "/widget/{id}", "get")
    assert retrieve["parameters"][0] == {
        "name": "id",
        "in": "path",
        "description": "Id of the widget.",
        "required": True,
        "schema": {"type": "string"},
    }
    assert retrieve["parameters"][1] == {"$ref": "#/components/parameters/Fields"}


def test_create_answers_201_with_location_and_takes_the_fvo() -> None:
    create = operation(derived(), "/widget", "post")
    assert list(create["responses"]["201"]["headers"]) == ["Location", "ETag"]
    assert create["requestBody"]["required"] is True
    assert create["requestBody"]["content"] == {JSON: {"schema": schema_ref("Widget_FVO")}}


def test_patch_takes_merge_patch_plain_json_json_patch_and_json_patch_query() -> None:
    patch = operation(derived(), "/widget/{id}", "patch")
    update = {"schema": schema_ref("Widget_MVO")}
    assert patch["requestBody"]["content"] == {
        "application/merge-patch+json": update,
        JSON: update,
        "application/json-patch+json": {"schema": schema_ref("JsonPatchOperations")},
        "application/json-patch-query+json": {"schema": schema_ref("JsonPatchQueryOperations")},
    }
    assert {"$ref": "#/components/parameters/Fields"} in patch["parameters"]


def test_only_json_patch_query_paths_may_carry_a_query() -> None:
    document = derived()
    query = [
        {"op": "replace", "path": "/contactMedium/emailAddress?contactMedium.id=1", "value": 1}
    ]
    assert checker(document, "JsonPatchQueryOperations").is_valid(query)
    assert not checker(document, "JsonPatchOperations").is_valid(query)
    plain = [{"op": "remove", "path": "/note"}]
    assert checker(document, "JsonPatchOperations").is_valid(plain)
    assert checker(document, "JsonPatchQueryOperations").is_valid(plain)
    for bad in ("/note?", "/note?x", "note", "/a.b?x=1", "/$x"):
        assert not checker(document, "JsonPatchQuery").is_valid({"op": "remove", "path": bad}), bad


def test_json_patch_keeps_the_official_names_and_each_op_needs_its_members() -> None:
    document = derived()
    schemas = document["components"]["schemas"]
    assert schemas["JsonPatchOperations"]["items"] == schema_ref("JsonPatch")
    assert schemas["JsonPatch"]["required"] == ["op", "path"]
    assert set(schemas["JsonPatch"]["properties"]) == {"op", "path", "value", "from"}
    one = checker(document, "JsonPatch")
    assert one.is_valid({"op": "replace", "path": "/name", "value": None})
    assert not one.is_valid({"op": "replace", "path": "/name"})
    assert not one.is_valid({"op": "copy", "path": "/name"})
    assert one.is_valid({"op": "copy", "from": "/a", "path": "/name"})
    assert not one.is_valid({"op": "merge", "path": "/name"})


def test_an_official_json_patch_with_other_facts_is_an_error() -> None:
    source = official()
    source["components"]["schemas"]["JsonPatch"]["properties"]["op"]["enum"].append("merge")
    with pytest.raises(DeriveError, match="official JsonPatch schema differs"):
        derived(source)


def test_delete_answers_204_without_a_body_and_202_is_dropped() -> None:
    document = derived()
    delete = operation(document, "/widget/{id}", "delete")
    assert delete["responses"]["204"] == {"description": "The widget was deleted."}
    for path, item in document["paths"].items():
        for method, op in item.items():
            assert "202" not in op["responses"], f"{method} {path}"


def test_every_post_and_only_a_post_takes_an_idempotency_key() -> None:
    document = derived()
    key = {"$ref": "#/components/parameters/IdempotencyKey"}
    for path, item in document["paths"].items():
        for method, op in item.items():
            assert (key in op.get("parameters", [])) == (method == "post"), f"{method} {path}"
            if method == "post":
                assert set(derive.IDEMPOTENCY_ERRORS) <= set(op["responses"]), path
    assert document["components"]["parameters"]["IdempotencyKey"]["in"] == "header"


def test_every_operation_declares_the_official_errors_and_ours() -> None:
    document = derived()
    source = official()
    for path, item in document["paths"].items():
        if "/delivery" in path:
            continue
        for method, op in item.items():
            if method not in source["paths"][path]:
                continue  # our extension (reading subscriptions back), checked below
            codes = [c for c in op["responses"] if c[0] in "45"]
            official_codes = set(source["paths"][path][method]["responses"])
            if "default" in official_codes:
                official_codes |= set(derive_v5.DEFAULT_ERRORS)
            expected = {c for c in official_codes if c[0] in "45"} | set(derive.EXTRA_ERRORS)
            if method in ("patch", "delete") and "/hub" not in path:
                expected.add("412")  # conditional requests (If-Match)
            if method == "post":
                expected |= set(derive.IDEMPOTENCY_ERRORS)  # safe retries (Idempotency-Key)
            assert set(codes) == expected, f"{method} {path}"
            assert codes == sorted(codes, key=int)
            assert "default" not in op["responses"]
    responses = document["components"]["responses"]
    assert responses["ServiceUnavailable"]["content"] == {JSON: {"schema": schema_ref("Error")}}
    assert document["components"]["schemas"]["Error"]["allOf"][1]["required"] == ["code", "reason"]


def test_the_hub_gets_the_delivery_extension_and_hub_get_returns_the_hub() -> None:
    document = derived()
    assert list(document["paths"])[3:6] == [
        "/hub/{id}",
        "/hub/{id}/delivery",
        "/hub/{id}/delivery/replay",
    ]
    hub_get = operation(document, "/hub/{id}", "get")
    assert hub_get["responses"]["200"]["content"][JSON]["schema"] == schema_ref("Hub")
    assert "Location" in operation(document, "/hub", "post")["responses"]["201"]["headers"]
    delivery = operation(document, "/hub/{id}/delivery", "get")
    assert delivery["operationId"] == "retrieveHubDelivery"
    assert delivery["responses"]["200"]["content"][JSON]["schema"] == schema_ref("HubDelivery")
    assert "409" in operation(document, "/hub/{id}/delivery/replay", "post")["responses"]
    schemas = document["components"]["schemas"]
    assert "secret" in schemas["Hub"]["allOf"][1]["properties"]
    assert list(schemas)[list(schemas).index("Hub") + 1 :][:2] == ["HubDelivery", "HubDeadLetter"]
    # the callback must be an absolute http(s) URL
    assert schemas["Hub_FVO"]["allOf"][1]["properties"]["callback"]["format"] == "uri"
    assert [tag["name"] for tag in document["tags"]] == ["widget", "hub", "listener"]
    listing = operation(document, "/hub", "get")
    assert listing["operationId"] == "listHub"
    assert listing["responses"]["200"]["content"][JSON]["schema"]["items"] == schema_ref("Hub")


def test_a_hub_without_hub_get_gets_ours_by_the_v5_name() -> None:
    source = official()
    del source["paths"]["/hub/{id}"]["get"]
    hub_get = operation(derived(source), "/hub/{id}", "get")
    assert hub_get["operationId"] == "hubGet"
    assert hub_get["responses"]["200"]["content"][JSON]["schema"] == schema_ref("Hub")


def test_listeners_take_the_event_and_answer_204_without_a_body() -> None:
    listener = operation(derived(), "/listener/widgetCreateEvent", "post")
    assert listener["requestBody"]["content"] == {JSON: {"schema": schema_ref("WidgetCreateEvent")}}
    assert listener["responses"]["204"] == {"description": "Notification accepted."}


def test_a_derived_fragment_is_valid_openapi() -> None:
    validate(derived())


def test_the_official_file_must_be_openapi_3() -> None:
    with pytest.raises(DeriveError, match="must be OpenAPI 3.0"):
        derived({**official(), "openapi": "2.0"})


# --------------------------------------------------------------------------- descriptions file


@pytest.mark.parametrize(
    ("wording", "message"),
    [
        pytest.param({"operations": {"listGadget": "x"}}, "unknown operationId", id="operation"),
        pytest.param({"schemas": {"Gadgets": {"_": "x"}}}, "unknown schema Gadgets", id="schema"),
        pytest.param(
            {"schemas": {"Widget": {"weight": "x"}}},
            "unknown property Widget.weight",
            id="property",
        ),
        pytest.param({"tags": {"gadget": "x"}}, r"unknown tags \['gadget'\]", id="tag"),
        pytest.param(
            {"schemas": {"JsonPatch": {"_": "x"}}}, "unknown schema JsonPatch", id="ours to word"
        ),
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


# --------------------------------------------------------------------------- committed spec


@pytest.mark.skipif(
    not all((OFFICIAL_DIR / name).is_file() for name, _, _ in V5_COMMITTED),
    reason=f"the official TM Forum v5 files are not in {OFFICIAL_DIR} (../shared/tmf-specs beside"
    f" the repository); set {derive.OFFICIAL_DIR_VARIABLE} to where they are",
)
@pytest.mark.parametrize(
    ("official_name", "descriptions", "output"),
    [pytest.param(*entry, id=entry[2]) for entry in V5_COMMITTED],
)
def test_committed_v5_spec_is_what_the_generator_makes(
    official_name: str, descriptions: str, output: str
) -> None:
    made = derive.generate(
        OFFICIAL_DIR / official_name,
        derive.DESCRIPTIONS_DIR / descriptions,
        f"specs/tools/descriptions/{descriptions}",
    )
    assert (derive.SPECS_DIR / output).read_text(encoding="utf-8") == made, (
        f"specs/{output} differs from what the generator makes: run"
        " python specs/tools/derive.py --all"
    )


class Answering(Resolver):
    """Every operation answers an empty list: what is tested is connexion reading the spec."""

    def resolve_function_from_operation_id(self, operation_id: str) -> Any:
        return lambda *args, **kwargs: ([], 200)


def test_committed_v5_spec_loads_in_connexion_and_validates_requests() -> None:
    for _, _, output in V5_COMMITTED:
        spec = configure_spec(load_spec(derive.SPECS_DIR / output), Settings(max_page_size=50))
        base = spec["servers"][0]["url"]
        app = connexion.FlaskApp(__name__)
        app.add_api(spec, base_path=base, resolver=Answering())
        client = app.test_client()
        # The first list operation (TMF637's file puts the hub and listeners first).
        resource = next(
            path
            for path, item in spec["paths"].items()
            if "get" in item and "{" not in path and not path.startswith(("/hub", "/listener"))
        )
        assert client.get(f"{base}{resource}?limit=50&sort=-id").status_code == 200
        assert client.get(f"{base}{resource}?limit=51").status_code == 400
