"""The evaluation table: which sets of rolls are scored, and how the table is printed.

Columns: real windows of the songs a run held out of training (what unseen real music scores),
optionally other folders of MIDI or PNG rolls, and the model's samples. Every column is judged
against the training windows with the measures of metrics.py.
"""
import os

import numpy as np

from drumroll import metrics
from drumroll.cli import UserError, check_name
from drumroll.format import DRUM_CHANNEL, STEPS_PER_BAR, WINDOW_STEPS, pixels_to_hits
from drumroll.images import find_images, read_png
from drumroll.generate import sample_tracks
from drumroll.midi_in import find_midi_files, read_drum_roll
from drumroll.phrases import mean_measures, song_measures
from drumroll.songwriter import draw_form, write_song
from drumroll.training import data_digest

# How each measure is printed: as a share (percent) or as a number with some digits.
PERCENT = {"windows with a tom", "on 8ths", "on 16ths", "empty beats", "verbatim bars",
           "near-copies", "1-NN accuracy", "bars starting a new groove", "bars with a fill", "bars with 2+ tom hits",
           "changes right after a fill", "changes with a crash",
           "bars repeating the bar 4 before", "accented hits"}
COUNTS = {"windows", "bars"}
SONG_BARS = 64              # length of the generated songs scored
MIN_RUN_BARS = 8            # shorter runs of 4/4 bars in a real song are not scored as songs

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
    songs = gan.train_config.holdout_songs
    other_data = (f"{data_path}: not the data {checkpoint_path} was trained on "
                  f"({{}}); give that run's dataset with --data")
    missing = sorted(set(songs) - set(dataset.song.tolist()))
    if missing:
        raise UserError(other_data.format(
            f"the songs it held out are not in it: {', '.join(missing)}"))
    held_out = np.isin(dataset.song, songs)
    digest = gan.train_config.data_digest
    if digest is not None and data_digest(dataset.images[~held_out]) != digest:
        raise UserError(other_data.format("its training windows differ"))
    if held_out.sum() < 2:
        raise UserError(f"{checkpoint_path}: the run held out no songs of {data_path}, so "
                        "there is no unseen real music to compare with (train with --holdout "
                        "> 0)")
    return held_out


def score_sets(sets, reference):
    """{name: (rolls, windows that count for copying, song of each window or None)} ->
    {name: {measure: value}}, with each column's style error against the first column."""
    columns = {name: metrics.evaluate_set(rolls, copies_of, reference, songs)
               for name, (rolls, copies_of, songs) in sets.items()}
    first = next(iter(columns.values()))
    for row in columns.values():
        row["style error"] = metrics.style_error(row, first)
    return columns


def format_value(name, value):
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

def as_bars(roll):
    """(rows, bars * 32) -> (bars, rows, 32)."""
    rows, steps = roll.shape
    return roll.reshape(rows, steps // STEPS_PER_BAR, STEPS_PER_BAR).transpose(1, 0, 2)


def real_song_measures(dataset, songs):
    """Song measures of real songs: every run of MIN_RUN_BARS or more whole 4/4 bars of the
    named songs, weighted by their bars."""
    rows = []
    for index, name in enumerate(dataset.song_names.tolist()):
        if name in songs:
            rows += [song_measures(velocities > 0, velocities)
                     for _, velocities in dataset.four_four_runs(index)
                     if len(velocities) >= MIN_RUN_BARS]
    return mean_measures(rows)


def generated_song_measures(gan, num, rng, bars=SONG_BARS, progress=None):
    """Song measures of num songs of `bars` bars written by a song model, forms drawn from
    its training songs. progress: an optional cli.Progress over the songs."""
    rows = []
    for index in range(num):
        hits, velocities, _ = write_song(gan, draw_form(gan.model.form or {}, bars, rng), rng)
        rows.append(song_measures(as_bars(hits), as_bars(velocities)))
        if progress is not None:
            progress.update(index + 1)
    return mean_measures(rows)


def chained_song_measures(gan, num, rng, bars=SONG_BARS, progress=None):
    """Song measures of num tracks of 8-bar samples played one after another (img2midi --bars),
    the baseline a song has to beat. progress: an optional cli.Progress over the tracks."""
    rows = []
    for index, (roll, _) in enumerate(sample_tracks(gan, num, bars, rng)):
        rows.append(song_measures(as_bars(roll < 0)))                 # (bars, 25, 32)
        if progress is not None:
            progress.update(index + 1)
    return mean_measures(rows)
