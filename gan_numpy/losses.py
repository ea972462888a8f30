"""Losses for a GAN, each returning the loss and its gradient with respect to the logits.

All take raw scores (logits, any real number) rather than probabilities: a sigmoid followed by
a logarithm overflows or loses every digit for large scores, the combined formula does not.
Losses are means over all elements, so the gradients are divided by the element count.
"""
import numpy as np


def sigmoid(z):
    """1 / (1 + exp(-z)) for any z without overflow."""
    return 0.5 * (1 + np.tanh(0.5 * z))


def bce_with_logits(logits, targets):
    """Binary cross-entropy of sigmoid(logits) against targets in [0, 1] (a scalar or an array).

    loss = mean(max(z, 0) - z * t + log(1 + exp(-|z|))), stable for any z.
    Returns (loss as a float, dloss/dlogits with the shape of logits).
    """
    z = np.asarray(logits)
    t = np.broadcast_to(np.asarray(targets, dtype=z.dtype), z.shape)
    loss = np.maximum(z, 0) - z * t + np.log1p(np.exp(-np.abs(z)))
    grad = (sigmoid(z) - t) / z.size
    return float(loss.mean()), grad.astype(z.dtype, copy=False)


def hinge_d_loss_real(real_logits):
    """The discriminator hinge loss is mean(relu(1 - real)) + mean(relu(1 + fake)); this is its
    real half, mean(relu(1 - real)) -> (loss, dloss/dreal_logits)."""
    real = np.asarray(real_logits)
    d_real = -(real < 1).astype(real.dtype) / real.size
    return float(np.maximum(1 - real, 0).mean()), d_real


def hinge_d_loss_fake(fake_logits):
    """The fake half of the discriminator hinge loss, mean(relu(1 + fake)) -> (loss, gradient)."""
    fake = np.asarray(fake_logits)
    d_fake = (fake > -1).astype(fake.dtype) / fake.size
    return float(np.maximum(1 + fake, 0).mean()), d_fake


def hinge_g_loss(fake_logits):
    """Generator hinge loss -mean(fake). Returns (loss, dloss/dfake_logits)."""
    fake = np.asarray(fake_logits)
    return float(-fake.mean()), np.full(fake.shape, -1.0 / fake.size, dtype=fake.dtype)


def accuracy(logits, label):
    """Share of logits on the side of 0 that a target label (0 or 1) means."""
    z = np.asarray(logits)
    return float(np.mean(z > 0)) if label else float(np.mean(z <= 0))
