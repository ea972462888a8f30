"""Interpolate between two grooves: the song model's windows on the way from one to the other.

Each end is an 8-bar window of the song model (models/song.py), found from what the user gives:

* a drum MIDI file: its first 8 bars of 4/4 in a row (groove_bars; a groove of fewer bars, one
  at least, is played round until it fills 8: a 2-bar loop four times), and the latent whose
  window plays them most alike, searched for as a primer's is (songwriter.fit_windows), with
  the roles of its bars (phrases.bar_roles);
* `seed:N`: the first pattern `make generate SEED=N NUM=1` writes, its latent and the roles
  drawn with it.

**Batch norm.** The generator normalises with the statistics of the batch a latent is decoded
in, and what a latent plays depends on them: in two batches of other random latents the same
latent plays patterns 0.82 alike (the median of 64 on the MGŁA run; 0.51 the least). So every
end comes with the statistics it plays with: a seed's are those of the batch `make generate`
decodes it in; a file's those of the sample of the run's --seed, held during its search
(SongGAN.batch_statistics, sampling_generator), so the end plays exactly the window found.
Every step is decoded with statistics held too: its ends' statistics mixed in proportion to how
far along the path it is.

**The path** has STEPS windows, from A (t = 0) to B (t = 1) in even steps:

* the global latent and the bar noise move along the great circle between the ends'
  (spherical interpolation): a latent drawn from a Gaussian lies near a sphere, and the straight
  line between two passes inside it (half way, its length is 0.71 of theirs for two
  independent ones), where the model never was in training;
* the roles move with them: each bar's share of ordinary, fill and change goes linearly from
  A's to B's (models/song.py counts a bar a share c of a change as starting its next groove
  code with chance c). Roles switched from A's to B's instead (all at once half way, or bar
  by bar along the path) moved a step far more than the latents did: on the MGŁA run two
  neighbouring steps stayed 0.12 to 0.37 alike with 32 steps as with 8.
"""
import collections
import os

import numpy as np

from drumroll.cli import UserError, parse_seed
from drumroll.dynamics import few_levels, usual_velocity
from drumroll.format import STEPS_PER_BAR, WINDOW_BARS, as_bars, from_bars
from drumroll.humanize import runs_in_four_four
from drumroll.metrics import per_song_range, style_statistics
from drumroll.models.base import MIN_SAMPLING_BATCH
from drumroll.models.song import role_planes
from drumroll.phrases import bar_roles, jaccard
from drumroll.songwriter import FIT_STEPS, fit_windows

SEED_END = "seed:"          # an end written seed:N is the sampled groove of seed N
MIN_STEPS, MAX_STEPS = 2, 64
DEFAULT_STEPS = 8
STYLE = ("hits per bar", "on 8ths", "on 16ths", "empty beats")   # measured on every step

# One end of a path. name: as the user gave it (a file or seed:N); latent (latent_size,);
# statistics: the batch norm statistics it plays with; bars (8, 25, 32) bool: the groove a
# file's end plays (None for a seed); played: the file's bars before they were played round;
# alike: how alike the end's window plays them (None for a seed); level: the usual velocity it
# plays at (a seed's drawn as make generate draws it, a file's its own; None: the run's).
End = collections.namedtuple("End", "name latent statistics bars played alike level",
                             defaults=(None,))
# The STEPS windows of a path: latents (S, latent_size), statistics [per step], each step's
# place t from 0 (A) to 1 (B) and its usual velocity (the ends' mixed as t says).
Path = collections.namedtuple("Path", "latents statistics places levels")


def check_steps(steps):
    """UserError unless MIN_STEPS <= steps <= MAX_STEPS (both ends counted)."""
    if not MIN_STEPS <= steps <= MAX_STEPS:
        raise UserError(f"--steps {steps}: give {MIN_STEPS} to {MAX_STEPS} steps, both ends "
                        "counted")
    return steps


def end_seed(text):
    """'seed:7' -> 7; None for anything else (a file); UserError for a seed that is not one."""
    if not text.startswith(SEED_END):
        return None
    try:
        return parse_seed(text[len(SEED_END):])
    except ValueError:
        raise UserError(f"{text}: N is a whole number, 0 or more (an end is a drum MIDI file "
                        "or seed:N)") from None


