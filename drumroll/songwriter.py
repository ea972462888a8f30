"""Whole songs from the song model: a form of sections, roles for every bar, latents per section.

The network writes 8 bars at a time; a song is planned above it, by rules that only decide
where sections begin and end and what each bar is for. Everything heard is the model's:

* the **form** is a list of sections, e.g. "A8 A8 B8 A8 C16 A8" (parse_form), or drawn from
  the training songs' own statistics (draw_form: section lengths as he plays them, and how
  often a section returns to an earlier groove);
* every bar gets a **role** (section_roles): the first bar of a section with a new groove is a
  CHANGE, its last bar before another groove a FILL as often as the drummer leads a change
  with a fill, and the bars between are ordinary bars or fills as his bar-to-bar habits have it
  (a Markov chain of roles learned from his songs). The model was trained to play each role,
  so fills, crashes and accents appear where he would put them, in his vocabulary;
* each **letter** holds one global latent, so a section that comes back is the same groove
  played again (new bar noise: not pasted); inside a section the bar noise repeats every
  PHRASE bars, the way his phrases repeat.
"""
import collections
import re

import numpy as np

from drumroll.format import STEPS_PER_BAR, WINDOW_BARS, WINDOW_STEPS
from drumroll.phrases import (CHANGE, FILL, INSIDE, NUM_ROLES, OPENING, ORDINARY, PHRASE_GRID,
                              bar_roles, jaccard)

Section = collections.namedtuple("Section", "letter bars")
PHRASE = 4                  # bars after which a section's bar noise repeats
MAX_BARS = 2048             # a song longer than this is a mistake (about an hour at 140 bpm)
FORM_TOKEN = re.compile(r"([A-Za-z])(\d+)$")


class FormError(ValueError):
    """A form that cannot be read, e.g. 'A8 B' or 'A0'."""


def parse_form(text):
    """'A8 A8 B8 C16' -> [Section('A', 8), ...]. Letters name grooves (case ignored)."""
    tokens = text.replace(",", " ").split()
    if not tokens:
        raise FormError("the form is empty (expected sections like 'A8 A8 B8 A8')")
    sections = []
    for token in tokens:
        match = FORM_TOKEN.match(token)
        if not match:
            raise FormError(f"{token!r} is not a section: a letter and a number of bars, "
                            "e.g. A8 or C16")
        bars = int(match.group(2))
        if bars < 1:
            raise FormError(f"{token!r}: a section has at least one bar")
        sections.append(Section(match.group(1).upper(), bars))
    total = sum(section.bars for section in sections)
    if total > MAX_BARS:
        raise FormError(f"the form has {total} bars, more than {MAX_BARS}")
    return sections


def form_text(sections):
    return " ".join(f"{section.letter}{section.bars}" for section in sections)


