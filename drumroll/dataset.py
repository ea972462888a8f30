"""The trainer's dataset: every non-empty window of every song, and the songs themselves.

dataset.npz holds plain arrays only (it loads with allow_pickle=False). N windows, S songs,
B bars of all songs together, T steps of all songs together, K tempo changes of all songs,
E extra hits of all songs:
  version          () int64                  FORMAT_VERSION; files without it are refused
  images           (N, rows, window) uint8   drum-roll pictures, 0 = hit, 255 = none (as the PNGs)
  velocities       (N, rows, window) uint8   MIDI velocity of each hit, 0 where none
  offsets          (N, rows, window) int8    each hit's timing offset from its cell's grid line
                                             in 1/OFFSET_UNITS (256) of a step, 0 where none
  song             (N,) unicode              the window's song name (= song_names[song_index])
  start            (N,) int64                first step of the window in its song
  song_index       (N,) int64                the window's song, an index into the song arrays
  first_bar        (N,) int64                index of the window's first bar among its song's bars
  song_names       (S,) unicode              the stem of each song's MIDI file
  song_paths       (S,) unicode              the path it was read from, as midi2img was given it
  song_bpm         (S,) float64              the tempo that lasts longest in the song
  song_bar_offsets (S + 1,) int64            song s's bars are bars [off[s], off[s + 1])
  bar_start        (B,) int64                first step of each bar in its song
  bar_numerator, bar_denominator (B,) int64  each bar's meter
  bar_steps        (B,) int64                each bar's length (shorter than its meter says
                                             when cut short by a change of meter or the song's end)
  song_step_offsets (S + 1,) int64           song s's roll is rolls[:, off[s]:off[s + 1]]
  rolls            (rows, T) uint8           every song's whole velocity roll, one after another
  roll_offsets     (rows, T) int8            every song's offsets, as `offsets` (0 where no hit)
  roll_notes       (rows, T) uint8           the MIDI note each hit played, before the drum map
                                             put it on its row (0 where no hit)
  extra_step, extra_row (E,) int64           the cell (a column of rolls, a row) of each hit
                                             that shares its cell with a louder one (the roll
                                             holds one hit a cell), by step, row and time
  extra_offset     (E,) int8                 its offset from the cell's grid line, as offsets
  extra_velocity, extra_note (E,) uint8      its velocity and played note
  song_ticks_per_beat (S,) int64             each song's MIDI resolution
  bar_tick         (B,) float64              the tick of each bar line (a whole number of
                                             eighths of a tick, so exact)
  song_tempo_offsets (S + 1,) int64          song s's tempo map is tempo_*[off[s]:off[s + 1]]
  tempo_tick, tempo_us (K,) int64            a tempo (microseconds per beat) from a tick on; a
                                             song plays at 120 bpm until its first one
  drum_map_name    () unicode                the drum map the hits went onto rows with
  drum_map         (128,) int16              the row note of each played MIDI note, -1 = none
  row_names        (rows,) unicode           the map's name of each row's note
  hop_bars, window, lowest_note () int64     bars between windows, window length in steps,
                                             which note row 0 is
Windows are cut from whole 4/4 bars only (see drumroll.midi_in); the songs keep every bar, so
later work can cut longer contexts or look at the bars around a window. With the offsets, the
played notes, the bar ticks and the tempo maps, every song can be written back as it was
played (song_performance, drumroll.roundtrip).
"""
import collections
import dataclasses
import os
import zipfile

import numpy as np

from drumroll.cli import UserError, check_name, few_or_grouped, plural, without_path
from drumroll.drum_maps import (AUTO, MIDI_NOTES, NOT_MAPPED, DrumMap, choose_drum_map, gm_map,
                                map_from_arrays)
from drumroll.files import atomic_write
from drumroll.format import (
    DEFAULT_HOP_BARS, DRUM_CHANNEL, EMPTY_PIXEL, HIT_PIXEL, LOWEST_NOTE, NUM_ROWS, STEPS_PER_BAR,
    WINDOW_STEPS, as_bars,
)
from drumroll.dynamics import few_levels, usual_velocity
from drumroll.midi_in import (
    Bars, DrumRoll, ExtraHits, cut_windows, events_to_roll, four_four_runs, read_midi, scan_midi,
    window_first_bars, window_length_in_bars, windows_at,
)
from drumroll.phrases import bar_roles, form_statistics
from drumroll.windows import Windows

FORMAT_VERSION = 3
DATASET_NAME = "dataset.npz"     # the file midi2img.py writes into its output folder
MAX_NAME_BYTES = 200             # a song's name in UTF-8 (see fitting_name)
WINDOW_ARRAYS = ("images", "velocities", "offsets", "song", "start", "song_index", "first_bar")
SONG_ARRAYS = ("song_names", "song_paths", "song_bpm", "song_bar_offsets", "bar_start", "bar_numerator",
               "bar_denominator", "bar_steps", "song_step_offsets", "rolls", "roll_offsets",
               "roll_notes", "song_ticks_per_beat", "bar_tick", "song_tempo_offsets",
               "tempo_tick", "tempo_us", "extra_step", "extra_row", "extra_offset",
               "extra_velocity", "extra_note")
MAP_ARRAYS = ("drum_map_name", "drum_map", "row_names")
META = ("version", "hop_bars", "window", "lowest_note")
MAX_TICKS_PER_BEAT = 0x7FFF      # a MIDI file's resolution is 15 bits
MAX_TEMPO = 0xFFFFFF             # a MIDI tempo is 24 bits of microseconds per beat


