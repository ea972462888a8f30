"""How a drummer plays, in numbers: his timing against the grid and his dynamics.

metrics.py says *what* a set of drum rolls plays; this module says *how*: where the hits fall
against the grid (in milliseconds, at each roll's tempo) and how loud they are. Every function
takes a Playing: hits (N, rows, steps) bool, their velocities (N, rows, steps) uint8, their
offsets from the grid line (N, rows, steps) int8 in 1/OFFSET_UNITS of a step, and each roll's
tempo (N,) in bpm. The measures (`feel_statistics`):

- timing spread: the standard deviation of the offsets, ms;
- kick, snare, hi-hat: the mean offset of each, ms: negative pushes ahead of the beat,
  positive lays back;
- swing: how much later the hits on the off-beat 16ths (the "e" and "a") fall against their
  grid line than those on the beat and the "and", ms (a shuffle is late on the off-beats);
- off the grid: the share of hits further than a quarter of a step from their grid line
  (swing, triplets, ghost notes, flams, a laid-back backbeat; a sequencer has none);
- velocity spread and mean;
- the accent profile: the mean velocity on each of the 16 16th positions of a bar, over the
  mean velocity of all hits.

`feel_distances` compares two sets: a timing distance (the differences of the timing measures
over the reference's timing spread, at least 5 ms, and of the off-the-grid share over its own,
at least 5%), a dynamics
distance (the Wasserstein distance between the two velocity distributions over the reference's
velocity spread, and the mean difference of the accent profiles), and their mean, the *feel
distance* (0 = played alike). `make evaluate` reads a model's distance next to that of the
drummer's training songs to his held-out songs: a model plays like him when it is about as
close to his held-out songs as his own training songs are.
"""
import collections
import dataclasses

import numpy as np

from drumroll.format import KIT_PIECES, LOWEST_NOTE, NUM_ROWS, OFFSET_UNITS, STEPS_PER_BAR

SIXTEENTH = 2               # steps of a 16th note
OFF_GRID = 0.25             # steps from its grid line that put a hit "off the grid"
NOTICED_MS = 5.0            # timing differences are counted in this unit at least
NOTICED_SHARE = 0.05        # and shares of hits off the grid in this one
POSITIONS = STEPS_PER_BAR // SIXTEENTH   # 16th positions in a bar
PIECES = ("kick", "snare", "hi-hat")     # whose push or pull is measured

Playing = collections.namedtuple("Playing", "hits velocities offsets bpm")


@dataclasses.dataclass
class Feel:
    """The feel of a set of rolls: the table's numbers and what the distances compare."""
    measures: dict              # {name: value} for the table
    velocities: np.ndarray      # (128,) share of the hits at each velocity
    profile: np.ndarray         # (16,) accent profile


def piece_rows(piece):
    return [note - LOWEST_NOTE for note in KIT_PIECES[piece] if 0 <= note - LOWEST_NOTE < NUM_ROWS]


def hit_table(playing):
    """Every hit of a Playing -> (rows, steps in its roll, offsets in steps, ms per step)."""
    hits = np.asarray(playing.hits, dtype=bool)
    windows, rows, steps = np.nonzero(hits)
    offsets = np.asarray(playing.offsets)[windows, rows, steps] / OFFSET_UNITS
    step_ms = 60000.0 / np.asarray(playing.bpm, dtype=np.float64)[windows] / 8
    return rows, steps, offsets, step_ms


def feel_statistics(playing):
    """The feel of a Playing -> Feel."""
    hits = np.asarray(playing.hits, dtype=bool)
    if not hits.any():
        raise ValueError("a set of rolls without a single hit has no feel")
    rows, steps, offsets, step_ms = hit_table(playing)
    velocities = np.asarray(playing.velocities)[hits].astype(np.float64)
    ms = offsets * step_ms                                      # after its grid line
    measures = {"timing spread (ms)": float(ms.std())}
    for piece in PIECES:
        mine = np.isin(rows, piece_rows(piece))
        measures[f"{piece} ahead (-) or behind (+), ms"] = float(ms[mine].mean()) if mine.any() \
            else 0.0
    off_beat = steps % (2 * SIXTEENTH) == SIXTEENTH             # the "e" and the "a"
    on_beat = steps % (2 * SIXTEENTH) == 0                      # the beat and the "and"
    measures["swing of the off-beat 16ths (ms)"] = (
        float(ms[off_beat].mean() - ms[on_beat].mean()) if off_beat.any() and on_beat.any()
        else 0.0)
    measures["hits off the grid"] = float(np.mean(np.abs(offsets) > OFF_GRID))
    measures["velocity mean"] = float(velocities.mean())
    measures["velocity spread"] = float(velocities.std())
    histogram = np.bincount(velocities.astype(np.int64), minlength=128)[:128] / len(velocities)
    cell = (steps % STEPS_PER_BAR) // SIXTEENTH
    sums = np.bincount(cell, weights=velocities, minlength=POSITIONS)
    counts = np.bincount(cell, minlength=POSITIONS)
    profile = np.where(counts > 0, sums / np.maximum(counts, 1), 0) / velocities.mean()
    return Feel(measures, histogram, profile)


TIMING_MEASURES = ("timing spread (ms)", "swing of the off-beat 16ths (ms)") + tuple(
    f"{piece} ahead (-) or behind (+), ms" for piece in PIECES)


def feel_distances(feel, reference):
    """How far a Feel is from a reference one -> {'timing distance', 'dynamics distance',
    'feel distance'} (0 = played alike; see the module docstring)."""
    ours, theirs = feel.measures, reference.measures
    spread = max(theirs["timing spread (ms)"], NOTICED_MS)
    timing = [abs(ours[name] - theirs[name]) / spread for name in TIMING_MEASURES]
    timing.append(abs(ours["hits off the grid"] - theirs["hits off the grid"])
                  / max(theirs["hits off the grid"], NOTICED_SHARE))
    velocity_gap = np.abs(np.cumsum(feel.velocities) - np.cumsum(reference.velocities)).sum()
    dynamics = [velocity_gap / max(theirs["velocity spread"], 1.0),
                float(np.abs(feel.profile - reference.profile).mean())]
    distances = {"timing distance": float(np.mean(timing)),
                 "dynamics distance": float(np.mean(dynamics))}
    distances["feel distance"] = (distances["timing distance"]
                                  + distances["dynamics distance"]) / 2
    return distances


def on_the_grid(playing, velocity=None):
    """A Playing as a sequencer plays it: every hit on its grid line, all at one velocity
    (default: the median of its own)."""
    hits = np.asarray(playing.hits, dtype=bool)
    if velocity is None:
        velocity = int(np.median(np.asarray(playing.velocities)[hits]))
    return Playing(hits, np.where(hits, velocity, 0).astype(np.uint8),
                   np.zeros(hits.shape, dtype=np.int8), playing.bpm)


def feel_table_columns(sets, reference):
    """{name: Playing} -> {name: {measure: value}}: each set's feel measures and its distances
    from the set named `reference` (its own are 0)."""
    feels = {name: feel_statistics(playing) for name, playing in sets.items()}
    return {name: {**feel.measures, **feel_distances(feel, feels[reference])}
            for name, feel in feels.items()}
