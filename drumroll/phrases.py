"""Above the bar: where grooves change, which bars are fills, and how a whole song behaves.

A song is a sequence of 4/4 bars, each a (rows, 32) grid of hits. Two bars are *alike* when
the Jaccard similarity of their sets of (note, step) hits is at least ALIKE (two empty bars
are alike). From that:

* a **groove change** is a bar unlike the bar before it (the first bar has none before it);
* a **fill** is a bar with at least two tom hits, or a bar unlike both of its neighbours while
  they are alike (a break in a groove that goes on after it);
* every bar gets a **role**, which the song model is conditioned on: FILL for fills, CHANGE for
  the other groove changes (the first bar of a new groove), ORDINARY for the rest.

`song_measures` turns these into the numbers `make evaluate` compares with the drummer's songs:
how often grooves change and how long they last, how many bars hold a fill, how often a fill
leads into a change and a crash marks it, how often bars repeat the bar four before, and how
the velocities are spread (levels, accents above the song's usual level).
"""
import numpy as np

from drumroll.dynamics import velocity_levels
from drumroll.format import KIT_PIECES, LOWEST_NOTE

ALIKE = 0.5                 # Jaccard similarity from which two bars are the same groove
FILL_TOM_HITS = 2           # a bar with this many tom hits is a fill
ORDINARY, FILL, CHANGE = 0, 1, 2
ROLE_NAMES = ("ordinary", "fill", "change")
NUM_ROLES = len(ROLE_NAMES)


def rows_of(notes, lowest_note=LOWEST_NOTE):
    return [note - lowest_note for note in notes]


TOM_ROWS = rows_of(KIT_PIECES["toms"])
CRASH_ROWS = rows_of(KIT_PIECES["crash/china"])


def similarity_to_previous(bars):
    """Jaccard similarity of each bar with the one before: (B, rows, 32) bool -> (B,) float.

    The first bar has no bar before it and gets 1 (it changes nothing).
    """
    bars = np.asarray(bars, dtype=bool).reshape(len(bars), -1)   # (B, rows * 32)
    return np.concatenate([[1.0], jaccard(bars[1:], bars[:-1])])


def jaccard(a, b):
    """Row-wise Jaccard similarity of two (n, cells) bool arrays; two empty rows give 1."""
    union = (a | b).sum(axis=1)
    inter = (a & b).sum(axis=1)
    return np.where(union == 0, 1.0, inter / np.maximum(union, 1))


def groove_changes(bars):
    """(B,) bool: bars unlike the bar before them."""
    return similarity_to_previous(bars) < ALIKE


def fills(bars):
    """(B,) bool: bars with FILL_TOM_HITS tom hits, or unlike both neighbours that are alike."""
    bars = np.asarray(bars, dtype=bool)
    flat = bars.reshape(len(bars), -1)
    is_fill = bars[:, TOM_ROWS].sum(axis=(1, 2)) >= FILL_TOM_HITS
    if len(bars) >= 3:
        unlike_before = jaccard(flat[1:-1], flat[:-2]) < ALIKE
        unlike_after = jaccard(flat[1:-1], flat[2:]) < ALIKE
        neighbours_alike = jaccard(flat[:-2], flat[2:]) >= ALIKE
        is_fill[1:-1] |= unlike_before & unlike_after & neighbours_alike
    return is_fill


def bar_roles(bars):
    """(B,) int8 role of every bar of a run of consecutive 4/4 bars: ORDINARY, FILL or CHANGE."""
    roles = np.full(len(bars), ORDINARY, dtype=np.int8)
    roles[groove_changes(bars)] = CHANGE
    roles[fills(bars)] = FILL
    return roles


