"""MIDI file -> drum roll: read the drum hits and the bars, quantize to 32nd notes, cut windows.

Percussion is every note on MIDI channel 10 (mido's channel 9; another with `channel`), from
every track, so type 0 and type 1 files work alike and several drum tracks merge into one roll.
Only a note_on with velocity > 0 is a hit.

Bars come from the file's time-signature map: a `time_signature` meta message on any track at
any tick; none at all means 4/4 (the MIDI default). A signature takes effect at its tick, and
when that tick is inside a bar, the bar is cut short there and a new bar starts. Of several
signatures at one tick the later one in file order wins: in a later track, or later in the same
track (type 0 files have a single track). A bar in n/d time lasts n * 32 / d steps (4/4 = 32,
1/4 = 8, 6/8 = 24, 7/8 = 28); a meter whose bar is not a whole number of 32nd notes (3/64) is
refused. The song's steps are its bars laid end to end, and a tick goes to the nearest step
measured from its own bar line (a tick exactly halfway between two steps goes to the later
one), exactly in integers even where a bar line falls between two ticks. Everything is counted
in ticks, never in seconds, so tempo changes do not move the grid. For a file in 4/4 throughout
the bar lines are every 32 steps from tick 0 and step = round(tick / (ticks_per_beat / 8)).

The song ends where its longest track ends; when that is inside a bar, the last bar is
incomplete: it is part of the song's roll and bar sequence, never of a window.

Windows are WINDOW_BARS whole 4/4 bars in a row starting on a bar line: a window never spans a
bar of another meter or an incomplete bar. A bar a whole note long written another way (2/2,
8/8, 1/1: numerator * 32 / denominator == 32 steps) counts as a 4/4 bar.

Nothing a drummer played is lost on the way in. Beside each hit's cell the roll keeps its
exact velocity, the note actually played (before the drum map put it on a row: an e-kit's 22
stays 22 on the closed hi-hat's row) and its timing offset from the cell's grid line in
1/OFFSET_UNITS of a step (see cell_offsets). Notes land on rows through a drum map
(drumroll.drum_maps, General MIDI unless told); a note the map has no row for, or whose row lies
outside the roll's range, is dropped and counted. When several onsets land in one cell of one
row, the loudest is kept with its offset and note (of equally loud ones the earliest); the
others are counted as hits sharing a cell and kept beside the roll (ExtraHits), so that nothing
is lost: a drummer's double strokes, flams and e-kit double triggers fall within one 32nd. The
song's ticks per beat, the tick of every bar line and its tempo map are kept too, so the song
can be written back as it was played (midi_out.performance_to_midi).

The whole read is one pass over the messages plus NumPy work, so it is linear in the number of
events; mido's own parsing dominates.
"""
import collections
import dataclasses
import os

import mido
import numpy as np

from drumroll.cli import UserError, check_name
from drumroll.drum_maps import AUTO, NOT_MAPPED, choose_drum_map, gm_map
from drumroll.files import unreadable_input
from drumroll.format import (
    DEFAULT_HOP_BARS, DRUM_CHANNEL, LOWEST_NOTE, MIDI_DEFAULT_TEMPO, MIDI_TICKS_PER_BEAT,
    NUM_ROWS, OFFSET_UNITS, STEPS_PER_BAR, STEPS_PER_BEAT, STEPS_PER_WHOLE_NOTE, WINDOW_STEPS,
)

MIDI_SUFFIXES = (".mid", ".midi")
MAX_SONG_BARS = 8192        # bars of 4/4 a song may last: longer is a broken file (a 36-byte
                            # file with one huge delta time would ask for gigabytes)
FOUR_FOUR = (4, 4)
SUBTICKS_PER_TICK = STEPS_PER_BEAT   # a step is ticks_per_beat / 8 ticks = ticks_per_beat subticks


