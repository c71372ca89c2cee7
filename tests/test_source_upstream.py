"""The upstream source (MedS-Ins / MedS-Bench Hub task files) and RewriteDefinitions.json."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import textwrap
from collections import Counter
from pathlib import Path

import pytest

from medsins.convert import Rejection, convert_source
from medsins.errors import InputError
from medsins.records import Record
from medsins.upstream_instructions import (
    InstructionSet,
    iter_instruction_variants,
    pick_instruction,
    read_instruction_variants,
)

REPO = Path(__file__).resolve().parents[1]


def _convert(catalog, raw: Path | None) -> tuple[list[Record], list[Rejection]]:
    items = list(convert_source(catalog.get("upstream"), raw, catalog.registry))
    return [i for i in items if isinstance(i, Record)], [i for i in items if isinstance(i, Rejection)]


def _put(folder: Path, name: str, content: object) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    text = content if isinstance(content, str) else json.dumps(content, ensure_ascii=False, indent=4)
    path.write_text(text, encoding="utf-8")
    return path


# -- manifest and sample ----------------------------------------------------------------


def test_manifest(catalog):
    manifest = catalog.get("upstream").manifest
    assert manifest.access.value == "registered"
    assert manifest.native is False
    assert manifest.synthetic_sample is True
    assert manifest.license == "NOASSERTION"
    assert not manifest.redistributable
    assert sorted(manifest.tasks) == sorted(t.id for t in catalog.registry if t.in_meds_ins or t.benchmark)


def test_sample_converts(catalog):
    records, rejections = _convert(catalog, None)
    assert rejections == []
    got = [(r.task_id, r.split.value, r.license, r.origin) for r in records]
    assert got == [
        ("task100", "test", "NOASSERTION", "task100_ebms_answer_vertification.json, Instances[0]"),
        ("task52", "test", "NOASSERTION", "task52_mmedbench_explanation_english_test_only.jsonl, line 1"),
        ("task52", "test", "NOASSERTION", "task52_mmedbench_explanation_english_test_only.jsonl, line 2"),
        ("task110", "test", "NOASSERTION", "task110_rct_text_summurization.json, Instances[0]"),
        ("task110", "test", "NOASSERTION", "task110_rct_text_summurization.json, Instances[1]"),
        ("task114", "train", "CC-BY-4.0", "task114_medqsum_text_summurization.json, Instances[0]"),
        ("task114", "train", "CC-BY-4.0", "task114_medqsum_text_summurization.json, Instances[1]"),
        ("task114", "train", "CC-BY-4.0", "task114_medqsum_text_summurization.json, Instances[2]"),
    ]
    by_origin = {r.origin: r for r in records}
    # task114's Definition and Instance License come after its Instances.
    summary = by_origin["task114_medqsum_text_summurization.json, Instances[1]"]
    assert summary.instruction == (
        "Summarize the consumer health question in the message into one short question."
    )
    assert summary.output == "How long can a child use a steroid cream for eczema safely?"
    assert summary.raw_id.startswith("task114_medqsum_text_summurization.json#1-")
    # A .jsonl of bare instances has no Definition: the task card's applies.
    rationale = by_origin["task52_mmedbench_explanation_english_test_only.jsonl, line 2"]
    assert rationale.instruction == catalog.registry.get("task52").definition
    assert rationale.raw_id == "synthetic-rationale-2"
    honey = by_origin["task110_rct_text_summurization.json, Instances[1]"]
    assert honey.output.startswith("Honey at bedtime")
    again, _ = _convert(catalog, None)
    assert [r.id for r in again] == [r.id for r in records]


# -- shapes and quirks ------------------------------------------------------------------


def test_typos_outputs_and_ids(tmp_path, catalog):
    instances = [
        {"input": "Aspirin and ibuprofen were given.", "output": "aspirin, ibuprofen."},
        {"input": "Cisplatin was stopped.", "output": ["cisplatin", "Cisplatin"]},
        {"id": 17, "input": "Dose: 5 mg", "output": 5},
        {"input": "  ", "output": "x"},
        {"input": "No answer here."},
        {"input": "Bad output.", "output": True},
        {"input": "Empty list.", "output": []},
        "not an object",
        {"id": "17", "input": "Same id again.", "output": "y"},
    ]
    _put(tmp_path, "task125_test_bc4chem_named_enetity_recognition.json",
         {"Definition": ["Find the chemicals."], "Instances": instances})
    _put(tmp_path, "task110_rct_text_summurization.json",
         {"Definition": "Sum up.", "Instances": instances[:1]})
    _put(tmp_path, "task100_ebms_answer_vertification.json", {"Instances": instances[:1]})
    _put(tmp_path, "task41_test_mednli_textual_entailment_discrimitive.json", {"Instances": instances[1:2]})
    records, rejections = _convert(catalog, tmp_path)
    assert Counter(r.task_id for r in records) == {"task125": 3, "task110": 1, "task100": 1, "task41": 1}
    chem = [r for r in records if r.task_id == "task125"]
    assert [r.output for r in chem] == ["aspirin, ibuprofen.", "cisplatin", "5"]
    assert [r.raw_id for r in chem[:2]] == [
        f"task125_test_bc4chem_named_enetity_recognition.json#0-{chem[0].raw_id[-12:]}",
        f"task125_test_bc4chem_named_enetity_recognition.json#1-{chem[1].raw_id[-12:]}",
    ]
    assert chem[2].raw_id == "17"
    assert {r.split.value for r in chem} == {"test"}  # _test in the name
    assert chem[0].instruction == "Find the chemicals."
    assert next(r for r in records if r.task_id == "task110").instruction == "Sum up."
    name = "task125_test_bc4chem_named_enetity_recognition.json"
    assert [(j.origin, j.reason) for j in rejections] == [
        (f"{name}, Instances[3]", "input is empty"),
        (f"{name}, Instances[4]", "missing output"),
        (f"{name}, Instances[5].output", "output must be a string or a list of strings, got boolean"),
        (f"{name}, Instances[6].output", "output is an empty list"),
        (f"{name}, Instances[7]", "expected an instance object, got str"),
        (f"{name}, Instances[8]", "duplicate id '17' in this file"),
    ]
    # Derived ids are stable across runs and differ between instances.
    again, _ = _convert(catalog, tmp_path)
    assert [r.id for r in again] == [r.id for r in records]
    assert len({r.id for r in records}) == len(records)


def test_header_after_instances_and_licenses(tmp_path, catalog):
    # Super-NaturalInstructions files put Instance License last; Definition may follow Instances too.
    text = (
        '{"Contributors": ["x"], "Instances": [{"id": "task179-1", "input": "A trial in 40 women.", '
        '"output": ["40 women"]}], "Definition": ["List the participants."], '
        '"Input_language": ["English"], "Output_language": ["English"], "Instance License": ["Apache 2.0"]}'
    )
    _put(tmp_path, "task1_participant_extraction.json", text)
    _put(tmp_path, "task2_intervention_extraction.json",
         {"Instances": [{"input": "Placebo or statin.", "output": "statin"}],
          "Instance License": ["Unknown"]})
    records, rejections = _convert(catalog, tmp_path)
    assert rejections == []
    assert [(r.task_id, r.license, r.instruction, r.raw_id) for r in records] == [
        ("task1", "Apache-2.0", "List the participants.", "task179-1"),
        ("task2", "NOASSERTION", catalog.registry.get("task2").definition, records[1].raw_id),
    ]


def test_jsonl_shapes(tmp_path, catalog):
    # One instance per line, with one bad line.
    _put(tmp_path, "task57_medqa_question_answering_en.jsonl",
         '{"input": "Q1", "output": "A. one"}\n{not json}\n\n'
         '{"id": "q3", "input": "Q3", "output": ["C. three"]}\n')
    # One task object, pretty-printed, as upstream's igakuqa script wrote its .jsonl.
    _put(tmp_path, "task59_igakuqa_question_answering.jsonl",
         {"Contributors": "Jungo Kasai", "Definition": ["Pick the answer."],
          "Instances": [{"input": "質問: 1", "output": "正しい答えは A: x です"}]})
    # One task object on a single line.
    _put(tmp_path, "task60_frenchmedmcqa_question_answering.jsonl",
         json.dumps({"Source": "FrenchMedMCQA", "Instances": [{"input": "Question ?", "output": "B"}]})
         + "\n")
    # Hugging Face Super-NaturalInstructions rows: an Instance object with its own header keys.
    rows = [{"id": "task845-1", "Task": "task845", "Definition": ["Write a question."],
             "Instance": {"id": "task845-1", "input": "Context.", "output": ["Why?"]},
             "Instance License": ["MIT"]}]
    _put(tmp_path, "task11_pubmedqa_question_generation.jsonl", "\n".join(json.dumps(r) for r in rows))
    records, rejections = _convert(catalog, tmp_path)
    assert [(r.task_id, r.origin.split(", ")[1], r.output) for r in records] == [
        ("task11", "line 1", "Why?"),
        ("task57", "line 1", "A. one"),
        ("task57", "line 4", "C. three"),
        ("task59", "Instances[0]", "正しい答えは A: x です"),
        ("task60", "Instances[0]", "B"),
    ]
    assert records[0].license == "MIT"
    assert records[0].instruction == "Write a question."
    assert records[3].instruction == "Pick the answer."
    assert [j.origin for j in rejections] == ["task57_medqa_question_answering_en.jsonl, line 2"]


def test_top_level_array_and_bad_instances_key(tmp_path, catalog):
    _put(tmp_path, "task65_medicationqa.json", [{"input": "Can I split this pill?", "output": "Ask first."}])
    _put(tmp_path, "task62_liveqa.json", {"Definition": ["x"], "Instances": {"input": "q"}})
    _put(tmp_path, "task66_chatdoctor.json", {"Definition": ["x"]})
    records, rejections = _convert(catalog, tmp_path)
    assert [(r.task_id, r.origin) for r in records] == [("task65", "task65_medicationqa.json, [0]")]
    assert [(j.origin, j.reason) for j in rejections] == [
        ("task62_liveqa.json, Instances", "expected an array, got object"),
        ("task66_chatdoctor.json", "no Instances key"),
    ]


def test_truncated_and_unknown_files_are_one_rejection_each(tmp_path, catalog):
    good = {"Definition": ["d"], "Instances": [{"input": "q", "output": "a"}]}
    _put(tmp_path, "task114_ok.json", good)
    many = [{"input": f"q{i}", "output": "a"} for i in range(50)]
    text = json.dumps({"Instances": many, "Definition": ["d"]})
    _put(tmp_path, "task113_cut.json", text[: len(text) - 40])
    _put(tmp_path, "task999_nowhere.json", good)
    _put(tmp_path, "task112_latin1.json", "")
    (tmp_path / "task112_latin1.json").write_bytes('{"Instances": [{"input": "café", "output": "a"}]}'
                                                   .encode("latin-1"))
    _put(tmp_path, "RewriteDefinitions.json", {"task1": {"original_def": "x", "auto_rewrite_def": []}})
    records, rejections = _convert(catalog, tmp_path)
    assert [r.task_id for r in records] == ["task114"]  # nothing from the truncated file
    assert [(j.origin, j.reason.split(":")[0]) for j in rejections] == [
        ("task112_latin1.json, in key 'Instances'", "not valid UTF-8 text"),
        ("task113_cut.json, in key 'Instances'", "truncated or malformed JSON"),
        ("task999_nowhere.json", "task999 (from the file name) is not a MedS-Ins or MedS-Bench task"),
    ]


def test_split_follows_the_place_of_the_file(tmp_path, catalog):
    raw = tmp_path / "test_downloads"  # a "test" word above the raw folder must not count
    one = {"Instances": [{"input": "q", "output": "a"}]}
    _put(raw, "train/task114_a.json", one)
    _put(raw, "task114_b.json", one)
    _put(raw, "test/task114_c.json", one)
    _put(raw, "MCQA/task57_medqa_question_answering_en.jsonl", '{"input": "q", "output": "A. x"}\n')
    _put(raw, "task114_d_test.json", one)
    _put(raw, "task52_mmedbench_explanation_english.jsonl", '{"input": "q", "output": "because"}\n')
    records, _ = _convert(catalog, raw)
    assert {r.origin.split(",")[0]: r.split.value for r in records} == {
        "task57_medqa_question_answering_en.jsonl": "test",  # a MedS-Bench category folder
        "task52_mmedbench_explanation_english.jsonl": "test",  # a test-only task card
        "task114_b.json": "train",
        "task114_d_test.json": "test",
        "task114_c.json": "test",
        "task114_a.json": "train",
    }


# -- RewriteDefinitions.json --------------------------------------------------------------


def test_real_rewrite_definitions(upstream, catalog):
    path = upstream / "RewriteDefinitions.json"
    sets = read_instruction_variants(path)
    raw = json.loads(path.read_text(encoding="utf-8"))  # counted independently
    assert len(sets) == len(raw) == 122
    assert list(sets) == list(raw)
    for task_id, entry in raw.items():
        expected = [v for v in entry["auto_rewrite_def"] if v.strip()]
        assert sets[task_id].variants == expected, task_id
        definition = entry["original_def"]
        original = definition if isinstance(definition, str) else definition[0]
        assert sets[task_id].original == original
    counts = {t: len(s.variants) for t, s in sets.items()}
    assert counts["task100"] == 163
    assert counts["task130"] == 89
    assert all(counts[f"task{n}"] == 10 for n in range(132, 137))
    assert sum(counts.values()) == 18996
    assert sets["task100"].all[0] == sets["task100"].original
    assert set(sets) <= {t.id for t in catalog.registry if t.in_meds_ins}


def test_rewrite_definitions_quirks_and_errors(tmp_path):
    good = _put(tmp_path, "RewriteDefinitions.json", {
        "task7": {"original_def": ["First definition.", "ignored"],
                  "auto_rewrite_def": ["v1", " ", "v2", "v1"]},
        "task8": {"original_def": "Plain string."},
    })
    assert dict(iter_instruction_variants(good)) == {
        "task7": InstructionSet("First definition.", ["v1", "v2", "v1"]),
        "task8": InstructionSet("Plain string.", []),
    }
    cases = [
        ('{"task7": {"original_def": "x", "auto_rewrite_def": ["a", 3]}}', "task7.auto_rewrite_def[1]",
         "expected a string, got int"),
        ('{"task7": {"auto_rewrite_def": []}}', "task7", "expected an object with original_def"),
        ('{"seven": {"original_def": "x"}}', "key 'seven'", "expected a task id"),
        ('{"task7": {"original_def": "x"}, "task7": {"original_def": "y"}}', "key 'task7'",
         "task given twice"),
        ('{"task7": {"original_def": "x", "auto_rewrite_def": ["a", "b"', None, "truncated"),
        ('{"task7": {"original_def": "x"}, "task8": {"original_def": "y", "auto_rewrite_def": ["a"',
         "after task7", "truncated"),
        ('{"task7": {"original_def": "caf\xe9"}}'.encode("latin-1"), None, "not valid UTF-8 text"),
        ("[]", None, "expected a JSON object of task id"),
        ("", None, "file is empty"),
    ]
    for text, where, problem in cases:
        bad = tmp_path / "bad.json"
        bad.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
        with pytest.raises(InputError) as info:
            read_instruction_variants(bad)
        assert (info.value.path, info.value.where) == (str(bad), where), text
        assert problem in info.value.problem, text


def test_pick_instruction_is_deterministic_uniform_and_stateless():
    variants = [f"variant {i}" for i in range(10)]
    ids = [f"task12-{i:016x}" for i in range(3000)]
    picks = [pick_instruction(i, variants, seed=0) for i in ids]
    assert picks == [pick_instruction(i, variants, seed=0) for i in reversed(ids)][::-1]  # order-free
    counts = Counter(picks)
    assert set(counts) == set(variants)
    assert all(230 <= n <= 370 for n in counts.values()), counts  # ~300 each
    other = [pick_instruction(i, variants, seed=1) for i in ids]
    assert 0.8 < sum(a != b for a, b in zip(picks, other, strict=True)) / len(ids) < 0.98  # seed matters
    random.seed(5)
    expected = random.random()
    random.seed(5)
    pick_instruction("x", variants, 3)
    assert random.random() == expected  # the random module's state is untouched
    assert pick_instruction("x", ["only"], 99) == "only"
    with pytest.raises(ValueError, match="no instruction variants"):
        pick_instruction("x", [], 0)


# -- a several-hundred-MB file, streamed --------------------------------------------------

# Peak RSS from /proc/self/status (VmHWM): getrusage's ru_maxrss survives exec on
# Linux, so a child started by a big pytest process would report the parent's size.
_MEASURE = textwrap.dedent("""
    import json, sys
    from pathlib import Path

    def peak_kb():
        for line in open("/proc/self/status"):
            if line.startswith("VmHWM:"):
                return int(line.split()[1])

    from medsins.convert import convert_source
    from medsins.plugins import catalog
    found = catalog()
    source = found.get("upstream")
    list(convert_source(source, None, found.registry))  # warm up every import and cache
    before = peak_kb()
    records = rejections = 0
    licenses = set()
    for item in convert_source(source, Path(sys.argv[1]), found.registry):
        if hasattr(item, "license"):
            records += 1
            licenses.add(item.license)
        else:
            rejections += 1
    after = peak_kb()
    print(json.dumps({"records": records, "rejections": rejections, "licenses": sorted(licenses),
                      "before_kb": before, "after_kb": after}))
