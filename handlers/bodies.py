"""Request body validation for JSON media types, hardened against undecodable bodies.

connexion 3.3 decodes the body before parsing and lets a UnicodeDecodeError through as a 500.
"""

from __future__ import annotations

import json
from collections.abc import AsyncGenerator
from typing import Any

from connexion.datastructures import MediaTypeDict
from connexion.exceptions import BadRequestProblem
from connexion.validators import VALIDATOR_MAP, JSONRequestBodyValidator
from starlette.types import Scope


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


def validator_map() -> dict[str, Any]:
    """connexion's validators, with every JSON media type checked by ours."""
    # connexion matches media types against these keys with wildcards, through a MediaTypeDict.
    body = MediaTypeDict({**VALIDATOR_MAP["body"], "*/*json": StrictJSONBodyValidator})
    return {**VALIDATOR_MAP, "body": body}
