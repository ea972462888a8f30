"""What every drum GAN shares: its configuration, sampling, checkpoints, the step counter.

A run is described by ONE dataclass per architecture, saved in every checkpoint: RunConfig
here holds what every run has (how long and how fast it trains, its seed, and what is read
from the training data), and each architecture subclasses it with its networks' sizes and its
own defaults. A setting with help text is a train_gan.py option: the command line is built
from these dataclasses (`options`), so each default, limit and help text is written once.
Settings without help text are read from the training data, in one place: `with_data`.

An architecture is one subclass of DrumGAN that says how to build G and D (`build`), how
training windows are laid out for its networks (`prepare_data` -> TrainingSet, `to_rolls`),
the size of one latent vector, and one training iteration (`train_step`). Everything else
lives here.
"""
import dataclasses
import hashlib
import math
import typing

import numpy as np

from drumroll.format import LOWEST_NOTE, NUM_ROWS
from drumroll.windows import as_windows, used_rows
from gan_numpy.checkpoint import restore, rng_state, save_checkpoint, set_rng_state
from gan_numpy.optim import Adam

CHECKPOINT_FORMAT = "drumgan-checkpoint-3"
MIN_SAMPLING_BATCH = 64  # batch norm uses the statistics of the sampling batch: never fewer
SAMPLING_BATCH = 256     # windows sampled at once: memory stays flat for any number of them
MAX_PARAMETERS = 50_000_000   # 200 MB of weights, about 1 GB with gradients, Adam and the EMA;
                              # the default networks have 1 to 2.5 million


STEP_DIGITS = 7                 # checkpoints and sample grids are named by their step in 7 digits
MAX_ITERATIONS = 10 ** STEP_DIGITS - 1
MAX_BATCH = 1024                # windows in one batch: 16 times the default; memory grows with
                                # it, about 0.7 MB a window for the song model


class ModelTooLarge(ValueError):
    """A configuration whose networks would be too large to build."""


def setting(default, help, low=None, high=None, above=None, choices=None):
    """A field of a run configuration that is also a train_gan.py option.

    help: the option's help text; low / high: the smallest / largest value allowed, above: a
    bound the value must exceed; choices: the values allowed (e.g. the bar decoders).
    """
    limits = {"low": low, "high": high, "above": above, "choices": choices}
    return dataclasses.field(default=default, metadata={
        "help": help, **{key: value for key, value in limits.items() if value is not None}})


def from_data(default=None):
    """A field read from the training data (see RunConfig.with_data), never an option."""
    if isinstance(default, (list, dict)):
        return dataclasses.field(default_factory=lambda: type(default)(default))
    return dataclasses.field(default=default)


@dataclasses.dataclass
class RunConfig:
    """A run's configuration: what every drum GAN has. Architectures subclass it with their
    networks' settings and override the defaults they need (a plain `batch: int = 128` keeps
    the help text and limits given here)."""
    # how the run trains
    iterations: int = setting(3000, "total training iterations", low=1, high=MAX_ITERATIONS)
    batch: int = setting(64, "batch size", low=1, high=MAX_BATCH)
    lr: float = setting(2e-4, "Adam learning rate", above=0)
    beta1: float = setting(0.0, "Adam's beta1 (momentum)", low=0, high=0.999)
    beta2: float = setting(0.9, "Adam's beta2", low=0, high=0.9999)
    seed: int = setting(0, "random seed: initial weights, batches and latents", low=0)
    holdout: float = setting(0.25, "share of songs kept out of training for evaluation "
                                   "(0 trains on every song)", low=0, high=0.99)
    holdout_from: str = setting("", "keep out the songs whose file path holds this text "
                                    "instead, e.g. eval_session (a session of a drummer)")
    sample_every: int = setting(100, "iterations between sample grids", low=1,
                                high=MAX_ITERATIONS)
    checkpoint_every: int = setting(250, "iterations between checkpoints", low=1,
                                    high=MAX_ITERATIONS)
    # the networks
    latent: int = setting(64, "size of the latent vector G starts from (the song and bar "
                              "models: the global latent, beside the bar noise)", low=1)
    # read from the training data (with_data)
    rows: list = from_data(list(range(NUM_ROWS)))   # drum rows the training data uses; rows
                                        # outside them are blank in every output
    lowest_note: int = from_data(LOWEST_NOTE)   # the MIDI note of row 0, as the dataset was cut
    holdout_songs: list = from_data([])  # the songs kept out of training
    data_digest: str = from_data()      # fingerprint of the training windows, checked on resume
    tempo: float = from_data()          # median tempo of the training songs: generation's default
    row_names: list = from_data()       # the drum map's name of each row (None: General MIDI)

    def __post_init__(self):
        check_settings(self)

    def with_data(self, windows):
        """A copy with every setting that comes from the training windows filled in: the one
        place a configuration is derived from the data. Architectures add their own."""
        windows = as_windows(windows)
        return dataclasses.replace(
            self, rows=used_rows(windows.images), lowest_note=windows.lowest_note,
            holdout_songs=list(windows.held_out), data_digest=data_digest(windows.images),
            tempo=windows.tempo, row_names=windows.row_names)

    def note_names(self):
        """{note: name} of the rows, as the training data's drum map names them, or None
        (General MIDI names) for a run that does not know them."""
        if self.row_names is None:
            return None
        return {self.lowest_note + row: name for row, name in enumerate(self.row_names)}