@dataclasses.dataclass
class Dataset:
    """The arrays of dataset.npz (see the module docstring); bars holds bar_start (as
    bars.start), bar_numerator, bar_denominator and bar_steps of every song one after another."""
    images: np.ndarray             # (N, rows, window) uint8, 0 = hit
    velocities: np.ndarray         # (N, rows, window) uint8, 0 = no hit
    song: np.ndarray               # (N,) unicode
    start: np.ndarray              # (N,) int64
    song_index: np.ndarray         # (N,) int64
    first_bar: np.ndarray          # (N,) int64
    song_names: np.ndarray         # (S,) unicode
    song_bpm: np.ndarray           # (S,) float64
    song_bar_offsets: np.ndarray   # (S + 1,) int64
    bars: Bars                     # (B,) each
    song_step_offsets: np.ndarray  # (S + 1,) int64
    rolls: np.ndarray              # (rows, T) uint8
    hop_bars: int = DEFAULT_HOP_BARS
    window: int = WINDOW_STEPS
    lowest_note: int = LOWEST_NOTE
    offsets: np.ndarray = None             # (N, rows, window) int8
    roll_offsets: np.ndarray = None        # (rows, T) int8
    roll_notes: np.ndarray = None          # (rows, T) uint8
    song_ticks_per_beat: np.ndarray = None  # (S,) int64
    bar_tick: np.ndarray = None            # (B,) float64
    song_tempo_offsets: np.ndarray = None  # (S + 1,) int64
    tempo_tick: np.ndarray = None          # (K,) int64
    tempo_us: np.ndarray = None            # (K,) int64
    drum_map: DrumMap = None               # its name, table and row names as stored
    extra: ExtraHits = None                # (E,) each, step counted in rolls' columns
    song_paths: np.ndarray = None          # (S,) unicode, the file each song was read from

    @property
    def row_names(self):
        """(rows,) unicode: the drum map's name of each row."""
        return self.drum_map.row_names(self.lowest_note, self.rolls.shape[0])

    def note_names(self):
        """{note: name} of the rows, for pictures (drumroll.picture) and reports."""
        return {self.lowest_note + row: name for row, name in enumerate(self.row_names.tolist())}

    def __len__(self):
        return len(self.images)

    @property
    def num_songs(self):
        return len(self.song_names)

    @property
    def hop(self):
        """Steps between two windows in a run of 4/4 bars."""
        return self.hop_bars * STEPS_PER_BAR

    def names(self):
        """File stem of each window's PNG: <song>_<start>."""
        return [f"{song}_{start}" for song, start in zip(self.song.tolist(), self.start.tolist())]

    def song_roll(self, index):
        """(rows, steps) velocities of the whole song `index` (a view)."""
        return self.rolls[:, self.song_step_offsets[index]:self.song_step_offsets[index + 1]]

    def song_offsets(self, index):
        """(rows, steps) offsets of the whole song `index` (a view), as song_roll."""
        return self.roll_offsets[:, self.song_step_offsets[index]:
                                 self.song_step_offsets[index + 1]]

    def song_bars(self, index):
        """Bars of song `index`, steps counted from the song's start."""
        first, end = self.song_bar_offsets[index], self.song_bar_offsets[index + 1]
        return Bars(start=self.bars.start[first:end], numerator=self.bars.numerator[first:end],
                    denominator=self.bars.denominator[first:end], steps=self.bars.steps[first:end])


    def song_performance(self, index):
        """Song `index` as it was played: a DrumRoll with its velocities, offsets and played
        notes, bars and bar ticks, ticks per beat and tempo map (midi_out.performance_to_midi
        writes it back)."""
        steps = slice(self.song_step_offsets[index], self.song_step_offsets[index + 1])
        bars = slice(self.song_bar_offsets[index], self.song_bar_offsets[index + 1])
        tempos = slice(self.song_tempo_offsets[index], self.song_tempo_offsets[index + 1])
        extra = slice(*np.searchsorted(self.extra.step, [steps.start, steps.stop]).tolist())
        return DrumRoll(
            velocities=self.rolls[:, steps], offsets=self.roll_offsets[:, steps],
            notes=self.roll_notes[:, steps], lowest_note=self.lowest_note,
            bars=self.song_bars(index), bpm=float(self.song_bpm[index]),
            ticks_per_beat=int(self.song_ticks_per_beat[index]), bar_ticks=self.bar_tick[bars],
            tempos=list(zip(self.tempo_tick[tempos].tolist(), self.tempo_us[tempos].tolist())),
            extra=ExtraHits(step=self.extra.step[extra] - steps.start, row=self.extra.row[extra],
                            offset=self.extra.offset[extra],
                            velocity=self.extra.velocity[extra], note=self.extra.note[extra]))

    def four_four_runs(self, index):
        """Song `index`'s runs of whole 4/4 bars: [(first bar, velocities (bars, rows, 32))]."""
        bars, roll = self.song_bars(index), self.song_roll(index)
        runs = []
        for first, end in zip(*four_four_runs(bars)):
            steps = roll[:, bars.start[first]:bars.start[first] + (end - first) * STEPS_PER_BAR]
            runs.append((first, as_bars(steps)))
        return runs

    def median_tempo(self, keep):
        """The median tempo (bpm) of the songs of the windows selected by `keep`."""
        return float(np.median(self.song_bpm[np.unique(self.song_index[keep])]))

    def training_windows(self, keep):
        """The windows selected by the (N,) bool mask `keep` as Windows for a GAN: with their
        velocities, each one's song's usual level, each bar's role in its song, the form
        statistics and median tempo of the songs they come from, and the songs left out
        (roles and forms are read on runs of whole 4/4 bars; a bar of another meter breaks a
        run)."""
        songs = sorted(set(self.song_index[keep].tolist()))
        played = np.concatenate([[]] + [self.song_roll(song)[self.song_roll(song) > 0]
                                        for song in songs]).astype(np.int64)
        few = few_levels(played) is not None         # a transcription, or a continuum
        usual = np.zeros(self.num_songs, dtype=np.int64)
        roles = {}                                                  # song -> (bars,) roles
        runs = []
        for song in songs:
            usual[song] = usual_velocity(self.song_roll(song), few)
            song_roles = np.zeros(len(self.song_bars(song)), dtype=np.int8)
            for first, velocities in self.four_four_runs(song):
                song_roles[first:first + len(velocities)] = bar_roles(velocities > 0)
                runs.append(velocities > 0)
            roles[song] = song_roles
        window_bars = self.window // STEPS_PER_BAR
        window_roles = np.array([roles[song][first:first + window_bars] for song, first
                                 in zip(self.song_index[keep].tolist(),
                                        self.first_bar[keep].tolist())], dtype=np.int8)
        return Windows(images=self.images[keep], velocities=self.velocities[keep],
                       offsets=self.offsets[keep], usual=usual[self.song_index[keep]],
                       roles=window_roles.reshape(-1, window_bars), form=form_statistics(runs),
                       lowest_note=self.lowest_note, tempo=self.median_tempo(keep),
                       held_out=sorted(set(self.song[~keep].tolist())),
                       row_names=self.row_names.tolist())


