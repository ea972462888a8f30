"""The layers of the engine, each with its forward rule and, right beside it, its backward rule.

Contract shared by every layer (an optimizer, a checkpoint or a summary relies on nothing else):

* `forward(x)` returns y and keeps what `backward` needs; `backward(dout)` returns dx and stores
  the parameter gradients in `layer.grads` under the keys of `layer.params` ('W', 'b', or
  'gamma', 'beta'). Gradients are overwritten by each backward, not accumulated.
  `backward(dout, input_grad=False)` says nobody needs dx (the input is data, e.g. the first
  layer of a discriminator): a layer whose dx costs a matrix product skips it and returns None.
* `layer.state` holds arrays that are saved but not trained (BatchNorm running statistics,
  SpectralNorm's power-iteration vectors); `layer.training` switches train / eval behaviour.
* A frozen layer (`freeze()`) still returns dx but computes no parameter gradients and has
  none: a GAN's discriminator while the generator learns through it.
* Images are (N, C, H, W) everywhere. Convolutions run fast_kernels.py, which works on
  channels-last memory inside, so a returned array may be a transposed view; its shape is
  always (N, C, H, W).
* Weight layouts follow PyTorch: Dense W (in, out), Conv2D W (out, in, kh, kw),
  ConvTranspose2D W (in, out, kh, kw), b (out,).

Layers use the dtype of their parameters (float32 as created); gradient checks switch them to
float64 by replacing the arrays in `params`, so layers always read `self.params[...]` afresh.
"""
import math

import numpy as np

from gan_numpy import fast_kernels, kernels

DTYPE = np.float32


def as_rng(rng):
    """None, an int seed or a numpy Generator -> a numpy Generator."""
    return rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)


def channels_last(images):
    """(N, C, H, W) -> the same images, still indexed (N, C, H, W), with the channels innermost
    in memory: a transposed view of an (N, H, W, C) array.

    Convolutions work channels-last (fast_kernels.py); an image made this way once, where it is
    made (a batch of data, a generator's output), reaches every convolution that reads it
    without a transposing copy, and its gradient comes back in the same layout.
    """
    return np.ascontiguousarray(images.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)


def init_weights(shape, fan_in, fan_out, init, rng):
    """'glorot' (Keras' glorot_uniform) or 'normal' (N(0, 0.02), as in DCGAN) float32 weights."""
    if init == "glorot":
        limit = math.sqrt(6.0 / (fan_in + fan_out))
        return rng.uniform(-limit, limit, size=shape).astype(DTYPE)
    if init == "normal":
        return (0.02 * rng.standard_normal(shape)).astype(DTYPE)
    raise ValueError(f"init must be 'glorot' or 'normal', got {init!r}")


