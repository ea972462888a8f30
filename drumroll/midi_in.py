"""MIDI file -> drum roll: read the drum hits, quantize them to the 32nd-note grid, cut windows.

Percussion is every note on MIDI channel 10 (mido's channel 9), from every track, so type 0
and type 1 files work alike and several drum tracks merge into one roll. Only a note_on with
velocity > 0 is a hit. The grid is computed from ticks, never from seconds, so tempo changes
do not move it: step = round(tick / (ticks_per_beat / 8)), a tick exactly halfway between two
steps going to the later one. The whole read is one pass over the messages plus NumPy work,
so it is linear in the number of events; mido's own parsing dominates.
"""
import collections
import dataclasses
import os

import mido
import numpy as np

from drumroll.cli import UserError
from drumroll.format import (
    DRUM_CHANNEL, FOLDED_NOTES, LOWEST_NOTE, NUM_ROWS, STEPS_PER_BEAT, WINDOW_STEPS, DEFAULT_HOP,
)

MIDI_SUFFIXES = (".mid", ".midi")


@dataclasses.dataclass
class DrumRoll:
    """One song's drum hits on the grid, and what quantizing them did.

    velocities: (rows, steps) uint8, the MIDI velocity of the hit in each cell, 0 where none
                (the loudest one when several onsets land in the same cell).
    """
    velocities: np.ndarray
    lowest_note: int = LOWEST_NOTE
    onsets: int = 0            # note_on hits on the drum channel, every note
    moved: int = 0             # onsets that were not exactly on a grid line
    merged: int = 0            # in-range onsets that landed in an already hit cell
    dropped: collections.Counter = dataclasses.field(default_factory=collections.Counter)
    notes_per_row: np.ndarray = None   # (rows,) in-range onsets per row, before merging

    @property
    def hits(self):
        """(rows, steps) bool."""
        return self.velocities > 0

    @property
    def num_steps(self):
        return self.velocities.shape[1]

    @property
    def num_dropped(self):
        return sum(self.dropped.values())


def quantize(ticks, ticks_per_beat):
    """Absolute ticks -> 32nd-note steps, exact in integers for any ticks_per_beat.

    step = round(tick * 8 / ticks_per_beat) with halves rounded up, i.e.
    floor((16 * tick + ticks_per_beat) / (2 * ticks_per_beat)). Works on ints and int arrays.
    """
    two_beats = 2 * ticks_per_beat
    return (2 * STEPS_PER_BEAT * ticks + ticks_per_beat) // two_beats


def is_on_grid(ticks, ticks_per_beat):
    """True where a tick sits exactly on a 32nd-note grid line."""
    return (STEPS_PER_BEAT * ticks) % ticks_per_beat == 0


def parse_note_range(text):
    """'36-60' -> (36, 25): the lowest note and the number of rows. ValueError when malformed."""
    try:
        low, high = (int(part) for part in text.split("-"))
    except ValueError:
        raise ValueError(f"{text!r}: expected LOW-HIGH, e.g. 36-60") from None
    if not 0 <= low <= high <= 127:
        raise ValueError(f"{text!r}: need 0 <= LOW <= HIGH <= 127")
    return low, high - low + 1


def find_midi_files(paths):
    """Every *.mid / *.midi under the given files or folders (recursively), sorted per folder.

    Raises UserError for a path that does not exist or when nothing is found at all.
    """
    found = []
    for path in paths:
        path = os.fspath(path)
        if os.path.isdir(path):
            for folder, subfolders, names in os.walk(path):
                subfolders.sort()
                found.extend(os.path.join(folder, name) for name in sorted(names)
                             if name.lower().endswith(MIDI_SUFFIXES))
        elif os.path.exists(path):
            found.append(path)
        else:
            raise UserError(f"{path}: no such file or folder")
    if not found:
        raise UserError(f"{', '.join(map(os.fspath, paths))}: no .mid or .midi files found")
    return found


def read_midi(path):
    """Parse a MIDI file with mido; any failure becomes a UserError naming the file and why."""
    path = os.fspath(path)
    try:
        with open(path, "rb") as handle:
            header = handle.read(4)
        midi = mido.MidiFile(path) if header == b"MThd" else None
    except EOFError:
        raise UserError(f"{path}: truncated MIDI file (it ends in the middle of a chunk)") from None
    except IsADirectoryError:
        raise UserError(f"{path}: is a folder, not a MIDI file") from None
    except (FileNotFoundError, PermissionError) as error:
        raise UserError(f"{path}: cannot read ({error.strerror})") from None
    except Exception as error:   # mido raises many kinds of errors on garbage input
        reason = str(error) or type(error).__name__
        if "MThd not found" in reason:
            reason = "no MThd header"
        raise UserError(f"{path}: not a valid MIDI file ({reason})") from None
    if midi is None:
        raise UserError(f"{path}: not a MIDI file (no MThd header)")
    if midi.ticks_per_beat <= 0:
        raise UserError(f"{path}: unsupported time division (SMPTE timing, not ticks per beat)")
    return midi


