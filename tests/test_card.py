"""The dataset card of a full release: Hub size bound, Hub metadata, configs, examples, retargeting."""

from __future__ import annotations

import json
import re
from pathlib import Path

import datasets
import pyarrow.parquet as pq
import pytest
import yaml
from datasets.info import DatasetInfosDict
from huggingface_hub import DatasetCard
from test_release import build_release, make_record, sort_key, write_kept

from medsins.cli import main
from medsins.errors import ReleaseError
from medsins.plugins import catalog
from medsins.records import Record, record_id
from medsins.registry import builtin_registry
from medsins.release.card import CARD_EXTRA_KEYS, multilinguality, retarget_card, source_datasets
from medsins.release.manifest import FateCounts, ReleaseManifest, verify_release
from medsins.release.writer import write_release
from medsins.taxonomy import CATEGORIES, config_of

REGISTRY = builtin_registry()
REPO = "my-org/meds-ins"

#: What ``medsins push`` (and huggingface_hub) send to the Hub's ``/api/validate-yaml`` before any upload
#: is the whole card as JSON. The Hub answers 413 Payload Too Large to big cards there (mteb issue #1892),
#: and its server parses JSON bodies with Express' body-parser (its 413 "too many parameters" message,
#: quoted in huggingface_hub's _commit_api.py), whose default limit is 100 KiB. The exact limit is not
#: documented, so the bound is that default.
HUB_BODY_LIMIT = 100 * 1024
#: The synthetic release has one-digit counts; a real one writes up to ~8 more digits in each of the
#: ~600 size and count fields of ``dataset_info`` and the task tables (~5 kB). 12 kB stay free for that.
CARD_PAYLOAD_BOUND = HUB_BODY_LIMIT - 12_000
#: The front matter alone (what ``datasets`` parses on every load) stays under 64 KiB.
FRONT_MATTER_BOUND = 64 * 1024


def full_records() -> list[Record]:
    """One record per split of every registered task (a task with no source reads as contributed files)."""
    found = catalog()
    records = []
    for task in REGISTRY:
        source = task.source or "task_files"
        manifest = found.get(source).manifest
        splits = ["train", "test"] if task.split.value == "both" else [task.split.value]
        mcqa = task.answer_format.value == "mcqa"
        for split in splits:
            records.append(Record(
                id=record_id(task.id, source, split, "r0"), task_id=task.id, source=source,
                category=task.category, config=config_of(task.category), split=split,
                instruction=task.definition, input=f"{task.name} input", output="A. yes" if mcqa else "out",
                input_language=task.input_languages[0], output_language=task.output_languages[0],
                instruction_language=task.instruction_language, license=manifest.license,
                text_source=task.text_source, domains=list(task.domains),
                options=["A. yes", "B. no"] if mcqa else [], raw_id="r0", origin=f"{source}.json, item 1",
            ))
    return sorted(records, key=sort_key)


def build_full_release(tmp: Path, **card_extras: object) -> tuple[Path, ReleaseManifest]:
    """A release with every task config of the registry (as a full MedS-Ins build has)."""
    records = full_records()
    kept = write_kept(records, tmp / "full-kept.parquet")
    found = catalog()
    sources = {s: found.get(s).manifest for s in sorted({r.source for r in records})}
    counts = {"total": FateCounts(entered=len(records), kept=len(records))}
    build = ReleaseManifest(medsins_version="0.1.0", profile="local", publishable=False, counts=counts)
    out = tmp / "full"
    manifest = write_release(
        kept, out, registry=REGISTRY, sources=sources, manifest=build, card_extras={"repo_id": REPO, **card_extras}
    )
    return out, manifest


@pytest.fixture(scope="module")
def full(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, ReleaseManifest]:
    return build_full_release(tmp_path_factory.mktemp("full"))


def split_card(text: str) -> tuple[str, str]:
    """(front matter YAML, body) of a card."""
    _, front, body = text.split("---\n", 2)
    return front, body


def card(release: Path) -> str:
    return (release / "README.md").read_text(encoding="utf-8")


# -- size -------------------------------------------------------------------------------


