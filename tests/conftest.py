"""Shared test setup and helpers: the kit cache in a temporary folder, tiny drum rolls, tiny
run configurations, a silent log, a tiny dataset.

Everything is a fixture; a fixture that builds things with arguments returns a function
(e.g. `tiny_images(n=6, seed=7)`).
"""
import dataclasses
import os

import numpy as np
import pytest

from drumroll.dataset import dataset_from_rolls, load_dataset, save_dataset
from drumroll.midi_in import DrumRoll
from drumroll.models import ARCHITECTURES
from drumroll.training import train

ROWS = [0, 2, 6, 13]    # the drum rows tiny_images hits (bass drum, snare, hi-hat, crash)
SMALL = dict(latent=6, bar_noise=3, width=4)   # network sizes for fast tests


@pytest.fixture(scope="session", autouse=True)
def kit_cache_in_a_temporary_folder(tmp_path_factory):
    """XDG_CACHE_HOME for the whole session (subprocesses inherit it): one kit is synthesized,
    then read from there by every test and every script the tests run."""
    before = os.environ.get("XDG_CACHE_HOME")
    os.environ["XDG_CACHE_HOME"] = str(tmp_path_factory.mktemp("cache"))
    yield
    if before is None:
        del os.environ["XDG_CACHE_HOME"]
    else:
        os.environ["XDG_CACHE_HOME"] = before


def make_tiny_images(n=12, seed=0):
    rng = np.random.default_rng(seed)
    images = np.full((n, 25, 256), 255, dtype=np.uint8)
    images[:, ROWS, :] = np.where(rng.random((n, len(ROWS), 256)) < 0.2, 0, 255)
    return images


@pytest.fixture(scope="session")
def rows():
    return list(ROWS)


@pytest.fixture(scope="session")
def tiny_images():
    """(n, 25, 256) uint8 rolls (0 = hit) with random hits on ROWS only."""
    return make_tiny_images


def make_tiny_config(arch="bars", **overrides):
    """The run configuration of a small, fast network of `arch`, with `overrides`."""
    config_class = ARCHITECTURES[arch].Config
    fields = {field.name for field in dataclasses.fields(config_class)}
    values = dict(batch=4, iterations=4, seed=3, sample_every=1, checkpoint_every=2)
    values.update({name: size for name, size in SMALL.items() if name in fields})
    values.update(overrides)
    return config_class(**values)


@pytest.fixture(scope="session")
def tiny_config():
    """The run configuration of a small network, e.g. tiny_config("song", iterations=2)."""
    return make_tiny_config


@pytest.fixture(scope="session")
def quiet():
    """A log function that prints nothing."""
    return lambda *_: None


@pytest.fixture(scope="session")
def write_tiny_dataset():
    """Write a dataset.npz of `songs` songs to a path: each song is 4 tiny images played one
    after another, cut at a hop of 8 bars, so 4 windows each."""
    def write(path, songs=4):
        velocities = np.where(make_tiny_images(4 * songs) == 0, 89, 0).astype(np.uint8)
        rolls = [(f"song{i}", DrumRoll(velocities=np.concatenate(
            list(velocities[4 * i:4 * i + 4]), axis=1))) for i in range(songs)]
        save_dataset(path, dataset_from_rolls(rolls, hop=8))
    return write


@pytest.fixture(scope="session")
def tiny_song_run(write_tiny_dataset, quiet):
    """Train a small song model (2 iterations) on a tiny dataset in a folder -> its run folder:
    tiny_song_run(folder), or tiny_song_run(folder, played) where played(windows) first
    changes how the training windows are played (their velocities, offsets)."""
    def make(folder, played=None):
        write_tiny_dataset(folder / "data.npz")
        dataset = load_dataset(folder / "data.npz")
        windows = dataset.training_windows(np.ones(len(dataset), dtype=bool))
        if played is not None:
            played(windows)
        train(make_tiny_config("song", iterations=2), windows, folder / "run", log=quiet)
        return folder / "run"
    return make
