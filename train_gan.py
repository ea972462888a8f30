#!/usr/bin/env python3
"""Train a drum-pattern GAN on the dataset written by midi2img.py.

    python train_gan.py                               # the default network, default dataset
    python train_gan.py --arch original --out runs/original
    python train_gan.py --out runs/bars --resume --iterations 3000

The run folder gets checkpoints, a sample grid per checkpoint, history.csv and config.json.
Every option but --data, --arch, --out and --resume is a setting of the network's run
configuration (drumroll/models: RunConfig and each architecture's own), with its default.
"""
import drumroll.interrupts  # noqa: F401  (first: Ctrl-C while NumPy loads is one line too)
import argparse
import os
import shlex
import sys
import typing

import numpy as np

from drumroll.cli import (DEFAULT_DATASET, UserError, argument_type, parse_seed, plural, run,
                          some_names)
from drumroll.dataset import load_dataset
from drumroll.format import LOWEST_NOTE, NUM_ROWS, STEPS_PER_BAR, WINDOW_BARS, WINDOW_STEPS
from drumroll.models import ARCHITECTURES, DEFAULT_ARCH, options
from drumroll.models.base import limits, setting_problem
from drumroll.training import (choose_holdout, default_run_dir, saved_settings, songs_from,
                               train)
from gan_numpy.memory import reuse_freed_memory


def settings():
    """{name: [architectures with it]} of every option of every network, in field order."""
    found = {}
    for arch, gan_class in ARCHITECTURES.items():
        for name in options(gan_class.Config):
            found.setdefault(name, []).append(arch)
    return found


def default_text(name, archs):
    """'64' when the networks have one default, else 'song 3000, bars 3000, original 6000'."""
    defaults = {arch: ARCHITECTURES[arch].Config.__dataclass_fields__[name].default
                for arch in archs}
    if len(set(defaults.values())) == 1:
        return f"{next(iter(defaults.values()))}" or "none"
    return ", ".join(f"{arch} {value}" for arch, value in defaults.items())


def option(name):
    return "--" + name.replace("_", "-")


def parse_args(argv):
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default=DEFAULT_DATASET,
                        help="dataset file from midi2img.py (default: %(default)s)")
    parser.add_argument("--arch", choices=list(ARCHITECTURES),
                        help=f"network (default: {DEFAULT_ARCH}; with --resume, the run's)")
    parser.add_argument("--out", help="run folder (default: runs/<arch>)")
    parser.add_argument("--resume", action="store_true",
                        help="continue the run in --out from its last checkpoint, with the "
                        "settings it was started with unless given here (a new run when there "
                        "is none; refused if its arch, seed or data differ)")
    group = parser.add_argument_group("settings of the run (saved in its config.json and "
                                      "every checkpoint)")
    for name, archs in settings().items():
        config_class = ARCHITECTURES[archs[0]].Config
        meta, kind = limits(config_class, name), typing.get_type_hints(config_class)[name]
        only = "" if len(archs) == len(ARCHITECTURES) else f"; {', '.join(archs)} only"
        if name == "seed":
            kind = argument_type(parse_seed)      # the same words as the other scripts'
        extra = (dict(action=argparse.BooleanOptionalAction) if kind is bool else
                 dict(type=kind, choices=meta.get("choices")))
        group.add_argument(option(name), default=None,
                           help=f"{meta['help']} (default: {default_text(name, archs)}{only})",
                           **extra)
    args = parser.parse_args(argv)
    # the folder first: a run resumed there may be another network's than the default
    args.out = default_run_dir(args.arch or DEFAULT_ARCH) if args.out is None else args.out
    saved = saved_settings(args.out) if args.resume else None
    args.arch = args.arch or (saved[0] if saved else DEFAULT_ARCH)
    args.config = run_config(args, parser.error, saved[1] if saved else {})
    return args


def run_config(args, error, saved):
    """The run configuration of the chosen network with the options given on the command
    line, the others as `saved` ({name: value}: a resumed run's) has them, else their
    defaults; error(message) for an option outside its limits or unknown to that network."""
    config_class = ARCHITECTURES[args.arch].Config
    given = {name: getattr(args, name) for name in settings() if getattr(args, name) is not None}
    given = {**{name: value for name, value in saved.items()
                if name in options(config_class) and name not in given}, **given}
    for name, value in given.items():
        if name not in options(config_class):
            error(f"{option(name)}: the {args.arch} network has no such option")
        problem = setting_problem(config_class, name, value)
        if problem:
            error(f"{option(name)} {value}: {problem}")
    return config_class(**given)


def check_batch(batch, windows):
    """UserError when a --batch given asks for more windows than the training has: a batch
    draws windows at random, so it would only hold some of them twice."""
    if batch is not None and batch > windows:
        raise UserError(f"--batch {batch:,}: at most the {plural(windows, 'training window')} "
                        "(a larger batch only repeats windows)")


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
    config = args.config
    out = args.out
    dataset = load_dataset(args.data, height=None)
    check_dataset_fits(args.data, dataset)
    holdout = (songs_from(dataset, config.holdout_from) if config.holdout_from
               else choose_holdout(dataset.song, config.holdout))
    keep = ~np.isin(dataset.song, holdout)
    if not keep.any():
        raise UserError(f"{args.data}: no training windows left after holding out {holdout}")
    check_batch(args.batch, int(keep.sum()))
    print(f"{args.data}: {plural(int(keep.sum()), 'training window')} from "
          f"{plural(len(set(dataset.song[keep])), 'song')}; held out: "
          f"{some_names(holdout) or 'none'}")
    windows = dataset.training_windows(keep)
    reuse_freed_memory()
    try:
        gan = train(config, windows, out, resume=args.resume)
    except KeyboardInterrupt:
        print(f"continue with: {continue_command(argv)}", file=sys.stderr)
        raise
    print(f"{out}: trained {plural(gan.step, 'iteration')}; samples in "
          f"{os.path.join(out, 'samples')}")
    return 0


if __name__ == "__main__":
    run(main)
