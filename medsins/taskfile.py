"""Contributor task files: the MedS-Ins JSON and Excel formats, validated.

MedS-Ins invites contributions as one file per task, in either of two forms:

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
  sheets have the columns ``input | output | explanation``.

Both forms become the same document, checked with ``jsonschema`` against
``schemas/contributor-task.schema.json`` (generated from
:class:`ContributorTaskFile` by :func:`json_schema`). A bad file raises one
:class:`~medsins.errors.InputError` naming the file and the place: a JSON path
such as ``Instances[3].output`` or an Excel location such as
``sheet Instances, row 5, column output``.

The helpers at the end (task id from a file name, license and language names,
derived ids) are shared with the ``upstream`` source, which streams the
released files of the same shape.
"""

from __future__ import annotations

import difflib
import hashlib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from medsins.errors import InputError

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


def validate_document(data: Any, path: Path, locate: Locator = json_path) -> ContributorTaskFile:
    """Check a parsed task file against the schema and return the model.

    Raises one :class:`InputError` for the first problem (in document order,
    shallowest first), naming ``path`` and the location ``locate`` gives for
    the JSON path, and counting the other problems.
    """
    errors = [_describe(e) for e in _validator().iter_errors(data)]
    if errors:
        errors.sort(key=lambda e: (len(e[0]), [str(p).zfill(9) if isinstance(p, int) else p for p in e[0]]))
        where, problem = errors[0]
        more = len(errors) - 1
        if more:
            problem += f" (and {more} more problem{'s' if more > 1 else ''} in this file)"
        raise InputError(path, locate(where), problem)
    try:
        task = ContributorTaskFile.model_validate(data)
    except ValidationError as exc:  # the schema should have caught it; name the place anyway
        first = exc.errors()[0]
        raise InputError(path, locate(tuple(first["loc"])), first["msg"]) from None
    seen: dict[str, int] = {}
    for index, instance in enumerate(task.instances):
        if instance.id is None:
            continue
        if instance.id in seen:
            first_where = locate(("Instances", seen[instance.id]))
            problem = f"duplicate id {instance.id!r} (first at {first_where})"
            raise InputError(path, locate(("Instances", index, "id")), problem)
        seen[instance.id] = index
    return task


@dataclass(frozen=True)
class ParsedTaskFile:
    """A validated contributor file and where each of its instances is in it."""

    path: Path
    task: ContributorTaskFile
    locations: tuple[str, ...]

    def where(self, index: int) -> str:
        """The location of instance ``index`` (``Instances[3]`` or ``sheet Instances, row 5``)."""
        return self.locations[index]


def read_contributor_file(path: Path) -> ParsedTaskFile:
    """Read and validate a contributor task file (``.json`` or ``.xlsx``).

    Raises one :class:`InputError` naming the file and the place of the first
    problem: unreadable or truncated JSON, a schema violation, a missing sheet
    or column.
    """
    path = Path(path)
    if path.suffix.lower() == ".xlsx":
        return _read_workbook(path)
    if path.suffix.lower() != ".json":
        raise InputError(path, None, "a contributor task file is a .json or .xlsx file")
    from medsins.formats import read_json

    data = read_json(path)
    task = validate_document(data, path)
    return ParsedTaskFile(path, task, tuple(f"Instances[{i}]" for i in range(len(task.instances))))


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
    first_row = True
    for where, cells in read_xlsx_rows(path, sheet=info_sheet):
        name, values = cells[0].strip(), [c.strip() for c in cells[1:] if c.strip()]
        if first_row and _norm(name) in _TABLE_HEADINGS:
            first_row = False
            continue  # an optional "Field | Value" heading row
        first_row = False
        if not name:
            raise InputError(path, f"{where}, column A", "a value without a field name")
        key = _HEADER_FIELDS.get(_norm(name))
        if key is None:
            close = difflib.get_close_matches(_norm(name), list(_HEADER_FIELDS), n=1)
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


def language_code(value: str | Sequence[str] | None) -> str | None:
    """ISO 639-1 code of a task file's language field (``["English"]`` → ``en``).

    None when absent, when several languages are named, or when the name is
    not recognised (the task card's language is used then).
    """
    names = [v.strip() for v in _as_list(value or []) if isinstance(v, str) and v.strip()]
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
    for item in _as_list(value or []):
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
    for item in _as_list(value if value is not None else []):
        if isinstance(item, str) and item.strip():
            return item
    return None


def output_text(value: Any) -> str:
    """The reference output of an instance: the string, or the first of a list of valid outputs.

    Raises ``ValueError`` (with a plain-words reason) for any other shape.
    """
    if isinstance(value, list):
        if not value:
            raise ValueError("output is an empty list")
        value = value[0]
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = str(value)  # label files written with str(label) elsewhere; numbers mean the same
    if not isinstance(value, str):
        raise ValueError(f"output must be a string or a list of strings, got {_json_type(value)}")
    if not value.strip():
        raise ValueError("output is empty")
    return value


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
