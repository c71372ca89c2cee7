"""Contributor task files: the MedS-Ins JSON and Excel formats (and JSON Lines), validated.

MedS-Ins invites contributions as one file per task, in either of two forms
(JSON or Excel); the JSON Lines forms of upstream's own files are read too:

* **JSON** — a Super-NaturalInstructions-style object::

    {"Contributors": [...], "Source": [...], "URL": [...], "Categories": [...],
     "Reasoning": [...], "Definition": [...], "Input_language": [...],
     "Output_language": [...], "Instruction_language": [...], "Domains": [...],
     "Positive Examples": [{"input": ..., "output": ..., "explanation": ...}],
     "Negative Examples": [...], "Instances": [{"id": ..., "input": ..., "output": [...]}],
     "Split Type": "Train" | "Test" | "Train/Test", "Instance License": [...]}

  Header values may be a string or a list of strings (upstream files use
  both); ``output`` may be a string or a list of valid outputs.
* **Excel** — a workbook with a ``Basic Information`` sheet (one field per row:
  the field name in column A, its values in columns B, C, …, one value per
  cell) and an ``Instances`` sheet (a header row ``id | input | output`` and one
  instance per row; ``id`` is optional). Further valid outputs go in extra
  columns ``output 2``, ``output 3``, … rather than on new lines of one cell,
  because a newline is part of an output in some tasks (NER outputs list one
  entity per line). Optional ``Positive Examples`` / ``Negative Examples``
  sheets have the columns ``input | output | explanation``. Above the first
  field, a title (a lone cell that names no field and is not a near-miss of
  one: the official template's ``Task Card`` in A1) and a ``Field | Value``
  heading row are ignored.
* **JSON Lines** — the ``.jsonl`` forms the ``upstream`` source reads (see
  :func:`json_layout`): one task object, pretty-printed or on one line (as
  upstream's igakuqa and MIMIC scripts wrote them); one instance per line
  (``{"id"?, "input", "output"}``; such a file has no header, so the task
  card's definition and languages apply and :attr:`ParsedTaskFile.task` is
  None); or Hugging Face Super-NaturalInstructions rows, each an ``Instance``
  object beside the task's header keys (the same on every line). Locations are
  ``line 7`` / ``line 7.output``.

Every form becomes the same document, checked with ``jsonschema`` against
``schemas/contributor-task.schema.json`` (generated from
:class:`ContributorTaskFile` by :func:`json_schema`). A bad file raises one
:class:`~medsins.errors.InputError` naming the file and the place: a JSON path
such as ``Instances[3].output`` or an Excel location such as
``sheet Instances, row 5, column output``.

Values as upstream writes them, accepted before validation:

* ``"id": ""`` (the guideline's own JSON template) or a blank id is an absent
  id: a stable id is derived, as for a missing id or an empty Excel id cell.
* ``NaN`` / ``Infinity`` — what Python's ``json.dump`` writes for a pandas
  missing value or an infinite float — are read as Python's ``json`` reads
  them. ``NaN`` as an instance id, as an optional header field (``URL``,
  ``Domains``, ``Reasoning``, ``Split Type``, ``Instance License``) or as a
  demonstration's ``explanation`` is a missing value, i.e. absent. Anywhere a
  string is required it is a schema violation named as such ("expected a
  string, got NaN"). A contributor file is validated whole, so that rejects
  the file; the streaming ``upstream`` source rejects only that instance
  (see :func:`output_texts`, :func:`write_finite_json_copy`).

Several valid outputs (``"output": ["a", "b"]``, the Super-NaturalInstructions
form): the first is the reference answer, the record's ``output`` (upstream
MedS-Ins trains on ``output[0]`` too). All of them are valid answers for
scoring, but :class:`~medsins.records.Example` / ``Record`` have no field for
further references yet, so they are not dropped silently but handed over
apart: both sources' ``valid_outputs(raw_dir)`` maps the record id of every
instance with two or more valid outputs to all of them, in file order. Every
listed output must be valid (an empty or non-text further output rejects the
instance in ``upstream`` and the file in ``task_files``), so what is handed
over is exactly the list in the file.

The helpers at the end (task id from a file name, license and language names,
derived ids, outputs, the file layout, NaN-tolerant streaming) are shared with
the ``upstream`` source, which streams the released files of the same shape.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import math
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from medsins.errors import InputError
from medsins.plugins import Reporter, Source
from medsins.records import Example

# -- the model --------------------------------------------------------------------------

#: Text that is not empty or whitespace.
_Text = Annotated[str, Field(pattern=r"\S")]


def _as_list(value: Any) -> Any:
    # Upstream files write a one-item header field either as "x" or as ["x"].
    return [value] if isinstance(value, str) else value


def _id_text(value: Any) -> Any:
    # Excel and some scripts write numeric ids.
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


#: A string or a list of non-blank strings (normalised to a list).
TextList = Annotated[list[_Text], BeforeValidator(_as_list, json_schema_input_type=_Text | list[_Text])]
#: A :data:`TextList` with at least one entry (the fields a task cannot do without).
RequiredList = Annotated[TextList, Field(min_length=1)]
#: Like :data:`TextList`, but blank entries are allowed (upstream leaves URL as "").
LooseList = Annotated[list[str], BeforeValidator(_as_list, json_schema_input_type=str | list[str])]
#: The valid outputs of an instance: a string or a non-empty list of strings.
Outputs = Annotated[
    list[_Text],
    BeforeValidator(_as_list, json_schema_input_type=_Text | list[_Text]),
    Field(min_length=1),
]
InstanceId = Annotated[_Text, BeforeValidator(_id_text, json_schema_input_type=_Text | int)]

SplitType = Literal["Train", "Test", "Train/Test", "train", "test", "train/test"]


class _FileModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Demonstration(_FileModel):
    """A few-shot example of the task (never one of its instances)."""

    input: _Text
    output: Outputs
    explanation: str = ""


class TaskInstance(_FileModel):
    """One input with its valid outputs (the first is the reference answer)."""

    id: InstanceId | None = Field(default=None, description="Unique in the file; derived when absent.")
    input: _Text
    output: Outputs


class ContributorTaskFile(_FileModel):
    """A MedS-Ins contributor task file (Super-NaturalInstructions style)."""

    contributors: RequiredList = Field(alias="Contributors", description="Who prepared the file.")
    source: RequiredList = Field(alias="Source", description="The dataset(s) the instances come from.")
    url: LooseList = Field(default_factory=list, alias="URL", description="Where the data come from.")
    categories: RequiredList = Field(alias="Categories", description="e.g. Question Answering.")
    reasoning: LooseList = Field(default_factory=list, alias="Reasoning")
    definition: RequiredList = Field(
        alias="Definition", description="The task instruction; the first entry is used."
    )
    input_language: RequiredList = Field(alias="Input_language", description="e.g. English (or en).")
    output_language: RequiredList = Field(alias="Output_language")
    instruction_language: RequiredList = Field(alias="Instruction_language")
    domains: LooseList = Field(default_factory=list, alias="Domains")
    positive_examples: list[Demonstration] = Field(default_factory=list, alias="Positive Examples")
    negative_examples: list[Demonstration] = Field(default_factory=list, alias="Negative Examples")
    instances: list[TaskInstance] = Field(alias="Instances", min_length=1)
    split_type: SplitType | None = Field(
        default=None, alias="Split Type", description="Train, Test or Train/Test (both)."
    )
    instance_license: LooseList | None = Field(
        default=None, alias="Instance License", description="License of the instances, e.g. CC BY 4.0."
    )

    @property
    def license(self) -> str | None:
        """The SPDX id of ``Instance License``, or None when absent or not recognised."""
        return spdx_license(self.instance_license)


def json_schema() -> dict[str, Any]:
    """The JSON Schema of a contributor task file (``schemas/contributor-task.schema.json``).

    Deterministic: render it with ``json.dumps(schema, indent=2, sort_keys=True)``.
    """
    schema = ContributorTaskFile.model_json_schema(mode="validation", by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "medsins contributor task file"
    schema["description"] = (
        "A MedS-Ins contributor task file (Super-NaturalInstructions style). Header values may be a "
        "string or a list of strings; an instance's output may be a string or a list of valid outputs."
    )
    return schema


@lru_cache(maxsize=1)
def _validator() -> Any:
    import jsonschema

    schema = json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


# -- validation -------------------------------------------------------------------------

#: Maps a JSON path (tuple of keys / indexes) to a human location in the file.
Locator = Callable[[tuple[str | int, ...]], str | None]


def json_path(path: Sequence[str | int]) -> str | None:
    """``("Instances", 3, "output")`` → ``"Instances[3].output"``; the root is None."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or None


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, int | float):
        return "number"
    return {dict: "object", list: "array", str: "string", type(None): "null"}.get(type(value), "value")


