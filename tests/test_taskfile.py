"""Contributor task files (JSON and Excel) and the task_files source."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from openpyxl import Workbook

from medsins.convert import Rejection, convert_source
from medsins.errors import InputError
from medsins.records import Record
from medsins.taskfile import (
    ContributorTaskFile,
    derived_raw_id,
    json_schema,
    language_code,
    output_text,
    read_contributor_file,
    spdx_license,
    split_marker,
    task_id_from_name,
    validate_document,
)

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "sources" / "task_files" / "sample"
JSON_SAMPLE = SAMPLE / "task114_contributed_question_summaries.json"
XLSX_SAMPLE = SAMPLE / "task65_contributed_medication_answers.xlsx"


def _task(**changes: object) -> dict:
    """A small valid task file document, with top-level keys replaced or (value None) removed."""
    doc = {
        "Contributors": ["A. Contributor"],
        "Source": ["invented"],
        "URL": [""],
        "Categories": ["Text Summarization"],
        "Reasoning": [],
        "Definition": ["Shorten the question."],
        "Input_language": ["English"],
        "Output_language": ["English"],
        "Instruction_language": ["English"],
        "Domains": ["Medicine"],
        "Positive Examples": [
            {"input": "Is it bad to skip breakfast?", "output": "Is skipping breakfast harmful?",
             "explanation": "kept the question"},
        ],
        "Negative Examples": [],
        "Instances": [
            {"id": "a-1", "input": "Can I run with a cold?", "output": ["Is running with a cold safe?"]},
            {"id": "a-2", "input": "Why do my ears pop on planes?",
             "output": ["What makes ears pop in flight?", "Why do ears pop?"]},
            {"input": "Is coffee bad for my heart?", "output": "Does coffee harm the heart?"},
        ],
        "Split Type": "Train",
        "Instance License": ["CC BY 4.0"],
    }
    for key, value in changes.items():
        if value is None:
            doc.pop(key, None)
        else:
            doc[key] = value
    return doc


def _write(folder: Path, name: str, doc: object) -> Path:
    path = folder / name
    path.write_text(json.dumps(doc, ensure_ascii=False, indent=2), encoding="utf-8")
    return path


def _one_error(path: Path) -> InputError:
    with pytest.raises(InputError) as info:
        read_contributor_file(path)
    return info.value


# -- the model and its schema -----------------------------------------------------------


def test_schema_is_valid_and_matches_the_model_keys():
    import jsonschema

    schema = json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    assert set(schema["properties"]) == {
        "Contributors", "Source", "URL", "Categories", "Reasoning", "Definition", "Input_language",
        "Output_language", "Instruction_language", "Domains", "Positive Examples", "Negative Examples",
        "Instances", "Split Type", "Instance License",
    }
    assert sorted(schema["required"]) == sorted([
        "Contributors", "Source", "Categories", "Definition", "Input_language", "Output_language",
        "Instruction_language", "Instances",
    ])
    assert schema["additionalProperties"] is False
    # Rendering is deterministic (the lead's schema-sync test relies on it).
    assert json.dumps(json_schema(), indent=2, sort_keys=True) == json.dumps(schema, indent=2, sort_keys=True)
    shipped = json.loads((REPO / "schemas" / "contributor-task.schema.json").read_text(encoding="utf-8"))
    assert shipped == schema


def test_upstream_quirks_are_valid_and_normalised(tmp_path):
    # Upstream scripts write one-item header fields as plain strings and outputs as strings.
    doc = _task(Contributors="Jungo Kasai", Source="IgakuQA", URL="https://example.org", Definition="Do it.")
    task = validate_document(doc, tmp_path / "task59_x.json")
    assert task.contributors == ["Jungo Kasai"]
    assert task.definition == ["Do it."]
    assert task.url == ["https://example.org"]
    assert task.instances[2].output == ["Does coffee harm the heart?"]
    assert task.instances[2].id is None
    assert task.license == "CC-BY-4.0"
    assert task.split_type == "Train"


def test_json_sample_parses_with_every_field():
    parsed = read_contributor_file(JSON_SAMPLE)
    task = parsed.task
    assert isinstance(task, ContributorTaskFile)
    assert task.categories == ["Text Summarization"]
    assert task.domains == ["Medicine", "Consumer Health"]
    assert len(task.instances) == 4
    assert task.instances[0].output == [
        "Can a blood pressure medicine cause a persistent dry cough?",
        "Is a dry cough a side effect of my new blood pressure pill?",
    ]
    assert task.instances[3].id is None
    assert task.positive_examples[0].output == ["Does eye patching work for a lazy eye in a six-year-old?"]
    assert task.negative_examples[0].explanation.startswith("A topic is not a question")
    assert parsed.locations == ("Instances[0]", "Instances[1]", "Instances[2]", "Instances[3]")
    assert task.license == "CC-BY-4.0"


# -- malformed JSON files: one error each, naming the file and the place -----------------


@pytest.mark.parametrize(
    ("changes", "where", "problem"),
    [
        ({"Definition": None}, "Definition", "missing required key"),
        ({"Instances": {"id": "1"}}, "Instances", "expected a list of objects, got object"),
        ({"Instances": []}, "Instances", "must have at least 1 item"),
        ({"Definition": ["  "]}, "Definition[0]", "must not be empty or whitespace"),
        ({"Split Type": "Both"}, "Split Type", "must be one of Train, Test, Train/Test"),
        ({"Defintion": ["typo"]}, "Defintion", "unknown key; did you mean 'Definition'?"),
    ],
)
def test_header_violations(tmp_path, changes, where, problem):
    path = _write(tmp_path, "task114_bad.json", _task(**changes))
    error = _one_error(path)
    assert error.path == str(path)
    assert error.where == where
    assert error.problem.startswith(problem)


@pytest.mark.parametrize(
    ("instance", "where", "problem"),
    [
        ({"id": "x", "input": "q", "output": 5}, "Instances[1].output",
         "expected a string or a list of strings, got number"),
        ({"id": "x", "input": "q", "output": {"text": "a"}}, "Instances[1].output",
         "expected a string or a list of strings, got object"),
        ({"id": "x", "input": "q", "output": []}, "Instances[1].output", "must have at least 1 item"),
        ({"id": "x", "input": "q", "output": ["ok", " "]}, "Instances[1].output[1]", "must not be empty"),
        ({"id": "x", "input": "", "output": ["a"]}, "Instances[1].input", "must not be empty or whitespace"),
        ({"id": "x", "output": ["a"]}, "Instances[1].input", "missing required key"),
        ({"id": "x", "input": "q", "output": ["a"], "label": 1}, "Instances[1].label", "unknown key"),
        ({"id": "a-1", "input": "q", "output": ["a"]}, "Instances[1].id",
         "duplicate id 'a-1' (first at Instances[0])"),
    ],
)
def test_instance_violations(tmp_path, instance, where, problem):
    doc = _task(Instances=[{"id": "a-1", "input": "fine", "output": ["fine"]}, instance])
    error = _one_error(_write(tmp_path, "task114_bad.json", doc))
    assert error.where == where
    assert error.problem.startswith(problem)


def test_several_problems_give_one_error_that_counts_the_rest(tmp_path):
    doc = _task(Definition=None, Instances=[{"input": "", "output": 3}])
    error = _one_error(_write(tmp_path, "task114_bad.json", doc))
    assert error.where == "Definition"  # shallowest first
    assert error.problem == "missing required key (and 2 more problems in this file)"


def test_truncated_json(tmp_path):
    text = json.dumps(_task(), indent=2)
    path = tmp_path / "task114_cut.json"
    path.write_text(text[: len(text) // 2], encoding="utf-8")
    error = _one_error(path)
    assert error.path == str(path)
    assert error.where.startswith("line ")
    assert "truncated" in error.problem


def test_wrong_encoding(tmp_path):
    path = tmp_path / "task114_latin1.json"
    text = json.dumps(_task(Definition=["Résumé la question."]), ensure_ascii=False, indent=2)
    path.write_bytes(text.encode("latin-1"))
    error = _one_error(path)
    definition_line = text[: text.index("Résumé")].count("\n") + 1
    assert error.where == f"line {definition_line}"
    assert "not valid utf-8" in error.problem


def test_not_a_task_file_suffix(tmp_path):
    path = tmp_path / "task114.csv"
    path.write_text("input,output\n", encoding="utf-8")
    assert "a .json, .jsonl or .xlsx file" in _one_error(path).problem


# -- the Excel workbook -----------------------------------------------------------------


def test_xlsx_sample_parses():
    parsed = read_contributor_file(XLSX_SAMPLE)
    task = parsed.task
    assert task.contributors == ["medsins sample (hand-written)"]
    assert task.url == []  # an empty URL cell
    assert task.domains == ["Pharmacology", "Consumer Health"]  # "Text Domains", two cells
    assert task.split_type == "Train"
    assert task.license == "CC0-1.0"
    assert [i.id for i in task.instances] == ["1", "2", "3"]  # numeric ids become strings
    assert len(task.instances[1].output) == 2  # "Output 2" column
    assert task.instances[0].output[0].startswith("Take them with orange juice")
    # The blank row 4 is skipped; locations keep the real row numbers.
    assert parsed.locations == ("sheet Instances, row 2", "sheet Instances, row 3", "sheet Instances, row 5")


def _workbook(path: Path, *, info: list[tuple] | None = None, instances: list[tuple] | None = None,
              instance_sheet: str = "Instances") -> Path:
    book = Workbook()
    sheet = book.active
    sheet.title = "Basic Information"
    for row in info if info is not None else [
        ("Contributors", "A. Contributor"), ("Source", "invented"), ("Categories", "Question Answering"),
        ("Definition", "Answer the question."), ("Input_language", "English"), ("Output_language", "English"),
        ("Instruction_language", "English"),
    ]:
        sheet.append(row)
    if instance_sheet:
        rows = book.create_sheet(instance_sheet)
        for row in instances if instances is not None else [("input", "output"), ("q1", "a1"), ("q2", "a2")]:
            rows.append(row)
    book.save(path)
    return path


def test_xlsx_minimal_and_the_guideline_sheet_spelling(tmp_path):
    # The upstream guideline calls the sheet "Instences"; headers are case-insensitive.
    path = _workbook(tmp_path / "task65_a.xlsx", instance_sheet="Instences",
                     instances=[("Input", "OUTPUT"), ("q1", "a1")])
    parsed = read_contributor_file(path)
    assert parsed.task.instances[0].input == "q1"
    assert parsed.locations == ("sheet Instences, row 2",)


@pytest.mark.parametrize(
    ("kwargs", "where", "problem"),
    [
        ({"instance_sheet": ""}, None, "no sheet 'Instances'; found Basic Information"),
        ({"instances": [("id", "input"), ("1", "q")]}, "sheet Instances, row 1", "missing column(s) output"),
        ({"instances": [("input", "output", "notes"), ("q", "a", "n")]}, "sheet Instances, row 1",
         "unknown column 'notes'"),
        ({"instances": [("input", "output"), ("q", "a"), ("", "b")]}, "sheet Instances, row 3, column input",
         "must not be empty or whitespace"),
        ({"instances": [("input", "output"), ("q", "")]}, "sheet Instances, row 2, column output",
         "must have at least 1 item"),
        ({"info": [("Contributors", "x"), ("Definiton", "y")]}, "sheet Basic Information, row 2, column A",
         "unknown field 'Definiton'; did you mean 'Definition'?"),
        ({"info": [("Contributors", "x"), ("Source", "s"), ("Categories", "c"), ("Input_language", "English"),
                   ("Output_language", "English"), ("Instruction_language", "English")]},
         "sheet Basic Information, field Definition", "missing required key"),
        ({"info": [("Contributors", "x"), ("Contributors", "y")]}, "sheet Basic Information, row 2, column A",
         "field 'Contributors' given twice (first at sheet Basic Information, row 1)"),
    ],
)
def test_xlsx_violations(tmp_path, kwargs, where, problem):
    path = _workbook(tmp_path / "task65_bad.xlsx", **kwargs)
    error = _one_error(path)
    assert error.path == str(path)
    assert error.where == where
    assert error.problem.startswith(problem)


def test_xlsx_that_is_not_a_workbook(tmp_path):
    path = tmp_path / "task65_fake.xlsx"
    path.write_bytes(b"PK\x03\x04 not really a zip")
    assert "not a readable .xlsx workbook" in _one_error(path).problem


# -- shared helpers ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (["CC BY 4.0"], "CC-BY-4.0"), ("CC BY-NC-SA 4.0", "CC-BY-NC-SA-4.0"),
        ("CC-BY-SA-4.0", "CC-BY-SA-4.0"),
        ("Apache 2.0", "Apache-2.0"), ("Apache License, Version 2.0", "Apache-2.0"), ("MIT", "MIT"),
        ("CC0 1.0", "CC0-1.0"), (["Unknown"], None), ("Dedicated License", None), (None, None),
        (["MIT", "MIT"], "MIT"), (["MIT", "CC BY 4.0"], None),
    ],
)
def test_spdx_license(value, expected):
    assert spdx_license(value) == expected


def test_names_languages_outputs():
    assert task_id_from_name("task125_test_bc4chem_named_enetity_recognition.json") == "task125"
    assert task_id_from_name("Task007_x.xlsx") == "task7"
    assert task_id_from_name("task12.json") == "task12"
    assert task_id_from_name("task1a_x.json") is None
    assert task_id_from_name("RewriteDefinitions.json") is None
    assert split_marker("task130_DDXPlus_text_classification_test.json") == "test"
    assert split_marker("task51_mmedbench_explanation_chinese_test_only.jsonl") == "test"
    assert split_marker("task1_latest_results.json") is None
    assert split_marker("task3_train.xlsx") == "train"
    assert language_code(["English"]) == "en"
    assert language_code("Japanese") == "ja"
    assert language_code("zh") == "zh"
    assert language_code(["English", "Chinese"]) is None
    assert language_code(["Klingon"]) is None
    assert output_text(["first", "second"]) == "first"
    assert output_text(3) == "3"
    bad_outputs = (([], "empty list"), ({"a": 1}, "got object"), (" ", "output is empty"), (None, "got null"))
    for bad, reason in bad_outputs:
        with pytest.raises(ValueError, match=reason):
            output_text(bad)


# -- the task_files source --------------------------------------------------------------


def _convert(catalog, raw: Path | None) -> tuple[list[Record], list[Rejection]]:
    items = list(convert_source(catalog.get("task_files"), raw, catalog.registry))
    return [i for i in items if isinstance(i, Record)], [i for i in items if isinstance(i, Rejection)]


def test_manifest_lists_every_registry_task(catalog):
    manifest = catalog.get("task_files").manifest
    expected = [t.id for t in catalog.registry if t.in_meds_ins or t.benchmark]
    assert sorted(manifest.tasks) == sorted(expected)
    assert len(manifest.tasks) == 125
    assert manifest.native is False
    assert manifest.license == "NOASSERTION"


def test_sample_converts(catalog):
    records, rejections = _convert(catalog, None)
    assert rejections == []
    assert [(r.task_id, r.raw_id, r.split.value, r.license) for r in records] == [
        ("task114", "task114-sample-1", "train", "CC-BY-4.0"),
        ("task114", "task114-sample-2", "train", "CC-BY-4.0"),
        ("task114", "task114-sample-3", "train", "CC-BY-4.0"),
        ("task114", records[3].raw_id, "train", "CC-BY-4.0"),
        ("task65", "1", "train", "CC0-1.0"),
        ("task65", "2", "train", "CC0-1.0"),
        ("task65", "3", "train", "CC0-1.0"),
    ]
    assert records[3].raw_id.startswith("task114_contributed_question_summaries.json#3-")
    first = records[0]
    assert first.output == "Can a blood pressure medicine cause a persistent dry cough?"  # first output
    assert first.instruction.startswith("Rewrite the consumer's health message")  # the file's Definition
    assert first.origin == "task114_contributed_question_summaries.json, Instances[0]"
    assert first.category.value == "Text Summarization"
    assert records[4].origin == "task65_contributed_medication_answers.xlsx, sheet Instances, row 2"
    again, _ = _convert(catalog, None)
    assert [r.id for r in again] == [r.id for r in records]


def test_one_bad_file_is_one_rejection_and_the_others_convert(tmp_path, catalog):
    _write(tmp_path, "task114_good.json", _task())
    _write(tmp_path, "task114_bad.json", _task(Instances=[{"id": "1", "input": "q", "output": 7}]))
    _write(tmp_path, "task999_unknown.json", _task())
    _workbook(tmp_path / "medication_answers.xlsx")
    records, rejections = _convert(catalog, tmp_path)
    assert [r.raw_id for r in records] == ["a-1", "a-2", records[2].raw_id]
    assert [(j.origin, j.reason) for j in rejections] == [
        ("medication_answers.xlsx", "the file name must start with its task id, e.g. task114_<name>.json"),
        ("task114_bad.json, Instances[0].output", "expected a string or a list of strings, got number"),
        ("task999_unknown.json", "the file name names task999, which is not a MedS-Ins or MedS-Bench task"),
    ]


def test_positive_example_among_instances_is_reported(tmp_path, catalog):
    leak = {"id": "leak", "input": "Is it bad to  skip breakfast?", "output": ["Is skipping breakfast bad?"]}
    instances = [*_task()["Instances"], leak]
    _write(tmp_path, "task114_leak.json", _task(Instances=instances))
    records, rejections = _convert(catalog, tmp_path)
    assert len(records) == 3
    assert [(j.origin, j.reason) for j in rejections] == [(
        "task114_leak.json, Instances[3]",
        "input repeats Positive Examples[0]; a few-shot example must not be an instance",
    )]
    demos = catalog.get("task_files").demonstrations(tmp_path)
    assert demos == {"task114": [("Is it bad to skip breakfast?", "Is skipping breakfast harmful?")]}


def test_split_rules(tmp_path, catalog):
    many = [{"id": f"i{n}", "input": f"question {n}?", "output": [f"answer {n}"]} for n in range(200)]
    _write(tmp_path, "task114_both.json", _task(**{"Split Type": "Train/Test", "Instances": many}))
    _write(tmp_path, "task114_x_test.json", _task(**{"Split Type": None}))
    _write(tmp_path, "task52_rationales.json", _task(**{"Split Type": None}))  # a test-only task
    _write(tmp_path, "task114_y_test.json", _task(**{"Split Type": "Train"}))  # name and field disagree
    records, rejections = _convert(catalog, tmp_path)
    by_file: dict[str, list[str]] = {}
    for r in records:
        by_file.setdefault(r.origin.split(",")[0], []).append(r.split.value)
    both = by_file["task114_both.json"]
    assert len(both) == 200
    assert 8 <= both.count("test") <= 40  # about a tenth, chosen by hash
    assert by_file["task114_x_test.json"] == ["test"] * 3
    assert by_file["task52_rationales.json"] == ["test"] * 3
    assert [(j.origin, j.reason) for j in rejections] == [
        ("task114_y_test.json, Split Type", "says 'Train' but the file name says test"),
    ]
    again, _ = _convert(catalog, tmp_path)
    assert [r.split for r in again] == [r.split for r in records]


def test_no_task_file_at_all(tmp_path, catalog):
    (tmp_path / "notes.txt").write_text("nothing here", encoding="utf-8")
    records, rejections = _convert(catalog, tmp_path)
    assert records == []
    assert len(rejections) == 1
    assert "no contributor task file" in rejections[0].reason


# -- task files as upstream really writes them --------------------------------------------


def _fill_official_template(upstream: Path, path: Path, instances: list[tuple[str, ...]]) -> Path:
    """A copy of the real contributor workbook, filled in the way its layout asks (fields in column A)."""
    from openpyxl import load_workbook

    book = load_workbook(upstream / "Task_Contributor.xlsx")
    info = book["Basic Information"]
    assert info["A1"].value == "Task Card"  # the title this test is about
    rows = {info.cell(r, 1).value: r for r in range(1, info.max_row + 1) if info.cell(r, 1).value}
    values = {
        "Contributors": ["A. Contributor"], "URL": ["https://example.org/data"], "Source": ["invented"],
        "Text Domains": ["Medicine", "Consumer Health"], "Categories": ["Question Answering"],
        "Input_language": ["English"], "Output_language": ["English"], "Instruction_language": ["English"],
        "Definition": ["Answer the consumer's medication question in one sentence."],
    }
    for field, cells in values.items():
        for column, value in enumerate(cells, start=2):
            info.cell(rows[field], column, value)
    assert info.cell(rows["Split Type"], 2).value == "Test"  # the template's own preset, kept
    sheet = book["Instances"]
    assert [c.value for c in sheet[1]] == ["Input", "Output"]
    for row in instances:
        sheet.append(row)
    book.save(path)
    return path


def test_the_official_template_filled_in_converts(tmp_path, upstream, catalog):
    _fill_official_template(upstream, tmp_path / "task65_filled_template.xlsx", [
        ("Can I take ibuprofen with lisinopril?", "Only briefly, and ask your doctor: it can raise blood pressure."),
        ("Should metformin be taken with food?", "Yes, with meals, to limit stomach upset."),
    ])
    records, rejections = _convert(catalog, tmp_path)
    assert rejections == []
    assert [(r.task_id, r.split.value, r.origin, r.output) for r in records] == [
        ("task65", "test", "task65_filled_template.xlsx, sheet Instances, row 2",
         "Only briefly, and ask your doctor: it can raise blood pressure."),
        ("task65", "test", "task65_filled_template.xlsx, sheet Instances, row 3",
         "Yes, with meals, to limit stomach upset."),
    ]
    assert records[0].instruction == "Answer the consumer's medication question in one sentence."
    assert records[0].raw_id.startswith("task65_filled_template.xlsx#0-")  # no id column: derived


@pytest.mark.parametrize(
    ("info", "where", "problem"),
    [
        # A valueless first row that looks like a misspelt field is not taken for a title.
        ([("Contributers",), ("Source", "s")], "sheet Basic Information, row 1, column A",
         "unknown field 'Contributers'; did you mean 'Contributors'?"),
        # A title is only a title above the fields.
        ([("Contributors", "x"), ("Task Card",)], "sheet Basic Information, row 2, column A",
         "unknown field 'Task Card'"),
    ],
)
def test_xlsx_title_rows_are_only_titles(tmp_path, info, where, problem):
    error = _one_error(_workbook(tmp_path / "task65_title.xlsx", info=info))
    assert error.where == where
    assert error.problem.startswith(problem)


def test_xlsx_title_then_field_heading(tmp_path):
    info = [("Task Card",), ("Field", "Value"), ("Contributors", "x"), ("Source", "s"), ("Categories", "c"),
            ("Definition", "Answer."), ("Input_language", "English"), ("Output_language", "English"),
            ("Instruction_language", "English")]
    parsed = read_contributor_file(_workbook(tmp_path / "task65_title.xlsx", info=info))
    assert parsed.task.contributors == ["x"]


def test_blank_id_as_in_the_guideline_template_is_an_absent_id(tmp_path, catalog):
    # Data_Uploading_Guideline.md's JSON template: "Instances": [ { "id": "", "input": "", "output": [""]} ]
    instances = [
        {"id": "", "input": "Can I run with a cold?", "output": ["Is running with a cold safe?"]},
        {"id": "  ", "input": "Why do my ears pop on planes?", "output": ["What makes ears pop in flight?"]},
        {"id": "k", "input": "Is coffee bad for my heart?", "output": ["Does coffee harm the heart?"]},
    ]
    path = _write(tmp_path, "task114_guideline.json", _task(Instances=instances))
    assert [i.id for i in read_contributor_file(path).task.instances] == [None, None, "k"]
    records, rejections = _convert(catalog, tmp_path)
    assert rejections == []
    (tmp_path / "absent").mkdir()
    absent = _write(tmp_path / "absent", "task114_guideline.json",
                    _task(Instances=[{k: v for k, v in i.items() if k != "id"} for i in instances[:2]]))
    expected, _ = _convert(catalog, absent.parent)
    assert [r.raw_id for r in records[:2]] == [r.raw_id for r in expected]  # derived exactly as when absent
    assert records[0].raw_id.startswith("task114_guideline.json#0-")
    assert records[2].raw_id == "k"


def _pandas_style(path: Path, doc: object) -> Path:
    # What json.dump writes for a pandas missing value (NaN) or an infinite float.
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, indent=4), encoding="utf-8")
    assert "NaN" in path.read_text(encoding="utf-8") or "Infinity" in path.read_text(encoding="utf-8")
    return path


def test_nan_reads_like_pythons_json(tmp_path, catalog):
    nan = float("nan")
    instances = [
        {"id": nan, "input": "Can I run with a cold?", "output": ["Is running with a cold safe?"]},
        {"id": "b", "input": "NaN results in my blood test?", "output": "What does NaN mean on a lab report?"},
    ]
    doc = _task(URL=nan, Domains=nan, Reasoning=nan, Instances=instances)
    doc["Positive Examples"][0]["explanation"] = nan
    _pandas_style(tmp_path / "task114_pandas.json", doc)
    bad = [*instances[:1], {"id": "c", "input": "q", "output": nan}]
    _pandas_style(tmp_path / "task113_pandas_bad.json", _task(Instances=bad))
    _pandas_style(tmp_path / "task112_pandas_inf.json", _task(Instances=[{"input": float("inf"), "output": "x"}]))
    records, rejections = _convert(catalog, tmp_path)
    assert [(r.task_id, r.raw_id, r.output) for r in records] == [
        ("task114", derived_raw_id("task114_pandas.json", 0, "Can I run with a cold?"), "Is running with a cold safe?"),
        ("task114", "b", "What does NaN mean on a lab report?"),
    ]
    assert [(j.origin, j.reason) for j in rejections] == [
        ("task112_pandas_inf.json, Instances[0].input", "expected a string, got Infinity"),
        ("task113_pandas_bad.json, Instances[1].output", "expected a string or a list of strings, got NaN"),
    ]


_SNI_HEADER = {
    "Contributors": ["A. Contributor"], "Source": ["invented"], "Categories": ["Question Answering"],
    "Definition": ["Answer the question."], "Input_language": ["English"], "Output_language": ["English"],
    "Instruction_language": ["English"], "Instance License": ["MIT"],
}


def test_jsonl_forms_are_those_the_upstream_source_reads(tmp_path, catalog):
    one = [{"id": "p1", "input": "Is aspirin an NSAID?", "output": ["Yes."]}]
    # One task object, pretty-printed (upstream's igakuqa and MIMIC scripts wrote .jsonl files so).
    (tmp_path / "task59_pretty.jsonl").write_text(json.dumps(_task(Instances=one), indent=4) + "\n", "utf-8")
    # One task object on one line.
    (tmp_path / "task60_line.jsonl").write_text(json.dumps(_task(Instances=one)) + "\n", "utf-8")
    # One instance per line: no header, so the task card's definition and languages apply.
    (tmp_path / "task52_bare_test_only.jsonl").write_text(
        '{"input": "Why is the sky blue?", "output": "Rayleigh scattering."}\n\n'
        '{"id": "r2", "input": "Why is blood red?", "output": ["Haemoglobin.", "Iron in haem."]}\n', "utf-8")
    # Hugging Face Super-NaturalInstructions rows: an Instance object and the task's header keys.
    rows = [{"id": f"t11-{n}", "Task": "task11", **_SNI_HEADER,
             "Instance": {"id": f"t11-{n}", "input": f"Context {n}.", "output": [f"Question {n}?"]}}
            for n in (1, 2)]
    (tmp_path / "task11_sni_rows.jsonl").write_text("\n".join(json.dumps(r) for r in rows), "utf-8")
    records, rejections = _convert(catalog, tmp_path)
    assert rejections == []
    bare_id = derived_raw_id("task52_bare_test_only.jsonl", 0, "Why is the sky blue?")
    assert [(r.task_id, r.origin, r.raw_id, r.output) for r in records] == [
        ("task11", "task11_sni_rows.jsonl, line 1", "t11-1", "Question 1?"),
        ("task11", "task11_sni_rows.jsonl, line 2", "t11-2", "Question 2?"),
        ("task52", "task52_bare_test_only.jsonl, line 1", bare_id, "Rayleigh scattering."),
        ("task52", "task52_bare_test_only.jsonl, line 3", "r2", "Haemoglobin."),
        ("task59", "task59_pretty.jsonl, Instances[0]", "p1", "Yes."),
        ("task60", "task60_line.jsonl, Instances[0]", "p1", "Yes."),
    ]
    assert records[0].license == "MIT"
    assert records[0].instruction == "Answer the question."
    assert records[2].instruction == catalog.registry.get("task52").definition
    assert {r.split.value for r in records[2:4]} == {"test"}
    assert records[4].license == "CC-BY-4.0"


@pytest.mark.parametrize(
    ("text", "where", "problem"),
    [
        ('{"input": "q", "output": "a"}\n{not json}\n', "line 2", "not a JSON object"),
        ('{"input": "q", "output": "a"}\n{"output": "b"}\n', "line 2.input", "missing required key"),
        ('{"input": "q", "output": "a"}\n{"input": "q2"}\n', "line 2.output", "missing required key"),
        ('{"id": "1", "input": "q", "output": "a"}\n{"id": "1", "input": "q2", "output": "b"}\n', "line 2.id",
         "duplicate id '1' (first at line 1)"),
        (json.dumps({"Task": "t", **_SNI_HEADER, "Instance": {"input": "q", "output": "a"}}) + "\n"
         + json.dumps({**_SNI_HEADER, "Definition": ["Other."], "Instance": {"input": "q2", "output": "b"}}),
         "line 2", "header keys differ from line 1 (Definition)"),
        (json.dumps({**_SNI_HEADER, "Instance": {"input": "q", "output": "a"}}) + "\n"
         + '{"input": "q2", "output": "b"}\n', "line 2", "expected an Instance object"),
        (json.dumps(_task()) + "\n" + json.dumps(_task()) + "\n", "line 2, column 1", "Extra data"),
    ],
)
def test_jsonl_problems_reject_the_file(tmp_path, text, where, problem):
    path = tmp_path / "task52_bad.jsonl"
    path.write_text(text, encoding="utf-8")
    error = _one_error(path)
    assert error.path == str(path)
    assert (error.where, error.problem[: len(problem)]) == (where, problem)


def test_every_valid_output_is_kept_for_scoring(tmp_path, catalog):
    _write(tmp_path, "task114_multi.json", _task())
    source = catalog.get("task_files")
    records, rejections = _convert(catalog, tmp_path)
    assert rejections == []
    assert [r.output for r in records] == [
        "Is running with a cold safe?", "What makes ears pop in flight?", "Does coffee harm the heart?",
    ]
    # Records carry the first output; every valid output of a several-answer instance is handed over.
    assert source.valid_outputs(tmp_path) == {records[1].id: ("What makes ears pop in flight?", "Why do ears pop?")}
    # An id another file already used keeps the first file's outputs (the first occurrence keeps the id).
    again = _task(Instances=[{"id": "a-2", "input": "Other question?", "output": ["x", "y"]}])
    _write(tmp_path, "task114_multi_z.json", again)
    assert source.valid_outputs(tmp_path) == {records[1].id: ("What makes ears pop in flight?", "Why do ears pop?")}
    sample_outputs = [tuple(i.output) for f in (JSON_SAMPLE, XLSX_SAMPLE) for i in read_contributor_file(f).instances]
    sample_records, _ = _convert(catalog, None)
    expected = {r.id: o for r, o in zip(sample_records, sample_outputs, strict=True) if len(o) > 1}
    assert len(expected) == 2
    assert source.valid_outputs(source.sample_dir) == expected
