"""Whole songs from the song model: a form of sections, roles for every bar, latents per section.

The network writes 8 bars at a time; a song is planned above it, by rules that only decide
where sections begin and end and what each bar is for. Everything heard is the model's:

* the **form** is a list of sections, e.g. "A8 A8 B8 A8 C16 A8" (parse_form; a section marked
  "+" or "-" is played with more or less intensity, see controls.py), or drawn from the
  training songs' own statistics (draw_form: sections as he plays them, where they fall on his
  phrase grid, and how often one returns to an earlier groove);
* every bar gets a **role** (section_roles): the first bar of a section with a new groove is a
  CHANGE, its last bar before another groove a FILL as often as the drummer leads a change
  with a fill, and the bars between are ordinary bars, fills or short-lived changes as his
  bar-to-bar habits have it (a Markov chain of roles learned from his songs; of his changes,
  as many as the model needs to vary its bars as often as he does, match_drummer). The model
  was trained to play each role, so fills, crashes and accents appear where he would put
  them, in his vocabulary;
* each **letter** holds one global latent, so a section that comes back is the same groove
  played again (new bar noise: not pasted); inside a section the bar noise repeats every
  PHRASE bars, the way his phrases repeat;
* each **section** has a random stream of its own, drawn from the song's, and is played in a
  batch of its own: the same seed writes the same song, and one section can be written anew
  (`redo`) while every other bar of the song stays as it was, hit for hit;
* a section is **heard to hold its groove**: of a few takes of it, the song plays the first in
  which no new section starts after its first bar (the model sometimes drifts into another
  groove that lasts, which a musician hears as a section starting off his phrase lines).
"""
import collections
import copy
import re

import numpy as np

from drumroll.controls import MAX_MARKS, Controls, fill_habits, loudness, steer
from drumroll.format import NUM_ROWS, STEPS_PER_BAR, WINDOW_BARS, WINDOW_STEPS, as_bars, from_bars
from drumroll.generate import MAX_BARS
from drumroll.models.base import MIN_SAMPLING_BATCH
from drumroll.phrases import (CHANGE, FILL, INSIDE, NUM_ROLES, OPENING, ORDINARY, PHRASE_GRID,
                              bar_roles, form_statistics, jaccard, lasting_changes, mean_measures,
                              song_measures)

Section = collections.namedtuple("Section", "letter bars intensity", defaults=(0,))
# How the song writer is matched to a drummer (match_drummer): `changes`, the share of his
# changes inside a section its songs play (role_habits), and `blend`, how much fresh bar noise
# a section's bars after its first phrase mix in (section_noise). Found once per run of a
# script and passed to every song it writes; Matched() plays the model as it is.
Matched = collections.namedtuple("Matched", "changes blend", defaults=(0.0, 0.0))
PHRASE = 4                  # bars after which a section's bar noise repeats
TAKES = 8                   # takes of a section played, at most, to find one that holds its
                            # groove (section_take)
FORM_TOKEN = re.compile(r"([A-Za-z])(\d+)(\+*|-*)$")   # a letter, bars, + or - marks


class FormError(ValueError):
    """A form that cannot be read, e.g. 'A8 B' or 'A0'."""


def parse_form(text):
    """'A8 A8 B8+ C16--' -> [Section('A', 8, 0), ..., Section('C', 16, -2)]. Letters name
    grooves (case ignored); each + after a section plays it a step more intense, each - a step
    less (at most MAX_MARKS)."""
    tokens = text.replace(",", " ").split()
    if not tokens:
        raise FormError("the form is empty (expected sections like 'A8 A8 B8 A8')")
    sections = []
    for token in tokens:
        match = FORM_TOKEN.match(token)
        if not match:
            raise FormError(f"{token!r} is not a section: a letter and a number of bars, "
                            "e.g. A8 or C16, then + or - marks for more or less intensity")
        bars, marks = int(match.group(2)), match.group(3)
        if bars < 1:
            raise FormError(f"{token!r}: a section has at least one bar")
        if len(marks) > MAX_MARKS:
            raise FormError(f"{token!r}: at most {MAX_MARKS} + or - marks")
        intensity = len(marks) if marks.startswith("+") else -len(marks)
        sections.append(Section(match.group(1).upper(), bars, intensity))
    total = sum(section.bars for section in sections)
    if total > MAX_BARS:
        raise FormError(f"the form has {total:,} bars, more than the {MAX_BARS:,} a song may "
                        "have")
    return sections