@dataclasses.dataclass
class SongMeters:
    """How a song's bars went into windows, for the report."""
    name: str
    bars: Bars
    windows: int              # windows written (places with at least one hit)
    places: int               # bar lines a window could start on (at the hop)
    places_if_four_four: int  # the same if every bar but an incomplete last one were whole 4/4
    short_runs: int           # whole 4/4 bars in runs too short to hold a window

    @property
    def ends_inside_a_bar(self):
        return len(self.bars) > 0 and not self.bars.whole[-1]

    @property
    def odd_bars(self):
        """Bars that are not whole 4/4 bars, except an incomplete 4/4 bar at the very end (a
        song ending inside a bar never gave a window, before bars were read either)."""
        odd = ~self.bars.whole_four_four
        if self.ends_inside_a_bar and self.bars.full_steps[-1] == STEPS_PER_BAR:
            odd[-1] = False
        return int(np.count_nonzero(odd))

    def like_four_four(self):
        """{'2/2': bars}: whole bars a 4/4 bar long written in another meter (in windows)."""
        return collections.Counter(
            f"{numerator}/{denominator}" for (numerator, denominator), usable
            in zip(self.bars.meters(), self.bars.whole_four_four.tolist())
            if usable and (numerator, denominator) != (4, 4))

    def bar_counts(self):
        """'155 bars in 4/4, 8 bars in 2/2 (as 4/4), 6 bars in 1/4, 1 incomplete bar': whole bars
        by meter, 4/4 first."""
        counts = collections.Counter(
            f"{numerator}/{denominator}" for (numerator, denominator), whole
            in zip(self.bars.meters(), self.bars.whole.tolist()) if whole)
        meters = sorted(counts, key=lambda meter: meter != "4/4")   # stable: then file order
        like = self.like_four_four()
        parts = [plural(counts[meter], "bar") + f" in {meter}" + (" (as 4/4)" if meter in like
                                                                  else "") for meter in meters]
        incomplete = int(np.count_nonzero(~self.bars.whole))
        if incomplete:
            parts.append(plural(incomplete, "incomplete bar"))
        return ", ".join(parts)

    def line(self):
        return (f"{self.name}: {self.bar_counts()} (not cut into windows), "
                f"{plural(self.windows, 'window')}")


def song_meters(name, bars, windows, window_bars, hop):
    """-> SongMeters of a song whose bars gave `windows` windows."""
    places = len(window_first_bars(bars, window_bars, hop))
    uniform = len(bars) - (1 if len(bars) and not bars.whole[-1] else 0)
    places_if_four_four = len(range(0, uniform - window_bars + 1, hop))
    short_runs = sum(end - first for first, end in zip(*four_four_runs(bars))
                     if end - first < window_bars)
    return SongMeters(name=name, bars=bars, windows=windows, places=places,
                      places_if_four_four=places_if_four_four, short_runs=short_runs)


