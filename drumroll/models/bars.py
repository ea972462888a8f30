"""Our default drum GAN, sized for a 2-core CPU and built around bars (`--arch bars`).

The drum rows are the channels of a 1-D signal over time, and only the rows the training data
uses are modelled. The generator is built around bars: a global latent becomes 8 bar codes, a
small convolution across bars makes them cohere, and one shared bar decoder turns each bar code
plus its own bar noise into 32 steps, so every bar starts on the grid and all bars share one
vocabulary. The discriminator looks at the whole window with strided convolutions (with a
minibatch-deviation channel, against mode collapse) and, beside it, at each bar through a
convolution whose kernel and stride are one bar. Hinge loss, spectral norm in D,
Adam(2e-4, 0.0, 0.9), and an exponential moving average of G's weights for sampling.
"""
import dataclasses

import numpy as np

from drumroll.format import NUM_ROWS, STEPS_PER_BAR, WINDOW_BARS, WINDOW_STEPS, pixels_to_unit
from drumroll.models.base import DrumGAN, RunConfig, TrainingSet, setting
from drumroll.windows import as_windows
from gan_numpy.gan import HINGE, train_step
from gan_numpy.layers import (BatchNorm, Conv2D, ConvTranspose2D, Dense, Flatten, Layer,
                              LeakyReLU, MinibatchStdDev, ReLU, Reshape, Sequential,
                              SpectralNorm, Tanh, channels_last)
from gan_numpy.optim import EMA


# ------------------------------------------------------------------------------ generator

def dense_bar_decoder(config, inputs, rows, rng, head=None):
    """(N*8, inputs) -> (N*8, R, 1, 32) with dense layers: every step of the bar has weights of
    its own, so the decoder can learn that a downbeat is not an offbeat. `head` is the output
    activation (default tanh)."""
    hidden = 4 * config.width
    return Sequential(
        Dense(inputs, hidden, rng=rng), BatchNorm(hidden), ReLU(),
        Dense(hidden, hidden, rng=rng), BatchNorm(hidden), ReLU(),
        Dense(hidden, rows * STEPS_PER_BAR, rng=rng),
        Reshape((rows, 1, STEPS_PER_BAR)), head or Tanh(),           # (N*8, R, 1, 32)
    )


def conv_bar_decoder(config, inputs, rows, rng, head=None):
    """(N*8, inputs) -> (N*8, R, 1, 32): dense to 4 steps, three stride-2 transposed convs."""
    wide, width = 2 * config.width, config.width
    return Sequential(
        Dense(inputs, wide * 4, rng=rng),
        Reshape((wide, 1, 4)),                                       # (N*8, 2W, 1, 4)
        BatchNorm(wide), ReLU(),
        ConvTranspose2D(wide, width, (1, 4), stride=(1, 2), rng=rng),   # (N*8, W, 1, 8)
        BatchNorm(width), ReLU(),
        ConvTranspose2D(width, width, (1, 4), stride=(1, 2), rng=rng),  # (N*8, W, 1, 16)
        BatchNorm(width), ReLU(),
        ConvTranspose2D(width, width, (1, 4), stride=(1, 2), rng=rng),  # (N*8, W, 1, 32)
        BatchNorm(width), ReLU(),
        Conv2D(width, rows, (1, 5), rng=rng), head or Tanh(),        # (N*8, R, 1, 32)
    )


BAR_DECODERS = {"dense": dense_bar_decoder, "conv": conv_bar_decoder}


@dataclasses.dataclass
class BarConfig(RunConfig):
    """A run of the bar GAN: RunConfig's settings and these."""
    bar_noise: int = setting(32, "noise values per bar, joined to each bar code", low=1)
    width: int = setting(64, "channels of the narrowest layers", low=1)
    bar_decoder: str = setting(
        "dense", "how a bar code becomes 32 steps: dense (every step of a bar has weights of "
        "its own) or conv (three stride-2 transposed convolutions)", choices=tuple(BAR_DECODERS))
    ema_decay: float = setting(0.999, "decay of the moving average of G's weights that "
                                      "sampling uses", low=0, high=0.99999)
    rotate_bars: bool = setting(True, "augment real windows by rotating them by whole bars")
    instance_noise: float = setting(0.0, "std of noise added to D's inputs (which span -1 "
                                         "to 1), fading to 0 over the run", low=0, high=1)


