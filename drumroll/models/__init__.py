"""The drum GANs: one class per architecture on a small shared base (base.DrumGAN).

    song       ours, the default: the bar GAN told each bar's role in its song (ordinary bar,
               fill, first bar of a new groove), with velocities (song.py); it writes 8-bar
               patterns and, with drumroll/songwriter.py, whole songs
    bars       ours: a generator and a discriminator built around bars (bars.py)
    original   the hobby project's Keras DCGAN, layer for layer (original.py)

`build_gan` makes a new model from a run configuration and the training windows, `load_gan`
rebuilds one from a checkpoint alone: the checkpoint names its architecture and holds its
configuration. The models need NumPy alone (no MIDI library).
"""
from drumroll.models.bars import BarGAN
from drumroll.models.base import (CHECKPOINT_FORMAT, DrumGAN, ModelTooLarge, RunConfig,
                                  TrainingSet, check_settings, options)
from drumroll.models.original import OriginalGAN
from drumroll.models.song import SongGAN
from drumroll.windows import Windows, as_windows
from gan_numpy.checkpoint import CheckpointError, load_checkpoint

ARCHITECTURES = {gan.arch: gan for gan in (SongGAN, BarGAN, OriginalGAN)}
DEFAULT_ARCH = SongGAN.arch

__all__ = ["ARCHITECTURES", "DEFAULT_ARCH", "DrumGAN", "ModelTooLarge", "RunConfig",
           "TrainingSet", "Windows", "architecture", "architecture_of", "as_windows",
           "build_gan", "check_settings", "load_gan", "options"]


def architecture(arch):
    if arch not in ARCHITECTURES:
        raise ValueError(f"unknown architecture {arch!r}; choose from {', '.join(ARCHITECTURES)}")
    return ARCHITECTURES[arch]


def architecture_of(config):
    """The DrumGAN class whose run configuration `config` is."""
    for gan_class in ARCHITECTURES.values():
        if type(config) is gan_class.Config:
            return gan_class
    raise ValueError(f"{type(config).__name__} is not the configuration of an architecture")


def build_gan(config, windows=None):
    """A new GAN for a run configuration (its class names the architecture), its settings
    read from the training windows when they are given (RunConfig.with_data)."""
    if windows is not None:
        windows = as_windows(windows)
        config = config.with_data(windows)
    return architecture_of(config)(config, windows)


# Older checkpoints: format 1 kept one flat config for both networks, format 2 a model
# configuration and a run configuration; format 3 holds one configuration per run.
FIRST_FORMAT = "drumgan-checkpoint-1"
SECOND_FORMAT = "drumgan-checkpoint-2"
FIRST_FORMAT_ARCHS = {"default": "bars", "original": "original"}


def upgrade(meta):
    """Checkpoint metadata of an older format -> the current layout (the arrays are the same)."""
    if meta.get("format") == FIRST_FORMAT:
        flat = dict(meta["config"])
        meta = {**meta, "format": SECOND_FORMAT, "arch": FIRST_FORMAT_ARCHS[flat.pop("arch")],
                "model": flat, "train": {}}
    if meta.get("format") == SECOND_FORMAT:
        fields = ARCHITECTURES[meta["arch"]].Config.__dataclass_fields__
        merged = {**meta["model"], **meta["train"]}
        meta = {key: value for key, value in meta.items() if key not in ("model", "train")}
        meta.update(format=CHECKPOINT_FORMAT,
                    config={key: value for key, value in merged.items() if key in fields})
    if meta.get("arch") == SongGAN.arch and "config" in meta:
        # a song model saved before it learned timing plays every hit on its grid line
        meta["config"] = {"timing": False, **meta["config"]}
    return meta


def load_gan(path):
    """Rebuild a GAN from a checkpoint alone -> DrumGAN. CheckpointError naming the file."""
    arrays, meta = load_checkpoint(path)
    try:
        meta = upgrade(meta)
        if meta.get("format") != CHECKPOINT_FORMAT:
            raise CheckpointError(f"{path}: not a drumgan checkpoint")
        gan_class = architecture(meta["arch"])
        config = check_settings(gan_class.Config(**meta["config"]))
        gan = gan_class(config)
        gan.load_state(arrays, meta, path)
    except CheckpointError:
        raise
    except ModelTooLarge as error:
        sizes = {name: value for name, value in meta["config"].items() if name in options(
            ARCHITECTURES[meta["arch"]].Config)}
        raise CheckpointError(f"{path}: refused: {error} (configuration {sizes})") from None
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise CheckpointError(f"{path}: unusable configuration ({error}); "
                              "retrain the model (make train)") from None
    return gan
