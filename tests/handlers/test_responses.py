"""Response bodies: compact UTF-8 JSON, whatever a stored document holds."""

from __future__ import annotations

import json

from handlers.responses import dumps


def test_a_body_is_compact_utf8_json_in_the_documents_order() -> None:
    body = {"id": "1", "name": "Zoë", "items": [1, 2.5, None, True], "nested": {"b": 1, "a": 2}}
    written = dumps(body)
    assert (
        written
        == '{"id":"1","name":"Zoë","items":[1,2.5,null,true],"nested":{"b":1,"a":2}}'.encode()
    )
    assert json.loads(written) == body


def test_an_integer_beyond_64_bits_is_written_too() -> None:
    # A client may store one (bodies of up to 4,300 digits are read); orjson cannot write it.
    body = {"id": "1", "quantity": 10**40, "price": -(2**70)}
    assert json.loads(dumps(body)) == body
