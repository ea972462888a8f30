"""MIDI -> drum roll: quantization, which messages count as hits, windows, bad files.

Bars from the time-signature map are specified in tests/test_time_signatures.py."""
import fractions
import math
import struct

import mido
import numpy as np
import pytest
from hypothesis import given, strategies as st

from drumroll import files
from drumroll.cli import UserError
from drumroll.drum_maps import roland_map
from drumroll.format import NUM_ROWS, OFFSET_UNITS
from drumroll.midi_in import (
    cut_windows, find_midi_files, four_four_bars, main_tempo, midi_to_roll, onsets_to_roll,
    parse_note_range, read_drum_roll, read_midi, round_to_steps, scan_midi,
)
from tests.midifiles import cells, drum_track, midi_file


def quantize(ticks, tpb):
    """Ticks since a bar line -> steps, as midi_in rounds them."""
    return round_to_steps(8 * ticks, tpb)


# ---- quantization ----

def reference_step(tick, tpb):
    """round(tick / (tpb / 8)) with halves going up, in exact fractions."""
    return math.floor(fractions.Fraction(8 * tick, tpb) + fractions.Fraction(1, 2))


def test_quantize_puts_grid_ticks_on_their_step():
    assert quantize(np.array([0, 60, 120, 480, 1920]), 480).tolist() == [0, 1, 2, 8, 32]


def test_quantize_sends_a_tick_exactly_halfway_to_the_later_step():
    assert quantize(30, 480) == 1
    assert quantize(90, 480) == 2
    assert quantize(29, 480) == 0
    assert quantize(31, 480) == 1


@pytest.mark.parametrize("tpb", [96, 100, 384, 960, 7, 1])
def test_quantize_is_exact_for_ticks_per_beat_not_divisible_by_8(tpb):
    ticks = np.arange(0, 5 * tpb + 1)
    expected = [reference_step(tick, tpb) for tick in ticks.tolist()]
    assert quantize(ticks, tpb).tolist() == expected


@given(st.integers(0, 10**9), st.integers(1, 10**5))
def test_quantize_matches_exact_rounding_for_any_tick_and_resolution(tick, tpb):
    assert quantize(tick, tpb) == reference_step(tick, tpb)


# ---- which messages are hits ----

def test_only_channel_10_note_ons_are_hits():
    drums = drum_track([(0, 36, 100), (120, 38, 90)])
    guitar = drum_track([(60, 40, 100)], channel=0)
    roll = midi_to_roll(midi_file(drums, guitar))
    assert cells(roll) == {(36, 0), (38, 2)}


def test_note_on_with_velocity_zero_is_not_a_hit():
    track = drum_track([(0, 36, 100)])
    track.append(mido.Message("note_on", channel=9, note=38, velocity=0, time=60))
    roll = midi_to_roll(midi_file(track))
    assert cells(roll) == {(36, 0)}
    assert roll.onsets == 1


def test_velocities_are_kept_per_cell():
    roll = midi_to_roll(midi_file(drum_track([(0, 36, 76), (60, 38, 102)])))
    assert roll.velocities[0, 0] == 76
    assert roll.velocities[2, 1] == 102


def test_note_35_is_folded_onto_36():
    roll = midi_to_roll(midi_file(drum_track([(0, 35, 80), (60, 35, 80)])))
    assert cells(roll) == {(36, 0), (36, 1)}
    assert roll.notes_per_row[0] == 2


def test_two_onsets_in_one_cell_keep_the_loudest_and_are_counted_as_merged():
    roll = midi_to_roll(midi_file(drum_track([(0, 35, 70), (0, 36, 100), (20, 36, 50)])))
    assert cells(roll) == {(36, 0)}
    assert roll.velocities[0, 0] == 100
    assert roll.merged == 2


