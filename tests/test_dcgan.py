"""The GAN presets: shapes, gradients of the two-branch models, one training step, checkpoints."""
import numpy as np
import pytest

from gan_numpy.checkpoint import CheckpointError
from gan_numpy.dcgan import GAN, BarAwareDiscriminator, BarGenerator, TrainConfig
from tests.gradcheck import numerical_gradient, rel_error, to_float64

ROWS = [0, 2, 6, 13]


def tiny_config(**overrides):
    values = dict(arch="default", batch=4, latent=6, bar_noise=3, width=4, rows=ROWS, seed=0)
    values.update(overrides)
    return TrainConfig(**values).resolved()


def tiny_images(n=12, seed=0):
    rng = np.random.default_rng(seed)
    images = np.full((n, 25, 256), 255, dtype=np.uint8)
    images[:, ROWS, :] = np.where(rng.random((n, len(ROWS), 256)) < 0.2, 0, 255)
    return images


def test_bar_generator_makes_rows_by_steps_in_tanh_range():
    config = tiny_config()
    out = BarGenerator(config, rng=0).forward(
        np.random.default_rng(1).standard_normal((3, config.latent_size)).astype(np.float32))
    assert out.shape == (3, len(ROWS), 1, 256)
    assert out.dtype == np.float32
    assert np.all(np.abs(out) <= 1)


def test_bar_generator_uses_each_bars_own_noise_only_in_that_bar():
    config = tiny_config()
    generator = BarGenerator(config, rng=0).eval()
    z = np.random.default_rng(2).standard_normal((2, config.latent_size)).astype(np.float32)
    changed = z.copy()
    changed[:, config.latent + 2 * 8 + 5] += 3.0     # noise channel 2 of bar 5
    difference = np.abs(generator.forward(changed) - generator.forward(z)).sum(axis=(0, 1, 2))
    bar_of_step = np.arange(256) // 32
    assert difference[bar_of_step == 5].sum() > 0
    assert difference[bar_of_step != 5].sum() == 0


@pytest.mark.parametrize("decoder", ["dense", "conv"])
def test_bar_generator_parameter_gradients_match_numerical_ones(decoder):
    config = tiny_config(bar_decoder=decoder)
    generator = to_float64(BarGenerator(config, rng=0).eval())
    z = np.random.default_rng(3).standard_normal((2, config.latent_size))
    weights = np.random.default_rng(4).standard_normal((2, len(ROWS), 1, 256))
    generator.forward(z)
    generator.backward(weights)
    weighted = [(name, layer) for name, layer in generator.named_layers() if "W" in layer.params]
    for name, layer in weighted[:2] + weighted[-2:]:   # both ends of both parts
        numeric = numerical_gradient(lambda: float(np.sum(generator.forward(z) * weights)),
                                     layer.params["W"])
        assert rel_error(layer.grads["W"], numeric) < 1e-6, name


def test_bar_aware_discriminator_input_gradient_matches_numerical_one():
    config = tiny_config()
    critic = to_float64(BarAwareDiscriminator(config, rng=0).eval())
    x = np.random.default_rng(5).uniform(-1, 1, (3, len(ROWS), 1, 256))
    critic.forward(x)
    dx = critic.backward(np.ones((3, 1)))
    numeric = numerical_gradient(lambda: float(critic.forward(x).sum()), x)
    assert rel_error(dx, numeric) < 1e-6


def test_default_model_only_models_the_rows_the_data_uses():
    gan = GAN(TrainConfig(batch=4, latent=6, bar_noise=3, width=4), tiny_images())
    assert gan.config.rows == ROWS
    rolls = gan.sample(5)
    assert rolls.shape == (5, 25, 256)
    unused = [row for row in range(25) if row not in ROWS]
    assert np.all(rolls[:, unused] == 1.0)            # +1 = no hit


def test_original_preset_is_the_keras_network():
    gan = GAN(TrainConfig(arch="original"), tiny_images())
    assert (gan.config.latent, gan.config.batch, gan.config.lr, gan.config.beta1) == (
        50, 128, 2e-4, 0.5)
    fake = gan.G.forward(gan.latents(2))
    assert fake.shape == (2, 1, 25, 256)
    assert gan.D.forward(fake).shape == (2, 1)


def test_original_step_trains_both_networks():
    gan = GAN(TrainConfig(arch="original", batch=4), tiny_images())
    before_g = gan.G.state_dict()
    before_d = gan.D.state_dict()
    stats = gan.train_step(gan.prepare_data(tiny_images()))
    assert np.isfinite([stats["d_loss"], stats["g_loss"]]).all()
    assert any(not np.array_equal(before_g[k], v) for k, v in gan.G.state_dict().items())
    assert any(not np.array_equal(before_d[k], v) for k, v in gan.D.state_dict().items())
    assert gan.step == 1


def test_default_step_lowers_the_discriminator_loss_on_fixed_data():
    images = tiny_images()
    gan = GAN(tiny_config(batch=8), images)
    data = gan.prepare_data(images)
    losses = [gan.train_step(data)["d_loss"] for _ in range(15)]
    assert np.mean(losses[-5:]) < np.mean(losses[:5])


def test_checkpoint_round_trip_restores_samples_step_and_random_stream(tmp_path):
    images = tiny_images()
    gan = GAN(tiny_config(), images)
    data = gan.prepare_data(images)
    for _ in range(2):
        gan.train_step(data)
    gan.save(tmp_path / "ck.npz")
    loaded = GAN.load(tmp_path / "ck.npz")
    assert loaded.step == 2
    np.testing.assert_array_equal(loaded.sample(4), gan.sample(4))
    np.testing.assert_array_equal(loaded.latents(3), gan.latents(3))


def test_loading_a_file_that_is_not_a_checkpoint_is_a_clear_error(tmp_path):
    path = tmp_path / "bad.npz"
    path.write_bytes(b"not a zip file")
    with pytest.raises(CheckpointError, match="bad.npz"):
        GAN.load(path)


def test_rotating_bars_moves_whole_bars_and_keeps_every_hit():
    gan = GAN(tiny_config(), tiny_images())
    windows = gan.prepare_data(tiny_images(n=6, seed=7))
    rotated = gan.rotate_bars(windows)
    for window, turned in zip(windows, rotated):
        bars = [np.roll(window, -32 * k, axis=2) for k in range(8)]
        assert any(np.array_equal(turned, candidate) for candidate in bars)
    assert not np.array_equal(rotated, windows)


def test_instance_noise_fades_to_nothing_by_the_end_of_the_run():
    gan = GAN(tiny_config(instance_noise=0.5, iterations=10), tiny_images())
    x = np.zeros((4, len(ROWS), 1, 256), dtype=np.float32)
    early = gan.with_noise(x)
    assert early.dtype == np.float32 and 0.4 < early.std() < 0.6
    gan.step = 5
    assert 0.2 < gan.with_noise(x).std() < 0.3
    gan.step = 10
    assert np.array_equal(gan.with_noise(x), x)


def test_without_instance_noise_inputs_pass_unchanged():
    gan = GAN(tiny_config(), tiny_images())
    x = np.ones((2, len(ROWS), 1, 256), dtype=np.float32)
    assert gan.with_noise(x) is x
