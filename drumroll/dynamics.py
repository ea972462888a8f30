"""Velocities: how loud each hit is, as the drummer plays it and as the network sees it.

Songs are recorded at different base levels (most hits at 76 in some, at 89 in others), but
an accent is an accent: what carries the style is each velocity *relative to the song's usual
level*. The network sees

    unit = (velocity / usual - 1) / spread,  clipped to [-1, 1],  0 where there is no hit,

so a song's usual level is 0, an accent a little above it; `spread` (SPREAD at least) is the
drummer's own: the ratio from his usual level that 99% of his hits stay within.

Drummers come in two kinds, and the data says which (`few_levels`):

* A transcription (the MGŁA songs) plays a few velocities: 76, 89, an accent at 102. His usual
  level is the one he plays most. On the way out the hits are put on the few ratios of a base
  level he uses (`levels`), as often as he uses each (`shares`): the network's values rank the
  hits from softest to loudest, and the loudest shares[-1] of them get the top level, and so on
  down. The network decides which hits are accented; his habits how many and how loud.
  (Snapping each value to the nearest level instead turns the network's small wobbles around a
  song's usual level into accents: a quarter of all hits, against his 6%.)
* A recording from an e-kit plays a continuum: a hundred velocities and more, ghost notes at
  20, accents at 127. His usual level is the median (the most played of a hundred values is
  noise). On the way out, each drum row's hits, ranked by their unit values, take his own
  ratios on that row at their rank (`row_quantiles`): his kick is soft and even, his snare
  ghosts at a third of his backbeat, whatever the network's values spread to. The network
  decides which hits are louder; his habits on each drum how much. (Each hit at
  base * (1 + spread * unit) spread them a third wider than his on a drummer of the Groove
  MIDI Dataset, his kick's twice as wide.)
"""
import numpy as np

SPREAD = 0.5                # unit 1 = 50% above the usual level, -1 = 50% below, at least
WIDEST_SPREAD = 2.0         # unit 1 = three times the usual level, at most
LEVEL_SHARE = 0.01          # a ratio used by this share of the hits is one of the levels
FEW_LEVELS = 8              # a drummer plays few levels when this many carry...
LEVELS_COVER = 0.95         # ...this share of his hits
QUANTILES = 101             # a row's ratios are kept at every percent of its hits


def few_levels(values):
    """The values a drummer plays, when he plays few of them: the sorted list of those he plays
    on LEVEL_SHARE of his hits or more, when at most FEW_LEVELS values carry LEVELS_COVER of
    them; None when he plays a continuum.

    values: any array of whole numbers (velocities, offsets), hits only.
    """
    values, counts = np.unique(np.asarray(values).ravel(), return_counts=True)
    if values.size == 0:
        return None
    most_played_first = np.sort(counts)[::-1]
    needed = int(np.searchsorted(np.cumsum(most_played_first), LEVELS_COVER * counts.sum())) + 1
    if needed > FEW_LEVELS:
        return None
    return [int(value) for value in values[counts >= LEVEL_SHARE * counts.sum()]]


def usual_velocity(velocities, few=True):
    """A song's usual level: the velocity it plays most when its drummer plays few levels, the
    median of its velocities when he plays a continuum; 0 for a song without hits.
    velocities: any array, 0 = no hit."""
    values = np.asarray(velocities).ravel()
    values = values[values > 0]
    if values.size == 0:
        return 0
    return int(np.bincount(values).argmax()) if few else int(np.median(values))


def to_ratio(velocities, usual):
    """Each cell's velocity over its window's usual level (0 where there is no hit): what the
    drummer's habits are measured in. velocities (N, rows, steps) and usual (N,) as in to_unit
    -> (N, rows, steps) float64."""
    return velocities / np.maximum(np.asarray(usual, dtype=np.float64), 1)[:, None, None]


def velocity_spread(velocities, usual):
    """The ratio from the usual level that 99% of the hits stay within, SPREAD to WIDEST_SPREAD.
    velocities (N, rows, steps) and usual (N,) as in to_unit."""
    velocities = np.asarray(velocities)
    ratio = to_ratio(velocities, usual)
    deviation = np.abs(ratio[velocities > 0] - 1)
    if deviation.size == 0:
        return SPREAD
    return round(float(np.clip(np.quantile(deviation, 0.99), SPREAD, WIDEST_SPREAD)), 3)


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