def _expected(schema: dict[str, Any]) -> str:
    """A short description of what a (sub)schema accepts."""
    if "anyOf" in schema:
        return " or ".join(_expected(s) for s in schema["anyOf"])
    if "$ref" in schema:
        return "an object"
    kind = schema.get("type")
    if kind == "array":
        return f"a list of {_expected(schema.get('items', {})).removeprefix('a ').removeprefix('an ')}s"
    if kind == "null":
        return "null"
    return {"string": "a string", "integer": "an integer", "object": "an object"}.get(str(kind), "a value")


def _describe(error: Any) -> tuple[tuple[str | int, ...], str]:
    """The JSON path and a plain-words problem for one ``jsonschema`` error."""
    path = tuple(error.absolute_path)
    kind, instance, expected = error.validator, error.instance, error.validator_value
    if kind == "required":
        missing = next(k for k in expected if k not in instance)
        return (*path, missing), "missing required key"
    if kind == "additionalProperties":
        allowed = sorted(error.schema.get("properties", {}))
        extra = sorted(k for k in instance if k not in allowed)[0]
        close = difflib.get_close_matches(extra, allowed, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else f"; allowed keys: {', '.join(allowed)}"
        return (*path, extra), f"unknown key{hint}"
    if kind == "pattern":
        return path, "must not be empty or whitespace"
    if kind == "minItems":
        return path, f"must have at least {expected} item{'s' if expected != 1 else ''}"
    if kind in ("anyOf", "oneOf"):
        # A value of the right type that breaks a rule inside one branch (an empty
        # string in a list, a Split Type spelled wrong) is reported as that rule.
        specific = [e for e in error.context or () if e.validator not in ("type", "anyOf", "oneOf")]
        if specific:
            return _describe(min(specific, key=lambda e: len(e.absolute_path)))
    if kind in ("type", "anyOf", "oneOf"):
        return path, f"expected {_expected(error.schema)}, got {_json_type(instance)}"
    if kind == "enum":
        return path, f"must be one of {', '.join(map(str, expected))}, got {instance!r}"
    return path, error.message


#: Header keys a file may leave out: a NaN there (pandas' missing value) means absent.
_OPTIONAL_KEYS = frozenset({"URL", "Reasoning", "Domains", "Split Type", "Instance License"})


def _is_nan(value: Any) -> bool:
    return isinstance(value, float) and math.isnan(value)


def _missing_values_dropped(data: Any) -> Any:
    """``data`` without the values upstream writes for "nothing" (a shallow copy; ``data`` is kept).

    A blank or NaN instance id, a NaN optional header field and a NaN
    demonstration ``explanation`` are dropped, so they read as absent.
    """
    if not isinstance(data, dict):
        return data
    out = {k: v for k, v in data.items() if not (k in _OPTIONAL_KEYS and _is_nan(v))}

    def without(items: Any, key: str, missing: Callable[[Any], bool]) -> Any:
        if not isinstance(items, list):
            return items
        return [
            {k: v for k, v in item.items() if not (k == key and missing(v))} if isinstance(item, dict) else item
            for item in items
        ]

    def blank_id(value: Any) -> bool:
        return _is_nan(value) or (isinstance(value, str) and not value.strip())

    if "Instances" in out:
        out["Instances"] = without(out["Instances"], "id", blank_id)
    for key in ("Positive Examples", "Negative Examples"):
        if key in out:
            out[key] = without(out[key], "explanation", _is_nan)
    return out


def _schema_errors(validator: Any, data: Any, path: Path, locate: Locator) -> None:
    """Raise one :class:`InputError` for the first schema problem (shallowest first), counting the rest."""
    errors = [_describe(e) for e in validator.iter_errors(data)]
    if errors:
        errors.sort(key=lambda e: (len(e[0]), [str(p).zfill(9) if isinstance(p, int) else p for p in e[0]]))
        where, problem = errors[0]
        more = len(errors) - 1
        if more:
            problem += f" (and {more} more problem{'s' if more > 1 else ''} in this file)"
        raise InputError(path, locate(where), problem)


def _check_ids(instances: Sequence[TaskInstance], path: Path, locate: Locator) -> None:
    seen: dict[str, int] = {}
    for index, instance in enumerate(instances):
        if instance.id is None:
            continue
        if instance.id in seen:
            first_where = locate(("Instances", seen[instance.id]))
            problem = f"duplicate id {instance.id!r} (first at {first_where})"
            raise InputError(path, locate(("Instances", index, "id")), problem)
        seen[instance.id] = index


def validate_document(data: Any, path: Path, locate: Locator = json_path) -> ContributorTaskFile:
    """Check a parsed task file against the schema and return the model.

    Blank and NaN ids and NaN optional values are dropped first (see the module
    docstring). Raises one :class:`InputError` for the first problem (in
    document order, shallowest first), naming ``path`` and the location
    ``locate`` gives for the JSON path, and counting the other problems.
    """
    data = _missing_values_dropped(data)
    _schema_errors(_validator(), data, path, locate)
    try:
        task = ContributorTaskFile.model_validate(data)
    except ValidationError as exc:  # the schema should have caught it; name the place anyway
        first = exc.errors()[0]
        raise InputError(path, locate(tuple(first["loc"])), first["msg"]) from None
    _check_ids(task.instances, path, locate)
    return task


@lru_cache(maxsize=1)
def _instances_validator() -> Any:
    """The schema of ``{"Instances": [...]}`` alone, for a file of bare instances (no header)."""
    import jsonschema

    schema = json_schema()
    schema = {**schema, "properties": {"Instances": schema["properties"]["Instances"]}, "required": ["Instances"]}
    return jsonschema.Draft202012Validator(schema)


def validate_instances(items: list[Any], path: Path, locate: Locator = json_path) -> tuple[TaskInstance, ...]:
    """Check the instances of a file that has no header (bare JSON Lines), like :func:`validate_document`."""
    data = _missing_values_dropped({"Instances": items})
    _schema_errors(_instances_validator(), data, path, locate)
    try:
        instances = tuple(TaskInstance.model_validate(item) for item in data["Instances"])
    except ValidationError as exc:  # the schema should have caught it
        raise InputError(path, None, exc.errors()[0]["msg"]) from None
    _check_ids(instances, path, locate)
    return instances


@dataclass(frozen=True)
class ParsedTaskFile:
    """A validated contributor file and where each of its instances is in it.

    ``task`` is None for a JSON Lines file of bare instances, which has no
    header; its instances are in ``headerless``. Use :attr:`instances`.
    """

    path: Path
    task: ContributorTaskFile | None
    locations: tuple[str, ...]
    headerless: tuple[TaskInstance, ...] = ()

    @property
    def instances(self) -> Sequence[TaskInstance]:
        """The file's instances, in file order."""
        return self.task.instances if self.task is not None else self.headerless

    def where(self, index: int) -> str:
        """The location of instance ``index`` (``Instances[3]``, ``sheet Instances, row 5``, ``line 7``)."""
        return self.locations[index]


def read_contributor_file(path: Path) -> ParsedTaskFile:
    """Read and validate a contributor task file (``.json``, ``.jsonl`` or ``.xlsx``).

    Raises one :class:`InputError` naming the file and the place of the first
    problem: unreadable or truncated JSON, a bad JSON line, a schema violation,
    a missing sheet or column.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        return _read_workbook(path)
    if suffix not in (".json", ".jsonl"):
        raise InputError(path, None, "a contributor task file is a .json, .jsonl or .xlsx file")
    if suffix == ".jsonl" and json_layout(path) == "lines":
        return _read_json_lines(path)
    from medsins.formats import read_json

    data = read_json(path)  # whole-file policy: the first problem raises (an UnreadableError for bad syntax)
    task = validate_document(data, path)
    return ParsedTaskFile(path, task, tuple(f"Instances[{i}]" for i in range(len(task.instances))))


# -- JSON Lines ---------------------------------------------------------------------------

#: Keys of a Hugging Face Super-NaturalInstructions row that are not task header keys.
_ROW_KEYS = ("Instance", "id", "Task")


def _dump(value: Any) -> str:
    return json.dumps(value, sort_keys=True)  # NaN == NaN here, unlike with ==


def _read_json_lines(path: Path) -> ParsedTaskFile:
    """A ``.jsonl`` file with one instance per line, bare or in a Super-NaturalInstructions row."""
    from medsins.formats import read_jsonl

    problems: list[InputError] = []
    rows = list(read_jsonl(path, on_error=problems.append))
    if problems:  # the whole file is rejected for its first bad line
        first, more = problems[0], len(problems) - 1
        suffix = f" (and {more} more problem{'s' if more > 1 else ''} in this file)" if more else ""
        raise type(first)(first.path, first.where, first.problem + suffix)
    if not rows:
        raise InputError(path, None, "no instance lines")
    lines = tuple(where for where, _ in rows)

    def locate(json_where: tuple[str | int, ...]) -> str | None:
        if len(json_where) >= 2 and json_where[0] == "Instances" and isinstance(json_where[1], int):
            rest = json_path(json_where[2:])
            return f"{lines[json_where[1]]}.{rest}" if rest else lines[json_where[1]]
        rest = json_path(json_where)
        return f"{lines[0]}.{rest}" if rest else lines[0]

    first_where, first_row = rows[0]
    if not isinstance(first_row.get("Instance"), dict):
        for where, row in rows:
            if "Instance" in row:
                raise InputError(path, where, f"a Super-NaturalInstructions row among bare instances (like {lines[0]})")
        instances = validate_instances([row for _, row in rows], path, locate)
        return ParsedTaskFile(path, None, lines, instances)
    header = {k: v for k, v in first_row.items() if k not in _ROW_KEYS}
    same = _dump(header)
    for where, row in rows[1:]:
        if not isinstance(row.get("Instance"), dict):
            raise InputError(path, where, f"expected an Instance object, as on {first_where}")
        other = {k: v for k, v in row.items() if k not in _ROW_KEYS}
        if _dump(other) != same:
            keys = sorted(k for k in header.keys() | other.keys() if _dump(header.get(k)) != _dump(other.get(k)))
            raise InputError(path, where, f"header keys differ from {first_where} ({', '.join(keys)})")
    task = validate_document({**header, "Instances": [row["Instance"] for _, row in rows]}, path, locate)
    return ParsedTaskFile(path, task, lines)


# -- the Excel workbook -----------------------------------------------------------------

#: Field names of the "Basic Information" sheet (normalised) → JSON keys.
_HEADER_FIELDS = {
    "contributors": "Contributors",
    "contributor": "Contributors",
    "source": "Source",
    "url": "URL",
    "categories": "Categories",
    "category": "Categories",
    "reasoning": "Reasoning",
    "definition": "Definition",
    "inputlanguage": "Input_language",
    "outputlanguage": "Output_language",
    "instructionlanguage": "Instruction_language",
    "domains": "Domains",
    "textdomains": "Domains",  # the name the upstream Excel guideline uses
    "splittype": "Split Type",
    "instancelicense": "Instance License",
    "license": "Instance License",
}
_SINGLE_VALUE = {"Split Type"}
_INFO_SHEETS = ("basicinformation", "basicinfo")
_INSTANCE_SHEETS = ("instances", "instences")  # the upstream guideline spells it "Instences"
_DEMO_SHEETS = {"positiveexamples": "Positive Examples", "negativeexamples": "Negative Examples"}
_TABLE_HEADINGS = {"field", "key", "name", "item", "attribute"}


def _norm(text: str) -> str:
    return re.sub(r"[\s_\-:]+", "", text).lower()


def _column(name: str) -> str:
    """Instances/examples column names: case, spaces and underscores do not matter."""
    key = _norm(name)
    match = re.fullmatch(r"output(\d+)", key)
    if match:
        return "output" if match.group(1) == "1" else f"output {int(match.group(1))}"
    return key


def _find_sheet(path: Path, names: Sequence[str], wanted: str, required: bool) -> str | None:
    from medsins.formats import sheet_names

    found = sheet_names(path)
    for sheet in found:
        if _norm(sheet) in names:
            return sheet
    if required:
        raise InputError(path, None, f"no sheet {wanted!r}; found {', '.join(found) or 'no sheets'}")
    return None


def _read_workbook(path: Path) -> ParsedTaskFile:
    from medsins.formats import read_xlsx, read_xlsx_rows

    info_sheet = _find_sheet(path, _INFO_SHEETS, "Basic Information", required=True)
    instance_sheet = _find_sheet(path, _INSTANCE_SHEETS, "Instances", required=True)
    data: dict[str, Any] = {}
    places: dict[str, str] = {}
    heading_seen = False
    for where, cells in read_xlsx_rows(path, sheet=info_sheet):
        name, values = cells[0].strip(), [c.strip() for c in cells[1:] if c.strip()]
        key = _HEADER_FIELDS.get(_norm(name))
        close = difflib.get_close_matches(_norm(name), list(_HEADER_FIELDS), n=1) if key is None else []
        if not places and key is None:  # above the first field
            if _norm(name) in _TABLE_HEADINGS and not heading_seen:
                heading_seen = True
                continue  # an optional "Field | Value" heading row
            if name and not values and not close and not heading_seen:
                continue  # a title, such as the official template's "Task Card" (A1, merged over A1:B2)
        if not name:
            raise InputError(path, f"{where}, column A", "a value without a field name")
        if key is None:
            hint = f"; did you mean {_HEADER_FIELDS[close[0]]!r}?" if close else ""
            raise InputError(path, f"{where}, column A", f"unknown field {name!r}{hint}")
        if key in data:
            problem = f"field {key!r} given twice (first at {places[key]})"
            raise InputError(path, f"{where}, column A", problem)
        places[key] = where
        if key in _SINGLE_VALUE:
            if values:
                data[key] = values[0] if len(values) == 1 else values
        else:
            data[key] = values

    locations: list[str] = []
    instances: list[dict[str, Any]] = []
    for where, row in read_xlsx(path, sheet=instance_sheet, required=("input", "output"), rename=_column):
        _check_columns(path, where, row, {"id", "input"})
        instance: dict[str, Any] = {"input": row["input"], "output": _outputs(row)}
        if row.get("id", "").strip():
            instance["id"] = row["id"].strip()
        instances.append(instance)
        locations.append(where)
    data["Instances"] = instances
    places["Instances"] = f"sheet {instance_sheet}"

    demo_places: dict[tuple[str, int], str] = {}
    for norm_name, key in _DEMO_SHEETS.items():
        sheet = _find_sheet(path, (norm_name,), key, required=False)
        if sheet is None:
            continue
        demos = []
        for where, row in read_xlsx(path, sheet=sheet, required=("input", "output"), rename=_column):
            _check_columns(path, where, row, {"input", "explanation"})
            demo_places[(key, len(demos))] = where
            explanation = row.get("explanation", "")
            demos.append({"input": row["input"], "output": _outputs(row), "explanation": explanation})
        data[key] = demos

    def locate(json_where: tuple[str | int, ...]) -> str | None:
        head = json_where[0] if json_where else None
        if head == "Instances" and len(json_where) > 1 and isinstance(json_where[1], int):
            place = locations[json_where[1]]
            return place if len(json_where) < 3 else f"{place}, column {json_where[2]}"
        if head in _DEMO_SHEETS.values() and len(json_where) > 1:
            place = demo_places.get((str(head), int(json_where[1])), f"sheet {head}")
            return place if len(json_where) < 3 else f"{place}, column {json_where[2]}"
        if isinstance(head, str) and head in places:
            return places[head] if head != "Instances" or len(json_where) == 1 else json_path(json_where)
        if isinstance(head, str):
            return f"sheet {info_sheet}, field {head}"
        return None

    task = validate_document(data, path, locate)
    return ParsedTaskFile(path, task, tuple(locations))


def _check_columns(path: Path, where: str, row: dict[str, str], allowed: set[str]) -> None:
    for column in row:
        if column not in allowed and not column.startswith("output"):
            sheet_where = where.rsplit(", row", 1)[0]
            expected = ", ".join([*sorted(allowed), "output", "output 2", "…"])
            raise InputError(path, f"{sheet_where}, row 1", f"unknown column {column!r}; expected {expected}")


def _outputs(row: dict[str, str]) -> list[str]:
    columns = sorted(
        (c for c in row if c.startswith("output")),
        key=lambda c: int(c.split()[1]) if " " in c else 1,
    )
    return [row[c] for c in columns if row[c].strip()]


# -- helpers shared with the upstream source ---------------------------------------------

_TASK_NAME = re.compile(r"^task0*(\d+)(?=[_.\-\s]|$)", re.IGNORECASE)


def task_id_from_name(name: str) -> str | None:
    """The task id a task file's name starts with: ``task125_test_bc4chem….json`` → ``task125``."""
    match = _TASK_NAME.match(Path(name).name)
    return f"task{match.group(1)}" if match else None


_LANGUAGES = {
    "english": "en", "chinese": "zh", "mandarin": "zh", "simplified chinese": "zh",
    "japanese": "ja", "french": "fr", "russian": "ru", "spanish": "es", "german": "de",
    "italian": "it", "portuguese": "pt", "korean": "ko", "arabic": "ar", "hindi": "hi",
    "vietnamese": "vi", "dutch": "nl", "polish": "pl", "turkish": "tr",
}


def _items(value: Any) -> list[Any]:
    """The entries of a string-or-list header value; nothing for anything else (None, NaN, a number)."""
    return [value] if isinstance(value, str) else value if isinstance(value, list) else []


def language_code(value: str | Sequence[str] | None) -> str | None:
    """ISO 639-1 code of a task file's language field (``["English"]`` → ``en``).

    None when absent, when several languages are named, or when the name is
    not recognised (the task card's language is used then).
    """
    names = [v.strip() for v in _items(value) if isinstance(v, str) and v.strip()]
    codes = {_LANGUAGES.get(n.lower(), n.lower() if re.fullmatch(r"[a-zA-Z]{2}", n) else None) for n in names}
    return codes.pop() if len(codes) == 1 and None not in codes else None


_SPDX = {
    "mit": "MIT", "apache 2.0": "Apache-2.0", "apache": "Apache-2.0",
    "cc0": "CC0-1.0", "cc0 1.0": "CC0-1.0", "bsd 2 clause": "BSD-2-Clause", "bsd 3 clause": "BSD-3-Clause",
    "odbl": "ODbL-1.0", "odbl 1.0": "ODbL-1.0", "odc by": "ODC-By-1.0", "odc by 1.0": "ODC-By-1.0",
    "pddl": "PDDL-1.0", "gpl 3.0": "GPL-3.0-only", "unlicense": "Unlicense",
    "cdla permissive 1.0": "CDLA-Permissive-1.0", "cdla sharing 1.0": "CDLA-Sharing-1.0",
    "public domain": "LicenseRef-Public-Domain",
}
_CC = re.compile(r"^cc (by(?: (?:nc|sa|nd))*) (\d\.\d)$")


def spdx_license(value: str | Sequence[str] | None) -> str | None:
    """The SPDX id of an ``Instance License`` value, or None when unknown.

    Accepts the Super-NaturalInstructions spellings (``CC BY 4.0``,
    ``Apache 2.0``, ``MIT``) and SPDX ids. ``Unknown``, unrecognised names and
    several different licenses give None (the source's license, NOASSERTION,
    applies then).
    """
    found: set[str | None] = set()
    for item in _items(value):
        if not isinstance(item, str) or not item.strip():
            continue
        text = re.sub(r"[\s_\-,;()]+", " ", item.lower()).replace("licence", "license")
        text = re.sub(r"\b(license|version|v(?=\d))\b", " ", text)
        text = re.sub(r"\s+", " ", text).strip()
        cc = _CC.match(text)
        found.add(f"CC-{cc.group(1).upper().replace(' ', '-')}-{cc.group(2)}" if cc else _SPDX.get(text))
    return found.pop() if len(found) == 1 else None


def first_text(value: Any) -> str | None:
    """The first non-blank string of a string-or-list field (``Definition``), or None."""
    for item in _items(value):
        if isinstance(item, str) and item.strip():
            return item
    return None


class OutputError(ValueError):
    """A bad ``output``; ``index`` is the place in a list of outputs, or None for the value itself."""

    def __init__(self, problem: str, index: int | None = None) -> None:
        super().__init__(problem)
        self.index = index


def _one_output(value: Any, expected: str, index: int | None) -> str:
    if isinstance(value, float) and not math.isfinite(value):
        raise OutputError(f"{expected}, got {_json_type(value)}", index)  # NaN is no answer, nor "nan"
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = str(value)  # label files written with str(label) elsewhere; numbers mean the same
    if not isinstance(value, str):
        raise OutputError(f"{expected}, got {_json_type(value)}", index)
    if not value.strip():
        raise OutputError("output is empty", index)
    return value


def output_text(value: Any) -> str:
    """The reference output of an instance: the string, or the first of a list of valid outputs.

    Raises ``ValueError`` (with a plain-words reason) for any other shape,
    NaN and Infinity included. :func:`output_texts` checks every output.
    """
    if isinstance(value, list):
        if not value:
            raise OutputError("output is an empty list")
        value = value[0]
    return _one_output(value, "output must be a string or a list of strings", None)


def output_texts(value: Any) -> list[str]:
    """Every valid output of an instance, in order; the first is the reference answer.

    A string (or number) is one output. Raises :class:`OutputError` (a
    ``ValueError``) when the value or any item of the list is not a non-blank
    string or a finite number; its ``index`` names the bad item of a list.
    """
    if not isinstance(value, list):
        return [_one_output(value, "output must be a string or a list of strings", None)]
    if not value:
        raise OutputError("output is an empty list")
    return [_one_output(item, "output must be a string", index) for index, item in enumerate(value)]


def several_outputs(source_id: str, pairs: Iterable[tuple[Any, Sequence[str]]]) -> dict[str, tuple[str, ...]]:
    """Record id → all valid outputs, for each ``(Example, outputs)`` with two or more.

    The hand-over behind the sources' ``valid_outputs`` (records have no field
    for further references yet). Keyed by the id the convert stage gives the
    record (:func:`~medsins.records.record_id`); when instances share that id,
    only the first counts, as the identity check keeps the id for the first
    occurrence and gives the later ones occurrence ids.
    """
    from medsins.records import record_id

    seen: set[int] = set()
    out: dict[str, tuple[str, ...]] = {}
    for example, outputs in pairs:
        key = record_id(example.task_id, source_id, example.split.value, example.raw_id)
        digest = int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "big")
        if digest in seen:
            continue
        seen.add(digest)
        if len(outputs) > 1:
            out[key] = tuple(outputs)
    return out


