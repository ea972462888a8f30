#!/usr/bin/env python3
"""Train a drum-pattern GAN on the dataset written by midi2img.py.

    python train_gan.py                               # the default network, default dataset
    python train_gan.py --arch original --out runs/original
    python train_gan.py --out runs/bars --resume --iterations 3000

The run folder gets checkpoints, a sample grid per checkpoint, history.csv and config.json.
"""
import argparse
import dataclasses
import math
import os
import shlex
import sys

import numpy as np

from drumroll.cli import (DEFAULT_DATASET, UserError, argument_type, parse_seed, plural, run,
                          some_names)
from drumroll.dataset import load_dataset
from drumroll.format import LOWEST_NOTE, NUM_ROWS, STEPS_PER_BAR, WINDOW_BARS, WINDOW_STEPS
from drumroll.models import ARCHITECTURES, DEFAULT_ARCH, TrainConfig
from drumroll.training import (DEFAULT_HOLDOUT, MAX_ITERATIONS, choose_holdout, default_run_dir,
                               train)
from gan_numpy.memory import reuse_freed_memory

MAX_BATCH = 1024            # windows in one batch
MAX_INSTANCE_NOISE = 1.0    # std of the noise on D's inputs, which lie in [-1, 1]

# options of the run (TrainConfig) and of the networks (each architecture's Config)
TRAIN_OPTIONS = {"iterations": "total training iterations", "batch": "batch size",
                 "lr": "Adam learning rate", "seed": "random seed",
                 "sample_every": "iterations between sample grids",
                 "checkpoint_every": "iterations between checkpoints"}
MODEL_OPTIONS = {"latent": "global latent size", "width": "channels of the narrowest layers",
                 "bar_decoder": "how a bar code becomes 32 steps",
                 "instance_noise": "std of noise on D's inputs, fading to 0 over the run"}


def field_defaults(cls):
    return {field.name: field.default for field in dataclasses.fields(cls)}


def train_default(name):
    """'64' when one default holds for every network, else 'bars 64, original 128'."""
    default = field_defaults(TrainConfig)[name]
    if default is not None:
        return f"{default}"
    return ", ".join(f"{arch} {gan.TRAINING[name]:g}" for arch, gan in ARCHITECTURES.items())


def model_default(name):
    """'bars 64, original 50': the default of each network that has the option."""
    return ", ".join(f"{arch} {field_defaults(gan.Config)[name]}"
                     for arch, gan in ARCHITECTURES.items() if name in field_defaults(gan.Config))


def option(name):
    return "--" + name.replace("_", "-")


def parse_args(argv):
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default=DEFAULT_DATASET,
                        help="dataset file from midi2img.py (default: %(default)s)")
    parser.add_argument("--arch", choices=list(ARCHITECTURES), default=DEFAULT_ARCH,
                        help="network (default: %(default)s)")
    for name, what in TRAIN_OPTIONS.items():
        kind = {"lr": float, "seed": argument_type(parse_seed)}.get(name, int)
        parser.add_argument(option(name), type=kind,
                            help=f"{what} (default: {train_default(name)})")
    for name, what in MODEL_OPTIONS.items():
        kind = next(type(gan.Config.__dataclass_fields__[name].default)
                    for gan in ARCHITECTURES.values() if name in field_defaults(gan.Config))
        parser.add_argument(option(name), type=kind, help=f"{what} (default: {model_default(name)})",
                            **(dict(choices=("dense", "conv")) if name == "bar_decoder" else {}))
    parser.add_argument("--holdout", type=float, default=DEFAULT_HOLDOUT,
                        help="share of songs kept out of training for evaluation "
                        "(default: %(default)s; 0 trains on every song)")
    parser.add_argument("--out", help="run folder (default: runs/<arch>)")
    parser.add_argument("--resume", action="store_true",
                        help="continue the run in --out from its last checkpoint (a new run "
                        "when there is none; refused if its arch, seed or data differ)")
    args = parser.parse_args(argv)
    for name in ("iterations", "batch", "latent", "width", "sample_every", "checkpoint_every"):
        value = getattr(args, name)
        if value is not None and value < 1:
            parser.error(f"{option(name)} must be at least 1")
    for name in ("iterations", "sample_every", "checkpoint_every"):
        value = getattr(args, name)
        if value is not None and value > MAX_ITERATIONS:
            parser.error(f"{option(name)} {value:,}: at most {MAX_ITERATIONS:,} (checkpoints "
                         "are named by their iteration in 7 digits)")
    if args.batch is not None and args.batch > MAX_BATCH:
        parser.error(f"--batch {args.batch:,}: at most {MAX_BATCH:,} ({MAX_BATCH // 64} times the "
                     "default; memory grows with the batch, about 0.7 MB a window for the "
                     "song model)")
    if args.lr is not None and not (math.isfinite(args.lr) and args.lr > 0):
        parser.error(f"--lr {args.lr}: must be a positive number")
    if args.instance_noise is not None and not 0 <= args.instance_noise <= MAX_INSTANCE_NOISE:
        parser.error(f"--instance-noise {args.instance_noise}: give a standard deviation from 0 "
                     f"to {MAX_INSTANCE_NOISE:g} (D's inputs span -1 to 1)")
    if not 0 <= args.holdout < 1:
        parser.error("--holdout must be in [0, 1)")
    return args


