"""Prompt text and tokens with a Hugging Face tokenizer, and upstream's input truncation.

Used by the local engines (``hf:``, ``vllm:``: the model's own tokenizer) and by
``openai:`` with ``--tokenizer``. The prompt text is the tokenizer's chat template
applied to the messages (``apply_chat_template(..., add_generation_prompt=True)``)
when the tokenizer has one, else the messages' contents joined by ``"\\n"`` (for
the upstream protocol that is upstream's ``default_build_inputs``:
``definition + "\\n" + query``). A template that refuses a system message gets it
merged into the user message (``system + "\\n" + user``, as upstream does for
Mistral).

Truncation, as MedS-Ins' ``Evaluation/eval.py`` does it: the *templated* prompt
text is tokenized with ``tokenizer(text, max_length=N, truncation=True)``
(truncation side right: the first N tokens are kept, so the query and the
assistant header are what is cut). Under the upstream protocol the tokenizer's
special tokens are added to the templated text as upstream's call adds them (for
Llama 3 a second ``<|begin_of_text|>``); under the medsins protocol they are
added only to a plain (untemplated) prompt, as ``apply_chat_template`` itself
tokenizes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from medsins.errors import MedsinsError

#: Upstream's ``model_max_length`` (eval.py): the default ``--max-input-tokens`` under ``--protocol upstream``.
UPSTREAM_MAX_INPUT_TOKENS = 2048

#: One-line install hint of the local engines and ``--tokenizer``.
HF_HINT = "pip install 'medsins[hf]'"

Messages = Sequence[dict[str, str]]


def import_transformers(what: str) -> Any:
    """``transformers``, or a one-line error naming ``what`` needs it and how to install it."""
    try:
        import transformers
    except ImportError:
        raise MedsinsError(f"{what} needs the transformers package: {HF_HINT}") from None
    return transformers


def load_tokenizer(spec: str) -> Any:
    """The Hugging Face tokenizer at a local path or in the local Hub cache (never downloaded)."""
    transformers = import_transformers("--tokenizer")
    try:
        return transformers.AutoTokenizer.from_pretrained(spec, local_files_only=True)
    except (OSError, ValueError) as exc:
        raise MedsinsError(f"--tokenizer {spec}: cannot load a tokenizer offline ({first_line(exc)}); give a "
                           "folder with tokenizer files, or a Hub repo already in the local cache") from None


@dataclass(frozen=True)
class Encoded:
    """One prompt as the model receives it."""

    ids: list[int]  # the token ids sent (truncated when ``truncated``)
    text: str  # the whole prompt text (template applied, or plain)
    messages: tuple[tuple[str, str], ...]  # the messages the text was rendered from (a system message merged)
    templated: bool  # the tokenizer's chat template was used
    input_tokens: int  # tokens of the whole prompt, before truncation
    truncated: bool
    kept_chars: int  # characters of ``text`` that the kept tokens cover (``len(text)`` when not truncated)


class PromptEncoder:
    """Render chat messages with a tokenizer and truncate them from the right at ``max_input_tokens``."""

    def __init__(self, tokenizer: Any, max_input_tokens: int | None, protocol: str = "medsins") -> None:
        self.tokenizer = tokenizer
        self.max_input_tokens = max_input_tokens or None
        self.protocol = protocol
        tokenizer.truncation_side = "right"  # upstream's (the tokenizers' default)

    def render(self, messages: Messages) -> tuple[str, tuple[tuple[str, str], ...], bool]:
        """The prompt text, the messages it shows, and whether the chat template made it."""
        pairs = tuple((m["role"], m["content"]) for m in messages)
        if not getattr(self.tokenizer, "chat_template", None):
            return "\n".join(content for _, content in pairs), pairs, False
        try:
            return self._template(pairs), pairs, True
        except Exception:
            if not pairs or pairs[0][0] != "system" or len(pairs) < 2:
                raise
        # A template that refuses the system role (Mistral, Gemma): merged into the user turn, as upstream.
        merged = (("user", pairs[0][1] + "\n" + pairs[1][1]), *pairs[2:])
        return self._template(merged), merged, True

    def _template(self, pairs: tuple[tuple[str, str], ...]) -> str:
        chat = [{"role": role, "content": content} for role, content in pairs]
        return self.tokenizer.apply_chat_template(chat, tokenize=False, add_generation_prompt=True)

    def encode(self, messages: Messages) -> Encoded:
        """The token ids of ``messages`` (truncated from the right at ``max_input_tokens``)."""
        text, shown, templated = self.render(messages)
        special = self.protocol == "upstream" or not templated
        whole = self.tokenizer(text, add_special_tokens=special)["input_ids"]
        limit = self.max_input_tokens
        if limit is None or len(whole) <= limit:
            return Encoded(list(whole), text, shown, templated, len(whole), False, len(text))
        fast = bool(getattr(self.tokenizer, "is_fast", False))
        cut = self.tokenizer(text, add_special_tokens=special, truncation=True, max_length=limit,
                             return_offsets_mapping=fast)
        ids = list(cut["input_ids"])
        if fast:
            kept_chars = max((end for start, end in cut["offset_mapping"] if end > start), default=0)
        else:  # a slow tokenizer has no offsets: the kept text is what the kept ids decode to
            kept_chars = len(self.tokenizer.decode(ids, skip_special_tokens=False))
        return Encoded(ids, text, shown, templated, len(whole), True, kept_chars)

    def cut_messages(self, messages: Messages) -> tuple[list[dict[str, str]], Encoded]:
        """Messages whose contents are what the truncated prompt keeps of them (for a chat API).

        A chat API applies the template itself, so the cut is carried back to the
        messages: the message in which the last kept token ends is cut there, the
        messages after it are dropped. (Upstream also loses the end-of-turn and
        assistant header tokens after the cut; a chat server adds them back.)
        """
        encoded = self.encode(messages)
        if not encoded.truncated:
            return [dict(m) for m in messages], encoded
        shown = [{"role": role, "content": content} for role, content in encoded.messages]
        kept: list[dict[str, str]] = []
        cursor = 0
        for message in shown:
            content = message["content"]
            start = encoded.text.find(content, cursor) if content else cursor
            if start < 0:
                raise MedsinsError("cannot find a message in the chat template's output to truncate it; "
                                   "use --max-input-tokens 0 (no truncation)")
            if start >= encoded.kept_chars:
                break
            end = start + len(content)
            kept.append({"role": message["role"], "content": content[:max(0, encoded.kept_chars - start)]})
            cursor = end
            if end >= encoded.kept_chars:
                break
        return kept, encoded


def first_line(exc: BaseException) -> str:
    """The first line of an exception's message (at most 200 characters), for a one-line error."""
    text = str(exc).strip().splitlines()
    return text[0][:200] if text else type(exc).__name__
