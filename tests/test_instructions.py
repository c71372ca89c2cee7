"""Instruction variants in a release and load(instruction="random")."""

from __future__ import annotations

import json

import pytest

import medsins
from medsins.build import BuildOptions, build
from medsins.errors import MedsinsError
from medsins.registry import builtin_registry


@pytest.fixture(scope="module")
def releases(tmp_path_factory, upstream):
    root = tmp_path_factory.mktemp("instr")
    plain = root / "plain"
    build(BuildOptions(out=plain, sources=("pubmedqa", "frenchmedmcqa"), quiet=True))
    rich = root / "rich"
    build(BuildOptions(out=rich, sources=("pubmedqa", "frenchmedmcqa"), quiet=True,
                       instructions=upstream / "RewriteDefinitions.json"))
    return plain, rich


def test_release_lists_variants_per_task(releases, upstream):
    plain, rich = releases
    own = json.loads((plain / "instructions.json").read_text(encoding="utf-8"))
    card = builtin_registry().get("task124")
    assert own["task124"] == {"definition": card.definition, "variants": card.instructions, "upstream": False}
    both = json.loads((rich / "instructions.json").read_text(encoding="utf-8"))
    raw = json.loads((upstream / "RewriteDefinitions.json").read_text(encoding="utf-8"))
    upstream_key = next(k for k in raw if k.split("_")[0] == "task124")
    rewrites = raw[upstream_key]["auto_rewrite_def"]
    assert both["task124"]["upstream"] is True
    assert both["task124"]["variants"][: len(card.instructions)] == card.instructions
    assert set(rewrites) <= set(both["task124"]["variants"])
    assert len(both["task124"]["variants"]) >= len(set(rewrites)) + len(card.instructions)
    manifest = json.loads((rich / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["options"]["upstream_instructions"] is not None
    assert "instructions.json" in manifest["files"]


def test_random_instruction_is_deterministic_and_seeded(releases):
    _, rich = releases
    variants = json.loads((rich / "instructions.json").read_text(encoding="utf-8"))
    base = medsins.load("task124", split="train", path=rich)
    one = medsins.load("task124", split="train", path=rich, instruction="random", seed=1)
    again = medsins.load("task124", split="train", path=rich, instruction="random", seed=1)
    other = medsins.load("task124", split="train", path=rich, instruction="random", seed=2)
    assert one["instruction"] == again["instruction"]
    assert one["instruction"] != other["instruction"]
    assert all(i in variants["task124"]["variants"] for i in one["instruction"])
    assert set(base["instruction"]) == {variants["task124"]["definition"]}
    assert one["input"] == base["input"]


def test_record_specific_instructions_are_kept(releases):
    plain, _ = releases
    base = medsins.load("task60", path=plain)
    sampled = medsins.load("task60", path=plain, instruction="random", seed=3)
    definition = builtin_registry().get("task60").definition
    own = [i for split in base for i in base[split]["instruction"] if i != definition]
    assert own  # the sample has multi-answer questions with their own wording
    for split in base:
        for before, after in zip(base[split]["instruction"], sampled[split]["instruction"], strict=True):
            if before != definition:
                assert after == before  # a multi-answer item's own wording survives


def test_bad_instruction_mode(releases):
    plain, _ = releases
    with pytest.raises(MedsinsError, match="instruction='first'"):
        medsins.load("task124", path=plain, instruction="first")
