"""The trainer's dataset: every non-empty window of every song, in one .npz file.

dataset.npz holds plain arrays only (it loads with allow_pickle=False):
  images      (N, rows, window) uint8   drum-roll pictures, 0 = hit, 255 = none (as the PNGs)
  velocities  (N, rows, window) uint8   MIDI velocity of each hit, 0 where none
  song        (N,) unicode              the stem of the MIDI file the window comes from
  start       (N,) int64                first step of the window in its song
  hop, window, lowest_note   () int64   how the windows were cut, which note row 0 is
"""
import collections
import dataclasses
import os
import zipfile

import numpy as np

from drumroll.cli import UserError
from drumroll.files import atomic_write
from drumroll.format import (
    DEFAULT_HOP, EMPTY_PIXEL, HIT_PIXEL, LOWEST_NOTE, NOTE_NAMES, NUM_ROWS, WINDOW_STEPS,
    pixels_to_hits,
)
from drumroll.midi_in import cut_windows, read_drum_roll

REQUIRED_ARRAYS = ("images", "velocities", "song", "start")


@dataclasses.dataclass
class Dataset:
    images: np.ndarray        # (N, rows, window) uint8, 0 = hit
    velocities: np.ndarray    # (N, rows, window) uint8, 0 = no hit
    song: np.ndarray          # (N,) unicode
    start: np.ndarray         # (N,) int64
    hop: int = DEFAULT_HOP
    window: int = WINDOW_STEPS
    lowest_note: int = LOWEST_NOTE

    def __len__(self):
        return len(self.images)

    def names(self):
        """File stem of each window's PNG: <song>_<start>."""
        return [f"{song}_{start}" for song, start in zip(self.song.tolist(), self.start.tolist())]


@dataclasses.dataclass
class Report:
    """What building a dataset did, for the one-screen summary midi2img prints."""
    lowest_note: int = LOWEST_NOTE
    num_rows: int = NUM_ROWS
    read: list = dataclasses.field(default_factory=list)       # paths
    skipped: list = dataclasses.field(default_factory=list)    # (path, reason)
    renamed: list = dataclasses.field(default_factory=list)    # (path, song name used)
    windows: int = 0
    onsets: int = 0
    moved: int = 0
    merged: int = 0
    dropped: collections.Counter = dataclasses.field(default_factory=collections.Counter)
    notes_per_row: np.ndarray = None

    def lines(self):
        """The report as text lines."""
        lines = [f"files read: {len(self.read)}, skipped: {len(self.skipped)}"]
        lines += [f"  skipped {reason}" for path, reason in self.skipped]
        lines += [f"  {path}: song name {name!r} (its stem was already taken)"
                  for path, name in self.renamed]
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


def build_dataset(midi_paths, window=WINDOW_STEPS, hop=DEFAULT_HOP, lowest_note=LOWEST_NOTE,
                  num_rows=NUM_ROWS, progress=None):
    """Read MIDI files and cut their rolls into windows -> (Dataset, Report).

    A file that cannot be used is recorded in report.skipped and the batch goes on.
    progress: optional drumroll.cli.Progress, updated after each file.
    """
    report = Report(lowest_note=lowest_note, num_rows=num_rows,
                    notes_per_row=np.zeros(num_rows, dtype=np.int64))
    taken = set()
    images, velocities, songs, starts = [], [], [], []
    for index, path in enumerate(midi_paths):
        try:
            roll = read_drum_roll(path, lowest_note, num_rows)
        except UserError as error:
            report.skipped.append((path, str(error)))
        else:
            report.read.append(path)
            stem = os.path.splitext(os.path.basename(path))[0]
            song = unique_song_name(stem, taken)
            if song != stem:
                report.renamed.append((path, song))
            report.onsets += roll.onsets
            report.moved += roll.moved
            report.merged += roll.merged
            report.dropped.update(roll.dropped)
            report.notes_per_row += roll.notes_per_row
            song_starts, windows = cut_windows(roll.velocities, window, hop)   # (W,), (W, rows, steps)
            velocities.append(windows)
            images.append(velocities_to_pixels(windows))
            starts.append(song_starts)
            songs.extend([song] * len(song_starts))
        if progress is not None:
            progress.update(index + 1, extra=os.path.basename(path))
    empty = np.zeros((0, num_rows, window), dtype=np.uint8)
    dataset = Dataset(
        images=np.concatenate(images) if images else empty,
        velocities=np.concatenate(velocities) if velocities else empty.copy(),
        song=np.array(songs, dtype=np.str_).reshape(-1),
        start=np.concatenate(starts).astype(np.int64) if starts else np.zeros(0, np.int64),
        hop=hop, window=window, lowest_note=lowest_note,
    )
    report.windows = len(dataset)
    return dataset, report