def test_notes_without_a_row_in_the_drum_map_are_dropped_and_counted_per_note():
    roll = midi_to_roll(midi_file(drum_track([(0, 0, 90), (0, 21, 90), (60, 100, 90),
                                              (60, 100, 90), (120, 60, 90), (180, 36, 90)])))
    assert cells(roll) == {(60, 2), (36, 3)}
    assert dict(roll.dropped) == {0: 1, 21: 1, 100: 2}
    assert dict(roll.unmapped) == dict(roll.dropped)
    assert roll.num_dropped == 4


def test_a_custom_note_range_changes_the_rows():
    roll = midi_to_roll(midi_file(drum_track([(0, 36, 90), (60, 42, 90), (120, 50, 90)])),
                        lowest_note=40, num_rows=5)
    assert roll.velocities.shape[0] == 5
    assert cells(roll) == {(42, 1)}
    assert dict(roll.dropped) == {36: 1, 50: 1}


def test_onsets_moved_by_quantization_are_counted():
    roll = midi_to_roll(midi_file(drum_track([(0, 36, 90), (20, 38, 90), (40, 38, 90),
                                              (60, 36, 90)])))
    assert roll.moved == 2
    assert cells(roll) == {(36, 0), (38, 0), (38, 1), (36, 1)}


# ---- how each hit was played: offsets, notes, extra hits ----

def played(roll, note, step):
    """(velocity, offset, played note) of the hit in a cell."""
    row = note - roll.lowest_note
    return (int(roll.velocities[row, step]), int(roll.offsets[row, step]),
            int(roll.notes[row, step]))


def test_a_hit_on_the_grid_has_offset_zero_and_an_off_grid_hit_keeps_its_offset():
    # tpb 480: a step is 60 ticks; tick 80 is 1/3 step after step 1, tick 100 1/3 before step 2
    roll = midi_to_roll(midi_file(drum_track([(0, 36, 90), (80, 38, 70), (100, 42, 50)])))
    assert played(roll, 36, 0) == (90, 0, 36)
    assert played(roll, 38, 1) == (70, round(OFFSET_UNITS / 3), 38)
    assert played(roll, 42, 2) == (50, -round(OFFSET_UNITS / 3), 42)
    assert roll.moved == 2


def test_a_triplet_eighth_keeps_minus_a_third_of_a_step():
    # an eighth-note triplet: 3 hits per beat, 160 ticks apart; the second sits 2 2/3 steps in
    roll = midi_to_roll(midi_file(drum_track([(0, 38, 90), (160, 38, 90), (320, 38, 90)])))
    assert played(roll, 38, 3)[1] == -round(OFFSET_UNITS / 3)      # 3 - 1/3 step
    assert played(roll, 38, 5)[1] == round(OFFSET_UNITS / 3)       # 5 + 1/3 step


def test_an_offset_a_hair_under_half_a_step_is_clipped_to_the_int8_range():
    # tpb 8000: a step is 1000 ticks; tick 499 is 0.499 step after step 0 (127.7 units)
    roll = midi_to_roll(midi_file(drum_track([(499, 36, 90), (1500, 38, 90)], tpb=8000),
                                  tpb=8000))
    assert played(roll, 36, 0)[1] == OFFSET_UNITS // 2 - 1
    assert played(roll, 38, 2)[1] == -OFFSET_UNITS // 2          # exactly half: to the later


def test_the_played_note_is_kept_before_the_drum_map_puts_it_on_a_row():
    roll = midi_to_roll(midi_file(drum_track([(0, 22, 80), (60, 35, 90), (120, 58, 70)])),
                        drum_map=roland_map())
    assert played(roll, 42, 0) == (80, 0, 22)        # hi-hat edge on the closed hi-hat row
    assert played(roll, 36, 1) == (90, 0, 35)
    assert played(roll, 43, 2) == (70, 0, 58)        # floor-tom rim on the floor tom's row
    assert roll.played == {22: 1, 35: 1, 58: 1}


