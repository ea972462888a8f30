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


def test_hinge_losses_values_and_gradients():
    real, fake = logits(2), logits(3)
    loss, d_real, d_fake = losses.hinge_d_loss(real, fake)
    expected = np.mean(np.maximum(0, 1 - real)) + np.mean(np.maximum(0, 1 + fake))
    assert loss == pytest.approx(expected)
    assert rel_error(d_real, numerical_gradient(lambda: losses.hinge_d_loss(real, fake)[0], real)) < 1e-7
    assert rel_error(d_fake, numerical_gradient(lambda: losses.hinge_d_loss(real, fake)[0], fake)) < 1e-7
    g_loss, d_g = losses.hinge_g_loss(fake)
    assert g_loss == pytest.approx(-fake.mean())
    assert rel_error(d_g, numerical_gradient(lambda: losses.hinge_g_loss(fake)[0], fake)) < 1e-7


def test_accuracy_counts_the_correct_side_of_zero():
    z = np.array([-2.0, -0.1, 0.5, 3.0])
    assert losses.accuracy(z, 1) == 0.5
    assert losses.accuracy(z[:3], 0) == pytest.approx(2 / 3)


def test_hinge_halves_add_up_to_the_discriminator_loss():
    real, fake = logits(4), logits(5)
    loss_real, d_real = losses.hinge_d_loss_real(real)
    loss_fake, d_fake = losses.hinge_d_loss_fake(fake)
    loss, d_real_both, d_fake_both = losses.hinge_d_loss(real, fake)
    assert loss_real + loss_fake == pytest.approx(loss)
    np.testing.assert_array_equal(d_real, d_real_both)
    np.testing.assert_array_equal(d_fake, d_fake_both)
    assert rel_error(d_real, numerical_gradient(lambda: losses.hinge_d_loss_real(real)[0], real)) < 1e-7
