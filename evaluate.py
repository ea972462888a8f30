#!/usr/bin/env python3
"""Score generated drum rolls against real ones and print a table (`make evaluate`).

Columns: real windows of the songs the run held out of training (what unseen real music
scores), optionally the original project's published patterns (--original), then the
samples of the trained model (--run), then any folders of MIDI/PNG rolls (--samples).
Every column is judged against the training windows; see drumroll/metrics.py for each measure.

    python evaluate.py --run runs/default
    python evaluate.py --run runs/default --original ../shared/data/original-generated
"""
import argparse
import os
import sys

import numpy as np

from drumroll import metrics
from drumroll.cli import UserError, run
from drumroll.dataset import load_dataset
from drumroll.files import atomic_write
from drumroll.format import DEFAULT_THRESHOLD, WINDOW_STEPS, pixels_to_hits, unit_to_pixels
from drumroll.images import find_images, read_png
from drumroll.midi_in import find_midi_files, read_drum_roll
from gan_numpy.training import load_run

DEFAULT_DATA = os.path.join("build", "dataset", "dataset.npz")

# How each measure is printed: as a share (percent) or as a number with some digits.
PERCENT = {"on 8ths", "on 16ths", "empty beats", "verbatim bars", "near-copies", "1-NN accuracy"}


def parse_args(argv):
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default=DEFAULT_DATA,
                        help="dataset file from midi2img.py (default: %(default)s)")
    parser.add_argument("--run", default=os.path.join("runs", "default"),
                        help="run folder or checkpoint to sample from (default: %(default)s)")
    parser.add_argument("--num", type=int, default=512,
                        help="samples drawn from the model (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=0, help="sampling seed (default: 0)")
    parser.add_argument("--threshold", type=int, default=DEFAULT_THRESHOLD,
                        help="a pixel darker than this is a hit (default: %(default)s)")
    parser.add_argument("--original", metavar="DIR",
                        help="folder of the original project's generated MIDI files")
    parser.add_argument("--samples", metavar="DIR", action="append", default=[],
                        help="another folder of generated MIDI or PNG rolls to score (repeatable)")
    parser.add_argument("--out", help="also write the table (Markdown) to this file")
    args = parser.parse_args(argv)
    if args.num < 2:
        parser.error("--num must be at least 2")
    return args


def fit_window(hits):
    """(rows, steps) -> (rows, 256): cut or pad with silence."""
    out = np.zeros((hits.shape[0], WINDOW_STEPS), dtype=bool)
    steps = min(WINDOW_STEPS, hits.shape[1])
    out[:, :steps] = hits[:, :steps]
    return out


def read_rolls(folder, threshold):
    """Every MIDI file (first 8 bars) or PNG roll in a folder -> (N, 25, 256) bool."""
    if not os.path.isdir(folder):
        raise UserError(f"{folder}: no such folder")
    midi_paths = find_midi_files([folder]) if any(
        name.lower().endswith((".mid", ".midi")) for name in os.listdir(folder)) else []
    rolls = [fit_window(read_drum_roll(path).hits) for path in midi_paths]
    if not rolls:
        rolls = [fit_window(pixels_to_hits(read_png(path), threshold))
                 for path in find_images([folder])]
    return np.stack(rolls)


def format_value(name, value):
    if name in PERCENT:
        return f"{100 * value:.1f}%"
    if name == "windows":
        return f"{int(value)}"
    return f"{value:.3f}" if abs(value) < 10 else f"{value:.1f}"


def table(columns):
    """{column name: {measure: value}} -> Markdown table, one row per measure."""
    names = list(columns)
    measures = list(next(iter(columns.values())))
    lines = ["| measure | " + " | ".join(names) + " |",
             "|---|" + "---:|" * len(names)]
    for measure in measures:
        cells = [format_value(measure, columns[name][measure]) for name in names]
        lines.append(f"| {measure} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv=None):
    args = parse_args(argv)
    dataset = load_dataset(args.data)
    gan, path = load_run(args.run)
    real = pixels_to_hits(dataset.images)
    held_out = np.isin(dataset.song, gan.config.holdout_songs)
    train_rolls, held_out_rolls = real[~held_out], real[held_out]
    if len(held_out_rolls) < 2:
        raise UserError(f"{path}: the run held out no songs of {args.data}, so there is no "
                        "unseen real music to compare with (train with --holdout > 0)")

    print(f"{args.data}: {len(train_rolls)} training windows, {len(held_out_rolls)} held-out "
          f"windows ({', '.join(gan.config.holdout_songs)}); sampling {args.num} from {path}",
          file=sys.stderr)
    generated = unit_to_pixels(gan.sample(args.num, rng=np.random.default_rng(args.seed)))
    # name: (rolls, windows that count for copying, song of each window or None)
    sets = {"real, held out": (held_out_rolls, train_rolls, dataset.song[held_out])}
    if args.original:
        # the original model was trained on every song, so copying counts against all of them
        sets["original's patterns"] = (read_rolls(args.original, args.threshold), real, None)
    sets[f"ours ({gan.config.arch}, {gan.step} it.)"] = (
        pixels_to_hits(generated, args.threshold), train_rolls, None)
    for folder in args.samples:
        sets[os.path.basename(os.path.normpath(folder))] = (
            read_rolls(folder, args.threshold), train_rolls, None)

    reference = metrics.Reference(train_rolls, dataset.song[~held_out])
    columns = {name: metrics.evaluate_set(rolls, copies_of, reference, songs)
               for name, (rolls, copies_of, songs) in sets.items()}
    real_row = columns["real, held out"]
    for row in columns.values():
        row["style error"] = metrics.style_error(row, real_row)
    text = table(columns)
    print(text)
    if args.out:
        with atomic_write(args.out, "w") as handle:
            handle.write(text + "\n")
    return 0


if __name__ == "__main__":
    run(main)
