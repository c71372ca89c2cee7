"""``medsins bench run`` against a local OpenAI-compatible server (no network), driven by the real openai client."""

from __future__ import annotations

import csv
import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from fake_openai import fake_server
from test_bench_cli import hf_cache, release  # noqa: F401 (fixtures)

from medsins.bench.backends import BackendError, Completion, OpenAIBackend, Retry, make_backend
from medsins.bench.prompts import UPSTREAM_TAIL, Example, build_prompt, choose_shots
from medsins.bench.run import LOG_NAME, RunSettings, load_rows, plan, read_log, run
from medsins.cli import main
from medsins.errors import MedsinsError
from medsins.plugins import catalog

REPO = Path(__file__).resolve().parents[1]
FAST = Retry(attempts=4, base=0.001, cap=0.002)


@pytest.fixture(scope="module")
def registry():
    return catalog().registry


@pytest.fixture(scope="module")
def rows(release: Path, registry) -> list[dict]:  # noqa: F811
    return load_rows(release, RunSettings(), registry)


def _log(folder: Path) -> list[dict]:
    return [json.loads(line) for line in (folder / LOG_NAME).read_text(encoding="utf-8").splitlines()]


# ------------------------------------------------------------------ prompts


def test_medsins_prompt_byte_for_byte() -> None:
    item = Example("task9-b", "task9", "Answer.", "Q2", "A2")
    shots = [Example("task9-a", "task9", "Answer.", "Q1", "A1"), Example("task9-c", "task9", "Answer.", "Q3", "A3")]
    prompt = build_prompt(item, shots, "Answer.")
    assert prompt.as_openai() == [{"role": "user",
                                   "content": "Answer.\n\nInput:\nQ1\nOutput:\nA1\n\nInput:\nQ3\nOutput:\nA3\n\n"
                                              "Input:\nQ2\nOutput:\n"}]
    text = json.dumps([["user", prompt.messages[0][1]]], ensure_ascii=False, separators=(",", ":"))
    assert prompt.sha256 == hashlib.sha256(text.encode()).hexdigest()


def test_upstream_prompt_matches_upstream_csv(upstream: Path) -> None:
    """The upstream protocol rebuilds a prompt of upstream's published CSV (Llama-3 template aside)."""
    csv.field_size_limit(1 << 30)
    name = "eval_results_Rationale_1_context_1_oriINS_MMedS-Llama 3.csv"
    with (upstream / name).open(encoding="utf-8", newline="") as handle:
        row = next(csv.DictReader(handle))
    text = row["input"]
    head = "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\n"
    system, user = text[len(head):].split("<|eot_id|><|start_header_id|>user<|end_header_id|>\n\n")
    user = user.removesuffix("<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n")
    blocks = system.split("\n\n\nInput:\n")
    *shot_blocks, last = ["Input:\n" + b if i else b for i, b in enumerate(blocks)]
    last_shot, definition = last.rsplit("\n\n\n", 1)
    shot_blocks.append(last_shot + "\n")
    shots = []
    for index, block in enumerate(shot_blocks):
        x, y = block.removeprefix("Input:\n").split("\n\nOutput:\n", 1)
        shots.append(Example(f"s{index}", "task52", "", x, y.removesuffix("\n")))
    query = user.removeprefix("Input:\n").removesuffix("\nOutput:")
    prompt = build_prompt(Example("q", "task52", "", query, ""), shots, definition.removesuffix(UPSTREAM_TAIL),
                          "upstream")
    (_, sys_text), (_, user_text) = prompt.messages
    assert len(shots) == 3
    assert head + sys_text + "<|eot_id|><|start_header_id|>user<|end_header_id|>\n\n" + user_text \
        + "<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n" == text


def test_shots_are_seeded_and_never_the_item() -> None:
    pool = [Example(f"t-{i}", "t", "", f"in {i % 7}", f"out {i}") for i in range(30)]
    for item in pool:
        for seed in range(5):
            shots = choose_shots(item, pool, 3, seed)
            assert len(shots) == 3
            assert all(s.id != item.id and s.input != item.input for s in shots)
            assert shots == choose_shots(item, list(reversed(pool)), 3, seed)  # order of the pool is irrelevant
    assert {tuple(s.id for s in choose_shots(pool[0], pool, 3, seed)) for seed in range(10)}.__len__() > 1