@dataclasses.dataclass
class Report:
    """What building a dataset did, for the one-screen summary midi2img prints."""
    lowest_note: int = LOWEST_NOTE
    num_rows: int = NUM_ROWS
    window_bars: int = WINDOW_STEPS // STEPS_PER_BAR
    read: list = dataclasses.field(default_factory=list)       # paths
    skipped: list = dataclasses.field(default_factory=list)    # (path, reason)
    renamed: list = dataclasses.field(default_factory=list)    # (path, song name used)
    shortened: list = dataclasses.field(default_factory=list)  # (path, song name used)
    songs: list = dataclasses.field(default_factory=list)      # SongMeters of each song read
    windows: int = 0
    onsets: int = 0
    moved: int = 0             # onsets off the grid (kept as offsets)
    merged: int = 0            # hits sharing a cell with a louder one
    dropped: collections.Counter = dataclasses.field(default_factory=collections.Counter)
    notes_per_row: np.ndarray = None
    drum_map: DrumMap = dataclasses.field(default_factory=gm_map)
    drum_map_reason: str = ""  # why that map (drum_maps.choose_drum_map)
    unmapped: collections.Counter = dataclasses.field(default_factory=collections.Counter)
    played: collections.Counter = dataclasses.field(default_factory=collections.Counter)

    def meter_lines(self):
        """Songs with bars in other meters, and what those bars cost."""
        odd = [song for song in self.songs if song.odd_bars]
        lines = []
        if odd:
            lines.append("songs with bars in other meters:")
            lines += [f"  {song.line()}" for song in odd]
            bars = sum(song.odd_bars for song in odd)
            total_bars = sum(len(song.bars) for song in self.songs)
            places = sum(song.places for song in odd)
            uniform = sum(song.places_if_four_four for song in odd)
            lines.append(f"other meters: {plural(bars, 'bar')} (of {total_bars}) in "
                         f"{plural(len(odd), 'song')}, never in a window")
            lines.append(f"  they cost {plural(uniform - places, 'window')}: those songs have "
                         f"{places} bar lines a window starts on, {uniform} if every bar were 4/4")
            short = sum(song.short_runs for song in odd)
            if short:
                lines.append(f"  {plural(short, 'bar')} of 4/4 between them in runs shorter than "
                             f"{self.window_bars} bars: in no window")
        like = collections.Counter()
        for song in self.songs:
            like.update(song.like_four_four())
        if like:
            songs = sum(bool(song.like_four_four()) for song in self.songs)
            meters = ", ".join(plural(count, "bar") + f" in {meter}" for meter, count in
                               sorted(like.items()))
            lines.append(f"bars as long as a 4/4 bar written in another meter, cut into windows "
                         f"as 4/4: {meters} ({plural(songs, 'song')})")
        ending = sum(song.ends_inside_a_bar for song in self.songs)
        if ending:
            lines.append(f"songs ending inside a bar: {ending} (that last, incomplete bar is in "
                         f"the song's roll, never in a window)")
        return lines

    def played_on_row(self, note):
        """'  (notes 22 x29,947, 42 x20,366)' when other notes than the row's own landed on it."""
        notes = {played: count for played, count in sorted(self.played.items())
                 if self.drum_map.table[played] == note}
        if set(notes) <= {note}:
            return ""
        return "  (notes " + ", ".join(f"{played} x{count:,}" for played, count
                                       in notes.items()) + ")"

    def lines(self):
        """The report as text lines."""
        lines = [f"files read: {len(self.read)}, skipped: {len(self.skipped)}"]
        lines += few_or_grouped("skipped", [(without_path(path, reason), f"skipped {reason}")
                                            for path, reason in self.skipped])
        renamed = [(why, f"{path}: song name {name!r} ({why})") for why, names in (
            ("its stem was already taken", self.renamed),
            ("its stem is too long for the names of its PNGs", self.shortened))
            for path, name in names]
        lines += few_or_grouped("renamed", renamed)
        lines.append(f"drum map: {self.drum_map.name}"
                     + (f" ({self.drum_map_reason})" if self.drum_map_reason else ""))
        lines += self.meter_lines()
        lines.append(f"windows written: {self.windows}")
        off_grid_share = 100.0 * self.moved / self.onsets if self.onsets else 0.0
        lines.append(f"drum onsets: {self.onsets:,}; off the grid: {self.moved:,} "
                     f"({off_grid_share:.1f}%, kept as offsets); hits sharing a cell: "
                     f"{self.merged:,} (the loudest in the roll, the others kept beside it)")
        lines.append(f"notes without a row in the {self.drum_map.name} map (dropped): "
                     + note_counts(self.unmapped))
        outside = self.dropped - self.unmapped
        if outside:
            last = self.lowest_note + self.num_rows - 1
            lines.append(f"notes on rows outside {self.lowest_note}..{last} (dropped): "
                         + note_counts(outside))
        if self.notes_per_row is not None and self.notes_per_row.any():   # none: nothing read
            lines.append("onsets per row:")
            for row, count in enumerate(self.notes_per_row.tolist()):
                if count:
                    note = self.lowest_note + row
                    lines.append(f"  row {row:2d}  note {note:3d}  "
                                 f"{self.drum_map.row_name(note):14s} {count:8,d}"
                                 + self.played_on_row(note))
            unused = [str(self.lowest_note + row)
                      for row, count in enumerate(self.notes_per_row.tolist()) if not count]
            if unused:
                lines.append(f"  rows without a hit: notes {' '.join(unused)}")
        return lines


def note_counts(counts):
    """Counter {note: count} -> '3 (note 0 x2, note 21 x1)', or '0'."""
    total = sum(counts.values())
    listed = ", ".join(f"note {note} x{count:,}" for note, count in sorted(counts.items()))
    return f"{total:,}" + (f" ({listed})" if listed else "")


def fitting_name(stem):
    """A song's name: the stem of its file, cut to MAX_NAME_BYTES of UTF-8, so that the
    names of its PNGs (<name>_<first step>.png) fit in a file name (255 bytes). A stem that
    fits is kept as it is, even with bytes that are not UTF-8."""
    data = stem.encode("utf-8", "surrogateescape")
    if len(data) <= MAX_NAME_BYTES:
        return stem
    return data[:MAX_NAME_BYTES].decode("utf-8", "ignore")


def unique_song_name(stem, taken):
    name, suffix = stem, 2
    while name in taken:
        name, suffix = f"{stem}-{suffix}", suffix + 1
    taken.add(name)
    return name


def velocities_to_pixels(velocities):
    """(..., rows, steps) velocities -> uint8 image, 0 where hit (as hits_to_pixels, but
    without its int64 temporary: this runs on every window of every song)."""
    pixels = np.full(velocities.shape, EMPTY_PIXEL, dtype=np.uint8)
    pixels[velocities > 0] = HIT_PIXEL
    return pixels


def concatenate_bars(bars):
    """[Bars] -> one Bars holding them all, in order."""
    fields = ("start", "numerator", "denominator", "steps")
    return Bars(**{field: np.concatenate([np.zeros(0, np.int64)]
                                         + [getattr(one, field) for one in bars]).astype(np.int64)
                   for field in fields})


