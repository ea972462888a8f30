"""The GANs: two architecture presets and one training step each.

`original`  the Keras DCGAN of the hobby project, layer for layer: a 2-D image GAN on the whole
            25 x 256 roll, binary cross-entropy, Adam(2e-4, 0.5), and per iteration one D update
            on 64 real rolls, one on 64 generated rolls, one G update through D on 128 latents.
`default`   ours, sized for a 2-core CPU. The drum rows are the channels of a 1-D signal over
            time and only the rows the training data uses are modelled. The generator is built
            around bars: a global latent becomes 8 bar codes, a small convolution across bars
            makes them cohere, and one shared bar decoder turns each bar code plus its own bar
            noise into 32 steps, so every bar starts on the grid and all bars share one
            vocabulary. The discriminator looks at the whole window with strided convolutions
            (with a minibatch-deviation channel, against mode collapse) and, beside it, at each
            bar through a convolution whose kernel and stride are one bar. Hinge loss, spectral
            norm in D, Adam(2e-4, 0.0, 0.9), and an exponential moving average of G's weights
            for sampling.

A `TrainConfig` describes a run completely; it is stored in every checkpoint, so `GAN.load`
rebuilds the model without any other knowledge.
"""
import dataclasses

import numpy as np

from drumroll.dataset import used_rows
from drumroll.format import NUM_ROWS, STEPS_PER_BAR, WINDOW_BARS, WINDOW_STEPS, pixels_to_unit
from gan_numpy.checkpoint import (CheckpointError, load_checkpoint, restore, rng_state,
                                  save_checkpoint, set_rng_state)
from gan_numpy.layers import (BatchNorm, Conv2D, ConvTranspose2D, Dense, Flatten, Layer,
                              LeakyReLU, MinibatchStdDev, ReLU, Reshape, SpectralNorm, Tanh)
from gan_numpy.losses import bce_with_logits, hinge_d_loss_fake, hinge_d_loss_real, hinge_g_loss
from gan_numpy.network import Sequential
from gan_numpy.optim import EMA, Adam

CHECKPOINT_FORMAT = "drumgan-checkpoint-1"
ARCHS = ("default", "original")


@dataclasses.dataclass
class TrainConfig:
    """Everything that defines a run. Fields left None take the preset's value (`resolved`)."""
    arch: str = "default"
    iterations: int = None
    batch: int = None
    lr: float = None
    beta1: float = None
    beta2: float = None
    latent: int = None            # global latent size (original: the only latent)
    bar_noise: int = 32           # default arch: noise per bar, joined to each bar code
    width: int = 64               # default arch: channels of the narrowest layers
    bar_decoder: str = "dense"    # default arch: "dense" (knows each step's place in the bar)
                                  # or "conv" (three stride-2 transposed convs, as findings.md)
    ema_decay: float = 0.999      # default arch: EMA of G's weights for sampling
    rotate_bars: bool = True      # default arch: augment real windows by rotating whole bars
    instance_noise: float = 0.0   # default arch: std of noise added to D's inputs, fading to 0
    seed: int = 0
    rows: list = None             # drum rows the training data uses (None: from the data);
                                  # the default arch models only these, both blank the rest
    holdout_songs: list = dataclasses.field(default_factory=list)
    data_digest: str = None       # fingerprint of the training windows, checked on --resume
    sample_every: int = 100
    checkpoint_every: int = 500

    def resolved(self):
        preset = PRESETS[self.arch]
        values = {name: (preset[name] if getattr(self, name) is None and name in preset
                         else getattr(self, name)) for name in self.field_names()}
        return dataclasses.replace(self, **values)

    @classmethod
    def field_names(cls):
        return [field.name for field in dataclasses.fields(cls)]

    @property
    def latent_size(self):
        """Length of one latent vector: the global latent, then the bar noises."""
        if self.arch == "original":
            return self.latent
        return self.latent + self.bar_noise * WINDOW_BARS


PRESETS = {
    "original": dict(iterations=6000, batch=128, lr=2e-4, beta1=0.5, beta2=0.999, latent=50),
    "default": dict(iterations=3000, batch=64, lr=2e-4, beta1=0.0, beta2=0.9, latent=64),
}


# ------------------------------------------------------------------------------ the original

