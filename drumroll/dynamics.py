"""Velocities: how loud each hit is, as the drummer plays it and as the network sees it.

Songs are recorded at different base levels (most hits at 76 in some, at 89 in others), but
an accent is an accent: what carries the style is each velocity *relative to the song's usual
level* (the velocity it uses most). The network sees

    unit = (velocity / usual - 1) / SPREAD,  clipped to [-1, 1],  0 where there is no hit,

so a song's usual level is 0, an accent a little above it. On the way out the hits are put
on the few ratios of a base level the drummer uses (`levels`), as often as he uses each
(`shares`): the network's values rank the hits from softest to loudest, and the loudest
shares[-1] of them get the top level, and so on down. The network decides which hits are
accented; the drummer's own habits decide how many and how loud. (Snapping each value to the
nearest level instead turns the network's small wobbles around a song's usual level into
accents: a quarter of all hits, against his 6%.)
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
    """The ratios velocity / usual level the drummer uses, and how often: (levels, shares).

    velocities (N, rows, steps) uint8 and usual (N,) as in to_unit. levels: the ratios (rounded
    to 0.01) of at least LEVEL_SHARE of all hits, sorted; shares: the share of all hits whose
    ratio is nearest to each level (they add up to 1).
    """
    velocities = np.asarray(velocities)
    ratio = velocities / np.maximum(np.asarray(usual, dtype=np.float64), 1)[:, None, None]
    ratios = np.round(ratio[velocities > 0], 2)
    if ratios.size == 0:
        return [1.0], [1.0]
    values, counts = np.unique(ratios, return_counts=True)
    levels = values[counts >= LEVEL_SHARE * ratios.size]
    nearest = np.abs(ratios[:, None] - levels[None, :]).argmin(axis=1)
    shares = np.bincount(nearest, minlength=len(levels)) / ratios.size
    return [float(v) for v in levels], [round(float(v), 4) for v in shares]


def from_unit(unit, hits, base, levels, shares):
    """Network velocities in [-1, 1] -> MIDI velocities (uint8) at the drummer's levels.

    unit, hits: (..., rows, steps); base: the usual level of the output; levels, shares: the
    ratios and how often each is played (ratio_levels). The hits, ranked by their unit values,
    take the levels in those shares. 0 where there is no hit; every hit within 1..127.
    """
    unit = np.asarray(unit)
    hits = np.asarray(hits, dtype=bool)
    order = np.argsort(unit[hits], kind="stable")                       # softest first
    bounds = np.round(np.cumsum(shares) / np.sum(shares) * order.size).astype(np.int64)
    rank_level = np.searchsorted(bounds, np.arange(order.size), side="right")  # (hits,)
    level = np.empty(order.size, dtype=np.int64)
    level[order] = np.minimum(rank_level, len(levels) - 1)
    velocity = np.clip(np.round(base * np.asarray(levels)[level]), 1, 127).astype(np.uint8)
    out = np.zeros(hits.shape, dtype=np.uint8)
    out[hits] = velocity
    return out
