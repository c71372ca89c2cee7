"""schemas/ holds exactly what the pydantic models generate."""

from __future__ import annotations

import json

import jsonschema
import pytest

from medsins import schemas
from medsins.records import Record


@pytest.mark.parametrize("name", schemas.names())
def test_schema_file_matches_its_model(name):
    path = schemas.schema_dir() / name
    assert path.exists(), f"{path} missing: run python -m medsins.schemas"
    assert path.read_text(encoding="utf-8") == schemas.render(name), (
        f"{name} drifted from its model: run python -m medsins.schemas"
    )


def test_no_stray_schema_files():
    assert sorted(p.name for p in schemas.schema_dir().glob("*.json")) == schemas.names()


def test_record_schema_validates_a_converted_record(catalog):
    from medsins.convert import convert_source

    record = next(r for r in convert_source(catalog.get("pubmedqa"), None, catalog.registry) if isinstance(r, Record))
    validator = jsonschema.Draft202012Validator(schemas.load("record.schema.json"))
    validator.validate(json.loads(record.model_dump_json()))
    broken = {**json.loads(record.model_dump_json()), "task_id": "T-1"}
    assert list(validator.iter_errors(broken))
