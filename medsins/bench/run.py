"""``medsins bench run``: ask a model every MedS-Bench item, log it, write predictions.

Files in the output folder:

``prompts.jsonl``
    one line per answered item, appended and flushed as each answer arrives:
    ``id``, ``task_id``, ``prompt_sha256``, ``messages`` (the exact prompt),
    ``shots`` (ids of the few-shot examples), ``completion`` (raw), ``latency_s``,
    ``prompt_tokens``, ``completion_tokens``, ``attempts``, ``model``,
    ``max_input_tokens`` (the truncation limit in force, or null), ``input_tokens``
    (the whole prompt's tokens, when a tokenizer counted them), ``truncated``,
    ``batch`` (the local engines' batch size of the item), and ``sent_messages``
    when the messages sent were cut (``openai:`` with ``--tokenizer``).
``predictions.jsonl`` / ``predictions.csv``
    medsins JSONL (``id``, ``prediction``) and upstream CSV
    (``task_id,input,GT,output``; ``input`` is the item's input) of the items
    answered with the current prompts.
``run.json``
    the settings of the run.

A rerun reads ``prompts.jsonl`` and asks only the items whose current prompt
(by sha256, under the same ``max_input_tokens``) has no answer there: a changed
prompt (other seed, shots, instruction, protocol, truncation) is asked again, a failed item (never logged) is retried,
and a run killed at any point loses at most the answers in flight.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from medsins.bench.backends import Backend, BackendError
from medsins.bench.prompts import PROTOCOLS, Example, Prompt, build_prompt, choose_shots
from medsins.errors import MedsinsError

LOG_NAME = "prompts.jsonl"
JSONL_NAME = "predictions.jsonl"
CSV_NAME = "predictions.csv"
SETTINGS_NAME = "run.json"
INSTRUCTIONS = ("definition", "random")
ROW_COLUMNS = ("id", "task_id", "split", "instruction", "input", "output", "options", "output_language")

LOGGER = logging.getLogger(__name__)


@dataclass(frozen=True)
class RunSettings:
    """What decides the prompts (and so the resume keys), and how the model is asked."""

    tasks: tuple[str, ...] = ("bench",)
    shots: int = 3
    seed: int = 0
    instruction: str = "definition"
    protocol: str = "medsins"
    limit: int | None = None  # items per task (the first by id)
    max_tokens: int = 512
    concurrency: int = 8  # requests in flight (openai:), or the batch size of the local engines
    max_input_tokens: int | None = None  # prompts cut from the right at this many tokens (None: never)


@dataclass(frozen=True)
class Item:
    """One test item to ask, with its prompt and its reference fields."""

    example: Example
    prompt: Prompt
    options: tuple[str, ...] = ()
    output_language: str | None = None


@dataclass
class RunResult:
    """What a run did."""

    items: list[Item]
    asked: int = 0
    skipped: int = 0  # already answered with the same prompt
    failed: list[tuple[str, str]] = field(default_factory=list)  # (item id, why)
    answers: dict[str, dict[str, Any]] = field(default_factory=dict)  # item id -> log entry
    files: list[Path] = field(default_factory=list)

    def references(self) -> list[dict[str, Any]]:
        """The run's items as references for :func:`medsins.bench.score`."""
        return [{"id": i.example.id, "task_id": i.example.task_id, "input": i.example.input,
                 "output": i.example.output, "options": list(i.options), "output_language": i.output_language}
                for i in self.items]


# ------------------------------------------------------------------ items and prompts


def load_rows(references: str | Path | None, settings: RunSettings, registry: Any) -> list[dict[str, Any]]:
    """Every record (train and test) of the selected benchmark tasks of a release."""
    import datasets

    from medsins.load import load
    from medsins.registry import BENCH_CONFIG

    datasets.disable_progress_bars()  # stderr is for the run's own progress lines

    kwargs: dict[str, Any] = {"instruction": "random" if settings.instruction == "random" else None,
                              "seed": settings.seed}
    if references is not None and Path(references).is_dir():
        kwargs["path"] = Path(references)
    elif references is not None:
        kwargs["repo_id"] = str(references)
    try:
        data = load(BENCH_CONFIG, split="test", **kwargs)
        columns = [c for c in ROW_COLUMNS if c in data.column_names]
        rows = data.select_columns(columns).to_list()
        # Few-shot examples come from each task's training records, when the release has them.
        wanted = selected_tasks(settings, registry)
        for task_id in sorted({r["task_id"] for r in rows} & wanted):
            try:
                train = load(task_id, split="train", **kwargs)
            except MedsinsError:  # the task has no train split
                continue
            rows += train.select_columns([c for c in ROW_COLUMNS if c in train.column_names]).to_list()
    except OSError as exc:
        raise MedsinsError(f"cannot load the benchmark from {references or 'the default release'}: {exc}") from None
    return rows


