#!/usr/bin/env python3
"""Score generated drum rolls against real ones and print a table (`make evaluate`).

Columns: real windows of the songs the run held out of training (what unseen real music
scores), the training windows and the range of their style over the training songs (the
spread of the drummer's own songs), optionally the original project's published patterns
(--original), then the samples of the trained model (--run), then any folders of MIDI/PNG
rolls (--samples). Every column is judged against the training windows; see
drumroll/metrics.py for each measure. A second table scores songs: held-out and training
real songs (and the range of each measure over the training songs, each on its own), the
model's songs and its 8-bar samples chained.

    python evaluate.py --run runs/bars
    python evaluate.py --run runs/bars --original ../shared/data/original-generated
"""
import drumroll.interrupts  # noqa: F401  (first: Ctrl-C while NumPy loads is one line too)
import argparse
import os
import sys

import numpy as np

from drumroll import metrics
from drumroll.cli import (DEFAULT_DATASET, Progress, add_channel_option, argument_type,
                          parse_seed, run, some_names, warn)
from drumroll.dataset import load_dataset
from drumroll.evaluation import (AFTER_PRIMER, PRIMER_BARS, chained_song_measures,
                                 control_sweeps, generated_song_measures, generated_songs,
                                 held_out_like_the_run, primer_continuation, primers_of,
                                 read_rolls, real_song_measures, real_song_range, score_sets,
                                 songs_played, table, windows_played)
from drumroll.feel import Playing, feel_table_columns, on_the_grid
from drumroll.files import output_file, writing
from drumroll.format import DEFAULT_BPM, DEFAULT_THRESHOLD, pixels_to_hits, unit_to_pixels
from drumroll.models import DEFAULT_ARCH
from drumroll.models.song import SongGAN
from drumroll.songwriter import MATCH_LABEL, MATCH_SETTINGS, Matched, match_drummer
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
    add_channel_option(parser, "the drums in --original and --samples MIDI files")
    parser.add_argument("--samples", metavar="DIR", action="append", default=[],
                        help="another folder of generated MIDI or PNG rolls to score (repeatable)")
    # 64 songs: with 16, a model's mean groove length moved by 0.3 bars from one draw to another
    parser.add_argument("--songs", type=int, default=64,
                        help=f"songs of 64 bars written for the song measures, at most "
                             f"{MAX_SONGS:,} (default: %(default)s; 0 leaves them out)")
    parser.add_argument("--controls", action="store_true",
                        help="also measure each control (density, fills, variation, a "
                             "section's intensity) across its range, a song model only")
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


def song_columns(args, dataset, gan, holdout_songs, songs, matched):
    """The song measures: held-out and training real songs, the model's songs (a song model
    only) and its 8-bar samples chained into songs."""
    training = sorted(set(dataset.song_names.tolist()) - set(holdout_songs))
    columns = {"real songs, held out": real_song_measures(dataset, holdout_songs),
               "real songs, training": real_song_measures(dataset, training),
               "training songs, range": real_song_range(dataset, training)}
    if songs:
        columns[f"songs ({gan.arch})"] = generated_song_measures(songs)
    columns["chained 8-bar samples"] = chained_song_measures(
        gan, args.songs, np.random.default_rng(args.seed + 1),
        progress=Progress(args.songs, label="chained 8-bar songs "))
    primers = primers_of(dataset, holdout_songs)
    if primers:
        his, ours = primer_continuation(gan, primers, np.random.default_rng(args.seed + 2),
                                        matched)
        columns["real songs, held out"][CONTINUED] = his
        if ours is not None and songs:
            columns[f"songs ({gan.arch})"][CONTINUED] = ours
    return columns


# how a primer goes on: the drummer's own bars after it, and the model's
CONTINUED = (f"{AFTER_PRIMER} bars after a {PRIMER_BARS}-bar primer alike its last bar")


def feel_columns(dataset, held_out, gan, samples, songs):
    """The feel table: held-out and training real windows, the held-out windows as a
    sequencer plays them, the model's 8-bar samples and its songs at its tempo."""
    tempo = gan.config.tempo or DEFAULT_BPM
    real = windows_played(dataset, held_out)
    sets = {"real, held out": real, "real, training": windows_played(dataset, ~held_out),
            "sequencer (held out, on the grid, one velocity)": on_the_grid(real),
            f"ours ({gan.arch}, {gan.step} it.)": Playing(
                samples[0] < 0, samples[1], samples[2], np.full(len(samples[0]), tempo))}
    if songs:
        sets[f"songs ({gan.arch})"] = songs_played(songs, tempo)
    return feel_table_columns(sets, "real, held out")


def main(argv=None):
    args = parse_args(argv)
    if args.out is not None:
        output_file(args.out)              # before the long work, not after it
    dataset = load_dataset(args.data)
    gan, path = load_run(args.run, warn=warn)
    holdout_songs = gan.config.holdout_songs
    held_out = held_out_like_the_run(dataset, gan, args.data, path)
    real = pixels_to_hits(dataset.images)
    train_rolls, held_out_rolls = real[~held_out], real[held_out]

    print(f"{args.data}: {len(train_rolls)} training windows, {len(held_out_rolls)} held-out "
          f"windows ({some_names(holdout_songs)}); sampling {args.num} from {path}",
          file=sys.stderr)
    samples = gan.sample_with_feel(args.num, rng=np.random.default_rng(args.seed))
    generated = unit_to_pixels(samples[0])
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
    text = table(score_sets(sets, reference, training=(train_rolls, dataset.song[~held_out])))
    matched, songs = Matched(), []
    if isinstance(gan, SongGAN) and args.songs:
        matched = match_drummer(     # found once for every song written here
            gan, progress=Progress(MATCH_SETTINGS, label=MATCH_LABEL))
        songs = generated_songs(gan, args.songs, np.random.default_rng(args.seed),
                                progress=Progress(args.songs, label="songs "), matched=matched)
    if args.songs:
        text += "\n\n" + table(song_columns(args, dataset, gan, holdout_songs, songs, matched))
    if samples[1] is not None:
        text += "\n\n" + table(feel_columns(dataset, held_out, gan, samples, songs))
    if args.controls and isinstance(gan, SongGAN):
        for control, columns in control_sweeps(gan, reference, args.num, args.songs,
                                               args.seed, matched).items():
            text += f"\n\n{control}:\n\n" + table(columns)
    print(text)
    if args.out is not None:
        with writing(args.out, "w") as handle:
            handle.write(text + "\n")
    return 0


if __name__ == "__main__":
    run(main)
