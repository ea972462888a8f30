"""Bars from the file's time-signature map, and windows cut from whole 4/4 bars only."""
import fractions
import math

import mido
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from drumroll.cli import UserError
from drumroll.dataset import build_dataset
from drumroll.midi_in import midi_to_roll, onsets_to_roll, read_drum_roll, steps_per_bar
from tests.midifiles import (QUARTER, TPB, cells, drum_track, meta_track, midi_file,
                             signature, song_with_meters)


def bar_table(roll):
    """[(first step, 'n/d', steps)] of a roll's bars."""
    bars = roll.bars
    return [(start, f"{n}/{d}", steps) for start, n, d, steps in
            zip(bars.start.tolist(), bars.numerator.tolist(), bars.denominator.tolist(),
                bars.steps.tolist())]


def downbeats(bar_ticks, note=36):
    """A hit on every given tick (a drummer marking each bar line)."""
    return drum_track([(tick, note, 90) for tick in bar_ticks])


def write(path, *tracks, type=1):
    midi_file(*tracks, type=type).save(path)
    return str(path)


# ---- bar lengths ----

@pytest.mark.parametrize("meter, steps", [((4, 4), 32), ((1, 4), 8), ((1, 8), 4), ((2, 4), 16),
                                          ((6, 8), 24), ((7, 8), 28), ((3, 4), 24),
                                          ((2, 2), 32), ((5, 16), 10)])
def test_a_bar_lasts_numerator_times_32_over_denominator_steps(meter, steps):
    assert steps_per_bar(*meter) == steps


@pytest.mark.parametrize("meter", [(3, 64), (0, 4)])
def test_a_meter_whose_bar_is_not_whole_32nd_notes_is_refused_naming_the_file(meter, tmp_path):
    path = write(tmp_path / "odd.mid", meta_track(signature(0, *meter)),
                 downbeats([0, 1920]))
    with pytest.raises(UserError, match=rf"odd\.mid: time signature at tick 0: a bar of "
                                        rf"{meter[0]}/{meter[1]} is not a positive whole number"):
        read_drum_roll(path)


# ---- the time-signature map ----

def test_a_file_with_no_time_signature_is_in_4_4():
    drums = downbeats([0, 1920, 3840])
    drums.append(mido.MetaMessage("end_of_track", time=5760 - 3870))
    roll = midi_to_roll(midi_file(drums))
    assert bar_table(roll) == [(0, "4/4", 32), (32, "4/4", 32), (64, "4/4", 32)]
    assert cells(roll) == {(36, 0), (36, 32), (36, 64)}


def test_a_pickup_bar_moves_every_later_bar_line():
    midi, _ = song_with_meters([(1, 1, 4), (3, 4, 4)])
    roll = midi_to_roll(midi)
    assert bar_table(roll) == [(0, "1/4", 8), (8, "4/4", 32), (40, "4/4", 32), (72, "4/4", 32)]
    assert {step for note, step in cells(roll) if note == 49} == {0, 8, 40, 72}


def test_a_1_4_bar_between_4_4_bars_is_a_bar_of_8_steps():
    midi, _ = song_with_meters([(2, 4, 4), (1, 1, 4), (2, 4, 4)])
    roll = midi_to_roll(midi)
    assert bar_table(roll) == [(0, "4/4", 32), (32, "4/4", 32), (64, "1/4", 8),
                               (72, "4/4", 32), (104, "4/4", 32)]


def test_the_signature_on_a_track_other_than_the_drums_sets_the_bars():
    signatures = meta_track(signature(0, 1, 4), signature(QUARTER, 4, 4))
    guitar = drum_track([(0, 40, 90)], channel=0)
    drums = downbeats([0, QUARTER, QUARTER + 1920])
    for tracks in ([signatures, guitar, drums], [guitar, drums, signatures]):
        roll = midi_to_roll(midi_file(*tracks))
        assert bar_table(roll)[:2] == [(0, "1/4", 8), (8, "4/4", 32)]


def test_of_two_signatures_at_one_tick_in_one_track_the_later_wins():
    track = meta_track(signature(0, 3, 4), signature(0, 2, 4))
    roll = midi_to_roll(midi_file(track, downbeats([0, 4 * QUARTER])))
    assert bar_table(roll)[:2] == [(0, "2/4", 16), (16, "2/4", 16)]


def test_of_two_signatures_at_one_tick_in_two_tracks_the_later_track_wins():
    first, second = meta_track(signature(0, 3, 4)), meta_track(signature(0, 2, 4))
    assert bar_table(midi_to_roll(midi_file(first, second, downbeats([0]))))[0][1] == "2/4"
    assert bar_table(midi_to_roll(midi_file(second, first, downbeats([0]))))[0][1] == "3/4"


def test_a_signature_inside_a_bar_cuts_it_short_and_starts_a_new_bar_there():
    track = meta_track(signature(0, 4, 4), signature(2 * QUARTER, 3, 4))
    roll = midi_to_roll(midi_file(track, downbeats([0, 2 * QUARTER, 5 * QUARTER])))
    assert bar_table(roll) == [(0, "4/4", 16), (16, "3/4", 24), (40, "3/4", 1)]
    assert not roll.bars.whole[0]


