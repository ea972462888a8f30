"""The drum GANs' shared base and registry: configurations, checkpoints, loading old ones."""
import dataclasses
import json
import re

import numpy as np
import pytest

from drumroll.models import (ARCHITECTURES, DEFAULT_ARCH, ModelTooLarge, RunConfig,
                             architecture_of, build_gan, check_settings, load_gan, options)
from drumroll.models.base import CountingGenerator
from drumroll.models.bars import BarConfig, BarGAN
from drumroll.models.original import OriginalConfig, OriginalGAN
from drumroll.models.song import SongConfig, SongGAN
from gan_numpy.checkpoint import CheckpointError, load_checkpoint, save_checkpoint


def test_every_architecture_is_registered_under_its_own_name():
    assert ARCHITECTURES == {"bars": BarGAN, "original": OriginalGAN, "song": SongGAN}
    assert DEFAULT_ARCH == "song"


def test_a_run_configuration_names_its_architecture():
    assert architecture_of(BarConfig()) is BarGAN
    assert architecture_of(OriginalConfig()) is OriginalGAN
    with pytest.raises(ValueError, match="not the configuration"):
        architecture_of(RunConfig())


def test_an_architecture_overrides_a_default_and_keeps_its_help_and_limits():
    assert (OriginalConfig().batch, OriginalConfig().beta1, OriginalConfig().iterations) == (
        128, 0.5, 6000)
    assert options(OriginalConfig)["batch"].name == "batch"
    with pytest.raises(ValueError, match="batch 0: must be at least 1"):
        check_settings(OriginalConfig(batch=0))


def test_settings_read_from_the_data_are_no_options():
    assert {"rows", "data_digest", "tempo", "holdout_songs", "form",
            "velocity_levels"}.isdisjoint(options(SongConfig))
    assert {"iterations", "width", "bar_decoder", "latent"} <= set(options(SongConfig))


@pytest.mark.parametrize("field,value,problem", [
    ("width", 0, "at least 1"), ("lr", 0.0, "more than 0"), ("bar_decoder", "lstm", "one of"),
    ("holdout", 1.0, "at most"), ("iterations", 2.5, "whole number"),
    ("instance_noise", float("nan"), "finite"), ("rotate_bars", 1, "true or false")])
def test_a_setting_outside_its_limits_is_named(field, value, problem):
    with pytest.raises(ValueError, match=f"{field} .*{problem}"):
        check_settings(dataclasses.replace(SongConfig(), **{field: value}))


def test_rows_are_read_from_the_data_and_all_of_them_without_data(tiny_images, rows):
    assert build_gan(OriginalConfig(), tiny_images()).config.rows == rows
    assert build_gan(OriginalConfig()).config.rows == list(range(25))


@pytest.mark.parametrize("arch", ["bars", "original", "song"])
def test_a_checkpoint_rebuilds_its_model_with_samples_step_and_random_stream(
        tmp_path, tiny_images, tiny_config, arch):
    images = tiny_images()
    gan = build_gan(tiny_config(arch), images)
    data = gan.prepare_data(images)
    for _ in range(2):
        gan.train_step(data)
    gan.save(tmp_path / "ck.npz")
    loaded = load_gan(tmp_path / "ck.npz")
    assert type(loaded) is type(gan) and loaded.step == 2
    assert loaded.config == gan.config
    np.testing.assert_array_equal(loaded.sample(4), gan.sample(4))
    np.testing.assert_array_equal(loaded.latents(3), gan.latents(3))


def test_a_checkpoint_holds_the_configuration_as_plain_json(tmp_path, tiny_config):
    gan = build_gan(tiny_config())
    gan.save(tmp_path / "ck.npz")
    meta = load_checkpoint(tmp_path / "ck.npz")[1]
    assert meta["arch"] == "bars"
    assert meta["config"] == dataclasses.asdict(gan.config)
    assert meta["config"]["batch"] == 4 and meta["config"]["width"] == 4
    json.dumps(meta)


def arrays_of(gan):
    return {f"{prefix}/{name}": value for prefix, part in gan.parts().items()
            for name, value in part.state_dict().items()}


def split_config(gan):
    """The configuration as the second format kept it: the networks' and the run's."""
    run_fields = ("iterations", "batch", "lr", "beta1", "beta2", "seed", "holdout_songs",
                  "data_digest", "tempo", "sample_every", "checkpoint_every")
    config = dataclasses.asdict(gan.config)
    return ({k: v for k, v in config.items() if k not in run_fields and k != "holdout"},
            {k: v for k, v in config.items() if k in run_fields})


def test_a_checkpoint_of_the_first_format_still_loads(tmp_path, tiny_config):
    gan = build_gan(tiny_config())
    model, train = split_config(gan)
    meta = {"format": "drumgan-checkpoint-1", "config": {"arch": "default", **model, **train},
            "step": gan.step, "rng": gan.rng.bit_generator.state}
    save_checkpoint(tmp_path / "old.npz", arrays_of(gan), meta)
    loaded = load_gan(tmp_path / "old.npz")
    assert type(loaded) is BarGAN and loaded.config == gan.config
    np.testing.assert_array_equal(loaded.sample(2), gan.sample(2))