def original_generator(config, rng):
    """latent (N, 50) -> (N, 1, 25, 256) in [-1, 1], as the Keras model."""
    return Sequential(
        Dense(config.latent, 64 * 5 * 128, rng=rng), LeakyReLU(0.2),
        Reshape((64, 5, 128)),                                        # (N, 64, 5, 128)
        ConvTranspose2D(64, 64, 4, stride=(5, 2), padding="same", rng=rng), LeakyReLU(0.2),  # 25 x 256
        Conv2D(64, 128, 4, padding="same", rng=rng), LeakyReLU(0.2),
        Conv2D(128, 1, 7, padding="same", rng=rng), Tanh(),
    )


def original_discriminator(config, rng):
    """(N, 1, 25, 256) -> logits (N, 1); the sigmoid lives in the loss."""
    return Sequential(
        Conv2D(1, 64, 4, stride=2, padding="same", rng=rng), LeakyReLU(0.2),  # (N, 64, 13, 128)
        Conv2D(64, 64, 4, stride=2, padding="same", rng=rng), LeakyReLU(0.2),  # (N, 64, 7, 64)
        Flatten(),
        Dense(64 * 7 * 64, 1, rng=rng),
    )


# ------------------------------------------------------------------------------- our default

def dense_bar_decoder(config, inputs, rows, rng):
    """(N*8, inputs) -> (N*8, R, 1, 32) with dense layers: every step of the bar has weights of
    its own, so the decoder can learn that a downbeat is not an offbeat."""
    hidden = 4 * config.width
    return Sequential(
        Dense(inputs, hidden, rng=rng), BatchNorm(hidden), ReLU(),
        Dense(hidden, hidden, rng=rng), BatchNorm(hidden), ReLU(),
        Dense(hidden, rows * STEPS_PER_BAR, rng=rng),
        Reshape((rows, 1, STEPS_PER_BAR)), Tanh(),                   # (N*8, R, 1, 32)
    )


def conv_bar_decoder(config, inputs, rows, rng):
    """(N*8, inputs) -> (N*8, R, 1, 32): dense to 4 steps, three stride-2 transposed convs."""
    wide, width = 2 * config.width, config.width
    return Sequential(
        Dense(inputs, wide * 4, rng=rng),
        Reshape((wide, 1, 4)),                                       # (N*8, 2W, 1, 4)
        BatchNorm(wide), ReLU(),
        ConvTranspose2D(wide, width, (1, 4), stride=(1, 2), padding="same", rng=rng),  # 8
        BatchNorm(width), ReLU(),
        ConvTranspose2D(width, width, (1, 4), stride=(1, 2), padding="same", rng=rng),  # 16
        BatchNorm(width), ReLU(),
        ConvTranspose2D(width, width, (1, 4), stride=(1, 2), padding="same", rng=rng),  # 32
        BatchNorm(width), ReLU(),
        Conv2D(width, rows, (1, 5), padding="same", rng=rng), Tanh(),  # (N*8, R, 1, 32)
    )


