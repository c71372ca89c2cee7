"""``medsins.bench.score``: joining, missing/extra accounting, bad input, report formats, CIs."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from medsins.bench import score
from medsins.errors import MedsinsError
from medsins.registry import builtin_registry

REGISTRY = builtin_registry()
OPTIONS = ["A. Heparin", "B. Aspirin", "C. Warfarin"]


def ref(task_id: str, n: int, text: str, output: str, **extra: object) -> dict[str, object]:
    return {"id": f"{task_id}-{n:016x}", "task_id": task_id, "input": text, "output": output, **extra}


REFERENCES = [
    ref("task57", 1, "Which drug is an antiplatelet?", "B. Aspirin", options=OPTIONS),
    ref("task57", 2, "Which drug is a vitamin K antagonist?", "C. Warfarin", options=OPTIONS),
    ref("task57", 3, "Which drug is given as low molecular weight injections?", "A. Heparin", options=OPTIONS),
    ref("task123", 1, "Question: Does aspirin prevent stroke?\nContext: Trials show it does.", "yes"),
    ref("task123", 2, "Question: Does garlic cure cancer?\nContext: No trial shows it.", "no"),
    ref("task126", 1, "Aspirin and heparin were given.", "Aspirin\nheparin"),
    ref("task126", 2, "The patient was discharged.", "None"),
    ref("task114", 1, "SUBJECT: metoprolol\nMESSAGE: can I drink grapefruit juice with it?",
        "Does grapefruit juice interact with metoprolol?"),
    ref("task11", 1, "A passage.", "A question?"),  # not a benchmark task: ignored
]


def rid(task_id: str, n: int) -> str:
    return f"{task_id}-{n:016x}"


def csv_text(rows: list[list[str]], header: tuple[str, ...] = ("task_id", "input", "GT", "output")) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


@pytest.fixture
def alpha(tmp_path: Path) -> Path:
    """An upstream-style CSV: task_id + input, some rows bad."""
    rows = [
        ["task57", "Which drug is an antiplatelet?", "B. Aspirin", "The answer is B."],  # right
        ["task57", "Which  drug is a vitamin K\nantagonist?", "C. Warfarin", "A"],  # whitespace differs; wrong
        ["task123", "Question: Does aspirin prevent stroke?\nContext: Trials show it does.", "yes", "Yes."],
        ["task123", "Question: Does garlic cure cancer?\nContext: No trial shows it.", "no", "I cannot say"],
        ["task126", "Aspirin and heparin were given.", "", "Aspirin, warfarin"],
        ["task999", "Some input", "x", "y"],  # unknown task
        ["task11", "A passage.", "x", "y"],  # valid task, not in the benchmark
        ["task57", "A question nobody asked", "A", "A"],  # no such reference
        ["task57", "Which drug is an antiplatelet?", "B. Aspirin", "C"],  # duplicate
    ]
    path = tmp_path / "alpha.csv"
    path.write_text(csv_text(rows), encoding="utf-8")
    return path


@pytest.fixture
def beta(tmp_path: Path) -> Path:
    """A JSONL file joined by record id: every reference answered correctly."""
    answers = {
        rid("task57", 1): "B", rid("task57", 2): "(C) Warfarin", rid("task57", 3): "Heparin",
        rid("task123", 1): "yes", rid("task123", 2): "no",
        rid("task126", 1): "heparin\naspirin", rid("task126", 2): "There is no related entity.",
        rid("task114", 1): "Does grapefruit juice interact with metoprolol?",
    }
    path = tmp_path / "beta.jsonl"
    path.write_text("".join(json.dumps({"id": k, "prediction": v}) + "\n" for k, v in answers.items()), "utf-8")
    return path


def test_join_counts_missing_extra_duplicates_and_problems(alpha: Path, beta: Path) -> None:
    report = score([alpha, beta], REFERENCES, bootstrap=200, registry=REGISTRY)
    counts = {c.model: c for c in report.models}
    a = counts["alpha"]
    assert (a.rows, a.matched, a.extra, a.duplicates) == (9, 5, 3, 1)
    # missing counts references of predicted tasks only: task57 #3 and task126 #2; task114 is not scored
    assert a.missing == 2 and a.missing_ids == [rid("task126", 2), rid("task57", 3)]
    assert a.tasks_without_predictions == ["task114"]
    assert a.unparseable == 1  # "I cannot say"
    assert a.extra_rows == [
        # rows 2-4 have two-line inputs, so row 6 starts on line 10
        f"{alpha}, row 6 (line 10) (unknown task 'task999')",
        f"{alpha}, row 7 (line 11) (task11 is not a benchmark task)",
        f"{alpha}, row 8 (line 12) (no task57 reference has this input)",
    ]
    problems = [str(p) for p in report.problems]
    assert any(p.startswith(f"{alpha}, row 6 (line 10): unknown task 'task999'; did you mean") for p in problems)
    assert f"{alpha}, row 7 (line 11): task11 is not a MedS-Bench task; row not scored" in problems
    assert (f"{alpha}, row 9 (line 13): second prediction for {rid('task57', 1)} "
            f"(first: {alpha}, row 1 (line 2)); ignored") in problems
    b = counts["beta"]
    assert (b.rows, b.matched, b.missing, b.extra, b.duplicates, b.unparseable) == (8, 8, 0, 0, 0, 0)
    assert "9 items of other tasks" not in report.references and "1 items of other tasks ignored" in report.references


def test_scores_per_task_and_category(alpha: Path, beta: Path) -> None:
    report = score([alpha, beta], REFERENCES, bootstrap=200, registry=REGISTRY)
    tasks = {(t.model, t.task_id): t for t in report.tasks}
    # alpha task57: 1 right of 3 references (one wrong, one missing)
    assert tasks["alpha", "task57"].scores["accuracy"] == pytest.approx(100 / 3)
    assert (tasks["alpha", "task57"].predicted, tasks["alpha", "task57"].missing) == (2, 1)
    assert tasks["alpha", "task123"].scores["accuracy"] == pytest.approx(50.0)
    # task126: example 1 tp 1 (aspirin) fp 1 (warfarin) fn 1 (heparin); example 2 missing, gold empty
    assert tasks["alpha", "task126"].scores["f1"] == pytest.approx(50.0)
    assert ("alpha", "task114") not in tasks
    # mcqa category = mean of task57 and task123 (the closed-QA task is in mcqa)
    mcqa = report.cell("alpha", "mcqa", "accuracy")
    assert mcqa.score == pytest.approx((100 / 3 + 50) / 2) and mcqa.tasks == ["task57", "task123"]
    assert report.cell("alpha", "summarization", "bleu") is None
    assert report.cell("beta", "summarization", "bleu").score == pytest.approx(100.0)
    assert report.cell("beta", "ner", "f1").score == pytest.approx(100.0)
    assert report.cell("beta", "mcqa", "accuracy").ci == (100.0, 100.0)
    low, high = mcqa.ci
    assert low <= mcqa.score <= high
    assert [f"{c} {m}" for c, m in report.columns()] == [
        "mcqa accuracy", "summarization bleu", "summarization rougeL", "ner f1"]


def test_bootstrap_is_deterministic_and_seeded(beta: Path) -> None:
    refs = [ref("task12", i, f"Question {i}?", "yes" if i % 2 else "no") for i in range(50)]
    right = [{"id": rid("task12", i), "prediction": "yes" if i % 2 else "no"} for i in range(35)]
    wrong = [{"id": rid("task12", i), "prediction": "maybe not"} for i in range(35, 50)]  # unparseable
    preds = {"m": [right + wrong]}
    first = score(preds, refs, bootstrap=300, seed=5, registry=REGISTRY)
    again = score({**preds, "other": [beta]}, refs, bootstrap=300, seed=5, registry=REGISTRY)
    cell = first.cell("m", "fact_verification", "accuracy")
    assert cell.score == pytest.approx(70.0)  # 35 of 50
    assert cell.ci == again.cell("m", "fact_verification", "accuracy").ci  # other models do not matter
    # (that another seed gives other replicates is tested on bootstrap() in test_bench_metrics)
    low, high = cell.ci
    assert 50 < low < 70 < high < 85  # about +-13 points for n = 50, p = 0.7
    assert first.models[0].unparseable == 15
    none = score(preds, refs, bootstrap=0, registry=REGISTRY)
    assert none.cell("m", "fact_verification", "accuracy").ci is None


def test_upstream_prompts_are_joined_by_the_input_they_end_with(tmp_path: Path) -> None:
    few_shot = (
        "<|system|>Input:\nWhich drug is a vitamin K antagonist?\nOutput:\nC. Warfarin\n\n"  # a shot
        "Input:\nWhich drug is an antiplatelet?\nOutput:<|assistant|>"  # the question asked
    )
    rows = [["task57", few_shot, "B. Aspirin", "B"]]
    path = tmp_path / "prompted.csv"
    path.write_text(csv_text(rows), encoding="utf-8")
    report = score([path], REFERENCES, bootstrap=0, registry=REGISTRY)
    assert report.models[0].matched == 1
    assert report.tasks[0].scores["accuracy"] == pytest.approx(100 / 3)  # 1 right of task57's 3


def test_equal_inputs_are_told_apart_by_gt() -> None:
    refs = [ref("task12", 1, "Question: Q?\nAnswer: A.", "yes"), ref("task12", 2, "Question: Q?\nAnswer: A.", "no")]
    preds = [{"task_id": "task12", "input": "Question: Q?\nAnswer: A.", "gt": "no", "prediction": "no"},
             {"task_id": "task12", "input": "Question: Q?\nAnswer: A.", "gt": "yes", "prediction": "yes"}]
    report = score([("m", preds)], refs, bootstrap=0, registry=REGISTRY)
    assert report.models[0].matched == 2 and report.models[0].duplicates == 0
    assert report.tasks[0].scores["accuracy"] == 100.0


def test_gt_column_as_references(tmp_path: Path) -> None:
    rows = [
        ["task126", "Aspirin and heparin were given.", "aspirin, heparin.", "Heparin\nAspirin"],
        ["task126", "Nothing here.", "There is no related enetity.", "None"],
        ["task57", "Q1", "B", "The answer is B"],
        ["task57", "Q2", "A", "C"],
    ]
    path = tmp_path / "upstream.csv"
    path.write_text(csv_text(rows), encoding="utf-8")
    report = score([path], "gt", bootstrap=0, registry=REGISTRY)
    tasks = {t.task_id: t for t in report.tasks}
    assert tasks["task126"].scores["f1"] == 100.0
    assert tasks["task57"].scores["accuracy"] == 50.0
    assert report.references.startswith("the GT column of the predictions (4 items of 2 benchmark tasks")


def test_models_merge_by_name_and_model_column(tmp_path: Path) -> None:
    (tmp_path / "mcqa").mkdir()
    (tmp_path / "ner").mkdir()
    (tmp_path / "mcqa" / "gpt.jsonl").write_text(json.dumps({"id": rid("task57", 1), "prediction": "B"}) + "\n")
    (tmp_path / "ner" / "gpt.jsonl").write_text(json.dumps({"id": rid("task126", 2), "prediction": "None"}) + "\n")
    mixed = tmp_path / "runs.csv"
    mixed.write_text(csv_text([[rid("task57", 1), "B", "x"], [rid("task57", 1), "A", "y"]],
                              header=("id", "output", "model")), encoding="utf-8")
    report = score([tmp_path / "mcqa" / "gpt.jsonl", tmp_path / "ner" / "gpt.jsonl", mixed], REFERENCES,
                   bootstrap=0, registry=REGISTRY)
    assert [m.model for m in report.models] == ["gpt", "x", "y"]
    assert report.models[0].matched == 2 and len(report.models[0].sources) == 2
    named = score({"first": [tmp_path / "mcqa" / "gpt.jsonl"]}, REFERENCES, bootstrap=0, registry=REGISTRY)
    assert [m.model for m in named.models] == ["first"]


def test_nothing_scoreable_raises_with_the_reasons(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("question,answer\nq,a\n", encoding="utf-8")
    with pytest.raises(MedsinsError, match=r"nothing to score: .*bad\.csv, line 1: missing column"):
        score([bad], REFERENCES, registry=REGISTRY)
    unknown = tmp_path / "unknown.csv"
    unknown.write_text(csv_text([["task999", "q", "a", "a"]]), encoding="utf-8")
    with pytest.raises(MedsinsError, match=r"nothing could be scored: .*unknown\.csv, row 1 \(line 2\): unknown task"):
        score([unknown], REFERENCES, registry=REGISTRY)
    with pytest.raises(MedsinsError, match="no references of MedS-Bench tasks"):
        score([unknown], [ref("task11", 1, "x", "y")], registry=REGISTRY)


def test_one_bad_file_does_not_stop_the_others(tmp_path: Path, beta: Path) -> None:
    bad = tmp_path / "broken.csv"
    bad.write_text("task_id,GT\n", encoding="utf-8")
    report = score([bad, beta], REFERENCES, bootstrap=0, registry=REGISTRY)
    assert [m.model for m in report.models] == ["beta"]
    assert str(report.problems[0]).startswith(f"{bad}, line 1: missing column(s)")


def test_report_formats(alpha: Path, beta: Path, tmp_path: Path) -> None:
    report = score([alpha, beta], REFERENCES, bootstrap=100, registry=REGISTRY)
    md = report.to_markdown()
    lines = md.splitlines()
    header = lines.index("| model | mcqa acc | summarization BLEU | summarization ROUGE-L | ner F1 |")
    assert lines[header + 2].startswith("| alpha | 41.7 [")
    assert lines[header + 3].startswith("| beta | 100.0 [100.0, 100.0] | 100.0 [100.0, 100.0]")
    assert "### Per task" in md and "### Counts" in md and "### Problems in the input (" in md
    assert "- BLEU: corpus-level BLEU-4 (sacrebleu defaults" in md
    assert "| alpha | 9 | 5 | 2 | 3 | 1 | 0 | 1 | 3 |" in md  # rows matched missing extra dup empty unparseable tasks
    data = json.loads(report.to_json())
    assert data["bootstrap"] == {"replicates": 100, "seed": 0, "interval": "95% percentile"}
    assert data["leaderboard"][1]["model"] == "beta" and data["leaderboard"][1]["ner F1"] == 100.0
    assert {t["task_id"] for t in data["tasks"] if t["model"] == "alpha"} == {"task57", "task123", "task126"}
    tables = report.to_csv()
    leaderboard = list(csv.DictReader(io.StringIO(tables["leaderboard"])))
    assert leaderboard[0]["model"] == "alpha" and leaderboard[0]["mcqa acc tasks"] == "2/2"
    assert leaderboard[0]["summarization BLEU"] == ""  # alpha predicted no summarization task
    written = report.write(tmp_path / "out")
    assert sorted(p.name for p in written) == [
        "counts.csv", "leaderboard.csv", "problems.csv", "report.json", "report.md", "tasks.csv"]
    assert (tmp_path / "out" / "report.md").read_text(encoding="utf-8") == md


def test_references_as_a_dataset_and_as_records(beta: Path) -> None:
    import datasets

    from medsins.records import Record

    bench_refs = [r for r in REFERENCES if r["task_id"] != "task11"]
    as_dicts = score([beta], bench_refs, bootstrap=0, registry=REGISTRY)
    as_dataset = score([beta], datasets.Dataset.from_list([{**r, "options": r.get("options", [])}
                                                            for r in bench_refs]), bootstrap=0, registry=REGISTRY)
    assert [t.scores for t in as_dataset.tasks] == [t.scores for t in as_dicts.tasks]
    assert as_dataset.references.startswith("datasets.Dataset (8 items of 4 benchmark tasks)")
    task = REGISTRY.get("task123")
    record = Record(
        id=rid("task123", 1), task_id="task123", source="pubmedqa", category=task.category, config="qa",
        split="test", instruction=task.definition, input=str(REFERENCES[3]["input"]), output="yes",
        input_language="en", output_language="en", instruction_language="en", license="MIT",
        text_source=task.text_source, raw_id="1", origin="sample.json, record 1",
    )
    from_records = score([beta], [record], bootstrap=0, registry=REGISTRY)
    assert [(t.task_id, t.scores["accuracy"]) for t in from_records.tasks] == [("task123", 100.0)]
    assert from_records.models[0].extra == 7  # beta's answers to tasks these references lack


def test_unreachable_hub_is_a_clear_error(beta: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib

    load_module = importlib.import_module("medsins.load")  # medsins.load the attribute is the function

    def offline(*args: object, **kwargs: object) -> None:
        raise ConnectionError("Couldn't reach 'medsins/meds-ins' on the Hub (OfflineModeIsEnabled)")

    monkeypatch.setattr(load_module, "load", offline)
    with pytest.raises(MedsinsError, match=r"cannot load the references \('bench' from \$MEDSINS_RELEASE or the Hub\)"):
        score([beta], registry=REGISTRY)
