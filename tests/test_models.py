"""The drum GANs' shared base and registry: configurations, checkpoints, loading old ones."""
import dataclasses
import json
import re

import numpy as np
import pytest

from drumroll.models import (ARCHITECTURES, DEFAULT_ARCH, ModelTooLarge, TrainConfig,
                             architecture_of, build_gan, load_gan)
from drumroll.models.base import CountingGenerator
from drumroll.models.bars import BarConfig, BarGAN
from drumroll.models.original import OriginalConfig, OriginalGAN
from drumroll.models.song import SongGAN
from gan_numpy.checkpoint import CheckpointError, load_checkpoint, save_checkpoint


def test_every_architecture_is_registered_under_its_own_name():
    assert ARCHITECTURES == {"bars": BarGAN, "original": OriginalGAN, "song": SongGAN}
    assert DEFAULT_ARCH == "song"


def test_a_model_configuration_names_its_architecture():
    assert architecture_of(BarConfig()) is BarGAN
    assert architecture_of(OriginalConfig()) is OriginalGAN
    with pytest.raises(ValueError, match="not the configuration"):
        architecture_of(TrainConfig())


def test_run_settings_left_open_take_the_architectures_defaults():
    resolved = TrainConfig(batch=8).resolved(OriginalGAN.TRAINING)
    assert (resolved.batch, resolved.beta1, resolved.iterations) == (8, 0.5, 6000)


def test_rows_left_open_are_read_from_the_data(tiny_images, rows):
    assert build_gan(OriginalConfig(), data=tiny_images()).model.rows == rows
    assert build_gan(OriginalConfig()).model.rows == list(range(25))


@pytest.mark.parametrize("arch", ["bars", "original", "song"])
def test_a_checkpoint_rebuilds_its_model_with_samples_step_and_random_stream(
        tmp_path, tiny_images, tiny_configs, arch):
    images = tiny_images()
    gan = build_gan(*tiny_configs(arch), data=images)
    data = gan.prepare_data(images)
    for _ in range(2):
        gan.train_step(data)
    gan.save(tmp_path / "ck.npz")
    loaded = load_gan(tmp_path / "ck.npz")
    assert type(loaded) is type(gan) and loaded.step == 2
    assert loaded.model == gan.model and loaded.train_config == gan.train_config
    np.testing.assert_array_equal(loaded.sample(4), gan.sample(4))
    np.testing.assert_array_equal(loaded.latents(3), gan.latents(3))


def test_a_checkpoint_holds_both_configurations_as_plain_json(tmp_path, tiny_configs):
    gan = build_gan(*tiny_configs())
    gan.save(tmp_path / "ck.npz")
    meta = load_checkpoint(tmp_path / "ck.npz")[1]
    assert meta["arch"] == "bars"
    assert meta["model"] == dataclasses.asdict(gan.model)
    assert meta["train"]["batch"] == 4 and meta["model"]["width"] == 4
    json.dumps(meta)


def first_format_meta(gan):
    """The metadata an older drumgan (one flat config, arch 'default') wrote for this GAN."""
    flat = {"arch": "default", **dataclasses.asdict(gan.model),
            **dataclasses.asdict(gan.train_config)}
    return {"format": "drumgan-checkpoint-1", "config": flat, "step": gan.step,
            "rng": gan.rng.bit_generator.state}


def test_a_checkpoint_of_the_first_format_still_loads(tmp_path, tiny_configs):
    gan = build_gan(*tiny_configs())
    arrays = {f"{prefix}/{name}": value for prefix, part in gan.parts().items()
              for name, value in part.state_dict().items()}
    save_checkpoint(tmp_path / "old.npz", arrays, first_format_meta(gan))
    loaded = load_gan(tmp_path / "old.npz")
    assert type(loaded) is BarGAN and loaded.model == gan.model
    np.testing.assert_array_equal(loaded.sample(2), gan.sample(2))


def test_a_checkpoint_of_an_unknown_format_is_refused(tmp_path):
    save_checkpoint(tmp_path / "x.npz", {"w": np.ones(2)}, {"format": "someone-else"})
    with pytest.raises(CheckpointError, match="x.npz: not a drumgan checkpoint"):
        load_gan(tmp_path / "x.npz")


