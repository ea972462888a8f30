"""The default corpus: black-metal drum parts composed by rules, deterministic with a seed.

A fresh clone has no real recordings to learn from, so the project writes its own: songs at
140-220 bpm in 4/4, built from sections of 4 or 8 bars; a few songs change meter for a moment
(a 1/4 pickup, a 2/4 fill before a section, a short 7/8 passage), written as time signatures. Each section repeats one groove
(traditional, hammer or gravity blast, double bass under a snare backbeat, skank beat, d-beat,
half-time) with small variations, opens with a crash or china on the downbeat and often ends
with a tom or snare fill. Songs come back to their earlier sections, so a GAN has structure to
learn. The notes are the ones the real drummer uses (36 kick, 38 snare, 41-48 toms and hats,
49/52/55/57 crashes, 51/53/59 rides), velocities 76/89 with accents at 102.

    python -m drumroll.compose --out data/midi --seed 0
"""
import argparse
import os

import mido
import numpy as np

from drumroll.cli import UserError, run
from drumroll.files import staged_folder
from drumroll.format import LOWEST_NOTE, NUM_ROWS, STEPS_PER_BAR, STEPS_PER_BEAT
from drumroll.midi_out import roll_to_midi, ticks_per_step, write_midi

KICK, SNARE = 36, 38
TOMS = (48, 47, 45, 43, 41)               # high to low
CLOSED_HAT, PEDAL_HAT, OPEN_HAT = 42, 44, 46
CRASH, CHINA, SPLASH, CRASH_2 = 49, 52, 55, 57
RIDE, BELL, RIDE_2 = 51, 53, 59
SOFT, NORMAL, ACCENT = 76, 89, 102

SIXTEENTH = STEPS_PER_BEAT // 4           # 2 steps
EIGHTH = STEPS_PER_BEAT // 2              # 4 steps
BEAT = STEPS_PER_BEAT                     # 8 steps

TITLE_WORDS = (
    ("ashen", "hollow", "frozen", "nameless", "withered", "silent", "black", "sunless", "crawling",
     "weary", "pale", "bleeding"),
    ("litany", "procession", "hymn", "throne", "requiem", "vigil", "lament", "shroud", "descent",
     "oath", "verdict", "horizon"),
    ("of-dust", "of-ash", "of-the-void", "of-no-light", "in-silence", "of-the-last-winter",
     "without-end", "of-rust", "beneath", "of-futility"),
)


def new_bar():
    return np.zeros((NUM_ROWS, STEPS_PER_BAR), dtype=np.uint8)   # (rows, 32) velocities


def hit(bar, note, step, velocity=NORMAL):
    row = note - LOWEST_NOTE
    bar[row, step] = max(bar[row, step], velocity)


def hits(bar, note, steps, velocity=NORMAL):
    """hit() on every step of `steps`."""
    for step in steps:
        hit(bar, note, step, velocity)


# ---- grooves: one bar each, `cymbal` is the time-keeping note ----

def traditional_blast(cymbal):
    """Kick + cymbal and snare alternating on 16ths."""
    bar = new_bar()
    for index, step in enumerate(range(0, STEPS_PER_BAR, SIXTEENTH)):
        if index % 2 == 0:
            hit(bar, KICK, step)
            hit(bar, cymbal, step, SOFT)
        else:
            hit(bar, SNARE, step)
    return bar


def hammer_blast(cymbal):
    """Kick, snare and cymbal together on every 8th."""
    bar = new_bar()
    for step in range(0, STEPS_PER_BAR, EIGHTH):
        hit(bar, KICK, step)
        hit(bar, SNARE, step)
        hit(bar, cymbal, step, SOFT)
    return bar


def gravity_blast(cymbal):
    """Snare roll on every 32nd (accent on the push stroke), kick on 8ths, cymbal on beats."""
    bar = new_bar()
    for step in range(STEPS_PER_BAR):
        hit(bar, SNARE, step, NORMAL if step % 2 == 0 else SOFT)
    hits(bar, KICK, range(0, STEPS_PER_BAR, EIGHTH))
    hits(bar, cymbal, range(0, STEPS_PER_BAR, BEAT), SOFT)
    return bar


def double_bass(cymbal):
    """Kick on every 16th under a snare backbeat on 2 and 4, cymbal on 8ths."""
    bar = new_bar()
    hits(bar, KICK, range(0, STEPS_PER_BAR, SIXTEENTH))
    hits(bar, SNARE, (BEAT, 3 * BEAT))
    hits(bar, cymbal, range(0, STEPS_PER_BAR, EIGHTH), SOFT)
    return bar


