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

from drumroll.format import STEPS_PER_BAR, WINDOW_BARS
from drumroll.generate import MAX_BARS
from drumroll.phrases import CHANGE, FILL, ORDINARY, bar_roles

Section = collections.namedtuple("Section", "letter bars")
PHRASE = 4                  # bars after which a section's bar noise repeats
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
        raise FormError(f"the form has {total:,} bars, more than the {MAX_BARS:,} a song may "
                        "have")
    return sections


def form_text(sections):
    return " ".join(f"{section.letter}{section.bars}" for section in sections)


def draw_form(stats, bars, rng):
    """A form of exactly `bars` bars drawn from the training songs' statistics (form_statistics):
    section lengths from their lengths, a return to an earlier groove as often as theirs.

    His songs run for hundreds of bars and some sections for fifty; a section of a shorter
    song is at most half of it (and at least 8 bars long at most), so it has a form. (A
    quarter, tried first, cut his grooves short: 2.8 bars per groove in 64-bar songs against
    3.3 with a half, and fewer fills leading into changes.)
    """
    lengths = stats.get("section_lengths") or [WINDOW_BARS]
    longest = max(WINDOW_BARS, bars // 2)
    sections, letters, total = [], [], 0
    while total < bars:
        length = min(int(rng.choice(lengths)), longest, bars - total)
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
    transitions = np.array(stats.get("role_transitions") or np.eye(3), dtype=np.float64)
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
            role = int(rng.choice(3, p=transitions[role]))
            own.append(role)
        if following is not None and following != section.letter and section.bars > 1:
            own[-1] = FILL if rng.random() < fill_before_change else own[-1]
        roles.extend(own)
    return np.array(roles, dtype=np.int8)




def plan_latents(gan, sections, roles, rng, grooves=None):
    """Latent vectors of the 8-bar windows that play the song, and which bars each one plays.

    Returns (latents (W, latent_size), [(first bar in the song, bars used)] per window).
    `grooves` may give a letter's global latent (e.g. a primer's); others are drawn.
    """
    grooves = dict(grooves or {})
    latents, spans, first = [], [], 0
    for section in sections:
        if section.letter not in grooves:
            grooves[section.letter] = rng.standard_normal(gan.model.latent, dtype=np.float32)
        phrase = rng.standard_normal((PHRASE, gan.model.bar_noise), dtype=np.float32)
        for offset in range(0, section.bars, WINDOW_BARS):
            used = min(WINDOW_BARS, section.bars - offset)
            window_roles = np.full(WINDOW_BARS, ORDINARY, dtype=np.int8)
            window_roles[:used] = roles[first + offset:first + offset + used]
            window_noise = phrase[(offset + np.arange(WINDOW_BARS)) % PHRASE]   # (8, B)
            latents.append(gan.compose_latent(grooves[section.letter], window_noise,
                                              window_roles))
            spans.append((first + offset, used))
        first += section.bars
    return np.stack(latents), spans


def write_song(gan, sections, rng, stats=None, base=None, grooves=None, before=None):
    """A song from a song model -> (hits (25, bars*32) bool, velocities uint8, roles).

    stats: form statistics (default: the model's own, learned from its training songs);
    grooves: {letter: global latent} to use for those letters; before: the letter of the
    groove playing before the song (a primer), so the song does not open with a change.
    """
    stats = (gan.model.form or {}) if stats is None else stats
    roles = section_roles(sections, stats, rng, before)
    latents, spans = plan_latents(gan, sections, roles, rng, grooves)
    rolls, velocities = gan.decode(latents, rng, base)               # (W, 25, 256) each
    total = sum(section.bars for section in sections)
    hits = np.zeros((rolls.shape[1], total * STEPS_PER_BAR), dtype=bool)
    loud = np.zeros(hits.shape, dtype=np.uint8)
    for roll, velocity, (first, used) in zip(rolls, velocities, spans):
        steps = slice(first * STEPS_PER_BAR, (first + used) * STEPS_PER_BAR)
        hits[:, steps] = roll[:, :used * STEPS_PER_BAR] < 0
        loud[:, steps] = velocity[:, :used * STEPS_PER_BAR]
    return hits, loud, roles


# -------------------------------------------------------------------------------- primers

MIN_PRIMER_BARS = 2
FIT_STEPS = 150             # gradient steps of the primer search
FIT_CANDIDATES = 64         # starting points searched at once (one batch)
FIT_RATE = 0.05


class PrimerError(ValueError):
    """A primer that cannot be continued (too short, not 4/4, ...)."""


def fit_primer(gan, bars, rng, steps=FIT_STEPS):
    """The global latent whose window best plays the primer's last bars, and its error.

    bars: (B, 25, 32) bool, the primer's 4/4 bars, B >= MIN_PRIMER_BARS. The last
    min(B, 8) bars, with their roles, are the target of a window's first bars; gradient
    descent on FIT_CANDIDATES latents at once (Adam, through the generator, which stays
    fixed) keeps the one that replays them best. Returns (global latent, share of cells wrong).
    """
    if len(bars) < MIN_PRIMER_BARS:
        raise PrimerError(f"it has {len(bars)} bar(s) of drums; a primer needs at least "
                          f"{MIN_PRIMER_BARS}")
    used = min(WINDOW_BARS, len(bars))
    rows = gan.model.rows
    last = np.asarray(bars[-used:], dtype=bool)[:, rows]             # (used, R, 32)
    target = np.where(last, -1.0, 1.0).transpose(1, 0, 2).reshape(len(rows), -1)
    roles = np.full(WINDOW_BARS, ORDINARY, dtype=np.int8)
    roles[:used] = bar_roles(bars)[-used:]

    generator = gan.sampling_generator()
    free = gan.model.latent + gan.model.bar_noise * WINDOW_BARS      # what the search moves
    z = gan.latents(FIT_CANDIDATES, rng, roles=np.repeat(roles[None], FIT_CANDIDATES, axis=0))
    moment, square = np.zeros((FIT_CANDIDATES, free)), np.zeros((FIT_CANDIDATES, free))
    cells = used * STEPS_PER_BAR
    for step in range(1, steps + 1):
        full = generator.forward(z)                                   # (K, 2R, 1, 256)
        error = full[:, :len(rows), 0, :cells] - target               # (K, R, cells)
        dout = np.zeros_like(full)
        dout[:, :len(rows), 0, :cells] = 2 * error / error[0].size
        grad = generator.backward(dout)[:, :free]
        moment = 0.9 * moment + 0.1 * grad
        square = 0.999 * square + 0.001 * grad * grad
        z[:, :free] -= (FIT_RATE * (moment / (1 - 0.9 ** step))
                        / (np.sqrt(square / (1 - 0.999 ** step)) + 1e-8)).astype(np.float32)
    out = generator.forward(z)[:, :len(rows), 0, :cells]
    wrong = ((out < 0) != (target < 0)).mean(axis=(1, 2))              # (K,)
    best = int(wrong.argmin())
    return z[best, :gan.model.latent].copy(), float(wrong[best])


def primer_bars(roll, name):
    """A primer's DrumRoll -> its bars (B, 25, 32) bool and velocities (B, 25, 32) uint8.

    The primer must be in 4/4 throughout, or in bars as long (2/2, 8/8; its last bar may end
    early: it is filled with silence) and at least MIN_PRIMER_BARS long; PrimerError naming
    the file otherwise.
    """
    odd = [index for index, (steps, whole) in enumerate(zip(roll.bars.full_steps.tolist(),
                                                            roll.bars.whole.tolist()))
           if steps != STEPS_PER_BAR or (not whole and index < len(roll.bars) - 1)]
    if odd:
        numerator, denominator = roll.bars.meters()[odd[0]]
        raise PrimerError(f"{name}: bar {odd[0] + 1} is in {numerator}/{denominator}; a primer "
                          "must be in 4/4 throughout (or in bars as long, as 2/2)")
    bars = len(roll.bars)
    if bars < MIN_PRIMER_BARS:
        raise PrimerError(f"{name}: {bars} bar(s) of drums; a primer needs at least "
                          f"{MIN_PRIMER_BARS}")
    velocities = np.zeros((roll.velocities.shape[0], bars * STEPS_PER_BAR), dtype=np.uint8)
    velocities[:, :roll.num_steps] = roll.velocities
    per_bar = velocities.reshape(len(velocities), bars, STEPS_PER_BAR).transpose(1, 0, 2)
    return per_bar > 0, per_bar


def continue_song(gan, primer, sections, rng, base=None):
    """A song that goes on from a primer: (hits, velocities) of the primer's bars followed by
    the new ones. primer: (bars, velocities) from primer_bars. The new song's first section
    plays the primer's groove (its letter), found by fit_primer; returns also the fit error."""
    bars, velocities = primer
    groove, wrong = fit_primer(gan, bars, rng)
    first = sections[0].letter
    hits, loud, _ = write_song(gan, sections, rng, base=base, grooves={first: groove},
                               before=first)
    old_hits = bars.transpose(1, 0, 2).reshape(bars.shape[1], -1)
    old_loud = velocities.transpose(1, 0, 2).reshape(bars.shape[1], -1)
    return (np.concatenate([old_hits, hits], axis=1), np.concatenate([old_loud, loud], axis=1),
            wrong)