def test_the_louder_of_two_hits_in_one_cell_keeps_its_offset_and_note_the_other_kept_beside():
    roll = midi_to_roll(midi_file(drum_track([(10, 22, 60), (20, 42, 100)])),
                        drum_map=roland_map())
    assert played(roll, 42, 0) == (100, round(20 / 60 * OFFSET_UNITS), 42)
    assert roll.merged == 1
    extra = roll.extra
    assert (extra.step.tolist(), extra.row.tolist(), extra.offset.tolist(),
            extra.velocity.tolist(), extra.note.tolist()) == \
        ([0], [42 - 36], [round(10 / 60 * OFFSET_UNITS)], [60], [22])


def test_of_equally_loud_hits_in_one_cell_the_earlier_is_in_the_roll():
    roll = midi_to_roll(midi_file(drum_track([(20, 38, 90), (10, 38, 90)])))
    assert played(roll, 38, 0)[1] == round(10 / 60 * OFFSET_UNITS)
    assert roll.extra.offset.tolist() == [round(20 / 60 * OFFSET_UNITS)]


def test_the_resolution_the_bar_lines_and_the_tempo_map_are_kept():
    tpb = 96
    meta = mido.MidiTrack([
        mido.MetaMessage("set_tempo", tempo=500000, time=0),
        mido.MetaMessage("time_signature", numerator=3, denominator=4, time=4 * tpb),
        mido.MetaMessage("set_tempo", tempo=400000, time=3 * tpb),
        mido.MetaMessage("time_signature", numerator=4, denominator=4, time=0),
    ])
    roll = midi_to_roll(midi_file(meta, drum_track([(tick, 36, 90) for tick in range(0, 20 * tpb,
                                                                                  tpb)], tpb=tpb),
                                  tpb=tpb))
    assert roll.ticks_per_beat == tpb
    assert roll.bar_ticks.tolist() == [0, 4 * tpb, 7 * tpb, 11 * tpb, 15 * tpb, 19 * tpb]
    assert roll.tempos == [(0, 500000), (7 * tpb, 400000)]


def test_drum_tracks_in_one_file_merge():
    roll = midi_to_roll(midi_file(drum_track([(0, 36, 90)]), drum_track([(60, 38, 90)]),
                                  drum_track([(120, 42, 90)])))
    assert cells(roll) == {(36, 0), (38, 1), (42, 2)}


def test_type_0_files_are_read_like_type_1():
    hits = [(0, 36, 90), (240, 38, 90), (480, 49, 100)]
    track = drum_track(hits)
    track.insert(0, mido.MetaMessage("set_tempo", tempo=400000, time=0))
    type0 = midi_to_roll(midi_file(track, type=0))
    assert cells(type0) == {(36, 0), (38, 4), (49, 8)}


def test_tempo_changes_do_not_move_the_grid():
    hits = [(tick, 36, 90) for tick in range(0, 4800, 60)]
    plain = midi_to_roll(midi_file(drum_track(hits)))
    tempo = mido.MidiTrack()
    for bpm in (90, 200, 133):
        tempo.append(mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(bpm), time=1000))
    changing = midi_to_roll(midi_file(tempo, drum_track(hits)))
    assert np.array_equal(plain.velocities, changing.velocities)


@pytest.mark.parametrize("tpb", [96, 100, 384, 960])
def test_a_file_at_any_ticks_per_beat_lands_on_the_same_steps(tpb):
    beats = [0, 1, 2.5, 3.25, 7.875]                 # all on the 32nd grid
    hits = [(round(beat * tpb), 38, 90) for beat in beats]
    roll = midi_to_roll(midi_file(drum_track(hits, tpb=tpb), tpb=tpb))
    assert cells(roll) == {(38, int(beat * 8)) for beat in beats}


def chunk(kind, data):
    return kind + struct.pack(">I", len(data)) + data


