"""What every drum GAN shares: its two configurations, sampling, checkpoints, the step counter.

A drum GAN is described by two dataclasses, both saved in every checkpoint:

* its model configuration (one dataclass per architecture, subclassing ModelConfig): what the
  networks look like and how they learn, e.g. latent size, width, augmentation;
* the run configuration, TrainConfig: how long, how fast, which seed, which data. Its
  optimizer settings default to the architecture's own (`DrumGAN.TRAINING`).

An architecture is one subclass of DrumGAN that says how to build G and D (`build`), how
training rolls are laid out for its networks (`prepare_data`, `to_rolls`), the size of one
latent vector and one training iteration (`update`). Everything else lives here.
"""
import dataclasses
import math

import numpy as np

from drumroll.dataset import as_windows, used_rows
from drumroll.format import LOWEST_NOTE, NUM_ROWS
from gan_numpy.checkpoint import restore, rng_state, save_checkpoint, set_rng_state
from gan_numpy.optim import Adam

CHECKPOINT_FORMAT = "drumgan-checkpoint-2"
SAMPLING_BATCH = 64     # batch norm uses the statistics of the sampling batch: never fewer
MAX_PARAMETERS = 50_000_000   # 200 MB of weights, about 1 GB with gradients, Adam and the EMA;
                              # the default networks have 1 to 2.5 million


class ModelTooLarge(ValueError):
    """A model configuration whose networks would be too large to build."""


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
class ModelConfig:
    """Base of the architectures' model configurations."""
    rows: list = None       # drum rows the training data uses (None: read from the data);
                            # rows outside it are blank in every output
    lowest_note: int = LOWEST_NOTE   # the MIDI note of row 0, as the dataset was cut


@dataclasses.dataclass
class TrainConfig:
    """How a run trains. None means: the architecture's own default (DrumGAN.TRAINING)."""
    iterations: int = None
    batch: int = None
    lr: float = None            # Adam
    beta1: float = None
    beta2: float = None
    seed: int = 0
    holdout_songs: list = dataclasses.field(default_factory=list)
    data_digest: str = None     # fingerprint of the training windows, checked on resume
    tempo: float = None         # median tempo of the training songs: generation's default
    sample_every: int = 100     # iterations between sample grids
    checkpoint_every: int = 250

    def resolved(self, defaults):
        """A copy with every None replaced by the value in `defaults` (a dict)."""
        return dataclasses.replace(self, **{
            name: value for name, value in defaults.items() if getattr(self, name) is None})


class DrumGAN:
    """Generator, discriminator, their optimizers, the random stream and the step counter.

    Subclasses set `arch` (the name in checkpoints and on the command line), `Config` (their
    ModelConfig dataclass) and `TRAINING` (their defaults for TrainConfig's None fields).
    """
    arch = None
    Config = ModelConfig
    TRAINING = {}

    def __init__(self, model=None, train=None, data=None):
        """data: the training Windows (or images), from which settings left None are read."""
        model = model if model is not None else self.Config()
        if model.rows is None:
            rows = used_rows(as_windows(data).images) if data is not None else list(range(NUM_ROWS))
            model = dataclasses.replace(model, rows=rows)
        self.model = model
        self.train_config = (train if train is not None else TrainConfig()).resolved(self.TRAINING)
        self.rng = np.random.default_rng(self.train_config.seed)   # batches and latents
        init = CountingGenerator([self.train_config.seed, 1], MAX_PARAMETERS)  # initial weights
        self.G, self.D = self.build(init)
        self.opt_G = Adam(self.G, *self.adam_settings())
        self.opt_D = Adam(self.D, *self.adam_settings())
        self.step = 0

    def adam_settings(self):
        config = self.train_config
        return config.lr, config.beta1, config.beta2

    # ---- what an architecture defines
    def build(self, rng):
        """-> (G, D), their initial weights drawn from rng."""
        raise NotImplementedError

    @property
    def latent_size(self):
        raise NotImplementedError

    def prepare_data(self, windows):
        """Windows -> what `update` takes: the networks' input layout, float32 in [-1, 1]."""
        raise NotImplementedError

    def to_rolls(self, output):
        """Generator output -> (N, 25, 256) float in [-1, 1]; unmodelled rows empty (+1)."""
        raise NotImplementedError

    def update(self, data):
        """One training iteration on data in the model layout -> dict of losses/accuracies."""
        raise NotImplementedError

    # ---- shared
    def train_step(self, data):
        stats = self.update(data)
        self.step += 1
        return stats

    def latents(self, n, rng=None):
        rng = self.rng if rng is None else rng
        return rng.standard_normal((n, self.latent_size), dtype=np.float32)

    def sampling_generator(self):
        """The network samples come from (architectures with an EMA of G return that)."""
        return self.G

    def sample(self, n, rng=None, batch=256):
        """n generated rolls (n, 25, 256) in [-1, 1] (hit = -1).

        Batch norm uses the statistics of the sampling batch, as in training, so samples are
        drawn in batches of at least SAMPLING_BATCH even when fewer are asked for.
        """
        generator = self.sampling_generator()
        rng = np.random.default_rng(self.train_config.seed + 1) if rng is None else rng
        out = []
        for start in range(0, n, batch):
            size = max(min(batch, n - start), SAMPLING_BATCH)
            out.append(self.to_rolls(generator.forward(self.latents(size, rng)))[:n - start])
        return np.concatenate(out)[:n]

    def sample_with_velocities(self, n, rng=None):
        """n rolls as sample() and their MIDI velocities (n, 25, 256) uint8, or None for a
        model without dynamics (the default)."""
        return self.sample(n, rng=rng), None

    def sample_fixed(self, n):
        """The same n latent points at every call: for grids showing training progress."""
        return self.sample(n, rng=np.random.default_rng(self.train_config.seed + 2))

    # ---- checkpoints
    def parts(self):
        """{prefix: object with state_dict / load_state_dict} saved in a checkpoint."""
        return {"G": self.G, "D": self.D, "opt_G": self.opt_G, "opt_D": self.opt_D}

    def describe(self):
        """The JSON-serialisable description of this model and run (checkpoint, config.json)."""
        return {"arch": self.arch, "model": dataclasses.asdict(self.model),
                "train": dataclasses.asdict(self.train_config)}

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
