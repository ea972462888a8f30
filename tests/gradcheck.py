"""Numerical gradients by central differences (float64) and the relative error used to compare.

Slow and obvious on purpose: these prove the fast backward rules of the engine.
"""
import numpy as np


def numerical_gradient(f, x, h=1e-6):
    """d f / d x for a scalar function f of the array x (perturbed in place, then restored)."""
    grad = np.zeros_like(x, dtype=np.float64)
    flat_x, flat_grad = x.reshape(-1), grad.reshape(-1)
    for i in range(flat_x.size):
        old = flat_x[i]
        flat_x[i] = old + h
        plus = f()
        flat_x[i] = old - h
        minus = f()
        flat_x[i] = old
        flat_grad[i] = (plus - minus) / (2 * h)
    return grad


def rel_error(a, b):
    """||a - b|| / max(||a|| + ||b||, tiny): 0 for equal arrays, about 1 for unrelated ones."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(a) + np.linalg.norm(b), 1e-300))


def to_float64(layer):
    """Switch every parameter of a layer (and the layers inside it) to float64, in place."""
    for _, sub in layer.named_layers():
        for key in sub.params:
            sub.params[key] = sub.params[key].astype(np.float64)
    return layer


def check_layer(layer, x, rng, keys=None):
    """Largest relative error between analytic and numerical gradients of a layer.

    Uses f = sum(forward(x) * R) for a fixed random R, so backward(R) must give df/dx and the
    parameter gradients. Returns {'x': err, 'W': err, ...}. The layer must be deterministic
    between calls (eval mode for layers that change state in training).
    """
    to_float64(layer)
    x = np.array(x, dtype=np.float64)
    out = layer.forward(x)
    weights = rng.standard_normal(out.shape)

    def f():
        return float(np.sum(layer.forward(x) * weights))

    layer.forward(x)
    dx = layer.backward(weights.copy())
    analytic = {"x": dx}
    analytic.update({k: layer.grads[k].copy() for k in layer.params})
    errors = {"x": rel_error(dx, numerical_gradient(f, x))}
    for key in (keys if keys is not None else layer.params):
        errors[key] = rel_error(analytic[key], numerical_gradient(f, layer.params[key]))
    return errors