def selected_tasks(settings: RunSettings, registry: Any) -> set[str]:
    """The benchmark task ids named by ``settings.tasks``."""
    return {t.id for name in settings.tasks for t in registry.select(name) if t.benchmark}


def plan(rows: Iterable[dict[str, Any]], settings: RunSettings, registry: Any) -> list[Item]:
    """The items of the selected tasks with their prompts, in (task number, id) order."""
    if settings.protocol not in PROTOCOLS:
        raise MedsinsError(f"--protocol {settings.protocol}: use one of {', '.join(PROTOCOLS)}")
    if settings.instruction not in INSTRUCTIONS:
        raise MedsinsError(f"--instruction {settings.instruction}: use one of {', '.join(INSTRUCTIONS)}")
    wanted = selected_tasks(settings, registry)
    if not wanted:
        raise MedsinsError(f"--tasks {','.join(settings.tasks)}: no MedS-Bench task selected")
    test: dict[str, list[dict[str, Any]]] = {}
    train: dict[str, list[Example]] = {}
    for row in rows:
        if row["task_id"] not in wanted:
            continue
        if row["split"] == "test":
            test.setdefault(row["task_id"], []).append(row)
        else:
            train.setdefault(row["task_id"], []).append(_example(row))
    if not test:
        raise MedsinsError(f"the release has no test items of --tasks {','.join(settings.tasks)}")
    items = []
    for task_id in sorted(test, key=lambda t: int(t[4:])):
        rows_of_task = sorted(test[task_id], key=lambda r: r["id"])
        examples = [_example(r) for r in rows_of_task]
        pool = train.get(task_id) or examples  # other test items only when there is no training data
        chosen = zip(rows_of_task, examples, strict=True)
        for count, (row, example) in enumerate(chosen):
            if settings.limit is not None and count >= settings.limit:
                break
            shots = choose_shots(example, pool, settings.shots, settings.seed)
            prompt = build_prompt(example, shots, example.instruction, settings.protocol)
            items.append(Item(example, prompt, tuple(row.get("options") or ()), row.get("output_language")))
    return items


def _example(row: dict[str, Any]) -> Example:
    return Example(row["id"], row["task_id"], row.get("instruction") or "", row["input"], row["output"])


# ------------------------------------------------------------------ the run


def read_log(path: Path) -> dict[tuple[str, str], dict[str, Any]]:
    """``(item id, prompt sha256) → entry`` of a prompt log; a torn last line (a kill) is skipped."""
    answered: dict[tuple[str, str], dict[str, Any]] = {}
    if not path.exists():
        return answered
    with path.open(encoding="utf-8", errors="replace") as handle:
        for line in handle:
            try:
                entry = json.loads(line)
                answered[(entry["id"], entry["prompt_sha256"])] = entry
            except (ValueError, KeyError, TypeError):
                continue
    return answered


def run(
    backend: Backend,
    items: list[Item],
    out: Path,
    settings: RunSettings,
    *,
    on_start: Callable[[int], None] | None = None,
    on_done: Callable[[int], None] | None = None,
) -> RunResult:
    """Ask ``backend`` every item of ``items`` not answered yet in ``out``; write the predictions.

    Answers are appended to ``prompts.jsonl`` one by one (flushed), so an
    interruption keeps them; the prediction files are written at the end, also
    when interrupted (Ctrl-C), from every answer logged so far. ``on_start``
    receives the number of items to ask, ``on_done`` each answer (progress).
    A backend with a ``batch_size`` (the local engines) is given the items in
    batches of that size, in item order, from one thread; any other gets
    ``settings.concurrency`` requests in flight.
    """
    out.mkdir(parents=True, exist_ok=True)
    log_path = out / LOG_NAME
    done = read_log(log_path)
    limit = getattr(backend, "max_input_tokens", None)
    result = RunResult(items)
    todo = []
    for item in items:
        entry = done.get((item.example.id, item.prompt.sha256))
        if entry is not None and entry.get("max_input_tokens") == limit:
            result.answers[item.example.id] = entry
            result.skipped += 1
        else:
            todo.append(item)
    if on_start is not None:
        on_start(len(todo))  # what is left to ask: the progress ETA counts only that
    settings_text = json.dumps({"model": backend.name, **asdict(settings), "max_input_tokens": limit}, indent=1)
    (out / SETTINGS_NAME).write_text(settings_text + "\n", encoding="utf-8")
    batch_size = getattr(backend, "batch_size", None)
    if batch_size:
        units, workers = [todo[i:i + batch_size] for i in range(0, len(todo), batch_size)], 1
    else:
        units, workers = [[item] for item in todo], max(1, settings.concurrency)
    lock = threading.Lock()
    pool = ThreadPoolExecutor(workers, thread_name_prefix="bench-run")
    try:
        with _appender(log_path) as log:
            pending: dict[Future[list[dict[str, Any]]], list[Item]] = {}
            for unit in units:
                pending[pool.submit(_ask, backend, unit, settings.max_tokens, limit)] = unit
                if len(pending) >= 2 * workers:  # a bounded queue: Ctrl-C leaves little in flight
                    _collect(pending, result, log, lock, on_done)
            while pending:
                _collect(pending, result, log, lock, on_done)
    finally:
        # On Ctrl-C, do not wait for the requests in flight; their answers are simply not kept.
        pool.shutdown(wait=False, cancel_futures=True)
        result.files = write_predictions(out, items, result.answers)
    return result