class BarGenerator(Layer):
    """latent (N, latent + 8 * bar_noise) -> (N, R, 1, 256): R drum rows as channels.

    global latent -> (N, 2W, 1, 8) bar codes -> conv across bars -> each bar code + its noise
    -> one bar decoder shared by all bars -> 32 steps per bar.
    """

    def __init__(self, config, rng=None):
        super().__init__()
        self.global_size, self.noise = config.latent, config.bar_noise
        wide, rows = 2 * config.width, len(config.rows)
        self.code_channels = wide
        self.bar_codes = Sequential(
            Dense(self.global_size, wide * WINDOW_BARS, rng=rng),
            Reshape((wide, 1, WINDOW_BARS)),                         # (N, 2W, 1, 8)
            BatchNorm(wide), ReLU(),
            Conv2D(wide, wide, (1, 3), padding="same", rng=rng),              # bar-to-bar coherence
            BatchNorm(wide), ReLU(),
        )
        self.bar_decoder = (dense_bar_decoder if config.bar_decoder == "dense"
                            else conv_bar_decoder)(config, wide + self.noise, rows, rng)

    def sublayers(self):
        return [("bar_codes", self.bar_codes), ("bar_decoder", self.bar_decoder)]

    def forward(self, z):
        n = len(z)
        codes = self.bar_codes.forward(z[:, :self.global_size])      # (N, 2W, 1, 8)
        noise = z[:, self.global_size:].reshape(n, self.noise, 1, WINDOW_BARS)
        joined = np.concatenate([codes, noise], axis=1)[:, :, 0, :]  # (N, 2W+B, 8)
        per_bar = joined.transpose(0, 2, 1).reshape(n * WINDOW_BARS, -1)  # bars into the batch
        bars = self.bar_decoder.forward(np.ascontiguousarray(per_bar))  # (N*8, R, 1, 32)
        rows = bars.shape[1]
        out = bars.reshape(n, WINDOW_BARS, rows, STEPS_PER_BAR).transpose(0, 2, 1, 3)
        return np.ascontiguousarray(out).reshape(n, rows, 1, WINDOW_STEPS)   # (N, R, 1, 256)

    def backward(self, dout):
        n, rows = dout.shape[:2]
        dbars = dout.reshape(n, rows, WINDOW_BARS, STEPS_PER_BAR).transpose(0, 2, 1, 3)
        dbars = np.ascontiguousarray(dbars).reshape(n * WINDOW_BARS, rows, 1, STEPS_PER_BAR)
        dper_bar = self.bar_decoder.backward(dbars)                  # (N*8, 2W+B)
        djoined = dper_bar.reshape(n, WINDOW_BARS, -1).transpose(0, 2, 1)  # (N, 2W+B, 8)
        dcodes = np.ascontiguousarray(djoined[:, :self.code_channels, None, :])
        self.bar_codes.backward(dcodes)
        return None   # the latent needs no gradient


class BarAwareDiscriminator(Layer):
    """(N, R, 1, 256) -> logits (N, 1), from a whole-window branch and a per-bar branch."""

    def __init__(self, config, rng=None):
        super().__init__()
        w, rows = config.width, len(config.rows)
        self.window = Sequential(
            SpectralNorm(Conv2D(rows, w, (1, 4), stride=(1, 2), rng=rng), rng=rng), LeakyReLU(0.2),      # 128
            SpectralNorm(Conv2D(w, 2 * w, (1, 4), stride=(1, 2), rng=rng), rng=rng), LeakyReLU(0.2),     # 64
            SpectralNorm(Conv2D(2 * w, 2 * w, (1, 4), stride=(1, 2), rng=rng), rng=rng), LeakyReLU(0.2),  # 32
            SpectralNorm(Conv2D(2 * w, 4 * w, (1, 4), stride=(1, 2), rng=rng), rng=rng), LeakyReLU(0.2),  # 16
            MinibatchStdDev(),                                       # (N, 4W+1, 1, 16)
            SpectralNorm(Conv2D(4 * w + 1, 4 * w, (1, 4), stride=(1, 2), rng=rng), rng=rng), LeakyReLU(0.2),  # 8
            Flatten(),                                               # (N, 4W*8)
        )
        self.per_bar = Sequential(
            SpectralNorm(Conv2D(rows, 2 * w, (1, STEPS_PER_BAR), stride=(1, STEPS_PER_BAR),
                                padding="valid", rng=rng), rng=rng), LeakyReLU(0.2),   # (N, 2W, 1, 8): one per bar
            SpectralNorm(Conv2D(2 * w, 2 * w, (1, 3), rng=rng), rng=rng), LeakyReLU(0.2),  # across bars
            Flatten(),                                               # (N, 2W*8)
        )
        self.window_features = 4 * w * WINDOW_BARS
        self.head = Sequential(SpectralNorm(Dense(self.window_features + 2 * w * WINDOW_BARS, 1, rng=rng), rng=rng))

    def sublayers(self):
        return [("window", self.window), ("per_bar", self.per_bar), ("head", self.head)]

    def forward(self, x):
        features = np.concatenate([self.window.forward(x), self.per_bar.forward(x)], axis=1)
        return self.head.forward(features)                           # (N, 1)

    def backward(self, dlogits):
        dfeatures = self.head.backward(dlogits)
        dwindow = np.ascontiguousarray(dfeatures[:, :self.window_features])
        dbars = np.ascontiguousarray(dfeatures[:, self.window_features:])
        return self.window.backward(dwindow) + self.per_bar.backward(dbars)


# ---------------------------------------------------------------------------- the GAN itself