def check_batch(batch, windows):
    """UserError when a --batch given asks for more windows than the training has: a batch
    draws windows at random, so it would only hold some of them twice."""
    if batch is not None and batch > windows:
        raise UserError(f"--batch {batch:,}: at most the {plural(windows, 'training window')} "
                        "(a larger batch only repeats windows)")


def given(args, names):
    """{name: value} of the options given on the command line."""
    return {name: getattr(args, name) for name in names if getattr(args, name) is not None}


def continue_command(argv):
    """The command line that resumes the run these arguments started (for Ctrl-C)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    return shlex.join(["python", "train_gan.py", *argv, *([] if "--resume" in argv
                                                           else ["--resume"])])


def check_dataset_fits(path, dataset):
    """UserError naming the midi2img option when the dataset was cut in a way the networks
    cannot take (they are built for 8-bar windows of 25 note rows)."""
    rows = dataset.images.shape[1]
    if dataset.window != WINDOW_STEPS:
        raise UserError(f"{path}: windows of {dataset.window // STEPS_PER_BAR} bars (midi2img "
                        f"--window {dataset.window}); the networks take {WINDOW_BARS}-bar "
                        f"windows: make the dataset again without --window")
    if rows != NUM_ROWS:
        raise UserError(f"{path}: {rows} note rows (midi2img --notes); the networks take "
                        f"{NUM_ROWS}: make the dataset again with a range of {NUM_ROWS} notes, "
                        f"e.g. --notes {LOWEST_NOTE}-{LOWEST_NOTE + NUM_ROWS - 1}")


def main(argv=None):
    args = parse_args(argv)
    gan_class = ARCHITECTURES[args.arch]
    model_options = given(args, MODEL_OPTIONS)
    for name in model_options:
        if name not in field_defaults(gan_class.Config):
            raise UserError(f"{option(name)}: the {args.arch} network has no such option")
    out = default_run_dir(args.arch) if args.out is None else args.out
    dataset = load_dataset(args.data, height=None)
    check_dataset_fits(args.data, dataset)
    holdout = choose_holdout(dataset.song, args.holdout)
    keep = ~np.isin(dataset.song, holdout)
    if not keep.any():
        raise UserError(f"{args.data}: no training windows left after holding out {holdout}")
    check_batch(args.batch, int(keep.sum()))
    print(f"{args.data}: {plural(int(keep.sum()), 'training window')} from "
          f"{plural(len(set(dataset.song[keep])), 'song')}; held out: "
          f"{some_names(holdout) or 'none'}")
    reuse_freed_memory()
    try:
        gan = train(gan_class.Config(lowest_note=dataset.lowest_note, **model_options),
                    TrainConfig(holdout_songs=holdout, tempo=dataset.median_tempo(keep),
                                **given(args, TRAIN_OPTIONS)),
                    dataset.training_windows(keep), out, resume=args.resume)
    except KeyboardInterrupt:
        print(f"continue with: {continue_command(argv)}", file=sys.stderr)
        raise
    print(f"{out}: trained {plural(gan.step, 'iteration')}; samples in "
          f"{os.path.join(out, 'samples')}")
    return 0


if __name__ == "__main__":
    run(main)