def draw_form(stats, bars, rng):
    """A form of exactly `bars` bars drawn from the training songs' statistics (form_statistics).

    The first section is one of the ones he opens his songs with; every next one is a section
    he plays inside a song that starts where this one would on his phrase grid (the bar's
    place modulo PHRASE_GRID, else modulo 4, else anywhere), so his 4- and 8-bar lines, and
    where he leaves them, come out as often as in his songs; a section returns to an earlier
    groove as often as his do. His songs run for hundreds of bars and some sections for fifty:
    a section of a shorter song lasts at most half of it (at least 8 bars). No stub is left at
    the end: when what remains is shorter than any section he plays inside a song, the last
    section plays to the end. (Statistics without phrase places, from runs trained before
    them, draw every section from the lengths alone.)
    """
    lengths = [max(1, int(length)) for length in stats.get("section_lengths") or [WINDOW_BARS]]
    entries = stats.get("sections") or [[0, length, INSIDE] for length in lengths]
    entries = [(int(phase), max(1, int(length)), int(place)) for phase, length, place in entries]
    inside = [(phase, length) for phase, length, place in entries if place == INSIDE] or [
        (phase, length) for phase, length, _ in entries]
    openings = [length for _, length, place in entries if place == OPENING]
    longest = max(WINDOW_BARS, bars // 2)
    shortest = min(min(length for _, length in inside), longest)
    sections, letters, total = [], [], 0
    while total < bars:
        phase = total % PHRASE_GRID
        pool = (openings if not sections and openings else
                [length for start, length in inside if start == phase]
                or [length for start, length in inside if start % 4 == phase % 4]
                or [length for _, length in inside])
        length = min(int(rng.choice(pool)), longest, bars - total)
        if bars - total - length < shortest:
            length = bars - total
        earlier = [letter for letter in letters if not sections or letter != sections[-1].letter]
        if earlier and rng.random() < stats.get("returns", 0.0):
            letter = str(rng.choice(earlier))
        else:
            letter = chr(ord("A") + len(letters) % 26)
            letters.append(letter)
        if sections and sections[-1].letter == letter:      # the same groove goes on
            sections[-1] = Section(letter, sections[-1].bars + length)
        else:
            sections.append(Section(letter, length))
        total += length
    return sections


def section_roles(sections, stats, rng, before=None):
    """The role of every bar of a song, (total bars,) int8 (see the module docstring).

    A section is one groove: only its first bar may be a CHANGE (when its letter differs from
    the one before); the bars after it are ORDINARY or FILL as the drummer's bar-to-bar habits
    have it (his transitions, the ones into a CHANGE left out). before: the letter of the
    groove playing before the song (a primer's), if any.
    """
    transitions = np.array(stats.get("role_transitions") or np.eye(NUM_ROLES),
                           dtype=np.float64)
    transitions[:, CHANGE] = 0                   # a new groove is a new section
    for row in transitions:
        if row.sum() == 0:                       # a habit that only ever changed: carry on
            row[ORDINARY] = 1
    transitions = transitions / transitions.sum(axis=1, keepdims=True)
    fill_before_change = stats.get("fill_before_change", 0.0)
    roles = []
    for index, section in enumerate(sections):
        previous = sections[index - 1].letter if index else before
        following = sections[index + 1].letter if index + 1 < len(sections) else None
        role = CHANGE if section.letter != previous else ORDINARY
        own = [role]
        for _ in range(section.bars - 1):
            role = int(rng.choice(NUM_ROLES, p=transitions[role]))
            own.append(role)
        if following is not None and following != section.letter and section.bars > 1:
            own[-1] = FILL if rng.random() < fill_before_change else own[-1]
        roles.extend(own)
    return np.array(roles, dtype=np.int8)




def plan_latents(gan, sections, roles, rng, grooves=None, phrases=None):
    """Latent vectors of the 8-bar windows that play the song, and which bars each one plays.

    Returns (latents (W, latent_size), [(first bar in the song, bars used)] per window).
    `grooves` may give a letter's global latent and `phrases` the bar noise (P, bar_noise) of
    its first section, played bar after bar and again from its start (a primer's); the
    others are drawn, a phrase of PHRASE bars per section.
    """
    grooves, phrases = dict(grooves or {}), dict(phrases or {})
    latents, spans, first = [], [], 0
    for section in sections:
        if section.letter not in grooves:
            grooves[section.letter] = rng.standard_normal(gan.config.latent, dtype=np.float32)
        phrase = phrases.pop(section.letter, None)
        if phrase is None:
            phrase = rng.standard_normal((PHRASE, gan.config.bar_noise), dtype=np.float32)
        for offset in range(0, section.bars, WINDOW_BARS):
            used = min(WINDOW_BARS, section.bars - offset)
            window_roles = np.full(WINDOW_BARS, ORDINARY, dtype=np.int8)
            window_roles[:used] = roles[first + offset:first + offset + used]
            window_noise = phrase[(offset + np.arange(WINDOW_BARS)) % len(phrase)]   # (8, B)
            latents.append(gan.compose_latent(grooves[section.letter], window_noise,
                                              window_roles))
            spans.append((first + offset, used))
        first += section.bars
    return np.stack(latents), spans


Song = collections.namedtuple("Song", "hits velocities offsets roles")


def write_song(gan, sections, rng, stats=None, base=None, grooves=None, before=None,
               phrases=None):
    """A song from a song model -> Song: hits (25, bars*32) bool, velocities uint8, offsets
    int8 (how each hit is played), roles (bars,).

    stats: form statistics (default: the model's own, learned from its training songs);
    grooves / phrases: {letter: global latent} / {letter: bar noise} to use for those letters
    (plan_latents); before: the letter of the groove playing before the song (a primer's), so
    the song does not open with a change.
    """
    stats = (gan.config.form or {}) if stats is None else stats
    roles = section_roles(sections, stats, rng, before)
    latents, spans = plan_latents(gan, sections, roles, rng, grooves, phrases)
    windows = gan.decode(latents, rng, base)         # rolls, velocities, offsets: (W, 25, 256)
    total = sum(section.bars for section in sections)
    hits = np.zeros((windows[0].shape[1], total * STEPS_PER_BAR), dtype=bool)
    loud = np.zeros(hits.shape, dtype=np.uint8)
    early = np.zeros(hits.shape, dtype=np.int8)
    for roll, velocity, offset, (first, used) in zip(*windows, spans):
        steps = slice(first * STEPS_PER_BAR, (first + used) * STEPS_PER_BAR)
        hits[:, steps] = roll[:, :used * STEPS_PER_BAR] < 0
        loud[:, steps] = velocity[:, :used * STEPS_PER_BAR]
        early[:, steps] = offset[:, :used * STEPS_PER_BAR]
    return Song(hits, loud, early, roles)


# -------------------------------------------------------------------------------- primers

MIN_PRIMER_BARS = 2
FIT_STEPS = 150             # gradient steps of the primer search
FIT_CANDIDATES = 64         # starting points searched at once (one batch)
FIT_RATE = 0.05


class PrimerError(ValueError):
    """A primer that cannot be continued (too short, not 4/4, ...)."""


PrimerFit = collections.namedtuple("PrimerFit", "groove phrase alike")


def fit_windows(gan, targets, roles, rng, steps=FIT_STEPS, candidates=FIT_CANDIDATES,
                statistics=None):
    """The latent vectors whose 8-bar windows best play the target bars -> (latents
    (W, latent_size), how alike each window's bars are to its target's: the Jaccard similarity
    of their hits, ALIKE and above is one groove (W,)).

    targets: W arrays (used, 25, 32) bool of 1 to 8 bars each, the target of a window's first
    bars; roles: (W, 8) the windows' roles. Gradient descent on `candidates` latents per window,
    all windows in one batch (Adam, through the generator, which stays fixed), moves the global
    latent and the bar noise; each window keeps the candidate that replays its bars best.
    statistics: batch norm statistics to hold (SongGAN.batch_statistics): the latents found
    then play their windows as alike as said when decoded with the same statistics, alone or
    in any batch (without them, the search's own batch of candidates sets them).
    """
    rows = gan.config.rows
    count = len(targets)
    goal = np.ones((count, len(rows), WINDOW_STEPS), dtype=np.float32)   # +1: no hit
    mask = np.zeros(goal.shape, dtype=bool)                              # the cells compared
    for index, bars in enumerate(targets):
        cells = len(bars) * STEPS_PER_BAR
        hits = np.asarray(bars, dtype=bool)[:, rows].transpose(1, 0, 2).reshape(len(rows), -1)
        goal[index, :, :cells] = np.where(hits, -1.0, 1.0)
        mask[index, :, :cells] = True
    goal, mask = np.repeat(goal, candidates, axis=0), np.repeat(mask, candidates, axis=0)
    generator = gan.sampling_generator(statistics)
    free = gan.config.latent + gan.config.bar_noise * WINDOW_BARS      # what the search moves
    z = gan.latents(count * candidates, rng, roles=np.repeat(roles, candidates, axis=0))
    moment, square = np.zeros((len(z), free)), np.zeros((len(z), free))
    for step in range(1, steps + 1):
        full = generator.forward(z)                                   # (K, C, 1, 256)
        error = np.where(mask, full[:, :len(rows), 0, :] - goal, 0)    # (K, R, 256)
        dout = np.zeros_like(full)
        dout[:, :len(rows), 0, :] = 2 * error / mask.sum(axis=(1, 2), keepdims=True)
        grad = generator.backward(dout)[:, :free]
        moment = 0.9 * moment + 0.1 * grad
        square = 0.999 * square + 0.001 * grad * grad
        z[:, :free] -= (FIT_RATE * (moment / (1 - 0.9 ** step))
                        / (np.sqrt(square / (1 - 0.999 ** step)) + 1e-8)).astype(np.float32)
    played = (generator.forward(z)[:, :len(rows), 0, :] < 0) & mask    # (K, R, 256)
    alike = jaccard(played.reshape(len(z), -1), ((goal < 0) & mask).reshape(len(z), -1))
    alike = alike.reshape(count, candidates)
    best = alike.argmax(axis=1)
    return (z.reshape(count, candidates, -1)[np.arange(count), best].copy(),
            alike[np.arange(count), best])


def fit_primer(gan, bars, rng, steps=FIT_STEPS):
    """The latent whose window best plays the primer's last bars -> PrimerFit: its global
    latent (latent,), its bar noise (used, bar_noise) and how alike its bars are to the
    primer's.

    bars: (B, 25, 32) bool, the primer's 4/4 bars, B >= MIN_PRIMER_BARS. The last
    used = min(B, 8) bars, with their roles, are the target of a window's first bars
    (fit_windows).
    """
    if len(bars) < MIN_PRIMER_BARS:
        raise PrimerError(f"it has {len(bars)} bar(s) of drums; a primer needs at least "
                          f"{MIN_PRIMER_BARS}")
    used = min(WINDOW_BARS, len(bars))
    roles = np.full(WINDOW_BARS, ORDINARY, dtype=np.int8)
    roles[:used] = bar_roles(bars)[-used:]
    latents, alike = fit_windows(gan, [bars[-used:]], roles[None], rng, steps)
    groove, phrase, _ = gan.latent_parts(latents[0])                  # phrase: (8, B)
    return PrimerFit(groove, phrase[:used].copy(), float(alike[0]))


Primer = collections.namedtuple("Primer", "bars velocities offsets")


def primer_bars(roll, name):
    """A primer's DrumRoll -> Primer: its bars (B, 25, 32) bool, velocities (B, 25, 32) uint8
    and offsets (B, 25, 32) int8, as played.

    The primer must be in 4/4 throughout (its last bar may end early: it is filled with
    silence) and at least MIN_PRIMER_BARS long; PrimerError naming the file otherwise.
    """
    odd = [index for index, (meter, whole) in enumerate(zip(roll.bars.meters(),
                                                            roll.bars.whole.tolist()))
           if meter != (4, 4) or (not whole and index < len(roll.bars) - 1)]
    if odd:
        numerator, denominator = roll.bars.meters()[odd[0]]
        raise PrimerError(f"{name}: bar {odd[0] + 1} is in {numerator}/{denominator}; a primer "
                          "must be in 4/4 throughout")
    bars = len(roll.bars)
    if bars < MIN_PRIMER_BARS:
        raise PrimerError(f"{name}: {bars} bar(s) of drums; a primer needs at least "
                          f"{MIN_PRIMER_BARS}")

    def per_bar(cells):
        whole = np.zeros((cells.shape[0], bars * STEPS_PER_BAR), dtype=cells.dtype)
        whole[:, :roll.num_steps] = cells
        return whole.reshape(len(whole), bars, STEPS_PER_BAR).transpose(1, 0, 2)

    velocities = per_bar(roll.velocities)
    return Primer(velocities > 0, velocities, per_bar(roll.offsets))


def continue_song(gan, primer, sections, rng, base=None):
    """A song that goes on from a primer -> (Song of the primer's bars followed by the new
    ones, the PrimerFit). primer: a Primer (primer_bars), its bars kept as they were played.

    The new song's first section plays the primer's groove: the global latent and the bar
    noise of the model's window closest to the primer's last bars (fit_primer), its noise
    played on bar after bar, so the section goes on as the primer's phrase did. A primer that
    ends on a fill leads into a new groove instead: the first section then starts with a
    change, as the drummer's do after a fill.
    """
    fit = fit_primer(gan, primer.bars, rng)
    first = sections[0].letter
    if bar_roles(primer.bars)[-1] == FILL:
        song = write_song(gan, sections, rng, base=base)
    else:
        song = write_song(gan, sections, rng, base=base, grooves={first: fit.groove},
                          phrases={first: fit.phrase}, before=first)

    def joined(old, new):                             # (B, 25, 32) then (25, steps)
        return np.concatenate([old.transpose(1, 0, 2).reshape(old.shape[1], -1), new], axis=1)

    primer_roles = bar_roles(primer.bars)
    return Song(joined(primer.bars, song.hits), joined(primer.velocities, song.velocities),
                joined(primer.offsets, song.offsets),
                np.concatenate([primer_roles, song.roles])), fit