def test_a_checkpoint_of_the_second_format_still_loads(tmp_path, tiny_config):
    gan = build_gan(tiny_config("song"))
    model, train = split_config(gan)
    meta = {"format": "drumgan-checkpoint-2", "arch": "song", "model": model, "train": train,
            "step": gan.step, "rng": gan.rng.bit_generator.state}
    save_checkpoint(tmp_path / "old.npz", arrays_of(gan), meta)
    loaded = load_gan(tmp_path / "old.npz")
    assert type(loaded) is SongGAN and loaded.config == gan.config


def test_a_checkpoint_of_an_unknown_format_is_refused(tmp_path):
    save_checkpoint(tmp_path / "x.npz", {"w": np.ones(2)}, {"format": "someone-else"})
    with pytest.raises(CheckpointError, match="x.npz: not a drumgan checkpoint"):
        load_gan(tmp_path / "x.npz")


def test_a_checkpoint_whose_configuration_is_unusable_says_to_retrain(tmp_path, tiny_config):
    gan = build_gan(tiny_config())
    gan.save(tmp_path / "ck.npz")
    arrays, meta = load_checkpoint(tmp_path / "ck.npz")
    meta["config"]["wings"] = 2
    save_checkpoint(tmp_path / "ck.npz", arrays, meta)
    with pytest.raises(CheckpointError, match="ck.npz: unusable configuration.*retrain"):
        load_gan(tmp_path / "ck.npz")


@pytest.mark.parametrize("field, value, message", [
    ("width", 0, "config.width is 0; must be at least 1"),
    ("lowest_note", 120, "config.lowest_note is 120; it must be a MIDI note from 0 to 103"),
    ("rows", [0, 30], "config.rows is [0, 30]; it must be a list of different rows"),
    ("form", {"section_lengths": [0, 0]},
     'config.form is {"section_lengths": [0, 0]}; it must be form statistics'),
    ("form", {"sections": [[9, 8, 1]]}, 'config.form is {"sections": [[9, 8, 1]]}; it must be'),
    ("tempo", "fast", 'config.tempo is "fast"; it must be a tempo in bpm'),
    ("usual_levels", [0], "config.usual_levels is [0]; it must be a list of MIDI velocities"),
    ("velocity_quantiles", [[1.2, 0.8]],
     "config.velocity_quantiles is [[1.2, 0.8]]; it must be a list, one per row, of 101"),
    ("velocity_quantiles", [None], "config.velocity_quantiles has 1 rows, config.rows"),
    ("lr", -1, "config.lr is -1; must be more than 0"),
    ("seed", 1.5, "config.seed is 1.5; must be a whole number"),
    ("holdout_from", 3, "config.holdout_from is 3; must be text")])
def test_a_hand_edited_configuration_is_refused_naming_the_file_and_the_field(
        tmp_path, tiny_config, field, value, message):
    gan = build_gan(tiny_config("song"))
    gan.save(tmp_path / "ck.npz")
    arrays, meta = load_checkpoint(tmp_path / "ck.npz")
    meta["config"][field] = value
    save_checkpoint(tmp_path / "ck.npz", arrays, meta)
    with pytest.raises(CheckpointError, match=re.escape(f"{tmp_path / 'ck.npz'}: {message}")):
        load_gan(tmp_path / "ck.npz")


def test_loading_a_file_that_is_not_a_checkpoint_is_a_clear_error(tmp_path):
    path = tmp_path / "bad.npz"
    path.write_bytes(b"not a zip file")
    with pytest.raises(CheckpointError, match="bad.npz"):
        load_gan(path)


def test_a_checkpoint_asking_for_a_network_too_large_to_build_is_refused_at_once(tmp_path,
                                                                                 tiny_config):
    build_gan(tiny_config()).save(tmp_path / "ck.npz")
    arrays, meta = load_checkpoint(tmp_path / "ck.npz")
    meta["config"]["width"] = 10 ** 6            # a dense layer of 4e6 x 4e6 weights: 64 TB
    save_checkpoint(tmp_path / "ck.npz", arrays, meta)
    with pytest.raises(CheckpointError, match=r"ck\.npz: refused: the networks would have more "
                                              r"than 50,000,000 parameters \(configuration "
                                              r"\{.*'latent': 6, 'bar_noise': 3, 'width': 1000000"):
        load_gan(tmp_path / "ck.npz")


def test_a_checkpoint_with_nan_weights_is_refused(tmp_path, tiny_config):
    build_gan(tiny_config()).save(tmp_path / "ck.npz")
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
def test_every_weight_is_counted_so_a_budget_below_them_stops_the_build(arch, tiny_config):
    gan = build_gan(tiny_config(arch))
    weights = sum(int(param.size) for net in (gan.G, gan.D)
                  for _, param, _ in net.parameters() if param.ndim > 1)
    gan.build(CountingGenerator([0, 1], budget=2 * weights))
    with pytest.raises(ModelTooLarge):
        gan.build(CountingGenerator([0, 1], budget=weights - 1))
