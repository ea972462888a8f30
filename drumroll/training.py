"""The training loop around a drum GAN: a run folder with checkpoints, sample grids and a log.

A run folder holds
    config.json              the architecture and both configurations (also in every checkpoint)
    checkpoints/step_*.npz   full state: weights, optimizer moments, EMA, RNG, step
    samples/step_*.png       a grid of rolls from fixed latent points, one per checkpoint
    history.csv              iteration, losses, D accuracies, seconds
Killing the process at any moment loses at most the iterations since the last checkpoint:
`resume=True` reloads the newest checkpoint and continues with the same random stream, so a
resumed run ends with exactly the weights of an uninterrupted one.
"""
import csv
import dataclasses
import hashlib
import io
import json
import os
import pathlib
import time

import numpy as np

from drumroll.cli import Progress, UserError
from drumroll.files import atomic_write, output_folder
from drumroll.format import unit_to_pixels
from drumroll.images import write_png
from drumroll.models import architecture_of, as_windows, load_gan
from gan_numpy.checkpoint import CheckpointError
from gan_numpy.network import count_params

DEFAULT_HOLDOUT = 0.25    # share of the songs kept out of training, for evaluation
HISTORY_FIELDS = ["iteration", "d_loss", "g_loss", "d_real_acc", "d_fake_acc", "seconds"]
CHECKPOINTS_KEPT = 3
GRID_SAMPLES = 8
GRID_SCALE = 2          # pixels per cell in sample grids, so a 25 x 256 roll is easy to see
GRID_GAP = 4            # grey rows between rolls


class TrainingDiverged(UserError):
    """A loss became NaN or infinite; the last good checkpoint is kept."""


def sample_grid(rolls):
    """Rolls (n, 25, 256) in [-1, 1] -> one uint8 picture: the rolls stacked, grey between."""
    pictures = []
    for roll in rolls:
        cells = unit_to_pixels(roll).repeat(GRID_SCALE, axis=0).repeat(GRID_SCALE, axis=1)
        pictures += [cells, np.full((GRID_GAP, cells.shape[1]), 160, dtype=np.uint8)]
    return np.concatenate(pictures[:-1])


def write_grid(path, rolls):
    write_png(path, sample_grid(rolls))


def default_run_dir(arch):
    return os.path.join("runs", arch)


def choose_holdout(songs, share, seed=1234):
    """The songs kept out of training for evaluation: a fixed share of them, chosen by a seed
    of its own so every run on the same data holds out the same songs (at least one song is
    always left to train on)."""
    songs = sorted(set(songs))
    count = int(round(share * len(songs)))
    if count >= len(songs):
        count = len(songs) - 1
    picked = np.random.default_rng(seed).choice(len(songs), count, replace=False)
    return sorted(songs[i] for i in picked)


def data_digest(images):
    """A short fingerprint of the training windows, so a run is never resumed on other data."""
    return hashlib.sha1(np.ascontiguousarray(images).tobytes()).hexdigest()[:16]


def checkpoint_paths(run_dir):
    """The run's checkpoints, oldest first."""
    return sorted(pathlib.Path(run_dir, "checkpoints").glob("step_*.npz"))


def latest_checkpoint(run_dir):
    """Newest checkpoint of a run folder (or the path itself if it is a checkpoint file)."""
    path = pathlib.Path(run_dir)
    if path.is_file():
        return path
    found = checkpoint_paths(path)
    if not found:
        raise UserError(f"{path}: no checkpoint found (train a model first: make train)")
    return found[-1]


def load_run(run_dir):
    """The GAN of a run folder's newest checkpoint (or of a checkpoint file) and its path.

    A missing or unusable checkpoint is a UserError: a one-line message for the scripts.
    """
    path = latest_checkpoint(run_dir)
    try:
        return load_gan(path), path
    except CheckpointError as error:
        raise UserError(str(error)) from None


def read_history(run_dir, up_to):
    path = pathlib.Path(run_dir, "history.csv")
    if not path.exists():
        return []
    with open(path, newline="") as handle:
        rows = [row for row in csv.DictReader(handle) if int(row["iteration"]) <= up_to]
    return [{key: float(value) for key, value in row.items()} for row in rows]


def write_history(run_dir, history):
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=HISTORY_FIELDS, lineterminator="\n")
    writer.writeheader()
    for row in history:
        writer.writerow({key: (int(row[key]) if key == "iteration" else f"{row[key]:.6g}")
                         for key in HISTORY_FIELDS})
    with atomic_write(pathlib.Path(run_dir, "history.csv"), "w") as handle:
        handle.write(buffer.getvalue())