def form_text(sections):
    def marks(intensity):
        return ("+" if intensity > 0 else "-") * abs(intensity)
    return " ".join(f"{section.letter}{section.bars}{marks(section.intensity)}"
                    for section in sections)


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


def role_habits(stats, fills=1.0, changes=0.0):
    """His bar-to-bar role habits inside a section and how often he leads into a new section
    with a fill, fills played `fills` times as often -> (transitions, fill before a change).

    A section is one groove: of his transitions into a CHANGE inside a section (a one-bar
    variation, a groove that does not last), the share `changes` is kept (Matched: as many as
    the model needs to vary its songs' bars as often as he varies his) and the rest played on
    as ORDINARY bars, so the share of his fills stays his (spreading the changes' share over
    all roles made GMD songs half fills, against his quarter)."""
    transitions = np.array(stats.get("role_transitions") or np.eye(NUM_ROLES),
                           dtype=np.float64)
    transitions[:, ORDINARY] += (1 - changes) * transitions[:, CHANGE]
    transitions[:, CHANGE] *= changes
    return fill_habits(transitions, stats.get("fill_before_change", 0.0), fills)


def phrase_played(phrase, bars):
    """The roles of the first `bars` bars of a section that plays a primer's phrase (its last
    bars' roles) bar after bar, (bars,) int8: ORDINARY first (the primer's groove goes on),
    then the phrase's roles round, a CHANGE played as ORDINARY (a new groove inside a section
    would be a new section)."""
    roles = np.array([ORDINARY] + [phrase[index % len(phrase)] for index in range(1, bars)],
                     dtype=np.int8)
    return np.where(roles == CHANGE, ORDINARY, roles).astype(np.int8)


def one_section_roles(section, previous, following, habits, rng, repeats=0.0, phrase=None):
    """The role of every bar of one section, (bars,) int8: a CHANGE first when its letter
    differs from the one before (previous), then his habits, and a FILL last as often as he
    leads into another groove (following) with one.

    repeats: how often a bar plays the role of the bar PHRASE_GRID before it (his phrases
    return: the bar then sounds like that one); phrase: roles to play bar after bar instead of
    his habits (a primer's last bars, so its groove goes on as it was played).
    """
    transitions, fill_before_change = habits
    role = CHANGE if section.letter != previous else ORDINARY
    own = [role]
    played = None if phrase is None else phrase_played(phrase, section.bars)
    for index in range(1, section.bars):
        if played is not None:
            role = int(played[index])
        elif index >= PHRASE_GRID and rng.random() < repeats:
            role = own[index - PHRASE_GRID]
            role = ORDINARY if role == CHANGE else role
        else:
            role = int(rng.choice(NUM_ROLES, p=transitions[role]))
        own.append(role)
    if following is not None and following != section.letter and section.bars > 1:
        own[-1] = FILL if rng.random() < fill_before_change else own[-1]
    return np.array(own, dtype=np.int8)


def section_roles(sections, stats, rng, before=None, fills=1.0):
    """The role of every bar of a song, (total bars,) int8 (one_section_roles, drawn one
    section after another from rng). before: the letter of the groove playing before the song
    (a primer's), if any; fills: how often, against his habits, a bar is a fill."""
    habits = role_habits(stats, fills)
    return np.concatenate([np.zeros(0, np.int8)] + [
        one_section_roles(section, sections[index - 1].letter if index else before,
                          sections[index + 1].letter if index + 1 < len(sections) else None,
                          habits, rng, stats.get("phrase_repeats", 0.0))
        for index, section in enumerate(sections)])


def section_noise(phrase, bars, rng=None, blend=0.0):
    """The bar noise of every bar of a section, (bars, bar_noise): its phrase (P, bar_noise)
    played bar after bar and again from its start; with a blend above 0, every bar after the
    first phrase mixes in fresh noise (rng): sqrt(1 - blend^2) of the phrase's bar and blend of
    its own, still standard normal (0: the phrase again, as drawn; 1: a new bar)."""
    noise = phrase[np.arange(bars) % len(phrase)]
    if blend and bars > len(phrase):
        fresh = rng.standard_normal(noise[len(phrase):].shape, dtype=np.float32)
        noise = noise.copy()
        noise[len(phrase):] = (np.sqrt(1 - blend ** 2) * noise[len(phrase):] + blend * fresh)
    return noise.astype(np.float32)