def to_unit(velocities, usual, spread=SPREAD):
    """MIDI velocities (..., rows, steps), 0 = no hit, and each one's usual level (broadcast
    against the leading axes) -> float32 in [-1, 1], 0 where there is no hit."""
    velocities = np.asarray(velocities, dtype=np.float32)
    usual = np.asarray(usual, dtype=np.float32).reshape(
        np.shape(usual) + (1,) * (velocities.ndim - np.ndim(usual)))
    unit = np.clip((velocities / np.maximum(usual, 1) - 1) / spread, -1, 1)
    return np.where(velocities > 0, unit, 0).astype(np.float32)


def ratio_levels(velocities, usual):
    """The ratios velocity / usual level the drummer uses, and how often: (levels, shares).

    velocities (N, rows, steps) uint8 and usual (N,) as in to_unit. levels: the ratios (rounded
    to 0.01) of at least LEVEL_SHARE of all hits, sorted; shares: the share of all hits whose
    ratio is nearest to each level (they add up to 1).
    """
    velocities = np.asarray(velocities)
    ratio = to_ratio(velocities, usual)
    ratios = np.round(ratio[velocities > 0], 2)
    if ratios.size == 0:
        return [1.0], [1.0]
    values, counts = np.unique(ratios, return_counts=True)
    levels = values[counts >= LEVEL_SHARE * ratios.size]
    nearest = np.abs(ratios[:, None] - levels[None, :]).argmin(axis=1)
    shares = np.bincount(nearest, minlength=len(levels)) / ratios.size
    return [float(v) for v in levels], [round(float(v), 4) for v in shares]


def row_quantiles(velocities, usual, rows):
    """His ratios velocity / usual level on each of `rows`, at every percent of its hits:
    a list over rows of QUANTILES ratios (rounded to 0.001, lowest first), None for a row he
    never plays. velocities (N, all rows, steps) and usual (N,) as in to_unit."""
    velocities = np.asarray(velocities)
    ratio = to_ratio(velocities, usual)
    quantiles = []
    for row in rows:
        played = ratio[:, row][velocities[:, row] > 0]
        quantiles.append(None if played.size == 0 else [
            round(float(q), 3) for q in np.quantile(played, np.linspace(0, 1, QUANTILES))])
    return quantiles


def from_unit(unit, hits, base, levels, shares, spread=SPREAD, quantiles=None):
    """Network velocities in [-1, 1] -> MIDI velocities (uint8) as the drummer plays them.

    unit, hits: (..., rows, steps); base: the usual level of the output, one number or one per
    leading index (a window, a song); levels, shares: the ratios and how often each is played
    (ratio_levels), or None for a drummer who plays a continuum; quantiles: for a continuum,
    his ratios on each row (row_quantiles over all rows, None for a row without them), or None.

    With levels, the hits, ranked by their unit values, take the levels in those shares. For a
    continuum, each hit is base * (1 + spread * unit), except on a row with quantiles: there
    the hits, ranked by their unit values, take his ratios at their ranks (the k-th softest of
    n at (k + 1/2) / n of the way up his). 0 where there is no hit; every hit within 1..127.
    """
    unit = np.asarray(unit)
    hits = np.asarray(hits, dtype=bool)
    out = np.zeros(hits.shape, dtype=np.uint8)
    base = np.asarray(base, dtype=np.float64)                 # one, or one per leading index
    base = np.broadcast_to(base.reshape(base.shape + (1,) * (hits.ndim - base.ndim)),
                           hits.shape)
    if levels is None:
        ratio = 1 + spread * unit.astype(np.float64)          # (..., rows, steps)
        for row, his in enumerate(quantiles or []):
            on_row = hits[..., row, :]
            if his is not None and on_row.any():
                ratio[..., row, :][on_row] = np.interp(
                    rank_share(unit[..., row, :][on_row]), np.linspace(0, 1, len(his)), his)
        out[hits] = np.clip(np.round(base[hits] * ratio[hits]), 1, 127)
        return out
    order = np.argsort(unit[hits], kind="stable")                       # softest first
    bounds = np.round(np.cumsum(shares) / np.sum(shares) * order.size).astype(np.int64)
    rank_level = np.searchsorted(bounds, np.arange(order.size), side="right")  # (hits,)
    level = np.empty(order.size, dtype=np.int64)
    level[order] = np.minimum(rank_level, len(levels) - 1)
    out[hits] = np.clip(np.round(base[hits] * np.asarray(levels)[level]), 1, 127)
    return out


def rank_share(values):
    """Each of n values' place from the lowest, as a share: (k + 1/2) / n for the k-th lowest
    (ties in the order given). values (n,) -> (n,) float64 in (0, 1)."""
    rank = np.empty(len(values), dtype=np.float64)
    rank[np.argsort(values, kind="stable")] = np.arange(len(values))
    return (rank + 0.5) / len(values)
