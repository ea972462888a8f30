"""The evaluation table: which sets of rolls are scored, and how the table is printed.

Columns: real windows of the songs a run held out of training (what unseen real music scores),
optionally other folders of MIDI or PNG rolls, and the model's samples. Every column is judged
against the training windows with the measures of metrics.py.
"""
import os

import numpy as np

from drumroll import metrics
from drumroll.cli import UserError, check_name
from drumroll.format import DRUM_CHANNEL, STEPS_PER_BAR, WINDOW_STEPS, as_bars, pixels_to_hits
from drumroll.images import find_images, read_png
from drumroll.controls import Controls
from drumroll.feel import Playing
from drumroll.generate import sample_tracks
from drumroll.midi_in import find_midi_files, read_drum_roll
from drumroll.phrases import (MIN_RUN_BARS, jaccard, mean_measures, measure_range, song_measures,
                              song_sections)
from drumroll.songwriter import Matched, Primer, Section, continue_song, draw_form, write_song
from drumroll.models.base import data_digest

# How each measure is printed: as a share (percent) or as a number with some digits.
PERCENT = {"songs: bars with a fill", "songs: changes right after a fill",
           "songs: bars starting a new groove", "songs: bars repeating the bar 8 before",
           "windows with a tom", "on 8ths", "on 16ths", "empty beats", "verbatim bars",
           "near-copies", "1-NN accuracy", "bars starting a new groove", "bars with a fill",
           "bars with 2+ tom hits", "changes right after a fill", "changes with a crash",
           "bars repeating the bar 4 before", "bars repeating the bar 8 before",
           "sections starting on a 4-bar line", "sections starting on an 8-bar line",
           "accented hits", "hits off the grid"}
COUNTS = {"windows", "bars", "sections"}
SONG_BARS = 64              # length of the generated songs scored

SEVERAL_NOTES = ("Per step: hits per 32nd-note step. A kit piece of several notes adds up its "
                 "notes (a ride and a ride bell on one step count 2), so its rate can pass 1.")


def fit_window(hits):
    """(rows, steps) -> (rows, 256): cut or pad with silence."""
    out = np.zeros((hits.shape[0], WINDOW_STEPS), dtype=bool)
    steps = min(WINDOW_STEPS, hits.shape[1])
    out[:, :steps] = hits[:, :steps]
    return out


def read_rolls(folder, threshold, skip=print, channel=DRUM_CHANNEL):
    """Every MIDI file (first 8 bars; drums on `channel`, 0-15) or PNG roll in a folder ->
    (N, 25, 256) bool.

    A file that cannot be read is left out and skip(reason) told in one line, as midi2img
    skips it; UserError when none can be read.
    """
    if not os.path.isdir(check_name(folder, "folder of rolls")):
        raise UserError(f"{folder}: no such folder")
    midi_paths = find_midi_files([folder]) if any(
        name.lower().endswith((".mid", ".midi")) for name in os.listdir(folder)) else []
    rolls = read_each(midi_paths, lambda path: read_drum_roll(path, channel=channel).hits, skip)
    if not midi_paths:
        rolls = read_each(find_images([folder]),
                          lambda path: pixels_to_hits(read_png(path), threshold), skip)
    if not rolls:
        raise UserError(f"{folder}: no drum roll could be read (every file was skipped)")
    return np.stack(rolls)


def read_each(paths, read, skip):
    """[fit_window(read(path))] of the paths that can be read; skip(reason) hears of the rest."""
    rolls = []
    for path in paths:
        try:
            rolls.append(fit_window(read(path)))
        except UserError as error:
            skip(f"skipped {error}")
    return rolls


def held_out_like_the_run(dataset, gan, data_path, checkpoint_path):
    """(N,) bool: the windows of the songs the run held out of training.

    UserError when the dataset is not the one the run was trained on (the songs it held out
    are missing, or the other windows are not its training windows) or when it held out none.
    """
    songs = gan.config.holdout_songs
    other_data = (f"{data_path}: not the data {checkpoint_path} was trained on "
                  f"({{}}); give that run's dataset with --data")
    missing = sorted(set(songs) - set(dataset.song.tolist()))
    if missing:
        raise UserError(other_data.format(
            f"the songs it held out are not in it: {', '.join(missing)}"))
    held_out = np.isin(dataset.song, songs)
    digest = gan.config.data_digest
    if digest is not None and data_digest(dataset.images[~held_out]) != digest:
        raise UserError(other_data.format("its training windows differ"))
    if held_out.sum() < 2:
        raise UserError(f"{checkpoint_path}: the run held out no songs of {data_path}, so "
                        "there is no unseen real music to compare with (train with --holdout "
                        "> 0)")
    return held_out


