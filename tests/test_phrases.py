"""Above the bar: groove changes, fills, roles, song measures and the statistics of forms."""
import numpy as np
import pytest

from drumroll.phrases import (CHANGE, CLOSING, FILL, INSIDE, OPENING, ORDINARY, bar_roles, fills,
                              form_statistics, groove_changes, lasting_changes, mean_measures,
                              measure_range, similarity_to_previous, song_measures,
                              song_sections)

KICK, SNARE, TOM, CRASH, RIDE = 0, 2, 9, 13, 15


def bar(*hits):
    """A (25, 32) bar with hits given as (row, step) pairs."""
    grid = np.zeros((25, 32), dtype=bool)
    for row, step in hits:
        grid[row, step] = True
    return grid


BLAST = bar(*[(KICK, s) for s in range(0, 32, 2)], *[(SNARE, s) for s in range(2, 32, 4)])
BEAT = bar(*[(KICK, s) for s in (0, 16)], *[(SNARE, s) for s in (8, 24)],
           *[(RIDE, s) for s in range(0, 32, 4)])
TOM_FILL = bar(*[(TOM, s) for s in range(16, 32, 2)], (KICK, 0))


def test_a_bar_is_compared_with_the_bar_before_it():
    similarity = similarity_to_previous(np.stack([BLAST, BLAST, BEAT]))
    assert similarity[0] == 1.0 and similarity[1] == 1.0 and similarity[2] < 0.5


def test_a_groove_change_is_a_bar_unlike_the_one_before():
    assert groove_changes(np.stack([BLAST, BLAST, BEAT, BEAT])).tolist() == [
        False, False, True, False]


def test_a_bar_with_two_tom_hits_is_a_fill():
    assert fills(np.stack([BLAST, TOM_FILL])).tolist() == [False, True]


def test_a_break_between_two_alike_bars_is_a_fill_even_without_toms():
    assert fills(np.stack([BLAST, BEAT, BLAST])).tolist() == [False, True, False]


def test_roles_mark_fills_and_the_first_bars_of_new_grooves():
    bars = np.stack([BLAST, BLAST, BLAST, TOM_FILL, BEAT, BEAT])
    assert bar_roles(bars).tolist() == [ORDINARY, ORDINARY, ORDINARY, FILL, CHANGE, ORDINARY]


def test_song_measures_count_changes_fills_crashes_and_repeats():
    crash_beat = BEAT.copy()
    crash_beat[CRASH, 0] = True
    bars = np.stack([BLAST] * 3 + [TOM_FILL, crash_beat] + [BEAT] * 3)
    row = song_measures(bars)
    assert row["bars"] == 8
    assert row["bars starting a new groove"] == pytest.approx(3 / 8)   # bar 0, fill, beat
    assert row["bars with a fill"] == pytest.approx(1 / 8)
    assert row["changes right after a fill"] == pytest.approx(1 / 2)
    assert row["changes with a crash"] == pytest.approx(1 / 2)
    assert "velocity levels" not in row


def test_a_bar_repeating_the_bar_four_before_counts_unless_both_are_silent():
    silent = bar()
    bars = np.stack([BLAST, BEAT, silent, TOM_FILL, BLAST, BLAST, silent, BEAT])
    assert song_measures(bars)["bars repeating the bar 4 before"] == pytest.approx(1 / 3)


def test_a_bar_repeating_the_bar_eight_before_counts():
    bars = np.stack([BLAST, BEAT] * 4 + [BLAST, TOM_FILL])
    assert song_measures(bars)["bars repeating the bar 8 before"] == pytest.approx(1 / 2)


def test_song_measures_say_where_sections_start_on_the_phrase_grid():
    bars = np.stack([BLAST] * 8 + [BEAT] * 6 + [BLAST] * 4)   # sections at bars 0, 8, 14
    row = song_measures(bars)
    assert row["sections"] == 3
    assert row["sections starting on a 4-bar line"] == pytest.approx(1 / 2)
    assert row["sections starting on an 8-bar line"] == pytest.approx(1 / 2)


def test_section_shares_of_several_songs_are_weighted_by_their_section_starts():
    rows = [{"bars": 100.0, "sections": 2.0, "sections starting on a 4-bar line": 1.0},
            {"bars": 10.0, "sections": 4.0, "sections starting on a 4-bar line": 0.0}]
    mean = mean_measures([{**row, "bars starting a new groove": 0.5} for row in rows])
    assert mean["sections"] == 6 and mean["sections starting on a 4-bar line"] == 0.25


def test_velocity_measures_count_levels_and_accents_above_the_usual_level():
    bars = np.stack([BLAST] * 5)
    velocities = np.where(bars, 89, 0).astype(np.uint8)
    velocities[0, KICK] = np.where(bars[0, KICK], 102, 0)
    row = song_measures(bars, velocities)
    assert row["velocity levels"] == 2
    assert row["accented hits"] == pytest.approx(bars[0, KICK].sum() / bars.sum())


