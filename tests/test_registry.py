"""Taxonomy and task registry."""

from __future__ import annotations

import pytest

from medsins.errors import InputError, UnknownNameError
from medsins.registry import builtin_registry, read_task_file
from medsins.taxonomy import CATEGORIES, Category, TextSource, parse_category, resolve_config


def test_nineteen_categories_each_with_a_unique_config():
    assert len(Category) == 19
    configs = [info.config for info in CATEGORIES]
    assert len(set(configs)) == 19
    assert {"ner", "qa", "nli", "summarization", "translation", "diagnosis"} <= set(configs)
    assert len(TextSource) == 5


@pytest.mark.parametrize(
    ("name", "config"),
    [("named_entity_recognition", "ner"), ("Named Entity Recognition", "ner"), ("NER", "ner"),
     ("question-answering", "qa"), ("text_summarization", "summarization"), ("all", "all"), ("xyz", None)],
)
def test_aliases_resolve(name, config):
    assert resolve_config(name) == config


def test_upstream_category_labels_parse():
    assert parse_category("Rationale") is Category.EXPLANATION
    assert parse_category("Textual Entailment") is Category.NLI
    assert parse_category("nonsense") is None


def test_registry_selects_by_config_task_and_benchmark():
    registry = builtin_registry()
    ner = {t.id for t in registry.select("named_entity_recognition")}
    assert {"task125", "task126", "task127", "task128", "task27"} <= ner
    assert [t.id for t in registry.select("task125")] == ["task125"]
    mcqa = {t.id for t in registry.select("mcqa")}
    assert mcqa == {"task57", "task58", "task59", "task60", "task61", "task122", "task123", "task129"}
    bench = registry.select("bench")
    assert len(bench) == len({t.id for t in registry if t.benchmark})
    assert registry.get("task127").in_meds_ins is False


def test_unknown_names_suggest_close_matches():
    registry = builtin_registry()
    with pytest.raises(UnknownNameError) as info:
        registry.select("nerr")
    assert "ner" in info.value.matches
    with pytest.raises(UnknownNameError, match="task125"):
        registry.get("task1255")


def test_every_task_has_definition_and_variants_and_valid_source_ids(catalog):
    for task in builtin_registry():
        assert len(task.instructions) >= 1
        assert task.definition not in task.instructions
        if task.source is not None and task.source in catalog.sources:
            assert task.id in catalog.get(task.source).manifest.tasks, task.id


def test_bad_task_file_names_file_and_task(tmp_path):
    path = tmp_path / "tasks.toml"
    path.write_text('[[task]]\nid = "task9999"\nname = "x"\ncategory = "Cooking"\n', encoding="utf-8")
    with pytest.raises(InputError) as info:
        read_task_file(path)
    assert str(path) in str(info.value)
    assert "task #1 (task9999)" in str(info.value)


def test_public_api_functions_survive_submodule_imports():
    import medsins
    import medsins.load
    import medsins.registry

    assert callable(medsins.load)
    assert medsins.tasks().get("task125").category is Category.NER
    assert "pubmedqa" in {m.id for m in medsins.sources()}
