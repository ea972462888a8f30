"""Drum-roll images -> MIDI files, and new tracks from a trained drum GAN.

`images_to_midi` writes one MIDI file per drum-roll image. `sample_tracks` draws tracks from a
model: 8-bar samples side by side in time, cut to the number of bars asked for.
"""
import os

from drumroll.format import (DEFAULT_BPM, DEFAULT_THRESHOLD, DEFAULT_VELOCITY, LOWEST_NOTE,
                             WINDOW_BARS, pixels_to_hits)
from drumroll.midi_out import roll_to_midi, write_midi


def images_to_midi(named_images, out, bpm=DEFAULT_BPM, threshold=DEFAULT_THRESHOLD,
                   velocity=DEFAULT_VELOCITY, blank_notes=(), lowest_note=LOWEST_NOTE):
    """Write one MIDI file per image into folder `out` -> the paths written, in order.

    named_images: iterable of (stem, pixels), pixels (rows, steps) uint8 with 0 = hit; the
    file is `<stem>.mid`. A pixel darker than `threshold` is a hit; rows of blank_notes are
    silenced.
    """
    written = []
    for stem, pixels in named_images:
        hits = pixels_to_hits(pixels, threshold)                   # (rows, steps) bool
        rows = [note - lowest_note for note in blank_notes if 0 <= note - lowest_note < len(hits)]
        hits[rows] = False
        midi = roll_to_midi(hits, velocity, bpm=bpm, lowest_note=lowest_note, name=stem)
        path = os.path.join(out, stem + ".mid")
        write_midi(midi, path)
        written.append(path)
    return written


def sample_tracks(gan, num, bars, rng):
    """num tracks of `bars` bars from a GAN -> (num, 25, bars * 32) floats in [-1, 1].

    Each track is ceil(bars / 8) independent 8-bar samples played one after another.
    """
    windows = -(-bars // WINDOW_BARS)                       # 8-bar samples per track
    rolls = gan.sample(num * windows, rng=rng)              # (num * windows, 25, 256)
    steps = bars * rolls.shape[2] // WINDOW_BARS
    tracks = rolls.reshape(num, windows, *rolls.shape[1:]).transpose(0, 2, 1, 3)
    return tracks.reshape(num, rolls.shape[1], -1)[:, :, :steps]   # (num, 25, windows * 256)
