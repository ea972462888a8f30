"""One GAN training step (gan_numpy.gan.train_step): D's update on real and generated data, G's
update through a frozen D, with any networks, losses and optimizers."""
import numpy as np

from gan_numpy.gan import (HINGE, NON_SATURATING, add_gradients, copy_gradients, score,
                           train_step)
from gan_numpy.layers import Dense
from gan_numpy.optim import Adam


class Recorder:
    """An optimizer that applies nothing and keeps a copy of the gradients at every step."""

    def __init__(self, module):
        self.module, self.steps = module, []

    def step(self):
        self.steps.append(copy_gradients(self.module))


class Labelled(Dense):
    """A conditional discriminator: a dense layer plus the labels, remembering what it got."""

    def forward(self, x, labels=None):
        self.seen = labels
        return super().forward(x) + (0 if labels is None else labels[:, None])


def linear_gan():
    G, D = Dense(2, 3, rng=0), Dense(3, 1, rng=1)
    real = np.random.default_rng(2).standard_normal((4, 3)).astype(np.float32)
    z_fake = np.full((4, 2), 0.5, dtype=np.float32)
    z_gen = np.ones((4, 2), dtype=np.float32)
    return G, D, real, z_fake, z_gen


def test_a_step_moves_both_networks_and_reports_losses_and_accuracies():
    G, D, real, z_fake, z_gen = linear_gan()
    before = G.params["W"].copy(), D.params["W"].copy()
    stats = train_step(G, D, Adam(G), Adam(D), real, z_fake, z_gen, HINGE)
    assert set(stats) == {"d_loss", "g_loss", "d_real_acc", "d_fake_acc"}
    assert not np.array_equal(G.params["W"], before[0])
    assert not np.array_equal(D.params["W"], before[1])


def test_ds_update_adds_the_gradients_of_the_real_and_the_generated_batch():
    G, D, real, z_fake, z_gen = linear_gan()
    fake = G.forward(z_fake)
    _, d_real = HINGE.d_real(D.forward(real))
    real_grad = real.T @ d_real
    _, d_fake = HINGE.d_fake(D.forward(fake))
    fake_grad = fake.T @ d_fake
    opt_D = Recorder(D)
    train_step(G, D, Recorder(G), opt_D, real, z_fake, z_gen, HINGE)
    assert len(opt_D.steps) == 1
    np.testing.assert_allclose(opt_D.steps[0][0], real_grad + fake_grad, rtol=1e-5)


def test_separate_d_updates_step_ds_optimizer_on_each_batch():
    G, D, real, z_fake, z_gen = linear_gan()
    opt_D = Recorder(D)
    train_step(G, D, Recorder(G), opt_D, real, z_fake, z_gen, NON_SATURATING,
               separate_d_updates=True)
    assert len(opt_D.steps) == 2
    _, d_real = NON_SATURATING.d_real(D.forward(real))
    np.testing.assert_allclose(opt_D.steps[0][0], real.T @ d_real, rtol=1e-5)


def test_g_learns_through_d_with_ds_weights_and_none_of_its_gradients():
    G, D, real, z_fake, z_gen = linear_gan()
    opt_G = Recorder(G)
    train_step(G, D, opt_G, Recorder(D), real, z_fake, z_gen, HINGE)
    # G's loss is -mean(z @ Wg @ Wd): dWg = -z.T @ (1/N) Wd.T
    expected = -z_gen.T @ np.full((4, 1), 0.25) @ D.params["W"].T
    np.testing.assert_allclose(opt_G.steps[0][0], expected, rtol=1e-6)
    assert not D.frozen and all(grad is None for _, _, grad in D.parameters())


def test_a_conditional_discriminator_is_told_the_labels_of_each_update():
    G, _, real, z_fake, z_gen = linear_gan()
    D = Labelled(3, 1, rng=1)
    seen = []
    labels, gen_labels = np.zeros(4, np.float32), np.ones(4, np.float32)
    D.forward = (lambda forward: lambda x, y=None: seen.append(y) or forward(x, y))(D.forward)
    train_step(G, D, Adam(G), Adam(D), real, z_fake, z_gen, HINGE, labels=labels,
               gen_labels=gen_labels)
    assert [id(y) for y in seen] == [id(labels), id(labels), id(gen_labels)]


def test_an_unconditional_discriminator_is_called_with_the_batch_alone():
    D = Labelled(3, 1, rng=1)
    score(D, np.ones((2, 3), np.float32))
    assert D.seen is None


def test_augment_sees_every_batch_d_sees():
    G, D, real, z_fake, z_gen = linear_gan()
    seen = []
    train_step(G, D, Adam(G), Adam(D), real, z_fake, z_gen, HINGE,
               augment=lambda x: seen.append(x.shape) or x)
    assert seen == [(4, 3)] * 3                       # real, generated, G's generated


def test_saved_gradients_add_to_the_next_ones():
    D = Dense(3, 1, rng=0)
    D.forward(np.ones((2, 3), dtype=np.float32))
    D.backward(np.ones((2, 1), np.float32))
    first = copy_gradients(D)
    D.forward(np.full((2, 3), 2.0, dtype=np.float32))
    D.backward(np.ones((2, 1), np.float32))
    second = copy_gradients(D)
    add_gradients(D, first)
    for (_, _, grad), a, b in zip(D.parameters(), first, second):
        np.testing.assert_allclose(grad, a + b)
