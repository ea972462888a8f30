"""Drum-roll images -> MIDI files, and new tracks or songs from a trained drum GAN.

`images_to_midi` writes one MIDI file per drum-roll image. `sample_tracks` draws tracks from a
model: 8-bar samples side by side in time, cut to the number of bars asked for, with the
model's velocities when it has them. `write_generation` writes a whole generation into a
folder: for every track (or song) its PNG (the dataset format), its labelled SVG picture, its
MIDI file and its WAV, then an index.html to see and hear them all.

A generation never mixes with another: it goes into a new or empty folder, or, when asked to
replace, the earlier generation's files are deleted. Everything is first written into a
staging folder inside the output folder and moved into place only when all of it is written,
so a failure or Ctrl-C half-way leaves the folder as it was (files.staged_folder).
"""
import collections
import dataclasses
import os
import re

import numpy as np
from scipy.io import wavfile

from drumroll.cli import UserError, plural
from drumroll.controls import Controls
from drumroll.files import staged_folder, writing
from drumroll.format import (DEFAULT_BPM, DEFAULT_THRESHOLD, DEFAULT_VELOCITY, LOWEST_NOTE,
                             STEPS_PER_BAR, WINDOW_BARS, pixels_to_hits, unit_to_pixels)
from drumroll.images import write_png
from drumroll.kit import SAMPLE_RATE
from drumroll.models.base import SAMPLING_BATCH
from drumroll.midi_out import MAX_BPM, MIN_BPM, performance_to_midi, roll_to_midi, write_midi
from drumroll.page import PAGE_NAME, Track, generation_page
from drumroll.picture import track_picture, write_svg
from drumroll.synth import MAX_SECONDS, render_hits, render_midi_file, to_int16

MAX_TRACKS = 1000       # an 8-bar track's WAV is about 3 MB: a thousand are already 3 GB
MAX_BARS = 1000         # the longest track or song: 28 minutes at 140 bpm
# what a generation writes: <name>-NN.png, .svg, .mid, .wav (tracks, songs, humanized files,
# the steps of an interpolation), and the one PATH.* of an interpolation
TRACK, SONG, HUMANIZED, STEP = "track", "song", "humanized", "step"
PATH = "path"
# the files a generation writes: a file of an earlier generation has one of these names
GENERATION_FILE = re.compile(rf"(({TRACK}|{SONG}|{HUMANIZED}|{STEP})-\d+|{PATH})"
                             r"\.(png|svg|mid|wav)|" + re.escape(PAGE_NAME))
# One track to write: its hits as the PNG has them (25, steps) uint8, 0 = hit; how they are
# played (velocities uint8, offsets int8, each None when the model learns neither); a note for
# the page; for music played as it was (a humanized file), the DrumRoll to write as it is
# (its own notes, tempo map and meters) instead of a grid track at the generation's tempo;
# a song's sections, marked on its picture (picture.track_picture), or None; and the name of
# its files, when not the generation's <name>-NN.
Played = collections.namedtuple("Played",
                                "pixels velocities offsets note performance sections name",
                                defaults=(None, None, "", None, None, None))


def track_hits(pixels, threshold=DEFAULT_THRESHOLD, blank_notes=(), lowest_note=LOWEST_NOTE):
    """(rows, steps) uint8 image -> bool hits: darker than `threshold`, blank_notes silenced."""
    hits = pixels_to_hits(pixels, threshold)                   # (rows, steps) bool
    rows = [note - lowest_note for note in blank_notes if 0 <= note - lowest_note < len(hits)]
    hits[rows] = False
    return hits


def images_to_midi(named_images, out, bpm=DEFAULT_BPM, threshold=DEFAULT_THRESHOLD,
                   velocity=DEFAULT_VELOCITY, blank_notes=(), lowest_note=LOWEST_NOTE):
    """Write one MIDI file per image into folder `out` -> the paths written, in order.

    named_images: iterable of (stem, pixels), pixels (rows, steps) uint8 with 0 = hit; the
    file is `<stem>.mid`. A pixel darker than `threshold` is a hit; rows of blank_notes are
    silenced.
    """
    written = []
    for stem, pixels in named_images:
        hits = track_hits(pixels, threshold, blank_notes, lowest_note)
        midi = roll_to_midi(hits, velocity, bpm=bpm, lowest_note=lowest_note, name=stem)
        path = os.path.join(out, stem + ".mid")
        write_midi(midi, path)
        written.append(path)
    return written