@dataclasses.dataclass
class Bars:
    """A song's bars in order, in its 32nd-note step space. Each field is (bars,) int64.

    start:       first step of each bar; the bars tile the song: start[i + 1] = start[i] + steps[i]
    numerator, denominator: the bar's meter (4, 4 for 4/4)
    steps:       the bar's length: numerator * 32 / denominator for a whole bar, fewer for one
                 cut short by a change of meter inside it or by the end of the song
    """
    start: np.ndarray
    numerator: np.ndarray
    denominator: np.ndarray
    steps: np.ndarray

    def __len__(self):
        return len(self.start)

    @property
    def full_steps(self):
        """(bars,) the length each bar has in its meter when whole."""
        return self.numerator * STEPS_PER_WHOLE_NOTE // self.denominator

    @property
    def whole(self):
        """(bars,) bool: the bar lasts as long as its meter says."""
        return self.steps == self.full_steps

    @property
    def whole_four_four(self):
        """(bars,) bool: the bars windows are cut from, whole bars as long as a 4/4 bar (a
        whole note, 32 steps): 4/4, and 2/2 (cut time), 8/8, 1/1 or 16/16 alike, since the
        grid of 32nd notes from the bar line is the same."""
        return self.whole & (self.full_steps == STEPS_PER_BAR)

    def meters(self):
        """[(numerator, denominator)] of every bar."""
        return list(zip(self.numerator.tolist(), self.denominator.tolist()))


def four_four_bars(num_steps):
    """Bars of a roll that is 4/4 throughout from step 0 (the last one incomplete when
    num_steps is not a whole number of bars)."""
    start = np.arange(0, num_steps, STEPS_PER_BAR, dtype=np.int64)
    steps = np.minimum(num_steps - start, STEPS_PER_BAR)
    return Bars(start=start, numerator=np.full_like(start, 4), denominator=np.full_like(start, 4),
                steps=steps)


@dataclasses.dataclass
class ExtraHits:
    """The hits a roll cannot draw: the quieter ones of a cell several onsets landed in (the
    roll holds the loudest). Each (hits,), sorted by step, row, then time:

    step, row: int64 the cell; offset: int8 from the cell's grid line, as DrumRoll.offsets;
    velocity, note: uint8 as played.
    """
    step: np.ndarray
    row: np.ndarray
    offset: np.ndarray
    velocity: np.ndarray
    note: np.ndarray

    def __len__(self):
        return len(self.step)

    @classmethod
    def none(cls):
        empty = np.zeros(0, dtype=np.int64)
        return cls(step=empty, row=empty, offset=empty.astype(np.int8),
                   velocity=empty.astype(np.uint8), note=empty.astype(np.uint8))