def test_a_full_release_card_stays_within_the_hubs_request_limit(full: tuple[Path, ReleaseManifest]) -> None:
    out, manifest = full
    groups = {t.benchmark for t in REGISTRY if t.benchmark} - {c.config for c in CATEGORIES}
    # Every config a full build has: all, 19 categories, bench, the benchmark groups, every task.
    assert len(manifest.configs) == 1 + len(CATEGORIES) + 1 + len(groups) + len(REGISTRY) == 153
    text = card(out)
    front, _ = split_card(text)
    # As huggingface_hub/requests encode it (ASCII escapes: the widest form).
    payload = json.dumps({"content": text, "repoType": "dataset"})
    assert len(payload.encode()) <= CARD_PAYLOAD_BOUND, len(payload)
    assert len(front.encode()) <= FRONT_MATTER_BOUND, len(front)
    # The 18-column schema is written once (it cost ~800 bytes per config when repeated).
    assert front.count("- name: instruction_language\n") == 1


# -- what the Hub and datasets read ---------------------------------------------------


def test_huggingface_hub_parses_the_hub_metadata(full: tuple[Path, ReleaseManifest]) -> None:
    out, manifest = full
    data = DatasetCard.load(out / "README.md").data
    assert data.license == "other" and data.license_name == "per-source-licenses"
    assert data.license_link == "LICENSE.md" and "LICENSE.md" in manifest.files
    assert data.multilinguality == ["multilingual", "translation"]
    # Corpora on the Hub are named by their Hub id (linked there), the others by their source id.
    assert {"Henrychur/MMedBench", "FremyCompany/BioLORD-Dataset", "medqa", "bc5cdr"} <= set(data.source_datasets)
    assert "translation" in data.task_categories and data.size_categories == ["n<1K"]
    infos = DatasetInfosDict.from_dataset_card_data(data)
    assert {name: dict((s, i.num_examples) for s, i in info.splits.items()) for name, info in infos.items()} == (
        manifest.configs
    )
    assert infos["all"].features is not None and infos["ner"].features is None


def test_datasets_reads_the_configs_of_a_full_release(full: tuple[Path, ReleaseManifest], tmp_path: Path) -> None:
    out, manifest = full
    assert datasets.get_dataset_config_names(str(out)) == list(manifest.configs)
    for config in ("translation", "task125"):
        loaded = datasets.load_dataset(str(out), config, cache_dir=str(tmp_path / "cache"))
        assert {split: ds.num_rows for split, ds in loaded.items()} == manifest.configs[config]
        # No features in the card for this config: datasets takes the shards' schema, the same for every config.
        assert next(iter(loaded.values())).features == datasets.Features.from_arrow_schema(
            pq.read_schema(next(out.glob("data/*/*/*.parquet")))
        )


# -- the examples name what the release has -----------------------------------------


def assert_examples_exist(release: Path, repo_id: str) -> list[str]:
    """Every config and file the card's examples name is in ``release``; returns the configs named."""
    manifest = json.loads((release / "manifest.json").read_text(encoding="utf-8"))
    _, body = split_card(card(release))
    named = re.findall(r'medsins\.load\("([^"]+)"', body)
    named += re.findall(rf'load_dataset\("{re.escape(repo_id)}", "([^"]+)"\)', body)
    named += re.findall(r"`(task\d+)`", body.split("## Tasks")[0])  # the configs paragraph
    assert named and set(named) <= set(manifest["configs"]), named
    for split in re.findall(r'medsins\.load\("([^"]+)", split="([^"]+)"', body):
        assert split[1] in manifest["configs"][split[0]], split
    (glob,) = re.findall(rf'pl\.read_parquet\("hf://datasets/{re.escape(repo_id)}/([^"]+)"\)', body)
    assert list(release.glob(glob)), glob
    return named


def test_the_examples_name_configs_and_files_of_the_release(
    full: tuple[Path, ReleaseManifest], tmp_path: Path
) -> None:
    assert set(assert_examples_exist(full[0], REPO)) >= {"ner", "task125", "mcqa"}
    # A release without NER or task125 (the defaults of the old card): the examples use what it has.
    records = [make_record("task11", "train", "a"), make_record("task57", "test", "b")]
    out, _ = build_release(tmp_path, records, name="few", card_extras={"repo_id": "x/y"})
    few = assert_examples_exist(out, "x/y")
    assert "task125" not in card(out) and "medsins/meds-ins" not in card(out) and '"ner"' not in card(out)
    assert {"qa", "task57", "mcqa"} <= set(few)


