"""How a set of rolls is played: timing against the grid in ms, dynamics, and the distances
that tell a drummer's feel from a sequencer's."""
import numpy as np
import pytest

from drumroll.feel import (Playing, feel_distances, feel_statistics, feel_table_columns,
                           on_the_grid)

KICK, SNARE, HAT = 0, 2, 6          # rows of notes 36, 38, 42
BPM = 120                           # a step (a 32nd note) lasts 62.5 ms


def groove(n=4, velocity=80):
    """n windows of a rock beat: kick on 1 and 3, snare on 2 and 4, hi-hat on 16ths."""
    hits = np.zeros((n, 25, 256), dtype=bool)
    hits[:, KICK, 0::16] = hits[:, SNARE, 8::16] = hits[:, HAT, 0::2] = True
    return Playing(hits, np.where(hits, velocity, 0).astype(np.uint8),
                   np.zeros(hits.shape, dtype=np.int8), np.full(n, BPM))


def with_offsets(playing, rows, steps, units):
    offsets = playing.offsets.copy()
    offsets[:, rows, steps] = np.where(playing.hits[:, rows, steps], units, 0)
    return playing._replace(offsets=offsets)


def test_a_sequencer_plays_every_hit_on_its_grid_line():
    measures = feel_statistics(groove()).measures
    assert measures["timing spread (ms)"] == 0 and measures["hits off the grid"] == 0
    assert measures["swing of the off-beat 16ths (ms)"] == 0


def test_a_snare_laid_back_shows_as_behind_in_milliseconds():
    late = with_offsets(groove(), SNARE, slice(None), 41)        # 41 / 256 step = 10.0 ms
    measures = feel_statistics(late).measures
    assert measures["snare ahead (-) or behind (+), ms"] == pytest.approx(10.0, abs=0.1)
    assert measures["kick ahead (-) or behind (+), ms"] == 0


def test_swing_is_how_much_later_the_off_beat_sixteenths_fall():
    swung = with_offsets(groove(), HAT, slice(2, None, 4), 82)   # the "e" and "a": 20 ms late
    measures = feel_statistics(swung).measures
    assert measures["swing of the off-beat 16ths (ms)"] == pytest.approx(20.0, abs=0.2)


def test_hits_more_than_a_quarter_step_off_their_line_are_off_the_grid():
    playing = with_offsets(groove(), SNARE, slice(None), 100)    # 0.39 step late
    hits = playing.hits.sum()
    assert feel_statistics(playing).measures["hits off the grid"] == pytest.approx(
        playing.hits[:, SNARE].sum() / hits)


def test_the_accent_profile_shows_where_the_loud_hits_are():
    playing = groove()
    velocities = playing.velocities.copy()
    velocities[:, HAT, 0::8] = 120                               # accents on the beats
    profile = feel_statistics(playing._replace(velocities=velocities)).profile
    assert profile[0] > profile[1] and profile[4] > profile[2]


def test_a_set_is_at_distance_zero_from_itself():
    feel = feel_statistics(with_offsets(groove(), HAT, slice(None), -20))
    assert all(value == 0 for value in feel_distances(feel, feel).values())


def test_the_velocity_distance_is_how_far_the_velocities_moved():
    loud, soft = feel_statistics(groove(velocity=90)), feel_statistics(groove(velocity=80))
    soft.measures["velocity spread"] = 5.0
    assert feel_distances(loud, soft)["dynamics distance"] == pytest.approx(10 / 5 / 2)


def test_a_sequencer_is_far_from_a_drummer_a_second_take_is_near():
    def take(seed):
        rng = np.random.default_rng(seed)
        playing = groove(n=16)
        offsets = np.clip(rng.normal(-10, 30, playing.hits.shape), -128, 127).astype(np.int8)
        velocities = np.clip(rng.normal(80, 25, playing.hits.shape), 1, 127).astype(np.uint8)
        return playing._replace(offsets=np.where(playing.hits, offsets, 0).astype(np.int8),
                                velocities=np.where(playing.hits, velocities, 0).astype(np.uint8))

    columns = feel_table_columns({"him": take(1), "again": take(2),
                                  "sequencer": on_the_grid(take(1))}, "him")
    assert columns["again"]["feel distance"] < 0.1 < columns["sequencer"]["feel distance"]


def test_rolls_without_a_hit_have_no_feel():
    empty = groove()._replace(hits=np.zeros((1, 25, 256), dtype=bool))
    with pytest.raises(ValueError, match="without a single hit"):
        feel_statistics(empty)
