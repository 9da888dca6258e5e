"""Every OpenAPI document in specs/ is valid, and every operation resolves to a handler."""

from __future__ import annotations

from pathlib import Path

import pytest
from connexion.exceptions import InvalidSpecification
from connexion.spec import OpenAPISpecification
from openapi_spec_validator import validate

from app import checked_when_built, configure_spec, load_spec
from settings import Settings
from tmf_apis import APIS

SPECS = sorted((Path(__file__).parent.parent / "specs").glob("*.yaml"))


def test_specs_exist() -> None:
    assert SPECS


@pytest.mark.parametrize("path", SPECS, ids=[p.name for p in SPECS])
def test_spec_is_valid_openapi(path: Path) -> None:
    validate(load_spec(path))


@pytest.mark.parametrize("api", [pytest.param(a, id=f"{a.tmf}-{a.version}") for a in APIS])
def test_every_registered_api_has_its_spec(api) -> None:
    spec = load_spec(Path(__file__).parent.parent / "specs" / api.spec)
    assert spec["servers"][0]["url"] == api.base_path
    assert spec["info"]["x-tmf-api"] == api.tmf


@pytest.mark.parametrize("path", SPECS, ids=[p.name for p in SPECS])
def test_spec_as_served_passes_connexions_own_check(path: Path) -> None:
    # The server skips this check at start-up (app.checked_when_built): here is where it runs.
    OpenAPISpecification._validate_spec(configure_spec(load_spec(path), Settings()))


def test_connexion_checks_specs_again_once_ours_are_added() -> None:
    broken = {"openapi": "3.0.3", "info": {"title": "x"}, "paths": {}}
    with checked_when_built():
        OpenAPISpecification._validate_spec(broken)
    with pytest.raises(InvalidSpecification, match="version"):
        OpenAPISpecification._validate_spec(broken)
