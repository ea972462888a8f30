"""Velocities: how loud each hit is, as the drummer plays it and as the network sees it.

Songs are recorded at different base levels (most hits at 76 in some, at 89 in others), but
an accent is an accent: what carries the style is each velocity *relative to the song's usual
level* (the velocity it uses most). The network sees

    unit = (velocity / usual - 1) / SPREAD,  clipped to [-1, 1],  0 where there is no hit,

so a song's usual level is 0, an accent a little above it. On the way out a unit value becomes
a ratio of a base level and is snapped to the nearest of the ratios the drummer uses (`levels`),
so generated tracks play at his few levels instead of a smear of velocities.
"""
import numpy as np

SPREAD = 0.5                # unit 1 = 50% above the usual level, -1 = 50% below
LEVEL_SHARE = 0.01          # a ratio used by this share of the hits is one of the levels


def velocity_levels(velocities):
    """The velocities used by at least LEVEL_SHARE of the hits, and the usual one (the mode).

    velocities: any array, 0 = no hit. Returns (sorted list of levels, usual level or 0).
    """
    values = np.asarray(velocities).ravel()
    values = values[values > 0]
    if values.size == 0:
        return [], 0
    counts = np.bincount(values)
    levels = [int(v) for v in np.flatnonzero(counts >= LEVEL_SHARE * values.size)]
    return levels, int(counts.argmax())


def to_unit(velocities, usual):
    """MIDI velocities (..., rows, steps), 0 = no hit, and each one's usual level (broadcast
    against the leading axes) -> float32 in [-1, 1], 0 where there is no hit."""
    velocities = np.asarray(velocities, dtype=np.float32)
    usual = np.asarray(usual, dtype=np.float32).reshape(
        np.shape(usual) + (1,) * (velocities.ndim - np.ndim(usual)))
    unit = np.clip((velocities / np.maximum(usual, 1) - 1) / SPREAD, -1, 1)
    return np.where(velocities > 0, unit, 0).astype(np.float32)


def ratio_levels(velocities, usual):
    """The ratios velocity / usual level used by at least LEVEL_SHARE of all hits, sorted.

    velocities (N, rows, steps) uint8 and usual (N,) as in to_unit; ratios rounded to 0.01.
    """
    velocities = np.asarray(velocities)
    ratio = velocities / np.maximum(np.asarray(usual, dtype=np.float64), 1)[:, None, None]
    ratios = np.round(ratio[velocities > 0], 2)
    if ratios.size == 0:
        return [1.0]
    values, counts = np.unique(ratios, return_counts=True)
    return [float(v) for v in values[counts >= LEVEL_SHARE * ratios.size]]


def from_unit(unit, hits, base, levels):
    """Network velocities in [-1, 1] -> MIDI velocities (uint8) at the drummer's levels.

    unit, hits: (..., rows, steps); base: the usual level of the output; levels: the ratios
    to snap to (ratio_levels). 0 where there is no hit; every hit within 1..127.
    """
    levels = np.asarray(sorted(levels), dtype=np.float64)
    ratio = 1 + SPREAD * np.asarray(unit, dtype=np.float64)
    nearest = levels[np.abs(ratio[..., None] - levels).argmin(axis=-1)]
    velocity = np.clip(np.round(base * nearest), 1, 127).astype(np.uint8)
    return np.where(hits, velocity, 0).astype(np.uint8)