def derived_raw_id(file_name: str, index: int, text: str) -> str:
    """A stable id for an instance that has none: file name, index and a hash of its input."""
    digest = hashlib.blake2b(text.encode("utf-8"), digest_size=6).hexdigest()
    return f"{Path(file_name).name}#{index}-{digest}"


def split_marker(name: str) -> str | None:
    """``test`` or ``train`` when a file name says so as a ``_``-separated word, else None."""
    words = set(re.split(r"[_.\-\s]+", Path(name).stem.lower()))
    if "test" in words:
        return "test"
    if "train" in words:
        return "train"
    return None


#: First keys of a ``.jsonl`` file with one instance per line (otherwise it is one task object).
LINE_KEYS = frozenset({"id", "input", "output", "Instance", "Task"})
#: Top-level keys that settle a ``.jsonl`` file's layout: a task object's, or a line's.
_OBJECT_KEY, _LINE_ONLY_KEYS = "Instances", frozenset({"Instance", "input", "output"})


def json_layout(path: Path) -> str:
    """``object`` (one task object), ``array`` (a list of instances) or ``lines`` (JSON Lines).

    A ``.json`` file is an object unless it starts with ``[``. A ``.jsonl``
    file is one task object (pretty-printed or on one line, as some upstream
    scripts wrote them) when its first JSON value has an ``Instances`` key, and
    one instance or Super-NaturalInstructions row per line when it has
    ``Instance``, ``input`` or ``output``, whichever comes first; only the
    first value's top-level keys are read. When they settle nothing (or the
    first value is not JSON), the first key decides: one of :data:`LINE_KEYS`
    means lines.
    """
    import ijson

    path = Path(path)
    first_key: str | None = None
    try:
        with path.open("rb") as handle:
            head = handle.read(65536).removeprefix(b"\xef\xbb\xbf").lstrip()
            if not head:
                raise InputError(path, None, "file is empty")
            if head.startswith(b"["):
                return "array"
            if path.suffix.lower() != ".jsonl":
                return "object"
            handle.seek(0)
            try:
                for prefix, event, value in ijson.parse(handle):
                    if prefix or event not in ("map_key", "end_map"):
                        continue
                    if event == "end_map":
                        break  # the end of the first value
                    first_key = value if first_key is None else first_key
                    if value == _OBJECT_KEY:
                        return "object"
                    if value in _LINE_ONLY_KEYS:
                        return "lines"
            except ijson.JSONError:
                pass  # read_jsonl / read_json report it; NaN in a header, for one
    except OSError as exc:
        raise InputError(path, None, f"cannot read: {exc.strerror}") from None
    return "object" if first_key is not None and first_key not in LINE_KEYS else "lines"


