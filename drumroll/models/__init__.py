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
import json
import math

from drumroll.dynamics import QUANTILES
from drumroll.format import NUM_ROWS
from drumroll.models.bars import BarGAN
from drumroll.models.base import (CHECKPOINT_FORMAT, DrumGAN, ModelTooLarge, RunConfig,
                                  TrainingSet, check_settings, options, setting_problem)
from drumroll.models.original import OriginalGAN
from drumroll.models.song import SongGAN
from drumroll.phrases import NUM_ROLES, PHRASE_GRID, PLACES
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


def texts(value):
    """A list of strings."""
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


def form_statistics_fit(form):
    """The song writer's form statistics (phrases.form_statistics) as it can draw from them."""
    return isinstance(form, dict) and (
        whole_numbers(form.get("section_lengths", [8]))
        and isinstance(form.get("sections", []), list)
        and all(isinstance(section, list) and len(section) == 3
                and whole(section[0], 0, PHRASE_GRID - 1) and whole(section[1], 1)
                and whole(section[2], 0, len(PLACES) - 1) for section in form.get("sections", []))
        and number(form.get("returns", 0.0), 0, 1)
        and number(form.get("fill_before_change", 0.0), 0, 1)
        and number(form.get("phrase_repeats", 0.0), 0, 1)
        and number(form.get("bar_repeats", 0.0), 0, 1)
        and isinstance(form.get("role_transitions", []), list)
        and all(numbers(row, 0, NUM_ROLES) for row in form.get("role_transitions", []))
        and len(form.get("role_transitions", [[0] * NUM_ROLES] * NUM_ROLES)) == NUM_ROLES)


OR_NONE = " (or null)"
# What each field a run reads from its data must hold for the networks to be built and to
# play: (test, what to say). The run's settings are checked by their own limits (base.setting).
DATA_FIELDS = {
    "rows": (lambda value: isinstance(value, list) and len(value) > 0
             and all(whole(row, 0, NUM_ROWS - 1) for row in value)
             and len(set(value)) == len(value),
             f"a list of different rows from 0 to {NUM_ROWS - 1}"),
    "lowest_note": (lambda value: whole(value, 0, 128 - NUM_ROWS),
                    f"a MIDI note from 0 to {128 - NUM_ROWS} (its {NUM_ROWS} rows must be notes "
                    "up to 127)"),
    "holdout_songs": (texts, "a list of names"),
    "data_digest": (lambda value: value is None or isinstance(value, str), "text" + OR_NONE),
    "tempo": (lambda value: value is None or number(value, 1e-6),
              "a tempo in bpm (a positive number)" + OR_NONE),
    "row_names": (lambda value: value is None or (texts(value) and len(value) == NUM_ROWS),
                  f"a list of {NUM_ROWS} names" + OR_NONE),
    "usual_velocity": (lambda value: whole(value, 1, 127), "a MIDI velocity, 1 to 127"),
    "usual_levels": (lambda value: value is None or (
        isinstance(value, list) and len(value) > 0 and all(whole(x, 1, 127) for x in value)),
        "a list of MIDI velocities, 1 to 127" + OR_NONE),
    "usual_shares": (lambda value: value is None or numbers(value, 0),
                     "a list of numbers of at least 0" + OR_NONE),
    "velocity_levels": (lambda value: value is None or numbers(value, 1e-6),
                        "a list of positive numbers" + OR_NONE),
    "velocity_shares": (lambda value: value is None or numbers(value, 0),
                        "a list of numbers of at least 0" + OR_NONE),
    "velocity_spread": (lambda value: number(value, 0), "a number of at least 0"),
    "velocity_quantiles": (lambda value: value is None or (isinstance(value, list) and all(
        row is None or (numbers(row, 0, QUANTILES) and row == sorted(row)) for row in value)),
        f"a list, one per row, of {QUANTILES} rising ratios or null" + OR_NONE),
    "offset_levels": (lambda value: value is None or (
        isinstance(value, list) and len(value) > 0 and all(whole(x, -128, 127) for x in value)),
        "a list of offsets, -128 to 127" + OR_NONE),
    "form": (lambda value: value is None or form_statistics_fit(value),
             "form statistics: sections [phase 0-7, bars of at least 1, place 0-2], "
             "section_lengths whole numbers of at least 1, returns, fill_before_change, "
             f"phrase_repeats and bar_repeats from 0 to 1, role_transitions {NUM_ROLES} x {NUM_ROLES} numbers "
             "of at least 0" + OR_NONE),
}


def check_config(meta, path, config_class):
    """CheckpointError naming the file and the field when a checkpoint's configuration holds
    a value the networks cannot be built or play with (a hand-edited file: width 0, a lowest
    note whose rows pass 127, a tempo of "fast", form statistics with sections of 0 bars)."""
    config = meta.get("config")
    if not isinstance(config, dict):
        raise CheckpointError(f"{path}: config: not a configuration (a JSON object)")
    settings = options(config_class)
    for name, value in config.items():
        if name in settings:
            problem = setting_problem(config_class, name, value)
        else:
            test, what = DATA_FIELDS.get(name, (lambda value: True, ""))
            problem = None if test(value) else f"it must be {what}"
        if problem:
            raise CheckpointError(f"{path}: config.{name} is {json_text(value)}; {problem} "
                                  "(a hand-edited checkpoint?)")
    quantiles = config.get("velocity_quantiles")
    if quantiles is not None and len(quantiles) != len(config.get("rows", [])):
        raise CheckpointError(f"{path}: config.velocity_quantiles has {len(quantiles)} rows, "
                              f"config.rows {len(config.get('rows', []))} (a hand-edited "
                              "checkpoint?)")
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
        meta = upgrade(meta)
        if meta.get("format") != CHECKPOINT_FORMAT:
            raise CheckpointError(f"{path}: not a drumgan checkpoint")
        gan_class = architecture(meta["arch"])
        check_config(meta, path, gan_class.Config)
        gan = gan_class(gan_class.Config(**meta["config"]))
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
