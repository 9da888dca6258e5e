"""Request validation as connexion does it, hardened and in our words.

connexion 3.3 decodes the body before parsing and lets a UnicodeDecodeError through as a 500;
its failure messages are jsonschema's, with schema dumps and Python reprs (handlers/problems.py
says them instead, naming the parameter or the place in the body).
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncGenerator
from typing import Any

from connexion.datastructures import MediaTypeDict
from connexion.exceptions import BadRequestProblem
from connexion.json_schema import Draft4RequestValidator
from connexion.utils import is_null, is_nullable
from connexion.validators import VALIDATOR_MAP, JSONRequestBodyValidator, ParameterValidator
from jsonschema import Draft4Validator
from starlette.datastructures import Headers
from starlette.types import Scope

from handlers import problems
from tmf_apis.checking import Checker

# connexion makes a body validator per request; the checker of each operation's schema is made
# once. The schemas are the operations' own, held for the life of the app: a few hundred.
_MAX_CHECKERS = 2048
_checkers: dict[int, tuple[Any, Checker]] = {}
# Each operation's body schemas as its document states them, `$ref`s kept, by API base path,
# operationId and media type: what the fast validator takes (connexion's, resolved, hold
# themselves where a schema is recursive).
_documented: dict[tuple[str, str, str], Any] = {}

# No TMF resource nests nearly this deep; deeper bodies would only exhaust the stack later.
MAX_DEPTH = 64
_SURROGATE = re.compile("[\ud800-\udfff]")


class StrictJSONBodyValidator(JSONRequestBodyValidator):  # type: ignore[misc]
    # The body schema as the operation's document states it (set by _parse, which connexion
    # always calls before _validate).
    _documented: Any = None

    async def _parse(self, stream: AsyncGenerator[bytes, None], scope: Scope) -> Any:
        raw = b"".join([chunk async for chunk in stream])
        try:
            text = raw.decode(self._encoding)
        except (UnicodeDecodeError, LookupError):
            raise BadRequestProblem(detail=f"request body is not {self._encoding} text") from None
        if not text:
            return None
        try:
            parsed = json.loads(text)
        except json.JSONDecodeError as error:
            raise BadRequestProblem(detail=f"request body is not valid JSON: {error}") from None
        except (ValueError, RecursionError):
            # Python refuses integers of more than 4,300 digits, and nesting past its stack.
            raise BadRequestProblem(
                detail="request body holds a number too long or nesting too deep to read"
            ) from None
        problem = unreadable(parsed)
        if problem:
            raise BadRequestProblem(detail=f"request body {problem}")
        routing = scope.get("extensions", {}).get("connexion_routing", {})
        media_type = Headers(scope=scope).get("content-type", "").split(";")[0].strip().lower()
        self._documented = _documented.get(
            (routing.get("api_base_path", ""), routing.get("operation_id", ""), media_type)
        )
        return parsed

    def _validate(self, body: Any) -> dict[str, Any] | None:
        if not self._nullable and body is None:
            raise BadRequestProblem(detail="the request needs a JSON body")
        error = problems.first(body_checker(self._schema, self._documented).iter_errors(body))
        if error is not None:
            raise BadRequestProblem(detail=problems.describe(error))
        return None


def document_bodies(base_path: str, spec: dict[str, Any]) -> None:
    """Keep the body schemas of `spec`'s operations, served at `base_path`, for the fast
    validator."""
    components = spec.get("components", {})
    for operations in spec.get("paths", {}).values():
        for operation in operations.values():
            if not isinstance(operation, dict) or "operationId" not in operation:
                continue
            content = (operation.get("requestBody") or {}).get("content") or {}
            for media_type, described in content.items():
                if isinstance(described, dict) and "schema" in described:
                    key = (base_path, operation["operationId"], media_type.lower())
                    _documented[key] = {"allOf": [described["schema"]], "components": components}


def body_checker(schema: dict[str, Any], documented: Any = None) -> Checker:
    """The checker of a request body schema, as connexion validates it (`nullable` and
    `readOnly` read), made once per schema; `documented` is the same schema as its document
    states it, for the fast validator."""
    found = _checkers.get(id(schema))
    if found is not None and found[0] is schema:
        return found[1]
    checker = Checker(
        Draft4RequestValidator(schema, format_checker=Draft4Validator.FORMAT_CHECKER), documented
    )
    if len(_checkers) < _MAX_CHECKERS:
        # The schema is kept with its checker, so that its id names no other schema later.
        _checkers[id(schema)] = (schema, checker)
    return checker


def unreadable(document: Any) -> str | None:
    """What makes a parsed body unusable though it is JSON: nesting deeper than MAX_DEPTH
    (every later step recurses over it), or a lone surrogate (`"\\ud800"`), which is no
    character and cannot be stored or sent as UTF-8. Walked without recursion."""
    pending: list[tuple[Any, int]] = [(document, 1)]
    while pending:
        value, depth = pending.pop()
        if isinstance(value, dict | list):
            if depth > MAX_DEPTH:
                return f"nests deeper than {MAX_DEPTH} levels"
            items = value.items() if isinstance(value, dict) else enumerate(value)
            for key, item in items:
                if isinstance(key, str) and _SURROGATE.search(key):
                    return "holds a lone UTF-16 surrogate, which is not a character"
                pending.append((item, depth + 1))
        elif isinstance(value, str) and _SURROGATE.search(value):
            return "holds a lone UTF-16 surrogate, which is not a character"
    return None


class WordedParameterValidator(ParameterValidator):  # type: ignore[misc]
    """Query, path and header parameters checked as connexion does, failures named in our words."""

    @staticmethod
    def validate_parameter(
        parameter_type: str, value: Any, param: dict[str, Any], param_name: str | None = None
    ) -> str | None:
        if value is None or (is_nullable(param) and is_null(value)):
            found: str | None = ParameterValidator.validate_parameter(
                parameter_type, value, param, param_name
            )
            return found
        schema = param.get("schema", param)
        checker = Draft4Validator(schema, format_checker=Draft4Validator.FORMAT_CHECKER)
        error = problems.first(checker.iter_errors(value))
        if error is None:
            return None
        return problems.describe(error, where=f"{parameter_type} parameter {param['name']}")


def validator_map() -> dict[str, Any]:
    """connexion's validators, with every JSON media type checked by ours."""
    # connexion matches media types against these keys with wildcards, through a MediaTypeDict.
    body = MediaTypeDict({**VALIDATOR_MAP["body"], "*/*json": StrictJSONBodyValidator})
    return {**VALIDATOR_MAP, "body": body, "parameter": WordedParameterValidator}