class Layer:
    """Base class: parameter / state dictionaries, train-eval mode, walking nested layers."""

    def __init__(self):
        self.params = {}
        self.grads = {}
        self.state = {}
        self.training = True
        self.frozen = False

    def __call__(self, x):
        return self.forward(x)

    def forward(self, x):
        raise NotImplementedError

    def backward(self, dout, input_grad=True):
        raise NotImplementedError

    def sublayers(self):
        """(name, layer) pairs of the layers this one contains (containers override this)."""
        return []

    def named_layers(self, prefix=""):
        """(dotted name prefix, layer) for this layer and every layer inside it."""
        yield prefix, self
        for name, layer in self.sublayers():
            yield from layer.named_layers(f"{prefix}{name}.")

    def parameters(self):
        """(name, param, grad) for every trainable array; grad is None before a backward."""
        for prefix, layer in self.named_layers():
            for key, param in layer.params.items():
                yield prefix + key, param, layer.grads.get(key)

    def named_state(self):
        """(name, array) for every saved but untrained array."""
        for prefix, layer in self.named_layers():
            for key, value in layer.state.items():
                yield prefix + key, value

    def state_dict(self):
        """A flat {name: array copy} of all parameters and state, e.g. {'0.W': ..., '2.running_mean': ...}."""
        arrays = {name: param.copy() for name, param, _ in self.parameters()}
        arrays.update((name, value.copy()) for name, value in self.named_state())
        return arrays

    def load_state_dict(self, arrays):
        """Copy arrays into the parameters and state in place; names and shapes must match."""
        targets = {name: param for name, param, _ in self.parameters()}
        targets.update(self.named_state())
        missing = sorted(set(targets) - set(arrays))
        unexpected = sorted(set(arrays) - set(targets))
        if missing or unexpected:
            raise StateDictMismatch(f"missing {missing[:3]}" if missing
                                    else f"unexpected {unexpected[:3]}")
        for name, target in targets.items():
            value = np.asarray(arrays[name])
            if value.shape != target.shape:
                raise StateDictMismatch(f"'{name}' has shape {value.shape}, "
                                        f"the network needs {target.shape}")
        for name, target in targets.items():
            target[...] = arrays[name]

    def train(self, mode=True):
        """Switch this layer and all inside it to training (True) or evaluation (False) mode."""
        for _, layer in self.named_layers():
            layer.training = mode
        return self

    def eval(self):
        return self.train(False)

    def freeze(self, frozen=True):
        """Stop (frozen=True) or restart parameter gradients in this layer and all inside it.

        Backward still returns the gradient of the input, at about half the cost: no weight
        gradients are computed, and the old ones are dropped so no optimizer applies them.
        """
        for _, layer in self.named_layers():
            layer.frozen = frozen
            if frozen:
                layer.grads.clear()
        return self

    def describe(self):
        """Short text for summaries, e.g. 'Conv2D(64->128, 4x4, stride 1x1, same)'."""
        return type(self).__name__


class StateDictMismatch(ValueError):
    """Arrays given to load_state_dict do not fit the network (names or shapes differ)."""


# --- a network: layers in a row ----------------------------------------------------------------

class Sequential(Layer):
    """Layers applied one after the other; backward runs them in reverse.

    There is no global graph: a network is layers called in order, and a branching model is
    written by hand from several Sequentials (call each, combine the outputs, and pass the
    gradients back to each branch's backward). Parameter names are the layer's position and
    key, e.g. '0.W', '3.gamma', or '1.2.b' for a Sequential inside a Sequential.
    """

    def __init__(self, *layers):
        super().__init__()
        self.layers = list(layers)

    def __len__(self):
        return len(self.layers)

    def __getitem__(self, index):
        return self.layers[index]

    def __iter__(self):
        return iter(self.layers)

    def append(self, layer):
        self.layers.append(layer)
        return self

    def sublayers(self):
        return [(str(i), layer) for i, layer in enumerate(self.layers)]

    def forward(self, x):
        for layer in self.layers:
            x = layer.forward(x)
        return x

    def backward(self, dout, input_grad=True):
        """Gradients of every layer, last to first; input_grad=False: the first layer's input
        is data and needs no gradient (returns None if that layer can skip it)."""
        for layer in reversed(self.layers[1:]):
            dout = layer.backward(dout)
        return self.layers[0].backward(dout, input_grad) if self.layers else dout

    def describe(self):
        return f"Sequential({len(self.layers)} layers)"


# --- fully connected ---------------------------------------------------------------------------

class Dense(Layer):
    """y = x @ W + b.   x (N, in) -> y (N, out);  W (in, out), b (out,)."""

    def __init__(self, in_features, out_features, init="glorot", bias=True, rng=None):
        super().__init__()
        self.in_features, self.out_features = in_features, out_features
        rng = as_rng(rng)
        self.params["W"] = init_weights((in_features, out_features), in_features,
                                        out_features, init, rng)
        if bias:
            self.params["b"] = np.zeros(out_features, dtype=DTYPE)

    def forward(self, x):
        self.x = x
        y = x @ self.params["W"]                      # (N, out)
        if "b" in self.params:
            y += self.params["b"]
        return y

    def backward(self, dout, input_grad=True):
        if not self.frozen:
            self.grads["W"] = self.x.T @ dout         # (in, N) @ (N, out)
            if "b" in self.params:
                self.grads["b"] = dout.sum(axis=0)
        if not input_grad:
            return None
        if self.out_features == 1:
            # dx = dout @ W.T; with one output that product is an outer product (N, 1) x (1, in),
            # and broadcasting computes it about 10x faster than numpy's matmul with K = 1
            return dout * self.params["W"].T
        return dout @ self.params["W"].T              # (N, out) @ (out, in)

    def describe(self):
        return f"Dense({self.in_features}->{self.out_features})"


