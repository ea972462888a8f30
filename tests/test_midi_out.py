"""Drum roll -> MIDI: file layout, note_off for every hit, timing, exact inverse of midi_in."""
import io

import mido
import numpy as np
import pytest
from hypothesis import assume, given, settings, strategies as st
from hypothesis.extra import numpy as hnp

from drumroll.cli import UserError
from drumroll.drum_maps import roland_map
from drumroll.format import NUM_ROWS, WINDOW_STEPS
from drumroll.midi_in import midi_to_roll, scan_midi
from drumroll.midi_out import (MAX_BPM, MIN_BPM, MAX_TEMPO, check_bpm, performance_to_midi,
                               roll_to_midi, text_of, write_midi)
from tests.midifiles import ROLAND_KIT, drum_track, midi_file, performance


def reparse(midi):
    """Save and load again, as a sequencer would see the file."""
    buffer = io.BytesIO()
    midi.save(file=buffer)
    buffer.seek(0)
    return mido.MidiFile(file=buffer)


def notes_with_times(midi, track=1):
    """[(absolute tick, type, note, velocity)] of the note messages in a track."""
    tick, out = 0, []
    for message in midi.tracks[track]:
        tick += message.time
        if message.type in ("note_on", "note_off"):
            out.append((tick, message.type, message.note, message.velocity))
    return out


def some_hits():
    hits = np.zeros((NUM_ROWS, WINDOW_STEPS), dtype=bool)
    hits[0, [0, 8, 16]] = True      # kick
    hits[2, [8, 9]] = True          # snare on consecutive steps
    hits[13, 0] = True              # crash
    return hits


def test_file_is_type_1_at_480_ticks_with_tempo_and_drum_tracks():
    midi = reparse(roll_to_midi(some_hits(), bpm=160))
    assert midi.type == 1 and midi.ticks_per_beat == 480
    assert len(midi.tracks) == 2
    meta = {message.type: message for message in midi.tracks[0]}
    assert meta["set_tempo"].tempo == mido.bpm2tempo(160)
    assert (meta["time_signature"].numerator, meta["time_signature"].denominator) == (4, 4)
    assert "track_name" in meta
    channels = {message.channel for message in midi.tracks[1] if not message.is_meta}
    assert channels == {9}


def test_every_hit_has_a_note_on_and_a_matching_note_off_one_step_later():
    events = notes_with_times(reparse(roll_to_midi(some_hits())))
    ons = sorted((tick, note) for tick, kind, note, _ in events if kind == "note_on")
    offs = sorted((tick - 60, note) for tick, kind, note, _ in events if kind == "note_off")
    expected = sorted((step * 60, row + 36) for row, step in zip(*np.nonzero(some_hits())))
    assert ons == expected
    assert offs == expected


def test_note_off_comes_before_note_on_on_the_same_tick():
    events = notes_with_times(roll_to_midi(some_hits()))
    snare_at_540 = [kind for tick, kind, note, _ in events if tick == 540 and note == 38]
    assert snare_at_540 == ["note_off", "note_on"]
    ticks = [tick for tick, *_ in events]
    assert ticks == sorted(ticks)


def test_the_track_ends_at_the_end_of_the_last_step_so_8_bars_loop_cleanly():
    midi = reparse(roll_to_midi(some_hits(), bpm=120))
    assert sum(message.time for message in midi.tracks[1]) == WINDOW_STEPS * 60
    assert midi.tracks[1][-1].type == "end_of_track"
    assert midi.length == pytest.approx(16.0)   # 8 bars of 4 beats at 120 bpm


def test_even_a_roll_ending_in_silence_keeps_its_full_length():
    hits = np.zeros((NUM_ROWS, 64), dtype=bool)
    hits[0, 0] = True
    midi = reparse(roll_to_midi(hits))
    assert sum(message.time for message in midi.tracks[1]) == 64 * 60


