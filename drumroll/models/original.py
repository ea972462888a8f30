"""The hobby project's Keras DCGAN, layer for layer: the faithful preset (`--arch original`).

A 2-D image GAN on the whole 25 x 256 roll; binary cross-entropy, Adam(2e-4, 0.5), and per
iteration one D update on 64 real rolls, one on 64 generated rolls and one G update through D
on 128 latents, as in the original notebook.
"""
import dataclasses

from drumroll.format import NUM_ROWS, pixels_to_unit
from drumroll.models.base import DrumGAN, RunConfig, TrainingSet
from drumroll.windows import as_windows
from gan_numpy.gan import NON_SATURATING, train_step
from gan_numpy.layers import (Conv2D, ConvTranspose2D, Dense, Flatten, LeakyReLU, Reshape,
                              Sequential, Tanh)


@dataclasses.dataclass
class OriginalConfig(RunConfig):
    """The original project's settings: Adam(2e-4, 0.5), batch 128, 6,000 iterations."""
    iterations: int = 6000
    batch: int = 128
    beta1: float = 0.5
    beta2: float = 0.999
    latent: int = 50


def original_generator(config, rng):
    """latent (N, 50) -> (N, 1, 25, 256) in [-1, 1], as the Keras model."""
    return Sequential(
        Dense(config.latent, 64 * 5 * 128, rng=rng), LeakyReLU(0.2),
        Reshape((64, 5, 128)),                                        # (N, 64, 5, 128)
        ConvTranspose2D(64, 64, 4, stride=(5, 2), padding="same", rng=rng),  # (N, 64, 25, 256)
        LeakyReLU(0.2),
        Conv2D(64, 128, 4, padding="same", rng=rng), LeakyReLU(0.2),
        Conv2D(128, 1, 7, padding="same", rng=rng), Tanh(),
    )


def original_discriminator(rng):
    """(N, 1, 25, 256) -> logits (N, 1); the sigmoid lives in the loss."""
    return Sequential(
        Conv2D(1, 64, 4, stride=2, padding="same", rng=rng), LeakyReLU(0.2),   # (N, 64, 13, 128)
        Conv2D(64, 64, 4, stride=2, padding="same", rng=rng), LeakyReLU(0.2),  # (N, 64, 7, 64)
        Flatten(),
        Dense(64 * 7 * 64, 1, rng=rng),
    )


class OriginalGAN(DrumGAN):
    arch = "original"
    Config = OriginalConfig

    def build(self, rng):
        return original_generator(self.config, rng), original_discriminator(rng)

    @property
    def latent_size(self):
        return self.config.latent

    def prepare_data(self, windows):
        return TrainingSet(pixels_to_unit(as_windows(windows).images)[:, None, :, :])  # (N, 1, 25, 256)

    def to_rolls(self, output):
        rolls = output[:, 0].copy()                                  # (N, 25, 256)
        unused = [row for row in range(NUM_ROWS) if row not in self.config.rows]
        rolls[:, unused] = 1.0
        return rolls

    def train_step(self, data):
        """As the Keras notebook: binary cross-entropy, D's update on half a batch of real rolls
        and then (another optimizer step) on half a batch of generated ones, G's update on a
        whole batch through D."""
        half, batch = self.config.batch // 2, self.config.batch
        real = data.x[data.draw(self.rng, half)]
        stats = train_step(self.G, self.D, self.opt_G, self.opt_D, real, self.latents(half),
                           self.latents(batch), NON_SATURATING, separate_d_updates=True)
        self.step += 1
        return stats