# --- convolutions ------------------------------------------------------------------------------

class Conv2D(Layer):
    """2-D convolution (cross-correlation).  x (N, C, H, W) -> y (N, O, Ho, Wo).

    kernel_size and stride: an int or an (h, w) pair. padding: 'same' (Keras: Ho = ceil(H / sh),
    the odd extra row/column at the bottom/right), 'valid', an int or an (h, w) pair (PyTorch:
    that many zeros on each side). W (O, C, kh, kw), b (O,).
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding="same",
                 init="glorot", bias=True, rng=None):
        super().__init__()
        _convolution_parameters(self, in_channels, out_channels, kernel_size, stride, padding,
                                init, bias, rng, weights=(out_channels, in_channels))

    def geometry(self, image):
        return kernels.conv_geometry(image, self.kernel_size, self.stride, self.padding)

    def forward(self, x):
        _check_channels(self, x, self.in_channels)
        self.geom = self.geometry(x.shape[2:])
        self.x = x
        # cols: the im2col matrix of x, kept for the weight gradient (None if not built whole)
        y, self.cols = fast_kernels.conv_forward(x, self.params["W"], self.geom)  # (N, O, Ho, Wo)
        if "b" in self.params:
            y += self.params["b"][:, None, None]
        return y

    def backward(self, dout, input_grad=True):
        if not self.frozen:
            self.grads["W"] = fast_kernels.conv_backward_weights(self.x, dout, self.geom, self.cols)
            if "b" in self.params:
                self.grads["b"] = dout.sum(axis=(0, 2, 3))
        if not input_grad:
            return None
        return fast_kernels.conv_backward_data(dout, self.params["W"], self.geom)  # (N, C, H, W)

    def describe(self):
        return _describe_conv(self)


class ConvTranspose2D(Layer):
    """Transposed convolution, the adjoint of a Conv2D.  x (N, C, H, W) -> y (N, O, Ho, Wo).

    Same arguments as Conv2D. padding 'same': Ho = H * sh (the adjoint of a Keras-'same' Conv2D
    from Ho to H); 'valid': Ho = (H - 1) * sh + kh; an int p (PyTorch): p rows and columns are
    removed from each side of the 'valid' output. W (C, O, kh, kw), b (O,).
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding="same",
                 init="glorot", bias=True, rng=None):
        super().__init__()
        _convolution_parameters(self, in_channels, out_channels, kernel_size, stride, padding,
                                init, bias, rng, weights=(in_channels, out_channels))

    def geometry(self, image):
        """The geometry of the Conv2D from this layer's output image back to its input."""
        return kernels.transposed_geometry(image, self.kernel_size, self.stride, self.padding)

    def forward(self, x):
        _check_channels(self, x, self.in_channels)
        self.geom = self.geometry(x.shape[2:])
        self.x = x
        y = fast_kernels.conv_backward_data(x, self.params["W"], self.geom)   # (N, O, Ho, Wo)
        if "b" in self.params:
            y += self.params["b"][:, None, None]
        return y

    def backward(self, dout, input_grad=True):
        if not self.frozen:
            self.grads["W"] = fast_kernels.conv_backward_weights(dout, self.x, self.geom)
            if "b" in self.params:
                self.grads["b"] = dout.sum(axis=(0, 2, 3))
        if not input_grad:
            return None
        dx, _ = fast_kernels.conv_forward(dout, self.params["W"], self.geom)  # (N, C, H, W)
        return dx

    def describe(self):
        return _describe_conv(self)