def concatenate_extra_hits(extras, song_steps):
    """[ExtraHits] of songs laid end to end ([their lengths in steps]) -> one ExtraHits, steps
    counted from the first song's start."""
    first_steps, empty = offsets(song_steps)[:-1], ExtraHits.none()
    joined = {field.name: np.concatenate([getattr(empty, field.name)]
                                         + [getattr(extra, field.name) for extra in extras])
              for field in dataclasses.fields(ExtraHits)}
    joined["step"] = joined["step"] + np.repeat(first_steps, [len(extra) for extra in extras])
    return ExtraHits(**joined)


def offsets(lengths):
    """[lengths] -> (len + 1,) int64 offsets of pieces laid end to end."""
    return np.concatenate([[0], np.cumsum(lengths, dtype=np.int64)]).astype(np.int64)


def dataset_from_rolls(songs, window=WINDOW_STEPS, hop=DEFAULT_HOP_BARS, lowest_note=LOWEST_NOTE,
                       num_rows=NUM_ROWS, drum_map=None, paths=None):
    """[(song name, DrumRoll)] -> Dataset: every song, and its windows that hold a hit.

    drum_map: the DrumMap the rolls were read with (default General MIDI), stored with them;
    paths: the file each song was read from (default: its name).
    ValueError when window is not a whole number of 4/4 bars.
    """
    images, velocities, timings, starts, first_bars, song_index = [], [], [], [], [], []
    for index, (_, roll) in enumerate(songs):
        # (W,), (W,), (W, rows, window)
        song_first_bars, song_starts, windows = cut_windows(roll.velocities, roll.bars, window, hop)
        velocities.append(windows)
        timings.append(windows_at(roll.offsets, song_starts, window))
        images.append(velocities_to_pixels(windows))
        starts.append(song_starts)
        first_bars.append(song_first_bars)
        song_index.append(np.full(len(song_starts), index, dtype=np.int64))
    names = np.array([name for name, _ in songs], dtype=np.str_).reshape(-1)
    empty_windows = np.zeros((0, num_rows, window), dtype=np.uint8)
    empty_index = np.zeros(0, dtype=np.int64)
    song_index = np.concatenate([empty_index] + song_index)
    tempos = [tempo for _, roll in songs for tempo in roll.tempos]      # (tick, microseconds)

    def whole_songs(field, dtype):
        """One song's (rows, steps) field after another -> (rows, T)."""
        return np.concatenate([np.zeros((num_rows, 0), dtype)]
                              + [getattr(roll, field) for _, roll in songs], axis=1)

    return Dataset(
        images=np.concatenate([empty_windows] + images),
        velocities=np.concatenate([empty_windows] + velocities),
        song=names[song_index] if len(names) else np.array([], dtype=np.str_),
        start=np.concatenate([empty_index] + starts),
        song_index=song_index,
        first_bar=np.concatenate([empty_index] + first_bars),
        song_names=names,
        song_bpm=np.array([roll.bpm for _, roll in songs], dtype=np.float64),
        song_bar_offsets=offsets([len(roll.bars) for _, roll in songs]),
        bars=concatenate_bars([roll.bars for _, roll in songs]),
        song_step_offsets=offsets([roll.num_steps for _, roll in songs]),
        rolls=whole_songs("velocities", np.uint8),
        hop_bars=hop, window=window, lowest_note=lowest_note,
        offsets=np.concatenate([empty_windows.astype(np.int8)] + timings),
        roll_offsets=whole_songs("offsets", np.int8),
        roll_notes=whole_songs("notes", np.uint8),
        song_ticks_per_beat=np.array([roll.ticks_per_beat for _, roll in songs], dtype=np.int64),
        bar_tick=np.concatenate([np.zeros(0)] + [roll.bar_ticks for _, roll in songs]
                                ).astype(np.float64),
        song_tempo_offsets=offsets([len(roll.tempos) for _, roll in songs]),
        tempo_tick=np.array([tick for tick, _ in tempos], dtype=np.int64),
        tempo_us=np.array([tempo for _, tempo in tempos], dtype=np.int64),
        drum_map=drum_map or gm_map(),
        extra=concatenate_extra_hits([roll.extra for _, roll in songs],
                                     [roll.num_steps for _, roll in songs]),
        song_paths=np.array([os.fspath(path) for path in paths] if paths is not None else names,
                            dtype=np.str_).reshape(-1),
    )


def check_window(window):
    """Window length in steps -> in bars; UserError unless a whole number of 4/4 bars."""
    try:
        return window_length_in_bars(window)
    except ValueError as error:
        raise UserError(f"--window {window}: {error}") from None


def scan_files(midi_paths, progress=None, channel=DRUM_CHANNEL):
    """Read every file once -> [its MidiEvents on that channel, or the UserError that refused
    it], in order. progress: optional drumroll.cli.Progress, updated after each file."""
    scanned = []
    for index, path in enumerate(midi_paths):
        try:
            scanned.append(scan_midi(read_midi(path), channel))
        except UserError as error:
            scanned.append(error)
        if progress is not None:
            progress.update(index + 1, extra=os.path.basename(path))
    return scanned


def played_notes(scanned):
    """Every drum note played in the files scan_files read."""
    return set().union(*(np.unique(events.notes).tolist() for events in scanned
                         if not isinstance(events, UserError)))