@dataclasses.dataclass
class DrumRoll:
    """One song's drum hits on the grid with how they were played, its bars, and what reading
    them did.

    velocities: (rows, steps) uint8, the MIDI velocity of the hit in each cell, 0 where none
                (the loudest one when several onsets land in the same cell).
    offsets:    (rows, steps) int8, each hit's timing offset from its cell's grid line in
                1/OFFSET_UNITS of a step, 0 where none (default: every hit on its line).
    notes:      (rows, steps) uint8, the MIDI note each hit played, 0 where none (default: the
                row's own note).
    bars:       the song's Bars, covering exactly its steps (4/4 throughout when not given).
    bpm:        the tempo that lasts longest in the song (see main_tempo).
    ticks_per_beat, bar_ticks, tempos: the file's resolution, the tick of each bar line
                ((bars,) float64: a multiple of 1/8, see round_to_steps; default: every bar
                line at its first step's tick) and its tempo map [(tick, microseconds per
                beat)] by tick (empty: 120 bpm throughout, as in MIDI).
    extra:      ExtraHits, the quieter hits of cells several onsets landed in (`merged` of them)
    """
    velocities: np.ndarray
    lowest_note: int = LOWEST_NOTE
    onsets: int = 0            # note_on hits on the drum channel, every note
    moved: int = 0             # onsets off the grid (the offsets keep where they were)
    merged: int = 0            # hits sharing a cell with a louder one: not in the roll
    dropped: collections.Counter = dataclasses.field(default_factory=collections.Counter)
    notes_per_row: np.ndarray = None   # (rows,) in-range onsets per row, before merging
    bars: Bars = None
    bpm: float = mido.tempo2bpm(MIDI_DEFAULT_TEMPO)
    offsets: np.ndarray = None
    notes: np.ndarray = None
    # per played note: dropped counts the onsets left out (no row in the map, or a row outside
    # the roll), unmapped those of them without a row, played the onsets kept (before merging)
    unmapped: collections.Counter = dataclasses.field(default_factory=collections.Counter)
    played: collections.Counter = dataclasses.field(default_factory=collections.Counter)
    ticks_per_beat: int = MIDI_TICKS_PER_BEAT
    bar_ticks: np.ndarray = None
    tempos: list = dataclasses.field(default_factory=list)
    extra: ExtraHits = dataclasses.field(default_factory=ExtraHits.none)

    def __post_init__(self):
        if self.bars is None:
            self.bars = four_four_bars(self.num_steps)
        if self.offsets is None:
            self.offsets = np.zeros(self.velocities.shape, dtype=np.int8)
        if self.notes is None:
            row_notes = self.lowest_note + np.arange(len(self.velocities))[:, None]
            self.notes = np.where(self.velocities > 0, row_notes, 0).astype(np.uint8)
        if self.bar_ticks is None:
            self.bar_ticks = self.bars.start * (self.ticks_per_beat / STEPS_PER_BEAT)

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


@dataclasses.dataclass
class MidiEvents:
    """What one pass over a file's messages collects.

    ticks, notes, velocities: (onsets,) int64, every drum hit in file order
    end_tick:   where the longest track ends
    signatures: [(tick, numerator, denominator)] by tick, one per tick (the later in file order)
    tempos:     [(tick, microseconds per beat)] by tick, one per tick (the later in file order)
    ticks_per_beat: the file's resolution
    channel:    the channel read (0-15)
    channels:   {channel (0-15): note_on hits} on every channel, for a message naming them
    """
    ticks: np.ndarray
    notes: np.ndarray
    velocities: np.ndarray
    end_tick: int
    signatures: list
    tempos: list
    ticks_per_beat: int = MIDI_TICKS_PER_BEAT
    channel: int = DRUM_CHANNEL
    channels: collections.Counter = dataclasses.field(default_factory=collections.Counter)


def steps_per_bar(numerator, denominator):
    """Length of a bar in n/d time in 32nd-note steps; ValueError unless a whole positive number."""
    steps, remainder = divmod(numerator * STEPS_PER_WHOLE_NOTE, denominator)
    if numerator <= 0 or remainder:
        raise ValueError(f"a bar of {numerator}/{denominator} is not a positive whole number "
                         f"of 32nd notes")
    return steps