def _convolution_parameters(layer, in_channels, out_channels, kernel_size, stride, padding,
                            init, bias, rng, weights):
    """What Conv2D and ConvTranspose2D keep: their sizes, and W of shape weights + (kh, kw)
    ((O, C) for a convolution, (C, O) for a transposed one; the fans follow the first two axes,
    as in Keras) and b (O,)."""
    layer.in_channels, layer.out_channels = in_channels, out_channels
    layer.kernel_size = kernels.pair(kernel_size, "kernel_size")
    layer.stride = kernels.pair(stride, "stride")
    layer.padding = padding
    kernels.resolve_padding(padding, (1, 1), layer.kernel_size, layer.stride)  # validate early
    kh, kw = layer.kernel_size
    layer.params["W"] = init_weights(weights + (kh, kw), weights[1] * kh * kw,
                                     weights[0] * kh * kw, init, as_rng(rng))
    if bias:
        layer.params["b"] = np.zeros(out_channels, dtype=DTYPE)


def _check_channels(layer, x, channels):
    if x.ndim != 4 or x.shape[1] != channels:
        raise ValueError(f"{layer.describe()} needs input (N, {channels}, H, W), got {x.shape}")


def _describe_conv(layer):
    kh, kw = layer.kernel_size
    sh, sw = layer.stride
    return (f"{type(layer).__name__}({layer.in_channels}->{layer.out_channels}, {kh}x{kw}, "
            f"stride {sh}x{sw}, {layer.padding})")


# --- activations -------------------------------------------------------------------------------

class LeakyReLU(Layer):
    """y = x for x > 0, alpha * x otherwise (0 <= alpha <= 1)."""

    def __init__(self, alpha=0.2):
        super().__init__()
        if not 0.0 <= alpha <= 1.0:
            raise ValueError(f"alpha must be in [0, 1], got {alpha}")
        self.alpha = alpha

    def forward(self, x):
        y = np.multiply(x, self.alpha)
        self.y = np.maximum(y, x, out=y)      # > 0 exactly where x > 0
        return self.y

    def backward(self, dout, input_grad=True):
        # dx = dout * (1 where y > 0 else alpha), i.e. np.where(y > 0, dout, alpha * dout).
        # The slope is built as (y > 0) * (1 - alpha) + alpha, the mask turned into 0.0 / 1.0:
        # plain arithmetic on one array, several times faster than np.where on large,
        # randomly signed arrays.
        slope = (self.y > 0).astype(dout.dtype)
        slope *= 1 - self.alpha
        slope += self.alpha
        slope *= dout
        return slope

    def describe(self):
        return f"LeakyReLU({self.alpha})"


class ReLU(Layer):
    """y = max(x, 0)."""

    def forward(self, x):
        self.y = np.maximum(x, 0)
        return self.y

    def backward(self, dout, input_grad=True):
        return dout * (self.y > 0)


class Tanh(Layer):
    """y = tanh(x); dy/dx = 1 - y^2."""

    def forward(self, x):
        self.y = np.tanh(x)
        return self.y

    def backward(self, dout, input_grad=True):
        return dout * (1 - self.y * self.y)


# --- shape changes -----------------------------------------------------------------------------

class Reshape(Layer):
    """Reshape each sample to `shape`: (N, *in) -> (N, *shape)."""

    def __init__(self, shape):
        super().__init__()
        self.shape = tuple(shape)

    def forward(self, x):
        self.in_shape = x.shape
        return x.reshape((x.shape[0],) + self.shape)

    def backward(self, dout, input_grad=True):
        return dout.reshape(self.in_shape)

    def describe(self):
        return f"Reshape({self.shape})"


class Flatten(Layer):
    """(N, d1, d2, ...) -> (N, d1 * d2 * ...)."""

    def forward(self, x):
        self.in_shape = x.shape
        return x.reshape(x.shape[0], -1)

    def backward(self, dout, input_grad=True):
        return dout.reshape(self.in_shape)


# --- normalisation and regularisation -----------------------------------------------------------