def groove_bars(roll, name):
    """A drum file's DrumRoll -> (the groove's 8 bars (8, 25, 32) bool, the bars of the file
    it plays (1 to 8)).

    Its first 8 bars of 4/4 in a row (a last 4/4 bar that ends early counts, its rest
    silence); a file without 8 of them in a row gives its longest run of them (the first of
    equal ones), played round until it fills 8 bars. UserError naming the file when it holds
    no 4/4 bar at all.
    """
    firsts, ends = runs_in_four_four(roll.bars)
    if not firsts:
        meters = sorted({f"{n}/{d}" for n, d in roll.bars.meters()})
        raise UserError(f"{name}: no bar of 4/4 (its bars are in {', '.join(meters)}); a "
                        "groove is 1 to 8 bars of 4/4")
    lengths = [end - first for first, end in zip(firsts, ends)]
    whole = [index for index, length in enumerate(lengths) if length >= WINDOW_BARS]
    run = whole[0] if whole else int(np.argmax(lengths))
    used = min(WINDOW_BARS, lengths[run])
    start = roll.bars.start[firsts[run]]
    hits = np.pad(roll.hits, ((0, 0), (0, STEPS_PER_BAR)))       # a last bar cut short: silence
    played = hits[:, start:start + used * STEPS_PER_BAR]
    played = as_bars(played)                                               # (used, 25, 32)
    return played[np.arange(WINDOW_BARS) % used], used


def sample_context(gan, seed):
    """The latent of the first pattern `make generate SEED=seed NUM=1` writes, the batch norm
    statistics of the batch it is decoded in and its usual velocity -> (latent (latent_size,),
    statistics, level).

    As SongGAN.sample_with_feel draws them: one latent, its usual level, then decode's filler
    from the same random stream.
    """
    rng = np.random.default_rng(seed)
    latent = gan.latents(1, rng)
    level = float(gan.usual_level(rng, 1)[0])
    batch = np.concatenate([latent, gan.latents(MIN_SAMPLING_BATCH - 1, rng)])
    return latent[0], gan.batch_statistics(batch), level


def seed_end(gan, text, seed):
    """The end seed:N: the run's sampled groove of that seed."""
    latent, statistics, level = sample_context(gan, seed)
    return End(text, latent, statistics, None, None, None, level)


def file_end(gan, name, bars, used, statistics, rng, steps=FIT_STEPS, level=None):
    """The end that plays a file's groove: bars (8, 25, 32) from groove_bars, `used` of them
    the file's own, searched for with `statistics` held (those of the sample of the run's
    seed, sample_context); level: the file's usual velocity (file_level), or None."""
    latents, alike = fit_windows(gan, [bars], bar_roles(bars)[None], rng, steps,
                                 statistics=statistics)
    return End(name, latents[0], statistics, bars, used, float(alike[0]), level)


def file_level(roll):
    """The usual velocity of a file's DrumRoll, as the dataset measures a song's
    (dynamics.usual_velocity: the level played most of few, else the median)."""
    played = roll.velocities[roll.velocities > 0]
    return float(usual_velocity(played, few=few_levels(played) is not None)) or None


def slerp(a, b, t):
    """The point a share t of the way from vector a to vector b along the great circle between
    them (Shoemake's spherical interpolation; a straight line when they point alike)."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    cosine = np.dot(a, b) / max(np.linalg.norm(a) * np.linalg.norm(b), 1e-12)
    angle = np.arccos(np.clip(cosine, -1.0, 1.0))
    if np.sin(angle) < 1e-6:
        return (1 - t) * a + t * b
    return (np.sin((1 - t) * angle) * a + np.sin(t * angle) * b) / np.sin(angle)


def mixed_statistics(first, last, t):
    """Batch norm statistics a share t of the way from `first` to `last` (each layer's mean and
    variance, linearly)."""
    return [(((1 - t) * mean_a + t * mean_b).astype(np.float32),
             ((1 - t) * var_a + t * var_b).astype(np.float32))
            for (mean_a, var_a), (mean_b, var_b) in zip(first, last)]


def plan_path(gan, a, b, steps):
    """The Path of `steps` windows from End a to End b (see the module docstring)."""
    global_a, noise_a, roles_a = gan.latent_parts(a.latent)
    global_b, noise_b, roles_b = gan.latent_parts(b.latent)
    planes_a, planes_b = role_planes(roles_a[None])[0], role_planes(roles_b[None])[0]
    places = np.linspace(0.0, 1.0, steps)
    level_a, level_b = (gan.config.usual_velocity if end.level is None else end.level
                        for end in (a, b))
    latents, statistics = [], []
    for t in places:
        noise = slerp(noise_a.ravel(), noise_b.ravel(), t).reshape(noise_a.shape)
        latents.append(gan.compose_latent(slerp(global_a, global_b, t), noise,
                                          (1 - t) * planes_a + t * planes_b))
        statistics.append(mixed_statistics(a.statistics, b.statistics, t))
    levels = (1 - places) * level_a + places * level_b
    return Path(np.stack(latents), statistics, places, levels)


def decode_path(gan, path):
    """Every step's window -> hits (S, 25, 256) bool, velocities (S, 25, 256) uint8, offsets
    (S, 25, 256) int8, each decoded with its own statistics held (alone: no filler needed)
    at its own usual velocity."""
    rng = np.random.default_rng(0)                   # unused: with statistics, no filler
    rolls, velocities, offsets = zip(*(
        gan.decode(latent[None], rng, level, statistics=statistics)
        for latent, statistics, level in zip(path.latents, path.statistics, path.levels)))
    return np.concatenate(rolls) < 0, np.concatenate(velocities), np.concatenate(offsets)


def alike(a, b):
    """The Jaccard similarity of two rolls' hits (any shape)."""
    return float(jaccard(np.asarray(a, bool).reshape(1, -1), np.asarray(b, bool).reshape(1, -1))[0])


