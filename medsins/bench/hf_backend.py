"""Local engines of ``medsins bench run``: ``hf:<path-or-repo>`` (transformers) and ``vllm:<path-or-repo>``.

Both are imported only when asked for (``pip install 'medsins[hf]'``,
``pip install 'medsins[vllm]'``), answer a batch of prompts at once
(``complete_batch``: ``bench run`` sends ``--concurrency`` items per batch), decode
greedily, and build each prompt with the model's own tokenizer
(:class:`medsins.bench.tokens.PromptEncoder`: the chat template when the tokenizer
has one, else the plain prompt; truncated from the right at ``max_input_tokens``).
Special tokens are skipped when the completion is decoded, as upstream's eval.py does.
"""

from __future__ import annotations

from collections.abc import Sequence

from medsins.bench.backends import BackendError, Completion
from medsins.bench.tokens import HF_HINT, Encoded, Messages, PromptEncoder, first_line
from medsins.errors import MedsinsError

VLLM_HINT = "pip install 'medsins[vllm]'"


class _BatchEngine:
    """What both local engines share: one prompt is a batch of one."""

    def complete_batch(self, batch: Sequence[Messages], max_tokens: int) -> list[Completion]:
        raise NotImplementedError

    def complete(self, messages: list[dict[str, str]], max_tokens: int) -> Completion:
        """One prompt (a batch of one)."""
        return self.complete_batch([messages], max_tokens)[0]


class HFBackend(_BatchEngine):
    """A causal LM run by ``transformers`` on this machine (GPU when torch sees one, else CPU)."""

    def __init__(self, model: str, *, protocol: str = "medsins", max_input_tokens: int | None = None,
                 batch_size: int = 8) -> None:
        # transformers first: it does not import torch itself, so a test (or a user) missing one sees it named
        try:
            import transformers
        except ImportError:
            raise MedsinsError(f"the hf backend needs the transformers package: {HF_HINT}") from None
        try:
            import torch
        except ImportError:
            raise MedsinsError(f"the hf backend needs the torch package: {HF_HINT}") from None
        self.name = f"hf:{model}"
        self.batch_size = max(1, batch_size)
        self._torch = torch
        transformers.utils.logging.disable_progress_bar()  # stderr is for the run's own progress lines
        try:
            tokenizer = transformers.AutoTokenizer.from_pretrained(model)
            self.model = transformers.AutoModelForCausalLM.from_pretrained(model)
        except (OSError, ValueError) as exc:
            raise MedsinsError(f"--model hf:{model}: cannot load the model ({first_line(exc)})") from None
        tokenizer.padding_side = "left"  # a batch's prompts end where generation starts
        if tokenizer.pad_token_id is None:
            if tokenizer.eos_token_id is None:
                raise MedsinsError(f"--model hf:{model}: the tokenizer has neither a pad nor an eos token")
            tokenizer.pad_token = tokenizer.eos_token
        self.tokenizer = tokenizer
        self.encoder = PromptEncoder(tokenizer, max_input_tokens, protocol)
        self.max_input_tokens = self.encoder.max_input_tokens
        self.device = "cuda" if torch.cuda.is_available() else "cpu"
        self.model.to(self.device)
        self.model.eval()
        eos = self.model.generation_config.eos_token_id
        eos_ids = set(eos if isinstance(eos, list) else [] if eos is None else [eos])
        if tokenizer.eos_token_id is not None:
            eos_ids.add(tokenizer.eos_token_id)
        self._eos = eos_ids

    def complete_batch(self, batch: Sequence[Messages], max_tokens: int) -> list[Completion]:
        """Greedy completions of ``batch`` (left-padded into one ``generate`` call)."""
        encoded = [self.encoder.encode(messages) for messages in batch]
        torch = self._torch
        padded = self.tokenizer.pad({"input_ids": [e.ids for e in encoded]}, padding=True, return_tensors="pt")
        width = padded["input_ids"].shape[1]
        try:
            with torch.inference_mode():
                output = self.model.generate(
                    input_ids=padded["input_ids"].to(self.device),
                    attention_mask=padded["attention_mask"].to(self.device),
                    max_new_tokens=max_tokens, do_sample=False, num_beams=1,
                    pad_token_id=self.tokenizer.pad_token_id)
        except (RuntimeError, ValueError, IndexError) as exc:  # out of memory, a prompt beyond the model's length
            raise BackendError(f"generate failed: {first_line(exc)}") from None
        completions = []
        for row, enc in zip(output[:, width:].tolist(), encoded, strict=True):
            count = next((i + 1 for i, token in enumerate(row) if token in self._eos), len(row))
            text = self.tokenizer.decode(row[:count], skip_special_tokens=True)
            completions.append(_completion(text, len(enc.ids), count, enc))
        return completions


class VLLMBackend(_BatchEngine):
    """vLLM's offline engine (``vllm.LLM``) on this machine's GPU, greedy (``temperature=0``)."""

    def __init__(self, model: str, *, protocol: str = "medsins", max_input_tokens: int | None = None,
                 batch_size: int = 256) -> None:
        try:
            import vllm
        except ImportError:
            raise MedsinsError(f"the vllm backend needs the vllm package (and a GPU): {VLLM_HINT}") from None
        self.name = f"vllm:{model}"
        self.batch_size = max(1, batch_size)
        self._vllm = vllm
        try:
            self.llm = vllm.LLM(model=model, seed=0)
        except (OSError, ValueError) as exc:
            raise MedsinsError(f"--model vllm:{model}: cannot load the model ({first_line(exc)})") from None
        self.encoder = PromptEncoder(self.llm.get_tokenizer(), max_input_tokens, protocol)
        self.max_input_tokens = self.encoder.max_input_tokens

    def complete_batch(self, batch: Sequence[Messages], max_tokens: int) -> list[Completion]:
        """Greedy completions of ``batch``; the prompts go to the engine as token ids (already templated)."""
        encoded = [self.encoder.encode(messages) for messages in batch]
        params = self._vllm.SamplingParams(temperature=0.0, max_tokens=max_tokens, skip_special_tokens=True)
        try:
            outputs = self.llm.generate([{"prompt_token_ids": e.ids} for e in encoded], params, use_tqdm=False)
        except (RuntimeError, ValueError) as exc:
            raise BackendError(f"vllm generate failed: {first_line(exc)}") from None
        return [_completion(out.outputs[0].text, len(out.prompt_token_ids), len(out.outputs[0].token_ids), enc)
                for out, enc in zip(outputs, encoded, strict=True)]


def _completion(text: str, prompt_tokens: int, completion_tokens: int, encoded: Encoded) -> Completion:
    return Completion(text, prompt_tokens, completion_tokens, input_tokens=encoded.input_tokens,
                      truncated=encoded.truncated)
