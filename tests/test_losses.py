"""GAN losses: values against the textbook formulas, gradients against numerical ones."""
import numpy as np
import pytest

from gan_numpy import losses
from tests.gradcheck import numerical_gradient, rel_error


def logits(seed=0, shape=(6, 1)):
    return np.random.default_rng(seed).normal(0, 3, size=shape)


@pytest.mark.parametrize("target", [0.0, 1.0, 0.9])
def test_bce_with_logits_matches_the_formula(target):
    z = logits()
    p = 1 / (1 + np.exp(-z))
    expected = -np.mean(target * np.log(p) + (1 - target) * np.log(1 - p))
    loss, _ = losses.bce_with_logits(z, target)
    assert loss == pytest.approx(expected, rel=1e-10)


def test_bce_with_logits_gradient():
    z, t = logits(), np.random.default_rng(1).random((6, 1))
    _, grad = losses.bce_with_logits(z, t)
    numeric = numerical_gradient(lambda: losses.bce_with_logits(z, t)[0], z)
    assert rel_error(grad, numeric) < 1e-7


def test_bce_with_logits_is_finite_for_huge_logits():
    z = np.array([-1e4, -50.0, 50.0, 1e4], dtype=np.float32)
    loss, grad = losses.bce_with_logits(z, 1.0)
    assert np.isfinite(loss) and np.all(np.isfinite(grad))
    assert loss == pytest.approx((1e4 + 50) / 4, rel=1e-6)   # log(1 + e^{-z}) ~ -z for z << 0
    assert grad.dtype == np.float32


def test_hinge_discriminator_loss_halves_match_the_formula_and_numerical_gradients():
    real, fake = logits(2), logits(3)
    loss_real, d_real = losses.hinge_d_loss_real(real)
    loss_fake, d_fake = losses.hinge_d_loss_fake(fake)
    assert loss_real == pytest.approx(np.mean(np.maximum(0, 1 - real)))
    assert loss_fake == pytest.approx(np.mean(np.maximum(0, 1 + fake)))
    assert rel_error(d_real, numerical_gradient(lambda: losses.hinge_d_loss_real(real)[0], real)) < 1e-7
    assert rel_error(d_fake, numerical_gradient(lambda: losses.hinge_d_loss_fake(fake)[0], fake)) < 1e-7


def test_hinge_generator_loss_matches_the_formula_and_numerical_gradient():
    fake = logits(3)
    g_loss, d_g = losses.hinge_g_loss(fake)
    assert g_loss == pytest.approx(-fake.mean())
    assert rel_error(d_g, numerical_gradient(lambda: losses.hinge_g_loss(fake)[0], fake)) < 1e-7


def test_accuracy_counts_the_correct_side_of_zero():
    z = np.array([-2.0, -0.1, 0.5, 3.0])
    assert losses.accuracy(z, 1) == 0.5
    assert losses.accuracy(z[:3], 0) == pytest.approx(2 / 3)