class BatchNorm(Layer):
    """Batch normalisation of (N, F) features or (N, C, H, W) channels (statistics over N, H, W).

    Training: normalise with the batch mean and (biased) variance and update the running
    statistics, running = (1 - momentum) * running + momentum * batch (PyTorch's convention,
    unbiased variance). Evaluation: normalise with the running statistics.

    A training forward keeps the statistics it normalised with (batch_mean, batch_var): loaded
    as the running statistics of a layer in evaluation mode, they normalise any later batch
    exactly as that batch was (a generator then plays one window the same whatever else is
    in its batch).
    """

    def __init__(self, num_features, momentum=0.1, eps=1e-5):
        super().__init__()
        self.num_features, self.momentum, self.eps = num_features, momentum, eps
        self.params["gamma"] = np.ones(num_features, dtype=DTYPE)
        self.params["beta"] = np.zeros(num_features, dtype=DTYPE)
        self.state["running_mean"] = np.zeros(num_features, dtype=DTYPE)
        self.state["running_var"] = np.ones(num_features, dtype=DTYPE)

    def _rows(self, x):
        """x as rows of features (M, F): (N, F) as it is, (N, C, H, W) as (N*H*W, C).

        For images this is a view when the channels are innermost in memory, as in every
        convolution's output; then all reductions run down contiguous columns, several times
        faster than numpy's reduction over the axes (0, 2, 3) of a small image.
        """
        if x.ndim == 2 and x.shape[1] == self.num_features:
            return x
        if x.ndim == 4 and x.shape[1] == self.num_features:
            return np.moveaxis(x, 1, -1).reshape(-1, self.num_features)
        raise ValueError(f"BatchNorm({self.num_features}) needs (N, {self.num_features}) or "
                         f"(N, {self.num_features}, H, W), got {x.shape}")

    def _unrows(self, rows, shape):
        """Inverse of _rows: (M, F) -> an array of `shape`, (N, C, H, W) as a channels-last view."""
        if len(shape) == 2:
            return rows
        n, c, h, w = shape
        return rows.reshape(n, h, w, c).transpose(0, 3, 1, 2)

    def forward(self, x):
        rows = self._rows(x)                                      # (M, F)
        if self.training:
            mean = rows.mean(axis=0)
            centred = rows - mean
            var = np.mean(centred * centred, axis=0)              # biased, as np.var
            self.batch_mean, self.batch_var = mean, var
            count = len(rows)
            m = self.momentum
            self.state["running_mean"] *= 1 - m
            self.state["running_mean"] += m * mean
            self.state["running_var"] *= 1 - m
            self.state["running_var"] += m * var * count / max(count - 1, 1)
        else:
            mean, var = self.state["running_mean"], self.state["running_var"]
            centred = rows - mean
        self.inv_std = 1.0 / np.sqrt(var + self.eps)
        self.x_hat = centred
        self.x_hat *= self.inv_std                                # (x - mean) / std
        y = self.x_hat * self.params["gamma"]
        y += self.params["beta"]
        return self._unrows(y, x.shape)

    def backward(self, dout, input_grad=True):
        dy = self._rows(dout)                                     # (M, F)
        d_gamma = (dy * self.x_hat).sum(axis=0)
        d_beta = dy.sum(axis=0)
        if not self.frozen:
            self.grads["gamma"], self.grads["beta"] = d_gamma, d_beta
        scale = self.params["gamma"] * self.inv_std
        if not self.training:        # statistics are constants in evaluation mode
            return self._unrows(dy * scale, dout.shape)
        count = len(dy)
        dx = dy - d_beta / count
        dx -= self.x_hat * (d_gamma / count)
        dx *= scale                  # gamma / std * (dy - mean(dy) - x_hat * mean(dy * x_hat))
        return self._unrows(dx, dout.shape)

    def describe(self):
        return f"BatchNorm({self.num_features})"


class MinibatchStdDev(Layer):
    """Append one channel holding the mean over features of the per-feature std across the batch.

    (N, C, H, W) -> (N, C + 1, H, W) (Karras et al. 2018): a discriminator can then see how
    varied a batch is, which discourages a generator from collapsing to a few outputs.
    """

    def __init__(self, eps=1e-8):
        super().__init__()
        self.eps = eps

    def forward(self, x):
        n, _, h, w = x.shape
        self.centred = x - x.mean(axis=0)                                # (N, C, H, W)
        self.std = np.sqrt((self.centred ** 2).mean(axis=0) + self.eps)  # (C, H, W)
        value = self.std.mean()
        extra = np.full((n, 1, h, w), value, dtype=x.dtype)
        return np.concatenate([x, extra], axis=1)

    def backward(self, dout, input_grad=True):
        n = dout.shape[0]
        d_value = dout[:, -1].sum()
        # d std[f] / d x[k, f] = centred[k, f] / (N * std[f]); the mean over features adds 1/F
        d_x = d_value * self.centred / (n * self.std * self.std.size)
        return dout[:, :-1] + d_x.astype(dout.dtype, copy=False)

    def describe(self):
        return "MinibatchStdDev"


