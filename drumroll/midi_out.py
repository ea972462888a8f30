"""Drum roll -> MIDI file that loads in any sequencer.

Type 1, 480 ticks per beat: a tempo track (name, tempo, 4/4) and one drum track on channel 10.
Every hit is a note_on and a matching note_off one 32nd-note step later; events are sorted by
time with note_off before note_on on the same tick, so a cell hit twice in a row plays twice.
The drum track ends exactly at the end of the roll's last step, so a 256-step roll is exactly
8 bars long and loops cleanly.

performance_to_midi writes a song as it was played instead (a DrumRoll read from a file, or a
song of a dataset): its own ticks per beat, tempo map and meters, every hit at its cell's grid
line moved by its offset, with its played note and velocity. Both write their hits through one
event list (note_events, events_track).
"""
import math
import numbers

import mido
import numpy as np

from drumroll.cli import UserError
from drumroll.files import writing
from drumroll.format import (
    DEFAULT_BPM, DEFAULT_VELOCITY, DRUM_CHANNEL, LOWEST_NOTE, MIDI_TICKS_PER_BEAT, OFFSET_UNITS,
    STEPS_PER_BAR, STEPS_PER_BEAT,
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


def text_event(text):
    """A text meta event holding `text` as UTF-8 (mido writes a text as Latin-1 bytes, so the
    UTF-8 bytes are handed to it as Latin-1 characters; read it back with text_of)."""
    return mido.MetaMessage("text", text=text.encode("utf-8").decode("latin-1"), time=0)


def text_of(message):
    """The text of a text meta event written by text_event."""
    return message.text.encode("latin-1").decode("utf-8")


def tempo_track(bpm, name, text=None):
    """Track 0 of a grid track: its name, tempo and 4/4, and `text` (how it was made, to make
    it again) as a text event when given."""
    check_bpm(bpm, "tempo")
    return mido.MidiTrack([
        mido.MetaMessage("track_name", name=name, time=0),
        *([text_event(text)] if text else []),
        mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(bpm), time=0),
        mido.MetaMessage("time_signature", numerator=4, denominator=4,
                         clocks_per_click=24, notated_32nd_notes_per_beat=8, time=0),
        mido.MetaMessage("end_of_track", time=0),
    ])


def note_events(ticks, notes, velocities, lengths):
    """Hits -> (events, 4) int64 rows (tick, kind, note, velocity), sorted for writing.

    ticks, notes, velocities: (hits,) each; lengths: ticks from each note_on to its note_off
    (one number or (hits,)). Velocities are clamped to 1..127.
    """
    ticks, notes = np.asarray(ticks, dtype=np.int64), np.asarray(notes, dtype=np.int64)
    volume = np.clip(np.asarray(velocities, dtype=np.int64), 1, 127)
    on = np.stack([ticks, np.full_like(ticks, NOTE_ON), notes, volume], axis=1)
    off = np.stack([ticks + lengths, np.full_like(ticks, NOTE_OFF), notes,
                    np.zeros_like(ticks)], axis=1)
    events = np.concatenate([on, off]).astype(np.int64)  # (2 * hits, 4)
    order = np.lexsort((events[:, 2], events[:, 1], events[:, 0]))  # tick, then kind, then note
    return events[order]


def drum_events(hits, velocities, step_ticks, lowest_note, offsets=None):
    """Hits on the grid -> note_events, each note one step long; with offsets ((rows, steps)
    in 1/OFFSET_UNITS of a step), each hit moved off its grid line by its own and no longer
    than to the next onset of its note."""
    rows, steps = np.nonzero(hits)                       # (hits,) each
    notes = rows + lowest_note
    if offsets is None:
        return note_events(steps * step_ticks, notes, velocities[rows, steps], step_ticks)
    bars = np.arange(0, hits.shape[1], STEPS_PER_BAR)    # 4/4 from the first step
    ticks = hit_ticks(steps, offsets[rows, steps], bars, bars * step_ticks,
                      step_ticks * STEPS_PER_BEAT)
    return note_events(ticks, notes, velocities[rows, steps],
                       note_lengths(ticks, notes, step_ticks))


def events_track(events, end_tick, name="drums"):
    """(events, 4) rows from note_events -> a MidiTrack on the drum channel, ending at
    end_tick (or at its last event when that is later)."""
    track = mido.MidiTrack([mido.MetaMessage("track_name", name=name, time=0)])
    previous = 0
    for tick, kind, note, velocity in events.tolist():
        kind_name = "note_on" if kind == NOTE_ON else "note_off"
        track.append(mido.Message(kind_name, channel=DRUM_CHANNEL, note=note,
                                  velocity=velocity, time=tick - previous))
        previous = tick
    track.append(mido.MetaMessage("end_of_track", time=max(end_tick - previous, 0)))
    return track


