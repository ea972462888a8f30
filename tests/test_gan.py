"""The two passes of a GAN step: D on a batch, G through D, and summing D's gradients."""
import numpy as np

from gan_numpy.gan import add_gradients, copy_gradients, discriminator_pass, generator_pass
from gan_numpy.layers import Dense
from gan_numpy.losses import hinge_d_loss_real, hinge_g_loss


def test_a_discriminator_pass_leaves_its_gradients_unapplied():
    D = Dense(3, 1, rng=0)
    before = D.params["W"].copy()
    x = np.ones((2, 3), dtype=np.float32)
    loss, logits = discriminator_pass(D, x, hinge_d_loss_real)
    assert logits.shape == (2, 1) and np.isfinite(loss)
    np.testing.assert_array_equal(D.params["W"], before)
    np.testing.assert_allclose(D.grads["W"], x.T @ np.full((2, 1), -0.5), rtol=1e-6)


def test_a_generator_pass_carries_the_gradient_through_d_into_g():
    G, D = Dense(2, 3, rng=0), Dense(3, 1, rng=1)
    z = np.ones((4, 2), dtype=np.float32)
    generator_pass(G, D, z, hinge_g_loss)
    # loss = -mean(z @ Wg @ Wd): dWg = -z.T @ (1/N) Wd.T
    expected = -z.T @ np.full((4, 1), 0.25) @ D.params["W"].T
    np.testing.assert_allclose(G.grads["W"], expected, rtol=1e-6)


def test_an_augmentation_sees_the_generators_output_before_d():
    G, D = Dense(2, 3, rng=0), Dense(3, 1, rng=1)
    seen = []
    generator_pass(G, D, np.ones((2, 2), dtype=np.float32), hinge_g_loss,
                   augment=lambda fake: seen.append(fake.shape) or fake)
    assert seen == [(2, 3)]


def test_saved_gradients_add_to_the_next_ones():
    D = Dense(3, 1, rng=0)
    discriminator_pass(D, np.ones((2, 3), dtype=np.float32), hinge_d_loss_real)
    first = copy_gradients(D)
    discriminator_pass(D, np.full((2, 3), 2.0, dtype=np.float32), hinge_d_loss_real)
    second = copy_gradients(D)
    add_gradients(D, first)
    for (_, _, grad), a, b in zip(D.parameters(), first, second):
        np.testing.assert_allclose(grad, a + b)