def save_dataset(path, dataset):
    """Write dataset.npz atomically (plain arrays, no pickles)."""
    path = os.fspath(path)
    try:
        with atomic_write(path) as handle:
            np.savez(handle, images=dataset.images, velocities=dataset.velocities,
                     song=dataset.song, start=dataset.start,
                     hop=np.int64(dataset.hop), window=np.int64(dataset.window),
                     lowest_note=np.int64(dataset.lowest_note))
    except OSError as error:
        raise UserError(f"{path}: cannot write ({error.strerror or error})") from None


def load_dataset(path, height=NUM_ROWS):
    """Read and check a dataset.npz -> Dataset. UserError naming the file on anything wrong.

    height: the number of rows the caller needs (None accepts any).
    """
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise UserError(f"{path}: no such dataset file (run `make dataset` first)")
    try:
        with np.load(path, allow_pickle=False) as npz:
            arrays = {name: npz[name] for name in npz.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as error:
        raise UserError(f"{path}: not a dataset file ({error})") from None
    missing = [name for name in REQUIRED_ARRAYS if name not in arrays]
    if missing:
        raise UserError(f"{path}: not a dataset file (missing arrays: {', '.join(missing)})")
    images, velocities = arrays["images"], arrays["velocities"]
    song, start = arrays["song"], arrays["start"]

    def meta(name, default):
        value = arrays.get(name)
        if value is None:
            return default
        if value.shape != () or value.dtype.kind not in "iu":
            raise UserError(f"{path}: {name} must be a single integer")
        return int(value)

    lowest_note = meta("lowest_note", LOWEST_NOTE)
    if images.dtype != np.uint8 or images.ndim != 3:
        raise UserError(f"{path}: images must be uint8 (N, rows, steps), "
                        f"got {images.dtype} {images.shape}")
    count, rows, steps = images.shape
    if count == 0:
        raise UserError(f"{path}: the dataset holds no images")
    if height is not None and rows != height:
        raise UserError(f"{path}: images are {rows} rows high, expected {height}")
    if velocities.dtype != np.uint8 or velocities.shape != images.shape:
        raise UserError(f"{path}: velocities must be uint8 shaped like images {images.shape}, "
                        f"got {velocities.dtype} {velocities.shape}")
    if song.dtype.kind != "U" or song.shape != (count,):
        raise UserError(f"{path}: song must be ({count},) strings, got {song.dtype} {song.shape}")
    if start.dtype.kind not in "iu" or start.shape != (count,):
        raise UserError(f"{path}: start must be ({count},) integers, "
                        f"got {start.dtype} {start.shape}")
    return Dataset(images=images, velocities=velocities, song=song, start=start.astype(np.int64),
                   hop=meta("hop", DEFAULT_HOP), window=meta("window", steps),
                   lowest_note=lowest_note)


def used_rows(images):
    """Rows hit at least once in (N, rows, steps) uint8 images (0 = hit), as a sorted list."""
    hit_anywhere = pixels_to_hits(images).any(axis=(0, 2))   # (rows,)
    return [int(row) for row in np.flatnonzero(hit_anywhere)]


def unused_rows(images):
    """Rows never hit in any image of (N, rows, steps) uint8 (0 = hit): candidates to blank."""
    used = set(used_rows(images))
    return [row for row in range(np.shape(images)[1]) if row not in used]