class SpectralNorm(Layer):
    """Wrap a Dense, Conv2D or ConvTranspose2D so it uses W / sigma(W) (Miyato et al. 2018).

    sigma is the largest singular value of W seen as a matrix with one row per output unit,
    estimated like torch.nn.utils.spectral_norm: one power-iteration step per training forward,
    with the vectors u and v kept in `state` (so checkpoints carry them). In evaluation mode
    u and v stay fixed. The raw W stays in `params`, so optimizers and checkpoints see it;
    the gradient goes through sigma with u and v held constant:
        dW = (dW_bar - <dW_bar, W_bar> u v^T) / sigma.
    """

    def __init__(self, layer, eps=1e-12, rng=None):
        super().__init__()
        if not isinstance(layer, (Dense, Conv2D, ConvTranspose2D)):
            raise TypeError(f"SpectralNorm wraps Dense, Conv2D or ConvTranspose2D, "
                            f"not {type(layer).__name__}")
        self.layer, self.eps = layer, eps
        self.params = dict(layer.params)       # the raw W and the wrapped layer's b
        rows, cols = self._matrix(self.params["W"]).shape
        rng = as_rng(rng)
        self.state["u"] = self._normalise(rng.standard_normal(rows)).astype(DTYPE)
        self.state["v"] = self._normalise(rng.standard_normal(cols)).astype(DTYPE)

    def _matrix(self, W):
        """The weight as (output units, everything else)."""
        if isinstance(self.layer, Dense):
            return W.T                                         # (out, in)
        if isinstance(self.layer, ConvTranspose2D):
            return W.transpose(1, 0, 2, 3).reshape(W.shape[1], -1)  # (O, C*kh*kw)
        return W.reshape(W.shape[0], -1)                       # (O, C*kh*kw)

    def _unmatrix(self, M, shape):
        """Inverse of _matrix."""
        if isinstance(self.layer, Dense):
            return M.T
        if isinstance(self.layer, ConvTranspose2D):
            return M.reshape(shape[1], shape[0], *shape[2:]).transpose(1, 0, 2, 3)
        return M.reshape(shape)

    def _normalise(self, vector):
        return vector / (np.linalg.norm(vector) + self.eps)

    def forward(self, x):
        W = self.params["W"]
        matrix = self._matrix(W)                               # (rows, cols)
        u, v = self.state["u"], self.state["v"]
        if self.training:                                      # one power-iteration step
            v[...] = self._normalise(matrix.T @ u)
            matrix_v = matrix @ v
            u[...] = self._normalise(matrix_v)
        else:
            matrix_v = matrix @ v
        self.u, self.v = u.astype(W.dtype), v.astype(W.dtype)
        self.sigma = self.u @ matrix_v                         # u^T W v, reusing W v
        self.layer.params["W"] = W / self.sigma
        for key in self.params:
            if key != "W":
                self.layer.params[key] = self.params[key]
        self.layer.training = self.training
        return self.layer.forward(x)

    def backward(self, dout, input_grad=True):
        self.layer.frozen = self.frozen
        dx = self.layer.backward(dout, input_grad)
        if self.frozen:
            return dx
        d_w_bar = self.layer.grads["W"]
        w_bar = self.layer.params["W"]
        # (d_w_bar - <d_w_bar, w_bar> u v^T) / sigma, computed in place in d_w_bar, which the
        # wrapped layer has just made: np.vdot sums the products without a temporary array
        along_uv = np.vdot(d_w_bar, w_bar)
        d_w_bar /= self.sigma
        d_w_bar -= self._unmatrix(np.outer(along_uv / self.sigma * self.u, self.v), w_bar.shape)
        self.grads["W"] = d_w_bar
        for key in self.params:
            if key != "W":
                self.grads[key] = self.layer.grads[key]
        return dx

    def describe(self):
        return f"SpectralNorm({self.layer.describe()})"
