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
    sections = np.flatnonzero(lasting_changes(bars))[1:]     # section starts after the first
    row = {
        "bars": float(len(bars)),
        "bars starting a new groove": starts / len(bars),
        "mean groove length (bars)": len(bars) / starts,
        "bars with a fill": float(is_fill.mean()),
        "bars with 2+ tom hits": float((bars[:, TOM_ROWS].sum(axis=(1, 2)) >= FILL_TOM_HITS).mean()),
        "changes right after a fill": float(is_fill[changed - 1].mean()) if len(changed) else 0.0,
        "changes with a crash": float(crash_on_downbeat[changed].mean()) if len(changed) else 0.0,
        "bars repeating the bar 4 before": repeating(flat, 4),
        "bars repeating the bar 8 before": repeating(flat, 8),
        "sections": float(1 + len(sections)),
        "sections starting on a 4-bar line": float(np.mean(sections % 4 == 0)) if len(sections)
        else 0.0,
        "sections starting on an 8-bar line": float(np.mean(sections % 8 == 0)) if len(sections)
        else 0.0,
    }
    if velocities is not None:
        levels, usual = velocity_levels(velocities)
        hits = np.asarray(velocities)[np.asarray(velocities) > 0]
        row["velocity levels"] = float(len(levels))
        row["accented hits"] = float(np.mean(hits > usual)) if hits.size else 0.0
    return row


COUNTED = ("bars", "sections")     # measures that add up over songs; the rest are shares
MIN_RUN_BARS = 8            # shorter runs of 4/4 bars in a real song are not scored as songs
PER_SECTION = ("sections starting on a 4-bar line", "sections starting on an 8-bar line")


def repeating(flat, distance):
    """Share of bars (B, cells) equal to the bar `distance` before them (two silent bars say
    nothing: they are left out)."""
    heard = flat[distance:].any(axis=1) | flat[:-distance].any(axis=1)
    repeats = (flat[distance:] == flat[:-distance]).all(axis=1)[heard]
    return float(repeats.mean()) if len(repeats) else 0.0


def mean_measures(rows):
    """The measures of several songs together: counts added up, shares weighted by the songs'
    bars (those of section starts by their section starts), and the mean groove length of all
    their bars (bars / grooves)."""
    def weight(name):
        return [row["sections"] - 1 if name in PER_SECTION else row["bars"] for row in rows]

    mean = {name: (float(sum(row[name] for row in rows)) if name in COUNTED else
                   float(np.average([row[name] for row in rows], weights=weight(name)))
                   if sum(weight(name)) else 0.0)
            for name in rows[0]}
    mean["mean groove length (bars)"] = 1.0 / mean["bars starting a new groove"]
    return mean


def measure_range(songs):
    """The measures of several songs, each on its own, lowest to highest: {name: (low, high)},
    the spread between them. songs: one list of rows (song_measures of its runs) per song.
    Counts are left out, and so are a song's shares of section starts when it has no section
    start to place (one section in each of its runs)."""
    per_song = [(mean_measures(rows), sum(row["sections"] - 1 for row in rows))
                for rows in songs if rows]
    spread = {}
    for name in per_song[0][0] if per_song else ():
        values = [song[name] for song, starts in per_song
                  if name not in PER_SECTION or starts > 0]
        if name not in COUNTED and values:
            spread[name] = (min(values), max(values))
    return spread

# --------------------------------------------------------------------------- song forms

LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
HOLD = 4                    # bars a new groove holds for its change to start a section
PHRASE_GRID = 8             # bars of the phrase grid sections start on (4- and 8-bar lines)
OPENING, INSIDE, CLOSING = 0, 1, 2   # where a section is in its song
PLACES = ("opening", "inside", "closing")


def representative(bars, roles, start, stop):
    """The bar that stands for a groove: its first bar that is not a fill."""
    for index in range(start, stop):
        if roles[index] != FILL:
            return bars[index]
    return bars[start]


def lasting_changes(bars, roles=None):
    """(B,) bool: the groove changes that start a section as a musician hears one.

    A change starts a section when the new groove holds for HOLD bars (no change in the
    HOLD - 1 bars after it) and is unlike the groove of the section playing: a fill, a one-bar
    variation or a break that returns to the section's groove does not end the section. The
    first bar starts the first section. A change too near the end to hold HOLD bars counts
    when nothing changes after it.
    """
    bars = np.asarray(bars, dtype=bool)
    roles = bar_roles(bars) if roles is None else np.asarray(roles)
    changes = roles == CHANGE
    starts = np.zeros(len(bars), dtype=bool)
    if not len(bars):
        return starts
    starts[0] = True
    face = representative(bars, roles, 0, len(bars)).reshape(1, -1)
    for index in np.flatnonzero(changes[1:]) + 1:
        holds = not changes[index + 1:index + HOLD].any()
        new = bars[index].reshape(1, -1)
        if holds and jaccard(new, face)[0] < ALIKE:
            starts[index] = True
            face = representative(bars, roles, index, len(bars)).reshape(1, -1)
    return starts


