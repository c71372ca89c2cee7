"""Tests written against mutants that survived the rest of the suite (docs/testing.md).

Each test names the behaviour it pins; the mutants it kills are listed in its docstring.
Several use a fake language detector, so the filter's decision rules are tested on exact
confidences rather than on whatever a statistical model happens to return.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Sequence
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from medsins.bench.extract import extract_choices
from medsins.errors import InputError, ReleaseError, UnreadableError
from medsins.formats import read_pubtator
from medsins.records import AccessLevel
from medsins.release.manifest import (
    MANIFEST_NAME,
    FateCounts,
    ReleaseFile,
    ReleaseManifest,
    read_manifest,
    sha256_file,
    verify_release,
    write_manifest,
)
from medsins.stages.language import LanguageFilter, Thresholds
from medsins.stages.license import Profile, license_block, strictest

# -- license profiles --------------------------------------------------------------------------

CREDENTIALED = "credentialed access (LicenseRef-PhysioNet-Credentialed) is never redistributed"


@pytest.mark.parametrize(
    ("profile", "access", "license_id", "expected"),
    [
        # research: registration-gated and unknown licenses are fine, credentialed never is.
        (Profile.RESEARCH, AccessLevel.CREDENTIALED, "LicenseRef-PhysioNet-Credentialed", CREDENTIALED),
        (Profile.RESEARCH, AccessLevel.REGISTERED, "LicenseRef-n2c2", None),
        (Profile.RESEARCH, AccessLevel.OPEN, "NOASSERTION", None),
        (Profile.RESEARCH, AccessLevel.OPEN, "MIT", None),
        # public: only open access with a known license.
        (Profile.PUBLIC, AccessLevel.CREDENTIALED, "LicenseRef-PhysioNet-Credentialed", CREDENTIALED),
        (Profile.PUBLIC, AccessLevel.REGISTERED, "MIT", "registered access is not allowed in a public release"),
        (Profile.PUBLIC, AccessLevel.OPEN, "NOASSERTION",
         "unknown license (NOASSERTION) is not allowed in a public release"),
        (Profile.PUBLIC, AccessLevel.OPEN, "CC-BY-4.0", None),
        # local: everything, for one's own machine.
        (Profile.LOCAL, AccessLevel.CREDENTIALED, "LicenseRef-PhysioNet-Credentialed", None),
        (Profile.LOCAL, AccessLevel.REGISTERED, "NOASSERTION", None),
    ],
)
def test_license_block_per_profile(profile, access, license_id, expected) -> None:
    """Kills: research keeping credentialed records (the credentialed test removed or moved under
    ``profile is PUBLIC``), local blocking, public admitting registered or NOASSERTION, and any
    change of the reasons the ledger shows."""
    assert license_block(profile, access, license_id) == expected


def test_only_public_is_publishable() -> None:
    assert [p.publishable for p in Profile] == [True, False, False]


@pytest.mark.parametrize(
    ("levels", "expected"),
    [
        ((AccessLevel.OPEN, AccessLevel.REGISTERED), AccessLevel.REGISTERED),
        ((AccessLevel.REGISTERED, AccessLevel.OPEN), AccessLevel.REGISTERED),
        ((AccessLevel.CREDENTIALED, AccessLevel.OPEN), AccessLevel.CREDENTIALED),
        ((AccessLevel.OPEN, AccessLevel.CREDENTIALED, AccessLevel.REGISTERED), AccessLevel.CREDENTIALED),
        ((AccessLevel.OPEN,), AccessLevel.OPEN),
    ],
)
def test_strictest_access_level_wins_in_any_order(levels, expected) -> None:
    """Kills ``max`` → ``min`` and a reordered ``_ORDER``: an upstream copy of a MIMIC task
    must stay credentialed whatever its own source claims."""
    assert strictest(*levels) is expected


# -- language filter: decision rules on exact confidences ----------------------------------------


class FakeDetector:
    """Stands in for lingua: returns ``scores`` for every text and records what it was asked."""

    def __init__(self, scores: dict[str, float] | Callable[[str], dict[str, float]]) -> None:
        self._scores = scores
        self.calls: list[tuple[list[str], list[str] | None]] = []

    def scores(self, texts: Sequence[str], declared: Sequence[str] | None) -> list[dict[str, float]]:
        self.calls.append((list(texts), None if declared is None else list(declared)))
        return [dict(self._scores(t) if callable(self._scores) else self._scores) for t in texts]


def faked(scores, **thresholds) -> tuple[LanguageFilter, FakeDetector]:
    filt = LanguageFilter("lingua", thresholds=Thresholds(**thresholds) if thresholds else None)
    fake = FakeDetector(scores)
    filt._detector = fake  # the property builds the backend only when none is set
    return filt, fake


# A Spanish sentence declared English: one Spanish function word ("con"), no English one, so
# neither the function-word stage confirms it nor the jargon exception keeps it.
SPANISH_IN_EN = "dolor torácico opresivo con sudoración y náuseas desde ayer"


def test_declared_language_above_the_ceiling_keeps_the_record() -> None:
    """Kills the declared-confidence guard removed, ``>`` → ``>=``, or the default ceiling
    changed: the detector is sure of Spanish, but English still has a fair chance."""
    filt, fake = faked({"es": 0.85, "en": 0.15})
    assert filt.check([SPANISH_IN_EN], ["x"], ["en"], ["en"]) == [None]
    assert fake.calls == [(["dolor torácico opresivo con sudoración y náuseas desde ayer"], ["en"])]
    filt, _ = faked({"es": 0.9, "en": 0.1})  # exactly at the ceiling: no longer plausible
    (verdict,) = filt.check([SPANISH_IN_EN], ["x"], ["en"], ["en"])
    assert verdict is not None
    assert (verdict.side, verdict.declared, verdict.detected, verdict.confidence, verdict.method) == (
        "input", "en", "es", 0.9, "lingua")
    assert verdict.reason == "input detected es (0.90), declared en"


def test_a_detection_below_the_confidence_floor_keeps_the_record() -> None:
    """Kills the min-confidence test removed or ``<`` → ``<=`` (0.8 exactly drops)."""
    filt, _ = faked({"es": 0.79, "fr": 0.2})
    assert filt.check([SPANISH_IN_EN], ["x"], ["en"], ["en"]) == [None]
    filt, _ = faked({"es": 0.8, "fr": 0.2})
    (verdict,) = filt.check([SPANISH_IN_EN], ["x"], ["en"], ["en"])
    assert verdict is not None and verdict.detected == "es"


def test_thresholds_passed_in_are_the_ones_used() -> None:
    """Kills ``thresholds or tuned(...)`` → always tuned: a lower ceiling keeps less."""
    filt, _ = faked({"es": 0.85, "en": 0.15}, max_declared_confidence=0.2)
    assert filt.check([SPANISH_IN_EN], ["x"], ["en"], ["en"])[0].detected == "es"


def test_function_words_of_two_languages_do_not_confirm_either() -> None:
    """Kills the single-language clause of the function-word rule (``len(hits) == 1``) removed:
    two English function words in a Spanish-flavoured text must not skip the detector."""
    text = "the dose of aspirin para el dolor was doubled"  # en: the, of; es: para
    filt, fake = faked({"es": 0.95, "en": 0.01})
    (verdict,) = filt.check([text], ["x"], ["en"], ["en"])
    assert fake.calls and fake.calls[0][0] == [text]
    assert verdict is not None and verdict.detected == "es"


def test_two_function_words_of_the_declared_language_alone_skip_the_detector() -> None:
    """Kills ``>= min_function_words`` → ``>`` and the confirmation removed: the common case
    never reaches the (slow) detector, which here would wrongly say Spanish."""
    filt, fake = faked({"es": 0.99})
    texts = ["the dose was doubled after one week", "dose of insulin was doubled after one week"]
    assert filt.check(texts, ["x", "x"], ["en", "en"], ["en", "en"]) == [None, None]
    assert fake.calls == []
    # One function word is not enough: the text goes to the detector (which says English here).
    filt, fake = faked({"en": 0.99})
    assert filt.check(["dose of insulin doubled in one week"], ["x"], ["en"], ["en"]) == [None]
    assert fake.calls == [(["dose of insulin doubled in one week"], ["en"])]


def test_a_text_of_terms_without_grammar_words_never_reaches_the_detector() -> None:
    filt, fake = faked({"es": 0.99})
    terms = "plasma soluble intercellular adhesion molecule concentration"
    assert filt.check([terms], ["x"], ["en"], ["en"]) == [None]
    assert fake.calls == []


def test_jargon_with_the_declared_languages_function_word_is_kept() -> None:
    """Kills the voters exception removed, or its ``not in`` flipped."""
    jargon = "the pediatric solid tumor alveolar rhabdomyosarcoma translocation"
    filt, fake = faked({"es": 0.95, "en": 0.01})
    assert filt.check([jargon], ["x"], ["en"], ["en"]) == [None]
    assert fake.calls  # it was read, and kept on the function-word evidence


def test_a_spanish_sentence_with_an_english_quote_is_still_spanish() -> None:
    """The same rules with the real detector: three Spanish and two English function words."""
    text = ("Los pacientes con hipertensión arterial recibieron the treatment of reference durante seis "
            "meses en el hospital.")
    (verdict,) = LanguageFilter("lingua").check([text], ["x"], ["en"], ["en"])
    assert verdict is not None and (verdict.detected, verdict.method) == ("es", "lingua")


def test_short_lines_make_the_prose_lines_be_read_again() -> None:
    """Kills the second reading removed or its ``not plausible`` flipped: a question with
    options is dropped only when its prose lines alone also contradict the declared language."""
    text = "cual es el tratamiento de la hipertension con proteinuria\nA. Enalapril\nB. Losartan"
    prose = "cual es el tratamiento de la hipertension con proteinuria"

    def scores(t: str) -> dict[str, float]:
        return {"es": 0.95} if t != prose else {"en": 0.6, "es": 0.4}

    filt, fake = faked(scores)
    assert filt.check([text], ["x"], ["en"], ["en"]) == [None]  # the prose reading finds English plausible
    assert fake.calls[-1] == ([prose], None)
    filt, fake = faked({"es": 0.95})
    (verdict,) = filt.check([text], ["x"], ["en"], ["en"])
    assert verdict is not None and verdict.detected == "es"
    assert len(fake.calls) == 2


def test_the_output_side_is_judged_with_its_own_language() -> None:
    filt, _ = faked(lambda t: {"es": 0.95} if "con" in t.split() else {"en": 0.99})
    (verdict,) = filt.check(["the dose was doubled after one week"], [SPANISH_IN_EN], ["en"], ["en"])
    assert verdict is not None and (verdict.side, verdict.detected) == ("output", "es")
    assert filt.check(["the dose was doubled after one week"], [SPANISH_IN_EN], ["en"], ["es"]) == [None]


# -- PubTator: a PMID change without a blank line ----------------------------------------------


def _write(tmp_path: Path, text: str, name: str = "x.PubTator.txt") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _read(path: Path) -> tuple[list[tuple[str, str, str, int]], list[InputError]]:
    errors: list[InputError] = []
    docs = [(where, d.pmid, d.title, len(d.mentions)) for where, d in read_pubtator(path, on_error=errors.append)]
    return docs, errors


def test_pubtator_pmid_change_without_blank_line_is_reported_not_merged(tmp_path) -> None:
    """Kills the title-line PMID check removed (the second title would overwrite the first and
    the documents merge silently when the second has no annotation line) or ``!=`` flipped."""
    text = "1|t|Aspirin.\n1|a|Ulcers.\n2|t|Heparin.\n2|a|Bleeding.\n\n3|t|Fine.\n3|a|Ok.\n"
    docs, errors = _read(_write(tmp_path, text))
    assert docs == [("line 6", "3", "Fine.", 0)]
    assert [(e.where, e.problem) for e in errors] == [("line 3", "PMID 2 inside document 1 (missing blank line?)")]
    assert not isinstance(errors[0], UnreadableError)
    # Without a callback the first problem raises.
    with pytest.raises(InputError, match="PMID 2 inside document 1"):
        list(read_pubtator(_write(tmp_path, text, "y.txt")))


def test_pubtator_annotation_of_another_pmid_is_reported(tmp_path) -> None:
    text = "1|t|Aspirin.\n1|a|Ulcers.\n2\t0\t7\tHeparin\tChemical\tD2\n\n3|t|Fine.\n"
    docs, errors = _read(_write(tmp_path, text))
    assert docs == [("line 5", "3", "Fine.", 0)]
    assert [(e.where, e.problem) for e in errors] == [("line 3", "PMID 2 inside document 1")]


def test_pubtator_real_documents_spliced_without_blank_line(tmp_path, realdata) -> None:
    """Two real BC5CDR documents with the blank line between them removed: one report, and the
    documents around them are still read with their mentions."""
    lines = (realdata / "bc5cdr" / "CDR_DevelopmentSet.PubTator.txt").read_text("utf-8").split("\n")
    blanks = [i for i, line in enumerate(lines) if not line.strip()]
    first_gap, second_gap = blanks[0], blanks[1]
    spliced = lines[:second_gap] + lines[second_gap + 1:]  # documents 2 and 3 now run together
    path = _write(tmp_path, "\n".join(spliced))
    whole = list(read_pubtator(realdata / "bc5cdr" / "CDR_DevelopmentSet.PubTator.txt"))
    docs, errors = _read(path)
    pmids = [pmid for _, pmid, _, _ in docs]
    assert pmids == [whole[0][1].pmid] + [d.pmid for _, d in whole[3:]]
    assert [len(d.mentions) for _, d in whole[:1]] == [docs[0][3]]
    (error,) = errors
    assert error.where == f"line {second_gap + 1}"
    assert error.problem == f"PMID {whole[2][1].pmid} inside document {whole[1][1].pmid} (missing blank line?)"
    assert first_gap > 0


def test_pubtator_mention_fields(tmp_path) -> None:
    """Kills the identifier column made mandatory / shifted, padded mention text rejected,
    and the offset check weakened."""
    text = (
        "7|t|Aspirin causes ulcers.\n7|a|Ulcers were seen.\n"
        "7\t0\t7\tAspirin\tChemical\n"  # five fields: no identifier
        "7\t15\t21\t ulcers \tDisease\tD014456\n"  # padded text (NCBI-disease)
        "7\tCID\tD001241\tD014456\n"
    )
    ((where, doc),) = list(read_pubtator(_write(tmp_path, text)))
    assert where == "line 1"
    assert doc.text == "Aspirin causes ulcers. Ulcers were seen."
    assert [(m.start, m.end, m.text, m.type, m.identifiers) for m in doc.mentions] == [
        (0, 7, "Aspirin", "Chemical", ""), (15, 21, "ulcers", "Disease", "D014456")]
    assert doc.relations == [("CID", "D001241", "D014456")]


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("7\t0\t7\tAspirin", "expected a mention (6 tab-separated fields) or a relation, found 4 fields"),
        ("7\t0", "expected a mention (6 tab-separated fields) or a relation, found 2 fields"),
        ("7\t0\t6\tAspirin\tChemical\tD1", "mention 'Aspirin' does not match text at 0-6 ('Aspiri')"),
    ],
)
def test_pubtator_bad_annotation_lines(tmp_path, line, problem) -> None:
    text = f"7|t|Aspirin.\n7|a|Ok.\n{line}\n\n8|t|Fine.\n"
    docs, errors = _read(_write(tmp_path, text))
    assert [pmid for _, pmid, _, _ in docs] == ["8"]
    assert [(e.where, e.problem) for e in errors] == [("line 3", problem)]


def test_pubtator_title_only_and_annotations_before_a_title(tmp_path) -> None:
    text = "5\t0\t3\tAsp\tChemical\tD1\n\n6|t|Title only.\n\n\n9|a|Abstract first.\n9|t|Then the title.\n"
    docs, errors = _read(_write(tmp_path, text))
    assert docs == [("line 3", "6", "Title only.", 0), ("line 6", "9", "Then the title.", 0)]
    assert [(e.where, e.problem) for e in errors] == [("line 1", "annotation line before any title line")]


def test_pubtator_undecodable_line_drops_its_document_only(tmp_path) -> None:
    path = tmp_path / "x.txt"
    path.write_bytes(b"1|t|Aspirin.\n1|a|Ulcers \xff.\n\n2|t|Fine.\n2|a|Ok.\n\n\xfe\n3|t|Last.\n")
    docs, errors = _read(path)
    assert [pmid for _, pmid, _, _ in docs] == ["2", "3"]
    assert [type(e) for e in errors] == [UnreadableError, UnreadableError]
    assert errors[0].where == "line 2" and errors[0].problem.endswith("in document 1")
    assert errors[1].where == "line 7" and "document" not in errors[1].problem


# -- answer extraction ----------------------------------------------------------------------------

OPTIONS = ["A. Heparin", "B. Aspirin", "C. Warfarin", "D. Clopidogrel"]


@pytest.mark.parametrize(
    ("prediction", "letters"),
    [
        ("At first glance the answer is A, but heparin is not oral. Final answer: C", "C"),
        ("Answer: B. On reflection, the correct answer is D.", "D"),
        ("答案：A。不对，正确答案：C", "C"),
    ],
)
def test_the_last_answer_statement_wins(prediction, letters) -> None:
    """Kills ``found[-1]`` → ``found[0]`` (the model's revised answer is the one scored)."""
    assert extract_choices(prediction, OPTIONS) == frozenset(letters)


# -- release manifest ---------------------------------------------------------------------------


def _tiny_release(root: Path, *, rows: int = 2, kept: int | None = None) -> ReleaseManifest:
    """A release folder by hand: one Parquet shard, a card, and the manifest listing both."""
    shard = root / "data" / "qa" / "task1" / "train-00000-of-00001.parquet"
    shard.parent.mkdir(parents=True)
    pq.write_table(pa.table({"id": [f"task1-{i:016x}" for i in range(rows)]}), shard)
    (root / "README.md").write_text("# card\n", encoding="utf-8")
    files = {
        "README.md": ReleaseFile(sha256=sha256_file(root / "README.md"), bytes=7),
        "data/qa/task1/train-00000-of-00001.parquet": ReleaseFile(
            sha256=sha256_file(shard), bytes=shard.stat().st_size, rows=rows),
    }
    manifest = ReleaseManifest(
        medsins_version="0.1.0", profile="public", publishable=True, files=files,
        counts={"total": FateCounts(entered=rows, kept=rows if kept is None else kept)},
    )
    write_manifest(root, manifest)
    return manifest


def test_verify_release_accepts_exactly_what_the_manifest_lists(tmp_path) -> None:
    manifest = _tiny_release(tmp_path)
    assert verify_release(tmp_path) == manifest
    (tmp_path / ".DS_Store").write_bytes(b"\0")  # hidden files are the OS's, not the release's
    assert verify_release(tmp_path) == manifest


@pytest.mark.parametrize(
    "stray", ["notes.txt", "data/qa/task1/train-00001-of-00001.parquet", "data/qa/manifest.json"]
)
def test_verify_release_refuses_a_file_the_manifest_does_not_list(tmp_path, stray) -> None:
    """Kills the extra-file check removed or its set difference reversed; a ``manifest.json``
    below the top is an unlisted file like any other (only the release's own one is exempt)."""
    _tiny_release(tmp_path)
    (tmp_path / stray).write_text("{}", encoding="utf-8")
    with pytest.raises(ReleaseError, match=f"file not listed in the manifest: {re.escape(stray)}$"):
        verify_release(tmp_path)


def test_verify_release_refuses_a_missing_or_changed_file(tmp_path) -> None:
    _tiny_release(tmp_path)
    card = tmp_path / "README.md"
    card.write_text("# cart\n", encoding="utf-8")  # same size, other bytes
    with pytest.raises(ReleaseError, match=r"README\.md differs from the manifest"):
        verify_release(tmp_path)
    card.unlink()
    with pytest.raises(ReleaseError, match=r"file listed in the manifest is missing: README\.md$"):
        verify_release(tmp_path)


def test_verify_release_checks_row_counts_only_when_asked(tmp_path) -> None:
    manifest = _tiny_release(tmp_path, kept=3)
    with pytest.raises(ReleaseError, match="shards hold 2 rows but the ledger kept 3"):
        verify_release(tmp_path)
    assert verify_release(tmp_path, check_rows=False) == manifest
    # A shard rewritten with the manifest's checksum but another row count.
    data = json.loads((tmp_path / MANIFEST_NAME).read_text("utf-8"))
    data["files"]["data/qa/task1/train-00000-of-00001.parquet"]["rows"] = 5
    data["counts"]["total"]["kept"] = 5
    (tmp_path / MANIFEST_NAME).write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ReleaseError, match=r"train-00000-of-00001\.parquet has 2 rows, the manifest says 5"):
        verify_release(tmp_path)
    verify_release(tmp_path, check_rows=False)


