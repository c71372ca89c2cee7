"""Unicode-script counting: the cheap first pass of the language filter.

Most of the languages in MedS-Ins are told apart by their writing system alone:
kana means Japanese, Hangul Korean, Cyrillic Russian, Han without kana Chinese.
Only Latin-script text needs a statistical detector. Counting is done with
compiled character-class regexes (C speed) on the head of a text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum


class Script(StrEnum):
    """The writing systems the filter tells apart."""

    LATIN = "latin"
    CYRILLIC = "cyrillic"
    HAN = "han"
    KANA = "kana"
    HANGUL = "hangul"


# Letters only: digits, punctuation, Greek letters (α, β in medical text) and symbols count for nothing.
_PATTERNS: dict[Script, re.Pattern[str]] = {
    # ASCII letters and Latin-1/Extended-A/B/Additional letters, without × (D7) and ÷ (F7).
    Script.LATIN: re.compile(r"[A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f\u1e00-\u1eff]"),
    Script.CYRILLIC: re.compile(r"[\u0400-\u052f]"),
    # CJK unified ideographs (+ extension A, compatibility, supplementary planes).
    Script.HAN: re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ffff]"),
    # Hiragana and katakana (also half-width); the katakana middle dot U+30FB is left out
    # because Chinese text uses it for foreign names too.
    Script.KANA: re.compile(
        r"[\u3041-\u3096\u309d-\u309f\u30a1-\u30fa\u30fc-\u30ff\u31f0-\u31ff\uff66-\uff9d]"
    ),
    Script.HANGUL: re.compile(r"[\u1100-\u11ff\u3130-\u318f\uac00-\ud7af]"),
}

#: One CJK character carries about as much text as three Latin letters (a Chinese word is
#: ~1.5 characters, an English one ~5 letters), so CJK counts are weighted when scripts compete.
CJK_WEIGHT = 3.0

#: The script each language is written in (languages the filter can check by script alone
#: are those whose script is not Latin).
LANGUAGE_SCRIPTS: dict[str, Script] = {
    "en": Script.LATIN,
    "fr": Script.LATIN,
    "es": Script.LATIN,
    "de": Script.LATIN,
    "sv": Script.LATIN,
    "ca": Script.LATIN,
    "it": Script.LATIN,
    "pt": Script.LATIN,
    "nl": Script.LATIN,
    "ru": Script.CYRILLIC,
    "uk": Script.CYRILLIC,
    "bg": Script.CYRILLIC,
    "zh": Script.HAN,
    "ja": Script.KANA,
    "ko": Script.HANGUL,
}


@dataclass(frozen=True, slots=True)
class ScriptCounts:
    """Letters of each script in a text (see :func:`count_scripts`)."""

    latin: int = 0
    cyrillic: int = 0
    han: int = 0
    kana: int = 0
    hangul: int = 0

    def weighted(self) -> dict[Script, float]:
        """Letter counts with CJK characters weighted by :data:`CJK_WEIGHT`.

        Japanese is Han + kana together: kanji in a text with kana are Japanese.
        """
        return {
            Script.LATIN: float(self.latin),
            Script.CYRILLIC: float(self.cyrillic),
            Script.HAN: CJK_WEIGHT * (self.han + self.kana),
            Script.HANGUL: CJK_WEIGHT * self.hangul,
        }

    @property
    def total(self) -> float:
        """Weighted number of letters in the scripts the filter knows."""
        return sum(self.weighted().values())

    def dominant(self) -> tuple[Script, float]:
        """The script with the most (weighted) letters and its share of all of them.

        Han is reported as :attr:`Script.KANA` when the CJK part reads as Japanese
        (see :meth:`is_japanese`). Ties go to the first script in declaration order
        (deterministic). A text without letters gives ``(LATIN, 0.0)``.
        """
        weights = self.weighted()
        total = sum(weights.values())
        if total == 0:
            return Script.LATIN, 0.0
        script = max(weights, key=weights.__getitem__)
        share = weights[script] / total
        if script is Script.HAN and self.is_japanese():
            script = Script.KANA
        return script, share

    def is_japanese(self) -> bool:
        """Kana make CJK text Japanese: at least two kana and ≥ 5 % of the CJK characters.

        Modern Japanese prose is ~40-70 % kana; a stray の in Chinese marketing text
        is below both bars.
        """
        cjk = self.han + self.kana
        return self.kana >= 2 and self.kana >= 0.05 * cjk


def count_scripts(text: str) -> ScriptCounts:
    """Count the letters of each script in ``text``.

    >>> count_scripts("高血圧について").kana
    4
    """
    return ScriptCounts(
        latin=len(_PATTERNS[Script.LATIN].findall(text)),
        cyrillic=len(_PATTERNS[Script.CYRILLIC].findall(text)),
        han=len(_PATTERNS[Script.HAN].findall(text)),
        kana=len(_PATTERNS[Script.KANA].findall(text)),
        hangul=len(_PATTERNS[Script.HANGUL].findall(text)),
    )


def script_language(script: Script) -> str:
    """The language a non-Latin script stands for in this dataset (ISO 639-1)."""
    return {
        Script.CYRILLIC: "ru",
        Script.HAN: "zh",
        Script.KANA: "ja",
        Script.HANGUL: "ko",
    }[script]