def save_run_state(gan, run_dir, history):
    """Checkpoint, sample grid and history for the GAN's current step."""
    run_dir = pathlib.Path(run_dir)
    name = f"step_{gan.step:07d}"
    gan.save(run_dir / "checkpoints" / f"{name}.npz")
    write_grid(run_dir / "samples" / f"{name}.png", gan.sample_fixed(GRID_SAMPLES))
    write_history(run_dir, history)
    for old in checkpoint_paths(run_dir)[:-CHECKPOINTS_KEPT]:
        old.unlink()


def prepare_run_dir(gan, run_dir, resume):
    run_dir = pathlib.Path(run_dir)
    for sub in ("checkpoints", "samples"):
        output_folder(run_dir / sub)
    if not resume and checkpoint_paths(run_dir):
        raise UserError(f"{run_dir}: already holds a run; use --resume to continue it "
                        "or choose another --out")
    with atomic_write(run_dir / "config.json", "w") as handle:
        json.dump(gan.describe(), handle, indent=2)
    return run_dir


def resume_run(run_dir, arch, train_config, log):
    """The GAN of an existing run, checked to be the same kind of run as the one asked for."""
    gan, path = load_run(run_dir)
    asked = {"architecture": arch, "seed": train_config.seed,
             "training data": train_config.data_digest}
    found = {"architecture": gan.arch, "seed": gan.train_config.seed,
             "training data": gan.train_config.data_digest}
    for what in asked:
        if asked[what] != found[what]:
            raise UserError(f"{run_dir}: this run was trained with another {what}; "
                            f"train into another folder (--out, or make train RUN=...) "
                            f"or delete {run_dir} to start afresh")
    # the total length may be extended when resuming; nothing else may change
    gan.train_config = dataclasses.replace(
        gan.train_config, iterations=train_config.iterations,
        sample_every=train_config.sample_every, checkpoint_every=train_config.checkpoint_every)
    log(f"resuming {path} at iteration {gan.step}")
    return gan


def train(model, train_config, windows, run_dir, resume=False, log=print, stop_after=None):
    """Train a new GAN of the model configuration `model` (or resume the one in `run_dir`) on
    `windows` (models.Windows, or images (N, 25, 256) uint8) for train_config.iterations in
    total; returns the GAN.

    `stop_after` ends the call early after that many iterations of this call (used by tests
    to simulate a killed process); the run can then be resumed.
    """
    windows = as_windows(windows)
    gan_class = architecture_of(model)
    train_config = dataclasses.replace(train_config.resolved(gan_class.TRAINING),
                                       data_digest=data_digest(windows.images))
    if resume and checkpoint_paths(run_dir):
        gan = resume_run(run_dir, gan_class.arch, train_config, log)
    else:
        gan = gan_class(model, train_config, windows)
    config = gan.train_config
    run_dir = prepare_run_dir(gan, run_dir, resume)
    log(f"{gan.arch} network: generator {count_params(gan.G):,} parameters, "
        f"discriminator {count_params(gan.D):,}; batch {config.batch}, "
        f"{config.iterations} iterations")
    history = read_history(run_dir, gan.step)
    if gan.step >= config.iterations:
        log(f"{run_dir}: already trained {gan.step} iterations")
        return gan

    data = gan.prepare_data(windows)
    progress = Progress(config.iterations, label="iteration ", start=gan.step, interval=5.0)
    started = time.perf_counter() - (history[-1]["seconds"] if history else 0.0)
    done_this_call = 0
    while gan.step < config.iterations:
        stats = gan.train_step(data)
        losses = np.array([stats["d_loss"], stats["g_loss"]])
        if not np.all(np.isfinite(losses)):
            kept = checkpoint_paths(run_dir)
            where = f"last good checkpoint: {kept[-1]}" if kept else "no checkpoint was written"
            raise TrainingDiverged(f"{run_dir}: loss became {losses} at iteration {gan.step}; "
                                   f"stopped ({where}); try a lower --lr")
        history.append({"iteration": gan.step, **stats,
                        "seconds": time.perf_counter() - started})
        progress.update(gan.step, extra=(
            f"D {stats['d_loss']:.3f}  G {stats['g_loss']:.3f}  "
            f"D acc real {stats['d_real_acc']:.2f} fake {stats['d_fake_acc']:.2f}"))
        finished = gan.step >= config.iterations
        if finished or gan.step % config.checkpoint_every == 0:
            save_run_state(gan, run_dir, history)
        elif gan.step % config.sample_every == 0:
            write_grid(run_dir / "samples" / f"step_{gan.step:07d}.png",
                       gan.sample_fixed(GRID_SAMPLES))
        done_this_call += 1
        if stop_after is not None and done_this_call >= stop_after:
            break
    return gan
