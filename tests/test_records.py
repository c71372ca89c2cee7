"""The record helpers converters share: option labels, MCQA inputs and examples, record ids, NER outputs."""

from __future__ import annotations

import pytest

from medsins.convert import convert_source
from medsins.records import (
    NO_ENTITY,
    Record,
    Split,
    format_options,
    join_entities,
    mcqa_example,
    mcqa_input,
    record_id,
    split_entities,
)

MULTI = "Choose the {count} correct options."


def test_options_are_labelled_in_order_and_the_input_lists_them():
    options = format_options([" Aspirin", "Heparin ", "Warfarin"])
    assert options == ["A. Aspirin", "B. Heparin", "C. Warfarin"]
    assert mcqa_input("Which is an antiplatelet drug?", options) == (
        "Which is an antiplatelet drug?\nA. Aspirin\nB. Heparin\nC. Warfarin")


def test_a_single_answer_keeps_the_task_definition():
    options = format_options(["Aspirin", "Heparin"])
    example = mcqa_example("task60", Split.TEST, "Q?", options, ["A. Aspirin"],
                           multi_answer_instruction=MULTI, raw_id="q1", origin="test.json, record 1")
    assert (example.input, example.output, example.options, example.instruction) == (
        "Q?\nA. Aspirin\nB. Heparin", "A. Aspirin", options, None)
    assert (example.task_id, example.split, example.raw_id, example.origin) == (
        "task60", Split.TEST, "q1", "test.json, record 1")


def test_several_answers_are_one_a_line_with_their_own_instruction():
    options = format_options(["a", "b", "c", "d"])
    example = mcqa_example("task59", Split.TRAIN, "Q?", options, ["B. b", "D. d"],
                           multi_answer_instruction=MULTI, raw_id="116A1", origin="116-A.jsonl, line 1")
    assert example.output == "B. b\nD. d"
    assert example.instruction == "Choose the 2 correct options."


# -- record ids: a public contract, pinned by literal values ----------------------------------
#
# record_id(task, source, split, raw_id) = f"{task}-{blake2b(key, digest_size=8).hexdigest()}" with
# key = "\x1f".join((task, source, split, raw_id)) in UTF-8 (docs/architecture.md, "Record ids").
# The literals below were computed outside Python with coreutils' BLAKE2b, e.g.
#   printf 'task126\x1fbc5cdr\x1ftrain\x1f6794356-s1' | b2sum -l 64   ->  22e11ac39f662d63
# (b2sum -l 64 is BLAKE2b with an 8-byte digest, the same parameters as digest_size=8).

ID_CASES = [
    # (task, source, split, raw_id) -> id; each row after the first differs from it in one field.
    (("task126", "bc5cdr", "train", "6794356-s1"), "task126-22e11ac39f662d63"),
    (("task126", "bc5cdr", "test", "6794356-s1"), "task126-402fb65ccdddf279"),  # split only
    (("task28", "bc5cdr", "train", "6794356-s1"), "task28-14d875c6800c9efb"),  # task only
    (("task126", "ncbi_disease", "train", "6794356-s1"), "task126-8005ea5b8c5bb8c1"),  # source only
    (("task126", "bc5cdr", "train", "6794356-s2"), "task126-d15d376a3ab0a920"),  # raw id only
    # The separator keeps field boundaries: moving characters across them changes the id.
    (("task126", "bc5cdr", "train6794356", "-s1"), "task126-c9504842b06f472a"),
    # UTF-8 bytes of a non-ASCII raw id:  printf 'task59\x1fmmedbench\x1ftest\x1f患者-1' | b2sum -l 64
    (("task59", "mmedbench", "test", "患者-1"), "task59-9977d246c798d763"),
]


@pytest.mark.parametrize(("fields", "expected"), ID_CASES)
def test_record_id_literal_values(fields, expected):
    assert record_id(*fields) == expected


def test_record_ids_differ_when_any_one_field_differs():
    ids = [record_id(*fields) for fields, _ in ID_CASES]
    assert len(set(ids)) == len(ids)
    base = ("task126", "bc5cdr", "train", "6794356-s1")
    for position, other in enumerate(("task28", "ncbi_disease", "test", "6794356-s2")):
        changed = list(base)
        changed[position] = other
        assert record_id(*changed) != record_id(*base), position


def test_record_id_of_a_real_converted_record(realdata, catalog):
    """End to end: the first record of the real BC5CDR development slice has the pinned id."""
    records = [r for r in convert_source(catalog.get("bc5cdr"), realdata / "bc5cdr", catalog.registry)
               if isinstance(r, Record)]
    first = records[0]
    assert (first.task_id, first.source, first.split.value, first.raw_id) == ("task126", "bc5cdr", "train",
                                                                               "6794356-s1")
    assert first.id == "task126-22e11ac39f662d63"
    assert Record.model_validate(first.model_dump()).id == first.id


# -- NER outputs ----------------------------------------------------------------------------------


def test_join_entities_cleans_dedupes_and_keeps_first_seen_order():
    assert join_entities(["  heart\n failure ", "aspirin", "heart failure", "", "  ", "Aspirin"]) == (
        "heart failure\naspirin\nAspirin")
    assert join_entities([]) == NO_ENTITY == "None"
    assert join_entities([" ", "\t"]) == NO_ENTITY


def test_split_entities_inverts_join_entities():
    assert split_entities(" None \n") == []
    assert split_entities("heart failure\n\n  aspirin \n") == ["heart failure", "aspirin"]
    assert split_entities("None of them\naspirin") == ["None of them", "aspirin"]
    for entities in (["a b", "c"], []):
        assert split_entities(join_entities(entities)) == entities
