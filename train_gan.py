#!/usr/bin/env python3
"""Train a drum-pattern GAN on the dataset written by midi2img.py.

    python train_gan.py                               # default network, default dataset
    python train_gan.py --arch original --out runs/original
    python train_gan.py --out runs/default --resume --iterations 3000

The run folder gets checkpoints, a sample grid per checkpoint, history.csv and config.json.
"""
import argparse
import os

import numpy as np

from drumroll.cli import UserError, run
from drumroll.dataset import load_dataset
from gan_numpy.dcgan import ARCHS, PRESETS, TrainConfig
from gan_numpy.training import train

DEFAULT_DATA = os.path.join("build", "dataset", "dataset.npz")


def parse_args(argv):
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default=DEFAULT_DATA,
                        help="dataset file from midi2img.py (default: %(default)s)")
    parser.add_argument("--arch", choices=ARCHS, default="default",
                        help="network preset (default: %(default)s)")
    parser.add_argument("--iterations", type=int,
                        help="total training iterations (default: per preset, "
                        + ", ".join(f"{a} {p['iterations']}" for a, p in PRESETS.items()) + ")")
    parser.add_argument("--batch", type=int, help="batch size (default: per preset)")
    parser.add_argument("--lr", type=float, help="Adam learning rate (default: 2e-4)")
    parser.add_argument("--latent", type=int, help="latent size (default: per preset)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    parser.add_argument("--width", type=int, default=64,
                        help="default arch: channels of its narrowest layers (default: 64)")
    parser.add_argument("--instance-noise", type=float, default=0.0,
                        help="default arch: std of noise on D's inputs, fading to 0 "
                        "(default: %(default)s)")
    parser.add_argument("--bar-decoder", choices=("dense", "conv"), default="dense",
                        help="default arch: how a bar code becomes 32 steps (default: dense)")
    parser.add_argument("--holdout", type=float, default=0.25,
                        help="share of songs kept out of training for evaluation "
                        "(default: %(default)s; 0 trains on every song)")
    parser.add_argument("--out", help="run folder (default: runs/<arch>)")
    parser.add_argument("--resume", action="store_true",
                        help="continue the run in --out from its last checkpoint (a new run "
                        "when there is none; refused if its arch, seed or data differ)")
    parser.add_argument("--sample-every", type=int, default=100,
                        help="iterations between sample grids (default: %(default)s)")
    parser.add_argument("--checkpoint-every", type=int, default=250,
                        help="iterations between checkpoints (default: %(default)s)")
    args = parser.parse_args(argv)
    for name in ("iterations", "batch", "latent", "width", "sample_every", "checkpoint_every"):
        value = getattr(args, name)
        if value is not None and value < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    if args.lr is not None and not args.lr > 0:
        parser.error("--lr must be positive")
    if not 0 <= args.holdout < 1:
        parser.error("--holdout must be in [0, 1)")
    return args


def choose_holdout(songs, share, seed):
    """A fixed share of the songs, chosen by a seed of its own so every run holds out the same."""
    songs = sorted(set(songs))
    count = int(round(share * len(songs)))
    if count >= len(songs):
        count = len(songs) - 1
    picked = np.random.default_rng(seed).choice(len(songs), count, replace=False)
    return sorted(songs[i] for i in picked)


def main(argv=None):
    args = parse_args(argv)
    out = args.out or os.path.join("runs", args.arch)
    dataset = load_dataset(args.data)
    holdout = choose_holdout(dataset.song, args.holdout, seed=1234)
    keep = ~np.isin(dataset.song, holdout)
    images = dataset.images[keep]
    if len(images) == 0:
        raise UserError(f"{args.data}: no training windows left after holding out {holdout}")
    config = TrainConfig(arch=args.arch, iterations=args.iterations, batch=args.batch,
                         lr=args.lr, latent=args.latent, seed=args.seed, holdout_songs=holdout,
                         width=args.width, bar_decoder=args.bar_decoder,
                         instance_noise=args.instance_noise,
                         sample_every=args.sample_every, checkpoint_every=args.checkpoint_every)
    print(f"{args.data}: {len(images)} training windows from {len(set(dataset.song[keep]))} "
          f"songs; held out: {', '.join(holdout) or 'none'}")
    gan = train(config, images, out, resume=args.resume)
    print(f"{out}: trained {gan.step} iterations; samples in {os.path.join(out, 'samples')}")
    return 0


if __name__ == "__main__":
    run(main)