def skank_beat(cymbal):
    """Kick on the beat, snare on the 'and', cymbal with both."""
    bar = new_bar()
    for step in range(0, STEPS_PER_BAR, BEAT):
        hit(bar, KICK, step)
        hit(bar, SNARE, step + EIGHTH)
        hit(bar, cymbal, step, SOFT)
        hit(bar, cymbal, step + EIGHTH, SOFT)
    return bar


def d_beat(cymbal):
    """Kick 1, snare 2, kick 2-and and 3, snare 4; cymbal on 8ths."""
    bar = new_bar()
    hits(bar, KICK, (0, BEAT + EIGHTH, 2 * BEAT))
    hits(bar, SNARE, (BEAT, 3 * BEAT))
    hits(bar, cymbal, range(0, STEPS_PER_BAR, EIGHTH), SOFT)
    return bar


def half_time(cymbal):
    """Slow and heavy: kick on 1 and 2-and, snare on 3, cymbal on beats, pedal hat between."""
    bar = new_bar()
    hits(bar, KICK, (0, BEAT + EIGHTH))
    hit(bar, SNARE, 2 * BEAT, ACCENT)
    for step in range(0, STEPS_PER_BAR, BEAT):
        hit(bar, cymbal, step, SOFT)
        hit(bar, PEDAL_HAT, step + EIGHTH, SOFT)
    return bar


GROOVES = {
    "traditional blast": (traditional_blast, (RIDE, CRASH, CLOSED_HAT, CHINA)),
    "hammer blast": (hammer_blast, (CRASH, CHINA, RIDE)),
    "gravity blast": (gravity_blast, (RIDE, CRASH, CHINA)),
    "double bass": (double_bass, (RIDE, BELL, CRASH, OPEN_HAT)),
    "skank beat": (skank_beat, (OPEN_HAT, RIDE, CRASH_2)),
    "d-beat": (d_beat, (OPEN_HAT, CLOSED_HAT, RIDE)),
    "half time": (half_time, (RIDE, BELL, CRASH)),
}
FAST_GROOVES = ("traditional blast", "hammer blast", "gravity blast", "double bass")
GROOVE_WEIGHTS = {"traditional blast": 0.28, "double bass": 0.24, "hammer blast": 0.12,
                  "skank beat": 0.14, "d-beat": 0.1, "gravity blast": 0.05, "half time": 0.07}


# ---- fills and variations ----