# -- retargeting ------------------------------------------------------------------------


def test_retarget_card_names_the_new_repo_and_changes_nothing_else(full: tuple[Path, ReleaseManifest]) -> None:
    original = card(full[0])
    moved = retarget_card(original, "other-org/meds-ins-v2")
    assert REPO not in moved
    assert moved.count("other-org/meds-ins-v2") == original.count(REPO) >= 5
    assert 'load_dataset("other-org/meds-ins-v2", "ner")' in moved
    assert "hf://datasets/other-org/meds-ins-v2/data/ner/" in moved
    assert "[`other-org/meds-ins-v2`](https://huggingface.co/datasets/other-org/meds-ins-v2)" in moved
    assert split_card(moved)[0] == split_card(original)[0]  # front matter byte for byte
    assert DatasetCard(moved).data.to_dict() == DatasetCard(original).data.to_dict()
    assert retarget_card(moved, REPO) == original
    assert retarget_card(original, REPO) == original


def test_retarget_card_leaves_the_users_own_text_and_refuses_bad_input(tmp_path: Path) -> None:
    assert "description" in CARD_EXTRA_KEYS
    mention = "Mirrors hf.co/me/meds which was copied from me/meds."
    out, _ = build_release(tmp_path, card_extras={"repo_id": "me/meds", "description": mention})
    moved = retarget_card(card(out), "you/meds")
    assert mention in moved and 'load_dataset("you/meds", "ner")' in moved
    with pytest.raises(ReleaseError, match="not a Hub repo id"):
        retarget_card(card(out), "no-slash")
    with pytest.raises(ReleaseError, match="not a Hub repo id"):
        retarget_card(card(out), "a/b/c")
    with pytest.raises(ReleaseError, match="does not name its repository"):
        retarget_card("---\nlicense: mit\n---\n\n# a card\n", "you/meds")


# -- small pieces ------------------------------------------------------------------------


def test_multilinguality_and_source_datasets() -> None:
    qa, translation = REGISTRY.get("task57"), next(t for t in REGISTRY if t.category.value == "Translation")
    assert multilinguality(["en"], [qa]) == ["monolingual"]
    assert multilinguality(["en", "zh"], [qa]) == ["multilingual"]
    assert multilinguality(["en", "zh"], [qa, translation]) == ["multilingual", "translation"]
    found = catalog()
    sources = {s: found.get(s).manifest for s in ("mmedbench", "medqa", "upstream")}
    assert source_datasets(["medqa", "mmedbench", "upstream", "unknown"], sources) == [
        "Henrychur/MMedBench", "Henrychur/MedS-Ins", "medqa", "unknown",
    ]


# -- the command line ----------------------------------------------------------------------


def test_build_repo_id_names_the_repo_in_card_and_croissant(tmp_path: Path) -> None:
    out = tmp_path / "rel"
    code = main([
        "build", "--sources", "medqa", "--out", str(out), "--repo-id", "my-org/medqa-only", "--quiet",
        "--workers", "1",
    ])
    assert code == 0
    text = card(out)
    assert 'load_dataset("my-org/medqa-only", "qa")' in text and "medsins/meds-ins" not in text
    croissant = json.loads((out / "croissant.json").read_text(encoding="utf-8"))
    assert croissant["url"] == "https://huggingface.co/datasets/my-org/medqa-only"
    verify_release(out)
    assert yaml.safe_load(split_card(text)[0])["source_datasets"] == ["medqa"]


def test_build_refuses_a_bad_repo_id_before_any_work(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["build", "--out", str(tmp_path / "rel"), "--repo-id", "not a repo"])
    assert exit_info.value.code == 2
    assert "--repo-id: not a Hub repo id 'not a repo'" in capsys.readouterr().err
    assert not (tmp_path / "rel").exists() and not (tmp_path / "rel.work").exists()