def data_digest(images):
    """A short fingerprint of the training windows, so a run is never resumed on other data."""
    return hashlib.sha1(np.ascontiguousarray(images).tobytes()).hexdigest()[:16]


# ------------------------------------------------------------------- options and their limits

def options(config_class):
    """{name: field} of a configuration's settings that are options, in field order."""
    return {field.name: field for field in dataclasses.fields(config_class)
            if limits(config_class, field.name) is not None}


def limits(config_class, name):
    """The metadata (help, limits) of setting `name`: the nearest class in config_class's
    ancestry that gives it help text (an override of a default keeps its parent's), or None
    for a field read from the data."""
    for cls in config_class.__mro__:
        field = getattr(cls, "__dataclass_fields__", {}).get(name)
        if field is not None and "help" in field.metadata:
            return field.metadata
    return None


def setting_problem(config_class, name, value):
    """Why `value` cannot be the setting `name` (a short phrase), or None when it can."""
    meta = limits(config_class, name)
    kind = typing.get_type_hints(config_class)[name]
    if kind is bool:
        return None if isinstance(value, bool) else "must be true or false"
    if kind is str and not isinstance(value, str):
        return "must be text"
    if kind in (int, float):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or (
                kind is int and not float(value).is_integer()):
            return f"must be {'a whole number' if kind is int else 'a number'}"
        if not math.isfinite(value):
            return "must be a finite number"
    if "choices" in meta and value not in meta["choices"]:
        return f"must be one of {', '.join(map(str, meta['choices']))}"
    if "low" in meta and value < meta["low"]:
        return f"must be at least {shown(meta['low'])}"
    if "high" in meta and value > meta["high"]:
        return f"must be at most {shown(meta['high'])}"
    if "above" in meta and not value > meta["above"]:
        return f"must be more than {shown(meta['above'])}"
    return None


def shown(limit):
    """A limit as a person reads it: 9,999,999 or 0.999."""
    return f"{limit:,}" if float(limit).is_integer() and abs(limit) >= 1000 else f"{limit:g}"


def check_settings(config):
    """ValueError naming the first setting of `config` outside its limits."""
    for name in options(type(config)):
        problem = setting_problem(type(config), name, getattr(config, name))
        if problem:
            raise ValueError(f"{name} {getattr(config, name)!r}: {problem}")
    return config


# ------------------------------------------------------------------------------ weights

class CountingGenerator(np.random.Generator):
    """A numpy Generator that counts the random values drawn from it and stops at a budget.

    Every weight of a new network is drawn from its initialisation generator, so counting the
    draws counts the parameters while the networks are being built, before a too large
    weight matrix is allocated: a configuration asking for billions of parameters is refused
    at once instead of ending in a MemoryError. The numbers drawn are those of the plain
    Generator on the same seed.
    """

    def __init__(self, seed, budget):
        super().__init__(np.random.default_rng(seed).bit_generator)
        self.budget = budget
        self.drawn = 0

    def count(self, size):
        self.drawn += math.prod(np.atleast_1d(size).tolist()) if size is not None else 1
        if self.drawn > self.budget:
            raise ModelTooLarge(f"the networks would have more than {self.budget:,} "
                                "parameters")

    def uniform(self, low=0.0, high=1.0, size=None):
        self.count(size)
        return super().uniform(low, high, size)

    def standard_normal(self, size=None, dtype=np.float64, out=None):
        self.count(size)
        return super().standard_normal(size, dtype, out)


