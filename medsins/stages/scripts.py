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
_PATTERNS: dict[Script, re.Pattern[str]] = {  # each matches a run of letters
    # ASCII letters and Latin-1/Extended-A/B/Additional letters, without × (D7) and ÷ (F7).
    Script.LATIN: re.compile(r"[A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f\u1e00-\u1eff]+"),
    Script.CYRILLIC: re.compile(r"[\u0400-\u052f]+"),
    # CJK unified ideographs (+ extension A, compatibility, supplementary planes).
    Script.HAN: re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ffff]+"),
    # Hiragana and katakana (also half-width); the katakana middle dot U+30FB is left out
    # because Chinese text uses it for foreign names too.
    Script.KANA: re.compile(
        r"[\u3041-\u3096\u309d-\u309f\u30a1-\u30fa\u30fc-\u30ff\u31f0-\u31ff\uff66-\uff9d]+"
    ),
    Script.HANGUL: re.compile(r"[\u1100-\u11ff\u3130-\u318f\uac00-\ud7af]+"),
}

#: Simplified Chinese characters that Japanese does not use (its forms differ: 对/対, 时/時,
#: 药/薬, 检查/検査, 疗/療): one of them makes kana-less Han text Chinese even when short.
#: Checked against the IgakuQA slice (none occurs); shared forms (的, 了, 与, 写, 随, 将) are left out.
SIMPLIFIED_ONLY = (
    "们这个为说对时发现进过还没见应经检疗药诊确产间无关实门问题头脑脏肤肿压术线细组织层亚证显测车长"
    "马鸟鱼书买卖开电话语读钱难观视亲认让议论设识试词谁请该调谈贵费资质输较边运远适选际陆须顺预领"
    "频风饮验龄齿剂种伤损创肠肾动态疡查级结给统络维缩续导节带变图围况减吗呢吧么样从"
)
_SIMPLIFIED = re.compile(f"[{SIMPLIFIED_ONLY}]")

#: str.translate table that deletes ASCII letters (what is left is counted as not-letters).
_NOT_ASCII_LETTERS = str.maketrans("", "", "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")

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
    #: Han characters among :data:`SIMPLIFIED_ONLY`.
    simplified: int = 0

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

    def is_chinese(self, min_han: int) -> bool:
        """Han text that cannot be Japanese: no kana to speak of, and either a simplified-only
        character among ≥ 4 Han, or ``min_han`` Han characters (kanji-only Japanese is short)."""
        if self.is_japanese() or self.han == 0:
            return False
        return (self.simplified >= 1 and self.han >= 4) or self.han >= min_han


def count_scripts(text: str) -> ScriptCounts:
    """Count the letters of each script in ``text``.

    >>> count_scripts("高血圧について").kana
    4
    """
    if text.isascii():
        # The common case (English): only ASCII letters, counted without a regex.
        return ScriptCounts(latin=len(text) - len(text.translate(_NOT_ASCII_LETTERS)))
    counts = {script.value: _letters(pattern, text) for script, pattern in _PATTERNS.items()}
    if counts["han"]:
        counts["simplified"] = len(_SIMPLIFIED.findall(text))
    return ScriptCounts(**counts)


def _letters(pattern: re.Pattern[str], text: str) -> int:
    # Matching runs (not single characters) keeps the number of match objects small.
    return sum(map(len, pattern.findall(text)))


def script_language(script: Script) -> str:
    """The language a non-Latin script stands for in this dataset (ISO 639-1)."""
    return {
        Script.CYRILLIC: "ru",
        Script.HAN: "zh",
        Script.KANA: "ja",
        Script.HANGUL: "ko",
    }[script]