def round_to_steps(subticks, ticks_per_beat):
    """A time since a bar line, in subticks (eighths of a tick) -> the nearest step, halves up.

    A step is ticks_per_beat / 8 ticks, i.e. ticks_per_beat subticks, so this is
    floor(u / tpb + 1/2) = floor((2u + tpb) / (2 tpb)), exact in integers. Bar lines are kept in
    subticks because a bar is a whole number of steps, so every bar line is a whole number of
    subticks even when ticks_per_beat is not a multiple of 8 and the line falls between two
    ticks. For a file in 4/4 throughout, round_to_steps(8 * tick, tpb) = round(tick * 8 / tpb).
    Works on ints and arrays.
    """
    return (2 * subticks + ticks_per_beat) // (2 * ticks_per_beat)


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

    Subfolders that are symbolic links are followed; a folder reached a second time (a link
    back to a folder above it would loop for ever) is read only once. Raises UserError for a
    path that does not exist or when nothing is found at all.
    """
    found = []
    for path in paths:
        path = os.fspath(check_name(path, "MIDI file or folder"))
        if os.path.isdir(path):
            seen = set()                # (device, inode) of every folder read
            for folder, subfolders, names in os.walk(path, followlinks=True):
                status = os.stat(folder)
                if (status.st_dev, status.st_ino) in seen:
                    subfolders.clear()
                    continue
                seen.add((status.st_dev, status.st_ino))
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
    path = os.fspath(check_name(path, "MIDI file"))
    problem = unreadable_input(path, "MIDI file")
    if problem:
        raise UserError(f"{path}: {problem}")
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
    if midi.ticks_per_beat == 0:
        raise UserError(f"{path}: not a valid MIDI file (0 ticks per beat)")
    if midi.ticks_per_beat < 0:
        raise UserError(f"{path}: unsupported time division (SMPTE timing, not ticks per beat)")
    if midi.type == 2:
        # its tracks are independent songs: laying them over each other would be wrong
        raise UserError(f"{path}: type 2 MIDI files (independent songs) are not supported")
    return midi


def scan_midi(midi, channel=DRUM_CHANNEL):
    """All drum hits (the note_ons on `channel`, 0-15), the time-signature map and the tempo
    map of a parsed file -> MidiEvents.

    The only per-message Python work in the whole conversion: one pass over each track,
    accumulating delta times into absolute ticks. Tracks are read in file order and a later
    signature (or tempo) at a tick replaces an earlier one, so the later one in the file wins.
    """
    ticks, notes, velocities = [], [], []
    signatures, tempos, channels = {}, {}, collections.Counter()
    end_tick = 0
    for track in midi.tracks:
        tick = 0
        for message in track:
            tick += message.time
            kind = message.type
            if kind == "note_on" and message.velocity > 0:
                channels[message.channel] += 1
                if message.channel == channel:
                    ticks.append(tick)
                    notes.append(message.note)
                    velocities.append(message.velocity)
            elif kind == "time_signature":
                signatures[tick] = (message.numerator, message.denominator)
            elif kind == "set_tempo":
                tempos[tick] = message.tempo
        end_tick = max(end_tick, tick)
    return MidiEvents(
        ticks=np.array(ticks, dtype=np.int64), notes=np.array(notes, dtype=np.int64),
        velocities=np.array(velocities, dtype=np.int64), end_tick=end_tick,
        signatures=[(tick, *meter) for tick, meter in sorted(signatures.items())],
        tempos=sorted(tempos.items()), ticks_per_beat=midi.ticks_per_beat, channel=channel,
        channels=channels)


@dataclasses.dataclass
class BarLines:
    """Every bar a song can have, before the song's end is known. Each field is (bars,) int64.

    subticks: the bar line's tick times SUBTICKS_PER_TICK (exact, see round_to_steps); the
              others as in Bars.
    A bar cut short by a signature inside it may be 0 steps long (less than half a step).
    """
    subticks: np.ndarray
    start: np.ndarray
    numerator: np.ndarray
    denominator: np.ndarray
    steps: np.ndarray


def bar_lines(signatures, ticks_per_beat, last_tick):
    """The bars of a time-signature map from tick 0 up to the one holding last_tick, plus one.

    signatures: [(tick, numerator, denominator)] sorted by tick, one per tick; 4/4 until the
    first. The extra bar at the end catches a tick that rounds up onto the next bar line.
    ValueError for a meter whose bar is not a whole number of steps.
    """
    if not signatures or signatures[0][0] > 0:
        signatures = [(0, *FOUR_FOUR)] + list(signatures)
    signatures = [signature for signature in signatures if signature[0] <= last_tick]
    subticks, steps, numerators, denominators = [], [], [], []
    for index, (tick, numerator, denominator) in enumerate(signatures):
        try:
            bar_steps = steps_per_bar(numerator, denominator)
        except ValueError as error:
            raise ValueError(f"time signature at tick {tick}: {error}") from None
        bar_subticks = bar_steps * ticks_per_beat     # a bar's length in subticks
        if index + 1 < len(signatures):
            span = SUBTICKS_PER_TICK * (signatures[index + 1][0] - tick)
            count = -(-span // bar_subticks)              # the last one may be cut short
            lengths = np.full(count, bar_steps, dtype=np.int64)
            lengths[-1] = round_to_steps(span - (count - 1) * bar_subticks, ticks_per_beat)
        else:
            count = SUBTICKS_PER_TICK * (last_tick - tick) // bar_subticks + 2
            lengths = np.full(count, bar_steps, dtype=np.int64)
        subticks.append(SUBTICKS_PER_TICK * tick
                        + bar_subticks * np.arange(count, dtype=np.int64))
        steps.append(lengths)
        numerators.append(np.full(count, numerator, dtype=np.int64))
        denominators.append(np.full(count, denominator, dtype=np.int64))
    steps = np.concatenate(steps)
    start = np.concatenate([[0], np.cumsum(steps)[:-1]]).astype(np.int64)
    return BarLines(subticks=np.concatenate(subticks), start=start,
                    numerator=np.concatenate(numerators),
                    denominator=np.concatenate(denominators), steps=steps)


def ticks_to_steps(ticks, lines, ticks_per_beat):
    """(n,) ticks -> ((n,) steps, (n,) bool on a grid line), each measured from its bar line."""
    subticks = SUBTICKS_PER_TICK * np.asarray(ticks, dtype=np.int64)
    bar = np.searchsorted(lines.subticks, subticks, side="right") - 1
    since_bar_line = subticks - lines.subticks[bar]
    steps = lines.start[bar] + round_to_steps(since_bar_line, ticks_per_beat)
    return steps, since_bar_line % ticks_per_beat == 0


def song_bars(lines, num_steps):
    """The bars that cover a song of num_steps steps: the last one ends at the song's end
    (incomplete when that is inside it), bars of 0 steps are left out."""
    keep = (lines.start < num_steps) & (lines.steps > 0)
    start = lines.start[keep]
    steps = np.minimum(lines.steps[keep], num_steps - start)
    return Bars(start=start, numerator=lines.numerator[keep],
                denominator=lines.denominator[keep], steps=steps)


def main_tempo(tempos, end_tick):
    """bpm of the tempo that lasts longest between tick 0 and end_tick (120 until the first
    set_tempo, as in MIDI). tempos: [(tick, microseconds per beat)] sorted, one per tick.
    Ties go to the tempo heard first. Rounded to 0.01 bpm: a MIDI tempo is whole microseconds
    per beat, so a file at 144 bpm holds 144.0002."""
    if not tempos or tempos[0][0] > 0:
        tempos = [(0, MIDI_DEFAULT_TEMPO)] + list(tempos)
    seconds = {}          # tempo -> time at it, in ticks * microseconds (proportional to seconds)
    for index, (tick, tempo) in enumerate(tempos):
        until = tempos[index + 1][0] if index + 1 < len(tempos) else end_tick
        seconds[tempo] = seconds.get(tempo, 0) + max(0, min(until, end_tick) - tick) * tempo
    longest = max(seconds, key=seconds.get)      # the first of equal ones: dicts keep order
    return round(mido.tempo2bpm(longest), 2)


def cell_offsets(ticks, cells, lines, ticks_per_beat):
    """Each hit's timing offset from the grid line of its cell, in 1/OFFSET_UNITS of a step.

    ticks, cells: (n,) the hits' ticks and the steps ticks_to_steps put them on. The grid line of
    a cell is its bar's line plus its steps into that bar (in subticks, exact). A hit goes to
    its nearest cell, so the offset is round(OFFSET_UNITS * (position - cell)) with the position
    in [cell - 1/2, cell + 1/2), halves up, clipped to int8 (-128..127: an offset of +1/2 step
    less a hair becomes 127). For a whole bar, the cell's grid line is the hit's own bar line
    plus the cell's steps from it, even when the hit rounds up onto the next bar's first step;
    only a hit rounding across the end of a bar cut short between two steps (by a signature off
    the grid) is measured from the next bar's line, the line its cell is written at.

    Why ticks come back exactly (midi_out.performance_to_midi writes tick = round(grid line +
    offset / OFFSET_UNITS * ticks_per_beat / 8)): rounding to 1/256 of a step moves a hit by at
    most 1/512 step, clipping at 127 by less than 1/256 step, that is by less than
    ticks_per_beat / 2048 ticks; for ticks_per_beat <= 1024 that is less than half a tick, so
    rounding to the nearest tick gives the original tick back.
    """
    cells = np.asarray(cells, dtype=np.int64)
    # the cell's bar: the last line starting at or before it (so never a bar of 0 steps)
    bar = np.searchsorted(lines.start, cells, side="right") - 1
    grid = lines.subticks[bar] + (cells - lines.start[bar]) * ticks_per_beat    # subticks
    since_grid = SUBTICKS_PER_TICK * np.asarray(ticks, dtype=np.int64) - grid   # subticks
    # round(OFFSET_UNITS * since_grid / ticks_per_beat), halves up, exact in integers
    units = (2 * OFFSET_UNITS * since_grid + ticks_per_beat) // (2 * ticks_per_beat)
    return np.clip(units, -OFFSET_UNITS // 2, OFFSET_UNITS // 2 - 1).astype(np.int8)


def loudest_per_cell(cells, velocities, ticks):
    """Indices of the onsets a roll keeps: in each cell the loudest (of equally loud ones the
    earliest, then the first in the file), sorted by cell. cells, velocities, ticks: (n,)."""
    order = np.lexsort((ticks, -velocities, cells))         # by cell, loudest first, earliest
    first = np.ones(order.size, dtype=bool)
    first[1:] = cells[order[1:]] != cells[order[:-1]]
    return order[first]
def check_tempos(tempos, name):
    """UserError naming the file when a set_tempo holds 0 microseconds per beat: no tempo at
    all (a beat that takes no time), which no bpm can stand for."""
    zero = [tick for tick, tempo in tempos if tempo == 0]
    if zero:
        raise UserError(f"{name}: a tempo of 0 microseconds per beat at tick {zero[0]} (not a "
                        "playable tempo; a broken file?)")


def onsets_to_roll(ticks, notes, velocities, ticks_per_beat, lowest_note=LOWEST_NOTE,
                   num_rows=NUM_ROWS, end_tick=0, signatures=(), drum_map=None):
    """Onsets -> DrumRoll of num_rows rows starting at lowest_note, keeping how they were played.

    ticks, notes, velocities: (onsets,) int arrays; signatures: the time-signature map as in
    bar_lines (empty = 4/4); drum_map: a drum_maps.DrumMap (default General MIDI). Each note
    goes to its row note's row; notes the map has no row for, or whose row is outside the
    range, are dropped and counted per played note. The roll lasts until the step of end_tick
    (the end of the song) or one step past the last hit, whichever is later; a roll without any
    hit in range has no steps. ValueError for a meter whose bar is not a whole number of steps,
    or a song longer than MAX_SONG_BARS.
    """
    drum_map = drum_map or gm_map()
    notes = np.asarray(notes, dtype=np.int64)
    row_notes = drum_map.table[notes].astype(np.int64)       # (onsets,) NOT_MAPPED: no row
    mapped = row_notes != NOT_MAPPED
    rows = row_notes - lowest_note
    keep = mapped & (rows >= 0) & (rows < num_rows)
    dropped = collections.Counter(notes[~keep].tolist())

    last_tick = max(end_tick, int(ticks.max()) if ticks.size else 0)
    bars = STEPS_PER_BEAT * last_tick // (ticks_per_beat * STEPS_PER_BAR)
    if bars > MAX_SONG_BARS:
        raise ValueError(f"it lasts {bars:,} bars of 4/4, more than the {MAX_SONG_BARS:,} a song "
                         f"may have (a broken file?)")
    lines = bar_lines(signatures, ticks_per_beat, last_tick)
    all_steps, on_grid = ticks_to_steps(np.append(ticks, end_tick), lines, ticks_per_beat)
    end_step = int(all_steps[-1])
    steps = all_steps[:-1][keep]
    rows = rows[keep]
    num_steps = max(int(steps.max()) + 1, end_step) if steps.size else 0
    hit_ticks, hit_velocities, hit_notes = ticks[keep], velocities[keep], notes[keep]
    hit_offsets = cell_offsets(hit_ticks, steps, lines, ticks_per_beat)
    kept = loudest_per_cell(rows * num_steps + steps, hit_velocities, hit_ticks)
    cells = (rows[kept], steps[kept])
    roll = np.zeros((num_rows, num_steps), dtype=np.uint8)
    roll[cells] = hit_velocities[kept]
    offsets = np.zeros((num_rows, num_steps), dtype=np.int8)
    offsets[cells] = hit_offsets[kept]
    played = np.zeros((num_rows, num_steps), dtype=np.uint8)
    played[cells] = hit_notes[kept]
    extra = np.setdiff1d(np.arange(rows.size), kept)            # the quieter ones in a cell
    extra = extra[np.lexsort((hit_ticks[extra], rows[extra], steps[extra]))]
    bars = song_bars(lines, num_steps)
    # the line of each bar: the last of the lines starting at its step (a 0-step one is not it)
    bar_line = np.searchsorted(lines.start, bars.start, side="right") - 1
    return DrumRoll(
        velocities=roll,
        offsets=offsets,
        notes=played,
        lowest_note=lowest_note,
        onsets=int(ticks.size),
        moved=int(np.count_nonzero(~on_grid[:-1])),
        merged=int(rows.size - kept.size),
        dropped=dropped,
        unmapped=collections.Counter(notes[~mapped].tolist()),
        played=collections.Counter(notes[keep].tolist()),
        notes_per_row=np.bincount(rows, minlength=num_rows),
        bars=bars,
        ticks_per_beat=ticks_per_beat,
        bar_ticks=lines.subticks[bar_line] / SUBTICKS_PER_TICK,
        extra=ExtraHits(step=steps[extra], row=rows[extra], offset=hit_offsets[extra],
                        velocity=hit_velocities[extra].astype(np.uint8),
                        note=hit_notes[extra].astype(np.uint8)),
    )


def events_to_roll(events, lowest_note=LOWEST_NOTE, num_rows=NUM_ROWS, name="<midi>",
                   drum_map=None):
    """MidiEvents of one file -> DrumRoll with its tempo map. UserError when the file has no
    drum hits at all or a meter that does not fit the grid."""
    if events.ticks.size == 0:
        raise no_notes_on_channel(name, events.channel, events.channels)
    try:
        roll = onsets_to_roll(events.ticks, events.notes, events.velocities,
                              events.ticks_per_beat, lowest_note, num_rows, events.end_tick,
                              events.signatures, drum_map)
    except ValueError as error:
        raise UserError(f"{name}: {error}") from None
    if roll.num_steps == 0:
        last = lowest_note + num_rows - 1
        raise UserError(f"{name}: no drum notes in the range {lowest_note}..{last}")
    check_tempos(events.tempos, name)
    roll.bpm = main_tempo(events.tempos, events.end_tick)
    roll.tempos = list(events.tempos)
    return roll


def midi_to_roll(midi, lowest_note=LOWEST_NOTE, num_rows=NUM_ROWS, name="<midi>",
                 drum_map=None, channel=DRUM_CHANNEL):
    """Parsed mido.MidiFile -> DrumRoll of the drums on `channel` (0-15; see events_to_roll)."""
    return events_to_roll(scan_midi(midi, channel), lowest_note, num_rows, name, drum_map)


def read_drum_roll(path, lowest_note=LOWEST_NOTE, num_rows=NUM_ROWS, drum_map=None,
                   channel=DRUM_CHANNEL):
    """MIDI file on disk -> DrumRoll (UserError on a bad file or one without drums)."""
    return midi_to_roll(read_midi(path), lowest_note, num_rows, name=os.fspath(path),
                        drum_map=drum_map, channel=channel)


def no_notes_on_channel(name, channel, channels):
    """The one-line UserError for a file without notes on `channel` (0-15), naming the
    channels (1-16, as --channel takes them) that do hold notes."""
    found = [number + 1 for number in sorted(channels)]
    where = (f"its notes are on channel{'s' if len(found) > 1 else ''} "
             f"{', '.join(map(str, found))}: --channel {found[0]} reads them"
             if found else "it holds no notes at all")
    return UserError(f"{name}: no drum notes on MIDI channel {channel + 1} ({where})")


def read_drum_file(path, choice=AUTO, channel=DRUM_CHANNEL):
    """A drum MIDI file on disk -> its DrumRoll, read with the drum map `choice` (auto, gm,
    roland or a map file; auto looks at the file's own notes) from MIDI channel `channel`
    (0-15). UserError naming the file."""
    events = scan_midi(read_midi(path), channel)
    drum_map, _ = choose_drum_map(choice, np.unique(events.notes).tolist())
    return events_to_roll(events, name=os.fspath(path), drum_map=drum_map)


def window_length_in_bars(window):
    """Window length in steps -> in 4/4 bars; ValueError unless a whole positive number."""
    if window <= 0 or window % STEPS_PER_BAR:
        raise ValueError(f"a window of {window} steps is not a whole number of 4/4 bars "
                         f"(a multiple of {STEPS_PER_BAR} steps)")
    return window // STEPS_PER_BAR


def four_four_runs(bars):
    """Runs of whole 4/4 bars in a row -> (first bars, ends): bar indices, ends exclusive."""
    usable = np.concatenate([[False], bars.whole_four_four, [False]])
    edges = np.flatnonzero(np.diff(usable.astype(np.int8)))    # run starts and ends, paired
    return edges[0::2].tolist(), edges[1::2].tolist()


def window_first_bars(bars, window_bars, hop=DEFAULT_HOP_BARS):
    """Index of the first bar of every window a song's bars allow, (windows,) int64.

    A window is window_bars whole 4/4 bars in a row. Inside each run of such bars one window
    starts every `hop` bars, counting from the run's first bar.
    """
    if window_bars <= 0 or hop <= 0:
        raise ValueError("window and hop must be positive")
    first_bars = [np.arange(run_start, run_end - window_bars + 1, hop)
                  for run_start, run_end in zip(*four_four_runs(bars))]
    return np.concatenate(first_bars or [[]]).astype(np.int64)


def cut_windows(velocities, bars, window=WINDOW_STEPS, hop=DEFAULT_HOP_BARS):
    """Cut a (rows, steps) roll into windows of whole 4/4 bars, dropping the ones without a hit.

    Returns (first_bars, starts, windows): first_bars (N,) int64 index of each window's first bar,
    starts (N,) int64 its first step, windows (N, rows, window) copies of the roll's dtype.
    Which windows are empty comes from a running count of hit columns, so no empty window is
    ever materialized. ValueError when window is not a whole number of 4/4 bars.
    """
    first_bars = window_first_bars(bars, window_length_in_bars(window), hop)
    starts = bars.start[first_bars]
    hit_columns = np.concatenate([[0], np.cumsum(velocities.any(axis=0))])   # (steps + 1,)
    keep = hit_columns[starts + window] > hit_columns[starts]
    first_bars, starts = first_bars[keep], starts[keep]
    return first_bars, starts, windows_at(velocities, starts, window)


def windows_at(roll, starts, window):
    """Copies of a (rows, steps) roll's windows starting at each of starts (N,) -> (N, rows,
    window) of the roll's dtype (the same windows of a song's offsets as of its velocities)."""
    if len(starts) == 0:
        return np.zeros((0, roll.shape[0], window), roll.dtype)
    views = np.lib.stride_tricks.sliding_window_view(roll, window, axis=1)   # (rows, S, W)
    return views[:, starts].transpose(1, 0, 2).copy()                        # (N, rows, W)