def score_sets(sets, reference, training=None):
    """{name: (rolls, windows that count for copying, song of each window or None)} ->
    {name: {measure: value}}, with each column's style error against the first column.

    training: (rolls, song of each) of the training windows, or None. With it, two columns
    follow the first: the training windows' style statistics and their range over the
    training songs (each song's value, lowest to highest: the spread of the drummer's own
    songs), and every column gets its style error against the training windows too.
    """
    columns = {name: metrics.evaluate_set(rolls, copies_of, reference, songs)
               for name, (rolls, copies_of, songs) in sets.items()}
    first = next(iter(columns.values()))
    if training is not None:
        rolls, songs = training
        trained = metrics.style_statistics(rolls)
        spread = metrics.per_song_range(rolls, songs)
        names = list(columns)
        columns = {names[0]: columns[names[0]], "real, training": trained,
                   "training songs, range": spread, **{name: columns[name] for name in names[1:]}}
    for name, row in columns.items():
        if name != "training songs, range":
            row["style error"] = metrics.style_error(row, first)
            if training is not None:
                row["style error vs training"] = metrics.style_error(row, trained)
    return columns


def format_value(name, value):
    if isinstance(value, tuple):                     # a range, lowest to highest
        return "–".join(format_value(name, part) for part in value)
    if name in PERCENT:
        return f"{100 * value:.1f}%"
    if name in COUNTS:
        return f"{int(value)}"
    return f"{value:.3f}" if abs(value) < 10 else f"{value:.1f}"


def table(columns):
    """{column name: {measure: value}} -> Markdown table, one row per measure of the first
    column ("-" where another column does not have it)."""
    names = list(columns)
    measures = list(next(iter(columns.values())))
    lines = ["| measure | " + " | ".join(names) + " |",
             "|---|" + "---:|" * len(names)]
    for measure in measures:
        cells = [format_value(measure, columns[name][measure]) if measure in columns[name]
                 else "-" for name in names]
        lines.append(f"| {measure} | " + " | ".join(cells) + " |")
    if any(measure.endswith("notes) per step") for measure in measures):
        lines += ["", SEVERAL_NOTES]
    return "\n".join(lines)


# ------------------------------------------------------------------------ songs, not windows

def real_song_runs(dataset, songs):
    """The song measures of every run of MIN_RUN_BARS or more whole 4/4 bars of the named
    songs -> one list of rows per song."""
    return [[song_measures(velocities > 0, velocities)
             for _, velocities in dataset.four_four_runs(index)
             if len(velocities) >= MIN_RUN_BARS]
            for index, name in enumerate(dataset.song_names.tolist()) if name in songs]


def real_song_measures(dataset, songs):
    """Song measures of real songs: every run of MIN_RUN_BARS or more whole 4/4 bars of the
    named songs, weighted by their bars."""
    return mean_measures([row for rows in real_song_runs(dataset, songs) for row in rows])


def real_song_range(dataset, songs):
    """The song measures of each named song on its own, lowest to highest: {measure: (low,
    high)}, the spread between the drummer's own songs (phrases.measure_range)."""
    return measure_range(real_song_runs(dataset, songs))


def generated_songs(gan, num, rng, bars=SONG_BARS, progress=None, matched=Matched()):
    """num songs of `bars` bars written by a song model, forms drawn from its training songs.
    progress: an optional cli.Progress over the songs; matched: write_song's."""
    songs = []
    for index in range(num):
        songs.append(write_song(gan, draw_form(gan.config.form or {}, bars, rng), rng,
                                matched=matched))
        if progress is not None:
            progress.update(index + 1)
    return songs


def generated_song_measures(songs):
    """Song measures of songs (Songs, from generated_songs)."""
    return mean_measures([song_measures(as_bars(song.hits), as_bars(song.velocities))
                          for song in songs])


def songs_played(songs, bpm):
    """Songs of one length, played at one tempo -> a feel.Playing."""
    return Playing(np.stack([song.hits for song in songs]),
                   np.stack([song.velocities for song in songs]),
                   np.stack([song.offsets for song in songs]), np.full(len(songs), bpm))


def windows_played(dataset, mask):
    """The dataset's windows selected by the (N,) bool mask `mask` -> a feel.Playing, each at
    its song's tempo."""
    return Playing(dataset.velocities[mask] > 0, dataset.velocities[mask],
                   dataset.offsets[mask], dataset.song_bpm[dataset.song_index[mask]])


def chained_song_measures(gan, num, rng, bars=SONG_BARS, progress=None):
    """Song measures of num tracks of 8-bar samples played one after another (img2midi --bars),
    the baseline a song has to beat. progress: an optional cli.Progress over the tracks."""
    rows = []
    for index, (roll, _, _) in enumerate(sample_tracks(gan, num, bars, rng)):
        rows.append(song_measures(as_bars(roll < 0)))                 # (bars, 25, 32)
        if progress is not None:
            progress.update(index + 1)
    return mean_measures(rows)


# ------------------------------------------------------------------- going on from a primer

PRIMER_BARS = 16            # a primer of the evaluation: 16 bars of one section
AFTER_PRIMER = 8            # bars after it compared with its last bar
MAX_PRIMERS = 16


