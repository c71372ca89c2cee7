"""Language filter: drop records whose text is not in the language their task declares.

Each record declares ``input_language`` and ``output_language``; the filter checks
each side on its own (a translation task has input ``en`` and output ``sv``).

The check is layered so that the expensive part runs on as little text as possible:

1. **Script.** Letters are counted per Unicode script on the head of the text
   (:mod:`medsins.stages.scripts`). Kana → ja, Han without kana → zh, Cyrillic → ru,
   Hangul → ko. A text whose dominant script is not the declared language's is a
   mismatch without any statistics. Han-only text declared ``ja`` is accepted:
   kanji-only Japanese (short answers such as 肺癌) cannot be told from Chinese.
2. **Statistics**, only for Latin-script text declared in a Latin-script language:
   a detector restricted to the Latin languages in play (en, fr, es, de, sv, ca)
   reads the first :attr:`Thresholds.head_chars` characters after numbers, codes,
   formulas and acronyms are removed (``500 mg``, ``E11.9``, ``C12H22O11``,
   ``BRCA1`` carry no language).

A side is dropped only when the evidence is strong: enough letters/words AND a
confident detector. Short texts (labels, options, entity names), entity lists
(NER outputs, one entity a line) and low-confidence detections fall back to the
declared language, i.e. are kept. Thresholds were measured on a labelled set of
real corpus text (``benchmarks/bench_language.py``, results in
``benchmarks/README.md``).

Usage::

    from medsins.stages.language import LanguageFilter

    verdicts = LanguageFilter().check(inputs, outputs, input_langs, output_langs)
    dropped = [(i, v.reason) for i, v in enumerate(verdicts) if v is not None]
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import resources
from typing import Any, Literal

from medsins.stages.scripts import LANGUAGE_SCRIPTS, Script, count_scripts, script_language

#: The backends :class:`LanguageFilter` accepts.
BACKENDS = ("lingua", "langdetect")

#: The default backend: more accurate AND faster on the labelled set (see benchmarks/README.md).
DEFAULT_BACKEND = "lingua"

#: Latin-script languages of MedS-Ins: the six-language set's en, fr, es plus de, sv, ca
#: (translation and stance tasks). The statistical detector is restricted to these.
LATIN_LANGUAGES = ("en", "fr", "es", "de", "sv", "ca")

Side = Literal["input", "output"]

# Tokens with a digit (doses, codes, formulas, gene names: 500, E11.9, C12H22O11, BRCA1, ICD-10)
# and all-capitals acronyms (ICD, CPAP, HIV) say nothing about the language around them.
_NOISE = re.compile(r"\S*\d\S*|\b[A-Z][A-Z]+s?\b|https?://\S+|\S+@\S+")
_WORD = re.compile(r"[^\W\d_]+")
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True, slots=True)
class Thresholds:
    """When the filter trusts its evidence enough to drop (measured, see the module doc)."""

    #: The statistical detector reads at most this many characters of cleaned text (early exit).
    head_chars: int = 300
    #: Script counting reads at most this many characters.
    script_head_chars: int = 1000
    #: Fewer weighted letters than this (CJK characters count 3) → too short, keep.
    min_script_letters: float = 12.0
    #: A foreign script must hold at least this share of the letters to call a mismatch.
    min_script_share: float = 0.6
    #: Fewer words than this after cleaning → too short for statistics, keep.
    min_words: int = 6
    #: Detector confidence needed to drop a Latin-script text, per backend.
    min_confidence: dict[str, float] = field(default_factory=lambda: {"lingua": 0.9, "langdetect": 0.95})
    #: A text of ≥ 2 lines averaging fewer words than this per line is an entity list.
    list_words_per_line: float = 4.0


@dataclass(frozen=True, slots=True)
class LanguageVerdict:
    """Why a record is dropped: one side's detected language contradicts the declared one."""

    side: Side
    declared: str
    detected: str
    confidence: float
    reason: str
    #: What decided it: ``"script"`` or the backend name.
    method: str


@dataclass(frozen=True, slots=True)
class _Job:
    """A Latin-script side waiting for the statistical detector."""

    row: int
    side: Side
    declared: str
    text: str
    #: Set when the script check already decided (the detector only names the language).
    script_share: float | None = None