def roll_to_midi(hits, velocities=None, bpm=DEFAULT_BPM, lowest_note=LOWEST_NOTE,
                 ticks_per_beat=MIDI_TICKS_PER_BEAT, name="drumgan", offsets=None, text=None):
    """Boolean drum roll -> mido.MidiFile.

    hits:       (rows, steps) bool; row r is note lowest_note + r.
    velocities: None (every hit DEFAULT_VELOCITY), one number, or (rows, steps) numbers;
                clamped to 1..127.
    offsets:    None (every hit on its grid line), or (rows, steps) offsets from it in
                1/OFFSET_UNITS of a step (a hit half a step early at the first step is
                written at tick 0).
    text:       how the track was made, written as a text event in track 0 (or None).
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

    drums = events_track(drum_events(hits, velocities, step_ticks, lowest_note, offsets),
                         hits.shape[1] * step_ticks)
    midi = mido.MidiFile(type=1, ticks_per_beat=ticks_per_beat)
    midi.tracks.append(tempo_track(bpm, name, text))
    midi.tracks.append(drums)
    return midi


def hit_ticks(steps, offsets, bar_start, bar_ticks, ticks_per_beat):
    """Each hit's tick: its cell's grid line moved by its offset, to the nearest tick.

    steps, offsets: (hits,) each hit's cell and offset (1/OFFSET_UNITS of a step); bar_start,
    bar_ticks: (bars,) first step and tick of each bar line. tick = round(bar tick + (steps
    into the bar + offset / OFFSET_UNITS) * ticks_per_beat / 8), halves up, computed exactly in
    integers in 1/(8 * OFFSET_UNITS) of a tick (a bar tick is a whole number of eighths).
    For ticks_per_beat <= 1024 this is the tick the hit was read from (midi_in.cell_offsets).
    """
    steps = np.asarray(steps, dtype=np.int64)
    bar = np.searchsorted(bar_start, steps, side="right") - 1
    bar_subticks = np.round(np.asarray(bar_ticks)[bar] * STEPS_PER_BEAT).astype(np.int64)
    units = ((steps - bar_start[bar]) * OFFSET_UNITS + np.asarray(offsets, dtype=np.int64))
    exact = OFFSET_UNITS * bar_subticks + units * ticks_per_beat   # in 1/(8 * 256) ticks
    scale = STEPS_PER_BEAT * OFFSET_UNITS
    return np.maximum((2 * exact + scale) // (2 * scale), 0)


def note_lengths(ticks, notes, longest):
    """Ticks from each note_on to its note_off: `longest`, or less so that it ends by the next
    onset of the same note (a note_off on that tick is written before the note_on)."""
    order = np.lexsort((ticks, notes))                  # by note, then time
    gaps = np.full(len(ticks), longest, dtype=np.int64)
    same_note = notes[order][1:] == notes[order][:-1]
    gaps[order[:-1][same_note]] = np.diff(ticks[order])[same_note]
    return np.minimum(gaps, longest)


def meter_changes(bars, bar_ticks):
    """[(tick, numerator, denominator)]: a time signature on the first bar and wherever the
    meter changes or a bar follows one cut short (a signature inside it cut it)."""
    meters = bars.meters()
    whole = bars.whole.tolist()
    return [(int(round(bar_ticks[index])), *meter) for index, meter in enumerate(meters)
            if index == 0 or meter != meters[index - 1] or not whole[index - 1]]


def conductor_track(name, tempos, meters):
    """Track 0 of a performance: its name, every tempo and every time signature, by tick."""
    events = [(tick, mido.MetaMessage("set_tempo", tempo=tempo)) for tick, tempo in tempos]
    events += [(tick, mido.MetaMessage("time_signature", numerator=numerator,
                                       denominator=denominator, clocks_per_click=24,
                                       notated_32nd_notes_per_beat=8))
               for tick, numerator, denominator in meters]
    events.sort(key=lambda event: event[0])              # stable: tempos first on a tick
    track = mido.MidiTrack([mido.MetaMessage("track_name", name=name, time=0)])
    previous = 0
    for tick, message in events:
        track.append(message.copy(time=tick - previous))
        previous = tick
    track.append(mido.MetaMessage("end_of_track", time=0))
    return track


def performance_to_midi(roll, name="drumgan"):
    """A DrumRoll with how it was played (offsets, notes, bar ticks, tempo map) -> MidiFile.

    Type 1 at the roll's own ticks per beat: track 0 holds the tempo map and a time signature
    wherever the meter changes, track 1 the drums on channel 10. Every hit (those of the roll
    and its extra hits) is a note_on of its played note and velocity at hit_ticks, and a
    note_off one 32nd note later at most (never after the next onset of that note). The drum
    track ends at the end of the roll's last bar.
    """
    cells, extra = np.nonzero(roll.velocities), roll.extra  # (rows, steps) of the roll's hits
    steps = np.concatenate([cells[1], extra.step])          # (hits,) each: the roll's, extra
    offsets = np.concatenate([roll.offsets[cells], extra.offset])
    notes = np.concatenate([roll.notes[cells], extra.note]).astype(np.int64)
    velocities = np.concatenate([roll.velocities[cells], extra.velocity])
    tpb = roll.ticks_per_beat
    ticks = hit_ticks(steps, offsets, roll.bars.start, roll.bar_ticks, tpb)
    lengths = note_lengths(ticks, notes, max(1, tpb // STEPS_PER_BEAT))
    events = note_events(ticks, notes, velocities, lengths)
    end = 0
    if len(roll.bars):
        last_line = STEPS_PER_BEAT * roll.bar_ticks[-1] + roll.bars.steps[-1] * tpb
        end = int(round(last_line / STEPS_PER_BEAT))
    midi = mido.MidiFile(type=1, ticks_per_beat=tpb)
    midi.tracks.append(conductor_track(name, roll.tempos,
                                       meter_changes(roll.bars, roll.bar_ticks)))
    midi.tracks.append(events_track(events, end))
    return midi


def write_midi(midi, path):
    """Save a mido.MidiFile atomically; UserError (naming the file) when it cannot be written."""
    with writing(path) as handle:
        midi.save(file=handle)
