"""``medsins bench run`` with the local engines (``hf:``, ``vllm:``) and upstream's input truncation.

The model is made here: a one-layer GPT-2 with random weights and a word-level
tokenizer trained on a few sentences, saved to a temporary folder; nothing is
downloaded (``HF_HUB_OFFLINE=1``).

torch (which ``transformers.AutoTokenizer`` imports too) is only ever imported
in child processes: in the test process it would stay for good, and a child
started later by ``subprocess`` reports the parent's peak RSS as its own
(``tests/test_limits.py`` bounds it). So the model is made by this file run as a
script, and every run that loads a model or an ``AutoTokenizer`` is
``python -m medsins bench run``; in here only ``PreTrainedTokenizerFast`` (no
torch) is used.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from fake_openai import fake_server
from test_bench_cli import hf_cache, release  # noqa: F401 (fixtures)
from tokenizers import Tokenizer, models, pre_tokenizers, trainers
from transformers import PreTrainedTokenizerFast

from medsins.bench.backends import make_backend
from medsins.bench.run import LOG_NAME
from medsins.bench.tokens import PromptEncoder
from medsins.errors import MedsinsError

MARKERS = ["<|system|>", "<|user|>", "<|assistant|>"]
TEMPLATE = ("{% for m in messages %}<|{{ m['role'] }}|>\n{{ m['content'] }}\n{% endfor %}"
            "{% if add_generation_prompt %}<|assistant|>\n{% endif %}")
CORPUS = [
    "Input : Output : the answer is A B C D E",
    "A 45 - year - old patient presents with fever , cough and chest pain .",
    "What is the most likely diagnosis ? Pneumonia , asthma , bronchitis or heart failure .",
    "Summarize the clinical note : the patient was given aspirin and discharged home .",
    "Extract the disease and chemical entities from the abstract of this study .",
    "Please learn from the few - shot cases to see what content you have to ouput .",
]


def _tiny_tokenizer(folder: Path, chat_template: str | None) -> Path:
    """A word-level tokenizer trained on ``CORPUS`` (markers and [EOS] special), alone in ``folder``."""
    tokenizer = Tokenizer(models.WordLevel(unk_token="[UNK]"))
    tokenizer.pre_tokenizer = pre_tokenizers.Whitespace()
    tokenizer.train_from_iterator(CORPUS, trainers.WordLevelTrainer(special_tokens=["[PAD]", "[UNK]", "[EOS]",
                                                                                    *MARKERS]))
    fast = PreTrainedTokenizerFast(tokenizer_object=tokenizer, unk_token="[UNK]", pad_token="[PAD]",
                                   eos_token="[EOS]", additional_special_tokens=MARKERS)
    if chat_template is not None:
        fast.chat_template = chat_template
    fast.save_pretrained(folder)
    return folder


def _tiny_model(folder: Path, chat_template: str | None) -> None:
    """The tokenizer and a one-layer GPT-2 with random weights (seed 0) in ``folder`` (run in a child)."""
    import torch
    from transformers import GPT2Config, GPT2LMHeadModel

    fast = PreTrainedTokenizerFast.from_pretrained(_tiny_tokenizer(folder, chat_template))
    config = GPT2Config(n_layer=1, n_head=2, n_embd=16, n_positions=8192, vocab_size=len(fast),
                        bos_token_id=fast.eos_token_id, eos_token_id=fast.eos_token_id,
                        pad_token_id=fast.pad_token_id)
    torch.manual_seed(0)
    GPT2LMHeadModel(config).save_pretrained(folder)


@pytest.fixture(scope="module")
def models_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("tiny-models")
    proc = subprocess.run([sys.executable, __file__, str(root)], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "HF_HUB_OFFLINE": "1"})
    assert proc.returncode == 0, proc.stderr
    return root


@pytest.fixture(scope="module")
def plain_model(models_dir: Path) -> Path:
    return models_dir / "plain"


@pytest.fixture(scope="module")
def chat_model(models_dir: Path) -> Path:
    return models_dir / "chat"


def _log(folder: Path) -> list[dict]:
    return [json.loads(line) for line in (folder / LOG_NAME).read_text(encoding="utf-8").splitlines()]


def _bench_run(model: str, release: Path, out: Path, *extra: str,  # noqa: F811
               cache: Path | None = None) -> subprocess.CompletedProcess[str]:
    """``medsins bench run`` in a child process (offline), one item per task, 8 new tokens at most."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    if cache is not None:
        env["HF_DATASETS_CACHE"] = str(cache)  # datasets' Arrow copies, out of the user's cache
    command = [sys.executable, "-m", "medsins", "bench", "run", "--model", model, "--references", str(release),
               "--out", str(out), "--limit", "1", "--max-tokens", "8", "--concurrency", "4", "--bootstrap", "0",
               "--quiet", *extra]
    return subprocess.run(command, capture_output=True, text=True, timeout=600, env=env)


