"""Reading the answer out of a model's free-text prediction.

Models rarely answer in the exact reference format: an MCQA answer comes as
``"B"``, ``"(B)"``, ``"The answer is B."``, ``"B. Aspirin"``, ``"Answer: b"`` or
just the option text; a label as ``"Yes."`` or ``"Diagnosis: pneumonia"``; an
entity list comma-separated instead of one per line. The functions here turn
such text into the comparable value (a set of option letters, a label, a set of
normalised strings) or ``None`` when nothing can be read, which the report
counts as *unparseable* (and scores as wrong).

Every function is pure and deterministic; the rules are listed in each
docstring and exercised by ``tests/test_bench_extract.py``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence

from medsins.records import LETTERS

# Characters stripped from both ends of a normalised answer: ASCII and Unicode
# punctuation, quotes and brackets (never letters or digits).
_EDGE = "".join(
    sorted({chr(c) for c in range(0x20, 0x7F) if not chr(c).isalnum()} | set("“”‘’«»「」『』。、，；：！？…·•"))
)
_SPACES = re.compile(r"\s+")
_QUOTES = re.compile(r"[\"'“”‘’«»「」『』`]")

# Cyrillic and Greek letters that look like Latin option letters (a Russian
# model may answer "В" meaning B).
_HOMOGLYPHS = str.maketrans({"А": "A", "В": "B", "С": "C", "Е": "E", "Н": "H", "Α": "A", "Β": "B", "Ε": "E"})


def normalize(text: str) -> str:
    """NFKC, casefold, collapse whitespace, strip punctuation at both ends.

    >>> normalize("  The  ANSWER. ")
    'the answer'
    """
    text = unicodedata.normalize("NFKC", text).casefold()
    return _SPACES.sub(" ", text).strip(_EDGE + " ")


def normalize_answer(text: str) -> str:
    """:func:`normalize` with quotes removed everywhere (exact-match scoring)."""
    return normalize(_QUOTES.sub("", unicodedata.normalize("NFKC", text)))


# ---------------------------------------------------------------- MCQA letters

# Words that introduce a final answer, in the benchmark's languages.
_ANSWER_WORDS = (
    r"(?:(?:final|correct|right|best)\s+)?answers?"
    r"|(?:correct|right|best)\s+(?:option|choice)s?"
    r"|(?:la\s+)?(?:bonnes?\s+)?réponses?(?:\s+correctes?)?"
    r"|respuestas?(?:\s+correctas?)?"
    r"|(?:правильный\s+)?ответ"
    r"|正确答案|答案|正解|答え|解答"
)
_JOINERS = r"(?:\s*(?:,|;|/|&|\+|、|，|and|or|et|y|и|和)\s*|\s+)"
_LINK = r"(?i:\s*(?:is|are|was|would\s+be|:|=|-|est|sont|es|son|—|是|为|為|は|：)\s*)*"


def _letter_list(letters: str) -> str:
    # One letter, or several joined ("A, C and E"); a letter must not run into a word.
    one = rf"\(?[{letters}]\)?(?![^\W\d_])"
    return rf"{one}(?:{_JOINERS}{one})*"


def _letters_in(chunk: str, letters: str) -> frozenset[str]:
    # Stand-alone letters only: the "A" and "D" of "and" are not choices.
    return frozenset(re.findall(rf"(?<![^\W_])[{letters}](?![^\W_])", chunk.upper()))


def _valid_letters(options: Sequence[str]) -> str:
    return LETTERS[: len(options)] if options else LETTERS


def option_text(option: str) -> str:
    """The text of a labelled option (``"B. Aspirin"`` → ``"Aspirin"``)."""
    match = re.match(rf"^\s*\(?[{LETTERS}]\)?\s*[.):：]\s*", option)
    return option[match.end():] if match else option


def extract_choices(text: str | None, options: Sequence[str] = ()) -> frozenset[str] | None:
    """The option letters a prediction chooses, or ``None`` if none can be read.

    ``options`` are the record's labelled options (``"A. text"``); they bound
    the valid letters and allow matching by option text. The rules, in order:

    1. the whole answer is a letter or a letter list: ``"B"``, ``"(b)"``, ``"B."``,
       ``"A, C, E"``, ``"ACE"``;
    2. leading lines start with a letter and a delimiter: ``"B. Aspirin"``,
       ``"A) x\\nC) y"`` (the reference format; several lines = several letters);
    3. the last answer statement: ``"The answer is B"``, ``"Answer: b"``,
       ``"correct option is (C)"``, ``"答案：B"``, ``"正解はB"``, ``"Ответ: В"``;
    4. exactly one distinct letter written as ``"(B)"`` or ``"option B"``;
    5. the answer equals an option's text, or exactly one option's text occurs in it.

    Cyrillic/Greek look-alikes of Latin letters are read as Latin, and
    full-width letters through NFKC.
    """
    if text is None:
        return None
    letters = _valid_letters(options)
    raw = unicodedata.normalize("NFKC", text).translate(_HOMOGLYPHS).strip()
    if not raw:
        return None
    upper_list = _letter_list(letters)
    head = raw.strip(_EDGE + " ")
    # 1. the whole answer is a letter list ("B", "a", "A, C", "ACE")
    if re.fullmatch(rf"[{letters}]{{2,}}", head):
        return frozenset(head)
    if re.fullmatch(_letter_list(letters + letters.lower()), head):
        return _letters_in(head, letters)
    # 2. leading lines "B. text" / "(B) text"
    chosen: set[str] = set()
    for line in raw.splitlines():
        match = re.match(rf"^\s*(?:\(([{letters}])\)|([{letters}])\s*[.):：])(?:\s|$)", line, re.IGNORECASE)
        if not match:
            break
        chosen.add((match.group(1) or match.group(2)).upper())
    if chosen:
        return frozenset(chosen)
    # 3. the last explicit answer statement. Letters are upper case, or one lower-case
    # letter followed by nothing word-like ("Answer: b." but not "answer is a bit").
    statement = re.compile(
        rf"(?<![^\W_])(?i:{_ANSWER_WORDS}){_LINK}(?i:option\s+|choice\s+)?"
        rf"({upper_list}|\(?[{letters.lower()}]\)?(?=\s*(?:$|[.。,:;)\]])))"
    )
    found = [m.group(1) for m in statement.finditer(raw)]
    if found:
        return _letters_in(found[-1], letters)
    # 4. one distinct "(B)" / "option B"
    marked = {
        m.group(1) or m.group(2)
        for m in re.finditer(rf"\(([{letters}])\)|\b(?:option|choice)\s+([{letters}])\b", raw, re.IGNORECASE)
    }
    marked_letters = {letter.upper() for letter in marked}
    if len(marked_letters) == 1:
        return frozenset(marked_letters)
    # 5. option text
    return _match_option_text(raw, options)


def _match_option_text(text: str, options: Sequence[str]) -> frozenset[str] | None:
    if not options:
        return None
    target = normalize(text)
    texts = [(LETTERS[i], normalize(option_text(opt))) for i, opt in enumerate(options)]
    for letter, value in texts:
        if value and value == target:
            return frozenset(letter)
    hits = [(letter, value) for letter, value in texts if value and _contains(target, value)]
    # An option whose text is part of another matched option's text is not a separate hit.
    hits = [(ltr, v) for ltr, v in hits if not any(v != w and v in w for _, w in hits)]
    if len({v for _, v in hits}) == 1:
        return frozenset(ltr for ltr, _ in hits[:1])
    return None


def _contains(haystack: str, needle: str) -> bool:
    """``needle`` occurs in ``haystack`` not glued to other letters or digits.

    For CJK text there are no word boundaries, so plain containment is used.
    """
    if _has_cjk(needle):
        return needle in haystack
    return re.search(rf"(?<![^\W_]){re.escape(needle)}(?![^\W_])", haystack) is not None


_CJK = "\u3040-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f"
_CJK_CHAR = re.compile(f"[{_CJK}]")


def _has_cjk(text: str) -> bool:
    return _CJK_CHAR.search(text) is not None


def gold_choices(output: str, options: Sequence[str] = ()) -> frozenset[str] | None:
    """The letters of a reference MCQA output (``"B. text"``, one line per answer)."""
    return extract_choices(output, options)


# ---------------------------------------------------------------------- labels

# Answer prefixes a model writes before a label ("Answer: yes", "Diagnosis - GERD").
_LABEL_PREFIX = re.compile(
    r"^(?:the\s+)?(?:final\s+|correct\s+|predicted\s+|most\s+likely\s+)?"
    r"(?:answer|label|prediction|diagnosis|treatment|classification|output|result|relation)"
    r"(?:\s+is|\s*:|\s*-|\s*=)\s*",
)

# Other spellings accepted for some label sets: a yes/no task answered true/false
# (binary sets only), and the verb forms of the NLI labels.
_SYNONYMS = {
    frozenset({"true", "false"}): {"yes": "true", "no": "false"},
    frozenset({"yes", "no"}): {"true": "yes", "false": "no"},
    frozenset({"yes", "no", "maybe"}): {"true": "yes", "false": "no"},
    frozenset({"entailment", "contradiction", "neutral"}): {
        "entailed": "entailment", "entails": "entailment",
        "contradicts": "contradiction", "contradicted": "contradiction", "contradictory": "contradiction",
    },
}


def label_lookup(labels: Iterable[str]) -> dict[str, str]:
    """Normalised spelling → label, with the synonyms of known label sets (``yes`` for ``True``)."""
    lookup = {normalize(label): label for label in labels}
    for spelling, target in _SYNONYMS.get(frozenset(lookup), {}).items():
        lookup.setdefault(spelling, lookup[target])
    return lookup


def extract_label(text: str | None, labels: Sequence[str]) -> str | None:
    """The label a prediction gives, from a closed ``labels`` set, or ``None``.

    Rules: (1) the normalised answer is a label (case, spaces, end punctuation
    ignored); (2) the same after an answer prefix (``"Answer: yes"``,
    ``"Diagnosis: GERD"``); (3) exactly one distinct label occurs as a whole
    phrase (longest labels first, so ``"unstable angina"`` is not also
    ``"stable angina"``); (4) several occur: the one named by the last answer
    statement (``"... so the answer is yes"``), else the one that starts the answer. Binary
    label sets accept yes/no for true/false and the other way round; the NLI
    set accepts "entailed"/"entails" and "contradicts"/"contradicted"/"contradictory".
    """
    if text is None:
        return None
    lookup = label_lookup(labels)
    value = normalize(text)
    if not value:
        return None
    if value in lookup:
        return lookup[value]
    stripped = normalize(_LABEL_PREFIX.sub("", value))
    if stripped in lookup:
        return lookup[stripped]
    spans = _find_phrases(stripped, list(lookup))
    distinct = {lookup[phrase] for _, phrase in spans}
    if len(distinct) == 1:
        return distinct.pop()
    # "... there is no evidence ... so the answer is yes": the label right after the last answer word
    starts = dict(spans)
    for match in reversed(list(_LABEL_STATEMENT.finditer(stripped))):
        if match.end() in starts:
            return lookup[starts[match.end()]]
    if spans and spans[0][0] == 0:  # "No, although maybe ..." answers no
        return lookup[spans[0][1]]
    return None


_LABEL_STATEMENT = re.compile(
    r"(?<![^\W_])(?:answer|label|diagnosis|conclusion|prediction|verdict)s?(?:\s+(?:is|would\s+be|:)|\s*[:=-])\s*"
)


def _find_phrases(text: str, phrases: Sequence[str]) -> list[tuple[int, str]]:
    """Non-overlapping whole-phrase occurrences ``(start, phrase)``, longest phrase first."""
    if not phrases:
        return []
    ordered = sorted(phrases, key=lambda p: (-len(p), p))
    pattern = "|".join(
        re.escape(p) if _has_cjk(p) else rf"(?<![^\W_]){re.escape(p)}(?![^\W_])" for p in ordered if p
    )
    found = []
    for match in re.finditer(f"(?:{pattern})", text):
        found.append((match.start(), match.group(0)))
    return found


# -------------------------------------------------------------- entity strings

_NO_ENTITY = re.compile(
    r"^(?:none|nil|null|n/?a|empty|nothing|no|"
    r"no(?:\s+related)?\s+(?:named\s+)?(?:entity|entities|enetity|enetities)(?:\s+(?:found|detected|mentioned))?|"
    r"there\s+(?:is|are)\s+no(?:\s+related)?\s+(?:named\s+)?(?:entity|entities|enetity|enetities)"
    r"(?:\s+(?:found|in\s+the\s+(?:sentence|text|input)))?|"
    r"无|没有|なし|該当なし|нет)$"
)
_LIST_MARKER = re.compile(r"^\s*(?:[-*•·]|\d+[.)])\s+")


def normalize_entity(text: str) -> str:
    """An entity string for comparison: NFKC, casefold, one space, no punctuation at the ends."""
    return normalize(text)


def is_no_entity(text: str) -> bool:
    """True for the ways of saying "no entity" (``None``, ``There is no related entity.``…)."""
    return _NO_ENTITY.match(normalize(text)) is not None


def reference_entities(output: str) -> frozenset[str]:
    """The normalised entity set of a record's output (one entity per line, or ``None``)."""
    entities = (normalize_entity(line) for line in output.splitlines())
    return frozenset(e for e in entities if e and not is_no_entity(e))