def test_plan_uses_training_records_then_other_test_items(rows: list[dict], registry) -> None:
    items = plan(rows, RunSettings(), registry)
    train_ids = {r["id"] for r in rows if r["split"] == "train"}
    test_tasks_with_train = {r["task_id"] for r in rows if r["split"] == "train"}
    assert items and len(items) == sum(r["split"] == "test" for r in rows)
    for item in items:
        assert item.example.id not in item.prompt.shots
        if item.example.task_id in test_tasks_with_train:
            assert set(item.prompt.shots) <= train_ids
    assert any(item.example.task_id not in test_tasks_with_train and item.prompt.shots for item in items)
    limited = plan(rows, RunSettings(tasks=("mcqa", "task1"), limit=1), registry)
    assert len({i.example.task_id for i in limited}) == len(limited)
    assert {i.example.task_id for i in limited} >= {"task1", "task57"}


# ------------------------------------------------------------------ runs against the fake server


def test_run_logs_exact_prompts_and_two_runs_agree(rows: list[dict], registry, tmp_path: Path) -> None:
    settings = RunSettings(tasks=("mcqa", "ner"), concurrency=4)
    items = plan(rows, settings, registry)
    with fake_server() as server:
        backend = OpenAIBackend("echo", server.url, retry=FAST)
        first = run(backend, items, tmp_path / "a", settings)
        second = run(backend, items, tmp_path / "b", settings)
        sent = server.chat_requests()
    assert first.asked == second.asked == len(items) and not first.failed
    by_id = {i.example.id: i for i in items}
    logged = sorted(_log(tmp_path / "a"), key=lambda e: e["id"])
    assert [e["messages"] for e in logged] == [by_id[e["id"]].prompt.as_openai() for e in logged]
    # what reached the server is the prompt, byte for byte, as the openai client sent it
    assert sorted(json.dumps(r["messages"]) for r in sent) == sorted(
        json.dumps(i.prompt.as_openai()) for i in items for _ in range(2))
    assert all(r["max_tokens"] == 512 and r["temperature"] == 0 and r["model"] == "echo" for r in sent)
    entry = logged[0]
    assert entry["prompt_sha256"] == by_id[entry["id"]].prompt.sha256
    assert entry["completion"] == by_id[entry["id"]].example.input  # the echo model
    assert entry["prompt_tokens"] > 0 and entry["latency_s"] > 0 and entry["attempts"] == 1
    prompts = {e["id"]: e["messages"] for e in _log(tmp_path / "a")}
    assert prompts == {e["id"]: e["messages"] for e in _log(tmp_path / "b")}
    for name in ("predictions.jsonl", "predictions.csv"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    with (tmp_path / "a" / "predictions.csv").open(encoding="utf-8", newline="") as handle:
        table = list(csv.DictReader(handle))
    assert list(table[0]) == ["task_id", "input", "GT", "output"] and len(table) == len(items)
    other = plan(rows, RunSettings(tasks=("mcqa", "ner"), seed=1), registry)
    assert [i.prompt.sha256 for i in other] != [i.prompt.sha256 for i in items]


def test_rerun_asks_only_new_or_changed_prompts(rows: list[dict], registry, tmp_path: Path) -> None:
    settings = RunSettings(tasks=("task57", "task58"), concurrency=2)
    items = plan(rows, settings, registry)
    with fake_server() as server:
        backend = OpenAIBackend("letter-A", server.url, retry=FAST)
        assert run(backend, items, tmp_path, settings).asked == len(items)
        again = run(backend, items, tmp_path, settings)
        assert (again.asked, again.skipped) == (0, len(items))
        assert len(server.requests) == len(items)
        changed = plan(rows, RunSettings(tasks=("task57", "task58"), shots=0), registry)
        assert run(backend, changed, tmp_path, settings).asked == len(items)
        assert len(server.requests) == 2 * len(items)


def test_retries_on_429_and_500_not_on_400(rows: list[dict], registry, tmp_path: Path) -> None:
    settings = RunSettings(tasks=("task57",), limit=1, concurrency=1)
    items = plan(rows, settings, registry)
    with fake_server(faults=[429, 500, 503]) as server:
        result = run(OpenAIBackend("letter-B", server.url, retry=FAST), items, tmp_path / "ok", settings)
        assert server.statuses == [429, 500, 503, 200]
    assert not result.failed and _log(tmp_path / "ok")[0]["attempts"] == 4
    with fake_server(faults=[400]) as server:
        result = run(OpenAIBackend("letter-B", server.url, retry=FAST), items, tmp_path / "bad", settings)
        assert server.statuses == [400]
        assert result.failed and "HTTP 400" in result.failed[0][1]
        # never written as an empty answer; asked again (and answered) on the next run
        assert (tmp_path / "bad" / "predictions.jsonl").read_text() == ""
        assert read_log(tmp_path / "bad" / LOG_NAME) == {}
        again = run(OpenAIBackend("letter-B", server.url, retry=FAST), items, tmp_path / "bad", settings)
        assert again.asked == 1 and server.statuses == [400, 200]
    with fake_server(faults=[500] * 4) as server, pytest.raises(BackendError, match=r"HTTP 500.*after 4 attempts"):
        OpenAIBackend("x", server.url, retry=FAST).complete([{"role": "user", "content": "hi"}], 5)


def test_ctrl_c_keeps_what_is_done(rows: list[dict], registry, tmp_path: Path) -> None:
    settings = RunSettings(tasks=("bench",), concurrency=1)
    items = plan(rows, settings, registry)

    class Interrupted:
        name = "fake:interrupt"
        calls = 0

        def complete(self, messages: list[dict[str, str]], max_tokens: int) -> Completion:
            self.calls += 1
            if self.calls > 5:
                raise KeyboardInterrupt
            return Completion("A")

    with pytest.raises(KeyboardInterrupt):
        run(Interrupted(), items, tmp_path, settings)
    assert len(_log(tmp_path)) == 5
    assert len((tmp_path / "predictions.jsonl").read_text().splitlines()) == 5


def test_killed_run_resumes_without_redoing_answers(release: Path, tmp_path: Path) -> None:  # noqa: F811
    out = tmp_path / "run"
    with fake_server(delay=0.03) as server:
        command = [sys.executable, "-m", "medsins", "bench", "run", "--model", "openai:letter-A", "--base-url",
                   server.url, "--references", str(release), "--out", str(out), "--concurrency", "2",
                   "--no-score", "--quiet"]
        env = {**os.environ, "OPENAI_API_KEY": "sk-secret-never-printed"}
        child = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and child.poll() is None:
            log = out / LOG_NAME
            if log.exists() and log.read_text(encoding="utf-8").count("\n") >= 10:
                break
            time.sleep(0.02)
        child.send_signal(signal.SIGKILL)
        child.wait()
        answered = len(read_log(out / LOG_NAME))
        assert 10 <= answered < 80
        before = len(server.requests)
        code = main(["bench", "run", "--model", "openai:letter-A", "--base-url", server.url, "--references",
                     str(release), "--out", str(out), "--concurrency", "8", "--bootstrap", "0", "--quiet"])
        assert code == 0
        total = len(read_log(out / LOG_NAME))
        assert len(server.requests) - before == total - answered  # nothing answered was asked again
    assert len((out / "predictions.jsonl").read_text().splitlines()) == total


def test_cli_run_scores_and_never_prints_the_key(release: Path, tmp_path: Path, capsys,  # noqa: F811
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-secret-never-printed")
    with fake_server() as server:
        code = main(["bench", "run", "--model", "openai:echo", "--base-url", server.url, "--references",
                     str(release), "--out", str(tmp_path), "--tasks", "summarization,mcqa", "--limit", "2",
                     "--bootstrap", "50"])
    out, err = capsys.readouterr()
    assert code == 0
    assert "| echo |" in out and "summarization ROUGE-L" in out
    assert "sk-secret" not in out + err + "".join(p.read_text() for p in tmp_path.rglob("*") if p.is_file())
    assert (tmp_path / "report" / "report.json").exists()
    settings = json.loads((tmp_path / "run.json").read_text())
    assert settings["model"] == "openai:echo" and settings["tasks"] == ["summarization", "mcqa"]


def test_user_mistakes_are_one_line_errors(release: Path, tmp_path: Path, capsys,  # noqa: F811
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    assert main(["bench", "run", "--model", "gpt4", "--out", str(tmp_path), "--references", str(release)]) == 1
    err = capsys.readouterr().err
    assert "expected openai:<model>" in err and "Traceback" not in err
    assert main(["bench", "run", "--model", "openai:x", "--out", str(tmp_path), "--references", str(release),
                 "--tasks", "task9999"]) != 0
    assert "Traceback" not in capsys.readouterr().err
    monkeypatch.setitem(sys.modules, "openai", None)
    with pytest.raises(MedsinsError, match=r"pip install 'medsins\[bench\]'"):
        make_backend("openai:x")


def test_paired_comparison_of_two_fake_models(rows: list[dict], registry, tmp_path: Path) -> None:
    from medsins.bench import score

    settings = RunSettings(tasks=("bench",), concurrency=8)
    items = plan(rows, settings, registry)
    with fake_server() as server:
        results = [run(OpenAIBackend(m, server.url, retry=FAST), items, tmp_path / m, settings)
                   for m in ("echo", "letter-A")]
    references = results[0].references()
    files = {m: tmp_path / m / "predictions.jsonl" for m in ("echo", "letter-A")}
    report = score(files, references=references, bootstrap=200, seed=0)
    by_column = {c.column: c for c in report.comparisons}
    assert all((c.model_a, c.model_b) == ("echo", "letter-A") for c in report.comparisons)
    mcqa = by_column["mcqa acc"]
    assert mcqa.difference == pytest.approx(report.cell("echo", "mcqa", "accuracy").score
                                            - report.cell("letter-A", "mcqa", "accuracy").score)
    assert mcqa.ci[0] <= mcqa.difference <= mcqa.ci[1]
    # echoing the input beats answering "A" on summarization ROUGE-L, with an interval that says so
    assert by_column["summarization ROUGE-L"].ci[0] > 0
    # the same predictions under two names: a difference of exactly 0 in every resample
    same = score({"a": files["echo"], "b": files["echo"]}, references=references, bootstrap=50)
    assert {(c.difference, c.ci) for c in same.comparisons} == {(0.0, (0.0, 0.0))}
    assert "### Paired comparison" in report.to_markdown() and report.to_dict()["comparisons"]


def test_a_batch_backend_gets_batches_in_item_order(rows: list[dict], registry, tmp_path: Path) -> None:
    settings = RunSettings(tasks=("bench",), concurrency=3)
    items = plan(rows, settings, registry)

    class Batched:
        name = "fake:batched"
        batch_size = 5
        max_input_tokens = None

        def __init__(self, fail: int | None = None) -> None:
            self.batches: list[list[str]] = []
            self.fail = fail

        def complete_batch(self, batch: list[list[dict[str, str]]], max_tokens: int) -> list[Completion]:
            self.batches.append([m[-1]["content"] for m in batch])
            if len(self.batches) == self.fail:
                raise BackendError("out of memory")
            return [Completion(f"answer {len(self.batches)}", 3, 1) for _ in batch]

    backend = Batched(fail=2)
    result = run(backend, items, tmp_path, settings)
    assert [len(b) for b in backend.batches] == [5] * (len(items) // 5) + ([len(items) % 5] if len(items) % 5 else [])
    assert [c for b in backend.batches for c in b] == [i.prompt.as_openai()[-1]["content"] for i in items]  # order
    assert [f[0] for f in result.failed] == [i.example.id for i in items[5:10]]  # the whole failed batch
    logged = _log(tmp_path)
    assert len(logged) == len(items) - 5 and {e["batch"] for e in logged} <= {5, len(items) % 5}
    again = Batched()
    assert run(again, items, tmp_path, settings).asked == 5 and len(again.batches) == 1
