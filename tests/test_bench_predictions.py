"""Reading prediction files: upstream CSV, JSONL, datasets; bad files and mixed encodings."""

from __future__ import annotations

import json
from pathlib import Path

import datasets

from medsins.bench.predictions import decode_lines, parse_prediction_argument, read_predictions

UPSTREAM_CSV = (
    'task_id,input,GT,output\n'
    'task57,"Input:\nQuestion: Which drug?\nOptions: A: Heparin\tB: Aspirin\nOutput:",'
    '"B. Aspirin","The answer is B."\n'
    'task123,"Question: Does it work?\nContext: yes it does.",yes,Yes.\n'
)


def write(tmp_path: Path, name: str, data: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(data, bytes):
        path.write_bytes(data)
    else:
        path.write_text(data, encoding="utf-8")
    return path


def messages(result) -> list[str]:
    return [str(p) for p in result.problems]


def test_upstream_csv_with_multiline_prompts(tmp_path: Path) -> None:
    path = write(tmp_path, "gpt4_mcqa.csv", UPSTREAM_CSV)
    result = read_predictions(path)
    assert result.problems == []
    first, second = result.predictions
    assert first.model == "gpt4_mcqa"  # the file stem
    assert first.task_id == "task57" and first.gt == "B. Aspirin" and first.prediction == "The answer is B."
    assert first.input.startswith("Input:\nQuestion: Which drug?\nOptions: A: Heparin\tB: Aspirin")
    assert first.where == "row 1 (line 2)"
    assert second.where == "row 2 (line 6)"  # the first row spans lines 2-5
    assert second.locate() == f"{path}, row 2 (line 6)"


def test_csv_with_missing_columns_is_one_problem_naming_file_and_header(tmp_path: Path) -> None:
    path = write(tmp_path, "bad.csv", "task_id,GT,output\ntask57,B,B\n")
    result = read_predictions(path)
    assert result.predictions == []
    assert messages(result) == [
        f"{path}, line 1: missing column(s) task_id and input (or id); found task_id, GT, output "
        "(expected task_id,input,GT,output or id,prediction)"
    ]
    no_output = read_predictions(write(tmp_path, "noout.csv", "task_id,input,GT\ntask57,q,B\n"))
    assert "missing column(s) output (or prediction)" in messages(no_output)[0]


def test_bad_rows_are_reported_and_the_rest_kept(tmp_path: Path) -> None:
    text = (
        "task_id,input,GT,output\n"
        "task57,question one,B,B\n"
        "task57,question two,C\n"  # a field short
        ",question three,A,A\n"  # no task id
        "task57,question four,A,\n"  # empty prediction: kept, reported
        "\n"
        "task57,question five,D,D\n"
    )
    path = write(tmp_path, "rows.csv", text)
    result = read_predictions(path)
    assert [p.input for p in result.predictions] == ["question one", "question four", "question five"]
    assert result.predictions[1].empty
    assert messages(result) == [
        f"{path}, row 2 (line 3): expected 4 fields, found 3; row skipped",
        f"{path}, row 3 (line 4): no id and no task_id: cannot be matched; row skipped",
        f"{path}, row 4 (line 5): empty prediction (scored as wrong)",
    ]
    assert result.predictions[2].where == "row 5 (line 7)"  # the blank line is not a row


def test_mixed_encodings_are_decoded_per_row_and_reported(tmp_path: Path) -> None:
    data = (
        b"task_id,input,GT,output\n"
        + "task114,Café au lait spots?,x,Are café-au-lait spots harmful?\n".encode()  # UTF-8
        + b"task114,Caf\xe9 question,x,\x93Is caf\xe9 safe?\x94\n"  # Windows-1252 (curly quotes)
        + b"task114,Odd byte \x81 here,x,ok\n"  # 0x81 is undefined in cp1252: Latin-1
        + "task114,日本語の質問,x,はい\n".encode()
    )
    path = write(tmp_path, "mixed.csv", data)
    result = read_predictions(path)
    assert [p.prediction for p in result.predictions] == [
        "Are café-au-lait spots harmful?", "“Is café safe?”", "ok", "はい"]
    assert result.predictions[2].input == "Odd byte \x81 here"
    assert messages(result) == [
        f"{path}, row 2 (line 3): line 3 is not valid UTF-8; decoded as cp1252",
        f"{path}, row 3 (line 4): line 4 is not valid UTF-8; decoded as latin-1",
    ]


def test_decode_lines_handles_boms() -> None:
    lines, fallbacks = decode_lines("\ufeffid,prediction\nx,é\n".encode())
    assert lines == ["id,prediction\n", "x,é\n"] and fallbacks == {}
    lines, _ = decode_lines("id,prediction\nx,é\n".encode("utf-16"))
    assert lines == ["id,prediction\n", "x,é\n"]


def test_tsv_and_prediction_column_and_model_column(tmp_path: Path) -> None:
    text = "id\tprediction\tmodel\ntask57-aaaa\tB\tgpt\ntask57-bbbb\tC\t\n"
    result = read_predictions(write(tmp_path, "runs.tsv", text))
    assert [(p.model, p.id, p.prediction) for p in result.predictions] == [
        ("gpt", "task57-aaaa", "B"), ("runs", "task57-bbbb", "C")]


def test_jsonl_with_bad_lines(tmp_path: Path) -> None:
    lines = [
        json.dumps({"id": "task57-aaaa", "prediction": "B"}),
        "{not json",
        json.dumps(["a", "list"]),
        json.dumps({"task_id": "task123", "input": "Q?", "output": "yes", "GT": "yes"}),
        json.dumps({"prediction": "B"}),
        "",
    ]
    path = write(tmp_path, "llama.jsonl", "\n".join(lines))
    result = read_predictions(path)
    assert [(p.id, p.task_id, p.prediction, p.gt) for p in result.predictions] == [
        ("task57-aaaa", None, "B", None), (None, "task123", "yes", "yes")]
    assert messages(result) == [
        f"{path}, line 2: not valid JSON (Expecting property name enclosed in double quotes); line skipped",
        f"{path}, line 3: expected a JSON object, found list",
        f"{path}, line 5: no id and no task_id: cannot be matched; row skipped",
    ]


def test_json_nested_past_the_recursion_limit_is_reported_not_raised(tmp_path: Path) -> None:
    deep = "[" * 100_000 + "]" * 100_000
    lines = write(tmp_path, "deep.jsonl", json.dumps({"id": "task57-aaaa", "prediction": "B"}) + "\n" + deep + "\n")
    result = read_predictions(lines)
    assert [p.id for p in result.predictions] == ["task57-aaaa"]
    assert messages(result) == [f"{lines}, line 2: JSON nested too deeply to parse (more than ~1000 levels of "
                                "arrays/objects); line skipped"]
    array = write(tmp_path, "deep.json", deep)
    result = read_predictions(array)
    assert result.predictions == []
    assert messages(result) == [f"{array}: JSON nested too deeply to parse (more than ~1000 levels of arrays/objects)"]


def test_json_array_file(tmp_path: Path) -> None:
    path = write(tmp_path, "preds.json", json.dumps([{"id": "task57-a", "prediction": "A"}, 3]))
    result = read_predictions(path)
    assert [p.id for p in result.predictions] == ["task57-a"]
    assert messages(result) == [f"{path}, record 2: expected a JSON object, found int"]


def test_unreadable_and_empty_files_are_problems(tmp_path: Path) -> None:
    assert messages(read_predictions(tmp_path / "absent.csv"))[0].startswith(f"{tmp_path / 'absent.csv'}: cannot read")
    empty = write(tmp_path, "empty.csv", "  \n")
    assert messages(read_predictions(empty)) == [f"{empty}: file is empty"]


def test_dataset_and_row_list_predictions() -> None:
    ds = datasets.Dataset.from_list([{"id": "task57-a", "prediction": "A"}, {"id": "task57-b", "prediction": ""}])
    result = read_predictions(ds, model="mistral")
    assert [(p.model, p.id) for p in result.predictions] == [("mistral", "task57-a"), ("mistral", "task57-b")]
    assert messages(result) == ["<dataset mistral>, row 2: empty prediction (scored as wrong)"]
    rows = read_predictions([{"task_id": "task12", "input": "Q", "prediction": "no"}])
    assert rows.predictions[0].model == "model"
    missing = read_predictions(datasets.Dataset.from_list([{"text": "x"}]))
    assert messages(missing) == ["<dataset model>: missing column(s) output (or prediction)"]


def test_name_equals_path_arguments(tmp_path: Path) -> None:
    assert parse_prediction_argument("gpt4=runs/a.csv") == ("gpt4", Path("runs/a.csv"))
    assert parse_prediction_argument("runs/a.csv") == (None, Path("runs/a.csv"))
    odd = write(tmp_path, "a=b.csv", "x")  # an existing file whose name has "=" is a path
    assert parse_prediction_argument(str(odd)) == (None, odd)
