"""The trainer's dataset: every non-empty window of every song, and the songs themselves.

dataset.npz holds plain arrays only (it loads with allow_pickle=False). N windows, S songs,
B bars of all songs together, T steps of all songs together:
  version          () int64                  FORMAT_VERSION; files without it are refused
  images           (N, rows, window) uint8   drum-roll pictures, 0 = hit, 255 = none (as the PNGs)
  velocities       (N, rows, window) uint8   MIDI velocity of each hit, 0 where none
  song             (N,) unicode              the window's song name (= song_names[song_index])
  start            (N,) int64                first step of the window in its song
  song_index       (N,) int64                the window's song, an index into the song arrays
  first_bar        (N,) int64                index of the window's first bar among its song's bars
  song_names       (S,) unicode              the stem of each song's MIDI file
  song_bpm         (S,) float64              the tempo that lasts longest in the song
  song_bar_offsets (S + 1,) int64            song s's bars are bars [off[s], off[s + 1])
  bar_start        (B,) int64                first step of each bar in its song
  bar_numerator, bar_denominator (B,) int64  each bar's meter
  bar_steps        (B,) int64                each bar's length (shorter than its meter says
                                             when cut short by a change of meter or the song's end)
  song_step_offsets (S + 1,) int64           song s's roll is rolls[:, off[s]:off[s + 1]]
  rolls            (rows, T) uint8           every song's whole velocity roll, one after another
  hop_bars, window, lowest_note () int64     bars between windows, window length in steps,
                                             which note row 0 is
Windows are cut from whole 4/4 bars only (see drumroll.midi_in); the songs keep every bar, so
later work can cut longer contexts or look at the bars around a window.
"""
import collections
import dataclasses
import os
import zipfile

import numpy as np

from drumroll.cli import UserError, check_name, few_or_grouped, without_path
from drumroll.files import atomic_write
from drumroll.format import (
    DEFAULT_HOP_BARS, EMPTY_PIXEL, HIT_PIXEL, LOWEST_NOTE, NOTE_NAMES, NUM_ROWS, STEPS_PER_BAR,
    WINDOW_STEPS, pixels_to_hits,
)
from drumroll.format import DRUM_CHANNEL
from drumroll.dynamics import velocity_levels
from drumroll.midi_in import (
    Bars, cut_windows, four_four_runs, read_drum_roll, window_first_bars, window_length_in_bars,
)
from drumroll.phrases import bar_roles, form_statistics

FORMAT_VERSION = 2
DATASET_NAME = "dataset.npz"     # the file midi2img.py writes into its output folder
MAX_NAME_BYTES = 200             # a song's name in UTF-8 (see fitting_name)
WINDOW_ARRAYS = ("images", "velocities", "song", "start", "song_index", "first_bar")
SONG_ARRAYS = ("song_names", "song_bpm", "song_bar_offsets", "bar_start", "bar_numerator",
               "bar_denominator", "bar_steps", "song_step_offsets", "rolls")
META = ("version", "hop_bars", "window", "lowest_note")


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

    def song_bars(self, index):
        """Bars of song `index`, steps counted from the song's start."""
        first, end = self.song_bar_offsets[index], self.song_bar_offsets[index + 1]
        return Bars(start=self.bars.start[first:end], numerator=self.bars.numerator[first:end],
                    denominator=self.bars.denominator[first:end], steps=self.bars.steps[first:end])


    def four_four_runs(self, index):
        """Song `index`'s runs of whole 4/4 bars: [(first bar, velocities (bars, rows, 32))]."""
        bars, roll = self.song_bars(index), self.song_roll(index)
        runs = []
        for first, end in zip(*four_four_runs(bars)):
            steps = roll[:, bars.start[first]:bars.start[first] + (end - first) * STEPS_PER_BAR]
            runs.append((first, steps.reshape(len(roll), end - first, STEPS_PER_BAR)
                         .transpose(1, 0, 2)))
        return runs

    def median_tempo(self, keep):
        """The median tempo (bpm) of the songs of the windows selected by `keep`."""
        return float(np.median(self.song_bpm[np.unique(self.song_index[keep])]))

    def training_windows(self, keep):
        """The windows selected by the (N,) bool mask `keep` as Windows for a GAN: with their
        velocities, each one's song's usual level, each bar's role in its song and the form
        statistics of the songs they come from (roles and forms are read on runs of whole 4/4
        bars; a bar of another meter breaks a run)."""
        songs = sorted(set(self.song_index[keep].tolist()))
        usual = np.zeros(self.num_songs, dtype=np.int64)
        roles = {}                                                  # song -> (bars,) roles
        runs = []
        for song in songs:
            usual[song] = velocity_levels(self.song_roll(song))[1]
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
                       usual=usual[self.song_index[keep]],
                       roles=window_roles.reshape(-1, window_bars), form=form_statistics(runs))


@dataclasses.dataclass
class Windows:
    """What a drum GAN trains on: 8-bar windows and, for each, what its song says about it."""
    images: np.ndarray               # (N, 25, 256) uint8 drum rolls, 0 = hit
    velocities: np.ndarray = None    # (N, 25, 256) uint8 MIDI velocities, 0 = no hit
    usual: np.ndarray = None         # (N,) the usual (most played) velocity of each one's song
    roles: np.ndarray = None         # (N, 8) int8 role of each bar (see phrases.py)
    form: dict = None                # how the songs are built (phrases.form_statistics)

    def __len__(self):
        return len(self.images)


def as_windows(data):
    """Windows, or a plain (N, 25, 256) uint8 image array taken as Windows of images only."""
    return data if isinstance(data, Windows) else Windows(images=np.asarray(data))


