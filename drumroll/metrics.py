"""How close is a set of generated drum rolls to the real thing? Numbers instead of ears.

A GAN's loss says little about its music, so we compare sets of rolls directly. Every function
takes boolean rolls of shape (N, rows, steps) (True = hit, rows as in `format`), 8-bar windows
of 32nd-note steps. Three kinds of measure:

- style statistics of one set (hits per step per kit piece, where hits fall in the bar,
  bar-to-bar consistency, empty beats), to be read next to the same numbers for real music;
- diversity and copying, which need a second set (the real windows, the training windows);
- distribution-level scores on a small feature vector per window: the Frechet distance between
  the feature statistics of two sets, and the leave-one-out accuracy of a 1-nearest-neighbour
  classifier telling them apart (0.5 = indistinguishable, 1.0 = always told apart).
"""
import numpy as np
import scipy.linalg

from drumroll.format import KIT_PIECES, LOWEST_NOTE, NUM_ROWS, STEPS_PER_BAR, STEPS_PER_BEAT

# A near-copy: a sample within this share of its own hit count of some training window.
NEAR_COPY_FRACTION = 0.1


def per_step_name(piece):
    """The table's name for a kit piece's hits per step: 'kick per step', or 'ride (3 notes)
    per step' when the piece is several notes, whose hits add up (so it can pass 1)."""
    notes = len(KIT_PIECES[piece])
    return f"{piece} per step" if notes == 1 else f"{piece} ({notes} notes) per step"


def kit_rows(piece):
    """Row indices of a kit piece (see format.KIT_PIECES)."""
    return [note - LOWEST_NOTE for note in KIT_PIECES[piece] if 0 <= note - LOWEST_NOTE < NUM_ROWS]


def as_rolls(rolls):
    rolls = np.asarray(rolls, dtype=bool)
    if rolls.ndim != 3:
        raise ValueError(f"rolls must be (N, rows, steps), got shape {rolls.shape}")
    return rolls


