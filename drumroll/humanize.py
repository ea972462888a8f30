"""Humanize a drum part: the same notes, played with a trained drummer's timing and dynamics.

A song model learned *how* its drummer plays each hit beside *what* he plays (models/song.py:
the velocity and offset channels). To humanize a drum MIDI file, every 8 bars of it in 4/4 are
matched by the window of the model that plays them most alike (songwriter.fit_windows: the
search the primer uses), and each of the file's hits takes the velocity and the offset that
window gives its cell (SongGAN.decode with the file's hits: the model's feel channels before
its own hits gate them; a hit it would not have played itself takes the feel of its nearest
own hit on that drum within a quarter note, of the same place in the 8th when there is one:
the feel it learned for that drum there, an off-beat 16th's swing included), around the
file's own usual level (dynamics.usual_velocity: its median, or its most played velocity for a
drummer of few levels), so a file keeps its loudness and takes his accents and ghost notes
around it. The notes stay the file's own, hit for hit: only when and how loud they sound
changes.

Kept as they were played: bars in another meter than 4/4 (the model knows 4/4 bars only; a
last 4/4 bar that ends early is played, the rest of it taken as silence), the
notes of drums the model never learned (rows outside its training data), and every hit when
the model learned no timing (it keeps its offset) or no dynamics. The quieter hits sharing a
cell with a louder one (midi_in.ExtraHits) move with it.
"""
import collections
import dataclasses

import numpy as np

from drumroll.dynamics import usual_velocity
from drumroll.format import STEPS_PER_BAR, WINDOW_BARS, WINDOW_STEPS, as_bars
from drumroll.phrases import ORDINARY, bar_roles
from drumroll.songwriter import fit_windows

HUMANIZE_CANDIDATES = 16   # starting points of the search per 8 bars (a song is many windows)

Humanized = collections.namedtuple("Humanized", "roll bars kept_bars kept_notes alike")


def runs_in_four_four(bars):
    """Runs of 4/4 bars in a row -> (first bars, ends): the whole ones, and the song's last bar
    when it is in 4/4 but ends early (a file ends where its last note does)."""
    four_four = bars.whole_four_four.copy()
    if len(bars) and bars.meters()[-1] == (4, 4):
        four_four[-1] = True
    usable = np.concatenate([[False], four_four, [False]])
    edges = np.flatnonzero(np.diff(usable.astype(np.int8)))
    return edges[0::2].tolist(), edges[1::2].tolist()


def windows_of(roll):
    """The 8-bar windows that cover the roll's runs of 4/4 bars (runs_in_four_four): [(first
    step, bars used)], each window's hits (W, 25, 256) bool, and its bars' roles (W, 8)."""
    hits = np.pad(roll.hits, ((0, 0), (0, STEPS_PER_BAR)))      # a last bar cut short: silence
    spans, windows, roles = [], [], []
    for first, end in zip(*runs_in_four_four(roll.bars)):
        start = roll.bars.start[first]
        run = hits[:, start:start + (end - first) * STEPS_PER_BAR]          # (25, bars * 32)
        run_bars = as_bars(run)
        run_roles = bar_roles(run_bars)
        for offset in range(0, end - first, WINDOW_BARS):
            used = min(WINDOW_BARS, end - first - offset)
            window = np.zeros((len(run), WINDOW_STEPS), dtype=bool)
            window[:, :used * STEPS_PER_BAR] = run[:, offset * STEPS_PER_BAR:
                                                   (offset + used) * STEPS_PER_BAR]
            window_roles = np.full(WINDOW_BARS, ORDINARY, dtype=np.int8)
            window_roles[:used] = run_roles[offset:offset + used]
            spans.append((start + offset * STEPS_PER_BAR, used))
            windows.append(window)
            roles.append(window_roles)
    return spans, np.array(windows).reshape(-1, len(hits), WINDOW_STEPS), np.array(
        roles, dtype=np.int8).reshape(-1, WINDOW_BARS)


def humanize(gan, roll, rng, steps=None):
    """A DrumRoll played as the run's drummer would play it -> Humanized: the new DrumRoll (the
    same notes, bars and tempo map, new velocities and offsets), the bars humanized, the bars
    kept as they were (another meter, or a last bar cut short), the hits kept as they were
    (drums the model never learned) and how alike the model's windows were to the file's bars
    (the mean Jaccard similarity of their hits).

    gan: a song model (it plays feel); steps: the search's gradient steps (default: the
    primer's).
    """
    spans, windows, roles = windows_of(roll)
    velocities, offsets = roll.velocities.copy(), roll.offsets.copy()
    modelled = np.zeros(len(velocities), dtype=bool)
    modelled[gan.config.rows] = True
    alike = np.zeros(0)
    if spans:
        targets = [as_bars(window[:, :used * STEPS_PER_BAR])
                   for window, (_, used) in zip(windows, spans)]
        options = {} if steps is None else {"steps": steps}
        # Unlike a primer's song, the windows found are decoded in a batch of their own, not
        # with the search's held statistics: only their feel is used, and on GMD drummer 8
        # (seeds 0, 1, 2) held statistics played it further from his (feel distance 0.138,
        # 0.134, 0.144 against 0.115, 0.114, 0.139; bench/humanize_feel.py).
        latents, alike = fit_windows(gan, targets, roles, rng, candidates=HUMANIZE_CANDIDATES,
                                     **options)
        own_level = usual_velocity(roll.velocities, few=gan.config.velocity_levels is not None)
        _, loud, early = gan.decode(latents, rng, base=own_level or None, hits=windows)
        for (start, used), window, window_loud, window_early in zip(spans, windows, loud, early):
            cells = slice(start, min(start + used * STEPS_PER_BAR, roll.num_steps))
            width = cells.stop - cells.start
            played = window[:, :width] & modelled[:, None]
            velocities[:, cells] = np.where(played, window_loud[:, :width], velocities[:, cells])
            if gan.config.timing:
                offsets[:, cells] = np.where(played, window_early[:, :width], offsets[:, cells])
    humanized_bars = sum(used for _, used in spans)
    kept_notes = int(roll.hits[~modelled].sum())
    new = dataclasses.replace(roll, velocities=velocities, offsets=offsets,
                              extra=moved_with_their_cells(roll, velocities, offsets))
    return Humanized(new, humanized_bars, len(roll.bars) - humanized_bars, kept_notes,
                     float(np.mean(alike)) if len(alike) else 0.0)


def moved_with_their_cells(roll, velocities, offsets):
    """The roll's extra hits (the quieter ones of a cell) moved as their cell's hit moved: by
    the same offset, their velocity in the same proportion."""
    extra = roll.extra
    if not len(extra):
        return extra
    cell = (extra.row, extra.step)
    shift = offsets[cell].astype(np.int64) - roll.offsets[cell]
    scale = velocities[cell] / np.maximum(roll.velocities[cell], 1)
    return dataclasses.replace(
        extra, offset=np.clip(extra.offset + shift, -128, 127).astype(np.int8),
        velocity=np.clip(np.round(extra.velocity * scale), 1, 127).astype(np.uint8))
