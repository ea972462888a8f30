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

from drumroll.dataset import Windows, as_windows
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


def load_gan(path):
    """Rebuild a GAN from a checkpoint alone -> DrumGAN. CheckpointError naming the file."""
    arrays, meta = load_checkpoint(path)
    try:
        if meta.get("format") == FIRST_FORMAT:
            meta = upgrade_first_format(meta)
        if meta.get("format") != CHECKPOINT_FORMAT:
            raise CheckpointError(f"{path}: not a drumgan checkpoint")
        gan_class = architecture(meta["arch"])
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
