"""A dataset's songs back to MIDI as they were played, and how close that comes to the files
they were read from.

write_songs writes every song of a dataset as `<song>.mid` (midi_out.performance_to_midi: the
song's own ticks per beat, tempo map and meters, every hit at its cell's grid line moved by its
offset, with its played note and exact velocity). compare_hits measures a written file against
its original: the hits of each note are matched in time order, each written hit to the
original of the same note nearest in time (within the tolerance, 1 ms), times in seconds
through each file's own tempo map as the synthesizer reads them (synth.drum_note_ons: the
seconds mido gives, read without drumroll.midi_in, so the measure does not trust the code it
measures). What cannot come back is what the roll does not hold: hits
that shared a cell with a louder one, and notes the drum map has no row for.

    dataset, report = build_dataset(paths)
    written = write_songs(dataset, "out")
    trip = measure(report.read, written)      # a RoundTrip: shares within 1 ms, velocities

or all of it at once, through a saved dataset.npz: round_trip(paths, folder).
"""
import dataclasses
import os

import numpy as np

from drumroll.cli import UserError, plural
from drumroll.dataset import DATASET_NAME, build_dataset, load_dataset, save_dataset
from drumroll.drum_maps import AUTO
from drumroll.files import staged_folder
from drumroll.midi_out import performance_to_midi, write_midi
from drumroll.synth import drum_note_ons

TOLERANCE = 0.001           # seconds: a hit written back this close to the original is the same
MIDI_SUFFIX = ".mid"


@dataclasses.dataclass
class RoundTrip:
    """How many of the original hits a written file gives back (counts add up over files).

    hits:         drum hits (note_on, velocity > 0, channel 10) in the originals
    within:       of them, matched by a written hit of the same note within the tolerance
    velocity:     of those, with exactly the original velocity
    worst:        the largest time difference of a matched hit, seconds
    """
    hits: int = 0
    within: int = 0
    velocity: int = 0
    worst: float = 0.0

    def add(self, other):
        self.hits += other.hits
        self.within += other.within
        self.velocity += other.velocity
        self.worst = max(self.worst, other.worst)

    @property
    def within_share(self):
        return self.within / self.hits if self.hits else 1.0

    @property
    def velocity_share(self):
        return self.velocity / self.hits if self.hits else 1.0


def note_matches(original, written, tolerance):
    """Match the hits of one note: original and written (times (n,), velocities (n,)), each
    sorted by time -> RoundTrip. Each written hit takes the nearest original not taken yet
    (time order); it counts when it lies within the tolerance."""
    (times, velocities), (new_times, new_velocities) = original, written
    taken = np.zeros(len(times), dtype=bool)
    trip = RoundTrip(hits=len(times))
    reach = zip(np.searchsorted(times, new_times - tolerance, side="left").tolist(),
                np.searchsorted(times, new_times + tolerance, side="right").tolist())
    for time, velocity, (first, end) in zip(new_times.tolist(), new_velocities.tolist(), reach):
        free = [index for index in range(first, end) if not taken[index]]
        if free:            # the nearest; of equally near ones, one of the same velocity
            best = min(free, key=lambda index: (abs(times[index] - time),
                                                velocities[index] != velocity))
            taken[best] = True
            trip.within += 1
            trip.velocity += int(velocities[best] == velocity)
            trip.worst = max(trip.worst, abs(times[best] - time))
    return trip


def hits_by_note(onsets):
    """[(seconds, note, velocity)] -> {note: (seconds (n,), velocities (n,))}, sorted by time."""
    seconds, notes, velocities = (np.array(column) for column in zip(*onsets)) if onsets \
        else (np.zeros(0), np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64))
    hits = {}
    for note in np.unique(notes).tolist():
        chosen = notes == note
        order = np.argsort(seconds[chosen], kind="stable")
        hits[note] = (seconds[chosen][order], velocities[chosen][order])
    return hits


def compare_hits(original, written, tolerance=TOLERANCE):
    """The drum hits [(seconds, note, velocity)] of an original file and of its round trip
    -> RoundTrip."""
    trip = RoundTrip()
    new = hits_by_note(written)
    empty = (np.zeros(0), np.zeros(0, dtype=np.int64))
    for note, hits in hits_by_note(original).items():
        trip.add(note_matches(hits, new.get(note, empty), tolerance))
    return trip


def measure(original_paths, written_paths, tolerance=TOLERANCE):
    """The round trip of many files: the originals and the files written from them, in pairs
    -> RoundTrip over all of them."""
    trip = RoundTrip()
    for original, written in zip(original_paths, written_paths):
        trip.add(compare_hits(drum_note_ons(original)[0], drum_note_ons(written)[0], tolerance))
    return trip


def earlier_songs(out):
    """The MIDI files in folder `out` (an earlier round trip's), sorted."""
    return sorted(name for name in os.listdir(out) if name.lower().endswith(MIDI_SUFFIX))


def check_output_folder(out, replace):
    """The files to delete from folder `out` first (with replace: its MIDI files); UserError
    when it holds files and we may not replace them (hidden ones, such as the lock and the
    staging folder, do not count)."""
    visible = sorted(name for name in os.listdir(out) if not name.startswith("."))
    if visible and not replace:
        shown = ", ".join(visible[:3]) + (", ..." if len(visible) > 3 else "")
        raise UserError(f"{out}: not empty ({plural(len(visible), 'file')}: {shown}); give a "
                        "new or empty --out, or --replace to delete the MIDI files in it first")
    return earlier_songs(out) if replace else []


def write_songs(dataset, out, replace=False, progress=None):
    """Write every song of a Dataset into folder `out` as `<song>.mid`, as it was played ->
    the paths written, in song order.

    `out` must be new or empty; with replace, the MIDI files already in it are deleted (others
    are kept). Everything is staged and moved in at the end (files.staged_folder), so an error
    half-way leaves `out` as it was. progress: optional cli.Progress over the songs.
    """
    names = dataset.song_names.tolist()
    with staged_folder(out, "wait for it or give another --out") as stage:
        earlier = check_output_folder(out, replace)
        for index, name in enumerate(names):
            midi = performance_to_midi(dataset.song_performance(index), name=name)
            write_midi(midi, stage.path(name + MIDI_SUFFIX))
            if progress is not None:
                progress.update(index + 1, extra=name)
        stage.commit(delete=earlier)
    return [os.path.join(out, name + MIDI_SUFFIX) for name in names]


def round_trip(midi_paths, folder, drum_map=AUTO, tolerance=TOLERANCE):
    """MIDI files -> dataset.npz in `folder` -> its songs written back into folder/songs ->
    (RoundTrip of the files in the dataset against them, the dataset's Report). Files the
    dataset skips (report.skipped) are not in the measure."""
    dataset, report = build_dataset(midi_paths, drum_map=drum_map)
    path = os.path.join(folder, DATASET_NAME)
    save_dataset(path, dataset)
    written = write_songs(load_dataset(path, height=None), os.path.join(folder, "songs"))
    return measure(report.read, written, tolerance), report