def build_dataset(midi_paths, window=WINDOW_STEPS, hop=DEFAULT_HOP_BARS, lowest_note=LOWEST_NOTE,
                  num_rows=NUM_ROWS, progress=None, drum_map=AUTO, channel=DRUM_CHANNEL):
    """Read MIDI files and cut their rolls into windows -> (Dataset, Report).

    window: steps, a whole number of 4/4 bars (else UserError); hop: bars between windows.
    drum_map: auto, gm, roland or a map file (drum_maps.choose_drum_map; auto looks at the notes
    every file plays), or a DrumMap. A file that cannot be used, or has no run of enough whole
    4/4 bars for one window, is recorded in report.skipped and the batch goes on.
    progress: optional drumroll.cli.Progress, updated after each file is read. channel: the
    MIDI channel of the drums, 0-15.
    """
    window_bars = check_window(window)
    scanned = scan_files(midi_paths, progress, channel)
    reason = "given"
    if not isinstance(drum_map, DrumMap):
        drum_map, reason = choose_drum_map(drum_map, played_notes(scanned))
    report = Report(lowest_note=lowest_note, num_rows=num_rows, window_bars=window_bars,
                    notes_per_row=np.zeros(num_rows, dtype=np.int64), drum_map=drum_map,
                    drum_map_reason=reason)
    taken = set()
    songs = []
    for path, events in zip(midi_paths, scanned):
        try:
            if isinstance(events, UserError):
                raise events
            roll = events_to_roll(events, lowest_note, num_rows, os.fspath(path), drum_map)
        except UserError as error:
            report.skipped.append((path, str(error)))
        else:
            if len(window_first_bars(roll.bars, window_bars, hop)) == 0:
                counts = song_meters("", roll.bars, 0, window_bars, hop).bar_counts()
                report.skipped.append((path, f"{path}: no {window_bars} whole 4/4 bars (or bars as "
                                             f"long, as 2/2) in a row to cut a window from "
                                             f"({counts})"))
            else:
                report.read.append(path)
                stem = os.path.splitext(os.path.basename(path))[0]
                song = unique_song_name(fitting_name(stem), taken)
                if fitting_name(stem) != stem:
                    report.shortened.append((path, song))
                elif song != stem:
                    report.renamed.append((path, song))
                report.onsets += roll.onsets
                report.moved += roll.moved
                report.merged += roll.merged
                report.dropped.update(roll.dropped)
                report.unmapped.update(roll.unmapped)
                report.played.update(roll.played)
                report.notes_per_row += roll.notes_per_row
                songs.append((song, roll))
    dataset = dataset_from_rolls(songs, window, hop, lowest_note, num_rows, drum_map,
                                 paths=report.read)
    windows_per_song = np.bincount(dataset.song_index, minlength=len(songs)).tolist()
    report.songs = [song_meters(name, roll.bars, count, window_bars, hop)
                    for (name, roll), count in zip(songs, windows_per_song)]
    report.windows = len(dataset)
    return dataset, report


def dataset_arrays(dataset):
    """Dataset -> {name: array} as stored in dataset.npz."""
    return dict(
        version=np.int64(FORMAT_VERSION),
        images=dataset.images, velocities=dataset.velocities, song=dataset.song,
        start=dataset.start, song_index=dataset.song_index, first_bar=dataset.first_bar,
        song_names=dataset.song_names, song_paths=dataset.song_paths, song_bpm=dataset.song_bpm,
        song_bar_offsets=dataset.song_bar_offsets,
        bar_start=dataset.bars.start, bar_numerator=dataset.bars.numerator,
        bar_denominator=dataset.bars.denominator, bar_steps=dataset.bars.steps,
        song_step_offsets=dataset.song_step_offsets, rolls=dataset.rolls,
        hop_bars=np.int64(dataset.hop_bars), window=np.int64(dataset.window),
        lowest_note=np.int64(dataset.lowest_note),
        offsets=dataset.offsets, roll_offsets=dataset.roll_offsets, roll_notes=dataset.roll_notes,
        song_ticks_per_beat=dataset.song_ticks_per_beat, bar_tick=dataset.bar_tick,
        song_tempo_offsets=dataset.song_tempo_offsets, tempo_tick=dataset.tempo_tick,
        tempo_us=dataset.tempo_us, drum_map_name=np.str_(dataset.drum_map.name),
        drum_map=dataset.drum_map.table.astype(np.int16), row_names=dataset.row_names,
        **{f"extra_{field.name}": getattr(dataset.extra, field.name)
           for field in dataclasses.fields(ExtraHits)})


def save_dataset(path, dataset):
    """Write dataset.npz atomically (plain arrays, no pickles)."""
    path = os.fspath(path)
    try:
        with atomic_write(path) as handle:
            np.savez(handle, **dataset_arrays(dataset))
    except OSError as error:
        raise UserError(f"{path}: cannot write ({error.strerror or error})") from None


def read_arrays(path):
    """Every array of an .npz file -> {name: array}; UserError when it is not one.

    A folder holding a dataset.npz (as midi2img --out writes it) stands for that file.
    """
    check_name(path, "dataset")
    if os.path.isdir(path):
        inside = os.path.join(path, DATASET_NAME)
        if not os.path.isfile(inside):
            raise UserError(f"{path}: a folder without a {DATASET_NAME}; give the dataset file "
                            "midi2img.py wrote (run `make dataset` first)")
        path = inside
    if not os.path.isfile(path):
        raise UserError(f"{path}: no such dataset file (run `make dataset` first)")
    try:
        with open(path, "rb") as handle:
            header = handle.read(6)
        if not zipfile.is_zipfile(path):
            # numpy would take any other bytes for a pickle, and say so: never the reason
            what = "a single NumPy array, " if header == b"\x93NUMPY" else ""
            raise UserError(f"{path}: not a dataset file ({what}not an .npz archive of arrays)")
        with np.load(path, allow_pickle=False) as npz:
            return {name: npz[name] for name in npz.files}
    except ValueError as error:         # an array of Python objects: never loaded
        if "allow_pickle" not in str(error):
            raise UserError(f"{path}: not a dataset file ({error})") from None
        raise UserError(f"{path}: not a dataset file (it holds Python objects, not plain "
                        "arrays)") from None
    except (OSError, EOFError, zipfile.BadZipFile) as error:
        raise UserError(f"{path}: not a dataset file ({error})") from None