def _collect(pending: dict[Future[list[dict[str, Any]]], list[Item]], result: RunResult, log: io.TextIOBase,
             lock: threading.Lock, on_done: Callable[[int], None] | None) -> None:
    """Log the answers of the requests that finished (waiting for at least one)."""
    finished, _ = wait(list(pending), return_when=FIRST_COMPLETED)
    stop: BaseException | None = None
    for future in finished:
        unit = pending.pop(future)
        try:
            entries = future.result()
        except BackendError as exc:
            for item in unit:
                result.failed.append((item.example.id, str(exc)))
                LOGGER.warning("%s: failed: %s (it will be asked again on the next run)", item.example.id, exc)
            continue
        except BaseException as exc:  # Ctrl-C in a worker: raised below, once the other answers are kept
            stop = stop or exc
            continue
        with lock:
            log.write("".join(json.dumps(entry, ensure_ascii=False) + "\n" for entry in entries))
            log.flush()
        for entry in entries:
            result.answers[entry["id"]] = entry
        result.asked += len(entries)
        if on_done is not None:
            on_done(len(entries))
    if stop is not None:
        raise stop


def _ask(backend: Backend, unit: list[Item], max_tokens: int, limit: int | None) -> list[dict[str, Any]]:
    """The log entries of one request (one item) or one batch (a local engine)."""
    start = time.perf_counter()
    if len(unit) == 1 and not hasattr(backend, "complete_batch"):
        completions = [backend.complete(unit[0].prompt.as_openai(), max_tokens)]
    else:
        completions = backend.complete_batch([item.prompt.as_openai() for item in unit], max_tokens)  # type: ignore[attr-defined]
    latency = round(time.perf_counter() - start, 6)
    entries = []
    for item, completion in zip(unit, completions, strict=True):
        entry = {
            "id": item.example.id,
            "task_id": item.example.task_id,
            "prompt_sha256": item.prompt.sha256,
            "messages": item.prompt.as_openai(),
            "shots": list(item.prompt.shots),
            "completion": completion.text,
            "latency_s": latency,
            "prompt_tokens": completion.prompt_tokens,
            "completion_tokens": completion.completion_tokens,
            "attempts": completion.attempts,
            "model": backend.name,
            "max_input_tokens": limit,
            "input_tokens": completion.input_tokens,
            "truncated": completion.truncated,
        }
        if hasattr(backend, "complete_batch"):
            entry["batch"] = len(unit)
        if completion.sent is not None:
            entry["sent_messages"] = completion.sent
        entries.append(entry)
    return entries


class _appender:
    """Append to a log, first ending a line torn by a kill so the next entry starts clean."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __enter__(self) -> io.TextIOBase:
        torn = False
        if self.path.exists() and self.path.stat().st_size:
            with self.path.open("rb") as handle:
                handle.seek(-1, 2)
                torn = handle.read(1) != b"\n"
        self.handle = self.path.open("a", encoding="utf-8", newline="\n")
        if torn:
            self.handle.write("\n")
        return self.handle

    def __exit__(self, *exc: object) -> None:
        self.handle.close()


def write_predictions(out: Path, items: list[Item], answers: dict[str, dict[str, Any]]) -> list[Path]:
    """``predictions.jsonl`` and ``predictions.csv`` of the answered items, in item order (atomically)."""
    answered = [i for i in items if i.example.id in answers]
    jsonl = "".join(json.dumps({"id": i.example.id, "task_id": i.example.task_id,
                                "prediction": answers[i.example.id]["completion"]}, ensure_ascii=False) + "\n"
                    for i in answered)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["task_id", "input", "GT", "output"])
    for i in answered:
        writer.writerow([i.example.task_id, i.example.input, i.example.output, answers[i.example.id]["completion"]])
    written = []
    for name, text in ((JSONL_NAME, jsonl), (CSV_NAME, buffer.getvalue())):
        path = out / name
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_text(text, encoding="utf-8", newline="")
        tmp.replace(path)
        written.append(path)
    return written