def section_latents(gan, section, roles, groove, noise):
    """Latent vectors of the 8-bar windows that play one section -> (latents (W, latent_size),
    bars each window plays). groove: its global latent; noise: the bar noise of its windows'
    bars (W * 8, bar_noise), section_noise (the bars past the section's end are played too:
    the bars beside them hear them); roles: (bars,) its bars' roles."""
    latents, used = [], []
    for offset in range(0, section.bars, WINDOW_BARS):
        count = min(WINDOW_BARS, section.bars - offset)
        window_roles = np.full(WINDOW_BARS, ORDINARY, dtype=np.int8)
        window_roles[:count] = roles[offset:offset + count]
        window_noise = noise[offset:offset + WINDOW_BARS]                     # (8, B)
        latents.append(gan.compose_latent(groove, window_noise, window_roles))
        used.append(count)
    return np.stack(latents), used


Song = collections.namedtuple("Song", "hits velocities offsets roles")
NEUTRAL = Controls()


def steering_statistics(gan):
    """Batch norm statistics of a fixed batch of random latents: what a song's sections walk
    their density with when the song holds none (controls.densify). Fixed, so a section's
    bars still depend on nothing but its own stream (REDO)."""
    return held_statistics(gan, np.random.default_rng(0))


def write_song(gan, sections, rng, stats=None, base=None, grooves=None, before=None,
               phrases=None, controls=NEUTRAL, redo=None, phrase_roles=None, statistics=None,
               matched=Matched(), takes=TAKES):
    """A song from a song model -> Song: hits (25, bars*32) bool, velocities uint8, offsets
    int8 (how each hit is played), roles (bars,).

    stats: form statistics (default: the model's own, learned from its training songs);
    grooves / phrases / phrase_roles: {letter: global latent} / {letter: bar noise
    (P, bar_noise)} / {letter: roles (P,)} for those letters' first sections (a primer's,
    played bar after bar); base: the song's usual velocity (default: one of his songs' usual
    levels, as often as his songs have it); before: the letter of the groove playing before the
    song (a primer's), so the song does not open with a change; controls: a
    controls.Controls; redo: (section index, seed): that section drawn
    anew from the seed, groove and all, every other bar as without it; statistics: batch
    norm statistics every section is decoded with (those a primer's groove was found with,
    continue_song), or None: each section's batch sets its own (and a section whose density
    moves walks with those of a fixed batch of random latents, steering_statistics); matched:
    how the song writer plays the drummer's changes inside sections and varies a section's
    bars after its first phrase (a Matched; match_drummer finds his, once for every song).

    Each letter's groove and each section's roles, bar noise and batch come from streams of
    their own, drawn from rng in order, so a section's bars depend on nothing but its stream,
    its groove, its neighbours' letters and the bars before it: of up to `takes` takes of it
    (each with roles, bar noise and batch of its own), it plays the first one heard to hold
    its groove after them (section_take).
    """
    if redo is not None:
        # Which take holds its groove depends on the bars before it: every other section
        # plays the take it plays in the song without the redo.
        _, kept = sections_played(gan, sections, copy.deepcopy(rng), stats, base, grooves,
                                  before, phrases, controls, None, phrase_roles, statistics,
                                  matched, takes)
        kept[redo[0]] = None
    else:
        kept = None
    song, _ = sections_played(gan, sections, rng, stats, base, grooves, before, phrases,
                              controls, redo, phrase_roles, statistics, matched, takes, kept)
    return song


