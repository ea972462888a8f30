"""One training step of a GAN, for any generator G and discriminator D: the whole game in one place.

A GAN is two networks playing against each other. D learns to tell real data from G's output
(score real data high, generated data low); G learns to make D score its output high. One step
of training plays one round of that game:

1. D's update. G makes a batch from latents z; D scores a batch of real data and the generated
   batch, the losses say how wrong D was, D's gradients are computed and Adam (or any optimizer)
   moves D's weights. G's output is data for D here: no gradient goes back into G.
2. G's update. G makes a fresh batch; D scores it; the gradient of G's loss goes back through D,
   which is frozen meanwhile (it passes the gradient on but computes none of its own, which
   nobody would apply: PyTorch's D.requires_grad_(False)), into G, whose optimizer then moves it.

Everything a particular model adds (its data, augmentation, labels, a running average of G) stays
with the model; `train_step` takes the networks, the optimizers, the batches and the losses as
arguments, so the same function trains a toy 2-D GAN (examples/toy_gan.py) and the drum models.

A conditional discriminator, told a label per sample (the drum models tell it each bar's role),
is called D.forward(x, labels); give those labels as `labels` (for D's update) and `gen_labels`
(for G's). Layers overwrite their gradients at every backward, so D's update on a real and a
generated batch adds the two batches' gradients (`copy_gradients` / `add_gradients`) before its
optimizer steps.
"""
import dataclasses
from typing import Callable

from gan_numpy.losses import (accuracy, bce_with_logits, hinge_d_loss_fake, hinge_d_loss_real,
                              hinge_g_loss)


@dataclasses.dataclass(frozen=True)
class GANLosses:
    """The three losses of a GAN, each a function logits -> (loss, dloss/dlogits)."""
    d_real: Callable     # D on real data: low when it scores them high
    d_fake: Callable     # D on generated data: low when it scores them low
    g: Callable          # G, through D: low when D scores G's output high


def bce_real(logits):
    return bce_with_logits(logits, 1.0)


def bce_fake(logits):
    return bce_with_logits(logits, 0.0)


# The hinge loss (Lim & Ye 2017; SAGAN, BigGAN): D wants real scores above 1 and fake below -1.
HINGE = GANLosses(hinge_d_loss_real, hinge_d_loss_fake, hinge_g_loss)
# Goodfellow's binary cross-entropy with G's "non-saturating" loss: G maximises log D(G(z)).
NON_SATURATING = GANLosses(bce_real, bce_fake, bce_real)


def train_step(G, D, opt_G, opt_D, real, z_fake, z_gen, losses, labels=None, gen_labels=None,
               augment=None, separate_d_updates=False):
    """One round of the game: D learns once, then G learns once. Returns the losses and D's
    accuracies: {'d_loss', 'g_loss', 'd_real_acc', 'd_fake_acc'}.

    real:       a batch of real data in D's input layout
    z_fake:     latents of the generated batch D learns from; z_gen: of the batch G learns with
    losses:     a GANLosses (HINGE, NON_SATURATING)
    labels:     for a conditional D, the labels of D's update (the real batch's, which the
                generated batch was made with); gen_labels: those of G's update
    augment:    an optional function applied to every batch before D sees it (e.g. instance
                noise); it must pass the gradient through unchanged
    separate_d_updates: D takes one optimizer step on the real batch and another on the
                generated one (Keras' train_on_batch twice, as the original project did),
                instead of one step on both batches' gradients
    """
    augment = augment or (lambda batch: batch)

    # --- 1. D's update: real data scored high, generated data low
    fake = G.forward(z_fake)
    logits_real = score(D, augment(real), labels)
    loss_real, dlogits = losses.d_real(logits_real)
    D.backward(dlogits, input_grad=False)           # the input is data: it needs no gradient
    if separate_d_updates:
        opt_D.step()
    else:
        real_grads = copy_gradients(D)
    logits_fake = score(D, augment(fake), labels)
    loss_fake, dlogits = losses.d_fake(logits_fake)
    D.backward(dlogits, input_grad=False)
    if not separate_d_updates:
        add_gradients(D, real_grads)                # D's loss is the sum of both halves
    opt_D.step()

    # --- 2. G's update, through a frozen D
    fake = G.forward(z_gen)
    D.freeze()
    try:
        g_loss, dlogits = losses.g(score(D, augment(fake), gen_labels))
        G.backward(D.backward(dlogits), input_grad=False)   # dloss/dfake, then G's gradients
    finally:
        D.freeze(False)
    opt_G.step()
    return {"d_loss": loss_real + loss_fake, "g_loss": g_loss,
            "d_real_acc": accuracy(logits_real, 1), "d_fake_acc": accuracy(logits_fake, 0)}


def score(D, x, labels=None):
    """D's logits for a batch, told the labels when it is a conditional discriminator."""
    return D.forward(x) if labels is None else D.forward(x, labels)


def copy_gradients(module):
    """A copy of every gradient of a module, in parameter order."""
    return [grad.copy() for _, _, grad in module.parameters()]


def add_gradients(module, saved):
    """Add gradients saved by copy_gradients to the module's current ones, in place."""
    for (_, _, grad), earlier in zip(module.parameters(), saved):
        grad += earlier
