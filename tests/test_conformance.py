"""check-source on hand-written sources that break one rule each."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from medsins.conformance import Level, check_source
from medsins.plugins import catalog as discover
from medsins.plugins import load_source_folder
from medsins.registry import builtin_registry

MANIFEST = """
id = "{id}"
name = "Hand-made test corpus"
homepage = "https://example.org/"
citation = "Nobody (2026). A corpus for testing."
license = "CC-BY-4.0"
license_url = "https://creativecommons.org/licenses/by/4.0/legalcode"
access = "{access}"
languages = ["en"]
text_source = "exam"
tasks = {tasks}
{extra}
[[raw_files]]
pattern = "items.jsonl"
"""

CONVERTER = '''
from medsins.formats import read_jsonl
from medsins.plugins import Source
from medsins.records import Example


class Converter(Source):
    def convert(self, raw_dir, report):
        for path in self.files(raw_dir, "items.jsonl"):
            for where, row in read_jsonl(path, on_error=report):
                yield Example(origin=self.origin(path, where), **row)
'''


def make_source(tmp_path: Path, rows: list[dict], *, tasks: list[str], access: str = "open",
                extra: str = "", sample_name: str = "items.jsonl", source_id: str = "handmade"):
    folder = tmp_path / source_id
    (folder / "sample").mkdir(parents=True)
    (folder / "manifest.toml").write_text(
        MANIFEST.format(id=source_id, access=access, tasks=json.dumps(tasks), extra=extra), encoding="utf-8"
    )
    (folder / "converter.py").write_text(textwrap.dedent(CONVERTER), encoding="utf-8")
    (folder / "sample" / sample_name).write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8"
    )
    return load_source_folder(folder)


def mcqa(raw_id: str, answer: str, split: str = "test", question: str | None = None) -> dict:
    options = ["A. Aspirin", "B. Heparin", "C. Insulin", "D. Warfarin"]
    return {"task_id": "task57", "split": split, "input": question or f"Question {raw_id}?\n" + "\n".join(options),
            "output": answer, "options": options, "raw_id": raw_id}


def errors(report) -> dict[str, str]:
    return {f.check: f.message for f in report.findings if f.level is Level.ERROR}


def test_clean_source_passes(tmp_path):
    source = make_source(tmp_path, [mcqa("1", "A. Aspirin"), mcqa("2", "C. Insulin")], tasks=["task57"])
    report = check_source(source, builtin_registry())
    assert report.ok, report.findings
    assert report.counts == {"task57": 2}


def test_mcqa_answer_not_among_options(tmp_path):
    source = make_source(tmp_path, [mcqa("1", "E. Morphine"), mcqa("2", "A. Aspirin")], tasks=["task57"])
    report = check_source(source, builtin_registry())
    assert "1 answers not among options" in errors(report)["task57 mcqa-answer"]


def test_declared_task_without_records_and_unknown_task(tmp_path):
    source = make_source(tmp_path, [mcqa("1", "A. Aspirin"), mcqa("2", "B. Heparin")],
                         tasks=["task57", "task58", "task9999"])
    found = errors(check_source(source, builtin_registry()))
    assert "task58" in found["tasks-produce"]
    assert "task9999" in found["tasks-registered"]


def test_same_input_with_different_outputs_is_an_error(tmp_path):
    rows = [mcqa("1", "A. Aspirin", question="Same?"), mcqa("2", "B. Heparin", question="Same?")]
    report = check_source(make_source(tmp_path, rows, tasks=["task57"]), builtin_registry())
    assert "1 inputs with different outputs" in errors(report)["task57 unique-inputs"]


def test_duplicate_ids(tmp_path):
    rows = [mcqa("1", "A. Aspirin"), mcqa("1", "B. Heparin", question="Other?")]
    report = check_source(make_source(tmp_path, rows, tasks=["task57"]), builtin_registry())
    assert "1 different items share a record id" in errors(report)["ids-unique"]


def test_repeated_raw_items_warn_and_conflicting_repeats_fail(tmp_path):
    same = [mcqa("1", "A. Aspirin"), mcqa("2", "B. Heparin", question="Other?"), mcqa("1", "A. Aspirin")]
    report = check_source(make_source(tmp_path, same, tasks=["task57"]), builtin_registry())
    assert "ids-unique" not in errors(report)
    assert any(f.check == "ids-unique" and "1 raw items are repeated" in f.message for f in report.findings)
    clash = [mcqa("1", "A. Aspirin"), mcqa("2", "B. Heparin", question="Other?"), mcqa("1", "B. Heparin")]
    report = check_source(make_source(tmp_path / "b", clash, tasks=["task57"]), builtin_registry())
    assert "repeat a raw item with another gold" in errors(report)["ids-unique"]


def test_classification_needs_two_labels_and_known_labels(tmp_path):
    rows = [{"task_id": "task124", "split": "train", "input": f"Q{i}", "output": "yes", "raw_id": str(i)}
            for i in range(3)]
    report = check_source(make_source(tmp_path, rows, tasks=["task124"]), builtin_registry())
    assert "at least 2 distinct outputs" in errors(report)["task124 label-variety"]
    rows[0]["output"] = "probably"
    report = check_source(make_source(tmp_path / "b", rows, tasks=["task124"]), builtin_registry())
    assert "probably" in errors(report)["task124 label-set"]


def test_ner_entities_must_occur_in_input(tmp_path):
    rows = [{"task_id": "task126", "split": "train", "input": "Aspirin was given.", "output": "Aspirin",
             "raw_id": "1"},
            {"task_id": "task126", "split": "train", "input": "Nothing here.", "output": "heparin", "raw_id": "2"}]
    report = check_source(make_source(tmp_path, rows, tasks=["task126"]), builtin_registry())
    assert "'heparin'" in errors(report)["task126 ner-in-input"]


def test_languages_and_split_must_match_the_task(tmp_path):
    rows = [mcqa("1", "A. Aspirin") | {"input_language": "fr"}, mcqa("2", "A. Aspirin", split="train")]
    found = errors(check_source(make_source(tmp_path, rows, tasks=["task57"]), builtin_registry()))
    assert "fr->en" in found["task57 languages"]
    # task57 is split "both": train is allowed, so no split error.
    assert "task57 split" not in found


def test_credentialed_source_needs_a_synthetic_sample(tmp_path):
    rows = [mcqa("1", "A. Aspirin"), mcqa("2", "B. Heparin")]
    report = check_source(make_source(tmp_path, rows, tasks=["task57"], access="credentialed"), builtin_registry())
    assert "synthetic-sample" in errors(report)
    ok = make_source(tmp_path / "b", rows, tasks=["task57"], access="credentialed", extra="synthetic_sample = true")
    assert check_source(ok, builtin_registry()).ok


def test_sample_must_use_native_file_names(tmp_path):
    source = make_source(tmp_path, [mcqa("1", "A. Aspirin")], tasks=["task57"], sample_name="other.jsonl")
    found = errors(check_source(source, builtin_registry()))
    assert "sample-native-names" in found


def test_rejections_are_errors_with_origin(tmp_path):
    rows = [mcqa("1", "A. Aspirin"), {"task_id": "task57", "split": "test", "input": "  ", "output": "A. Aspirin",
                                     "options": ["A. Aspirin"], "raw_id": "2"}]
    report = check_source(make_source(tmp_path, rows, tasks=["task57"]), builtin_registry())
    assert report.rejected == 1
    assert "items.jsonl, line 2: input: Value error, must not be empty" in errors(report)["records-validate"]


def warnings(report) -> dict[str, str]:
    return {f.check: f.message for f in report.findings if f.level is Level.WARNING}


def test_template_placeholders_left_in_the_manifest_are_a_warning(tmp_path):
    rows = [mcqa("1", "A. Aspirin"), mcqa("2", "C. Insulin")]
    source = make_source(tmp_path, rows, tasks=["task57"])  # homepage https://example.org/
    report = check_source(source, builtin_registry())
    assert report.ok
    assert warnings(report)["manifest-filled"] == "still the new-source template's placeholder: homepage"
    manifest = source.root / "manifest.toml"
    manifest.write_text(manifest.read_text(encoding="utf-8").replace("example.org", "corpus.net"), encoding="utf-8")
    filled = load_source_folder(source.root)
    assert "manifest-filled" not in warnings(check_source(filled, builtin_registry()))


def test_a_source_that_does_not_load_is_one_failing_report():
    from medsins.conformance import broken_report
    from medsins.plugins import BrokenSource

    report = broken_report(BrokenSource("mycorpus", "/x/mycorpus", "/x/mycorpus/manifest.toml: license 'CC BY 4.0' "
                                        "is not an SPDX id; did you mean CC-BY-4.0?"))
    assert not report.ok
    assert report.to_dict() == {
        "source": "mycorpus", "raw_dir": "/x/mycorpus", "counts": {}, "rejected": 0, "ok": False,
        "findings": [{"level": "error", "check": "source-loads", "message": "/x/mycorpus/manifest.toml: license "
                      "'CC BY 4.0' is not an SPDX id; did you mean CC-BY-4.0?"}],
    }


@pytest.mark.parametrize("source_id", sorted(discover().sources))
def test_every_builtin_source_passes_on_its_sample(catalog, source_id):
    """The CI conformance run: every built-in source, on its bundled sample."""
    report = check_source(catalog.get(source_id), catalog.registry)
    assert report.ok, [f for f in report.findings if f.level is Level.ERROR]
    assert report.rejected == 0