def test_a_bar_line_off_the_32nd_grid_measures_ticks_from_the_bar_line():
    # a 4/4 bar from tick 1000, which is 16.67 steps: the bar before it is cut to 17 steps
    track = meta_track(signature(0, 4, 4), signature(1000, 4, 4))
    drums = downbeats([1000, 1029, 1030, 1000 + 1920])
    roll = midi_to_roll(midi_file(track, drums))
    assert bar_table(roll)[:2] == [(0, "4/4", 17), (17, "4/4", 32)]
    # 1029 is 0.48 of a step after the bar line, 1030 exactly half a step (to the later one)
    assert {step for _, step in cells(roll)} == {17, 18, 17 + 32}


def test_a_restated_signature_on_a_bar_line_changes_nothing():
    plain = midi_to_roll(midi_file(meta_track(signature(0, 4, 4)), downbeats(range(0, 9600, 60))))
    restated = meta_track(signature(0, 4, 4), signature(1920, 4, 4), signature(5760, 4, 4))
    again = midi_to_roll(midi_file(restated, downbeats(range(0, 9600, 60))))
    assert bar_table(again) == bar_table(plain)
    assert np.array_equal(again.velocities, plain.velocities)


def test_a_signature_after_the_song_ends_adds_no_bar():
    track = meta_track(signature(0, 4, 4), signature(20000, 3, 4))
    roll = midi_to_roll(midi_file(track, downbeats([0, 1920])))
    assert {meter for _, meter, _ in bar_table(roll)} == {"4/4"}


def test_type_0_and_type_1_files_give_the_same_bars_and_hits():
    midi, _ = song_with_meters([(1, 1, 4), (2, 4, 4), (1, 7, 8), (2, 4, 4)])
    merged = mido.MidiFile(type=0, ticks_per_beat=TPB)
    merged.tracks.append(mido.merge_tracks(midi.tracks))
    type1, type0 = midi_to_roll(midi), midi_to_roll(merged)
    assert bar_table(type0) == bar_table(type1)
    assert np.array_equal(type0.velocities, type1.velocities)
    assert bar_table(type1)[3] == (72, "7/8", 28)


def test_a_song_ending_inside_a_bar_keeps_that_bar_incomplete():
    drums = downbeats([0, 1920, 3840])
    drums.append(mido.MetaMessage("end_of_track", time=960))     # ends half-way into bar 3
    roll = midi_to_roll(midi_file(meta_track(signature(0, 4, 4)), drums))
    assert bar_table(roll)[-1] == (64, "4/4", 16 + 1)     # the note_off ran 1/16 beat longer
    assert roll.num_steps == 64 + 17


def reference_hit_steps(signatures, tpb, ticks):
    """Independent of midi_in: walk the bars one by one in exact fractions of a tick, then put
    each tick on the nearest step from its bar line (halves up)."""
    meters = dict([(0, (4, 4))] + [(tick, (n, d)) for tick, n, d in signatures])
    changes = sorted(meters)
    bar_lines = []                        # (tick as a Fraction, first step)
    tick, step = fractions.Fraction(0), 0
    while tick <= max(ticks):
        numerator, denominator = meters[max(change for change in changes if change <= tick)]
        end = tick + fractions.Fraction(numerator * 4 * tpb, denominator)
        later = [change for change in changes if tick < change < end]
        length = numerator * 32 // denominator
        if later:
            end = fractions.Fraction(later[0])
            length = math.floor((end - tick) * 8 / tpb + fractions.Fraction(1, 2))
        bar_lines.append((tick, step))
        tick, step = end, step + length
    steps = set()
    for hit in ticks:
        line, first = max((line, first) for line, first in bar_lines if line <= hit)
        steps.add(first + math.floor((hit - line) * 8 / tpb + fractions.Fraction(1, 2)))
    return steps


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(st.integers(1, 3000), st.tuples(st.integers(1, 9),
                                                       st.sampled_from([1, 2, 4, 8, 16, 32])),
                       max_size=5),
       st.tuples(st.integers(1, 9), st.sampled_from([2, 4, 8, 16])),
       st.sampled_from([7, 96, 100, 480]),
       st.lists(st.integers(0, 4000), min_size=1, max_size=30))
def test_every_tick_lands_where_an_exact_walk_over_the_bars_puts_it(changes, first, tpb, ticks):
    signatures = [(0, *first)] + [(tick, n, d) for tick, (n, d) in sorted(changes.items())]
    ticks = np.array(ticks, dtype=np.int64)
    roll = onsets_to_roll(ticks, np.full_like(ticks, 36), np.full_like(ticks, 90), tpb,
                          signatures=signatures)
    assert {step for _, step in cells(roll)} == reference_hit_steps(signatures, tpb,
                                                                    ticks.tolist())
    assert roll.bars.start[0] == 0
    assert np.array_equal(roll.bars.start[1:], np.cumsum(roll.bars.steps)[:-1])
    assert roll.bars.steps.sum() == roll.num_steps and np.all(roll.bars.steps > 0)


