"""The drum GANs: one class per architecture on a small shared base (base.DrumGAN).

    original   the hobby project's Keras DCGAN, layer for layer (original.py)
    bars       ours: a generator and a discriminator built around bars (bars.py)
    song       ours, the default: the bar GAN told each bar's role in its song (ordinary bar,
               fill, first bar of a new groove), with velocities (song.py); it writes 8-bar
               patterns and, with drumroll/songwriter.py, whole songs

`build_gan` makes a new model from a model configuration, `load_gan` rebuilds one from a
checkpoint alone: the checkpoint names its architecture and holds both configurations.
"""
import dataclasses
import json
import math

from drumroll.dataset import Windows, as_windows
from drumroll.format import NUM_ROWS
from drumroll.models.bars import BarGAN
from drumroll.models.base import (CHECKPOINT_FORMAT, DrumGAN, ModelConfig, ModelTooLarge,
                                  TrainConfig)
from drumroll.models.original import OriginalGAN
from drumroll.models.song import SongGAN
from gan_numpy.checkpoint import CheckpointError, load_checkpoint

ARCHITECTURES = {gan.arch: gan for gan in (SongGAN, BarGAN, OriginalGAN)}
DEFAULT_ARCH = SongGAN.arch

__all__ = ["ARCHITECTURES", "DEFAULT_ARCH", "DrumGAN", "ModelConfig", "ModelTooLarge",
           "TrainConfig", "Windows", "as_windows",
           "architecture", "architecture_of", "build_gan", "load_gan"]


def architecture(arch):
    if arch not in ARCHITECTURES:
        raise ValueError(f"unknown architecture {arch!r}; choose from {', '.join(ARCHITECTURES)}")
    return ARCHITECTURES[arch]


def architecture_of(model):
    """The DrumGAN class whose model configuration `model` is."""
    for gan_class in ARCHITECTURES.values():
        if type(model) is gan_class.Config:
            return gan_class
    raise ValueError(f"{type(model).__name__} is not the configuration of an architecture")


def build_gan(model, train=None, data=None):
    """A new GAN for a model configuration (its class names the architecture)."""
    return architecture_of(model)(model, train, data)


# checkpoint-1 (before one class per architecture) kept one flat config for both networks
FIRST_FORMAT = "drumgan-checkpoint-1"
FIRST_FORMAT_ARCHS = {"default": "bars", "original": "original"}


def upgrade_first_format(meta):
    """Metadata of a drumgan-checkpoint-1 file -> the current layout (same arrays)."""
    flat = dict(meta["config"])
    arch = FIRST_FORMAT_ARCHS[flat.pop("arch")]
    train_fields = {field.name for field in dataclasses.fields(TrainConfig)}
    model_fields = {field.name for field in dataclasses.fields(ARCHITECTURES[arch].Config)}
    return {**meta, "format": CHECKPOINT_FORMAT, "arch": arch,
            "model": {k: v for k, v in flat.items() if k in model_fields},
            "train": {k: v for k, v in flat.items() if k in train_fields}}


def whole(value, low, high=math.inf):
    """A JSON whole number (not true/false) from low to high."""
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def number(value, low, high=math.inf):
    """A finite JSON number from low to high."""
    return (isinstance(value, (int, float)) and not isinstance(value, bool)
            and math.isfinite(value) and low <= value <= high)


def numbers(value, low, length=None):
    """A non-empty list of numbers of at least `low` (of `length` numbers when given)."""
    return (isinstance(value, list) and len(value) > 0 and all(number(x, low) for x in value)
            and (length is None or len(value) == length))


def whole_numbers(value):
    """A list of whole numbers of at least 1."""
    return isinstance(value, list) and all(whole(x, 1) for x in value)


def form_statistics_fit(form):
    """The song writer's form statistics (phrases.form_statistics) as it can draw from them."""
    return isinstance(form, dict) and (
        whole_numbers(form.get("section_lengths", [8]))
        and number(form.get("returns", 0.0), 0, 1)
        and number(form.get("fill_before_change", 0.0), 0, 1)
        and isinstance(form.get("role_transitions", []), list)
        and all(numbers(row, 0, 3) for row in form.get("role_transitions", []))
        and len(form.get("role_transitions", [[0] * 3] * 3)) == 3)