def bars(rolls):
    """(N, rows, steps) -> (N, bars, rows, STEPS_PER_BAR)."""
    n, rows, steps = rolls.shape
    return rolls.reshape(n, rows, steps // STEPS_PER_BAR, STEPS_PER_BAR).transpose(0, 2, 1, 3)


# ---------------------------------------------------------------- style statistics of one set

def hits_per_step(rolls):
    """Mean hits per 32nd step for each kit piece: {piece: rate}."""
    rolls = as_rolls(rolls)
    return {piece: float(rolls[:, kit_rows(piece), :].sum(axis=1).mean())
            for piece in KIT_PIECES}


def windows_with(rolls, piece):
    """Share of the rolls with at least one hit of a kit piece (e.g. how many hold a tom)."""
    rolls = as_rolls(rolls)
    return float(rolls[:, kit_rows(piece), :].any(axis=(1, 2)).mean())


def hits_per_bar(rolls):
    rolls = as_rolls(rolls)
    return float(rolls.sum() / (rolls.shape[0] * rolls.shape[2] / STEPS_PER_BAR))


def grid_shares(rolls):
    """Share of all hits on 8th-note positions and on 16th-note positions (8ths included)."""
    rolls = as_rolls(rolls)
    per_step = rolls.sum(axis=(0, 1))                          # (steps,)
    total = max(int(per_step.sum()), 1)
    steps = np.arange(rolls.shape[2])
    return {"on 8ths": float(per_step[steps % 4 == 0].sum() / total),
            "on 16ths": float(per_step[steps % 2 == 0].sum() / total)}


def bar_similarity_per_window(rolls):
    """(N,) mean Jaccard similarity of each bar with the next one (1 = every bar the same)."""
    per_bar = bars(as_rolls(rolls))                            # (N, B, rows, 32)
    a, b = per_bar[:, :-1], per_bar[:, 1:]
    union = (a | b).sum(axis=(2, 3))                           # (N, B-1)
    inter = (a & b).sum(axis=(2, 3))
    # two empty bars are the same bar
    return np.where(union == 0, 1.0, inter / np.maximum(union, 1)).mean(axis=1)


def bar_consistency(rolls):
    return float(bar_similarity_per_window(rolls).mean())


def empty_beats_per_window(rolls):
    """(N,) share of quarter-note beats with no hit at all."""
    rolls = as_rolls(rolls)
    n, rows, steps = rolls.shape
    beats = rolls.reshape(n, rows, steps // STEPS_PER_BEAT, STEPS_PER_BEAT).any(axis=(1, 3))
    return 1.0 - beats.mean(axis=1)


def empty_beats(rolls):
    return float(empty_beats_per_window(rolls).mean())


# ------------------------------------------------------------------ diversity and copying

def pairwise_hamming(a, b):
    """Number of differing cells between every roll of a and every roll of b: (len(a), len(b))."""
    a = as_rolls(a).reshape(len(a), -1).astype(np.float32)
    b = as_rolls(b).reshape(len(b), -1).astype(np.float32)
    # |a xor b| = |a| + |b| - 2 a.b, one matrix product instead of a loop over pairs
    return a.sum(1)[:, None] + b.sum(1)[None, :] - 2.0 * (a @ b.T)


def mean_pairwise_distance(rolls):
    rolls = as_rolls(rolls)
    if len(rolls) < 2:
        return 0.0
    d = pairwise_hamming(rolls, rolls)
    return float(d.sum() / (len(rolls) * (len(rolls) - 1)))


def diversity(samples, real):
    """Mean pairwise distance among samples relative to the same among real windows."""
    return diversity_against(samples, mean_pairwise_distance(real))


def diversity_against(samples, real_distance):
    """diversity() when the real windows' mean pairwise distance is already known."""
    return mean_pairwise_distance(samples) / max(real_distance, 1e-9)


def nearest_distances(samples, reference, chunk=256):
    """Hamming distance from each sample to its nearest roll in `reference`."""
    samples = as_rolls(samples)
    out = np.empty(len(samples), dtype=np.float64)
    for start in range(0, len(samples), chunk):
        d = pairwise_hamming(samples[start:start + chunk], reference)
        out[start:start + chunk] = d.min(axis=1)
    return out


def near_copy_share(samples, reference):
    """Share of samples within NEAR_COPY_FRACTION of their hits of some reference window."""
    samples = as_rolls(samples)
    hits = np.maximum(samples.sum(axis=(1, 2)), 1)
    return float(np.mean(nearest_distances(samples, reference) <= NEAR_COPY_FRACTION * hits))


def verbatim_bars(samples, reference):
    """Share of the samples' non-empty bars that occur exactly among the reference's bars."""
    def bar_keys(rolls):
        per_bar = bars(as_rolls(rolls)).reshape(-1, NUM_ROWS * STEPS_PER_BAR)
        per_bar = per_bar[per_bar.any(axis=1)]
        return [np.packbits(bar).tobytes() for bar in per_bar]

    known = set(bar_keys(reference))
    keys = bar_keys(samples)
    return float(np.mean([key in known for key in keys])) if keys else 0.0


# ------------------------------------------------------------- distribution-level scores

def features(rolls):
    """A small style descriptor per window: (N, F) float64.

    Hits per step of each kit piece, the share of hits at each of the 8 positions inside a
    beat, hits per bar and its spread across bars, bar-to-bar similarity and empty beats.
    """
    rolls = as_rolls(rolls)
    n, rows, steps = rolls.shape
    columns = [rolls[:, kit_rows(piece), :].sum(axis=(1, 2)) / steps for piece in KIT_PIECES]
    per_position = rolls.sum(axis=1).reshape(n, -1, STEPS_PER_BEAT).sum(axis=1)   # (N, 8)
    total = np.maximum(per_position.sum(axis=1, keepdims=True), 1)
    columns.extend((per_position / total).T)
    bar_counts = bars(rolls).sum(axis=(2, 3))                                   # (N, B)
    columns.append(bar_counts.mean(axis=1) / STEPS_PER_BAR)
    columns.append(bar_counts.std(axis=1) / STEPS_PER_BAR)
    columns.append(bar_similarity_per_window(rolls))
    columns.append(empty_beats_per_window(rolls))
    return np.stack(columns, axis=1).astype(np.float64)


def frechet_distance(features_a, features_b, eps=1e-6):
    """||mu_a - mu_b||^2 + Tr(C_a + C_b - 2 (C_a C_b)^(1/2)), as in the FID."""
    mu_a, mu_b = features_a.mean(axis=0), features_b.mean(axis=0)
    cov_a = np.cov(features_a, rowvar=False) + eps * np.eye(features_a.shape[1])
    cov_b = np.cov(features_b, rowvar=False) + eps * np.eye(features_b.shape[1])
    root = scipy.linalg.sqrtm(cov_a @ cov_b)
    root = np.real(root)
    return float(((mu_a - mu_b) ** 2).sum() + np.trace(cov_a + cov_b - 2.0 * root))


def nearest_neighbour_accuracy(features_a, features_b, groups_a=None, groups_b=None, seed=0):
    """Leave-one-song-out accuracy of a 1-NN classifier telling set a from set b.

    groups_a / groups_b name the song of each window (None: every window its own song). A
    window's neighbours from its own song are left out: windows start at every bar, so a song's
    windows overlap and would otherwise find each other, telling any two sets of songs apart.
    The larger set is subsampled to the size of the smaller so chance is exactly 0.5.
    Features are standardized on the pooled sets so no single feature dominates.
    """
    rng = np.random.default_rng(seed)
    size = min(len(features_a), len(features_b))
    picks, groups = [], []
    for label, features, names in ((0, features_a, groups_a), (1, features_b, groups_b)):
        chosen = rng.choice(len(features), size, replace=False)
        picks.append(features[chosen])
        names = np.arange(len(features)).astype(str) if names is None else np.asarray(names)
        groups.append(np.char.add(f"{label}:", names[chosen].astype(str)))
    pooled = np.concatenate(picks)
    pooled = (pooled - pooled.mean(axis=0)) / (pooled.std(axis=0) + 1e-9)
    groups = np.concatenate(groups)
    labels = np.repeat([0, 1], size)
    squared = (pooled ** 2).sum(axis=1)
    d = squared[:, None] + squared[None, :] - 2.0 * pooled @ pooled.T
    d[groups[:, None] == groups[None, :]] = np.inf               # itself and its own song
    return float(np.mean(labels[d.argmin(axis=1)] == labels))


# -------------------------------------------------------------------------- the whole table

class Reference:
    """The real windows sets are judged against, with what every judgement needs computed once.

    groups names the song of each window (see nearest_neighbour_accuracy), or None.
    """

    def __init__(self, rolls, groups=None):
        self.rolls = as_rolls(rolls)
        self.groups = groups
        self.mean_distance = mean_pairwise_distance(self.rolls)
        self.features = features(self.rolls)


def style_statistics(rolls):
    """The style statistics of a set of rolls, as an ordered {name: value} dict (with the
    number of windows first)."""
    rolls = as_rolls(rolls)
    row = {"windows": float(len(rolls)), "hits per bar": hits_per_bar(rolls)}
    for piece, rate in hits_per_step(rolls).items():
        row[per_step_name(piece)] = rate
    row["windows with a tom"] = windows_with(rolls, "toms")
    row.update(grid_shares(rolls))
    row["bar-to-bar similarity"] = bar_consistency(rolls)
    row["empty beats"] = empty_beats(rolls)
    return row


def per_song_range(rolls, songs):
    """The style statistics of each song's rolls, lowest to highest: {name: (low, high)} (the
    spread of a drummer's own songs). songs (N,) names the song of each roll."""
    rolls, songs = as_rolls(rolls), np.asarray(songs)
    per_song = [style_statistics(rolls[songs == song]) for song in np.unique(songs)]
    return {name: (min(row[name] for row in per_song), max(row[name] for row in per_song))
            for name in per_song[0] if name != "windows"}


def evaluate_set(rolls, train_rolls, reference, groups=None):
    """Every measure for one set of rolls, as an ordered {name: value} dict.

    `train_rolls` are the windows a model learned from (for copying), `reference` a Reference
    of the real windows the set is judged against (for diversity and distribution scores);
    `groups` names the song of each of `rolls`, when they have one.
    """
    rolls = as_rolls(rolls)
    row = style_statistics(rolls)
    row["diversity"] = diversity_against(rolls, reference.mean_distance)
    row["verbatim bars"] = verbatim_bars(rolls, train_rolls)
    row["near-copies"] = near_copy_share(rolls, train_rolls)
    ours = features(rolls)
    row["Frechet distance"] = frechet_distance(ours, reference.features)
    row["1-NN accuracy"] = nearest_neighbour_accuracy(ours, reference.features, groups,
                                                      reference.groups)
    return row


def style_error(row, real_row):
    """Mean relative difference of the style statistics from those of real music (0 = same)."""
    keys = [key for key in real_row if key.endswith("per step") or key.startswith("on ")
            or key in ("hits per bar", "bar-to-bar similarity", "empty beats")]
    errors = [abs(row[key] - real_row[key]) / max(abs(real_row[key]), 0.01) for key in keys]
    return float(np.mean(errors))