# ---- windows ----

def build(tmp_path, **songs):
    """{name: mido.MidiFile} -> (Dataset, Report) of those files."""
    paths = []
    for name, midi in songs.items():
        midi.save(tmp_path / f"{name}.mid")
        paths.append(str(tmp_path / f"{name}.mid"))
    return build_dataset(paths)


def test_windows_start_on_the_bar_lines_after_a_pickup(tmp_path):
    midi, lines = song_with_meters([(1, 1, 4), (10, 4, 4)])
    dataset, _ = build(tmp_path, pickup=midi)
    assert dataset.start.tolist() == [8, 40, 72]
    assert dataset.first_bar.tolist() == [1, 2, 3]


def test_no_window_spans_a_bar_in_another_meter(tmp_path):
    midi, _ = song_with_meters([(9, 4, 4), (1, 1, 4), (9, 4, 4)])
    dataset, report = build(tmp_path, odd=midi)
    assert dataset.first_bar.tolist() == [0, 1, 10, 11]
    assert dataset.start.tolist() == [0, 32, 9 * 32 + 8, 10 * 32 + 8]
    assert report.songs[0].line() == \
        "odd: 18 bars in 4/4, 1 bar in 1/4 (not cut into windows), 4 windows"


@pytest.mark.parametrize("numerator, denominator", [(3, 4), (6, 8)])
def test_a_song_without_8_bars_of_4_4_in_a_row_is_skipped_with_the_reason(
        tmp_path, numerator, denominator):
    midi, _ = song_with_meters([(20, numerator, denominator)])
    dataset, report = build(tmp_path, waltz=midi)
    assert len(dataset) == 0 and report.read == []
    [(path, reason)] = report.skipped
    assert reason == (f"{path}: no 8 whole 4/4 bars (or bars as long, as 2/2) in a row to cut "
                      f"a window from (20 bars in {numerator}/{denominator})")


@pytest.mark.parametrize("numerator, denominator", [(2, 2), (8, 8), (1, 1), (16, 16)])
def test_bars_as_long_as_4_4_written_another_way_give_the_windows_of_4_4(tmp_path, numerator,
                                                                        denominator):
    same, _ = song_with_meters([(10, numerator, denominator)])
    four_four, _ = song_with_meters([(10, 4, 4)])
    dataset, report = build(tmp_path, same=same)
    expected, _ = build(tmp_path, four=four_four)
    assert report.skipped == [] and dataset.start.tolist() == expected.start.tolist() == \
        [0, 32, 64]
    assert np.array_equal(dataset.images, expected.images)
    assert report.meter_lines() == [f"bars as long as a 4/4 bar written in another meter, cut "
                                    f"into windows as 4/4: 10 bars in {numerator}/{denominator} "
                                    f"(1 song)"]


def test_a_song_mixing_4_4_and_cut_time_keeps_windows_across_the_change(tmp_path):
    midi, _ = song_with_meters([(4, 4, 4), (6, 2, 2), (2, 3, 4)])
    dataset, report = build(tmp_path, mixed=midi)
    assert dataset.first_bar.tolist() == [0, 1, 2]
    assert report.songs[0].line() == ("mixed: 4 bars in 4/4, 6 bars in 2/2 (as 4/4), 2 bars in "
                                      "3/4 (not cut into windows), 3 windows")


@pytest.mark.parametrize("numerator, denominator", [(3, 4), (6, 8)])
def test_a_song_in_another_meter_gives_windows_from_its_4_4_part(tmp_path, numerator,
                                                                 denominator):
    midi, _ = song_with_meters([(4, numerator, denominator), (9, 4, 4),
                                (4, numerator, denominator)])
    dataset, _ = build(tmp_path, mixed=midi)
    bar = 8 * numerator * 4 // denominator        # steps of one bar in the other meter
    assert dataset.first_bar.tolist() == [4, 5]
    assert dataset.start.tolist() == [4 * bar, 4 * bar + 32]
    roll = read_drum_roll(tmp_path / "mixed.mid")
    for start, window in zip(dataset.start, dataset.velocities):
        assert np.array_equal(window, roll.velocities[:, start:start + 256])


def test_the_report_counts_what_other_meters_cost(tmp_path):
    odd, _ = song_with_meters([(5, 4, 4), (1, 1, 4), (12, 4, 4)])
    plain, _ = song_with_meters([(12, 4, 4)])
    _, report = build(tmp_path, odd=odd, plain=plain)
    lines = report.meter_lines()
    assert lines[0] == "songs with bars in other meters:"
    assert lines[1] == "  odd: 17 bars in 4/4, 1 bar in 1/4 (not cut into windows), 5 windows"
    assert lines[2] == "other meters: 1 bar (of 30) in 1 song, never in a window"
    # 18 bars as 4/4 would start 11 windows; the 1/4 bar leaves 12 - 7 = 5
    assert lines[3] == ("  they cost 6 windows: those songs have 5 bar lines a window starts on, "
                        "11 if every bar were 4/4")
    assert lines[4] == "  5 bars of 4/4 between them in runs shorter than 8 bars: in no window"