def check_arrays(path, arrays, height):
    """Refuse (UserError naming the file) anything a dataset.npz of this version cannot hold."""
    def require(condition, message):
        if not condition:
            raise UserError(f"{path}: {message}")

    def integers(name, shape):
        value = arrays[name]
        require(value.dtype.kind in "iu" and value.shape == shape,
                f"{name} must be {shape} integers, got {value.dtype} {value.shape}")
        return value.astype(np.int64)

    def offsets_of(name, count, total):
        value = integers(name, (count + 1,))
        require(value[0] == 0 and value[-1] == total and np.all(np.diff(value) >= 0),
                f"{name} must rise from 0 to {total}")
        return value

    for name in META:
        value = arrays[name]
        require(value.shape == () and value.dtype.kind in "iu", f"{name} must be a single integer")
    images, velocities = arrays["images"], arrays["velocities"]
    require(images.dtype == np.uint8 and images.ndim == 3,
            f"images must be uint8 (N, rows, steps), got {images.dtype} {images.shape}")
    count, rows, window = images.shape
    require(count > 0, "the dataset holds no images")
    require(height is None or rows == height, f"images are {rows} rows high, expected {height}")
    lowest_note = int(arrays["lowest_note"])
    require(0 <= lowest_note <= 128 - rows, f"lowest_note is {lowest_note}; with {rows} rows it "
                                            f"must be a MIDI note from 0 to {128 - rows}")
    require(int(arrays["hop_bars"]) >= 1, "hop_bars must be at least 1")
    require(window == int(arrays["window"]), f"images are {window} steps wide, window says "
                                             f"{int(arrays['window'])}")
    require(velocities.dtype == np.uint8 and velocities.shape == images.shape,
            f"velocities must be uint8 shaped like images {images.shape}, "
            f"got {velocities.dtype} {velocities.shape}")
    song, names, bpm = arrays["song"], arrays["song_names"], arrays["song_bpm"]
    require(song.dtype.kind == "U" and song.shape == (count,),
            f"song must be ({count},) strings, got {song.dtype} {song.shape}")
    require(names.dtype.kind == "U" and names.ndim == 1 and len(names) > 0,
            f"song_names must be (songs,) strings, got {names.dtype} {names.shape}")
    num_songs = len(names)
    require(bpm.dtype.kind == "f" and bpm.shape == (num_songs,) and np.all(bpm > 0),
            f"song_bpm must be ({num_songs},) positive numbers")
    rolls = arrays["rolls"]
    require(rolls.dtype == np.uint8 and rolls.ndim == 2 and rolls.shape[0] == rows,
            f"rolls must be uint8 ({rows}, steps), got {rolls.dtype} {rolls.shape}")
    step_offsets = offsets_of("song_step_offsets", num_songs, rolls.shape[1])
    num_bars = len(arrays["bar_start"])
    bar_offsets = offsets_of("song_bar_offsets", num_songs, num_bars)
    bars = Bars(*(integers(f"bar_{field}", (num_bars,))
                  for field in ("start", "numerator", "denominator", "steps")))
    require(np.all(bars.numerator > 0) and np.all(bars.denominator > 0)
            and np.all(bars.steps > 0), "bars must have a positive meter and length")
    # each song's bars tile its roll: laid end to end they start where the roll says
    song_of_bar = np.repeat(np.arange(num_songs), np.diff(bar_offsets))
    require(np.array_equal(bars.start + step_offsets[song_of_bar], offsets(bars.steps)[:-1])
            and bars.steps.sum() == rolls.shape[1], "bars do not tile the songs' rolls")
    start, song_index = integers("start", (count,)), integers("song_index", (count,))
    first_bar = integers("first_bar", (count,))
    require(np.all((song_index >= 0) & (song_index < num_songs)), "song_index out of range")
    require(np.array_equal(names[song_index], song), "song differs from song_names[song_index]")
    song_paths = arrays["song_paths"]
    require(song_paths.dtype.kind == "U" and song_paths.shape == names.shape,
            f"song_paths must be ({num_songs},) strings, got {song_paths.dtype} "
            f"{song_paths.shape}")
    bar = bar_offsets[song_index] + first_bar
    require(np.all((first_bar >= 0) & (bar < bar_offsets[song_index + 1])),
            "first_bar out of range")
    require(np.array_equal(bars.start[bar], start), "start differs from its first bar's start")
    song_steps = np.diff(step_offsets)
    require(np.all(start + window <= song_steps[song_index]), "a window ends after its song")
    return Dataset(images=images, velocities=velocities, song=song, start=start,
                   song_index=song_index, first_bar=first_bar, song_names=names, song_bpm=bpm,
                   song_bar_offsets=bar_offsets, bars=bars, song_step_offsets=step_offsets,
                   rolls=rolls, hop_bars=int(arrays["hop_bars"]), window=window,
                   lowest_note=int(arrays["lowest_note"]), song_paths=song_paths,
                   **check_performance_arrays(path, arrays, velocities, rolls, bar_offsets))