def test_hf_run_end_to_end_without_a_chat_template(plain_model: Path, release: Path, hf_cache: Path,  # noqa: F811
                                                   tmp_path: Path) -> None:
    proc = _bench_run(f"hf:{plain_model}", release, tmp_path / "a", cache=hf_cache)
    assert proc.returncode == 0, proc.stderr
    assert f"| {plain_model} |" in proc.stdout  # the scored report
    log = _log(tmp_path / "a")
    assert len(log) > 5 and len({e["task_id"] for e in log}) == len(log)  # --limit 1: one item per task
    tokenizer = PreTrainedTokenizerFast.from_pretrained(plain_model)
    for entry in log:
        # no template: the plain prompt, the messages' contents joined by a newline, as it was tokenized
        text = "\n".join(m["content"] for m in entry["messages"])
        assert entry["prompt_tokens"] == entry["input_tokens"] == len(tokenizer(text)["input_ids"]) > 0
        assert 1 <= entry["completion_tokens"] <= 8 and entry["truncated"] is False
        assert entry["model"] == f"hf:{plain_model}" and entry["batch"] in (1, 2, 3, 4)
        assert entry["max_input_tokens"] is None
    predictions = (tmp_path / "a" / "predictions.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["prediction"] for line in predictions] == [e["completion"] for e in log]
    assert any(e["completion"] for e in log)
    # greedy: a second run gives the same bytes
    assert _bench_run(f"hf:{plain_model}", release, tmp_path / "b", cache=hf_cache).returncode == 0
    for name in ("predictions.jsonl", "predictions.csv"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    # the prompt of each item is the one the openai backend sends for it (same seed)
    with fake_server() as server:
        proc = _bench_run("openai:echo", release, tmp_path / "openai", "--base-url", server.url, cache=hf_cache)
        assert proc.returncode == 0, proc.stderr
        sent = {json.dumps(r["messages"]) for r in server.chat_requests()}
    openai_log = {e["id"]: e for e in _log(tmp_path / "openai")}
    assert set(openai_log) == {e["id"] for e in log}
    for entry in log:
        assert entry["messages"] == openai_log[entry["id"]]["messages"]
        assert entry["prompt_sha256"] == openai_log[entry["id"]]["prompt_sha256"]
        assert json.dumps(entry["messages"]) in sent


def test_hf_run_with_a_chat_template_and_upstream_truncation(chat_model: Path, release: Path,  # noqa: F811
                                                             hf_cache: Path, tmp_path: Path) -> None:  # noqa: F811
    tokenizer = PreTrainedTokenizerFast.from_pretrained(chat_model)
    assert tokenizer.chat_template == TEMPLATE
    tasks = ("--tasks", "mcqa,summarization")
    proc = _bench_run(f"hf:{chat_model}", release, tmp_path / "medsins", *tasks, cache=hf_cache)
    assert proc.returncode == 0, proc.stderr
    for entry in _log(tmp_path / "medsins"):
        text = tokenizer.apply_chat_template(entry["messages"], tokenize=False, add_generation_prompt=True)
        assert text.startswith("<|user|>\n") and text.endswith("<|assistant|>\n")
        # medsins protocol: tokenized as apply_chat_template does (no special tokens added to the template's)
        assert entry["prompt_tokens"] == len(tokenizer(text, add_special_tokens=False)["input_ids"])
        assert entry["completion_tokens"] > 0 and not entry["truncated"]
    proc = _bench_run(f"hf:{chat_model}", release, tmp_path / "upstream", *tasks, "--protocol", "upstream",
                      "--max-input-tokens", "60", cache=hf_cache)
    assert proc.returncode == 0, proc.stderr
    log = _log(tmp_path / "upstream")
    assert {e["messages"][0]["role"] for e in log} == {"system"}
    assert any(e["truncated"] for e in log)  # the few-shot prompts are longer than 60 tokens of this tokenizer
    for entry in log:
        text = tokenizer.apply_chat_template(entry["messages"], tokenize=False, add_generation_prompt=True)
        whole = len(tokenizer(text)["input_ids"])
        assert entry["input_tokens"] == whole and entry["max_input_tokens"] == 60
        assert entry["truncated"] == (whole > 60)
        assert entry["prompt_tokens"] == min(whole, 60)


def test_truncation_keeps_exactly_the_first_n_tokens(tmp_path: Path) -> None:
    long_input = " ".join(CORPUS * 20)
    messages = [{"role": "system", "content": "Extract the disease entities ."},
                {"role": "user", "content": f"Input:\n{long_input}\nOutput:"}]
    for template in (None, TEMPLATE):
        folder = _tiny_tokenizer(tmp_path / str(template is not None), template)
        tokenizer = PreTrainedTokenizerFast.from_pretrained(folder)
        encoder = PromptEncoder(tokenizer, 37, "upstream")
        encoded = encoder.encode(messages)
        whole = tokenizer(encoded.text)["input_ids"]
        assert len(whole) > 300 and encoded.input_tokens == len(whole) and encoded.templated == bool(template)
        assert encoded.truncated and encoded.ids == whole[:37]  # cut from the right: the query's end is lost
        sent, same = encoder.cut_messages(messages)
        assert same == encoded
        assert sent[0] == messages[0] and sent[1]["role"] == "user"
        assert messages[1]["content"].startswith(sent[1]["content"]) and len(sent[1]["content"]) < 200
        # what is sent is what the kept tokens cover: the same 37 tokens once rendered again, then (with a chat
        # template) the end of the turn and the assistant header that upstream's cut loses and a server adds back
        again = PromptEncoder(tokenizer, None, "upstream").encode(sent)
        assert again.ids[:37] == encoded.ids
        tail = tokenizer("\n<|assistant|>\n", add_special_tokens=False)["input_ids"] if template else []
        assert again.ids[37:] == tail
        assert PromptEncoder(tokenizer, None, "upstream").encode(messages).ids == whole  # no limit: no cut
        short = [{"role": "user", "content": "the patient has a fever"}]
        encoded = PromptEncoder(tokenizer, 37).encode(short)
        assert not encoded.truncated and encoded.input_tokens == len(encoded.ids) >= 5


def test_openai_truncates_with_tokenizer_or_warns(release: Path, hf_cache: Path, tmp_path: Path) -> None:  # noqa: F811
    folder = _tiny_tokenizer(tmp_path / "tokenizer", None)
    tokenizer = PreTrainedTokenizerFast.from_pretrained(folder)
    args = ("--tasks", "summarization", "--protocol", "upstream")
    with fake_server() as server:
        base = ("--base-url", server.url)
        proc = _bench_run("openai:echo", release, tmp_path / "cut", *args, *base, "--max-input-tokens", "40",
                          "--tokenizer", str(folder), cache=hf_cache)
        assert proc.returncode == 0, proc.stderr
        assert "warning" not in proc.stderr
        cut_requests = server.chat_requests()
        log = _log(tmp_path / "cut")
        assert log and all(e["truncated"] and e["input_tokens"] > 40 and e["max_input_tokens"] == 40 for e in log)
        for entry in log:
            sent = entry["sent_messages"]
            assert any(json.dumps(r["messages"]) == json.dumps(sent) for r in cut_requests)
            assert len(tokenizer("\n".join(m["content"] for m in sent))["input_ids"]) == 40
        # another limit is another prompt: asked again on a rerun into the same folder
        proc = _bench_run("openai:echo", release, tmp_path / "cut", *args, *base, "--max-input-tokens", "0",
                          "--tokenizer", str(folder), cache=hf_cache)
        assert proc.returncode == 0, proc.stderr
        again = _log(tmp_path / "cut")[len(log):]
        assert len(again) == len(log) and not any(e["truncated"] or "sent_messages" in e for e in again)
        # no tokenizer: the default 2048 of the upstream protocol cannot be counted; one warning, prompts whole
        done = len(server.chat_requests())
        proc = _bench_run("openai:echo", release, tmp_path / "whole", *args, *base, cache=hf_cache)
        assert proc.returncode == 0, proc.stderr
        whole_requests = server.chat_requests()[done:]
    assert proc.stderr.count("not truncated at 2048 tokens") == 1 and "--tokenizer" in proc.stderr
    assert sorted(json.dumps(r["messages"]) for r in whole_requests) == sorted(
        json.dumps(e["messages"]) for e in _log(tmp_path / "whole"))
    assert all(e["max_input_tokens"] is None and not e["truncated"] for e in _log(tmp_path / "whole"))


def test_missing_packages_are_one_line_install_hints(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for module in ("transformers", "torch"):
        with monkeypatch.context() as patch:
            patch.setitem(sys.modules, module, None)
            with pytest.raises(MedsinsError, match=r"^the hf backend needs .*: pip install 'medsins\[hf\]'$"):
                make_backend(f"hf:{tmp_path}")
    monkeypatch.setitem(sys.modules, "transformers", None)
    with pytest.raises(MedsinsError, match=r"--tokenizer needs the transformers package: pip install 'medsins\[hf\]'"):
        make_backend("openai:x", tokenizer=str(tmp_path), max_input_tokens=10)
    monkeypatch.setitem(sys.modules, "vllm", None)
    with pytest.raises(MedsinsError, match=r"^the vllm backend needs the vllm package .*'medsins\[vllm\]'$"):
        make_backend("vllm:some/model")
    with pytest.raises(MedsinsError, match="uses the model's own tokenizer"):
        make_backend("hf:x", tokenizer="y")


def test_a_missing_model_folder_is_a_one_line_error(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "medsins", "bench", "run", "--model", f"hf:{tmp_path / 'none'}",
                           "--out", str(tmp_path / "o")], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "HF_HUB_OFFLINE": "1"})
    assert proc.returncode == 1 and "cannot load the model" in proc.stderr and "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def test_torch_stays_out_of_the_test_process() -> None:
    """See the module docstring: these tests load torch in child processes only."""
    assert "torch" not in sys.modules


def _gpu_ready() -> bool:
    """vllm installed and a CUDA GPU (torch imported only where vllm is, i.e. never in CI)."""
    if importlib.util.find_spec("vllm") is None:
        return False
    import torch

    return torch.cuda.is_available()


@pytest.mark.gpu
@pytest.mark.skipif(not _gpu_ready(), reason="vllm and a CUDA GPU are needed")
def test_vllm_run_end_to_end(chat_model: Path, release: Path, hf_cache: Path, tmp_path: Path) -> None:  # noqa: F811
    for out in ("a", "b"):
        proc = _bench_run(f"vllm:{chat_model}", release, tmp_path / out, "--tasks", "mcqa,summarization",
                          cache=hf_cache)
        assert proc.returncode == 0, proc.stderr
    tokenizer = PreTrainedTokenizerFast.from_pretrained(chat_model)
    for entry in _log(tmp_path / "a"):
        text = tokenizer.apply_chat_template(entry["messages"], tokenize=False, add_generation_prompt=True)
        assert entry["prompt_tokens"] == len(tokenizer(text, add_special_tokens=False)["input_ids"])
        assert entry["completion_tokens"] > 0 and entry["model"] == f"vllm:{chat_model}"
    assert (tmp_path / "a" / "predictions.jsonl").read_bytes() == (tmp_path / "b" / "predictions.jsonl").read_bytes()


if __name__ == "__main__":  # `python tests/test_bench_hf.py DIR`: the tiny models in DIR/plain and DIR/chat
    _tiny_model(Path(sys.argv[1]) / "plain", None)
    _tiny_model(Path(sys.argv[1]) / "chat", TEMPLATE)