def song_measures(bars, velocities=None):
    """The song-level measures of one song: {name: value}.

    bars: (B, rows, 32) bool, B >= 5; velocities: the same shape, 0 where no hit, or None.
    """
    bars = np.asarray(bars, dtype=bool)
    flat = bars.reshape(len(bars), -1)
    changes = groove_changes(bars)
    is_fill = fills(bars)
    changed = np.flatnonzero(changes)                       # bars with a bar before them
    starts = 1 + len(changed)                               # the first bar starts a groove too
    crash_on_downbeat = bars[:, CRASH_ROWS, 0].any(axis=1)
    heard = flat[4:].any(axis=1) | flat[:-4].any(axis=1)           # two silent bars say nothing
    repeats = (flat[4:] == flat[:-4]).all(axis=1)[heard]
    row = {
        "bars": float(len(bars)),
        "bars starting a new groove": starts / len(bars),
        "mean groove length (bars)": len(bars) / starts,
        "bars with a fill": float(is_fill.mean()),
        "bars with 2+ tom hits": float((bars[:, TOM_ROWS].sum(axis=(1, 2)) >= FILL_TOM_HITS).mean()),
        "changes right after a fill": float(is_fill[changed - 1].mean()) if len(changed) else 0.0,
        "changes with a crash": float(crash_on_downbeat[changed].mean()) if len(changed) else 0.0,
        "bars repeating the bar 4 before": float(repeats.mean()) if len(repeats) else 0.0,
    }
    if velocities is not None:
        levels, usual = velocity_levels(velocities)
        hits = np.asarray(velocities)[np.asarray(velocities) > 0]
        row["velocity levels"] = float(len(levels))
        row["accented hits"] = float(np.mean(hits > usual)) if hits.size else 0.0
    return row


def mean_measures(rows):
    """The measures of several songs together: shares weighted by the songs' bars, and the
    mean groove length of all their bars (bars / grooves)."""
    weights = np.array([row["bars"] for row in rows])
    mean = {name: (float(weights.sum()) if name == "bars" else
                   float(np.average([row[name] for row in rows], weights=weights)))
            for name in rows[0]}
    mean["mean groove length (bars)"] = 1.0 / mean["bars starting a new groove"]
    return mean


# --------------------------------------------------------------------------- song forms

LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def representative(bars, roles, start, stop):
    """The bar that stands for a groove: its first bar that is not a fill."""
    for index in range(start, stop):
        if roles[index] != FILL:
            return bars[index]
    return bars[start]


def song_sections(bars, roles=None):
    """A run of bars -> its form: [(letter, first bar, bars)], e.g. [('A', 0, 12), ('B', 12, 5)].

    A groove runs from a CHANGE bar to the next; it takes the letter of the first earlier
    groove it is alike (its representative bars are alike), else a new letter, and a groove
    with the letter of the one before it joins that one.
    """
    bars = np.asarray(bars, dtype=bool)
    roles = bar_roles(bars) if roles is None else np.asarray(roles)
    starts = [0] + [i for i in range(1, len(bars)) if roles[i] == CHANGE]
    known = []                                           # (letter, representative bar)
    sections = []
    for start, stop in zip(starts, starts[1:] + [len(bars)]):
        face = representative(bars, roles, start, stop).reshape(1, -1)
        letter = next((name for name, other in known
                       if jaccard(face, other.reshape(1, -1))[0] >= ALIKE), None)
        if letter is None:
            letter = LETTERS[len(known) % len(LETTERS)]
            known.append((letter, face))
        if sections and sections[-1][0] == letter:
            first, length = sections[-1][1], sections[-1][2]
            sections[-1] = (letter, first, length + stop - start)
        else:
            sections.append((letter, start, stop - start))
    return sections


def form_statistics(songs):
    """What the song writer draws forms and roles from, learned from runs of real bars.

    songs: list of (B, rows, 32) bool arrays. Returns a JSON-serialisable dict:
      section_lengths  every section's length in bars (an empirical distribution)
      returns          share of sections (after the first) whose letter came before
      role_transitions NUM_ROLES x NUM_ROLES: P(role of a bar | role of the bar before),
                       inside sections
      fill_before_change  share of CHANGE bars (the first bar of a new groove) whose bar
                          before is a FILL: how often he leads into a new groove with a fill
    """
    lengths, returns, fills_before, changes = [], [], 0, 0
    counts = np.ones((NUM_ROLES, NUM_ROLES))           # every transition seen once: none is 0
    for bars in songs:
        if len(bars) == 0:
            continue
        roles = bar_roles(bars)
        sections = song_sections(bars, roles)
        seen = set()
        for index, (letter, start, length) in enumerate(sections):
            lengths.append(length)
            if index:
                returns.append(letter in seen)
            seen.add(letter)
            for before, after in zip(roles[start:start + length - 1],
                                     roles[start + 1:start + length]):
                counts[before, after] += 1
        after_change = np.flatnonzero(roles[1:] == CHANGE)                  # bar before a change
        changes += len(after_change)
        fills_before += int(np.count_nonzero(roles[after_change] == FILL))
    return {"section_lengths": [int(n) for n in lengths],
            "returns": float(np.mean(returns)) if returns else 0.0,
            "role_transitions": (counts / counts.sum(axis=1, keepdims=True)).round(4).tolist(),
            "fill_before_change": fills_before / changes if changes else 0.0}
