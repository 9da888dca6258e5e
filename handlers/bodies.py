"""Request validation as connexion does it, hardened and in our words.

connexion 3.3 decodes the body before parsing and lets a UnicodeDecodeError through as a 500;
its failure messages are jsonschema's, with schema dumps and Python reprs (handlers/problems.py
says them instead, naming the parameter or the place in the body).
"""

from __future__ import annotations

import json
from collections.abc import AsyncGenerator
from typing import Any

from connexion.datastructures import MediaTypeDict
from connexion.exceptions import BadRequestProblem
from connexion.utils import is_null, is_nullable
from connexion.validators import VALIDATOR_MAP, JSONRequestBodyValidator, ParameterValidator
from jsonschema import Draft4Validator
from starlette.types import Scope

from handlers import problems


class StrictJSONBodyValidator(JSONRequestBodyValidator):  # type: ignore[misc]
    async def _parse(self, stream: AsyncGenerator[bytes, None], scope: Scope) -> Any:
        raw = b"".join([chunk async for chunk in stream])
        try:
            text = raw.decode(self._encoding)
        except (UnicodeDecodeError, LookupError):
            raise BadRequestProblem(detail=f"request body is not {self._encoding} text") from None
        if not text:
            return None
        try:
            return json.loads(text)
        except json.JSONDecodeError as error:
            raise BadRequestProblem(detail=f"request body is not valid JSON: {error}") from None

    def _validate(self, body: Any) -> dict[str, Any] | None:
        if not self._nullable and body is None:
            raise BadRequestProblem(detail="the request needs a JSON body")
        error = problems.first(self._validator.iter_errors(body))
        if error is not None:
            raise BadRequestProblem(detail=problems.describe(error))
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