""")


@pytest.mark.slow
def test_large_file_is_streamed_in_flat_memory(tmp_path):
    count, pad = 100_000, "x" * 2100 + " "
    path = tmp_path / "task114_medqsum_text_summurization.json"
    with path.open("w", encoding="utf-8") as handle:
        handle.write('{"Contributors": "generated", "Instances": [\n')
        for i in range(count):
            instance = {"input": f"Message {i}: {pad}{i}", "output": [f"Question {i}?"]}
            if i % 2:
                instance["id"] = f"big-{i}"
            handle.write(("," if i else "") + json.dumps(instance) + "\n")
        handle.write('], "Definition": ["Shorten the question."], "Instance License": ["CC BY 4.0"]}\n')
    size = path.stat().st_size
    assert size >= 200 * 1024 * 1024
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    result = subprocess.run([sys.executable, "-c", _MEASURE, str(tmp_path)], capture_output=True, text=True,
                            env=env, timeout=300, check=False)
    assert result.returncode == 0, result.stderr
    stats = json.loads(result.stdout.strip().splitlines()[-1])
    growth_mb = (stats["after_kb"] - stats["before_kb"]) / 1024
    print(f"\nlarge upstream file: {size / 2**20:.0f} MB, {stats['records']} records, "
          f"peak RSS {stats['after_kb'] / 1024:.0f} MB, growth {growth_mb:.1f} MB")
    assert stats["records"] == count
    assert stats["rejections"] == 0
    assert stats["licenses"] == ["CC-BY-4.0"]  # the header after Instances reached every record
    assert growth_mb < 150
    assert stats["after_kb"] * 1024 < size / 2  # the whole process stays far below the file's size


# -- NaN / Infinity, as Python's json module writes and reads them ------------------------

_NAN = float("nan")


def _dump(folder: Path, name: str, doc: object) -> Path:
    """``json.dump`` output: NaN / Infinity for a pandas missing value or an infinite float."""
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, ensure_ascii=False, indent=4), encoding="utf-8")
    return path


def test_nan_and_infinity_are_read_like_pythons_json(tmp_path, catalog):
    instances = [
        {"id": _NAN, "input": "Metformin 500 mg daily.", "output": "metformin"},
        {"id": "", "input": 'NaN, "Infinity" and -Infinity in text stay text.', "output": ["NaN"]},
        {"input": _NAN, "output": "x"},
        {"input": "q3", "output": _NAN},
        {"input": "q4", "output": float("inf")},
        {"input": "q5", "output": ["a5", _NAN]},
        {"input": "q6", "output": -float("inf")},
    ]
    name = "task125_bc4chem_named_enetity_recognition.json"
    _dump(tmp_path, name, {"URL": _NAN, "Instances": instances, "Definition": ["Find the chemicals."],
                           "Instance License": ["CC BY 4.0"], "Reasoning": _NAN})
    array = [{"input": "q0", "output": "a0"}, {"input": "q1", "output": _NAN}, {"input": "q2", "output": "a2"}]
    _dump(tmp_path, "task65_medicationqa.json", array)
    records, rejections = _convert(catalog, tmp_path)
    assert [(r.task_id, r.origin.split(", ")[1], r.input[:24], r.output, r.instruction, r.license)
            for r in records] == [
        ("task125", "Instances[0]", "Metformin 500 mg daily.", "metformin", "Find the chemicals.", "CC-BY-4.0"),
        ("task125", "Instances[1]", 'NaN, "Infinity" and -Inf', "NaN", "Find the chemicals.", "CC-BY-4.0"),
        ("task65", "[0]", "q0", "a0", catalog.registry.get("task65").definition, "NOASSERTION"),
        ("task65", "[2]", "q2", "a2", catalog.registry.get("task65").definition, "NOASSERTION"),
    ]
    assert records[0].raw_id.startswith(f"{name}#0-")  # a NaN id is an absent id
    assert records[1].raw_id.startswith(f"{name}#1-")  # so is a blank one
    assert [(j.origin, j.reason) for j in rejections] == [
        (f"{name}, Instances[2]", "missing or non-text input"),
        (f"{name}, Instances[3].output", "output must be a string or a list of strings, got NaN"),
        (f"{name}, Instances[4].output", "output must be a string or a list of strings, got Infinity"),
        (f"{name}, Instances[5].output[1]", "output must be a string, got NaN"),
        (f"{name}, Instances[6].output", "output must be a string or a list of strings, got -Infinity"),
        ("task65_medicationqa.json, [1].output", "output must be a string or a list of strings, got NaN"),
    ]


def test_nan_does_not_hide_a_truncated_file(tmp_path, catalog):
    many = [{"input": f"q{i}", "output": _NAN if i == 3 else "a"} for i in range(50)]
    text = json.dumps({"Instances": many, "Definition": ["d"]})
    _put(tmp_path, "task113_cut.json", text[: len(text) - 40])
    _put(tmp_path, "task112_cut_array.json", json.dumps(many)[:-40])
    records, rejections = _convert(catalog, tmp_path)
    # The array is streamed: what came before the cut is kept, as for any truncated file.
    assert [r.input for r in records] == [f"q{i}" for i in range(48) if i != 3]
    assert [(j.origin, j.reason.split(":")[0]) for j in rejections] == [
        ("task112_cut_array.json, [3].output", "output must be a string or a list of strings, got NaN"),
        ("task112_cut_array.json, after record 48", "truncated or malformed JSON"),
        ("task113_cut.json, in key 'Instances'", "truncated or malformed JSON"),
    ]


@pytest.mark.parametrize("chunk", [1, 2, 3, 5, 8, 13, 65536])
def test_non_finite_json_copy_matches_pythons_json(tmp_path, chunk):
    from medsins.taskfile import restore_non_finite, write_finite_json_copy

    cases = [
        ('[NaN, Infinity, -Infinity, -1.5, 2e3, "NaN", "x\\"NaN\\"", "a\\\\", NaN]', 4),
        ('{"Instances": [{"input": "caf\u00e9 \u6f22 NaN", "output": NaN}], "URL":NaN,"k":[-Infinity]}', 3),
        ('{"a": "\\\\\\"Infinity", "b": [1,NaN,{"c":Infinity}], "d": "\\u0041NaN"}', 2),
        ("  NaN  ", 1),
        ('{"plain": [1, "two", null, true]}', 0),
    ]
    for text, count in cases:
        source, target = tmp_path / "in.json", tmp_path / "out.json"
        source.write_text(text, encoding="utf-8")
        assert write_finite_json_copy(source, target, chunk_size=chunk) == count, text
        got = restore_non_finite(json.loads(target.read_text(encoding="utf-8")))
        assert json.dumps(got) == json.dumps(json.loads(text)), (chunk, text)


def test_every_valid_output_is_kept_for_scoring(tmp_path, catalog):
    instances = [
        {"id": "1", "input": "Cisplatin was stopped.", "output": ["cisplatin", "Cisplatin"]},
        {"id": "2", "input": "Dose: 5 mg", "output": 5},
        {"id": "3", "input": "Aspirin.", "output": ["aspirin"]},
        {"id": "4", "input": "Heparin.", "output": ["heparin", " "]},
    ]
    name = "task125_bc4chem_named_enetity_recognition.json"
    _put(tmp_path, name, {"Instances": instances})
    _put(tmp_path, "task57_medqa.jsonl", '{"id": "q", "input": "Q?", "output": ["A. one", "B. two"]}\n')
    records, rejections = _convert(catalog, tmp_path)
    assert [r.output for r in records] == ["cisplatin", "5", "aspirin", "A. one"]
    assert [(j.origin, j.reason) for j in rejections] == [(f"{name}, Instances[3].output[1]", "output is empty")]
    assert catalog.get("upstream").valid_outputs(tmp_path) == {
        records[0].id: ("cisplatin", "Cisplatin"),
        records[3].id: ("A. one", "B. two"),
    }
