"""What a drum GAN trains on: 8-bar windows and what their songs say about them (NumPy only).

`Dataset.training_windows` (dataset.py) makes the Windows of a run from dataset.npz; the models
read nothing else of the data, so they import without the MIDI side (mido).
"""
import dataclasses

import numpy as np

from drumroll.format import LOWEST_NOTE, pixels_to_hits


@dataclasses.dataclass
class Windows:
    """8-bar windows and, for each, what its song says about it."""
    images: np.ndarray               # (N, 25, 256) uint8 drum rolls, 0 = hit
    velocities: np.ndarray = None    # (N, 25, 256) uint8 MIDI velocities, 0 = no hit
    offsets: np.ndarray = None       # (N, 25, 256) int8 timing offsets in 1/256 step, 0 = no hit
    usual: np.ndarray = None         # (N,) the usual (most played) velocity of each one's song
    roles: np.ndarray = None         # (N, 8) int8 role of each bar (see phrases.py)
    form: dict = None                # how the songs are built (phrases.form_statistics)
    lowest_note: int = LOWEST_NOTE   # the MIDI note of row 0, as the dataset was cut
    tempo: float = None              # the median tempo (bpm) of the songs they come from
    held_out: list = dataclasses.field(default_factory=list)   # songs kept out of training
    row_names: list = None           # (25,) the drum map's name of each row (None: General MIDI)

    def __len__(self):
        return len(self.images)


def as_windows(data):
    """Windows, or a plain (N, 25, 256) uint8 image array taken as Windows of images only."""
    return data if isinstance(data, Windows) else Windows(images=np.asarray(data))


def used_rows(images):
    """Rows hit at least once in (N, rows, steps) uint8 images (0 = hit), as a sorted list."""
    hit_anywhere = pixels_to_hits(images).any(axis=(0, 2))   # (rows,)
    return [int(row) for row in np.flatnonzero(hit_anywhere)]
