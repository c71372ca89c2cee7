"""The record helpers converters share: option labels, MCQA inputs and examples."""

from __future__ import annotations

from medsins.records import Split, format_options, mcqa_example, mcqa_input

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