def test_velocities_default_to_89_and_are_clamped_to_1_127():
    hits = some_hits()
    plain = notes_with_times(roll_to_midi(hits))
    assert {v for _, kind, _, v in plain if kind == "note_on"} == {89}
    velocities = np.full(hits.shape, 300)
    velocities[0] = 0
    clamped = notes_with_times(roll_to_midi(hits, velocities))
    assert {(note, v) for _, kind, note, v in clamped if kind == "note_on"} == \
        {(36, 1), (38, 127), (49, 127)}


def test_per_hit_velocities_are_written():
    hits = some_hits()
    velocities = np.zeros(hits.shape, dtype=np.uint8)
    velocities[hits] = np.arange(1, hits.sum() + 1) * 10
    events = notes_with_times(roll_to_midi(hits, velocities))
    written = {(tick // 60, note - 36): v for tick, kind, note, v in events if kind == "note_on"}
    assert written == {(int(s), int(r)): int(velocities[r, s]) for r, s in zip(*np.nonzero(hits))}


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 300).flatmap(lambda steps: hnp.arrays(bool, (NUM_ROWS, steps))))
def test_roll_to_midi_to_roll_gives_back_every_hit(hits):
    assume(hits.any())
    roll = midi_to_roll(reparse(roll_to_midi(hits)))
    assert np.array_equal(roll.hits, hits)
    assert roll.moved == 0 and roll.merged == 0


@settings(max_examples=30, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 20000), st.integers(35, 60)), min_size=1, max_size=80),
       st.sampled_from([96, 100, 384, 480, 960]))
def test_midi_to_roll_to_midi_keeps_every_onset_at_its_quantized_step(onsets, tpb):
    track, previous = mido.MidiTrack(), 0
    for tick, note in sorted(onsets):
        track.append(mido.Message("note_on", channel=9, note=note, velocity=90,
                                  time=tick - previous))
        previous = tick
    roll = midi_to_roll(mido.MidiFile(type=1, ticks_per_beat=tpb, tracks=[track]))
    again = midi_to_roll(reparse(roll_to_midi(roll.hits)))
    assert np.array_equal(again.hits, roll.hits)
    expected = {(min(max(note, 36), 60), (16 * tick + tpb) // (2 * tpb)) for tick, note in onsets}
    got = {(r + 36, s) for r, s in zip(*np.nonzero(again.hits))}
    assert got == expected


# ---- a performance: written back as it was played ----

def note_ons(midi):
    """Sorted [(tick, note, velocity)] of every drum hit in a file."""
    events = scan_midi(midi)
    return sorted(zip(events.ticks.tolist(), events.notes.tolist(), events.velocities.tolist()))


def test_a_performance_gives_back_every_hit_at_its_tick_with_its_note_and_velocity():
    midi, hits = performance(seed=1)
    roll = midi_to_roll(midi, drum_map=roland_map())
    assert roll.merged > 0 and roll.moved > 0            # hits share cells, most are off the grid
    again = reparse(performance_to_midi(roll))
    assert note_ons(again) == hits


def test_a_performance_keeps_its_resolution_tempo_map_and_meters():
    midi, _ = performance(seed=2, tpb=96)
    roll = midi_to_roll(midi, drum_map=roland_map())
    again = midi_to_roll(reparse(performance_to_midi(roll, name="song")), drum_map=roland_map())
    assert again.ticks_per_beat == 96 and again.tempos == roll.tempos
    assert again.bars.meters() == roll.bars.meters()
    assert np.array_equal(again.bars.steps, roll.bars.steps)
    assert np.array_equal(again.bar_ticks, roll.bar_ticks)
    for field in ("velocities", "offsets", "notes"):
        assert np.array_equal(getattr(again, field), getattr(roll, field)), field


def test_a_performance_is_type_1_with_a_conductor_track_and_drums_on_channel_10():
    midi = reparse(performance_to_midi(midi_to_roll(performance(seed=3)[0],
                                                    drum_map=roland_map()), name="take 3"))
    assert midi.type == 1 and len(midi.tracks) == 2
    assert midi.tracks[0][0].name == "take 3"
    signatures = [(m.numerator, m.denominator) for m in midi.tracks[0]
                  if m.type == "time_signature"]
    assert signatures == [(4, 4), (7, 8), (4, 4), (1, 4), (4, 4)]   # only where the meter changes
    assert {m.channel for m in midi.tracks[1] if not m.is_meta} == {9}


def test_a_performances_note_off_comes_before_the_next_onset_of_its_note():
    # two hits of one note 1/4 step apart: the first note_off may not come after the second on
    midi = midi_file(drum_track([(0, 38, 90), (15, 38, 50), (120, 38, 70)]))
    events = notes_with_times(reparse(performance_to_midi(midi_to_roll(midi))))
    assert events == [(0, "note_on", 38, 90), (15, "note_off", 38, 0), (15, "note_on", 38, 50),
                      (75, "note_off", 38, 0), (120, "note_on", 38, 70),
                      (180, "note_off", 38, 0)]


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 1024),
       st.lists(st.tuples(st.integers(0, 30000), st.sampled_from(ROLAND_KIT), st.integers(1, 127)),
                min_size=1, max_size=60, unique_by=lambda hit: hit[:2]),
       st.lists(st.tuples(st.integers(0, 30000), st.integers(200000, 1500000)), max_size=4,
                unique_by=lambda tempo: tempo[0]))
