"""The default network (`bars`): shapes, gradients of its two-branch models, its training step."""
import numpy as np
import pytest

from drumroll.models import build_gan
from drumroll.models.bars import (BarAwareDiscriminator, BarConfig, BarGenerator,
                                  bars_into_window, rotate_windows, window_into_bars)
from tests.gradcheck import numerical_gradient, rel_error, to_float64


@pytest.fixture
def config(rows):
    return BarConfig(latent=6, bar_noise=3, width=4, rows=rows)


def latent_size(config):
    return config.latent + 8 * config.bar_noise


def test_bar_generator_makes_rows_by_steps_in_tanh_range(config, rows):
    out = BarGenerator(config, rng=0).forward(
        np.random.default_rng(1).standard_normal((3, latent_size(config))).astype(np.float32))
    assert out.shape == (3, len(rows), 1, 256)
    assert out.dtype == np.float32
    assert np.all(np.abs(out) <= 1)


def test_bar_generator_uses_each_bars_own_noise_only_in_that_bar(config):
    generator = BarGenerator(config, rng=0).eval()
    z = np.random.default_rng(2).standard_normal((2, latent_size(config))).astype(np.float32)
    changed = z.copy()
    changed[:, config.latent + 2 * 8 + 5] += 3.0     # noise channel 2 of bar 5
    difference = np.abs(generator.forward(changed) - generator.forward(z)).sum(axis=(0, 1, 2))
    bar_of_step = np.arange(256) // 32
    assert difference[bar_of_step == 5].sum() > 0
    assert difference[bar_of_step != 5].sum() == 0


@pytest.mark.parametrize("decoder", ["dense", "conv"])
def test_bar_generator_parameter_gradients_match_numerical_ones(rows, decoder):
    config = BarConfig(latent=6, bar_noise=3, width=4, rows=rows, bar_decoder=decoder)
    generator = to_float64(BarGenerator(config, rng=0).eval())
    z = np.random.default_rng(3).standard_normal((2, latent_size(config)))
    weights = np.random.default_rng(4).standard_normal((2, len(rows), 1, 256))
    generator.forward(z)
    generator.backward(weights)
    weighted = [(name, layer) for name, layer in generator.named_layers() if "W" in layer.params]
    for name, layer in weighted[:2] + weighted[-2:]:   # both ends of both parts
        numeric = numerical_gradient(lambda: float(np.sum(generator.forward(z) * weights)),
                                     layer.params["W"])
        assert rel_error(layer.grads["W"], numeric) < 1e-6, name


def test_an_unknown_bar_decoder_is_refused():
    with pytest.raises(ValueError, match="bar_decoder"):
        BarConfig(bar_decoder="lstm")


def test_bar_aware_discriminator_input_gradient_matches_numerical_one(config, rows):
    critic = to_float64(BarAwareDiscriminator(config, rng=0).eval())
    x = np.random.default_rng(5).uniform(-1, 1, (3, len(rows), 1, 256))
    critic.forward(x)
    dx = critic.backward(np.ones((3, 1)))
    numeric = numerical_gradient(lambda: float(critic.forward(x).sum()), x)
    assert rel_error(dx, numeric) < 1e-6


def test_the_network_only_models_the_rows_the_data_uses(tiny_images, rows):
    gan = build_gan(BarConfig(latent=6, bar_noise=3, width=4), tiny_images())
    assert gan.config.rows == rows
    rolls = gan.sample(5)
    assert rolls.shape == (5, 25, 256)
    unused = [row for row in range(25) if row not in rows]
    assert np.all(rolls[:, unused] == 1.0)            # +1 = no hit


def test_its_training_defaults_are_hinge_gan_settings():
    config = BarConfig()
    assert (config.iterations, config.batch, config.lr, config.beta1, config.beta2) == (
        3000, 64, 2e-4, 0.0, 0.9)


def test_a_training_step_lowers_the_discriminator_loss_on_fixed_data(tiny_images, tiny_config):
    images = tiny_images()
    gan = build_gan(tiny_config(batch=8), images)
    data = gan.prepare_data(images)
    losses = [gan.train_step(data)["d_loss"] for _ in range(15)]
    assert np.mean(losses[-5:]) < np.mean(losses[:5])
    assert gan.step == 15


