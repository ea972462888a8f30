"""The training loop around a drum GAN: a run folder with checkpoints, sample grids and a log.

A run folder holds
    config.json              the architecture and both configurations (also in every checkpoint)
    checkpoints/step_*.npz   full state: weights, optimizer moments, EMA, RNG, step
    samples/step_*.png       a grid of rolls from fixed latent points at every sample step
    samples/step_*.svg       the same rolls as a labelled picture (drum names, bar lines)
    history.csv              iteration, losses, D accuracies, seconds
    lock                     the process id of the training using the folder, while it runs
Killing the process at any moment loses at most the iterations since the last checkpoint:
`resume=True` reloads the newest checkpoint and continues with the same random stream, so a
resumed run ends with exactly the weights of an uninterrupted one. Two trainings never share
a run folder: the second one is refused while the first holds the lock.
"""
import contextlib
import csv
import dataclasses
import io
import json
import os
import pathlib
import time

import numpy as np

from drumroll.cli import Progress, UserError, check_name, plural
from drumroll.files import hold_lock, lock_owner, output_folder, process_is_running, writing
from drumroll.format import LOWEST_NOTE, pixels_to_hits, unit_to_pixels
from drumroll.images import write_png
from drumroll.models import ModelTooLarge, architecture_of, as_windows, load_gan
from drumroll.models.base import STEP_DIGITS
from drumroll.picture import roll_picture, write_svg
from gan_numpy.checkpoint import CheckpointError
from gan_numpy.network import count_params

DEFAULT_HOLDOUT = 0.25    # share of the songs kept out of training, for evaluation
HISTORY_FIELDS = ["iteration", "d_loss", "g_loss", "d_real_acc", "d_fake_acc", "seconds"]
CHECKPOINTS_KEPT = 3
# what a run folder holds (see the module docstring)
CHECKPOINTS, SAMPLES = "checkpoints", "samples"
HISTORY, CONFIG, LOCK_NAME = "history.csv", "config.json", "lock"
STEP_PREFIX = "step_"
CHECKPOINT_GLOB = STEP_PREFIX + "*.npz"
GRID_SAMPLES = 8
GRID_SCALE = 2          # pixels per cell in sample grids, so a 25 x 256 roll is easy to see
GRID_GAP = 4            # grey rows between rolls


class TrainingDiverged(UserError):
    """A loss, a weight or a statistic became NaN or infinite; the last good checkpoint is
    kept."""


def sample_grid(rolls):
    """Rolls (n, 25, 256) in [-1, 1] -> one uint8 picture: the rolls stacked, grey between."""
    pictures = []
    for roll in rolls:
        cells = unit_to_pixels(roll).repeat(GRID_SCALE, axis=0).repeat(GRID_SCALE, axis=1)
        pictures += [cells, np.full((GRID_GAP, cells.shape[1]), 160, dtype=np.uint8)]
    return np.concatenate(pictures[:-1])


def write_grid(path, rolls, rows=None, title=None, names=None, lowest_note=LOWEST_NOTE):
    """The sample grid as a PNG at `path` and as a labelled SVG picture beside it (its rows
    named by `names`, {note: name}, default General MIDI)."""
    path = pathlib.Path(path)
    write_png(path, sample_grid(rolls))
    hits = [pixels_to_hits(unit_to_pixels(roll)) for roll in rolls]
    write_svg(path.with_suffix(".svg"), roll_picture(
        hits, titles=[f"sample {index}" for index in range(1, len(hits) + 1)], rows=rows,
        title=title, names=names, lowest_note=lowest_note))


def write_samples(gan, run_dir):
    """The sample grid of the GAN's current step into the run's samples folder."""
    write_grid(pathlib.Path(run_dir, SAMPLES, step_name(gan.step) + ".png"),
               gan.sample_fixed(GRID_SAMPLES), rows=gan.config.rows,
               title=f"{run_dir}: {GRID_SAMPLES} samples at iteration {gan.step:,}",
               names=gan.config.note_names(), lowest_note=gan.config.lowest_note)


