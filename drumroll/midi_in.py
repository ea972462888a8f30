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

The whole read is one pass over the messages plus NumPy work, so it is linear in the number of
events; mido's own parsing dominates.
"""
import collections
import dataclasses
import os

import mido
import numpy as np

from drumroll.cli import UserError, check_name
from drumroll.files import unreadable_input
from drumroll.format import (
    DEFAULT_HOP_BARS, DRUM_CHANNEL, FOLDED_NOTES, LOWEST_NOTE, MIDI_DEFAULT_TEMPO, NUM_ROWS,
    STEPS_PER_BAR, STEPS_PER_BEAT, STEPS_PER_WHOLE_NOTE, WINDOW_STEPS,
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
class DrumRoll:
    """One song's drum hits on the grid, its bars, and what quantizing them did.

    velocities: (rows, steps) uint8, the MIDI velocity of the hit in each cell, 0 where none
                (the loudest one when several onsets land in the same cell).
    bars:       the song's Bars, covering exactly its steps (4/4 throughout when not given).
    bpm:        the tempo that lasts longest in the song (see main_tempo).
    """
    velocities: np.ndarray
    lowest_note: int = LOWEST_NOTE
    onsets: int = 0            # note_on hits on the drum channel, every note
    moved: int = 0             # onsets that were not exactly on a grid line
    merged: int = 0            # in-range onsets that landed in an already hit cell
    dropped: collections.Counter = dataclasses.field(default_factory=collections.Counter)
    notes_per_row: np.ndarray = None   # (rows,) in-range onsets per row, before merging
    bars: Bars = None
    bpm: float = mido.tempo2bpm(MIDI_DEFAULT_TEMPO)

    def __post_init__(self):
        if self.bars is None:
            self.bars = four_four_bars(self.num_steps)

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
    channels:   {channel (0-15): note_on hits} on every channel, for a message naming them
    """
    ticks: np.ndarray
    notes: np.ndarray
    velocities: np.ndarray
    end_tick: int
    signatures: list
    tempos: list
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
        tempos=sorted(tempos.items()), channels=channels)


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


def check_tempos(tempos, name):
    """UserError naming the file when a set_tempo holds 0 microseconds per beat: no tempo at
    all (a beat that takes no time), which no bpm can stand for."""
    zero = [tick for tick, tempo in tempos if tempo == 0]
    if zero:
        raise UserError(f"{name}: a tempo of 0 microseconds per beat at tick {zero[0]} (not a "
                        "playable tempo; a broken file?)")


def onsets_to_roll(ticks, notes, velocities, ticks_per_beat, lowest_note=LOWEST_NOTE,
                   num_rows=NUM_ROWS, end_tick=0, signatures=()):
    """Quantize onsets into a DrumRoll of num_rows rows starting at lowest_note.

    ticks, notes, velocities: (onsets,) int arrays; signatures: the time-signature map as in
    bar_lines (empty = 4/4). Notes are folded first (35 -> 36); notes outside the range are
    dropped and counted per note. The roll lasts until the step of end_tick (the end of the
    song) or one step past the last hit, whichever is later; a roll without any hit in range has
    no steps. ValueError for a meter whose bar is not a whole number of steps, or a song longer
    than MAX_SONG_BARS.
    """
    fold = np.arange(128)
    for note, folded in FOLDED_NOTES.items():
        fold[note] = folded
    notes = fold[notes]
    rows = notes - lowest_note
    keep = (rows >= 0) & (rows < num_rows)
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
    roll = np.zeros((num_rows, num_steps), dtype=np.uint8)
    np.maximum.at(roll, (rows, steps), velocities[keep].astype(np.uint8))
    occupied_cells = int(np.count_nonzero(roll))
    return DrumRoll(
        velocities=roll,
        lowest_note=lowest_note,
        onsets=int(ticks.size),
        moved=int(np.count_nonzero(~on_grid[:-1])),
        merged=int(rows.size) - occupied_cells,
        dropped=dropped,
        notes_per_row=np.bincount(rows, minlength=num_rows),
        bars=song_bars(lines, num_steps),
    )


def midi_to_roll(midi, lowest_note=LOWEST_NOTE, num_rows=NUM_ROWS, name="<midi>",
                 channel=DRUM_CHANNEL):
    """Parsed mido.MidiFile -> DrumRoll of the drums on `channel` (0-15). UserError when the
    file has no drum hits at all or a meter that does not fit the grid."""
    events = scan_midi(midi, channel)
    if events.ticks.size == 0:
        raise no_notes_on_channel(name, channel, events.channels)
    try:
        roll = onsets_to_roll(events.ticks, events.notes, events.velocities, midi.ticks_per_beat,
                              lowest_note, num_rows, events.end_tick, events.signatures)
    except ValueError as error:
        raise UserError(f"{name}: {error}") from None
    if roll.num_steps == 0:
        last = lowest_note + num_rows - 1
        raise UserError(f"{name}: no drum notes in the range {lowest_note}..{last}")
    check_tempos(events.tempos, name)
    roll.bpm = main_tempo(events.tempos, events.end_tick)
    return roll


def read_drum_roll(path, lowest_note=LOWEST_NOTE, num_rows=NUM_ROWS, channel=DRUM_CHANNEL):
    """MIDI file on disk -> DrumRoll (UserError on a bad file or one without drums)."""
    return midi_to_roll(read_midi(path), lowest_note, num_rows, name=os.fspath(path),
                        channel=channel)


def no_notes_on_channel(name, channel, channels):
    """The one-line UserError for a file without notes on `channel` (0-15), naming the
    channels (1-16, as --channel takes them) that do hold notes."""
    found = [number + 1 for number in sorted(channels)]
    where = (f"its notes are on channel{'s' if len(found) > 1 else ''} "
             f"{', '.join(map(str, found))}: --channel {found[0]} reads them"
             if found else "it holds no notes at all")
    return UserError(f"{name}: no drum notes on MIDI channel {channel + 1} ({where})")


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
    if starts.size == 0:
        return first_bars, starts, np.zeros((0, velocities.shape[0], window), velocities.dtype)
    views = np.lib.stride_tricks.sliding_window_view(velocities, window, axis=1)  # (rows, S, W)
    windows = views[:, starts].transpose(1, 0, 2).copy()                          # (N, rows, W)
    return first_bars, starts, windows
