"""The original network (`original`): the Keras DCGAN of the hobby project, layer for layer."""
import numpy as np

from drumroll.models import build_gan
from drumroll.models.original import OriginalConfig


def test_its_defaults_are_the_keras_notebooks():
    config = OriginalConfig()
    assert (config.latent, config.batch, config.lr, config.beta1, config.iterations) == (
        50, 128, 2e-4, 0.5, 6000)


def test_it_maps_a_latent_to_a_whole_roll_and_a_roll_to_one_logit(tiny_images):
    gan = build_gan(OriginalConfig(), tiny_images())
    fake = gan.G.forward(gan.latents(2))
    assert fake.shape == (2, 1, 25, 256)
    assert gan.D.forward(fake).shape == (2, 1)


def test_a_training_step_trains_both_networks(tiny_images, tiny_config):
    gan = build_gan(tiny_config("original"), tiny_images())
    before_g, before_d = gan.G.state_dict(), gan.D.state_dict()
    stats = gan.train_step(gan.prepare_data(tiny_images()))
    assert np.isfinite([stats["d_loss"], stats["g_loss"]]).all()
    assert any(not np.array_equal(before_g[k], v) for k, v in gan.G.state_dict().items())
    assert any(not np.array_equal(before_d[k], v) for k, v in gan.D.state_dict().items())
    assert gan.step == 1


def test_rows_the_data_never_uses_are_blank_in_samples(tiny_images, tiny_config, rows):
    gan = build_gan(tiny_config("original"), tiny_images())
    rolls = gan.sample(3)
    unused = [row for row in range(25) if row not in rows]
    assert rolls.shape == (3, 25, 256)
    assert np.all(rolls[:, unused] == 1.0)