def check_performance_arrays(path, arrays, velocities, rolls, bar_offsets):
    """Check what a dataset keeps of how its songs were played (offsets, played notes, bar
    ticks, tempo maps, drum map) -> those Dataset fields; UserError naming the file."""
    def require(condition, message):
        if not condition:
            raise UserError(f"{path}: {message}")

    def shaped(name, dtype, like):
        value = arrays[name]
        require(value.dtype == dtype and value.shape == like.shape,
                f"{name} must be {np.dtype(dtype).name} shaped {like.shape}, "
                f"got {value.dtype} {value.shape}")
        require(not np.any(value[like == 0]), f"{name} must be 0 where there is no hit")
        return value

    def integers(name, count, low, high):
        value = arrays[name]
        require(value.dtype.kind in "iu" and value.shape == (count,)
                and np.all((value >= low) & (value <= high)),
                f"{name} must be ({count},) integers from {low} to {high}")
        return value.astype(np.int64)

    num_songs, num_bars = len(bar_offsets) - 1, int(bar_offsets[-1])
    offsets = shaped("offsets", np.int8, velocities)
    roll_offsets, roll_notes = shaped("roll_offsets", np.int8, rolls), \
        shaped("roll_notes", np.uint8, rolls)
    require(np.all(roll_notes < MIDI_NOTES), "roll_notes must be MIDI notes (0..127)")
    ticks_per_beat = integers("song_ticks_per_beat", num_songs, 1, MAX_TICKS_PER_BEAT)
    bar_tick = arrays["bar_tick"]
    require(bar_tick.dtype.kind == "f" and bar_tick.shape == (num_bars,)
            and np.all(bar_tick >= 0) and np.all(bar_tick * 8 == np.round(bar_tick * 8)),
            f"bar_tick must be ({num_bars},) ticks, each a whole number of eighths")
    song_of_bar = np.repeat(np.arange(num_songs), np.diff(bar_offsets))
    require(np.all(np.diff(bar_tick)[song_of_bar[1:] == song_of_bar[:-1]] > 0),
            "bar_tick must rise bar by bar within each song")
    tempo_offsets = arrays["song_tempo_offsets"]
    num_tempos = len(arrays["tempo_tick"])
    require(tempo_offsets.dtype.kind in "iu" and tempo_offsets.shape == (num_songs + 1,)
            and tempo_offsets[0] == 0 and tempo_offsets[-1] == num_tempos
            and np.all(np.diff(tempo_offsets) >= 0),
            f"song_tempo_offsets must rise from 0 to {num_tempos}")
    tempo_offsets = tempo_offsets.astype(np.int64)
    tempo_tick = integers("tempo_tick", num_tempos, 0, np.iinfo(np.int64).max)
    tempo_us = integers("tempo_us", num_tempos, 1, MAX_TEMPO)
    song_of_tempo = np.repeat(np.arange(num_songs), np.diff(tempo_offsets))
    require(np.all(np.diff(tempo_tick)[song_of_tempo[1:] == song_of_tempo[:-1]] > 0),
            "tempo_tick must rise within each song")
    num_extra = len(arrays["extra_step"])
    extra = ExtraHits(
        step=integers("extra_step", num_extra, 0, rolls.shape[1] - 1),
        row=integers("extra_row", num_extra, 0, len(rolls) - 1),
        **{field: arrays[f"extra_{field}"] for field in ("offset", "velocity", "note")})
    for field, dtype in (("offset", np.int8), ("velocity", np.uint8), ("note", np.uint8)):
        value = getattr(extra, field)
        require(value.dtype == dtype and value.shape == (num_extra,),
                f"extra_{field} must be ({num_extra},) {np.dtype(dtype).name}")
    require(np.all(extra.step[1:] >= extra.step[:-1]), "extra_step must be sorted")
    require(np.all((extra.velocity > 0) & (extra.velocity <= rolls[extra.row, extra.step]))
            and np.all(extra.note < MIDI_NOTES),
            "an extra hit must share a cell with a hit of the roll at least as loud")
    name, table, row_names = (arrays[name] for name in MAP_ARRAYS)
    require(name.dtype.kind == "U" and name.shape == (), "drum_map_name must be one string")
    integers("drum_map", MIDI_NOTES, NOT_MAPPED, MIDI_NOTES - 1)
    require(row_names.dtype.kind == "U" and row_names.shape == (len(rolls),),
            f"row_names must be ({len(rolls)},) strings, got {row_names.dtype} "
            f"{row_names.shape}")
    return dict(offsets=offsets, roll_offsets=roll_offsets, roll_notes=roll_notes,
                song_ticks_per_beat=ticks_per_beat, bar_tick=bar_tick.astype(np.float64),
                song_tempo_offsets=tempo_offsets, tempo_tick=tempo_tick, tempo_us=tempo_us,
                drum_map=map_from_arrays(name, table, row_names, int(arrays["lowest_note"])),
                extra=extra)


def load_dataset(path, height=NUM_ROWS):
    """Read and check a dataset.npz -> Dataset. UserError naming the file on anything wrong.

    height: the number of rows the caller needs (None accepts any).
    """
    path = os.fspath(path)
    arrays = read_arrays(path)
    if "version" not in arrays:
        if "images" in arrays and "song" in arrays:
            raise UserError(f"{path}: a dataset in an older format (no version number); "
                            f"run `make dataset` again")
        raise UserError(f"{path}: not a dataset file (no version number)")
    version = arrays["version"]
    if version.shape != () or version.dtype.kind not in "iu" or int(version) != FORMAT_VERSION:
        raise UserError(f"{path}: a dataset in format version {version}, this program reads "
                        f"version {FORMAT_VERSION}; run `make dataset` again")
    missing = [name for name in WINDOW_ARRAYS + SONG_ARRAYS + MAP_ARRAYS + META
               if name not in arrays]
    if missing:
        raise UserError(f"{path}: not a dataset file (missing arrays: {', '.join(missing)})")
    return check_arrays(path, arrays, height)
