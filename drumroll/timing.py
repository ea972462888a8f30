"""Timing: where each hit falls against its grid line, as the drummer plays it and as the
network sees it.

A hit sits in a 32nd-note cell and keeps its offset from the cell's grid line in 1/OFFSET_UNITS
of a step (midi_in: in [-1/2, 1/2) of a step). The network sees

    unit = offset / (OFFSET_UNITS / 2),  in [-1, 1),  0 where there is no hit,

so -1 is half a step early, +1 half a step late. Drummers come in two kinds, and the data says
which (dynamics.few_levels): a transcription (the MGŁA songs) plays on the grid and on a few
places beside it (a triplet 16th sits a third of a step off), and on the way out every offset
is snapped to the nearest of those places; a recording plays a continuum, and every hit keeps
the offset the network gives it.
"""
import numpy as np

from drumroll.format import OFFSET_UNITS

HALF_STEP = OFFSET_UNITS // 2


def to_unit(offsets, hits):
    """Offsets (..., rows, steps) int8 and the hits -> float32 in [-1, 1), 0 where no hit."""
    unit = np.asarray(offsets, dtype=np.float32) / HALF_STEP
    return np.where(np.asarray(hits, dtype=bool), unit, 0).astype(np.float32)


def from_unit(unit, hits, levels=None):
    """Network offsets in [-1, 1] -> int8 offsets in 1/OFFSET_UNITS of a step, 0 where no hit;
    levels: the offsets the drummer plays when he plays few (snapped to the nearest), or
    None."""
    offsets = np.clip(np.round(np.asarray(unit, dtype=np.float64) * HALF_STEP),
                      -HALF_STEP, HALF_STEP - 1)
    if levels is not None:
        places = np.asarray(levels, dtype=np.float64)
        offsets = places[np.abs(offsets[..., None] - places).argmin(axis=-1)]
    return np.where(np.asarray(hits, dtype=bool), offsets, 0).astype(np.int8)