@dataclasses.dataclass
class TrainingSet:
    """Training windows in a model's own input layout (`prepare_data`), what train_step draws
    its batches from."""
    x: np.ndarray                 # (N, C, H, W) float32, the networks' input layout
    roles: np.ndarray = None      # (N, 8) int8 role of every bar, for models told the roles
    chance: np.ndarray = None     # (N,) chance of each window to be drawn; None: all alike

    def __len__(self):
        return len(self.x)

    def draw(self, rng, batch):
        """Indices of a batch of windows: `batch` draws with replacement, by chance."""
        if self.chance is None:
            return rng.integers(0, len(self.x), batch)
        return rng.choice(len(self.x), batch, p=self.chance)


class DrumGAN:
    """Generator, discriminator, their optimizers, the random stream and the step counter.

    Subclasses set `arch` (the name in checkpoints and on the command line) and `Config`
    (their RunConfig dataclass).
    """
    arch = None
    Config = RunConfig

    def __init__(self, config=None, windows=None):
        """config: the run's configuration, complete (see RunConfig.with_data); windows: the
        training Windows, for models that keep something of them (the song model's roles)."""
        self.config = config if config is not None else self.Config()
        self.rng = np.random.default_rng(self.config.seed)          # batches and latents
        init = CountingGenerator([self.config.seed, 1], MAX_PARAMETERS)  # initial weights
        self.G, self.D = self.build(init)
        adam = (self.config.lr, self.config.beta1, self.config.beta2)
        self.opt_G, self.opt_D = Adam(self.G, *adam), Adam(self.D, *adam)
        self.step = 0

    # ---- what an architecture defines
    def build(self, rng):
        """-> (G, D), their initial weights drawn from rng."""
        raise NotImplementedError

    @property
    def latent_size(self):
        raise NotImplementedError

    def prepare_data(self, windows):
        """Windows -> TrainingSet: the networks' input layout, float32 in [-1, 1]."""
        raise NotImplementedError

    def to_rolls(self, output):
        """Generator output -> (N, 25, 256) float in [-1, 1]; unmodelled rows empty (+1)."""
        raise NotImplementedError

    def train_step(self, data):
        """One training iteration on a TrainingSet -> {'d_loss', 'g_loss', 'd_real_acc',
        'd_fake_acc'}; counts the step."""
        raise NotImplementedError

    # ---- shared
    def latents(self, n, rng=None):
        rng = self.rng if rng is None else rng
        return rng.standard_normal((n, self.latent_size), dtype=np.float32)

    def sampling_generator(self):
        """The network samples come from (architectures with an EMA of G return that)."""
        return self.G

    def sample(self, n, rng=None):
        """n generated rolls (n, 25, 256) in [-1, 1] (hit = -1).

        Batch norm uses the statistics of the sampling batch, as in training, so samples are
        drawn in batches of at least MIN_SAMPLING_BATCH even when fewer are asked for.
        """
        generator = self.sampling_generator()
        rng = np.random.default_rng(self.config.seed + 1) if rng is None else rng
        out = []
        for start in range(0, n, SAMPLING_BATCH):
            size = max(min(SAMPLING_BATCH, n - start), MIN_SAMPLING_BATCH)
            out.append(self.to_rolls(generator.forward(self.latents(size, rng)))[:n - start])
        return np.concatenate(out)[:n]

    def sample_with_feel(self, n, rng=None):
        """n rolls as sample() and how their hits are played: MIDI velocities (n, 25, 256)
        uint8 and offsets (n, 25, 256) int8, or None for a model that learns neither (the
        default)."""
        return self.sample(n, rng=rng), None, None

    def sample_fixed(self, n):
        """The same n latent points at every call: for grids showing training progress."""
        return self.sample(n, rng=np.random.default_rng(self.config.seed + 2))

    # ---- checkpoints
    def parts(self):
        """{prefix: object with state_dict / load_state_dict} saved in a checkpoint."""
        return {"G": self.G, "D": self.D, "opt_G": self.opt_G, "opt_D": self.opt_D}

    def describe(self):
        """The JSON-serialisable description of this run (checkpoint, config.json)."""
        return {"arch": self.arch, "config": dataclasses.asdict(self.config)}

    def save(self, path):
        arrays = {}
        for prefix, part in self.parts().items():
            for name, array in part.state_dict().items():
                arrays[f"{prefix}/{name}"] = array
        meta = {"format": CHECKPOINT_FORMAT, **self.describe(), "step": self.step,
                "rng": rng_state(self.rng)}
        save_checkpoint(path, arrays, meta)

    def load_state(self, arrays, meta, path):
        """Restore weights, optimizer moments, step and random stream from a checkpoint."""
        for prefix, part in self.parts().items():
            restore(part, arrays, prefix + "/", path)
        self.step = int(meta["step"])
        set_rng_state(self.rng, meta["rng"])