def test_rotating_bars_moves_whole_bars_and_keeps_every_hit(tiny_images, tiny_config):
    gan = build_gan(tiny_config(), tiny_images())
    windows = gan.prepare_data(tiny_images(n=6, seed=7)).x
    rotated, roles = gan.rotate_bars(windows)
    assert roles is None
    for window, turned in zip(windows, rotated):
        bars = [np.roll(window, -32 * k, axis=2) for k in range(8)]
        assert any(np.array_equal(turned, candidate) for candidate in bars)
    assert not np.array_equal(rotated, windows)


def test_instance_noise_fades_to_nothing_by_the_end_of_the_run(tiny_images, tiny_config, rows):
    gan = build_gan(tiny_config(instance_noise=0.5, iterations=10), tiny_images())
    x = np.zeros((4, len(rows), 1, 256), dtype=np.float32)
    early = gan.instance_noise()(x)
    assert early.dtype == np.float32 and 0.4 < early.std() < 0.6
    gan.step = 5
    assert 0.2 < gan.instance_noise()(x).std() < 0.3
    gan.step = 10
    assert gan.instance_noise() is None


def test_without_instance_noise_inputs_pass_unchanged(tiny_images, tiny_config):
    assert build_gan(tiny_config(), tiny_images()).instance_noise() is None


def test_samples_come_from_the_averaged_generator(tiny_images, tiny_config):
    images = tiny_images()
    gan = build_gan(tiny_config(), images)
    data = gan.prepare_data(images)
    for _ in range(3):
        gan.train_step(data)
    latents = gan.latents(64, np.random.default_rng(9))
    averaged = gan.ema.copy_to(BarGenerator(gan.config, rng=1)).forward(latents)
    np.testing.assert_array_equal(gan.sample(64, rng=np.random.default_rng(9)),
                                  gan.to_rolls(averaged))
    assert not np.array_equal(gan.to_rolls(gan.G.forward(latents)), gan.to_rolls(averaged))


def test_rotate_windows_turns_each_window_left_by_its_own_number_of_bars():
    windows = np.random.default_rng(0).standard_normal((3, 2, 1, 256)).astype(np.float32)
    shifts = np.array([0, 1, 7])
    rotated = rotate_windows(windows, shifts)
    for window, turned, shift in zip(windows, rotated, shifts):
        np.testing.assert_array_equal(turned, np.roll(window, -32 * shift, axis=2))


def channels_innermost(images):
    """True when (N, C, H, W) images are laid out (N, H, W, C) in memory."""
    return images.transpose(0, 2, 3, 1).flags.c_contiguous


def test_bars_into_window_puts_bar_after_bar_with_channels_innermost():
    bars = np.random.default_rng(0).standard_normal((2 * 8, 3, 1, 32)).astype(np.float32)
    window = bars_into_window(bars, 2)
    assert window.shape == (2, 3, 1, 256) and channels_innermost(window)
    for bar in range(8):
        np.testing.assert_array_equal(window[:, :, 0, 32 * bar:32 * bar + 32],
                                      bars.reshape(2, 8, 3, 32)[:, bar])


def test_window_into_bars_is_the_adjoint_of_bars_into_window():
    rng = np.random.default_rng(1)
    bars = rng.standard_normal((2 * 8, 3, 1, 32))
    dwindow = rng.standard_normal((2, 3, 1, 256))
    assert np.isclose(np.sum(bars_into_window(bars, 2) * dwindow),
                      np.sum(bars * window_into_bars(dwindow)))


def test_the_discriminator_gets_real_and_generated_windows_channels_last(tiny_images, tiny_config):
    gan = build_gan(tiny_config(), tiny_images())
    real = gan.prepare_data(tiny_images()).x
    assert channels_innermost(real) and channels_innermost(gan.rotate_bars(real[:4])[0])
    assert channels_innermost(gan.G.forward(gan.latents(4)))