def song_sections(bars, roles=None):
    """A run of bars -> its form as a musician hears it: [(letter, first bar, bars)], e.g.
    [('A', 0, 12), ('B', 12, 8)].

    Sections start at the lasting changes (lasting_changes); a section takes the letter of the
    first earlier section it is alike (their representative bars are alike), else a new one.
    """
    bars = np.asarray(bars, dtype=bool)
    roles = bar_roles(bars) if roles is None else np.asarray(roles)
    starts = np.flatnonzero(lasting_changes(bars, roles)).tolist()
    known = []                                           # (letter, representative bar)
    sections = []
    for start, stop in zip(starts, starts[1:] + [len(bars)]):
        face = representative(bars, roles, start, stop).reshape(1, -1)
        letter = next((name for name, other in known
                       if jaccard(face, other.reshape(1, -1))[0] >= ALIKE), None)
        if letter is None:
            letter = LETTERS[len(known) % len(LETTERS)]
            known.append((letter, face))
        sections.append((letter, start, stop - start))
    return sections


def form_statistics(songs):
    """What the song writer draws forms and roles from, learned from runs of real bars.

    songs: list of (B, rows, 32) bool arrays. Returns a JSON-serialisable dict:
      sections         [where on the phrase grid it starts (first bar mod PHRASE_GRID),
                        its length in bars, OPENING / INSIDE / CLOSING] of every section
                        (song_sections): how long his sections are, where they fall, and
                        which open and close his songs (a one-bar intro, a last hit)
      section_lengths  the lengths alone
      returns          share of sections (after the first) whose letter came before
      role_transitions NUM_ROLES x NUM_ROLES: P(role of a bar | role of the bar before),
                       inside sections
      fill_before_change  share of section starts (after the first) whose bar before is a
                          FILL: how often he leads into a new section with a fill
      phrase_repeats   share of the bars of a section (from its PHRASE_GRID-th on) that
                       repeat the bar PHRASE_GRID before: how often his phrases return
      bar_repeats      share of the bars of a song equal to the bar PHRASE_GRID before, over
                       his runs of MIN_RUN_BARS or more bars weighted by their bars, as
                       song_measures and mean_measures count it: what the song writer's bars
                       are matched to (songwriter.match_drummer)
    """
    sections, returns, fills_before, repeats, whole_songs = [], [], [], [], []
    counts = np.ones((NUM_ROLES, NUM_ROLES))           # every transition seen once: none is 0
    for bars in songs:
        if len(bars) == 0:
            continue
        roles = bar_roles(bars)
        if len(bars) >= MIN_RUN_BARS:
            whole_songs.append((repeating(bars.reshape(len(bars), -1), PHRASE_GRID), len(bars)))
        seen = set()
        form = song_sections(bars, roles)
        for index, (letter, start, length) in enumerate(form):
            place = OPENING if index == 0 else CLOSING if index == len(form) - 1 else INSIDE
            sections.append([start % PHRASE_GRID, length, place])
            if index:
                returns.append(letter in seen)
                fills_before.append(roles[start - 1] == FILL)
            seen.add(letter)
            for before, after in zip(roles[start:start + length - 1],
                                     roles[start + 1:start + length]):
                counts[before, after] += 1
            flat = bars[start:start + length].reshape(length, -1)
            repeats += (flat[PHRASE_GRID:] == flat[:-PHRASE_GRID]).all(axis=1).tolist()
    return {"sections": [[int(value) for value in section] for section in sections],
            "section_lengths": [int(length) for _, length, _ in sections],
            "returns": float(np.mean(returns)) if returns else 0.0,
            "role_transitions": (counts / counts.sum(axis=1, keepdims=True)).round(4).tolist(),
            "fill_before_change": float(np.mean(fills_before)) if fills_before else 0.0,
            "phrase_repeats": float(np.mean(repeats)) if repeats else 0.0,
            "bar_repeats": (float(np.average([share for share, _ in whole_songs],
                                             weights=[bars for _, bars in whole_songs]))
                            if whole_songs else 0.0)}
