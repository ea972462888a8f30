"""The two passes every GAN training step is made of, for any generator and discriminator.

A step of a GAN alternates two games. The discriminator D learns to score real data high and
generated data low: `discriminator_pass` runs D on one batch and leaves the gradients of that
batch's loss in D's layers (the batch is data: no gradient for it is computed). The generator G
learns to make D score its output high: `generator_pass` runs G, then D, and carries the
gradient of G's loss back through D into G. D is frozen meanwhile: it passes the gradient on
but computes none of its own, which nobody would apply (PyTorch: D.requires_grad_(False)).

Layers overwrite their gradients at every backward, so a step that shows D a real and a
generated batch separately adds the two with `copy_gradients` / `add_gradients`.
Losses are functions logits -> (loss, dloss/dlogits), as in losses.py.
"""


def discriminator_pass(D, x, loss):
    """D's loss on the batch x; its gradients are left in D's layers, not applied.

    Returns (loss value, logits).
    """
    logits = D.forward(x)
    value, dlogits = loss(logits)
    D.backward(dlogits, input_grad=False)
    return value, logits


def generator_pass(G, D, z, loss, augment=None):
    """G's loss through D on the latents z; the gradients reach G's layers (not the latents').

    augment: optional function applied to G's output before D sees it; it must pass the
    gradient through unchanged (e.g. adding noise). Returns (loss value, logits).
    """
    fake = G.forward(z)
    if augment is not None:
        fake = augment(fake)
    D.freeze()
    try:
        logits = D.forward(fake)
        value, dlogits = loss(logits)
        G.backward(D.backward(dlogits), input_grad=False)
    finally:
        D.freeze(False)
    return value, logits


def copy_gradients(module):
    """A copy of every gradient of a module, in parameter order."""
    return [grad.copy() for _, _, grad in module.parameters()]


def add_gradients(module, saved):
    """Add gradients saved by copy_gradients to the module's current ones, in place."""
    for (_, _, grad), earlier in zip(module.parameters(), saved):
        grad += earlier