def test_manifest_file_is_deterministic_and_validated(tmp_path) -> None:
    manifest = _tiny_release(tmp_path)
    text = (tmp_path / MANIFEST_NAME).read_text("utf-8")
    assert text.endswith("}\n") and text == json.dumps(json.loads(text), indent=2, sort_keys=True) + "\n"
    assert read_manifest(tmp_path) == manifest
    (tmp_path / MANIFEST_NAME).write_text('{"medsins_version": "0.1.0", "profile": "public"}', "utf-8")
    with pytest.raises(ReleaseError, match=r"manifest.json: invalid manifest at publishable: Field required"):
        read_manifest(tmp_path)
    (tmp_path / MANIFEST_NAME).unlink()
    with pytest.raises(ReleaseError, match="not a release folder"):
        read_manifest(tmp_path)


def test_sha256_file_streams_in_chunks(tmp_path) -> None:
    path = tmp_path / "blob"
    data = bytes(range(256)) * 9
    path.write_bytes(data)
    assert sha256_file(path, chunk=100) == sha256_file(path) == hashlib.sha256(data).hexdigest()


def test_fate_counts_balance() -> None:
    assert FateCounts(entered=7, kept=1, invalid=1, conflict=1, license=1, language=1, duplicate=1,
                      contaminates=1, unreadable=4).balanced()
    for fate in ("kept", "invalid", "conflict", "license", "language", "duplicate", "contaminates"):
        assert not FateCounts(entered=1, **{fate: 2}).balanced()
        assert FateCounts(entered=1, **{fate: 1}).balanced()


def test_manifest_keeps_non_ascii_text_readable(tmp_path) -> None:
    """Kills ``ensure_ascii`` flipped or dropped: unreadable spots name files and problems in the
    corpus's own language, written as UTF-8 text, not as \\u escapes."""
    manifest = _tiny_release(tmp_path)
    spots = {"frenchmedmcqa": ["dév.json, ligne 3: problème de décodage"]}
    write_manifest(tmp_path, manifest.model_copy(update={"unreadable": spots}))
    text = (tmp_path / MANIFEST_NAME).read_bytes().decode("utf-8")
    assert '"dév.json, ligne 3: problème de décodage"' in text
    assert read_manifest(tmp_path).unreadable == spots


def test_invalid_manifest_names_the_nested_field(tmp_path) -> None:
    _tiny_release(tmp_path)
    data = json.loads((tmp_path / MANIFEST_NAME).read_text("utf-8"))
    data["files"]["README.md"]["sha256"] = "not-a-digest"
    (tmp_path / MANIFEST_NAME).write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ReleaseError, match=r"invalid manifest at files\.README\.md\.sha256: String should match"):
        read_manifest(tmp_path)