def step_notes(hits, a, b):
    """The page's note of every step: where it is on the path, how alike it is to the ends and
    to the step before, and for an end, what it plays."""
    steps, notes = len(hits), []
    for index, step in enumerate(hits):
        note = (f"step {index + 1} of {steps} ({index}/{steps - 1} of the way): alike A "
                f"{alike(step, hits[0]):.2f}, B {alike(step, hits[-1]):.2f}")
        if index:
            note += f", the step before {alike(step, hits[index - 1]):.2f}"
        for end, letter, place in ((a, "A", 0), (b, "B", steps - 1)):
            if index == place:
                note += f"; {letter}: {end_text(end)}"
        notes.append(note)
    return notes


def end_text(end):
    """What an end plays, in a few words."""
    seed = end_seed(end.name)
    if seed is not None:
        return f"{end.name}, as make generate SEED={seed} NUM=1 plays it"
    bars = (f"its {end.played} bars played round" if end.played < WINDOW_BARS
            else "its first 8 bars")
    return f"{os.path.basename(end.name)}, {bars}, the model's window {end.alike:.2f} alike"


def path_measures(hits, a, b, training=None):
    """How well a path does what it is for -> {measure: value} (hits (S, 25, 256) bool, the
    decoded steps; a, b: its Ends; training: (rolls (N, 25, 256) bool, song of each) of the
    run's training windows, or None):

    the ends against their grooves (a file's; None for a seed) and each other; every step
    against the step before (Jaccard of their hits: 0.5 and above is one groove,
    phrases.ALIKE); the style statistics STYLE of the steps, lowest to highest. With the
    training windows, beside them: the range of his windows (the middle 90% of them, since
    a step is one window), the share of steps with every statistic within it and that of his
    own windows, and the range of his songs (each song's mean) and whether the steps together
    are within it.
    """
    neighbours = [alike(after, before) for before, after in zip(hits[:-1], hits[1:])]
    row = {"steps": len(hits),
           "A alike its groove": None if a.bars is None else alike(hits[0], from_bars(a.bars)),
           "B alike its groove": None if b.bars is None else alike(hits[-1], from_bars(b.bars)),
           "A alike B": alike(hits[0], hits[-1]),
           "neighbours alike, lowest": min(neighbours),
           "neighbours alike, mean": float(np.mean(neighbours))}
    steps = window_style(hits)
    for name in STYLE:
        row[f"{name}, steps"] = (float(steps[name].min()), float(steps[name].max()))
    if training is not None:
        rolls, songs = training
        windows = window_style(rolls)
        middle = {name: tuple(np.percentile(windows[name], [5, 95]).tolist()) for name in STYLE}
        songs_range = per_song_range(rolls, songs)
        together = style_statistics(hits)
        for name in STYLE:
            row[f"{name}, his windows (middle 90%)"] = middle[name]
            row[f"{name}, the steps together"] = together[name]
            row[f"{name}, his songs"] = songs_range[name]
        row["steps within his windows' range"] = share_within(steps, middle)
        row["his own windows within it"] = share_within(windows, middle)
        row["the steps together within his songs' range"] = all(
            songs_range[name][0] <= together[name] <= songs_range[name][1] for name in STYLE)
    return row


def share_within(style, ranges):
    """The share of windows (window_style) with every statistic within its (low, high)."""
    return float(np.mean(np.all([(ranges[name][0] <= style[name]) & (style[name] <= ranges[name][1])
                                 for name in STYLE], axis=0)))


def window_style(rolls):
    """The style statistics STYLE of every window on its own -> {name: (N,) values}."""
    rows = [style_statistics(roll[None]) for roll in np.asarray(rolls, dtype=bool)]
    return {name: np.array([row[name] for row in rows]) for name in STYLE}