def test_running_status_messages_are_hits(tmp_path):
    # mido hides running status when parsing, so the bytes are written by hand: after the
    # first note_on (0x99) the next ones leave the status byte out.
    track = bytes([
        0x00, 0x99, 36, 100,     # note_on ch 10, note 36
        0x3C, 38, 90,            # +60 ticks, running status: note_on 38
        0x3C, 36, 0,             # +60 ticks, running status: velocity 0 = off, not a hit
        0x3C, 42, 80,            # +60 ticks, running status: note_on 42
        0x00, 0xFF, 0x2F, 0x00,  # end of track
    ])
    data = chunk(b"MThd", struct.pack(">HHH", 0, 1, 480)) + chunk(b"MTrk", track)
    path = tmp_path / "running.mid"
    path.write_bytes(data)
    roll = read_drum_roll(path)
    assert cells(roll) == {(36, 0), (38, 1), (42, 3)}
    assert roll.onsets == 3


def test_scan_midi_accumulates_delta_times_per_track():
    events = scan_midi(midi_file(drum_track([(0, 36, 1), (300, 38, 2)]),
                                 drum_track([(50, 40, 3)])))
    assert events.ticks.tolist() == [0, 300, 50]
    assert events.notes.tolist() == [36, 38, 40]
    assert events.velocities.tolist() == [1, 2, 3]
    assert events.end_tick == 300 + 30     # the last note_off


def test_scan_midi_collects_signatures_and_tempos_by_tick():
    meta = mido.MidiTrack([
        mido.MetaMessage("set_tempo", tempo=400000, time=960),
        mido.MetaMessage("time_signature", numerator=2, denominator=4, time=0),
        mido.MetaMessage("time_signature", numerator=4, denominator=4, time=960),
    ])
    events = scan_midi(midi_file(meta, drum_track([(0, 36, 90)])))
    assert events.signatures == [(960, 2, 4), (1920, 4, 4)]
    assert events.tempos == [(960, 400000)]


def test_the_main_tempo_is_the_one_that_lasts_longest_in_seconds():
    # 120 bpm for 1000 ticks, 60 bpm (twice as slow) for 600 ticks: 60 bpm lasts longer
    assert main_tempo([(1000, 1_000_000)], end_tick=1600) == 60.0
    assert main_tempo([(1000, 1_000_000)], end_tick=1400) == 120.0


def test_the_main_tempo_without_a_set_tempo_is_120_bpm():
    assert main_tempo([], end_tick=5000) == 120.0


def test_the_tempo_of_a_file_is_read_into_its_roll():
    tempo = mido.MidiTrack([mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(150), time=0)])
    assert midi_to_roll(midi_file(tempo, drum_track([(0, 36, 90)]))).bpm == 150.0


def test_a_tempo_of_zero_microseconds_per_beat_is_refused_naming_the_file():
    tempo = mido.MidiTrack([mido.MetaMessage("set_tempo", tempo=0, time=0)])
    with pytest.raises(UserError, match=r"^zero\.mid: a tempo of 0 microseconds per beat at "
                                        r"tick 0 \(not a playable tempo"):
        midi_to_roll(midi_file(tempo, drum_track([(0, 36, 90)])), name="zero.mid")


def test_the_roll_spans_up_to_the_last_onset():
    roll = onsets_to_roll(np.array([0, 600]), np.array([36, 38]), np.array([90, 90]), 480)
    assert roll.velocities.shape == (NUM_ROWS, 11)


def test_the_roll_lasts_as_long_as_the_song_when_it_ends_in_silence():
    track = drum_track([(0, 36, 90)])
    track.append(mido.MetaMessage("end_of_track", time=4 * 480 * 4))   # 4 bars of silence
    other = mido.MidiTrack([mido.MetaMessage("end_of_track", time=6 * 1920)])   # a longer guitar
    assert midi_to_roll(midi_file(track)).num_steps == 4 * 32 + 1
    assert midi_to_roll(midi_file(track, other)).num_steps == 6 * 32


# ---- bad files ----