class LanguageFilter:
    """Compare declared and detected languages for a batch of records.

    ``backend`` is ``"lingua"`` (lingua-language-detector, default) or ``"langdetect"``
    (seeded, deterministic). The detector is built lazily on first use and held by the
    instance; nothing is cached at module level.

    >>> LanguageFilter().check(["¿Cuál es el tratamiento de primera línea para la hipertensión arterial?"],
    ...                        ["Los diuréticos tiazídicos."], ["en"], ["en"])[0].reason
    'input detected es (1.00), declared en'
    """

    def __init__(
        self,
        backend: str = DEFAULT_BACKEND,
        *,
        thresholds: Thresholds | None = None,
        latin_languages: Sequence[str] = LATIN_LANGUAGES,
    ) -> None:
        if backend not in BACKENDS:
            raise ValueError(f"unknown language backend {backend!r}; expected one of {', '.join(BACKENDS)}")
        self.backend = backend
        self.thresholds = thresholds or Thresholds()
        self.latin_languages = tuple(sorted(set(latin_languages)))
        if len(self.latin_languages) < 2:
            raise ValueError("latin_languages needs at least two languages to tell apart")
        self.min_confidence = self.thresholds.min_confidence[backend]
        self._detector: Any = None

    # -- public API ---------------------------------------------------------------------------

    def check(
        self,
        inputs: Sequence[str],
        outputs: Sequence[str],
        input_langs: Sequence[str],
        output_langs: Sequence[str],
    ) -> list[LanguageVerdict | None]:
        """One entry per record: ``None`` to keep it, a :class:`LanguageVerdict` to drop it.

        The input side is judged first; the output's verdict is reported only when the
        input passes. Sequences may be lists or Arrow columns' ``to_pylist()``.
        """
        n = len(inputs)
        if not (len(outputs) == len(input_langs) == len(output_langs) == n):
            raise ValueError("inputs, outputs, input_langs and output_langs must have the same length")
        found: dict[tuple[int, Side], LanguageVerdict] = {}
        jobs: list[_Job] = []
        for row in range(n):
            for side, text, declared in (
                ("input", inputs[row], input_langs[row]),
                ("output", outputs[row], output_langs[row]),
            ):
                verdict, job = self._script_stage(row, side, text or "", declared)
                if job is not None:
                    jobs.append(job)
                if verdict is not None:
                    found[row, side] = verdict
                    break  # the input's verdict stands; the output need not be looked at
        for job, guess in zip(jobs, self._detect([job.text for job in jobs]), strict=True):
            verdict = self._statistical_verdict(job, guess)
            if verdict is not None:
                found[job.row, job.side] = verdict
        return [found.get((row, "input")) or found.get((row, "output")) for row in range(n)]

    def detect(self, texts: Sequence[str]) -> list[tuple[str, float] | None]:
        """Best (language, confidence) per text, or None when undecidable; no thresholds.

        Non-Latin scripts are named by script (confidence = the script's share of letters);
        Latin-script text goes to the backend. Used by the benchmark to measure accuracy.
        """
        results: list[tuple[str, float] | None] = [None] * len(texts)
        latin_rows: list[int] = []
        for i, text in enumerate(texts):
            counts = count_scripts(text[: self.thresholds.script_head_chars])
            script, share = counts.dominant()
            if share == 0:
                continue
            if script is Script.LATIN:
                latin_rows.append(i)
            else:
                results[i] = (script_language(script), share)
        guesses = self._detect([_clean(texts[i])[: self.thresholds.head_chars] for i in latin_rows])
        for i, guess in zip(latin_rows, guesses, strict=True):
            results[i] = guess
        return results

    # -- stages -------------------------------------------------------------------------------

    def _script_stage(
        self, row: int, side: Side, text: str, declared: str
    ) -> tuple[LanguageVerdict | None, _Job | None]:
        """Decide by script, or hand a Latin-script text to the statistical stage."""
        t = self.thresholds
        expected = LANGUAGE_SCRIPTS.get(declared)
        if expected is None or not text.strip():
            return None, None  # a language we cannot check, or nothing to check
        counts = count_scripts(text[: t.script_head_chars])
        script, share = counts.dominant()
        if counts.total < t.min_script_letters:
            return None, None  # too short: fall back to the declared language
        compatible = script is expected or (expected is Script.KANA and script is Script.HAN)
        if compatible:
            if script is not Script.LATIN or declared not in self.latin_languages:
                return None, None
            if _is_entity_list(text, t.list_words_per_line):
                return None, None  # entity names carry little language: lenient
            cleaned = _clean(text[: t.head_chars * 2])
            head = _cut(cleaned, t.head_chars)
            if len(_WORD.findall(head)) < t.min_words:
                return None, None
            return None, _Job(row, side, declared, head)
        if share < t.min_script_share:
            return None, None  # mixed scripts: not confident enough
        if script is Script.LATIN:
            # The script already decides; the detector only names the Latin language.
            head = _cut(_clean(text[: t.head_chars * 2]), t.head_chars)
            return None, _Job(row, side, declared, head, script_share=share)
        detected = script_language(script)
        return _verdict(side, declared, detected, share, "script"), None

    def _statistical_verdict(self, job: _Job, guess: tuple[str, float] | None) -> LanguageVerdict | None:
        """Turn a detector's guess into a verdict (or None to keep)."""
        if job.script_share is not None:
            detected = guess[0] if guess is not None else "und"
            return _verdict(job.side, job.declared, detected, job.script_share, "script")
        if guess is None:
            return None
        detected, confidence = guess
        if detected == job.declared or confidence < self.min_confidence:
            return None
        return _verdict(job.side, job.declared, detected, confidence, self.backend)

    # -- backends -----------------------------------------------------------------------------

    def _detect(self, texts: list[str]) -> list[tuple[str, float] | None]:
        """The backend's best language and confidence for each (Latin-script) text."""
        if not texts:
            return []
        if self.backend == "lingua":
            return self._detect_lingua(texts)
        return self._detect_langdetect(texts)

    def _detect_lingua(self, texts: list[str]) -> list[tuple[str, float] | None]:
        if self._detector is None:
            from lingua import IsoCode639_1, LanguageDetectorBuilder

            codes = [getattr(IsoCode639_1, code.upper()) for code in self.latin_languages]
            self._detector = LanguageDetectorBuilder.from_iso_codes_639_1(*codes).build()
        results: list[tuple[str, float] | None] = []
        # The parallel call releases the GIL and spreads the batch over the cores.
        for values in self._detector.compute_language_confidence_values_in_parallel(texts):
            if not values or values[0].value <= 0:
                results.append(None)
            else:
                best = values[0]
                results.append((best.language.iso_code_639_1.name.lower(), float(best.value)))
        return results

    def _detect_langdetect(self, texts: list[str]) -> list[tuple[str, float] | None]:
        from langdetect.lang_detect_exception import LangDetectException

        if self._detector is None:
            from langdetect.detector_factory import DetectorFactory

            factory = DetectorFactory()
            profiles = resources.files("langdetect") / "profiles"
            # Only the Latin languages in play, like lingua: fewer look-alikes, fewer errors.
            factory.load_json_profile([(profiles / code).read_text("utf-8") for code in self.latin_languages])
            factory.seed = 0  # the instance's own seed: deterministic, no global state touched
            self._detector = factory
        results: list[tuple[str, float] | None] = []
        for text in texts:
            detector = self._detector.create()
            detector.set_max_text_length(self.thresholds.head_chars)
            detector.append(text)
            try:
                best = detector.get_probabilities()[0]
            except (LangDetectException, IndexError):
                results.append(None)
                continue
            results.append((best.lang, float(best.prob)))
        return results


def _verdict(side: Side, declared: str, detected: str, confidence: float, method: str) -> LanguageVerdict:
    reason = f"{side} detected {detected} ({confidence:.2f}), declared {declared}"
    return LanguageVerdict(side, declared, detected, round(confidence, 4), reason, method)


def _clean(text: str) -> str:
    """The text without numbers, codes, formulas, acronyms, URLs; whitespace collapsed."""
    return _SPACES.sub(" ", _NOISE.sub(" ", text)).strip()


def _cut(text: str, limit: int) -> str:
    """The first ``limit`` characters, not ending inside a word."""
    if len(text) <= limit:
        return text
    head = text[:limit]
    space = head.rfind(" ")
    return head[:space] if space > limit // 2 else head


def _is_entity_list(text: str, words_per_line: float) -> bool:
    """NER-style output: several short lines (one entity a line)."""
    lines = [line for line in text.splitlines() if line.strip()]
    if len(lines) < 2:
        return False
    return len(_WORD.findall(text)) / len(lines) < words_per_line