def plural(count, word):
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


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
    moved: int = 0
    merged: int = 0
    dropped: collections.Counter = dataclasses.field(default_factory=collections.Counter)
    notes_per_row: np.ndarray = None

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
        lines += self.meter_lines()
        lines.append(f"windows written: {self.windows}")
        moved_share = 100.0 * self.moved / self.onsets if self.onsets else 0.0
        lines.append(f"drum onsets: {self.onsets}, moved by quantization: {self.moved} "
                     f"({moved_share:.1f}%), merged into an already hit cell: {self.merged}")
        last = self.lowest_note + self.num_rows - 1
        dropped = ", ".join(f"note {note} x{count}" for note, count in sorted(self.dropped.items()))
        lines.append(f"notes dropped outside {self.lowest_note}..{last}: "
                     f"{sum(self.dropped.values())}" + (f" ({dropped})" if dropped else ""))
        if self.notes_per_row is not None:
            lines.append("onsets per row:")
            for row, count in enumerate(self.notes_per_row.tolist()):
                if count:
                    note = self.lowest_note + row
                    lines.append(f"  row {row:2d}  note {note:3d}  {NOTE_NAMES.get(note, ''):14s}"
                                 f" {count:8d}")
            unused = [str(self.lowest_note + row)
                      for row, count in enumerate(self.notes_per_row.tolist()) if not count]
            if unused:
                lines.append(f"  unused notes: {' '.join(unused)}")
        return lines


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


def offsets(lengths):
    """[lengths] -> (len + 1,) int64 offsets of pieces laid end to end."""
    return np.concatenate([[0], np.cumsum(lengths, dtype=np.int64)]).astype(np.int64)


def dataset_from_rolls(songs, window=WINDOW_STEPS, hop=DEFAULT_HOP_BARS, lowest_note=LOWEST_NOTE,
                       num_rows=NUM_ROWS):
    """[(song name, DrumRoll)] -> Dataset: every song, and its windows that hold a hit.

    ValueError when window is not a whole number of 4/4 bars.
    """
    images, velocities, starts, first_bars, song_index = [], [], [], [], []
    for index, (_, roll) in enumerate(songs):
        # (W,), (W,), (W, rows, window)
        song_first_bars, song_starts, windows = cut_windows(roll.velocities, roll.bars, window, hop)
        velocities.append(windows)
        images.append(velocities_to_pixels(windows))
        starts.append(song_starts)
        first_bars.append(song_first_bars)
        song_index.append(np.full(len(song_starts), index, dtype=np.int64))
    names = np.array([name for name, _ in songs], dtype=np.str_).reshape(-1)
    empty_windows = np.zeros((0, num_rows, window), dtype=np.uint8)
    empty_index = np.zeros(0, dtype=np.int64)
    song_index = np.concatenate([empty_index] + song_index)
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
        rolls=np.concatenate([np.zeros((num_rows, 0), np.uint8)]
                             + [roll.velocities for _, roll in songs], axis=1),
        hop_bars=hop, window=window, lowest_note=lowest_note,
    )


def check_window(window):
    """Window length in steps -> in bars; UserError unless a whole number of 4/4 bars."""
    try:
        return window_length_in_bars(window)
    except ValueError as error:
        raise UserError(f"--window {window}: {error}") from None


def build_dataset(midi_paths, window=WINDOW_STEPS, hop=DEFAULT_HOP_BARS, lowest_note=LOWEST_NOTE,
                  num_rows=NUM_ROWS, progress=None, channel=DRUM_CHANNEL):
    """Read MIDI files and cut their rolls into windows -> (Dataset, Report).

    window: steps, a whole number of 4/4 bars (else UserError); hop: bars between windows.
    A file that cannot be used, or has no run of enough whole 4/4 bars for one window, is
    recorded in report.skipped and the batch goes on.
    progress: optional drumroll.cli.Progress, updated after each file. channel: the MIDI
    channel of the drums, 0-15.
    """
    window_bars = check_window(window)
    report = Report(lowest_note=lowest_note, num_rows=num_rows, window_bars=window_bars,
                    notes_per_row=np.zeros(num_rows, dtype=np.int64))
    taken = set()
    songs = []
    for index, path in enumerate(midi_paths):
        try:
            roll = read_drum_roll(path, lowest_note, num_rows, channel)
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
                report.notes_per_row += roll.notes_per_row
                songs.append((song, roll))
        if progress is not None:
            progress.update(index + 1, extra=os.path.basename(path))
    dataset = dataset_from_rolls(songs, window, hop, lowest_note, num_rows)
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
        song_names=dataset.song_names, song_bpm=dataset.song_bpm,
        song_bar_offsets=dataset.song_bar_offsets,
        bar_start=dataset.bars.start, bar_numerator=dataset.bars.numerator,
        bar_denominator=dataset.bars.denominator, bar_steps=dataset.bars.steps,
        song_step_offsets=dataset.song_step_offsets, rolls=dataset.rolls,
        hop_bars=np.int64(dataset.hop_bars), window=np.int64(dataset.window),
        lowest_note=np.int64(dataset.lowest_note))


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
                   lowest_note=int(arrays["lowest_note"]))


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
    missing = [name for name in WINDOW_ARRAYS + SONG_ARRAYS + META if name not in arrays]
    if missing:
        raise UserError(f"{path}: not a dataset file (missing arrays: {', '.join(missing)})")
    return check_arrays(path, arrays, height)


def used_rows(images):
    """Rows hit at least once in (N, rows, steps) uint8 images (0 = hit), as a sorted list."""
    hit_anywhere = pixels_to_hits(images).any(axis=(0, 2))   # (rows,)
    return [int(row) for row in np.flatnonzero(hit_anywhere)]
