"""The toy GAN a learner runs first (examples/toy_gan.py): built from gan_numpy alone, it learns
the ring of blobs in seconds and draws what it learned."""
import pathlib
import re
import subprocess
import sys

import imageio.v3 as iio
import numpy as np

from examples import toy_gan
from tests.test_engine_imports import imported_modules

SCRIPT = pathlib.Path(toy_gan.__file__)


def run_toy(out, *options):
    """The script in a process of its own (it chooses its BLAS threads before NumPy loads)."""
    done = subprocess.run([sys.executable, str(SCRIPT), "--out", str(out), *options],
                          capture_output=True, text=True, check=True)
    return done.stdout


def test_the_toy_gan_learns_the_ring_of_blobs_and_draws_it(tmp_path):
    lines = run_toy(tmp_path, "--iterations", "1500").splitlines()
    found = [re.search(r"distance ([\d.]+)  blobs (\d)/8", line) for line in lines[:-1]]
    (start, start_blobs), (end, end_blobs) = [(float(m[1]), int(m[2]))
                                              for m in (found[0], found[-1])]
    assert end < 0.1 * start                  # the two sets of points have become alike
    assert start_blobs <= 1 and end_blobs >= 6
    image = iio.imread(tmp_path / "toy-gan.png")
    side = toy_gan.PANEL + 2 * toy_gan.MARGIN
    assert image.shape == (side, toy_gan.PICTURES * side, 3)


def test_the_distance_is_zero_for_one_distribution_and_large_for_two():
    rng = np.random.default_rng(0)
    a, b = toy_gan.real_points(rng, 500), toy_gan.real_points(rng, 500)
    assert abs(toy_gan.energy_distance(a, b)) < 0.02
    assert toy_gan.energy_distance(a, b + 1.0) > 0.5


def test_the_toy_gan_uses_nothing_but_the_engine_and_a_png_writer():
    assert imported_modules(SCRIPT) <= {"argparse", "os", "sys", "numpy", "gan_numpy", "imageio"}
