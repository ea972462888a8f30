"""The evaluation table: rolls fitted to one window, the Markdown table."""
import numpy as np

from drumroll.evaluation import SEVERAL_NOTES, fit_window, table
from drumroll.metrics import per_step_name


def test_a_short_roll_is_padded_with_silence_and_a_long_one_cut():
    short = np.ones((25, 100), dtype=bool)
    long = np.ones((25, 300), dtype=bool)
    assert fit_window(short).shape == fit_window(long).shape == (25, 256)
    assert fit_window(short)[:, :100].all() and not fit_window(short)[:, 100:].any()
    assert fit_window(long).all()


def test_table_has_one_row_per_measure_and_one_column_per_set():
    text = table({"a": {"windows": 3.0, "on 8ths": 0.5}, "b": {"windows": 4.0,
                                                                      "on 8ths": 0.25}})
    assert text.splitlines() == ["| measure | a | b |", "|---|---:|---:|",
                                 "| windows | 3 | 4 |", "| on 8ths | 50.0% | 25.0% |"]


def test_a_kit_piece_of_several_notes_says_so_in_its_row_and_a_note_under_the_table():
    assert per_step_name("kick") == "kick per step"
    assert per_step_name("ride") == "ride (3 notes) per step"
    text = table({"a": {"kick per step": 0.25, "ride (3 notes) per step": 1.033}})
    assert text.splitlines()[-3:] == ["| ride (3 notes) per step | 1.033 |", "", SEVERAL_NOTES]
