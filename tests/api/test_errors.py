"""Bad input gets a 4xx TMF `Error` body, never a 500 and never a half-written record."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.builders import customer
from tmf_apis.tmf629.registry import API as TMF629

CUSTOMERS = f"{TMF629.base_path}/customer"
JSON = {"Content-Type": "application/json"}


def assert_tmf_error(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].startswith("application/json")
    body: dict[str, Any] = response.json()
    assert {"code", "reason", "message", "status", "@type"} <= set(body)
    assert body["status"] == str(status)
    assert body["@type"] == "Error"
    assert response.headers["X-Correlation-ID"]
    return body


def count_named(client: httpx.Client, name: str) -> int:
    return int(client.get(CUSTOMERS, params={"name": name}).headers["X-Total-Count"])


@pytest.mark.parametrize(
    "content",
    [b'{"name": "x",', b"[1, 2]", b"null", b'"text"', b"", b"\xff\xfe\x00bad", b"NaN"],
    ids=["truncated", "array", "null", "string", "empty", "not-utf8", "nan"],
)
def test_malformed_bodies_are_400(live_server, content: bytes) -> None:
    response = live_server.client.post(CUSTOMERS, content=content, headers=JSON)
    assert_tmf_error(response, 400)


def test_nan_inside_an_object_is_400(live_server) -> None:
    content = b'{"name": "x", "engagedParty": {"id": "1", "@referredType": "O"}, "score": NaN}'
    assert_tmf_error(live_server.client.post(CUSTOMERS, content=content, headers=JSON), 400)


@pytest.mark.parametrize(
    "body",
    [
        {"name": 42, "engagedParty": {"id": "1", "@referredType": "Organization"}},
        {"engagedParty": {"id": "1", "@referredType": "Organization"}},
        {"name": "x"},
        {"name": "x", "engagedParty": {"id": "1", "@referredType": "O"}, "contactMedium": "nope"},
    ],
    ids=["wrong-type", "missing-name", "missing-engaged-party", "array-expected"],
)
def test_schema_violations_are_400_and_store_nothing(live_server, body: dict[str, Any]) -> None:
    before = live_server.client.get(CUSTOMERS, params={"limit": 0}).headers["X-Total-Count"]
    message = assert_tmf_error(live_server.client.post(CUSTOMERS, json=body), 400)["message"]
    assert message
    after = live_server.client.get(CUSTOMERS, params={"limit": 0}).headers["X-Total-Count"]
    assert before == after


def test_operator_keys_in_a_body_are_400_and_store_nothing(live_server) -> None:
    body = customer(extension={"$gt": ""})
    assert_tmf_error(live_server.client.post(CUSTOMERS, json=body), 400)
    assert count_named(live_server.client, body["name"]) == 0


def test_operator_values_in_a_body_are_400(live_server) -> None:
    assert_tmf_error(live_server.client.post(CUSTOMERS, json=customer(name={"$gt": ""})), 400)


def test_dotted_keys_and_huge_integers_are_400(live_server) -> None:
    assert_tmf_error(live_server.client.post(CUSTOMERS, json=customer(**{"a.b": 1})), 400)
    assert_tmf_error(live_server.client.post(CUSTOMERS, json=customer(big=2**70)), 400)


def test_a_bad_date_time_is_400(live_server) -> None:
    body = customer(validFor={"startDateTime": "next tuesday"})
    assert_tmf_error(live_server.client.post(CUSTOMERS, json=body), 400)


def test_operator_looking_query_parameters_are_400(live_server) -> None:
    assert_tmf_error(live_server.client.get(CUSTOMERS, params={"name[$ne]": "x"}), 400)
    assert_tmf_error(live_server.client.get(CUSTOMERS, params={"$where": "1"}), 400)


def test_operator_looking_filter_values_match_literally(live_server) -> None:
    response = live_server.client.get(CUSTOMERS, params={"name": '{"$gt": ""}'})
    assert response.status_code == 200
    assert response.json() == []


@pytest.mark.parametrize(
    "params",
    [
        {"unknownAttribute": "x"},
        {"name.like": "x"},
        {"sort": "$natural"},
        {"fields": ""},
        {"fields": "bad field"},
        {"limit": "-1"},
        {"offset": "-5"},
        {"limit": "ten"},
        {"limit": "201"},  # the test settings' maximum page size is 200
        {"limit": "99999999999999999999999"},
        {"name.regex": "(unclosed"},
    ],
)
def test_bad_list_parameters_are_400(live_server, params: dict[str, str]) -> None:
    assert_tmf_error(live_server.client.get(CUSTOMERS, params=params), 400)


def test_unsupported_query_options_are_501(live_server) -> None:
    response = live_server.client.get(CUSTOMERS, params={"filter": "$.name"})
    assert_tmf_error(response, 501)


def test_oversized_bodies_are_413(live_server, settings) -> None:
    body = customer(note="x" * (settings.max_body_bytes + 1))
    assert_tmf_error(live_server.client.post(CUSTOMERS, json=body), 413)


def test_oversized_bodies_without_length_are_413(live_server, settings) -> None:
    def chunks():
        yield b'{"name": "'
        for _ in range(settings.max_body_bytes // 1024 + 2):
            yield b"x" * 1024
        yield b'"}'

    response = live_server.client.post(CUSTOMERS, content=chunks(), headers=JSON)
    assert_tmf_error(response, 413)


def test_unsupported_media_type_is_415(live_server) -> None:
    response = live_server.client.post(
        CUSTOMERS, content=b"name=x", headers={"Content-Type": "text/plain"}
    )
    assert_tmf_error(response, 415)


def test_unknown_routes_are_404(live_server) -> None:
    assert_tmf_error(live_server.client.get(f"{TMF629.base_path}/nothingHere"), 404)
    assert_tmf_error(live_server.client.get(f"{CUSTOMERS}/a/b"), 404)
    assert_tmf_error(live_server.client.get(f"{CUSTOMERS}/bad%0Aid"), 404)
    # A newline as the whole id: the path ends with it, which `$` in a pattern would accept.
    assert_tmf_error(live_server.client.get(f"{CUSTOMERS}/%0A"), 404)


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("PUT", CUSTOMERS, "GET, POST"),
        ("HEAD", CUSTOMERS, "GET, POST"),
        ("OPTIONS", f"{CUSTOMERS}/x", "DELETE, GET, PATCH"),
        ("TRACE", f"{CUSTOMERS}/x", "DELETE, GET, PATCH"),
        ("PUT", f"{TMF629.base_path}/hub", "GET, POST"),
    ],
)
def test_wrong_methods_are_405_with_allow(live_server, method: str, path: str, allow: str) -> None:
    response = live_server.client.request(method, path)
    assert response.status_code == 405
    assert response.headers["Allow"] == allow
    if method != "HEAD":
        assert_tmf_error(response, 405)


def test_a_callers_correlation_id_is_echoed(live_server) -> None:
    response = live_server.client.get(
        f"{CUSTOMERS}/missing", headers={"X-Correlation-ID": "crm-req-42"}
    )
    assert response.headers["X-Correlation-ID"] == "crm-req-42"


def test_patch_with_an_unsupported_media_type_is_415(live_server) -> None:
    created = live_server.client.post(CUSTOMERS, json=customer()).json()
    response = live_server.client.patch(
        f"{CUSTOMERS}/{created['id']}", content=b"x", headers={"Content-Type": "text/plain"}
    )
    assert_tmf_error(response, 415)


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"limit": "5000"}, "limit: must be at most 200"),
        ({"offset": "-1"}, "offset: must be at least 0"),
        ({"limit": "ten"}, "limit: must be a whole number"),
        ({"sort": "nosuch"}, "'nosuch'"),
        ({"fields": "nosuch"}, "'nosuch'"),
    ],
)
def test_bad_parameters_are_explained_in_plain_words(
    live_server, params: dict[str, str], named: str
) -> None:
    message = assert_tmf_error(live_server.client.get(CUSTOMERS, params=params), 400)["message"]
    assert named in message
    assert "Failed validating" not in message and "{'" not in message


def test_patch_failures_carry_no_python_reprs(live_server) -> None:
    client = live_server.client
    created = client.post(CUSTOMERS, json=customer(name="Repr check")).json()
    url = f"{CUSTOMERS}/{created['id']}"
    patch = {"Content-Type": "application/json-patch+json"}

    failed_test = client.patch(
        url, headers=patch, json=[{"op": "test", "path": "/name", "value": "x"}]
    )
    missing = client.patch(url, headers=patch, json=[{"op": "add", "path": "/a/b", "value": 1}])
    malformed = client.patch(url, headers=patch, json=[{"op": "frob", "path": "/name"}])
    wrong_type = client.patch(url, json={"name": 5})

    for response, status in (
        (failed_test, 409),
        (missing, 409),
        (malformed, 400),
        (wrong_type, 400),
    ):
        message = assert_tmf_error(response, status)["message"]
        assert "<class" not in message and "{'" not in message, message
        assert "Failed validating" not in message, message
    assert "operation 0 (test /name)" in failed_test.json()["message"]
    assert "/a/b" in missing.json()["message"]
    assert "name: must be a string" in wrong_type.json()["message"]