def step_name(step):
    """The stem of a step's checkpoint and sample grid: 'step_0003000'."""
    return f"{STEP_PREFIX}{step:0{STEP_DIGITS}d}"


def run_folder(checkpoint):
    """The run folder of a checkpoint in <run>/checkpoints/, else the checkpoint's folder."""
    folder = os.path.dirname(os.fspath(checkpoint))
    return os.path.dirname(folder) if os.path.basename(folder) == CHECKPOINTS else folder


def default_run_dir(arch):
    return os.path.join("runs", arch)


def songs_from(dataset, text):
    """The songs of a dataset whose file path holds `text` (e.g. a session folder), sorted;
    UserError when none does, or every one (nothing would be left to train on)."""
    songs = sorted({str(name) for name, path in zip(dataset.song_names.tolist(),
                                                    dataset.song_paths.tolist()) if text in path}
                   & set(dataset.song.tolist()))
    if not songs:
        raise UserError(f"--holdout-from {text!r}: no song of the dataset was read from a path "
                        "holding it")
    if set(songs) == set(dataset.song.tolist()):
        raise UserError(f"--holdout-from {text!r}: every song was read from a path holding it; "
                        "nothing would be left to train on")
    return songs


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


def checkpoint_paths(run_dir):
    """The run's checkpoints, oldest first."""
    return sorted(pathlib.Path(run_dir, CHECKPOINTS).glob(CHECKPOINT_GLOB))


def latest_checkpoint(run_dir):
    """Newest checkpoint of a run folder -> its path.

    `run_dir` may also be a checkpoint file, or the run's checkpoints folder itself.
    """
    path = pathlib.Path(check_name(run_dir, "run folder"))
    if path.is_file():
        return path
    if not path.exists():
        raise UserError(f"{path}: no such run folder or checkpoint file")
    found = checkpoint_paths(path) or sorted(path.glob(CHECKPOINT_GLOB))
    training = lock_owner(path / LOCK_NAME)
    if not found and training is not None and process_is_running(training):
        raise UserError(f"{path}: a training (pid {training}) is running in this run folder and "
                        "has written no checkpoint yet; wait for its first one")
    if not found:
        raise UserError(f"{path}: no checkpoint found: give a run folder (with checkpoints/"
                        f"{CHECKPOINT_GLOB} inside) or a checkpoint file; train a run first with "
                        "make train")
    return found[-1]


def load_run(run_dir, warn=None):
    """The GAN of a run folder's newest checkpoint (or of a checkpoint file) and its path.

    A missing or unusable checkpoint is a UserError: a one-line message for the scripts.
    `warn(message)` is told when the checkpoint comes before the end of its run's training.
    """
    path = latest_checkpoint(run_dir)
    try:
        gan = load_gan(path)
    except CheckpointError as error:
        raise UserError(str(error)) from None
    iterations = gan.config.iterations
    if warn is not None and gan.step < iterations:
        warn(f"{path}: iteration {gan.step:,} of the run's {iterations:,}: "
             "training has not finished, the model may not have learned much yet")
    return gan, path


def read_history(run_dir, up_to):
    path = pathlib.Path(run_dir, HISTORY)
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
    with writing(pathlib.Path(run_dir, HISTORY), "w") as handle:
        handle.write(buffer.getvalue())


def last_checkpoint_note(run_dir):
    """'last good checkpoint: <path>' (or that there is none), for messages that stop a run."""
    kept = checkpoint_paths(run_dir)
    return f"last good checkpoint: {kept[-1]}" if kept else "no checkpoint was written"


def first_non_finite(arrays):
    """The name of the first float array of (name, array) pairs holding NaN or inf, or None."""
    return next((name for name, array in arrays
                 if array.dtype.kind == "f" and not np.isfinite(array).all()), None)