def sample_tracks(gan, num, bars, rng, batch=SAMPLING_BATCH, controls=None):
    """Yield num tracks of `bars` bars from a GAN: (roll (25, bars * 32) floats in [-1, 1],
    velocities (25, bars * 32) uint8 and offsets (25, bars * 32) int8, each None for a model
    that does not learn them).

    Each track is ceil(bars / 8) independent 8-bar samples played one after another. The
    samples are drawn `batch` at a time, as one call to gan.sample would draw them (the same
    seed gives the same tracks), so a thousand tracks take no more memory than one batch.
    controls steer a song model (controls.steer); None plays it as trained.
    """
    steering = {} if controls is None or controls.neutral else dict(controls=controls)
    windows = -(-bars // WINDOW_BARS)                       # 8-bar samples per track
    steps = bars * STEPS_PER_BAR
    pending, remaining = [], num * windows
    while remaining:
        drawn = gan.sample_with_feel(min(batch, remaining), rng=rng, **steering)
        remaining -= len(drawn[0])
        pending.extend(zip(*(part if part is not None else [None] * len(drawn[0])
                             for part in drawn)))
        while len(pending) >= windows:
            parts = pending[:windows]
            del pending[:windows]
            yield tuple(None if parts[0][kind] is None else
                        np.concatenate([part[kind] for part in parts], axis=1)[:, :steps]
                        for kind in range(3))


def pattern_tracks(gan, generation, rng):
    """The tracks of a generation of patterns, each Played as the model drew it (steered by
    the generation's controls: density, variation)."""
    for roll, velocities, offsets in sample_tracks(gan, generation.num, generation.bars, rng,
                                                   controls=generation.controls):
        yield Played(unit_to_pixels(roll), velocities, offsets)


@dataclasses.dataclass
class Generation:
    """What to generate from a checkpoint, and how to write it."""
    num: int = 8
    bars: int = WINDOW_BARS
    seed: int = 0
    bpm: float = None           # None: the training songs' median tempo (see resolve_tempo)
    threshold: int = DEFAULT_THRESHOLD
    velocity: int = None        # every hit at this velocity; None: the model's own dynamics
    blank_notes: list = dataclasses.field(default_factory=list)
    wav: bool = True
    replace: bool = False       # delete an earlier generation in the folder instead of refusing
    name: str = TRACK           # what is generated: the files are <name>-NN.*
    quantize: bool = False      # every hit on its grid line, whatever timing the model learned
    controls: Controls = Controls()   # density, fills and variation (controls.py)
    heading: str = None         # the page's heading (None: "<num> <name>s from <run>")
    command: str = ""           # how to make it again (a command line): on the page and in a
                                # text event of every MIDI file

    def seconds(self):
        """Length of one track's music in seconds (4 beats a bar)."""
        return self.bars * 4 * 60.0 / self.bpm

    def check(self):
        """UserError for a generation that cannot be written (too many or too long tracks)."""
        if not 1 <= self.num <= MAX_TRACKS:
            raise UserError(f"--num {self.num}: give 1 to {MAX_TRACKS:,} {self.name}s per "
                            "generation (each is a PNG, an SVG, a MIDI file and a WAV)")
        if not 1 <= self.bars <= MAX_BARS:
            raise UserError(f"--bars {self.bars}: give 1 to {MAX_BARS:,} bars per {self.name}")
        if self.wav and self.bpm is not None and self.seconds() > MAX_SECONDS:
            raise UserError(f"{self.bars} bars at {self.bpm:g} bpm last "
                            f"{self.seconds() / 60:.0f} minutes, longer than the "
                            f"{MAX_SECONDS // 60} minutes a WAV may last; give fewer bars, a "
                            "faster tempo or --no-wav")


def resolve_tempo(generation, gan, say, primer_bpm=None, whose="the primer's"):
    """Fill in the generation's tempo when none was given, and say so: a primer's own tempo
    (primer_bpm, the music goes on from it; `whose` names it), else the median tempo of the
    songs the model was trained on (DEFAULT_BPM for a run that does not know it)."""
    if generation.bpm is None:
        tempo = gan.config.tempo
        playable = tempo is not None and MIN_BPM <= round(tempo, 1) <= MAX_BPM
        if primer_bpm:
            generation.bpm, origin = round(primer_bpm, 2), f"{whose} tempo"
        elif playable:
            generation.bpm = round(tempo, 1)
            origin = "the median tempo of its training songs"
        else:
            generation.bpm = DEFAULT_BPM
            origin = "the default tempo" + (f" ({tempo:g} bpm, its training songs' median, is "
                                            "no tempo to write)" if tempo else "")
        say(f"playing at {generation.bpm:g} bpm, {origin} (--bpm to choose)")
    return generation


def earlier_generation(out):
    """The files in folder `out` that a generation writes (sorted)."""
    return sorted(name for name in os.listdir(out) if GENERATION_FILE.fullmatch(name))


def check_output_folder(out, replace):
    """UserError when folder `out` holds files and we may not replace them (hidden files, such
    as the lock and the staging folder, do not count; a folder yet to be made holds none)."""
    if not os.path.isdir(out):
        return
    visible = sorted(name for name in os.listdir(out) if not name.startswith("."))
    if visible and not replace:
        shown = ", ".join(visible[:3]) + (", ..." if len(visible) > 3 else "")
        raise UserError(f"{out}: not empty ({plural(len(visible), 'file')}: {shown}); a "
                        "generation never mixes with other files: give a new or empty --out, "
                        "or --replace to delete the earlier generation's tracks first")


def add_output_options(parser, default, deleted="its files"):
    """--out (default `default`) and --replace, as every script that writes a generation has
    them; `deleted` says what --replace deletes besides the page."""
    parser.add_argument("--out", default=default,
                        help="output folder: new or empty, or with --replace (default: "
                             "%(default)s)")
    parser.add_argument("--replace", action="store_true",
                        help=f"--out holds an earlier generation: delete {deleted} and "
                             f"{PAGE_NAME} and write the new one")


def write_silent_wav(path, seconds):
    """A WAV of silence as long as a track with no hits (the renderer refuses empty files)."""
    with writing(path) as handle:
        wavfile.write(handle, SAMPLE_RATE, to_int16(render_hits([], seconds, stereo=True)))


def track_velocities(hits, velocities, generation):
    """The velocity of every hit: the one forced by the generation, else the model's own (a
    hit the model gave none, after another --threshold, plays at DEFAULT_VELOCITY)."""
    if generation.velocity is not None or velocities is None:
        return np.where(hits, generation.velocity or DEFAULT_VELOCITY, 0).astype(np.uint8)
    return np.where(hits, np.where(velocities > 0, velocities, DEFAULT_VELOCITY), 0).astype(
        np.uint8)


def write_track(folder, stem, played, generation, model, warn):
    """Write one track's PNG, SVG, MIDI and WAV into `folder` -> its Track for the page.

    played: a Played; model: the run configuration (its rows, and the note of row 0).
    """
    pixels, velocities, offsets, note, performance, sections, _ = played
    write_png(os.path.join(folder, stem + ".png"), pixels)
    hits = track_hits(pixels, generation.threshold, generation.blank_notes, model.lowest_note)
    velocities = track_velocities(hits, velocities, generation)
    if generation.quantize or offsets is None:
        offsets = np.zeros(hits.shape, dtype=np.int8)
    offsets = np.where(hits, offsets, 0).astype(np.int8)
    write_svg(os.path.join(folder, stem + ".svg"),
              track_picture(hits, velocities, stem, rows=model.rows,
                            lowest_note=model.lowest_note, offsets=offsets,
                            heading=f"{stem}: {note}" if note else None,
                            names=model.note_names(), sections=sections))
    midi_path = os.path.join(folder, stem + ".mid")
    if performance is not None:
        midi = performance_to_midi(performance, name=stem)
    else:
        made = f"drumgan {stem}: {generation.command}" if generation.command else None
        midi = roll_to_midi(hits, velocities, bpm=generation.bpm, lowest_note=model.lowest_note,
                            name=stem, offsets=offsets, text=made)
    write_midi(midi, midi_path)
    count = int(hits.sum())
    if generation.wav:
        wav_path = os.path.join(folder, stem + ".wav")
        if count:
            render_midi_file(midi_path, wav_path)
        else:
            warn(f"{stem}: no hits; its WAV is silence")
            write_silent_wav(wav_path, midi.length)
    return Track(stem, count, generation.wav, note)


def write_generation(gan, checkpoint, out, generation, progress=None, warn=print, tracks=None):
    """Write generation.num tracks from `gan` with index.html into `out`.

    tracks: an iterable of Played tracks to write (see write_track);
    default: patterns sampled from the model (pattern_tracks, seeded by generation.seed).
    checkpoint: the path the GAN was loaded from (named on the page). progress: an optional
    cli.Progress over the tracks; warn(message) hears of silent tracks. Returns the Tracks.
    """
    generation.check()
    width = max(2, len(str(generation.num)))
    if tracks is None:
        tracks = pattern_tracks(gan, generation, np.random.default_rng(generation.seed))
    with staged_folder(out, "wait for it or give another --out") as stage:
        check_output_folder(out, generation.replace)
        written = []
        for index, played in enumerate(tracks, start=1):
            stem = played.name or f"{generation.name}-{index:0{width}d}"
            written.append(write_track(stage.staging, stem, played, generation, gan.config,
                                       warn))
            if progress is not None:
                progress.update(index)
        page = generation_page(written, gan, checkpoint, generation)
        with writing(stage.path(PAGE_NAME)) as handle:
            handle.write(page.encode("utf-8"))
        stage.commit(delete=earlier_generation(out) if generation.replace else ())
    return written
