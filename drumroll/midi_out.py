"""Drum roll -> MIDI file that loads in any sequencer.

Type 1, 480 ticks per beat: a tempo track (name, tempo, 4/4) and one drum track on channel 10.
Every hit is a note_on and a matching note_off one 32nd-note step later; events are sorted by
time with note_off before note_on on the same tick, so a cell hit twice in a row plays twice.
The drum track ends exactly at the end of the roll's last step, so a 256-step roll is exactly
8 bars long and loops cleanly.
"""
import math
import numbers

import mido
import numpy as np

from drumroll.cli import UserError
from drumroll.files import writing
from drumroll.format import (
    DEFAULT_BPM, DEFAULT_VELOCITY, DRUM_CHANNEL, LOWEST_NOTE, MIDI_TICKS_PER_BEAT, STEPS_PER_BEAT,
)

NOTE_OFF, NOTE_ON = 0, 1   # sort order of events sharing a tick: note_off first
MAX_TEMPO = 0xFFFFFF       # a MIDI tempo is microseconds per beat in 24 bits (set_tempo)
MIN_BPM = mido.tempo2bpm(MAX_TEMPO)   # 3.5763 bpm: the slowest tempo a MIDI file can hold
MAX_BPM = 1000             # far past any drummer; faster is a typing mistake


def check_bpm(bpm, name="--bpm"):
    """bpm -> bpm when a MIDI file can hold it (MIN_BPM..MAX_BPM); UserError naming `name`
    otherwise. The one rule for every tempo accepted: options, Makefile, checkpoints."""
    try:
        valid = math.isfinite(bpm) and MIN_BPM <= bpm <= MAX_BPM
    except TypeError:           # not a number at all (a hand-edited checkpoint)
        valid = False
    if not valid:
        shown = f"{bpm:g}" if isinstance(bpm, numbers.Real) else bpm
        raise UserError(f"{name} {shown}: a tempo is {MIN_BPM:.5g} to {MAX_BPM:,} bpm (a MIDI "
                        f"file holds microseconds per beat in 24 bits: {MIN_BPM:.5g} bpm is "
                        "the slowest)")
    return bpm


def ticks_per_step(ticks_per_beat=MIDI_TICKS_PER_BEAT):
    if ticks_per_beat % STEPS_PER_BEAT:
        raise ValueError(f"ticks_per_beat must be a multiple of {STEPS_PER_BEAT}")
    return ticks_per_beat // STEPS_PER_BEAT


def tempo_track(bpm, name):
    check_bpm(bpm, "tempo")
    return mido.MidiTrack([
        mido.MetaMessage("track_name", name=name, time=0),
        mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(bpm), time=0),
        mido.MetaMessage("time_signature", numerator=4, denominator=4,
                         clocks_per_click=24, notated_32nd_notes_per_beat=8, time=0),
        mido.MetaMessage("end_of_track", time=0),
    ])


def drum_events(hits, velocities, step_ticks, lowest_note):
    """Hits -> (events, 4) int64 rows (tick, kind, note, velocity), sorted for writing."""
    rows, steps = np.nonzero(hits)                       # (hits,) each
    notes = rows + lowest_note
    volume = np.clip(velocities[rows, steps], 1, 127)
    on = np.stack([steps * step_ticks, np.full_like(rows, NOTE_ON), notes, volume], axis=1)
    off = np.stack([(steps + 1) * step_ticks, np.full_like(rows, NOTE_OFF), notes,
                    np.zeros_like(rows)], axis=1)
    events = np.concatenate([on, off]).astype(np.int64)  # (2 * hits, 4)
    order = np.lexsort((events[:, 2], events[:, 1], events[:, 0]))  # tick, then kind, then note
    return events[order]


def roll_to_midi(hits, velocities=None, bpm=DEFAULT_BPM, lowest_note=LOWEST_NOTE,
                 ticks_per_beat=MIDI_TICKS_PER_BEAT, name="drumgan"):
    """Boolean drum roll -> mido.MidiFile.

    hits:       (rows, steps) bool; row r is note lowest_note + r.
    velocities: None (every hit DEFAULT_VELOCITY), one number, or (rows, steps) numbers;
                clamped to 1..127.
    """
    hits = np.asarray(hits, dtype=bool)
    if hits.ndim != 2:
        raise ValueError(f"a drum roll is (rows, steps), got shape {hits.shape}")
    if lowest_note < 0 or lowest_note + hits.shape[0] > 128:
        highest = lowest_note + hits.shape[0] - 1
        raise ValueError(f"rows {lowest_note}..{highest} are not MIDI notes")
    if velocities is None:
        velocities = DEFAULT_VELOCITY
    velocities = np.broadcast_to(np.asarray(velocities, dtype=np.int64), hits.shape)
    step_ticks = ticks_per_step(ticks_per_beat)

    drums = mido.MidiTrack([mido.MetaMessage("track_name", name="drums", time=0)])
    previous = 0
    for tick, kind, note, velocity in drum_events(hits, velocities, step_ticks,
                                                  lowest_note).tolist():
        kind_name = "note_on" if kind == NOTE_ON else "note_off"
        drums.append(mido.Message(kind_name, channel=DRUM_CHANNEL, note=note,
                                  velocity=velocity, time=tick - previous))
        previous = tick
    end = hits.shape[1] * step_ticks
    drums.append(mido.MetaMessage("end_of_track", time=end - previous))

    midi = mido.MidiFile(type=1, ticks_per_beat=ticks_per_beat)
    midi.tracks.append(tempo_track(bpm, name))
    midi.tracks.append(drums)
    return midi


def write_midi(midi, path):
    """Save a mido.MidiFile atomically; UserError (naming the file) when it cannot be written."""
    with writing(path) as handle:
        midi.save(file=handle)