def test_mean_measures_weight_songs_by_their_bars():
    rows = [{"bars": 10.0, "x": 1.0, "bars starting a new groove": 0.5,
             "mean groove length (bars)": 2.0},
            {"bars": 30.0, "x": 0.0, "bars starting a new groove": 0.1,
             "mean groove length (bars)": 10.0}]
    mean = mean_measures(rows)
    assert mean["bars"] == 40.0 and mean["x"] == 0.25
    assert mean["mean groove length (bars)"] == pytest.approx(40 / 8)   # 8 grooves in 40 bars


def row(bars, sections, on_line, new_groove=0.5):
    return {"bars": bars, "sections": sections, "sections starting on a 4-bar line": on_line,
            "bars starting a new groove": new_groove}


def test_the_range_of_songs_is_each_songs_own_measure_lowest_to_highest():
    spread = measure_range([[row(10.0, 3.0, 0.5, 0.3)], [row(20.0, 2.0, 1.0, 0.4)],
                            [row(10.0, 2.0, 0.0, 0.1), row(30.0, 3.0, 0.0, 0.3)]])
    assert spread["bars starting a new groove"] == pytest.approx((0.25, 0.4))
    assert spread["sections starting on a 4-bar line"] == (0.0, 1.0)
    assert "bars" not in spread and "sections" not in spread          # counts have no range


def test_a_song_without_a_section_start_has_no_share_of_them_in_the_range():
    spread = measure_range([[row(10.0, 3.0, 0.5)], [row(40.0, 1.0, 0.0)]])
    assert spread["sections starting on a 4-bar line"] == (0.5, 0.5)


def test_sections_letter_grooves_that_come_back():
    bars = np.stack([BLAST] * 4 + [BEAT] * 4 + [BLAST] * 5)
    assert song_sections(bars) == [("A", 0, 4), ("B", 4, 4), ("A", 8, 5)]


def test_a_fill_stays_in_the_section_it_ends():
    bars = np.stack([BLAST] * 3 + [TOM_FILL] + [BLAST] * 3)
    assert song_sections(bars) == [("A", 0, 7)]


def test_a_short_break_that_returns_to_the_groove_does_not_end_the_section():
    bars = np.stack([BLAST] * 4 + [BEAT] * 2 + [BLAST] * 6)
    assert song_sections(bars) == [("A", 0, 12)]


def test_a_new_groove_starts_a_section_once_it_holds_four_bars():
    bars = np.stack([BLAST] * 4 + [TOM_FILL, BEAT, TOM_FILL] + [BEAT] * 5)
    assert lasting_changes(bars).tolist() == [True] + [False] * 6 + [True] + [False] * 4
    assert song_sections(bars) == [("A", 0, 7), ("B", 7, 5)]


def test_form_statistics_learn_lengths_places_returns_and_role_habits():
    song = np.stack([BLAST] * 4 + [BEAT] * 4 + [BLAST] * 5)
    stats = form_statistics([song])
    assert stats["section_lengths"] == [4, 4, 5]
    assert stats["sections"] == [[0, 4, OPENING], [4, 4, INSIDE], [0, 5, CLOSING]]
    assert stats["returns"] == pytest.approx(0.5)
    transitions = np.array(stats["role_transitions"])
    assert transitions.shape == (3, 3) and np.allclose(transitions.sum(axis=1), 1, atol=1e-3)
    assert transitions[ORDINARY, ORDINARY] > transitions[ORDINARY, FILL]


def test_form_statistics_learn_how_often_a_fill_leads_into_a_new_section():
    led = np.stack([BLAST] * 3 + [TOM_FILL] + [BEAT] * 4)
    unled = np.stack([BLAST] * 3 + [BEAT] * 4)
    assert form_statistics([led])["fill_before_change"] == 1.0
    assert form_statistics([led, unled])["fill_before_change"] == 0.5


def test_form_statistics_learn_how_often_his_phrases_return():
    song = np.stack([BLAST, BLAST, BLAST, TOM_FILL] * 4 + [BLAST, BLAST, TOM_FILL, BLAST])
    # one section of 20 bars: bars 8-15 repeat bars 0-7, of bars 16-19 two do
    assert song_sections(song) == [("A", 0, 20)]
    assert form_statistics([song])["phrase_repeats"] == pytest.approx(10 / 12)


def test_form_statistics_learn_how_often_his_bars_repeat_as_song_measures_count_it():
    song = np.stack([BLAST, BLAST, BLAST, TOM_FILL] * 4 + [BLAST, BLAST, TOM_FILL, BLAST])
    other = np.stack([BLAST, BEAT] * 6)
    learned = form_statistics([song, other])["bar_repeats"]
    expected = (10 / 12 * 20 + 4 / 4 * 12) / 32           # weighted by the songs' bars
    assert learned == pytest.approx(expected)
    assert learned == pytest.approx(mean_measures(
        [song_measures(song), song_measures(other)])["bars repeating the bar 8 before"])
