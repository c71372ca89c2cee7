"""JSON Schemas generated from the pydantic models (``python -m medsins.schemas``).

``schemas/`` in the checkout (``medsins/_schemas`` in an installed wheel) holds
the generated files; ``tests/test_schemas.py`` fails when a model and its file
drift apart. Contributors' tools can validate against them without Python.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from medsins.records import Record, SourceManifest, Task


def schema_dir() -> Path:
    """Where the schema files are: inside the installed package, or the checkout."""
    package = Path(__file__).resolve().parent
    installed = package / "_schemas"
    return installed if installed.is_dir() else package.parent / "schemas"


def _model_schema(model: type[BaseModel], title: str) -> Callable[[], dict[str, Any]]:
    def make() -> dict[str, Any]:
        schema = model.model_json_schema(mode="validation")
        schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
        schema["title"] = title
        return schema

    return make


def _contributor_schema() -> dict[str, Any]:
    from medsins.taskfile import json_schema

    return json_schema()


#: File name -> schema factory. Every file in schemas/ comes from here.
SCHEMAS: dict[str, Callable[[], dict[str, Any]]] = {
    "record.schema.json": _model_schema(Record, "medsins record"),
    "task.schema.json": _model_schema(Task, "medsins task card"),
    "source-manifest.schema.json": _model_schema(SourceManifest, "medsins source manifest"),
}


def _all_schemas() -> dict[str, Callable[[], dict[str, Any]]]:
    try:
        import medsins.taskfile  # noqa: F401  (present once contributor task files are supported)
    except ImportError:
        return SCHEMAS
    return {**SCHEMAS, "contributor-task.schema.json": _contributor_schema}


def render(name: str) -> str:
    """The exact text of schema file ``name``."""
    return json.dumps(_all_schemas()[name](), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def names() -> list[str]:
    """Every generated schema file name."""
    return sorted(_all_schemas())


def load(name: str) -> dict[str, Any]:
    """A schema file as shipped (for validation with ``jsonschema``)."""
    return json.loads((schema_dir() / name).read_text(encoding="utf-8"))


def write_all(target: Path | None = None) -> list[Path]:
    """(Re)generate every schema file."""
    folder = target or schema_dir()
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name in names():
        path = folder / name
        path.write_text(render(name), encoding="utf-8")
        written.append(path)
    return written


if __name__ == "__main__":
    for path in write_all(Path(sys.argv[1]) if len(sys.argv) > 1 else None):
        print(path)
