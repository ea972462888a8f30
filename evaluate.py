#!/usr/bin/env python3
"""Score generated drum rolls against real ones and print a table (`make evaluate`).

Columns: real windows of the songs the run held out of training (what unseen real music
scores), optionally the original project's published patterns (--original), then the
samples of the trained model (--run), then any folders of MIDI/PNG rolls (--samples).
Every column is judged against the training windows; see drumroll/metrics.py for each measure.

    python evaluate.py --run runs/bars
    python evaluate.py --run runs/bars --original ../shared/data/original-generated
"""
import argparse
import os
import sys

import numpy as np

from drumroll import metrics
from drumroll.cli import (DEFAULT_DATASET, Progress, argument_type, parse_channel, parse_seed,
                          run, some_names, warn)
from drumroll.dataset import load_dataset
from drumroll.evaluation import (chained_song_measures, generated_song_measures,
                                 held_out_like_the_run, read_rolls, real_song_measures,
                                 score_sets, table)
from drumroll.files import output_file, writing
from drumroll.format import DEFAULT_THRESHOLD, DRUM_CHANNEL, pixels_to_hits, unit_to_pixels
from drumroll.models import DEFAULT_ARCH
from drumroll.models.song import SongGAN
from drumroll.training import default_run_dir, load_run

MAX_SAMPLES = 5000      # the copy and diversity measures compare every pair: 5,000 is 100 MB
MAX_SONGS = 1000        # about 70 ms a song here: a thousand take over a minute


def parse_args(argv):
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default=DEFAULT_DATASET,
                        help="dataset file from midi2img.py (default: %(default)s)")
    parser.add_argument("--run", default=default_run_dir(DEFAULT_ARCH),
                        help="run folder or checkpoint to sample from (default: %(default)s)")
    parser.add_argument("--num", type=int, default=512,
                        help=f"samples drawn from the model, 2 to {MAX_SAMPLES:,} (default: "
                             "%(default)s)")
    parser.add_argument("--seed", type=argument_type(parse_seed), default=0,
                        help="sampling seed (default: 0)")
    parser.add_argument("--threshold", type=int, default=DEFAULT_THRESHOLD,
                        help="a pixel darker than this is a hit (default: %(default)s)")
    parser.add_argument("--original", metavar="DIR",
                        help="folder of the original project's generated MIDI files")
    parser.add_argument("--channel", type=argument_type(parse_channel),
                        default=str(DRUM_CHANNEL + 1), metavar="1-16",
                        help="MIDI channel of the drums in --original and --samples MIDI files "
                             "(default: %(default)s)")
    parser.add_argument("--samples", metavar="DIR", action="append", default=[],
                        help="another folder of generated MIDI or PNG rolls to score (repeatable)")
    # 64 songs: with 16, a model's mean groove length moved by 0.3 bars from one draw to another
    parser.add_argument("--songs", type=int, default=64,
                        help=f"songs of 64 bars written for the song measures, at most "
                             f"{MAX_SONGS:,} (default: %(default)s; 0 leaves them out)")
    parser.add_argument("--out", help="also write the tables (Markdown) to this file")
    args = parser.parse_args(argv)
    if not 2 <= args.num <= MAX_SAMPLES:
        parser.error(f"--num {args.num}: give 2 to {MAX_SAMPLES:,} samples (diversity compares "
                     f"every pair of them: {MAX_SAMPLES:,} are a 100 MB table)")
    if not 0 <= args.songs <= MAX_SONGS:
        parser.error(f"--songs {args.songs}: give 0 to {MAX_SONGS:,} songs (each is 64 bars "
                     "written and measured twice, as a song and as chained samples)")
    if not 0 <= args.threshold <= 256:
        parser.error(f"--threshold {args.threshold}: must be between 0 and 256")
    return args


def song_columns(args, dataset, gan, holdout_songs):
    """The song measures: held-out real songs, the model's songs (a song model only) and its
    8-bar samples chained into songs."""
    columns = {"real songs, held out": real_song_measures(dataset, holdout_songs)}
    rng = np.random.default_rng(args.seed)
    if isinstance(gan, SongGAN):
        columns[f"songs ({gan.arch})"] = generated_song_measures(
            gan, args.songs, rng, progress=Progress(args.songs, label="songs "))
    columns["chained 8-bar samples"] = chained_song_measures(
        gan, args.songs, rng, progress=Progress(args.songs, label="chained 8-bar songs "))
    return columns


def main(argv=None):
    args = parse_args(argv)
    if args.out is not None:
        output_file(args.out)              # before the long work, not after it
    dataset = load_dataset(args.data)
    gan, path = load_run(args.run, warn=warn)
    holdout_songs = gan.train_config.holdout_songs
    held_out = held_out_like_the_run(dataset, gan, args.data, path)
    real = pixels_to_hits(dataset.images)
    train_rolls, held_out_rolls = real[~held_out], real[held_out]

    print(f"{args.data}: {len(train_rolls)} training windows, {len(held_out_rolls)} held-out "
          f"windows ({some_names(holdout_songs)}); sampling {args.num} from {path}",
          file=sys.stderr)
    generated = unit_to_pixels(gan.sample(args.num, rng=np.random.default_rng(args.seed)))
    # name: (rolls, windows that count for copying, song of each window or None)
    sets = {"real, held out": (held_out_rolls, train_rolls, dataset.song[held_out])}
    if args.original is not None:
        # the original model was trained on every song, so copying counts against all of them
        sets["original's patterns"] = (
            read_rolls(args.original, args.threshold, warn, args.channel), real, None)
    sets[f"ours ({gan.arch}, {gan.step} it.)"] = (
        pixels_to_hits(generated, args.threshold), train_rolls, None)
    for folder in args.samples:
        sets[os.path.basename(os.path.normpath(folder))] = (
            read_rolls(folder, args.threshold, warn, args.channel), train_rolls, None)

    reference = metrics.Reference(train_rolls, dataset.song[~held_out])
    text = table(score_sets(sets, reference))
    if args.songs:
        text += "\n\n" + table(song_columns(args, dataset, gan, holdout_songs))
    print(text)
    if args.out is not None:
        with writing(args.out, "w") as handle:
            handle.write(text + "\n")
    return 0


if __name__ == "__main__":
    run(main)