def stop_if_diverged(gan, run_dir, everything=False):
    """TrainingDiverged (exit 1) when the step just taken left a weight or a statistic (batch
    norm's running mean and variance, spectral norm's vector) of G or D NaN or infinite: the
    run blew up. The last good checkpoint is kept, and none is written after it.

    Every step checks the networks (a third of a millisecond on the song model);
    `everything` checks all a checkpoint holds (optimizer moments, the EMA), as loading it
    would, before one is written.
    """
    if everything:
        arrays = ((f"{prefix}/{name}", array) for prefix, part in gan.parts().items()
                  for name, array in part.state_dict().items())
    else:
        arrays = ((f"{prefix}/{name}", array) for prefix, net in (("G", gan.G), ("D", gan.D))
                  for name, array in [*((n, p) for n, p, _ in net.parameters()),
                                      *net.named_state()])
    broken = first_non_finite(arrays)
    if broken is not None:
        raise TrainingDiverged(f"{run_dir}: {broken} became NaN or infinite at iteration "
                               f"{gan.step}: the run blew up; stopped "
                               f"({last_checkpoint_note(run_dir)}); try a lower --lr")


def save_run_state(gan, run_dir, history):
    """Checkpoint, sample grid and history for the GAN's current step.

    Old checkpoints are deleted only once the new one is written, so a full disk keeps the
    last good one (and says so in a one-line error).
    """
    run_dir = pathlib.Path(run_dir)
    stop_if_diverged(gan, run_dir, everything=True)
    path = run_dir / CHECKPOINTS / (step_name(gan.step) + ".npz")
    try:
        gan.save(path)
    except OSError as error:
        raise UserError(f"{path}: cannot save the checkpoint ({error.strerror or error}); "
                        f"{last_checkpoint_note(run_dir)}") from None
    write_samples(gan, run_dir)
    write_history(run_dir, history)
    for old in checkpoint_paths(run_dir)[:-CHECKPOINTS_KEPT]:
        old.unlink()


def prepare_run_dir(gan, run_dir, resume):
    run_dir = pathlib.Path(run_dir)
    for sub in (CHECKPOINTS, SAMPLES):
        output_folder(run_dir / sub)
    if not resume and checkpoint_paths(run_dir):
        raise UserError(f"{run_dir}: already holds a run; use --resume to continue it "
                        "or choose another --out")
    with writing(run_dir / CONFIG, "w") as handle:
        json.dump(gan.describe(), handle, indent=2)
    return run_dir


@contextlib.contextmanager
def run_lock(run_dir, log):
    """Hold <run_dir>/lock, a file holding our process id, for as long as the block runs: of
    two trainings started into one folder only one gets it (files.hold_lock)."""
    output_folder(run_dir)
    with hold_lock(pathlib.Path(run_dir, LOCK_NAME), "another training",
                   "wait for it or train into another folder", log):
        yield


def saved_settings(run_dir):
    """(arch, {setting: value}) of the run in run_dir as its config.json records it, or None
    when the folder holds no run: what `train_gan.py --resume` continues with by default."""
    path = pathlib.Path(run_dir, CONFIG)
    if not path.is_file():
        return None
    try:
        with open(path) as handle:
            saved = json.load(handle)
        return str(saved["arch"]), dict(saved["config"])
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise UserError(f"{path}: not a run's configuration ({error}); "
                        "give the settings on the command line or train afresh") from None


def resume_run(run_dir, config, log):
    """The GAN of an existing run, checked to be the same kind of run as the one asked for
    (`config`, its settings read from the data)."""
    gan, path = load_run(run_dir)
    differences = []
    if gan.arch != architecture_of(config).arch:
        differences.append(f"the {gan.arch} network, not {architecture_of(config).arch}")
    if gan.config.seed != config.seed:
        differences.append(f"seed {gan.config.seed}, not {config.seed}")
    if gan.config.data_digest != config.data_digest:
        differences.append("other training windows (another dataset or --holdout)")
    if differences:
        raise UserError(f"{run_dir}: this run was trained with {' and '.join(differences)}; "
                        f"train into another folder (--out, or make train RUN=...) "
                        f"or delete {run_dir} to start afresh")
    # the total length may be extended when resuming; nothing else may change
    gan.config = dataclasses.replace(
        gan.config, iterations=config.iterations, sample_every=config.sample_every,
        checkpoint_every=config.checkpoint_every)
    log(f"resuming {path} at iteration {gan.step}")
    return gan