def bars_into_batch(joined):
    """(N, F, 8) features per bar -> (N*8, F): every bar becomes a sample of the decoder."""
    n = len(joined)
    return np.ascontiguousarray(joined.transpose(0, 2, 1).reshape(n * WINDOW_BARS, -1))


def batch_into_bars(per_bar, n):
    """The adjoint of bars_into_batch: (N*8, F) -> (N, F, 8)."""
    return per_bar.reshape(n, WINDOW_BARS, -1).transpose(0, 2, 1)


def bars_into_window(bars, n):
    """Decoded bars (N*8, R, 1, 32) -> windows (N, R, 1, 256), bar after bar, channels-last in
    memory (layers.channels_last) as D's convolutions read them: one copy makes both changes."""
    rows = bars.shape[1]
    steps = bars.reshape(n, WINDOW_BARS, rows, STEPS_PER_BAR).transpose(0, 1, 3, 2)
    window = np.ascontiguousarray(steps)                               # (N, 8, 32, R)
    return window.reshape(n, 1, WINDOW_STEPS, rows).transpose(0, 3, 1, 2)


def window_into_bars(dout):
    """The adjoint of bars_into_window: (N, R, 1, 256) -> (N*8, R, 1, 32), one copy when dout
    is channels-last in memory, as D's gradient is."""
    n, rows = dout.shape[:2]
    steps = dout.transpose(0, 2, 3, 1).reshape(n, WINDOW_BARS, STEPS_PER_BAR, rows)
    dbars = np.ascontiguousarray(steps.transpose(0, 1, 3, 2))        # (N, 8, R, 32)
    return dbars.reshape(n * WINDOW_BARS, rows, 1, STEPS_PER_BAR)


def bar_code_layers(config, rng):
    """global latent (N, latent) -> 8 bar codes (N, 2W, 1, 8): dense, batch norm, ReLU."""
    wide = 2 * config.width
    return [Dense(config.latent, wide * WINDOW_BARS, rng=rng),
            Reshape((wide, 1, WINDOW_BARS)),                         # (N, 2W, 1, 8)
            BatchNorm(wide), ReLU()]


def batch_norms(network):
    """The BatchNorm layers of a network, always in the same order (named_layers')."""
    return [layer for _, layer in network.named_layers() if isinstance(layer, BatchNorm)]


def across_bar_layers(in_channels, wide, rng, padding="same"):
    """A convolution across neighbouring bar codes (bar-to-bar coherence), batch norm, ReLU."""
    return [Conv2D(in_channels, wide, (1, 3), padding=padding, rng=rng), BatchNorm(wide), ReLU()]


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
        self.bar_codes = Sequential(*bar_code_layers(config, rng),   # (N, 2W, 1, 8)
                                    *across_bar_layers(wide, wide, rng))
        self.bar_decoder = BAR_DECODERS[config.bar_decoder](config, wide + self.noise, rows, rng)

    def sublayers(self):
        return [("bar_codes", self.bar_codes), ("bar_decoder", self.bar_decoder)]

    def forward(self, z):
        n = len(z)
        codes = self.bar_codes.forward(z[:, :self.global_size])      # (N, 2W, 1, 8)
        noise = z[:, self.global_size:].reshape(n, self.noise, 1, WINDOW_BARS)
        joined = np.concatenate([codes, noise], axis=1)[:, :, 0, :]  # (N, 2W+B, 8)
        bars = self.bar_decoder.forward(bars_into_batch(joined))     # (N*8, R, 1, 32)
        return bars_into_window(bars, n)                             # (N, R, 1, 256)

    def backward(self, dout, input_grad=True):
        n = len(dout)
        dper_bar = self.bar_decoder.backward(window_into_bars(dout))  # (N*8, 2W+B)
        djoined = batch_into_bars(dper_bar, n)                       # (N, 2W+B, 8)
        dcodes = np.ascontiguousarray(djoined[:, :self.code_channels, None, :])
        self.bar_codes.backward(dcodes, input_grad=False)            # the latent needs none
        return None


