"""Model backends of ``medsins bench run``: ``openai:<model>``, ``hf:<path-or-repo>``, ``vllm:<path-or-repo>``.

A backend turns chat messages into a :class:`Completion`. ``openai:`` must be
safe to call from several threads at once (``--concurrency`` requests in
flight); the local engines (:mod:`medsins.bench.hf_backend`, imported only when
asked for) have a ``batch_size`` and a ``complete_batch`` method instead, and are
called from one thread.
"""

from __future__ import annotations

import os
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Protocol

from medsins.errors import MedsinsError

if TYPE_CHECKING:
    from medsins.bench.tokens import PromptEncoder

#: Environment variables read by the openai backend (the key is never printed).
BASE_URL_ENV = "OPENAI_BASE_URL"
API_KEY_ENV = "OPENAI_API_KEY"


@dataclass(frozen=True)
class Completion:
    """A model's answer to one prompt."""

    text: str
    prompt_tokens: int | None = None  # what the model received (the server's usage for openai:)
    completion_tokens: int | None = None
    attempts: int = 1
    input_tokens: int | None = None  # the whole prompt before truncation (when a tokenizer counted it)
    truncated: bool = False  # the prompt was cut at the backend's ``max_input_tokens``
    sent: list[dict[str, str]] | None = None  # the messages sent, when they differ from the prompt (truncated)


class BackendError(Exception):
    """A request failed for good (after the retries, or on a 4xx that retrying cannot fix)."""


class Backend(Protocol):
    """What ``bench run`` needs of a model."""

    name: str
    max_input_tokens: int | None  # prompts are cut from the right at this many tokens (None: never)

    def complete(self, messages: list[dict[str, str]], max_tokens: int) -> Completion:
        """Answer one chat; raise :class:`BackendError` when it cannot."""
        ...


@dataclass(frozen=True)
class Retry:
    """Retry policy: ``attempts`` in all, exponential backoff with jitter from ``base`` to ``cap`` seconds."""

    attempts: int = 6
    base: float = 1.0
    cap: float = 30.0

    def delay(self, attempt: int) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based)."""
        return min(self.cap, self.base * 2 ** (attempt - 1)) * (0.5 + random.random() / 2)


class OpenAIBackend:
    """Any OpenAI-compatible chat/completions endpoint (vLLM, TGI, llama.cpp, hosted APIs), greedy."""

    def __init__(self, model: str, base_url: str | None = None, *, timeout: float = 600.0,
                 retry: Retry | None = None, sleep: Callable[[float], None] = time.sleep,
                 encoder: PromptEncoder | None = None) -> None:
        """``encoder``: a tokenizer that truncates the prompts before they are sent (``--tokenizer``)."""
        try:
            import openai
        except ImportError:
            raise MedsinsError("the openai backend needs the openai package: pip install 'medsins[bench]'") from None
        self.name = f"openai:{model}"
        self.model = model
        self.retry = retry or Retry()
        self.encoder = encoder
        self.max_input_tokens = encoder.max_input_tokens if encoder is not None else None
        self._sleep = sleep
        self._openai = openai
        base_url = base_url or os.environ.get(BASE_URL_ENV)
        # A local server (vLLM, llama.cpp) needs no key, but the client insists on one.
        key = os.environ.get(API_KEY_ENV) or "EMPTY"
        # max_retries=0: the retries are ours, so that which errors are retried is explicit.
        self.client = openai.OpenAI(base_url=base_url, api_key=key, timeout=timeout, max_retries=0)

    def complete(self, messages: list[dict[str, str]], max_tokens: int) -> Completion:
        """One chat completion at temperature 0, retried on 429, 5xx, timeouts and lost connections."""
        openai = self._openai
        encoded = None
        if self.encoder is not None:
            messages, encoded = self.encoder.cut_messages(messages)
        for attempt in range(1, self.retry.attempts + 1):
            try:
                response = self.client.chat.completions.create(
                    model=self.model, messages=messages, max_tokens=max_tokens, temperature=0.0)
            except (openai.APITimeoutError, openai.APIConnectionError) as exc:
                why = f"{type(exc).__name__}: {exc}"
            except openai.APIStatusError as exc:
                why = f"HTTP {exc.status_code}: {_short(exc.message)}"
                if exc.status_code != 429 and exc.status_code < 500:
                    raise BackendError(why) from None
            except openai.OpenAIError as exc:  # a malformed response: retrying will not fix it
                raise BackendError(f"{type(exc).__name__}: {_short(str(exc))}") from None
            else:
                completion = _completion(response, attempt)
                if encoded is None:
                    return completion
                return replace(completion, input_tokens=encoded.input_tokens, truncated=encoded.truncated,
                               sent=messages if encoded.truncated else None)
            if attempt < self.retry.attempts:
                self._sleep(self.retry.delay(attempt))
        raise BackendError(f"{why} (after {self.retry.attempts} attempts)")


def _completion(response: Any, attempt: int) -> Completion:
    choice = response.choices[0] if response.choices else None
    text = choice.message.content if choice is not None and choice.message is not None else None
    if text is None:
        raise BackendError("the server returned no message content")
    usage = getattr(response, "usage", None)
    return Completion(text, getattr(usage, "prompt_tokens", None), getattr(usage, "completion_tokens", None),
                      attempt)


def _short(text: str, limit: int = 200) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[:limit] + "..."


def make_backend(spec: str, *, base_url: str | None = None, retry: Retry | None = None,
                 protocol: str = "medsins", max_input_tokens: int | None = None, tokenizer: str | None = None,
                 batch_size: int = 8) -> Backend:
    """The backend named by ``spec``: ``openai:<model>``, ``hf:<path-or-repo>`` or ``vllm:<path-or-repo>``.

    ``max_input_tokens`` cuts each prompt from the right at that many tokens of the
    model's tokenizer (hf, vllm) or of ``tokenizer`` (openai; without one, openai
    prompts are sent whole and the backend's ``max_input_tokens`` is None).
    ``batch_size`` is the local engines' batch.
    """
    kind, _, name = spec.partition(":")
    if kind in ("hf", "vllm") and name and tokenizer is not None:
        raise MedsinsError(f"--tokenizer is for openai: models; {kind}: uses the model's own tokenizer")
    if kind == "openai" and name:
        encoder = None
        if tokenizer is not None and max_input_tokens:
            from medsins.bench.tokens import PromptEncoder, load_tokenizer

            encoder = PromptEncoder(load_tokenizer(tokenizer), max_input_tokens, protocol)
        return OpenAIBackend(name, base_url, retry=retry, encoder=encoder)
    if kind == "hf" and name:
        from medsins.bench.hf_backend import HFBackend

        return HFBackend(name, protocol=protocol, max_input_tokens=max_input_tokens, batch_size=batch_size)
    if kind == "vllm" and name:
        from medsins.bench.hf_backend import VLLMBackend

        return VLLMBackend(name, protocol=protocol, max_input_tokens=max_input_tokens, batch_size=batch_size)
    raise MedsinsError(f"--model {spec!r}: expected openai:<model> (e.g. openai:gpt-4o-mini), hf:<path-or-repo> "
                       "or vllm:<path-or-repo>")