def predicted_entities(text: str | None) -> frozenset[str]:
    """The normalised entity set of a prediction.

    One entity per line when the answer has several lines (list markers such as
    ``"- "`` or ``"1. "`` removed); a one-line answer is split at ``;`` and at a
    comma followed by a space (``"aspirin, 2,4-dinitrophenol"`` → two entities).
    ``None`` / ``"no entity"`` / ``"There is no related entity."`` is the empty set.
    """
    if text is None or is_no_entity(text):
        return frozenset()
    lines = [line for line in text.splitlines() if line.strip()]
    pieces = lines if len(lines) > 1 else re.split(r";|,\s+|、|，", lines[0]) if lines else []
    entities = set()
    for piece in pieces:
        value = normalize_entity(_LIST_MARKER.sub("", piece))
        if value and not is_no_entity(value):
            entities.add(value)
    return frozenset(entities)


# ------------------------------------------------------------ multi-label sets


def split_labels(text: str | None, known: Iterable[str] = ()) -> frozenset[str]:
    """The normalised label set of a multi-label answer (task106 hallmarks).

    The answer is split at commas, semicolons and newlines; each piece is a
    label. With ``known`` labels (the task's, or those seen in the references)
    a piece that is not itself a known label contributes every known label it
    contains (``"1. Sustaining proliferative signaling"``), and otherwise stays
    as an (unknown, hence wrong) label. ``None``/``"no label"`` is the empty set.
    """
    if text is None:
        return frozenset()
    vocabulary = {normalize(k) for k in known if normalize(k)}
    result: set[str] = set()
    for piece in re.split(r"[,;\n]|、|，", text):
        value = normalize(_LIST_MARKER.sub("", piece))
        if not value or value in {"none", "no label", "no labels", "n/a", "nothing", "empty"}:
            continue
        if value in vocabulary or not vocabulary:
            result.add(value)
            continue
        contained = [phrase for _, phrase in _find_phrases(value, sorted(vocabulary))]
        result.update(contained or [value])
    return frozenset(result)