def primers_of(dataset, songs):
    """Primers from the named songs: (Primer of PRIMER_BARS bars, the AFTER_PRIMER bars he
    played after it (bool (bars, rows, 32))) for every section (phrases.song_sections) long
    enough to hold both whose primer does not end in silence (a rest is no groove to go on
    in), at most MAX_PRIMERS, spread over the songs."""
    found = []
    for index, name in enumerate(dataset.song_names.tolist()):
        if name not in songs:
            continue
        roll_offsets = dataset.song_offsets(index)
        for first, velocities in dataset.four_four_runs(index):
            hits = velocities > 0
            steps = dataset.song_bars(index).start[first]
            offsets = as_bars(roll_offsets[:, steps:steps + len(velocities) * STEPS_PER_BAR])
            for _, start, length in song_sections(hits):
                if length >= PRIMER_BARS + AFTER_PRIMER and hits[start + PRIMER_BARS - 1].any():
                    cut = slice(start, start + PRIMER_BARS)
                    found.append((Primer(hits[cut], velocities[cut], offsets[cut]),
                                  hits[start + PRIMER_BARS:start + PRIMER_BARS + AFTER_PRIMER]))
    pick = np.linspace(0, len(found) - 1, min(len(found), MAX_PRIMERS)).round().astype(int)
    return [found[i] for i in sorted(set(pick.tolist()))] if found else []


def alike_last_bar(last, bars):
    """Mean Jaccard similarity of each of `bars` (B, rows, 32) with the bar `last` (rows, 32)."""
    flat = bars.reshape(len(bars), -1)
    return float(jaccard(flat, np.repeat(last.reshape(1, -1), len(bars), axis=0)).mean())


def primer_continuation(gan, primers, rng, matched=Matched()):
    """How alike the first AFTER_PRIMER bars after each primer are to its last bar: the
    drummer's own (his bars after it) and the song model's (continue_song, with write_song's
    matched) -> (his, ours), means over the primers; ours is None for a model that writes no
    songs."""
    his = np.mean([alike_last_bar(primer.bars[-1], after) for primer, after in primers])
    if not hasattr(gan, "decode"):
        return float(his), None
    ours = []
    for primer, _ in primers:
        song, _ = continue_song(gan, primer, [Section("A", AFTER_PRIMER)], rng, matched=matched)
        new = as_bars(song.hits[:, PRIMER_BARS * STEPS_PER_BAR:])
        ours.append(alike_last_bar(primer.bars[-1], new))
    return float(his), float(np.mean(ours))


# ------------------------------------------------------------------ the controls, measured

SWEEPS = {"density": (-1.0, -0.5, 0.0, 0.5, 1.0), "fills": (0.0, 0.5, 1.0, 1.5, 2.0),
          "variation": (0.0, 0.5, 1.0, 1.5, 2.0), "intensity": (-2, -1, 0, 1, 2)}


def control_sweeps(gan, reference, num, songs, seed, matched=Matched()):
    """Each control of a song model across its range (SWEEPS), the others neutral -> {control:
    {setting: {measure: value}}}: 8-bar samples (num) for density, variation and intensity
    (a whole form of one section marked so many steps), songs (songs of SONG_BARS bars) for
    fills and variation; matched: write_song's. Every setting draws from the same seed, so the
    rows differ by the control alone."""
    trained = metrics.style_statistics(reference.rolls)
    sweeps = {}
    for control, settings in SWEEPS.items():
        rows = {}
        for value in settings:
            rng = np.random.default_rng(seed)
            controls = Controls(**{control: value}) if control != "intensity" else Controls()
            row = {}
            if control in ("density", "variation"):
                rolls = gan.sample_with_feel(num, rng, controls=controls)[0]
                hits = rolls < 0
                row.update(metrics.style_statistics(hits))
                row["diversity"] = metrics.diversity_against(hits, reference.mean_distance)
                row["style error vs training"] = metrics.style_error(row, trained)
            if control in ("fills", "variation", "intensity"):
                written = []
                for _ in range(songs):
                    sections = draw_form(gan.config.form or {}, SONG_BARS, rng)
                    if control == "intensity":
                        sections = [section._replace(intensity=value) for section in sections]
                    written.append(write_song(gan, sections, rng, controls=controls,
                                              matched=matched))
                measured = generated_song_measures(written)
                row.update({f"songs: {name}": measured[name] for name in SONG_SWEEP_MEASURES})
                hits = np.stack([song.hits for song in written])
                velocities = np.stack([song.velocities for song in written])
                row["songs: hits per bar"] = float(hits.sum() / (hits.shape[0] * SONG_BARS))
                row["songs: mean velocity"] = float(velocities[hits].mean())
            rows[f"{control} {value:g}"] = row
        sweeps[control] = rows
    return sweeps


SONG_SWEEP_MEASURES = ("bars with a fill", "changes right after a fill",
                       "bars starting a new groove", "bars repeating the bar 8 before")
