"""Language filter: drop records whose text is not in the language their task declares.

Each record declares ``input_language`` and ``output_language``; the filter checks
each side on its own (a translation task has input ``en`` and output ``sv``).

The check is layered so that the expensive part runs on as little text as possible:

1. **Script.** Letters are counted per Unicode script on the head of the text
   (:mod:`medsins.stages.scripts`). Kana → ja, Han without kana → zh, Cyrillic → ru,
   Hangul → ko. A text whose dominant script is not the declared language's is a
   mismatch without any statistics. Short Han-only text declared ``ja`` is accepted
   (kanji-only answers such as 肺癌 cannot be told from Chinese), and so is Han-only text
   with a Japanese-only form (検, 伝, 薬: :data:`JAPANESE_ONLY`); Han-only text with a
   long line, or with a simplified-only character (对, 药, 检), declared ``ja`` is Chinese.
   Length is measured line by line: a list of kanji options is short however many lines.
2. **Function words**, for Latin-script text declared in a Latin-script language: two
   or more words that only the declared language uses (the, los, dans, und, och, amb …)
   and none of another's confirm it at set-lookup cost. Most records stop here.
3. **Statistics** for the rest: a detector restricted to the Latin languages in play
   (en, fr, es, de, sv, ca) reads the words of the first :attr:`Thresholds.head_chars`
   characters, without numbers, codes, formulas and acronyms (``500 mg``, ``E11.9``,
   ``C12H22O11``, ``BRCA1``, ``ICD`` carry no language) and without names (capitalised
   words inside a sentence: "Digoxin, Captopril", "Instituto Nacional de Ciencias Médicas").
   A text without a single grammar word of any of the languages (:data:`GRAMMAR_WORDS`) is
   names or terms ("plasma soluble intercellular adhesion molecule"), not prose: kept.
   When a text has short lines (options, one entity a line) besides long ones, the long
   lines alone are read again and must agree before the side is dropped.

A side is dropped only when the evidence is strong: a line of at least
:attr:`Thresholds.min_words` words, a best language with confidence ≥
:attr:`Thresholds.min_confidence`, and the declared language ≤
:attr:`Thresholds.max_declared_confidence`. Short texts (labels, options, drug names),
entity lists (NER outputs, one entity a line) and unsure detections fall back to the
declared language, i.e. are kept. The thresholds were measured on a labelled set of
real corpus text (``benchmarks/bench_language.py``, results in ``benchmarks/README.md``).

Usage::

    from medsins.stages.language import LanguageFilter

    verdicts = LanguageFilter().check(inputs, outputs, input_langs, output_langs)
    dropped = [(i, v.reason) for i, v in enumerate(verdicts) if v is not None]
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any, Literal

from medsins.stages.scripts import LANGUAGE_SCRIPTS, Script, ScriptCounts, count_scripts, script_language

#: The backends :class:`LanguageFilter` accepts.
BACKENDS = ("lingua", "langdetect")

#: The default backend: more accurate AND faster on the labelled set (see benchmarks/README.md).
DEFAULT_BACKEND = "lingua"

#: Latin-script languages of MedS-Ins: the six-language set's en, fr, es plus de, sv, ca
#: (translation and stance tasks). The statistical detector is restricted to these.
LATIN_LANGUAGES = ("en", "fr", "es", "de", "sv", "ca")

Side = Literal["input", "output"]

# A run of letters between word boundaries: the letters of tokens with digits (doses, codes,
# formulas, gene names: 500, E11.9, C12H22O11, BRCA1) are not matched, being glued to a digit.
_WORD = re.compile(r"\b[^\W\d_]+\b")

#: Frequent words that belong to one Latin language only (within this set; words two of the
#: languages share, such as de/la/que/en/les/des/per/on/du/sa, are left out). A text with
#: enough of its declared language's words and none of another's needs no detector: most
#: records are in their declared language, and this vouches for them at set-lookup cost.
#: Never a reason to drop: a text it does not vouch for goes to the detector. Catalan "i"
#: (and) and "hi" (there) are left out: they are also English ("I", "Hi,"), and one such word
#: must not veto an English text.
_FUNCTION_WORDS = {
    "en": (
        "the of and to is are were with which that this these following from for has have had been most "
        "what who not after his she it its be may would should than there their they about into when "
        "during year old woman does did"
    ),
    "es": (
        "los las con por para y más como pero muy esta este estos estas puede cuál cual sin también "
        "tiene tienen fue tras hay donde cuando mediante paciente pacientes siguiente siguientes su sus "
        "está están"
    ),
    "fr": (
        "est et dans pour sur aux avec sont cette il ils elle une au ou ne plus chez peut leur été être "
        "ces quel quelle lequel laquelle suivantes suivants parmi lors après"
    ),
    "de": (
        "der das und ist mit nicht ein eine einer eines von zu bei auf für sich dem werden wird oder "
        "sind wurde auch nach durch nur wie welche"
    ),
    "sv": (
        "och att det som är av för med på inte har kan om vid hos eller ett efter hur vilken vilket vad "
        "sig inom från också mycket"
    ),
    "ca": (
        "els amb és dels als aquest aquesta aquests aquestes però més seva seu pel pels també molt ho "
        "són pot quan cal fins següents següent quina quin mitjançant pacient pacients"
    ),
}
FUNCTION_WORDS: dict[str, frozenset[str]] = {lang: frozenset(words.split()) for lang, words in _FUNCTION_WORDS.items()}

#: Grammar words that two or more of the languages share (left out of :data:`FUNCTION_WORDS`
#: for that reason). With those lists they tell prose from names: a text with not one grammar
#: word of any language is a run of names or terms ("Digoxin, Captopril, Palivizumab …",
#: "plasma soluble intercellular adhesion molecule"), which the detector cannot place.
_SHARED_FUNCTION_WORDS = (
    "a an as at by in on or i o e u y de la le lo el en es les des que du del per sa se si un una uno al da di "
    "do no den die han"
)
SHARED_FUNCTION_WORDS = frozenset(_SHARED_FUNCTION_WORDS.split())
#: More grammar words (conjunctions, question words, pronouns, negations) that prose has and
#: names do not; frequent enough in one language to be of no use as its sole evidence, they
#: only tell prose from names.
_MORE_GRAMMAR_WORDS = (
    "because can could how why where whom whose between among within without against under over upon but if so "
    "both either each all any some such very also only we you he our your my me them him her us do "
    "porque cuando donde entre sobre desde hasta según sin ni pero si sí qué cómo dónde quién todo todos cada "
    "otro otra muy ya "
    "parce quand où sous sans selon mais non oui quoi comment pourquoi qui tout tous toutes chaque autre très "
    "déjà pas "
    "aber wenn weil zwischen unter über ohne sehr kein keine "
    "men när där mellan utan "
    "quan sense molt"
)
GRAMMAR_WORDS: frozenset[str] = frozenset().union(
    SHARED_FUNCTION_WORDS, _MORE_GRAMMAR_WORDS.split(), *FUNCTION_WORDS.values()
)

#: Kanji whose Japanese (shinjitai) form is neither the simplified nor the traditional Chinese
#: one (伝: 传/傳, 検: 检/檢, 気: 气/氣, 薬: 药/藥, 査: 查): one of them in kana-less Han text is
#: evidence of Japanese, as a :data:`~medsins.stages.scripts.SIMPLIFIED_ONLY` character is of
#: Chinese. Kanji-only IgakuQA answers ("X連鎖劣性遺伝", "超音波内視鏡検査") carry them.
JAPANESE_ONLY = (
    "伝検気薬剤処図圧歳広経続変単発様転価児拡従徴悪関歯臓労囲亜脳髄顕覚読実県営栄鉄駅戦黒摂浄総緑繊"
    "覧観権銭険験帯弾悩挿晩歩殻涙満聴膵蔵訳証豊軽辺遅録雑顔髪鶏齢氷砕稲窓繰頚駆応対厳済増効帰査値"
)
_JAPANESE_ONLY = re.compile(f"[{JAPANESE_ONLY}]")
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ffff]")
#: What ends a sentence: the word after it (or at the start of a line) may be capitalised
#: without being a name.
_SENTENCE_END = re.compile(r"[.:!?¿¡]")


@dataclass(frozen=True, slots=True)
class Thresholds:
    """When the filter trusts its evidence enough to drop.

    The defaults are the values measured for the lingua backend; :func:`tuned_thresholds`
    gives each backend its own (``benchmarks/bench_language.py`` sweeps them).
    """

    #: Only this many leading characters are read for statistics (early exit).
    head_chars: int = 200
    #: Script counting reads at most this many characters.
    script_head_chars: int = 1000
    #: Fewer weighted letters than this (CJK characters count 3) → too short, keep.
    min_script_letters: float = 8.0
    #: A foreign script must hold at least this share of the letters to call a mismatch.
    min_script_share: float = 0.6
    #: No line with this many words (numbers, codes, acronyms left out) → too short, keep.
    min_words: int = 4
    #: Drop a Latin-script text only when the detector's best language has at least this
    #: confidence ...
    min_confidence: float = 0.8
    #: ... and the declared language at most this one.
    max_declared_confidence: float = 0.1
    #: Function words (:data:`FUNCTION_WORDS`) of the declared language, with none of another
    #: language's, that confirm a Latin-script text without the detector.
    min_function_words: int = 2
    #: Han characters on one line, without kana nor a Japanese-only form, that make a text
    #: declared ``ja`` Chinese (kanji-only Japanese answers are short: ≤ 10 characters in
    #: IgakuQA; a list of them, one a line, is judged line by line).
    min_han_without_kana: int = 20


def tuned_thresholds(backend: str) -> Thresholds:
    """The thresholds measured for ``backend`` (no false drop on the labelled set).

    langdetect is over-confident on short texts (it gives 0.99+ to wrong answers on
    4-word texts), so it needs 8 words where lingua needs 4.
    """
    if backend == "langdetect":
        return Thresholds(min_words=8, min_confidence=0.0)
    return Thresholds()


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


#: A detector's confidence per language (the languages it reports; absent means ~0).
Scores = dict[str, float]


@dataclass(frozen=True, slots=True)
class _Job:
    """A Latin-script side waiting for the statistical detector."""

    row: int
    side: Side
    declared: str
    text: str
    #: Set when the script check already decided (the detector only names the language).
    script_share: float | None = None
    #: Languages with at least one function word in the text (:data:`FUNCTION_WORDS`).
    voters: frozenset[str] = frozenset()
    #: The words of the text's prose lines alone, when it also has short lines (options, one
    #: entity a line): a second reading that must agree before the side is dropped.
    prose: str | None = None


class LanguageFilter:
    """Compare declared and detected languages for a batch of records.

    ``backend`` is ``"lingua"`` (lingua-language-detector, default) or ``"langdetect"``
    (seeded, deterministic). Both are restricted to ``latin_languages``. The detector is
    built lazily on first use and held by the instance; nothing is cached at module level.

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
        self.thresholds = thresholds or tuned_thresholds(backend)
        self.latin_languages = tuple(sorted(set(latin_languages)))
        if len(self.latin_languages) < 2:
            raise ValueError("latin_languages needs at least two languages to tell apart")
        self._detector: _Lingua | _Langdetect | None = None
        # Word → language, when every Latin language in play has a function-word list.
        self._function_words: dict[str, str] | None = None
        if all(lang in FUNCTION_WORDS for lang in self.latin_languages):
            self._function_words = {word: lang for lang in self.latin_languages for word in FUNCTION_WORDS[lang]}

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
        input passes. The sequences may be lists or Arrow arrays (a record batch's columns).
        """
        inputs, outputs = _as_list(inputs), _as_list(outputs)
        input_langs, output_langs = _as_list(input_langs), _as_list(output_langs)
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
        if jobs:
            scores = self.detector.scores([job.text for job in jobs], [job.declared for job in jobs])
            second: list[tuple[_Job, LanguageVerdict]] = []
            for job, score in zip(jobs, scores, strict=True):
                verdict = self._statistical_verdict(job, score)
                if verdict is not None and job.prose is not None:
                    second.append((job, verdict))
                elif verdict is not None:
                    found[job.row, job.side] = verdict
            if second:
                # Short lines can be names that pull the detector away (Latin binomials as the
                # options of a French question read as English): the prose lines must agree.
                # Few texts get here: they are read in the detector's most accurate mode.
                again = self.detector.scores([job.prose for job, _ in second], None)
                for (job, verdict), score in zip(second, again, strict=True):
                    if not self._plausible(job.declared, score):
                        found[job.row, job.side] = verdict
        return [found.get((row, "input")) or found.get((row, "output")) for row in range(n)]

    def detect(self, texts: Sequence[str]) -> list[tuple[str, float] | None]:
        """Best (language, confidence) per text, or None without letters; no thresholds.

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
        heads = [" ".join(_words(texts[i][: self.thresholds.head_chars])) for i in latin_rows]
        for i, score in zip(latin_rows, self.detector.scores(heads, None), strict=True):
            results[i] = _best(score)
        return results

    @property
    def detector(self) -> _Lingua | _Langdetect:
        """The backend, built on first use (loading language models takes a second)."""
        if self._detector is None:
            backend = _Lingua if self.backend == "lingua" else _Langdetect
            self._detector = backend(self.latin_languages)
        return self._detector

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
        compatible = script is expected
        if expected is Script.KANA and script is Script.HAN:
            # CJK text without (enough) kana: kanji-only Japanese exists (answers such as 肺癌,
            # 心室中隔穿孔, lists of them), but not as long lines nor with simplified-only
            # characters, unless Japanese-only forms (検, 伝) outweigh those.
            compatible = not self._chinese(text[: t.script_head_chars], counts)
        if compatible:
            if script is not Script.LATIN or declared not in self.latin_languages:
                return None, None
            read = self._prose_words(text)
            if read is None:
                return None, None
            words, prose = read
            hits = self._function_word_hits(words)
            if self._confirmed(hits, declared):
                return None, None
            if not hits and not any(word.lower() in GRAMMAR_WORDS for word in words):
                return None, None  # not one grammar word: names or terms, not prose
            return None, _Job(row, side, declared, " ".join(words), voters=frozenset(hits), prose=prose)
        if share < t.min_script_share:
            return None, None  # mixed scripts: not confident enough
        if script is Script.LATIN:
            # A few Latin words in CJK/Cyrillic text are names (Helicobacter pylori 胃癌): only
            # prose-length Latin text is a mismatch. The detector then just names the language.
            words = self._latin_words(text)
            if words is None or not _spaced(text[: t.head_chars], t.min_words):
                # Unspaced Latin runs (a reference list pasted into a Chinese record:
                # "BacharierLB，BonerA，etal.Diagnosisandtreatment…") are not prose.
                return None, None
            return None, _Job(row, side, declared, " ".join(words), script_share=share)
        detected = "zh" if script is Script.HAN and expected is Script.KANA else script_language(script)
        return _verdict(side, declared, detected, share, "script"), None

    def _latin_words(self, text: str) -> list[str] | None:
        """The words the detector reads, or None when the text is too short to judge.

        Only the first :attr:`Thresholds.head_chars` characters are read (early exit).
        Words are letter runs not glued to digits and not all capitals: ``500 mg``,
        ``E11.9``, ``C12H22O11``, ``BRCA1``, ``ICD`` carry no language. Too short means no
        line has :attr:`Thresholds.min_words` such words: labels, options, drug names and
        entity lists (one entity a line; lenient, entity names carry little language)
        all fall back to the declared language.
        """
        head = text[: self.thresholds.head_chars]
        if "\n" in head:
            lines = [_words(line) for line in head.splitlines()]
            longest = max(map(len, lines))
            words = [word for line in lines for word in line]
        else:
            words = _words(head)
            longest = len(words)
        return words if longest >= self.thresholds.min_words else None

    def _prose_words(self, text: str) -> tuple[list[str], str | None] | None:
        """The words the detector reads for a text declared in its own script, or None to keep.

        Like :meth:`_latin_words`, without names: capitalised words inside a sentence, with
        the short words that join them ("Instituto Nacional de Ciencias Médicas y Nutrición",
        "Digoxin, Captopril", "Salvador Zubirán"). A name is in no language; a run of them
        fooled the detector. Also returned, when the text has lines too short to judge
        (options, one entity a line) besides longer ones: the longer lines' words alone,
        joined (see :attr:`_Job.prose`).
        """
        min_words = self.thresholds.min_words
        lines = [_without_names(line) for line in text[: self.thresholds.head_chars].splitlines()]
        long_lines = [line for line in lines if len(line) >= min_words]
        if not long_lines:
            return None
        words = [word for line in lines for word in line]
        if len(long_lines) == len(lines):
            return words, None
        return words, " ".join(word for line in long_lines for word in line)

    def _chinese(self, head: str, counts: ScriptCounts) -> bool:
        """Kana-less Han text that cannot be Japanese (see :meth:`ScriptCounts.is_chinese`).

        Simplified-only characters make it Chinese unless as many Japanese-only forms
        (:data:`JAPANESE_ONLY`) occur; length does when one line holds
        :attr:`Thresholds.min_han_without_kana` Han characters and no Japanese-only form
        (an answer list, one kanji option a line, is short line by line).
        """
        if counts.is_japanese() or counts.han == 0:
            return False
        japanese = len(_JAPANESE_ONLY.findall(head))
        if counts.simplified > japanese and counts.han >= 4:
            return True
        if japanese:
            return False
        longest = max(len(_HAN.findall(line)) for line in head.splitlines()) if "\n" in head else counts.han
        return longest >= self.thresholds.min_han_without_kana

    def _function_word_hits(self, words: Sequence[str]) -> dict[str, int]:
        """How many of ``words`` are function words of each language (see :data:`FUNCTION_WORDS`)."""
        owners = self._function_words
        hits: dict[str, int] = {}
        if owners is None:
            return hits
        for word in words:
            owner = owners.get(word.lower())
            if owner is not None:
                hits[owner] = hits.get(owner, 0) + 1
        return hits

    def _confirmed(self, hits: dict[str, int], declared: str) -> bool:
        """Function words vouch for the declared language: enough of its own, none of another's."""
        return hits.get(declared, 0) >= self.thresholds.min_function_words and len(hits) == 1

    def _plausible(self, declared: str, scores: Scores) -> bool:
        """The declared language is the detector's first choice, or above the ceiling."""
        return _top(scores) == declared or scores.get(declared, 0.0) > self.thresholds.max_declared_confidence

    def _statistical_verdict(self, job: _Job, scores: Scores) -> LanguageVerdict | None:
        """Turn a detector's scores into a verdict (or None to keep)."""
        best = _best(scores)
        if job.script_share is not None:
            detected = best[0] if best is not None else "und"
            return _verdict(job.side, job.declared, detected, job.script_share, "script")
        if best is None or best[0] == job.declared:
            return None
        t = self.thresholds
        if scores.get(job.declared, 0.0) > t.max_declared_confidence:
            return None  # the declared language is still plausible: keep
        if best[1] < t.min_confidence:
            return None  # no language stands out (names, jargon): keep
        if job.declared in job.voters and best[0] not in job.voters:
            # The text uses the declared language's function words ("the") and none of the
            # detected one's: Latin-rooted jargon ("pediatric solid tumor alveolar
            # rhabdomyosarcoma … translocation") fooled the detector. Keep.
            return None
        return _verdict(job.side, job.declared, best[0], best[1], self.backend)


class _Lingua:
    """lingua-language-detector restricted to the Latin languages in play.

    Two passes: the low-accuracy mode (trigrams only, ~3x faster) scores every text;
    texts where it does not put the declared language first are scored again in the
    high-accuracy mode, whose scores decide. Without a declared language (``detect``)
    everything is scored in high-accuracy mode.
    """

    def __init__(self, languages: Sequence[str]) -> None:
        from lingua import IsoCode639_1, LanguageDetectorBuilder

        codes = [getattr(IsoCode639_1, code.upper()) for code in languages]
        self.fast = LanguageDetectorBuilder.from_iso_codes_639_1(*codes).with_low_accuracy_mode().build()
        self.accurate = LanguageDetectorBuilder.from_iso_codes_639_1(*codes).build()

    def scores(self, texts: Sequence[str], declared: Sequence[str] | None) -> list[Scores]:
        """Confidence per language for each text (the parallel calls use every core)."""
        if declared is None:
            return self._run(self.accurate, texts)
        scores = self._run(self.fast, texts)
        doubtful = [i for i, (score, lang) in enumerate(zip(scores, declared, strict=True)) if _top(score) != lang]
        if doubtful:
            again = self._run(self.accurate, [texts[i] for i in doubtful])
            for i, score in zip(doubtful, again, strict=True):
                scores[i] = score
        return scores

    @staticmethod
    def _run(detector: Any, texts: Sequence[str]) -> list[Scores]:
        return [
            {v.language.iso_code_639_1.name.lower(): float(v.value) for v in values if v.value > 0}
            for values in detector.compute_language_confidence_values_in_parallel(texts)
        ]


class _Langdetect:
    """langdetect with only the Latin languages' profiles, seeded (deterministic).

    langdetect reports only languages above 0.1; the others score 0 here.
    """

    def __init__(self, languages: Sequence[str]) -> None:
        from langdetect.detector_factory import DetectorFactory

        factory = DetectorFactory()
        profiles = resources.files("langdetect") / "profiles"
        # Only the Latin languages in play, like lingua: fewer look-alikes, fewer errors.
        factory.load_json_profile([(profiles / code).read_text("utf-8") for code in languages])
        factory.seed = 0  # the instance's own seed: deterministic, no global state touched
        self.factory = factory

    def scores(self, texts: Sequence[str], declared: Sequence[str] | None) -> list[Scores]:
        """Confidence per language for each text."""
        from langdetect.lang_detect_exception import LangDetectException

        results: list[Scores] = []
        for text in texts:
            detector = self.factory.create()
            detector.append(text)
            try:
                results.append({found.lang: float(found.prob) for found in detector.get_probabilities()})
            except LangDetectException:
                results.append({})
        return results


def _as_list(values: Sequence[Any]) -> Sequence[Any]:
    """Arrow arrays (whose items are Arrow scalars) as Python lists; other sequences as they are."""
    to_pylist = getattr(values, "to_pylist", None)
    return to_pylist() if to_pylist is not None else values


def _best(scores: Scores) -> tuple[str, float] | None:
    """The top language and its score (ties broken by language code: deterministic)."""
    if not scores:
        return None
    lang = min(scores, key=lambda code: (-scores[code], code))
    return lang, scores[lang]


def _top(scores: Scores) -> str | None:
    best = _best(scores)
    return best[0] if best is not None else None


def _verdict(side: Side, declared: str, detected: str, confidence: float, method: str) -> LanguageVerdict:
    reason = f"{side} detected {detected} ({confidence:.2f}), declared {declared}"
    return LanguageVerdict(side, declared, detected, round(confidence, 4), reason, method)


def _spaced(text: str, min_words: int) -> bool:
    """Some line has ``min_words`` whitespace-separated tokens with a letter: prose, not a run."""
    return any(sum(1 for token in line.split() if _WORD.search(token)) >= min_words for line in text.splitlines())


def _without_names(line: str) -> list[str]:
    """The :func:`_words` of a line that are not names.

    A name here is a capitalised word that does not open the line or a sentence (after
    ``. : ! ? ¿ ¡``), and the short lower-case words (≤ 3 letters, at most two in a row)
    between two such words: "Digoxin, Captopril", "Salvador Zubirán", "Ciencias Médicas y
    Nutrición". An option's first word ("A. Staphylococcus") opens a sentence and is kept.
    """
    words = _WORD.findall(line)
    if not any(word[0].isupper() and not word.isupper() for word in words[1:]):
        return [word for word in words if not word.isupper()]  # no capitalised word inside: no name
    kept: list[tuple[str, bool]] = []  # (word, is a name)
    for sentence in _SENTENCE_END.split(line):
        opening = True
        for word in _WORD.findall(sentence):
            if word.isupper():
                continue  # an acronym or option letter: no word, and no break in a name
            kept.append((word, not opening and word[0].isupper()))
            opening = False
    # Short joining words between two names belong to the name ("de", "y", "of", "de la").
    for i in range(1, len(kept) - 1):
        if not kept[i - 1][1] or kept[i][1] or not _joining(kept[i][0]):
            continue
        j = i + 1 if kept[i + 1][1] or not _joining(kept[i + 1][0]) else i + 2
        if j < len(kept) and kept[j][1]:
            for k in range(i, j):
                kept[k] = (kept[k][0], True)
    return [word for word, name in kept if not name]


def _joining(word: str) -> bool:
    """A short lower-case word that can join the parts of a name ("de", "y", "of", "la")."""
    return len(word) <= 3 and word.islower()


def _words(text: str) -> list[str]:
    """Letter runs that are words: not part of a code (``BRCA1``), not an acronym (``ICD``)."""
    return [word for word in _WORD.findall(text) if not word.isupper()]