def train(config, windows, run_dir, resume=False, log=print, stop_after=None):
    """Train a new GAN of the run configuration `config` (or resume the one in `run_dir`) on
    `windows` (models.Windows, or images (N, 25, 256) uint8) for config.iterations in total;
    returns the GAN.

    The run folder is locked while training (see run_lock). `stop_after` ends the call early
    after that many iterations of this call (used by tests to simulate a killed process);
    the run can then be resumed.
    """
    windows = as_windows(windows)
    with run_lock(run_dir, log):
        gan = start_or_resume(config, windows, run_dir, resume, log)
        try:
            # a run that blows up is stopped by stop_if_diverged, with a message of its own
            with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
                train_loop(gan, windows, run_dir, log, stop_after)
        except KeyboardInterrupt:
            log(f"{run_dir}: stopped at iteration {gan.step:,} of "
                f"{gan.config.iterations:,}; {last_checkpoint_note(run_dir)} "
                "(resuming continues from there)")
            raise
    return gan


def start_or_resume(config, windows, run_dir, resume, log):
    """The GAN to train: the run's own when resuming one, else a new one; its folder ready."""
    config = config.with_data(windows)
    if resume and checkpoint_paths(run_dir):
        gan = resume_run(run_dir, config, log)
    else:
        try:
            gan = architecture_of(config)(config, windows)
        except ModelTooLarge as error:
            raise UserError(f"{error}; choose smaller sizes (--width, --latent)") from None
    prepare_run_dir(gan, run_dir, resume)
    return gan


def train_loop(gan, windows, run_dir, log, stop_after):
    """Train `gan` up to its configured iterations, saving the run state as configured."""
    config = gan.config
    run_dir = pathlib.Path(run_dir)
    log(f"{gan.arch} network: generator {count_params(gan.G):,} parameters, "
        f"discriminator {count_params(gan.D):,}; batch {config.batch}, "
        f"{plural(config.iterations, 'iteration')}")
    history = read_history(run_dir, gan.step)
    if gan.step >= config.iterations:
        log(f"{run_dir}: already trained {plural(gan.step, 'iteration')}")
        return

    data = gan.prepare_data(windows)
    progress = Progress(config.iterations, label="iteration ", start=gan.step, interval=5.0)
    started = time.perf_counter() - (history[-1]["seconds"] if history else 0.0)
    done_this_call = 0
    while gan.step < config.iterations:
        stats = gan.train_step(data)
        losses = np.array([stats["d_loss"], stats["g_loss"]])
        if not np.all(np.isfinite(losses)):
            raise TrainingDiverged(f"{run_dir}: loss became {losses} at iteration {gan.step}; "
                                   f"stopped ({last_checkpoint_note(run_dir)}); try a lower --lr")
        stop_if_diverged(gan, run_dir)
        history.append({"iteration": gan.step, **stats,
                        "seconds": time.perf_counter() - started})
        progress.update(gan.step, extra=(
            f"D {stats['d_loss']:.3f}  G {stats['g_loss']:.3f}  "
            f"D acc real {stats['d_real_acc']:.2f} fake {stats['d_fake_acc']:.2f}"))
        finished = gan.step >= config.iterations
        if finished or gan.step % config.checkpoint_every == 0:
            save_run_state(gan, run_dir, history)
        elif gan.step % config.sample_every == 0:
            write_samples(gan, run_dir)
        done_this_call += 1
        if stop_after is not None and done_this_call >= stop_after:
            break