def test_a_checkpoint_whose_configuration_is_unusable_says_to_retrain(tmp_path, tiny_configs):
    gan = build_gan(*tiny_configs())
    gan.save(tmp_path / "ck.npz")
    arrays, meta = load_checkpoint(tmp_path / "ck.npz")
    meta["model"]["wings"] = 2
    save_checkpoint(tmp_path / "ck.npz", arrays, meta)
    with pytest.raises(CheckpointError, match="ck.npz: unusable configuration.*retrain"):
        load_gan(tmp_path / "ck.npz")


@pytest.mark.parametrize("part, field, value, message", [
    ("model", "width", 0, "model.width is 0; it must be a whole number of at least 1"),
    ("model", "lowest_note", 120, "model.lowest_note is 120; it must be a MIDI note from 0 to 103"),
    ("model", "rows", [0, 30], "model.rows is [0, 30]; it must be a list of different rows"),
    ("model", "form", {"section_lengths": [0, 0]},
     'model.form is {"section_lengths": [0, 0]}; it must be form statistics'),
    ("train", "tempo", "fast", 'train.tempo is "fast"; it must be a tempo in bpm'),
    ("train", "lr", -1, "train.lr is -1; it must be a positive number"),
    ("train", "seed", 1.5, "train.seed is 1.5; it must be a whole number of at least 0")])
def test_a_hand_edited_configuration_is_refused_naming_the_file_and_the_field(
        tmp_path, tiny_configs, part, field, value, message):
    gan = build_gan(*tiny_configs("song"))
    gan.save(tmp_path / "ck.npz")
    arrays, meta = load_checkpoint(tmp_path / "ck.npz")
    meta[part][field] = value
    save_checkpoint(tmp_path / "ck.npz", arrays, meta)
    with pytest.raises(CheckpointError, match=re.escape(f"{tmp_path / 'ck.npz'}: {message}")):
        load_gan(tmp_path / "ck.npz")


def test_loading_a_file_that_is_not_a_checkpoint_is_a_clear_error(tmp_path):
    path = tmp_path / "bad.npz"
    path.write_bytes(b"not a zip file")
    with pytest.raises(CheckpointError, match="bad.npz"):
        load_gan(path)


def test_a_checkpoint_asking_for_a_network_too_large_to_build_is_refused_at_once(tmp_path,
                                                                                 tiny_configs):
    build_gan(*tiny_configs()).save(tmp_path / "ck.npz")
    arrays, meta = load_checkpoint(tmp_path / "ck.npz")
    meta["model"]["width"] = 10 ** 6            # a dense layer of 4e6 x 4e6 weights: 64 TB
    save_checkpoint(tmp_path / "ck.npz", arrays, meta)
    with pytest.raises(CheckpointError, match=r"ck\.npz: refused: the networks would have more "
                                              r"than 50,000,000 parameters \(model configuration "
                                              r"\{.*'latent': 6, 'bar_noise': 3, 'width': 1000000"):
        load_gan(tmp_path / "ck.npz")


def test_a_checkpoint_with_nan_weights_is_refused(tmp_path, tiny_configs):
    build_gan(*tiny_configs()).save(tmp_path / "ck.npz")
    arrays, meta = load_checkpoint(tmp_path / "ck.npz")
    arrays["G/bar_codes.0.W"][0, :2] = [np.nan, np.inf]
    arrays["G/bar_codes.0.b"][0] = np.nan
    save_checkpoint(tmp_path / "ck.npz", arrays, meta)
    with pytest.raises(CheckpointError, match=r"ck\.npz: holds NaN or infinite values "
                                              r"\(G/bar_codes\.0\.W and 1 more\)"):
        load_gan(tmp_path / "ck.npz")


def test_counting_the_initial_weights_draws_the_numbers_of_a_plain_generator():
    counting, plain = CountingGenerator([3, 1], budget=100), np.random.default_rng([3, 1])
    np.testing.assert_array_equal(counting.uniform(-1, 1, size=(4, 5)),
                                  plain.uniform(-1, 1, size=(4, 5)))
    np.testing.assert_array_equal(counting.standard_normal(7), plain.standard_normal(7))
    assert counting.drawn == 27


@pytest.mark.parametrize("arch", list(ARCHITECTURES))
def test_every_weight_is_counted_so_a_budget_below_them_stops_the_build(arch, tiny_configs):
    gan = build_gan(*tiny_configs(arch))
    weights = sum(int(param.size) for net in (gan.G, gan.D)
                  for _, param, _ in net.parameters() if param.ndim > 1)
    gan.build(CountingGenerator([0, 1], budget=2 * weights))
    with pytest.raises(ModelTooLarge):
        gan.build(CountingGenerator([0, 1], budget=weights - 1))