# -- NaN and Infinity in streamed files ---------------------------------------------------------
#
# Python's json module writes and reads NaN, Infinity and -Infinity (pandas' missing value
# becomes NaN); ijson, which streams the big upstream files, rejects them as malformed JSON.
# write_finite_json_copy streams a file into a copy where each of these tokens (outside
# strings) is a marker string ijson reads; restore_non_finite turns the markers back.

_NON_FINITE = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}
#: The marker strings of the copy (a NUL-delimited text no real value is expected to be).
_MARKERS = {f"\x00medsins:{token}\x00": value for token, value in _NON_FINITE.items()}
#: Longest first, so "-Infinity" is not read as "-" then "Infinity".
_TOKENS = tuple(
    (token.encode(), json.dumps(f"\x00medsins:{token}\x00").encode())
    for token in sorted(_NON_FINITE, key=len, reverse=True)
)
_STRING_BODY = re.compile(rb'[^"\\]*(?:\\.[^"\\]*)*', re.DOTALL)
_OUTSIDE_STRING = re.compile(rb'["NI-]')


def write_finite_json_copy(source: Path, target: Path, *, chunk_size: int = 1 << 20) -> int:
    """Copy a JSON file, writing each NaN / Infinity / -Infinity token as a marker string.

    Streams in ``chunk_size`` pieces (memory stays flat for any file size);
    text inside strings is copied as it is. Returns how many tokens were
    replaced (0: the copy is byte-identical). Bytes that are not valid JSON are
    copied unchanged, for the JSON reader of the copy to report.
    """
    replaced = 0
    in_string = False
    carry = b""
    with Path(source).open("rb") as src, Path(target).open("wb") as dst:
        while True:
            chunk = src.read(chunk_size)
            final = not chunk
            buf, carry = carry + chunk, b""
            out: list[bytes] = []
            i, n = 0, len(buf)
            while i < n:
                if in_string:
                    j = _STRING_BODY.match(buf, i).end()  # type: ignore[union-attr]  # always matches
                    if j < n and buf[j] == 0x22:  # the closing quote
                        out.append(buf[i : j + 1])
                        i, in_string = j + 1, False
                    else:  # the string goes on in the next chunk; a lone backslash waits for its byte
                        out.append(buf[i:j])
                        carry, i = buf[j:], n
                    continue
                found = _OUTSIDE_STRING.search(buf, i)
                if found is None:
                    out.append(buf[i:])
                    break
                k = found.start()
                out.append(buf[i:k])
                if buf[k] == 0x22:
                    out.append(b'"')
                    i, in_string = k + 1, True
                    continue
                for token, marker in _TOKENS:
                    if buf.startswith(token, k):
                        out.append(marker)
                        i = k + len(token)
                        replaced += 1
                        break
                else:
                    rest = buf[k:]
                    if not final and any(token.startswith(rest) for token, _ in _TOKENS):
                        carry, i = rest, n  # a token cut by the end of the chunk
                    else:
                        out.append(buf[k : k + 1])  # a minus sign, or not JSON
                        i = k + 1
            dst.write(b"".join(out))
            if final:
                dst.write(carry)
                return replaced