# -------------------------------------------------------------------------- discriminator

def critic_conv(in_channels, out_channels, kernel, rng, stride=1, padding="same"):
    """D's building block: a spectrally normalised convolution and its LeakyReLU(0.2)."""
    conv = Conv2D(in_channels, out_channels, kernel, stride=stride, padding=padding, rng=rng)
    return [SpectralNorm(conv, rng=rng), LeakyReLU(0.2)]


class BarAwareDiscriminator(Layer):
    """(N, C, 1, 256) -> logits (N, 1), from a whole-window branch and a per-bar branch.

    C = channels: the drum rows (R) unless given.
    """

    def __init__(self, config, rng=None, channels=None):
        super().__init__()
        w, rows = config.width, channels or len(config.rows)
        halve = dict(kernel=(1, 4), stride=(1, 2), rng=rng)          # halves the steps
        self.window = Sequential(
            *critic_conv(rows, w, **halve),                          # (N, W, 1, 128)
            *critic_conv(w, 2 * w, **halve),                         # (N, 2W, 1, 64)
            *critic_conv(2 * w, 2 * w, **halve),                     # (N, 2W, 1, 32)
            *critic_conv(2 * w, 4 * w, **halve),                     # (N, 4W, 1, 16)
            MinibatchStdDev(),                                       # (N, 4W+1, 1, 16)
            *critic_conv(4 * w + 1, 4 * w, **halve),                 # (N, 4W, 1, 8)
            Flatten(),                                               # (N, 4W*8)
        )
        self.per_bar = Sequential(
            *critic_conv(rows, 2 * w, (1, STEPS_PER_BAR), rng, stride=(1, STEPS_PER_BAR),
                         padding="valid"),                           # (N, 2W, 1, 8): one per bar
            *critic_conv(2 * w, 2 * w, (1, 3), rng),                 # across bars
            Flatten(),                                               # (N, 2W*8)
        )
        self.window_features = 4 * w * WINDOW_BARS
        features = self.window_features + 2 * w * WINDOW_BARS
        self.head = Sequential(SpectralNorm(Dense(features, 1, rng=rng), rng=rng))

    def sublayers(self):
        return [("window", self.window), ("per_bar", self.per_bar), ("head", self.head)]

    def forward(self, x):
        features = np.concatenate([self.window.forward(x), self.per_bar.forward(x)], axis=1)
        return self.head.forward(features)                           # (N, 1)

    def backward(self, dlogits, input_grad=True):
        return self.branches_backward(self.head.backward(dlogits), input_grad)

    def branches_backward(self, dfeatures, input_grad):
        """The gradient of the head's input features (N, F) through both branches -> dx, or
        None when input_grad is False (the input is data)."""
        dwindow = np.ascontiguousarray(dfeatures[:, :self.window_features])
        dbars = np.ascontiguousarray(dfeatures[:, self.window_features:])
        dx_window = self.window.backward(dwindow, input_grad)
        dx_bars = self.per_bar.backward(dbars, input_grad)
        return dx_window + dx_bars if input_grad else None


# ---------------------------------------------------------------------------- the GAN

def rotate_windows(windows, shifts):
    """Each window (N, C, 1, 256) rotated left by its own number of whole bars, shifts (N,):
    rotated[n, ..., t] = windows[n, ..., (t + 32 * shifts[n]) % 256].

    Two slice copies per window: a gather with a (N, 256) index array (np.take_along_axis)
    does the same, three times slower, since it reads every element through its index.
    """
    rotated = np.empty_like(windows)
    for n, shift in enumerate(np.asarray(shifts) * STEPS_PER_BAR):
        rotated[n, ..., :WINDOW_STEPS - shift] = windows[n, ..., shift:]
        rotated[n, ..., WINDOW_STEPS - shift:] = windows[n, ..., :shift]
    return rotated