def tom_fill(bar, rng, start_beat):
    """Replace the bar from start_beat with 16ths running down the toms (kick on the beats)."""
    start = start_beat * BEAT
    bar[:, start:] = 0
    toms = [note for note in TOMS if rng.random() < 0.8] or [TOMS[0], TOMS[-1]]
    steps = list(range(start, bar.shape[1], SIXTEENTH))
    for index, step in enumerate(steps):
        tom = toms[min(index * len(toms) // len(steps), len(toms) - 1)]
        hit(bar, tom, step, ACCENT if index == 0 else NORMAL)
        if step % BEAT == 0:
            hit(bar, KICK, step)


def snare_fill(bar, rng, start_beat):
    """Replace the bar from start_beat with a rising snare roll (16ths or 32nds)."""
    start = start_beat * BEAT
    bar[:, start:] = 0
    spacing = 1 if rng.random() < 0.4 else SIXTEENTH
    steps = list(range(start, STEPS_PER_BAR, spacing))
    for index, step in enumerate(steps):
        hit(bar, SNARE, step, int(SOFT + (ACCENT - SOFT) * index / max(len(steps) - 1, 1)))
        if step % BEAT == 0:
            hit(bar, KICK, step)


def kick_run(bar, rng):
    """Double-bass run: kick on every 32nd of the last two beats."""
    for step in range(2 * BEAT, STEPS_PER_BAR):
        hit(bar, KICK, step, NORMAL if step % 2 == 0 else SOFT)


def accent_downbeat(bar, rng):
    """Crash or china (sometimes both crashes) with the kick on beat 1."""
    cymbal = rng.choice([CRASH, CRASH, CHINA, CRASH_2, SPLASH])
    hit(bar, int(cymbal), 0, ACCENT)
    hit(bar, KICK, 0, ACCENT)


def section_bars(rng, groove_name, cymbal, num_bars, fill):
    """One section: its groove repeated for num_bars bars with variations."""
    groove = GROOVES[groove_name][0]
    bars = []
    for index in range(num_bars):
        bar = groove(cymbal)
        if index == 0 or (index == num_bars // 2 and rng.random() < 0.5):
            accent_downbeat(bar, rng)
        if groove_name in ("double bass", "d-beat") and rng.random() < 0.15:
            kick_run(bar, rng)
        if index % 4 == 3 and cymbal == RIDE and rng.random() < 0.5:
            for step in range(0, STEPS_PER_BAR, BEAT):   # ride bell on the beats
                hit(bar, BELL, step, SOFT)
        bars.append(bar)
    if fill == "toms":
        tom_fill(bars[-1], rng, start_beat=int(rng.choice([2, 3])))
    elif fill == "snare":
        snare_fill(bars[-1], rng, start_beat=int(rng.choice([2, 3])))
    return bars


def plan_sections(rng, target_bars):
    """A song form: themes (groove, cymbal, length) that come back, e.g. I A B A C B A O."""
    # 3-4 different grooves, the first one always fast; blasts and double bass most often,
    # gravity blasts rarely, as in the genre
    first = str(rng.choice(FAST_GROOVES, p=[0.45, 0.15, 0.05, 0.35]))
    others = [name for name in GROOVE_WEIGHTS if name != first]
    weights = np.array([GROOVE_WEIGHTS[name] for name in others])
    names = [first] + [str(name) for name in rng.choice(others, size=int(rng.integers(2, 4)),
                                                         replace=False, p=weights / weights.sum())]
    themes = []
    for name in names:
        cymbals = GROOVES[name][1]
        themes.append((name, int(cymbals[rng.integers(len(cymbals))]), int(rng.choice([4, 8, 8]))))
    intro = (str(rng.choice(["half time", "d-beat", "skank beat"])), RIDE, 4)
    plan, total, introduced = [intro], 4, 0
    while total < target_bars:
        # new themes in order, interleaved with returns to earlier ones: the repetition is the
        # structure a listener (and a GAN) can pick up
        if introduced < len(themes) and (introduced == 0 or rng.random() < 0.5):
            theme = themes[introduced]
            introduced += 1
        else:
            theme = themes[int(rng.integers(introduced))]
        plan.append(theme)
        total += theme[2]
    plan.append(("half time", CRASH, 4))
    return plan


def compose_sections(rng, seconds=None, bpm=None):
    """-> ([(groove name, cymbal, [bars (rows, 32) uint8])] in song order, bpm)."""
    bpm = int(bpm if bpm is not None else rng.integers(140, 221))
    seconds = seconds if seconds is not None else float(rng.uniform(70, 170))
    target_bars = max(8, int(round(seconds * bpm / 60 / 4)))
    sections = []
    for name, cymbal, num_bars in plan_sections(rng, target_bars):
        fill = rng.choice(["toms", "snare", "none"], p=[0.45, 0.25, 0.3])
        sections.append((name, cymbal, section_bars(rng, name, cymbal, num_bars, fill)))
    return sections, bpm


def sections_to_roll(sections):
    """[(groove name, cymbal, bars)] -> (rows, steps) velocities of all bars one after another."""
    return np.concatenate([bar for _, _, bars in sections for bar in bars], axis=1)


def compose_song(rng, seconds=None, bpm=None):
    """-> (velocities (rows, steps) uint8, bpm, names of the sections' grooves), all in 4/4."""
    sections, bpm = compose_sections(rng, seconds, bpm)
    return sections_to_roll(sections), bpm, [name for name, _, _ in sections]


# ---- bars in other meters ----

def pickup_bar(rng):
    """A 1/4 bar before the song: a snare (or tom) run in 16ths, growing louder."""
    bar = np.zeros((NUM_ROWS, BEAT), dtype=np.uint8)
    note = SNARE if rng.random() < 0.6 else TOMS[0]
    for index, step in enumerate(range(0, BEAT, SIXTEENTH)):
        hit(bar, note, step, int(SOFT + (ACCENT - SOFT) * index / 3))
    return bar


def two_four_fill(rng):
    """A 2/4 bar before a section: the toms run down in 16ths, kick on the beats."""
    bar = np.zeros((NUM_ROWS, 2 * BEAT), dtype=np.uint8)
    tom_fill(bar, rng, start_beat=0)
    return bar


def seven_eight_bars(name, cymbal, count=2):
    """A short 7/8 passage: the section's groove cut to 7 eighths, a crash on its first 1."""
    bars = [GROOVES[name][0](cymbal)[:, :7 * EIGHTH].copy() for _ in range(count)]
    hit(bars[0], CRASH, 0, ACCENT)
    hit(bars[0], KICK, 0, ACCENT)
    return bars


METER_CHANGES = ("pickup", "2/4 fill", "7/8 passage")


def change_meter(rng, sections, kind):
    """Put bars of another meter into a song -> (velocities (rows, steps), [(step, n, d)]).

    kind: "pickup" (a 1/4 bar before the first bar), "2/4 fill" (a 2/4 bar before a section
    in the middle) or "7/8 passage" (two 7/8 bars before a section, in its groove). Every
    change of meter is listed, the return to 4/4 included.
    """
    if kind == "pickup":
        before, meter, inserted = 0, (1, 4), [pickup_bar(rng)]
    elif kind == "2/4 fill":
        before, meter, inserted = int(rng.integers(1, len(sections))), (2, 4), [two_four_fill(rng)]
    elif kind == "7/8 passage":
        before, meter = int(rng.integers(1, len(sections))), (7, 8)
        name, cymbal, _ = sections[before]
        inserted = seven_eight_bars(name, cymbal)
    else:
        raise ValueError(f"unknown change of meter {kind!r}")
    step = sections_to_roll(sections[:before]).shape[1] if before else 0
    back = step + sum(bar.shape[1] for bar in inserted)
    name, cymbal, bars = sections[before]
    sections = sections[:before] + [(name, cymbal, inserted + bars)] + sections[before + 1:]
    return sections_to_roll(sections), [(step, *meter), (back, 4, 4)]


def song_to_midi(velocities, bpm, title, tempo_changes=(), meter_changes=()):
    """Composed roll -> type-1 MIDI (480 tpb, drums on channel 10, note_on + note_off).

    tempo_changes: [(step, bpm)]; meter_changes: [(step, numerator, denominator)]. Both go
    into the tempo track, where roll_to_midi writes the first tempo and a 4/4 signature; a
    change of meter at step 0 replaces that signature.
    """
    midi = roll_to_midi(velocities > 0, velocities, bpm=bpm, name=title)
    tempo = midi.tracks[0]
    changes = [(step, mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(new_bpm)))
               for step, new_bpm in tempo_changes]
    for step, numerator, denominator in meter_changes:
        signature = mido.MetaMessage("time_signature", numerator=numerator,
                                     denominator=denominator, clocks_per_click=24,
                                     notated_32nd_notes_per_beat=8)
        if step == 0:
            first = next(index for index, message in enumerate(tempo)
                         if message.type == "time_signature")
            tempo[first] = signature
        else:
            changes.append((step, signature))
    if changes:
        end_of_track = tempo.pop()
        previous = 0
        for step, message in sorted(changes, key=lambda change: change[0]):
            tick = step * ticks_per_step()
            tempo.append(message.copy(time=tick - previous))
            previous = tick
        tempo.append(end_of_track)
    return midi


def song_title(rng, index):
    words = [str(rng.choice(part)) for part in TITLE_WORDS[:2]]
    if rng.random() < 0.5:
        words.append(str(rng.choice(TITLE_WORDS[2])))
    return f"{index + 1:02d}-" + "-".join(words)


def compose_corpus(out, seed=0, count=12):
    """Write `count` songs into folder `out`; returns their paths. Same seed, same bytes.
    The songs are staged and moved in together at the end (files.staged_folder)."""
    paths = []
    with staged_folder(out) as stage:
        for index in range(count):
            rng = np.random.default_rng([seed, index])
            title = song_title(rng, index)
            sections, bpm = compose_sections(rng)
            tempo_changes, meter_changes = [], []
            if index % 4 == 1:   # a few songs change meter for a moment
                kind = METER_CHANGES[index // 4 % len(METER_CHANGES)]
                velocities, meter_changes = change_meter(rng, sections, kind)
            else:
                velocities = sections_to_roll(sections)
            if index % 4 == 3:   # a few songs slow down for their 4-bar outro: tempo changes
                outro = velocities.shape[1] - 4 * STEPS_PER_BAR
                tempo_changes = [(outro, max(140, bpm - 40))]
            write_midi(song_to_midi(velocities, bpm, title, tempo_changes, meter_changes),
                       stage.path(title + ".mid"))
            paths.append(os.path.join(out, title + ".mid"))
        stage.commit()
    return paths


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m drumroll.compose",
        description="Compose the default corpus of black-metal drum parts as MIDI files.")
    parser.add_argument("--out", default="data/midi", help="output folder (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default: %(default)s)")
    parser.add_argument("--count", type=int, default=12,
                        help="number of songs (default: %(default)s)")
    args = parser.parse_args(argv)
    if args.count <= 0:
        raise UserError(f"--count {args.count}: must be positive")
    paths = compose_corpus(args.out, seed=args.seed, count=args.count)
    total = sum(os.path.getsize(path) for path in paths)
    print(f"wrote {len(paths)} songs to {args.out} ({total / 1024:.0f} KiB)")
    return 0


if __name__ == "__main__":
    run(main)