def restore_non_finite(value: Any) -> Any:
    """``value`` read from a :func:`write_finite_json_copy` copy, with the markers back as floats.

    Lists and dicts are changed in place (iteratively: any depth).
    """
    if isinstance(value, str):
        return _MARKERS.get(value, value)
    stack = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            pairs: Any = list(node.items())
        elif isinstance(node, list):
            pairs = list(enumerate(node))
        else:
            continue
        for key, item in pairs:
            if isinstance(item, str):
                if item in _MARKERS:
                    node[key] = _MARKERS[item]
            elif isinstance(item, dict | list):
                stack.append(item)
    return value


class TaskFileSource(Source):
    """Base of the sources that read task files (``task_files``, ``upstream``).

    A subclass yields ``(example, every valid output)`` pairs from
    :meth:`examples_and_outputs`; the record carries the first output, and
    :meth:`valid_outputs` gives all of them for scoring.
    """

    def examples_and_outputs(self, raw_dir: Path, report: Reporter) -> Iterator[tuple[Example, Sequence[str]]]:
        """Each instance as an example and the outputs it lists."""
        raise NotImplementedError

    def convert(self, raw_dir: Path, report: Reporter) -> Iterator[Example]:
        for example, _ in self.examples_and_outputs(raw_dir, report):
            yield example

    def valid_outputs(self, raw_dir: Path) -> dict[str, tuple[str, ...]]:
        """Record id → every valid output, for each instance that lists two or more.

        A record carries only the first (its ``output``); the others are valid
        answers too, kept here for scoring until records have a field for them. Keys are
        the ids the convert stage gives; of instances sharing an id, the first counts.
        Reads the files again; problems are not reported here (``convert`` does).
        """
        return several_outputs(self.id, self.examples_and_outputs(raw_dir, lambda error: None))