class BarGAN(DrumGAN):
    arch = "bars"
    Config = BarConfig
    Generator = BarGenerator

    def __init__(self, config=None, windows=None):
        super().__init__(config, windows)
        self.ema = EMA(self.G, self.config.ema_decay)
        # a generator of the same shape to sample with the averaged weights; they
        # overwrite its own at every sample() call, so its initial weights never matter
        self.ema_generator = self.Generator(self.config, rng=0)

    def build(self, rng):
        return self.Generator(self.config, rng), BarAwareDiscriminator(self.config, rng)

    @property
    def latent_size(self):
        """Length of one latent vector: the global latent, then the bar noises."""
        return self.config.latent + self.config.bar_noise * WINDOW_BARS

    def prepare_data(self, windows):
        unit = pixels_to_unit(as_windows(windows).images)            # (N, 25, 256)
        return TrainingSet(channels_last(unit[:, self.config.rows, None, :]))  # (N, R, 1, 256)

    def to_rolls(self, output):
        rolls = np.ones((len(output), NUM_ROWS, WINDOW_STEPS), dtype=np.float32)
        rolls[:, self.config.rows] = output[:, :, 0, :]
        return rolls

    def train_step(self, data):
        """A batch of real windows rotated by whole bars; one D and one G update with the hinge
        loss (gan_numpy.gan.train_step); the EMA of G follows."""
        batch = self.config.batch
        real = data.x[data.draw(self.rng, batch)]
        if self.config.rotate_bars:
            real, _ = self.rotate_bars(real)
        stats = train_step(self.G, self.D, self.opt_G, self.opt_D, real, self.latents(batch),
                           self.latents(batch), HINGE, augment=self.instance_noise())
        self.ema.update()
        self.step += 1
        return stats

    def instance_noise(self):
        """The function adding instance noise to D's inputs (None when there is none):
        Gaussian noise whose std fades linearly to 0 over the run.

        Real rolls are exactly -1 or +1; a generator unsure about a rare hit outputs values in
        between, which D can spot without judging the music. Noise blurs that tell early on.
        """
        fade = max(0.0, 1.0 - self.step / self.config.iterations)
        sigma = self.config.instance_noise * fade
        if sigma == 0:
            return None
        return lambda x: x + (sigma * self.rng.standard_normal(x.shape)).astype(x.dtype)

    def rotate_bars(self, windows, roles=None):
        """Rotate each window (N, C, 1, 256), and its roles (N, 8) when given, by a random
        number of whole bars -> (windows, roles or None).

        Windows already start at every bar of a song; rotating adds new orders of the same
        bars, so D cannot simply remember whole windows and G has less reason to copy them.
        """
        shift = self.rng.integers(0, WINDOW_BARS, len(windows))                     # (N,)
        if roles is not None:
            bars = (np.arange(WINDOW_BARS)[None, :] + shift[:, None]) % WINDOW_BARS
            roles = np.take_along_axis(roles, bars, axis=1)
        return rotate_windows(windows, shift), roles

    def sampling_generator(self, statistics=None):
        """The generator samples come from, with the averaged weights (EMA).

        Its batch norm layers normalise with the statistics of the batch they are given, as in
        training, so what a latent plays depends a little on the latents beside it. With
        `statistics` (batch_statistics of some batch) they normalise with those instead, held
        fixed: every latent then plays as it would in that batch, alone or beside any others.
        """
        generator = self.ema.copy_to(self.ema_generator)
        norms = batch_norms(generator)
        for norm, held in zip(norms, statistics or [None] * len(norms)):
            norm.training = held is None
            if held is not None:
                norm.state["running_mean"][...], norm.state["running_var"][...] = held
        return generator

    def batch_statistics(self, latents):
        """The statistics the sampling generator's batch norm layers normalise a batch of
        latents (n, latent_size) with -> [(mean, variance)], one pair per layer, for
        sampling_generator(statistics)."""
        generator = self.sampling_generator()
        generator.forward(latents)
        return [(norm.batch_mean.copy(), norm.batch_var.copy()) for norm in batch_norms(generator)]

    def parts(self):
        return {**super().parts(), "G_ema": self.ema}
