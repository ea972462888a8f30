"""The knobs: density as a walk towards more or fewer hits, fills times his rate, a
temperature for variation, and the intensity of a section; out of range, one line."""
import types

import numpy as np
import pytest

from drumroll import controls
from drumroll.controls import (DENSITY_MAX_STEPS, DENSITY_STEP, ControlError,
                               Controls, densify, fill_habits, loudness, soft_hits,
                               soft_hits_gradient, steer)
from drumroll.format import WINDOW_BARS
from drumroll.models import build_gan
from drumroll.models.base import MIN_SAMPLING_BATCH
from drumroll.phrases import CHANGE, FILL, ORDINARY
from tests.gradcheck import numerical_gradient, rel_error, to_float64
from tests.test_song_model import tiny_windows


class Plain:
    """A stand-in model with a latent of 4, bar noise of 2 per bar and no network."""
    config = types.SimpleNamespace(latent=4, bar_noise=2)


@pytest.fixture(scope="module")
def gan(tiny_images, tiny_config):
    return build_gan(tiny_config("song"), tiny_windows(tiny_images))


@pytest.fixture(scope="module")
def held(gan):
    return gan.batch_statistics(gan.latents(MIN_SAMPLING_BATCH, np.random.default_rng(0)))


def played(gan, statistics, latents):
    """Each window's soft hit count (n,), as the generator held with `statistics` plays it."""
    return soft_hits(gan.sampling_generator(statistics).forward(latents), len(gan.config.rows))


@pytest.mark.parametrize("values, message", [
    (dict(density=5), "--density 5: give -1 to 1"), (dict(fills=-1), "--fills -1: give 0 to 2"),
    (dict(variation=2.5), "--variation 2.5: give 0 to 2"),
    (dict(density=float("nan")), "--density nan"),
    (dict(density=1.0000001), "--density 1.0000001: give -1 to 1")])
def test_a_control_outside_its_range_is_refused_in_one_line(values, message):
    with pytest.raises(ControlError, match=message):
        Controls(**values)


def test_the_soft_hit_gradient_is_the_numerical_gradient_of_the_soft_hit_count(gan, held):
    generator = to_float64(gan.sampling_generator(held))
    latents = gan.latents(2, np.random.default_rng(1)).astype(np.float64)
    rows = len(gan.config.rows)

    def count():
        return float(((1 - generator.forward(latents)[:, :rows]) / 2).sum())

    free = gan.config.latent + gan.config.bar_noise * WINDOW_BARS   # roles: not differentiated
    expected = numerical_gradient(count, latents)[:, :free]
    assert rel_error(soft_hits_gradient(generator, latents, rows)[0][:, :free], expected) < 1e-6


def test_the_soft_hit_count_is_one_on_a_played_cell_and_zero_on_a_rest():
    output = np.ones((2, 3, 1, 4), np.float32)          # 2 windows, 2 hit rows + 1 other channel
    output[0, 0, 0, :3] = -1
    output[1, 1, 0, 0] = 0                               # half played
    output[:, 2] = -1                                    # not a hit channel
    np.testing.assert_allclose(soft_hits(output, rows=2), [3, 0.5])


@pytest.fixture
def near(monkeypatch):
    """A density ratio the untrained test network reaches in a few steps of its walk."""
    monkeypatch.setattr(controls, "DENSITY_RATIO", 1.002)
    return 1.002


def test_density_walks_towards_more_or_fewer_hits(gan, held, near):
    latents = gan.latents(8, np.random.default_rng(2))
    counts = [played(gan, held, densify(gan, latents, density, held)).mean()
              for density in (-1, -0.5, 0, 0.5, 1)]
    assert np.all(np.diff(counts) > 0)


@pytest.mark.parametrize("density", [-1, 0.5])
def test_density_walks_each_groove_until_it_plays_the_ratio_of_its_hits(
        gan, held, near, density, monkeypatch):
    latents = gan.latents(8, np.random.default_rng(3))
    walked = densify(gan, latents, density, held)
    change = played(gan, held, walked) / played(gan, held, latents)
    arrived = np.sign(density) * (change - near ** density) >= 0
    monkeypatch.setattr(controls, "DENSITY_MAX_STEPS", controls.DENSITY_MAX_STEPS + 1)
    walks_on = np.any(densify(gan, latents, density, held) != walked, axis=1)
    np.testing.assert_array_equal(walks_on, ~arrived)   # where it arrives, it stops
    assert arrived.sum() >= len(latents) // 2


def test_a_groove_that_does_not_arrive_stops_after_the_most_steps(gan, held):
    latents = gan.latents(3, np.random.default_rng(3))
    walked = densify(gan, latents, 1, held)       # the untrained network: never 1.4x the hits
    size = gan.config.latent
    np.testing.assert_array_equal(walked[:, size:], latents[:, size:])
    distance = np.linalg.norm(walked[:, :size] - latents[:, :size], axis=1)
    assert np.all(distance > DENSITY_STEP) and np.all(
        distance <= DENSITY_MAX_STEPS * DENSITY_STEP + 1e-4)


def test_the_windows_of_one_groove_walk_together(gan, held):
    groove = gan.latents(1, np.random.default_rng(4))[0, :gan.config.latent]
    latents = gan.latents(3, np.random.default_rng(5))
    latents[:, :gan.config.latent] = groove
    walked = densify(gan, latents, -1, held, tied=True)[:, :gan.config.latent]
    np.testing.assert_array_equal(walked, np.broadcast_to(walked[0], walked.shape))
    assert not np.array_equal(walked[0], groove)


def test_a_sections_intensity_adds_to_the_density_within_its_range(gan, held):
    latents = gan.latents(2, np.random.default_rng(6))
    up = steer(gan, latents, Controls(), held, intensity=2)
    np.testing.assert_array_equal(up, steer(gan, latents, Controls(density=1), held))
    np.testing.assert_array_equal(steer(gan, latents, Controls(density=1), held, intensity=2), up)
    assert loudness(2) > loudness(0) == 1 > loudness(-1)


def test_variation_is_a_temperature_on_the_bar_noise_and_half_on_the_groove():
    latents = np.ones((2, 20), np.float32)
    still = steer(Plain(), latents, Controls(variation=0), statistics=None)
    wild = steer(Plain(), latents, Controls(variation=2), statistics=None)
    assert not still[:, 4:].any() and np.all(still[:, :4] == 0.5)
    assert np.all(wild[:, 4:] == 2) and np.all(wild[:, :4] == 1.5)


def test_fills_multiply_how_often_he_fills():
    habits = [[0.8, 0.2, 0.0], [0.5, 0.5, 0.0], [0.9, 0.1, 0.0]]
    none, fill_before = fill_habits(habits, 0.4, 0)
    assert not none[:, FILL].any() and fill_before == 0
    double, fill_before = fill_habits(habits, 0.4, 2)
    assert double[ORDINARY, FILL] > habits[ORDINARY][FILL] and fill_before == 0.8
    assert np.allclose(double.sum(axis=1), 1) and not double[:, CHANGE].any()


def test_controls_say_how_a_track_was_steered():
    assert Controls(density=0.5).text() == "density 0.5, fills 1, variation 1"
    assert Controls().neutral and not Controls(fills=0).neutral