def sections_played(gan, sections, rng, stats, base, grooves, before, phrases, controls, redo,
                    phrase_roles, statistics, matched, takes, kept=None):
    """write_song's work -> (Song, the take each section plays). kept: a take to play for each
    section (None: the one that holds its groove best, section_take)."""
    stats = (gan.config.form or {}) if stats is None else stats
    habits = role_habits(stats, controls.fills, matched.changes)
    grooves, phrases = dict(grooves or {}), dict(phrases or {})
    letter_streams = {}
    for section in sections:
        letter_streams.setdefault(section.letter, np.random.default_rng(rng.integers(2**63)))
    streams = [np.random.default_rng(seed) for seed in rng.integers(2**63, size=len(sections))]
    if redo is not None:
        streams[redo[0]] = np.random.default_rng([redo[1], redo[0]])
    base = base or gan.usual_level(rng)
    phrase_roles = dict(phrase_roles or {})
    walk = statistics                                 # what densities walk with, if they move
    if walk is None and (controls.density or any(section.intensity for section in sections)):
        walk = steering_statistics(gan)
    total = sum(section.bars for section in sections)
    song = Song(np.zeros((NUM_ROWS, total * STEPS_PER_BAR), dtype=bool),
                np.zeros((NUM_ROWS, total * STEPS_PER_BAR), dtype=np.uint8),
                np.zeros((NUM_ROWS, total * STEPS_PER_BAR), dtype=np.int8),
                np.zeros(total, dtype=np.int8))
    first, playing, chosen = 0, 0, []     # playing: the first bar of the section heard last
    for index, (section, stream) in enumerate(zip(sections, streams)):
        previous = sections[index - 1].letter if index else before
        following = sections[index + 1].letter if index + 1 < len(sections) else None
        if redo is not None and redo[0] == index:
            groove = stream.standard_normal(gan.config.latent, dtype=np.float32)
        else:
            if section.letter not in grooves:
                grooves[section.letter] = letter_streams[section.letter].standard_normal(
                    gan.config.latent, dtype=np.float32)
            groove = grooves[section.letter]
        given_phrase = phrases.pop(section.letter, None)
        given_roles = phrase_roles.pop(section.letter, None)

        def take(seed):
            """One take of the section from its own stream -> (roles, bars each window
            plays, (rolls, velocities, offsets) of its windows)."""
            take_stream = np.random.default_rng(seed)
            roles = one_section_roles(section, previous, following, habits, take_stream,
                                      stats.get("phrase_repeats", 0.0), given_roles)
            phrase = given_phrase
            if phrase is None:
                phrase = take_stream.standard_normal((PHRASE, gan.config.bar_noise),
                                                     dtype=np.float32)
            windows = -(-section.bars // WINDOW_BARS)
            noise = section_noise(phrase, windows * WINDOW_BARS, take_stream, matched.blend)
            latents, used = section_latents(gan, section, roles, groove, noise)
            latents = steer(gan, latents, controls, walk, section.intensity, tied=True)
            return roles, used, gan.decode(latents, take_stream,
                                           base * loudness(section.intensity),
                                           statistics=statistics)

        # a primer's phrase and roles, given, leave a take little of its own (its batch, a
        # fill on its last bar): such a section is played once, as the primer search found it
        given = given_phrase is not None and given_roles is not None
        seeds = stream.integers(2**63, size=1 if given else max(1, takes))
        heard_before = as_bars(song.hits[:, playing * STEPS_PER_BAR:first * STEPS_PER_BAR])
        number = None if kept is None else kept[index]
        number, (roles, used, played) = section_take(take, seeds, heard_before, number)
        chosen.append(number)
        place(song, first, roles, used, played)
        heard = lasting_changes(as_bars(song.hits[:, playing * STEPS_PER_BAR:
                                                  (first + section.bars) * STEPS_PER_BAR]))
        playing += int(np.flatnonzero(heard)[-1])
        first += section.bars
    return song, chosen


def played_cells(windows, used):
    """A section's windows (W, rows, 256) -> (rows, sum(used) * 32): of each window, the bars
    it plays (used), one window after another."""
    return np.concatenate([windows[window, :, :count * STEPS_PER_BAR]
                           for window, count in enumerate(used)], axis=1)


def place(song, first, roles, used, played):
    """Put a section's windows (rolls, velocities, offsets) into the song from bar `first`:
    of each window, the bars it plays (used)."""
    rolls, velocities, offsets = played
    song.roles[first:first + len(roles)] = roles
    steps = slice(first * STEPS_PER_BAR, (first + sum(used)) * STEPS_PER_BAR)
    song.hits[:, steps] = played_cells(rolls, used) < 0
    song.velocities[:, steps] = played_cells(velocities, used)
    song.offsets[:, steps] = played_cells(offsets, used)


def heard_inside(before, bars):
    """How many sections a musician hears start inside a section after its first bar
    (phrases.lasting_changes), its bars (S, 25, 32) played after `before` (B, 25, 32), the
    bars of the section heard before it: 0 when it holds its groove (a fill or a one-bar
    variation does not end it)."""
    heard = lasting_changes(np.concatenate([before, bars]))
    return int(heard[len(before) + 1:].sum())


def section_take(take, seeds, before, number=None):
    """The take of a section that holds its groove -> (its number, take(seed)).

    take: seed -> (roles, bars each window plays, (rolls, velocities, offsets)); the takes are
    played in turn and the first one heard without a section starting inside it (heard_inside,
    after `before`) is kept, else the one with the fewest. The model drifts: told that every
    bar after a section's first is ORDINARY, it sometimes moves to another groove that lasts
    (on MGŁA seed 2, 46 of 72 sections heard started inside the sections drawn, at chance on
    the 4-bar lines), and a section the form starts on a phrase line is heard a bar late when
    its first bar is unlike its second. number: play that take (a redo keeps the others').
    """
    if number is not None:
        return number, take(seeds[number])
    best = None
    for number, seed in enumerate(seeds):
        played = take(seed)
        roles, used, (rolls, _, _) = played
        starts = heard_inside(before, as_bars(played_cells(rolls, used) < 0))
        if best is None or starts < best[0]:
            best = (starts, number, played)
        if starts == 0:
            break
    return best[1], best[2]


MATCH_SONGS = 8             # songs of MATCH_BARS bars a match is measured on...
MATCH_BARS = 64
MATCH_STEPS = 5             # ...at each of a bisection's steps (a value found within 1/32)


def matching_songs(gan, stats, matched):
    """MATCH_SONGS songs of MATCH_BARS bars written with `matched` (a fixed stream, forms drawn
    from stats): what match_drummer measures."""
    rng = np.random.default_rng(0)
    return [write_song(gan, draw_form(stats, MATCH_BARS, rng), rng, stats=stats,
                       matched=matched) for _ in range(MATCH_SONGS)]


def bars_repeating(songs):
    """Share of the bars of songs (Songs) equal to the bar PHRASE_GRID before them, as
    phrases.song_measures counts it."""
    return mean_measures([song_measures(as_bars(song.hits)) for song in songs])[
        f"bars repeating the bar {PHRASE_GRID} before"]


def changing_inside(transitions):
    """The share of the bars inside sections that change, in the long run of a chain of roles
    (NUM_ROLES, NUM_ROLES): the CHANGE part of its stationary distribution (the left
    eigenvector of eigenvalue 1)."""
    values, vectors = np.linalg.eig(np.asarray(transitions, dtype=np.float64).T)
    stationary = np.real(vectors[:, np.argmin(np.abs(values - 1))])
    return float(stationary[CHANGE] / stationary.sum())


def bars_changing(songs):
    """The share of the bars inside the sections of songs (Songs) that change, as
    form_statistics finds his (changing_inside of their role transitions)."""
    return changing_inside(form_statistics([as_bars(song.hits) for song in songs])[
        "role_transitions"])


def bisection(measure, target, falling):
    """The value in [0, 1] whose measure is nearest the target, of those a bisection tries:
    0 first, and MATCH_STEPS halvings when 0 is not already past the target (the measure falls
    as the value grows when `falling`, else rises)."""
    def short(value):
        return tried[value] > target if falling else tried[value] < target

    tried = {0.0: measure(0.0)}
    low, high = 0.0, 1.0
    for _ in range(MATCH_STEPS if short(0.0) else 0):
        middle = (low + high) / 2
        tried[middle] = measure(middle)
        low, high = (middle, high) if short(middle) else (low, middle)
    return min(tried, key=lambda value: (abs(tried[value] - target), value))


MATCH_SETTINGS = 2 * (1 + MATCH_STEPS)     # the most settings a match writes songs with
MATCH_LABEL = "matching the song writer to his songs "     # its progress line


def match_drummer(gan, stats=None, progress=None):
    """How the song writer plays this drummer -> Matched: first the share of his changes inside
    a section (changes) at which the model's songs change their bars inside sections as often
    as his (changing_inside of his role transitions), then the blend of fresh bar noise at
    which they repeat the bar PHRASE_GRID before as often as his (form statistic bar_repeats).
    Each is 0 when the model already changes as often or repeats no more often than he does
    (MGŁA: he changes 9% of the bars inside his sections, the model 13-14% with none of his
    changes kept; he repeats the bar 8 before in 34% of his bars). A drummer who varies his
    bars all the time needs both: GMD drummer 5 changes 45% of the bars inside his sections,
    the model 15% without his changes; drummer 8 repeats 3% of his bars, the model with its
    phrase played again 11%.
    stats: form statistics (default: the model's own); those a run trained before them lacks
    stay at 0. progress: an optional cli.Progress over MATCH_SETTINGS settings (a match may
    need fewer; it ends at the total).
    """
    stats = (gan.config.form or {}) if stats is None else stats
    written = {}                  # Matched -> its matching songs, each written once

    def songs(changes, blend=0.0):
        matched = Matched(changes, blend)
        if matched not in written:
            written[matched] = matching_songs(gan, stats, matched)
            if progress is not None:
                progress.update(len(written))
        return written[matched]

    changes = blend = 0.0
    if stats.get("role_transitions"):
        changes = bisection(lambda value: bars_changing(songs(value)),
                            changing_inside(stats["role_transitions"]), falling=False)
    if "bar_repeats" in stats:
        blend = bisection(lambda value: bars_repeating(songs(changes, value)),
                          stats["bar_repeats"], falling=True)
    if progress is not None:
        progress.update(progress.total, force=True)
    return Matched(changes, blend)


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


def held_statistics(gan, rng):
    """Batch norm statistics of a batch of MIN_SAMPLING_BATCH random latents, to hold while a
    search finds latents and while they are decoded (fit_windows): what a latent plays
    depends on the batch it is decoded in, so a window found in the search's own batch of
    candidates played far less alike in a song's batch (on the seed-0 MGŁA run, 0.72
    alike in the search, 0.17 in the song)."""
    return gan.batch_statistics(gan.latents(MIN_SAMPLING_BATCH, rng))


def fit_primer(gan, bars, rng, steps=FIT_STEPS, statistics=None):
    """The latent whose window best plays the primer's last bars -> PrimerFit: its global
    latent (latent,), its bar noise (used, bar_noise) and how alike its bars are to the
    primer's, decoded with `statistics` held (held_statistics; None: the search's own).

    bars: (B, 25, 32) bool, the primer's 4/4 bars, B >= MIN_PRIMER_BARS. The last
    used = min(B, 8) bars are the target of a window's first bars (fit_windows), its roles
    those continue_song plays the primer's phrase with (phrase_played).
    """
    if len(bars) < MIN_PRIMER_BARS:
        raise PrimerError(f"it has {len(bars)} bar(s) of drums; a primer needs at least "
                          f"{MIN_PRIMER_BARS}")
    used = min(WINDOW_BARS, len(bars))
    roles = phrase_played(bar_roles(bars)[-used:], WINDOW_BARS)    # as the song plays them
    latents, alike = fit_windows(gan, [bars[-used:]], roles[None], rng, steps,
                                 statistics=statistics)
    groove, phrase, _ = gan.latent_parts(latents[0])                  # phrase: (8, B)
    return PrimerFit(groove, phrase[:used].copy(), float(alike[0]))


Primer = collections.namedtuple("Primer", "bars velocities offsets")


def primer_bars(roll, name):
    """A primer's DrumRoll -> Primer: its bars (B, 25, 32) bool, velocities (B, 25, 32) uint8
    and offsets (B, 25, 32) int8, as played.

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

    def per_bar(cells):
        whole = np.zeros((cells.shape[0], bars * STEPS_PER_BAR), dtype=cells.dtype)
        whole[:, :roll.num_steps] = cells
        return as_bars(whole)

    velocities = per_bar(roll.velocities)
    return Primer(velocities > 0, velocities, per_bar(roll.offsets))


def continue_song(gan, primer, sections, rng, base=None, **steering):
    """A song that goes on from a primer -> (Song of the primer's bars followed by the new
    ones, the PrimerFit). primer: a Primer (primer_bars), its bars kept as they were played.

    The new song's first section plays the primer's groove: the global latent and the bar
    noise of the model's window closest to the primer's last bars (fit_primer), its noise
    and its bars' roles played on bar after bar, so the section goes on as the primer's phrase
    did. A primer that
    ends on a fill leads into a new groove instead: the first section then starts with a
    change, as the drummer's do after a fill. steering: write_song's controls, redo and matched.

    The search and the whole song hold the same batch norm statistics (held_statistics), so
    the song plays the window found as alike as the search says.
    """
    statistics = held_statistics(gan, rng)
    fit = fit_primer(gan, primer.bars, rng, statistics=statistics)
    first = sections[0].letter
    if bar_roles(primer.bars)[-1] == FILL:
        song = write_song(gan, sections, rng, base=base, statistics=statistics, **steering)
    else:
        used = len(fit.phrase)
        song = write_song(gan, sections, rng, base=base, grooves={first: fit.groove},
                          phrases={first: fit.phrase}, before=first,
                          phrase_roles={first: bar_roles(primer.bars)[-used:]},
                          statistics=statistics, **steering)

    def joined(old, new):                             # (B, 25, 32) then (25, steps)
        return np.concatenate([from_bars(old), new], axis=1)

    primer_roles = bar_roles(primer.bars)
    return Song(joined(primer.bars, song.hits), joined(primer.velocities, song.velocities),
                joined(primer.offsets, song.offsets),
                np.concatenate([primer_roles, song.roles])), fit
