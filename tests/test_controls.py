"""The knobs: density along the model's own direction of busyness, fills times his rate, a
temperature for variation, and the intensity of a section; out of range, one line."""
import types

import numpy as np
import pytest

from drumroll.controls import (ControlError, Controls, density_direction, fill_habits, loudness,
                               steer)
from drumroll.phrases import CHANGE, FILL, ORDINARY


class Busier:
    """A stand-in model whose windows hold more hits the larger the first latent value."""
    config = types.SimpleNamespace(latent=4, bar_noise=2)

    def latents(self, n, rng):
        return rng.standard_normal((n, 4 + 16)).astype(np.float32)

    def decode(self, latents, rng):
        hits = np.arange(256)[None, :] < 100 + 40 * latents[:, :1]     # (n, 256)
        rolls = np.where(hits[:, None, :], -1.0, 1.0).repeat(25, axis=1)
        return rolls, None, None


@pytest.mark.parametrize("values, message", [
    (dict(density=5), "--density 5: give -1 to 1"), (dict(fills=-1), "--fills -1: give 0 to 2"),
    (dict(variation=2.5), "--variation 2.5: give 0 to 2"),
    (dict(density=float("nan")), "--density nan")])
def test_a_control_outside_its_range_is_refused_in_one_line(values, message):
    with pytest.raises(ControlError, match=message):
        Controls(**values)


def test_the_density_direction_is_where_the_models_patterns_get_busier():
    direction = density_direction(Busier())
    assert direction[0] > 0.99 and np.linalg.norm(direction) == pytest.approx(1)


def test_density_moves_the_global_latent_along_the_direction_only():
    gan, direction = Busier(), np.array([1, 0, 0, 0], np.float32)
    latents = np.zeros((3, 20), np.float32)
    busy = steer(gan, latents, Controls(density=1), direction)
    sparse = steer(gan, latents, Controls(density=-0.5), direction)
    assert busy[0, 0] > 0 > sparse[0, 0] and not busy[:, 1:].any()


def test_a_sections_intensity_adds_to_the_density_within_its_range():
    gan, direction = Busier(), np.array([1, 0, 0, 0], np.float32)
    zero = np.zeros((1, 20), np.float32)
    up = steer(gan, zero, Controls(), direction, intensity=2)[0, 0]
    assert up == steer(gan, zero, Controls(density=1), direction)[0, 0]
    assert steer(gan, zero, Controls(density=1), direction, intensity=2)[0, 0] == up
    assert loudness(2) > loudness(0) == 1 > loudness(-1)


def test_variation_is_a_temperature_on_the_bar_noise_and_half_on_the_groove():
    latents = np.ones((2, 20), np.float32)
    still = steer(Busier(), latents, Controls(variation=0))
    wild = steer(Busier(), latents, Controls(variation=2))
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