def drum_onsets(midi):
    """All drum hits of a parsed file -> (ticks, notes, velocities, end_tick).

    ticks, notes, velocities: (onsets,) int64 arrays; end_tick: where the longest track ends.
    The only per-message Python work in the whole conversion: one pass over each track,
    accumulating delta times into absolute ticks.
    """
    ticks, notes, velocities = [], [], []
    end_tick = 0
    for track in midi.tracks:
        tick = 0
        for message in track:
            tick += message.time
            if (message.type == "note_on" and message.channel == DRUM_CHANNEL
                    and message.velocity > 0):
                ticks.append(tick)
                notes.append(message.note)
                velocities.append(message.velocity)
        end_tick = max(end_tick, tick)
    return (np.array(ticks, dtype=np.int64), np.array(notes, dtype=np.int64),
            np.array(velocities, dtype=np.int64), end_tick)


def onsets_to_roll(ticks, notes, velocities, ticks_per_beat, lowest_note=LOWEST_NOTE,
                   num_rows=NUM_ROWS, end_tick=0):
    """Quantize onsets into a DrumRoll of num_rows rows starting at lowest_note.

    ticks, notes, velocities: (onsets,) int arrays. Notes are folded first (35 -> 36); notes
    outside the range are dropped and counted per note. The roll lasts until the step of
    end_tick (the end of the song) or one step past the last hit, whichever is later; a roll
    without any hit in range has no steps.
    """
    fold = np.arange(128)
    for note, folded in FOLDED_NOTES.items():
        fold[note] = folded
    notes = fold[notes]
    rows = notes - lowest_note
    keep = (rows >= 0) & (rows < num_rows)
    dropped = collections.Counter(notes[~keep].tolist())

    steps = quantize(ticks[keep], ticks_per_beat)
    rows = rows[keep]
    num_steps = 0
    if steps.size:
        num_steps = max(int(steps.max()) + 1, int(quantize(end_tick, ticks_per_beat)))
    roll = np.zeros((num_rows, num_steps), dtype=np.uint8)
    np.maximum.at(roll, (rows, steps), velocities[keep].astype(np.uint8))
    occupied_cells = int(np.count_nonzero(roll))
    return DrumRoll(
        velocities=roll,
        lowest_note=lowest_note,
        onsets=int(ticks.size),
        moved=int(np.count_nonzero(~is_on_grid(ticks, ticks_per_beat))),
        merged=int(rows.size) - occupied_cells,
        dropped=dropped,
        notes_per_row=np.bincount(rows, minlength=num_rows),
    )


def midi_to_roll(midi, lowest_note=LOWEST_NOTE, num_rows=NUM_ROWS, name="<midi>"):
    """Parsed mido.MidiFile -> DrumRoll. UserError when the file has no drum hits at all."""
    ticks, notes, velocities, end_tick = drum_onsets(midi)
    if ticks.size == 0:
        raise UserError(f"{name}: no drum notes on MIDI channel 10")
    roll = onsets_to_roll(ticks, notes, velocities, midi.ticks_per_beat, lowest_note, num_rows,
                          end_tick)
    if roll.num_steps == 0:
        last = lowest_note + num_rows - 1
        raise UserError(f"{name}: no drum notes in the range {lowest_note}..{last}")
    return roll


def read_drum_roll(path, lowest_note=LOWEST_NOTE, num_rows=NUM_ROWS):
    """MIDI file on disk -> DrumRoll (UserError on a bad file or one without drums)."""
    return midi_to_roll(read_midi(path), lowest_note, num_rows, name=os.fspath(path))


def window_starts(num_steps, window=WINDOW_STEPS, hop=DEFAULT_HOP):
    """First steps of the windows cut from a song of num_steps steps.

    Whole windows only, every `hop` steps; a song shorter than one window still gives one
    window at step 0 (padded with silence), so short songs are not lost.
    """
    if window <= 0 or hop <= 0:
        raise ValueError("window and hop must be positive")
    if num_steps <= window:
        return np.zeros(1 if num_steps > 0 else 0, dtype=np.int64)
    return np.arange(0, num_steps - window + 1, hop, dtype=np.int64)


def cut_windows(velocities, window=WINDOW_STEPS, hop=DEFAULT_HOP):
    """Cut a (rows, steps) roll into windows, dropping the ones without a hit.

    Returns (starts, windows): starts (N,) int64, windows (N, rows, window) copies of the roll's
    dtype. Which windows are empty comes from a running count of hit columns, so no empty
    window is ever materialized.
    """
    num_rows, num_steps = velocities.shape
    if num_steps < window:
        padded = np.zeros((num_rows, window), dtype=velocities.dtype)
        padded[:, :num_steps] = velocities
        velocities = padded
    starts = window_starts(num_steps, window, hop)
    hit_columns = np.concatenate([[0], np.cumsum(velocities.any(axis=0))])   # (steps + 1,)
    starts = starts[hit_columns[starts + window] > hit_columns[starts]]
    views = np.lib.stride_tricks.sliding_window_view(velocities, window, axis=1)  # (rows, S, W)
    windows = views[:, starts].transpose(1, 0, 2).copy()                          # (N, rows, W)
    return starts, windows