SIZE = (lambda value: whole(value, 1), "a whole number of at least 1")
SHARE = (lambda value: number(value, 0, 1), "a number from 0 to 1")
# what each field of a checkpoint's configuration must hold for the networks to be built and
# to play: (test, what to say); a field not named here is checked by its dataclass
CONFIG_FIELDS = {
    "model.rows": (lambda value: isinstance(value, list) and len(value) > 0
                   and all(whole(row, 0, NUM_ROWS - 1) for row in value)
                   and len(set(value)) == len(value),
                   f"a list of different rows from 0 to {NUM_ROWS - 1}"),
    "model.lowest_note": (lambda value: whole(value, 0, 128 - NUM_ROWS),
                          f"a MIDI note from 0 to {128 - NUM_ROWS} (its {NUM_ROWS} rows must be "
                          "notes up to 127)"),
    "model.latent": SIZE, "model.bar_noise": SIZE, "model.width": SIZE,
    "model.ema_decay": SHARE, "model.instance_noise": SHARE,
    "model.rotate_bars": (lambda value: isinstance(value, bool), "true or false"),
    "model.usual_velocity": (lambda value: whole(value, 1, 127), "a MIDI velocity, 1 to 127"),
    "model.velocity_levels": (lambda value: value is None or numbers(value, 1e-6),
                              "a list of positive numbers"),
    "model.velocity_shares": (lambda value: value is None or numbers(value, 0),
                              "a list of numbers of at least 0"),
    "model.form": (lambda value: value is None or form_statistics_fit(value),
                   "form statistics: section_lengths whole numbers of at least 1, returns and "
                   "fill_before_change from 0 to 1, role_transitions 3 x 3 numbers of at least 0"),
    "train.iterations": SIZE, "train.batch": SIZE, "train.sample_every": SIZE,
    "train.checkpoint_every": SIZE,
    "train.lr": (lambda value: number(value, 1e-30), "a positive number"),
    "train.beta1": SHARE, "train.beta2": SHARE,
    "train.seed": (lambda value: whole(value, 0), "a whole number of at least 0"),
    "train.holdout_songs": (lambda value: isinstance(value, list)
                            and all(isinstance(name, str) for name in value), "a list of names"),
    "train.tempo": (lambda value: value is None or number(value, 1e-6),
                    "a tempo in bpm (a positive number)"),
}


def check_config(meta, path):
    """CheckpointError naming the file and the field when a checkpoint's configuration holds
    a value the networks cannot be built or play with (a hand-edited file: width 0, a lowest
    note whose rows pass 127, a tempo of "fast", form statistics with sections of 0 bars)."""
    for part in ("model", "train"):
        if not isinstance(meta.get(part), dict):
            raise CheckpointError(f"{path}: {part}: not a configuration (a JSON object)")
    for part in ("model", "train"):
        for name, value in meta[part].items():
            test, what = CONFIG_FIELDS.get(f"{part}.{name}", (lambda value: True, ""))
            if not test(value):
                raise CheckpointError(f"{path}: {part}.{name} is {json_text(value)}; it must be "
                                      f"{what} (a hand-edited checkpoint?)")
    if not whole(meta.get("step"), 0):
        raise CheckpointError(f"{path}: step is {json_text(meta.get('step'))}; it must be a "
                              "whole number of at least 0")


def json_text(value, limit=40):
    """A value as the checkpoint writes it, cut to `limit` characters."""
    text = json.dumps(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."


def load_gan(path):
    """Rebuild a GAN from a checkpoint alone -> DrumGAN. CheckpointError naming the file."""
    arrays, meta = load_checkpoint(path)
    try:
        if meta.get("format") == FIRST_FORMAT:
            meta = upgrade_first_format(meta)
        if meta.get("format") != CHECKPOINT_FORMAT:
            raise CheckpointError(f"{path}: not a drumgan checkpoint")
        gan_class = architecture(meta["arch"])
        check_config(meta, path)
        gan = gan_class(gan_class.Config(**meta["model"]), TrainConfig(**meta["train"]))
        gan.load_state(arrays, meta, path)
    except CheckpointError:
        raise
    except ModelTooLarge as error:
        sizes = {name: value for name, value in meta["model"].items() if name != "rows"}
        raise CheckpointError(f"{path}: refused: {error} (model configuration {sizes})") from None
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise CheckpointError(f"{path}: unusable configuration ({error}); "
                              "retrain the model (make train)") from None
    return gan