def test_up_to_1024_ticks_per_beat_every_tick_comes_back_exactly(tpb, hits, tempos):
    track = drum_track(sorted(hits), tpb=tpb)
    conductor = mido.MidiTrack()
    previous = 0
    for tick, tempo in sorted(tempos):
        conductor.append(mido.MetaMessage("set_tempo", tempo=tempo, time=tick - previous))
        previous = tick
    roll = midi_to_roll(midi_file(conductor, track, tpb=tpb), drum_map=roland_map())
    assert note_ons(reparse(performance_to_midi(roll))) == sorted(hits)


def test_write_midi_writes_a_file_mido_can_read(tmp_path):
    path = tmp_path / "out.mid"
    write_midi(roll_to_midi(some_hits()), path)
    assert len(notes_with_times(mido.MidiFile(path))) == 2 * some_hits().sum()
    assert [p.name for p in tmp_path.iterdir()] == ["out.mid"]


def test_write_midi_to_an_unwritable_place_names_the_file(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(UserError, match=r"file/out\.mid: cannot write"):
        write_midi(roll_to_midi(some_hits()), blocker / "out.mid")


def test_a_failed_write_keeps_the_old_file(tmp_path):
    path = tmp_path / "keep.mid"
    path.write_bytes(b"old")

    class Broken(mido.MidiFile):
        def save(self, filename=None, file=None):
            file.write(b"half")
            raise OSError("disk full")

    with pytest.raises(UserError):
        write_midi(Broken(), path)
    assert path.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["keep.mid"]


def test_the_slowest_tempo_a_midi_file_holds_is_written_and_anything_slower_refused():
    midi = reparse(roll_to_midi(some_hits(), bpm=MIN_BPM))
    [tempo] = [m.tempo for m in midi.tracks[0] if m.type == "set_tempo"]
    assert tempo == MAX_TEMPO == 0xFFFFFF                  # 24 bits of microseconds per beat
    for bpm in (3.5, 1, 0, -5, MAX_BPM + 1, float("nan"), float("inf")):
        with pytest.raises(UserError, match=r"a tempo is 3\.5763 to 1,000 bpm"):
            roll_to_midi(some_hits(), bpm=bpm)


def test_check_bpm_names_the_option_or_field_it_checks():
    assert check_bpm(MAX_BPM) == MAX_BPM
    with pytest.raises(UserError, match=r"^train\.tempo fast: a tempo is"):
        check_bpm("fast", "train.tempo")


def test_a_text_given_is_written_as_a_text_event_and_read_back_in_any_script():
    midi = reparse(roll_to_midi(some_hits(), text="interpolate.py 'MGŁA.mid' seed:3"))
    [event] = [message for message in midi.tracks[0] if message.type == "text"]
    assert text_of(event) == "interpolate.py 'MGŁA.mid' seed:3"
    assert not any(message.type == "text" for message in reparse(roll_to_midi(some_hits()))
                   .tracks[0])
