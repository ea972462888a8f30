"""Bookkeeping of a network: parameter counting and the one-screen model summary.

(A network itself is layers in a row, layers.Sequential, or layers combined by hand.)
"""
import numpy as np

from gan_numpy.layers import Sequential


def count_params(module):
    """The number of trainable values in a layer or network."""
    return sum(int(param.size) for _, param, _ in module.parameters())


def _shape_text(shape, batch):
    """Output shape without the batch axis; a batch that changed is shown as a multiple of N."""
    per_sample = str(tuple(int(d) for d in shape[1:]))
    if shape[0] == batch:
        return per_sample
    return f"{shape[0] // batch}N x {per_sample}" if shape[0] % batch == 0 else str(shape)


def summary(module, input_shape, batch=2):
    """A table of the layers of `module` with their output shapes and parameter counts.

    input_shape excludes the batch axis, e.g. (1, 25, 256). A batch of `batch` zeros runs
    through the network in evaluation mode (the mode is restored afterwards); nested
    Sequentials are listed layer by layer.
    """
    modes = [(layer, layer.training) for _, layer in module.named_layers()]
    module.eval()
    rows = [("layer", "output shape", "params")]
    x = np.zeros((batch,) + tuple(input_shape), dtype=np.float32)
    rows.append(("input", _shape_text(x.shape, batch), ""))
    try:
        for name, layer in _leaves(module):
            x = layer.forward(x)
            count = count_params(layer)
            rows.append((f"{name} {layer.describe()}", _shape_text(x.shape, batch),
                         f"{count:,}" if count else "0"))
    finally:
        for layer, mode in modes:
            layer.training = mode
    total = count_params(module)
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    rule = "-" * (sum(widths) + 4)
    lines = [f"{rows[0][0]:<{widths[0]}}  {rows[0][1]:<{widths[1]}}  {rows[0][2]:>{widths[2]}}", rule]
    lines += [f"{a:<{widths[0]}}  {b:<{widths[1]}}  {c:>{widths[2]}}" for a, b, c in rows[1:]]
    lines += [rule, f"total parameters: {total:,}"]
    return "\n".join(lines)


def _leaves(module, prefix=""):
    """(name, layer) in call order, descending into Sequentials only."""
    if isinstance(module, Sequential):
        for name, layer in module.sublayers():
            yield from _leaves(layer, f"{prefix}{name}.")
    else:
        yield prefix.rstrip(".") or "0", module