def test_a_file_without_drum_channel_is_refused_with_its_name(tmp_path):
    path = tmp_path / "guitar.mid"
    midi_file(drum_track([(0, 40, 90)], channel=0)).save(path)
    with pytest.raises(UserError, match=r"guitar\.mid: no drum notes on MIDI channel 10 \(its "
                                        r"notes are on channel 1: --channel 1 reads them\)$"):
        read_drum_roll(path)


def test_the_error_names_every_channel_holding_notes_or_says_there_are_none(tmp_path):
    path = tmp_path / "band.mid"
    midi_file(drum_track([(0, 40, 90)], channel=0), drum_track([(0, 36, 90)], channel=3)).save(
        path)
    with pytest.raises(UserError, match=r"its notes are on channels 1, 4: --channel 1 reads"):
        read_drum_roll(path)
    midi_file(mido.MidiTrack()).save(path)
    with pytest.raises(UserError, match=r"channel 10 \(it holds no notes at all\)$"):
        read_drum_roll(path)


def test_drums_on_another_channel_are_read_when_asked_for(tmp_path):
    path = tmp_path / "daw.mid"
    midi_file(drum_track([(0, 36, 90), (240, 38, 80)], channel=0),
              drum_track([(0, 42, 70)])).save(path)
    assert cells(read_drum_roll(path, channel=0)) == {(36, 0), (38, 4)}


def test_a_drum_track_with_only_out_of_range_notes_is_refused(tmp_path):
    path = tmp_path / "odd.mid"
    midi_file(drum_track([(0, 0, 90), (60, 100, 90)])).save(path)
    with pytest.raises(UserError, match=r"odd\.mid: no drum notes in the range 36\.\.60"):
        read_drum_roll(path)


def test_a_file_that_is_not_midi_is_refused_with_its_name(tmp_path):
    path = tmp_path / "notes.mid"
    path.write_text("these are not the notes you are looking for")
    with pytest.raises(UserError, match=r"notes\.mid: not a MIDI file \(no MThd header\)"):
        read_midi(path)


def test_an_empty_file_is_refused(tmp_path):
    path = tmp_path / "empty.mid"
    path.write_bytes(b"")
    with pytest.raises(UserError, match=r"empty\.mid: "):
        read_midi(path)


def test_a_truncated_file_is_refused_with_its_name(tmp_path):
    full = tmp_path / "full.mid"
    midi_file(drum_track([(tick, 36, 90) for tick in range(0, 4800, 60)])).save(full)
    path = tmp_path / "cut.mid"
    path.write_bytes(full.read_bytes()[:200])
    with pytest.raises(UserError, match=r"cut\.mid: truncated MIDI file"):
        read_midi(path)


def test_a_missing_file_is_refused_with_its_name(tmp_path):
    with pytest.raises(UserError, match=r"nothing\.mid: cannot read"):
        read_midi(tmp_path / "nothing.mid")


# ---- finding files ----

def test_find_midi_files_searches_folders_recursively_for_both_suffixes(tmp_path):
    (tmp_path / "b").mkdir()
    for name in ("a.mid", "b/c.MIDI", "b/d.midi", "e.txt", "f.png"):
        (tmp_path / name).write_bytes(b"")
    found = find_midi_files([tmp_path])
    assert [p.replace(str(tmp_path), "") for p in found] == ["/a.mid", "/b/c.MIDI", "/b/d.midi"]


def test_find_midi_files_follows_linked_subfolders_and_reads_a_loop_once(tmp_path):
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "b.mid").write_bytes(b"")
    (tmp_path / "songs").mkdir()
    (tmp_path / "songs" / "a.mid").write_bytes(b"")
    (tmp_path / "songs" / "linked").symlink_to(tmp_path / "elsewhere")
    (tmp_path / "songs" / "loop").symlink_to(tmp_path / "songs")
    found = find_midi_files([tmp_path / "songs"])
    assert [p.replace(str(tmp_path), "") for p in found] == ["/songs/a.mid",
                                                             "/songs/linked/b.mid"]


