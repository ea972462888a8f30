"""The hobby project's Keras DCGAN, layer for layer: the faithful preset (`--arch original`).

A 2-D image GAN on the whole 25 x 256 roll; binary cross-entropy, Adam(2e-4, 0.5), and per
iteration one D update on 64 real rolls, one on 64 generated rolls and one G update through D
on 128 latents, as in the original notebook.
"""
import dataclasses

from drumroll.format import NUM_ROWS, pixels_to_unit
from drumroll.dataset import as_windows
from drumroll.models.base import DrumGAN, ModelConfig
from gan_numpy.gan import discriminator_pass, generator_pass
from gan_numpy.layers import Conv2D, ConvTranspose2D, Dense, Flatten, LeakyReLU, Reshape, Tanh
from gan_numpy.losses import accuracy, bce_with_logits
from gan_numpy.network import Sequential


@dataclasses.dataclass
class OriginalConfig(ModelConfig):
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


def real_loss(logits):
    return bce_with_logits(logits, 1.0)


def fake_loss(logits):
    return bce_with_logits(logits, 0.0)


class OriginalGAN(DrumGAN):
    arch = "original"
    Config = OriginalConfig
    TRAINING = dict(iterations=6000, batch=128, lr=2e-4, beta1=0.5, beta2=0.999)

    def build(self, rng):
        return original_generator(self.model, rng), original_discriminator(rng)

    @property
    def latent_size(self):
        return self.model.latent

    def prepare_data(self, windows):
        return pixels_to_unit(as_windows(windows).images)[:, None, :, :]   # (N, 1, 25, 256)

    def to_rolls(self, output):
        rolls = output[:, 0].copy()                                  # (N, 25, 256)
        unused = [row for row in range(NUM_ROWS) if row not in self.model.rows]
        rolls[:, unused] = 1.0
        return rolls

    def update(self, data):
        """As the Keras notebook: D on half a batch of real, D on half of fake, G on a batch."""
        half = self.train_config.batch // 2
        real = data[self.rng.integers(0, len(data), half)]
        loss_real, logits_real = discriminator_pass(self.D, real, real_loss)
        self.opt_D.step()

        fake = self.G.forward(self.latents(half))
        loss_fake, logits_fake = discriminator_pass(self.D, fake, fake_loss)
        self.opt_D.step()

        # G learns through a frozen D: D's gradients are computed but never applied
        g_loss, _ = generator_pass(self.G, self.D, self.latents(self.train_config.batch),
                                   real_loss)
        self.opt_G.step()
        return {"d_loss": 0.5 * (loss_real + loss_fake), "g_loss": g_loss,
                "d_real_acc": accuracy(logits_real, 1), "d_fake_acc": accuracy(logits_fake, 0)}