class GAN:
    """Generator, discriminator, their optimizers, the EMA generator, the RNG and the step."""

    def __init__(self, config, images=None):
        config = config.resolved()
        if config.arch not in ARCHS:
            raise ValueError(f"unknown architecture {config.arch!r}; choose from {ARCHS}")
        if config.rows is None:
            config.rows = used_rows(images) if images is not None else list(range(NUM_ROWS))
        self.config = config
        self.rng = np.random.default_rng(config.seed)   # batches and latents
        init = np.random.default_rng([config.seed, 1])  # initial weights
        if config.arch == "original":
            self.G, self.D = original_generator(config, init), original_discriminator(config, init)
            self.ema = None
        else:
            self.G, self.D = BarGenerator(config, init), BarAwareDiscriminator(config, init)
            self.ema = EMA(self.G, config.ema_decay)
            # a generator of the same shape to sample with the averaged weights; they
            # overwrite its own at every sample() call, so its initial weights never matter
            self.ema_generator = BarGenerator(config, rng=0)
        self.opt_G = Adam(self.G, config.lr, config.beta1, config.beta2)
        self.opt_D = Adam(self.D, config.lr, config.beta1, config.beta2)
        self.step = 0

    # ---- data layout
    def prepare_data(self, images):
        """uint8 rolls (N, 25, 256) -> the model's input layout, float32 in [-1, 1]."""
        unit = pixels_to_unit(images)                                # (N, 25, 256)
        if self.config.arch == "original":
            return unit[:, None, :, :]                               # (N, 1, 25, 256)
        return np.ascontiguousarray(unit[:, self.config.rows, None, :])  # (N, R, 1, 256)

    def to_rolls(self, output):
        """Model output -> (N, 25, 256) float in [-1, 1]; unmodelled rows are empty (+1)."""
        if self.config.arch == "original":
            rolls = output[:, 0].copy()
            unused = [row for row in range(NUM_ROWS) if row not in self.config.rows]
            rolls[:, unused] = 1.0
            return rolls
        rolls = np.ones((len(output), NUM_ROWS, WINDOW_STEPS), dtype=np.float32)
        rolls[:, self.config.rows] = output[:, :, 0, :]
        return rolls

    def latents(self, n, rng=None):
        rng = self.rng if rng is None else rng
        return rng.standard_normal((n, self.config.latent_size), dtype=np.float32)

    # ---- one training iteration
    def train_step(self, data):
        """One iteration on training data in the model layout; returns losses and accuracies."""
        if self.config.arch == "original":
            stats = self.original_step(data)
        else:
            stats = self.default_step(data)
        self.step += 1
        return stats

    def original_step(self, data):
        """As the Keras notebook: D on half a batch of real, D on half of fake, G on a batch."""
        half = self.config.batch // 2
        real = data[self.rng.integers(0, len(data), half)]
        logits_real = self.D.forward(real)
        loss_real, dlogits = bce_with_logits(logits_real, 1.0)
        self.D.backward(dlogits)
        self.opt_D.step()

        fake = self.G.forward(self.latents(half))
        logits_fake = self.D.forward(fake)
        loss_fake, dlogits = bce_with_logits(logits_fake, 0.0)
        self.D.backward(dlogits)
        self.opt_D.step()

        # G learns through a frozen D: D's gradients are computed but never applied
        logits = self.D.forward(self.G.forward(self.latents(self.config.batch)))
        g_loss, dlogits = bce_with_logits(logits, 1.0)
        self.G.backward(self.D.backward(dlogits))
        self.opt_G.step()
        return {"d_loss": 0.5 * (loss_real + loss_fake), "g_loss": g_loss,
                "d_real_acc": float(np.mean(logits_real > 0)),
                "d_fake_acc": float(np.mean(logits_fake < 0))}

    def default_step(self, data):
        """Hinge loss; one D step on a real and a generated batch, one G step; EMA update."""
        batch = self.config.batch
        real = data[self.rng.integers(0, len(data), batch)]
        if self.config.rotate_bars:
            real = self.rotate_bars(real)
        fake = self.G.forward(self.latents(batch))

        # real and fake go through D separately so the minibatch deviation sees one kind
        logits_real = self.D.forward(self.with_noise(real))
        loss_real, dlogits = hinge_d_loss_real(logits_real)
        self.D.backward(dlogits)
        real_grads = [grad.copy() for _, _, grad in self.D.parameters()]
        logits_fake = self.D.forward(self.with_noise(fake))
        loss_fake, dlogits = hinge_d_loss_fake(logits_fake)
        self.D.backward(dlogits)
        for (_, _, grad), real_grad in zip(self.D.parameters(), real_grads):
            grad += real_grad
        self.opt_D.step()

        logits = self.D.forward(self.with_noise(self.G.forward(self.latents(batch))))
        g_loss, dlogits = hinge_g_loss(logits)
        self.G.backward(self.D.backward(dlogits))
        self.opt_G.step()
        self.ema.update()
        return {"d_loss": loss_real + loss_fake, "g_loss": g_loss,
                "d_real_acc": float(np.mean(logits_real > 0)),
                "d_fake_acc": float(np.mean(logits_fake < 0))}

    def with_noise(self, x):
        """x plus Gaussian instance noise whose std fades linearly to 0 over the run.

        Real rolls are exactly -1 or +1; a generator unsure about a rare hit outputs values in
        between, which D can spot without judging the music. Noise blurs that tell early on.
        """
        sigma = self.config.instance_noise * max(0.0, 1.0 - self.step / self.config.iterations)
        if sigma == 0:
            return x
        return x + (sigma * self.rng.standard_normal(x.shape)).astype(x.dtype)

    def rotate_bars(self, windows):
        """Rotate each window (N, R, 1, 256) by a random number of whole bars.

        Windows already start at every bar of a song; rotating adds new orders of the same
        bars, so D cannot simply remember whole windows and G has less reason to copy them.
        """
        shift = self.rng.integers(0, WINDOW_BARS, len(windows)) * STEPS_PER_BAR     # (N,)
        steps = (np.arange(WINDOW_STEPS)[None, :] + shift[:, None]) % WINDOW_STEPS  # (N, 256)
        return np.take_along_axis(windows, steps[:, None, None, :], axis=3)

    # ---- sampling
    def sample(self, n, rng=None, batch=256):
        """n generated rolls (n, 25, 256) in [-1, 1] (hit = -1), from the EMA generator.

        Batch norm uses the statistics of the sampling batch, as in training, so samples are
        drawn in batches of at least 64 even when fewer are asked for.
        """
        generator = self.G
        if self.ema is not None:
            generator = self.ema.copy_to(self.ema_generator)
        rng = np.random.default_rng(self.config.seed + 1) if rng is None else rng
        out = []
        for start in range(0, n, batch):
            size = max(min(batch, n - start), 64)
            out.append(self.to_rolls(generator.forward(self.latents(size, rng)))[:n - start])
        return np.concatenate(out)[:n]

    def sample_fixed(self, n):
        """The same n latent points at every call: for grids showing training progress."""
        return self.sample(n, rng=np.random.default_rng(self.config.seed + 2))

    # ---- checkpoints
    def parts(self):
        parts = {"G": self.G, "D": self.D, "opt_G": self.opt_G, "opt_D": self.opt_D}
        if self.ema is not None:
            parts["G_ema"] = self.ema
        return parts

    def save(self, path):
        arrays = {}
        for prefix, part in self.parts().items():
            for name, array in part.state_dict().items():
                arrays[f"{prefix}/{name}"] = array
        meta = {"format": CHECKPOINT_FORMAT, "config": dataclasses.asdict(self.config),
                "step": self.step, "rng": rng_state(self.rng)}
        save_checkpoint(path, arrays, meta)

    @classmethod
    def load(cls, path):
        """Rebuild a GAN from a checkpoint alone: its config says how to build the model."""
        arrays, meta = load_checkpoint(path)
        if meta.get("format") != CHECKPOINT_FORMAT or "config" not in meta:
            raise CheckpointError(f"{path}: not a drumgan checkpoint")
        try:
            config = TrainConfig(**{key: value for key, value in meta["config"].items()
                                    if key in TrainConfig.field_names()})
            gan = cls(config)
            gan.step = int(meta["step"])
            set_rng_state(gan.rng, meta["rng"])
        except (KeyError, TypeError, ValueError) as error:
            raise CheckpointError(f"{path}: unusable configuration ({error})") from None
        for prefix, part in gan.parts().items():
            restore(part, arrays, prefix + "/", path)
        return gan