def test_a_midi_file_larger_than_an_input_may_be_is_refused_before_it_is_read(tmp_path,
                                                                           monkeypatch):
    path = tmp_path / "huge.mid"
    path.write_bytes(b"MThd" + bytes(2 * 2 ** 20))
    monkeypatch.setattr(files, "MAX_INPUT_BYTES", 2 ** 20)
    with pytest.raises(UserError, match=r"huge\.mid: is 2 MB, more than the 1 MB an input file"):
        read_drum_roll(path)


def test_find_midi_files_refuses_an_empty_folder(tmp_path):
    with pytest.raises(UserError, match="no .mid or .midi files"):
        find_midi_files([tmp_path])


def test_find_midi_files_refuses_a_missing_path(tmp_path):
    with pytest.raises(UserError, match=r"nowhere: no such file or folder"):
        find_midi_files([tmp_path / "nowhere"])


def test_parse_note_range_gives_lowest_note_and_row_count():
    assert parse_note_range("36-60") == (36, 25)
    with pytest.raises(ValueError):
        parse_note_range("60-36")
    with pytest.raises(ValueError):
        parse_note_range("drums")


# ---- windows ----

def test_windows_start_at_every_bar_and_are_whole():
    roll = np.full((NUM_ROWS, 320), 0, dtype=np.uint8)
    roll[0, ::8] = 90
    first_bars, starts, windows = cut_windows(roll, four_four_bars(320), 256, 1)
    assert first_bars.tolist() == [0, 1, 2]
    assert starts.tolist() == [0, 32, 64]
    assert windows.shape == (3, NUM_ROWS, 256)


def test_the_hop_is_counted_in_bars():
    roll = np.full((NUM_ROWS, 1024), 90, dtype=np.uint8)
    first_bars, starts, _ = cut_windows(roll, four_four_bars(1024), 256, 4)
    assert first_bars.tolist() == [0, 4, 8, 12, 16, 20, 24]
    assert starts.tolist() == [0, 128, 256, 384, 512, 640, 768]


def test_a_song_shorter_than_a_window_gives_no_window():
    roll = np.zeros((NUM_ROWS, 40), dtype=np.uint8)
    roll[0, 39] = 90
    first_bars, starts, windows = cut_windows(roll, four_four_bars(40), 256, 1)
    assert starts.tolist() == [] and first_bars.tolist() == []
    assert windows.shape == (0, NUM_ROWS, 256)


def test_a_window_that_is_not_whole_bars_is_refused():
    roll = np.zeros((NUM_ROWS, 1024), dtype=np.uint8)
    with pytest.raises(ValueError, match="100 steps is not a whole number of 4/4 bars"):
        cut_windows(roll, four_four_bars(1024), 100, 1)


def test_cut_windows_drops_windows_without_a_hit():
    roll = np.zeros((NUM_ROWS, 1024), dtype=np.uint8)
    roll[3, 10] = 90      # in windows starting at 0 only
    roll[5, 700] = 80     # in windows starting at 448..672
    first_bars, starts, windows = cut_windows(roll, four_four_bars(1024), 256, 1)
    assert starts.tolist() == [0, 448, 480, 512, 544, 576, 608, 640, 672]
    assert first_bars.tolist() == [start // 32 for start in starts.tolist()]
    for start, window in zip(starts, windows):
        assert np.array_equal(window, roll[:, start:start + 256])


def test_cut_windows_matches_a_plain_loop_on_random_rolls():
    rng = np.random.default_rng(1)
    roll = (rng.random((NUM_ROWS, 3000)) < 0.002).astype(np.uint8) * 89
    _, starts, windows = cut_windows(roll, four_four_bars(3000), 256, 1)
    expected = [start for start in range(0, 3000 - 256 + 1, 32)
                if roll[:, start:start + 256].any()]
    assert starts.tolist() == expected
    assert all(np.array_equal(w, roll[:, s:s + 256]) for s, w in zip(starts, windows))
