"""Convolutions, forward and backward, as a textbook writes them: the plain loops, then im2col.

Every convolution in the engine, plain and transposed, forward and backward, comes down to three
computations on images laid out (N, C, H, W), with W in PyTorch's Conv2D layout (O, C, kh, kw):

    conv_forward(x, W, geom)                y  = x (*) W                    (N, O, Ho, Wo)
    conv_backward_data(dy, W, geom)         dx = the adjoint of (*) W on dy  (N, C, H, W)
    conv_backward_weights(x, dy, geom)      dW                               (O, C, kh, kw)

A transposed convolution is the adjoint of a convolution from its output image to its input
image, so ConvTranspose2D uses the same three with the roles swapped (its forward is
conv_backward_data).

This file is the reference a learner reads, top to bottom:

1. the definition: three plain-loop functions, slow and obvious;
2. the geometry: output sizes and padding (Keras 'same' puts the odd extra row or column at the
   bottom and right, PyTorch's integers pad both sides alike);
3. the same three computations as one matrix product each (CS231n, "im2col"): copy every kh x kw
   window of the padded input into a row of a matrix, cols (N*Ho*Wo, C*kh*kw); then the forward
   pass is cols @ W.T with W as (O, C*kh*kw) rows, the weight gradient is dy.T @ cols, and the
   input gradient is dy @ W turned back into an image by col2im, which adds every row back onto
   the window it came from.

The layers run fast_kernels.py instead: the same products on channels-last memory, plus the
strategies that keep them fast and small (see there). The tests prove both against the loops.
"""
import math
from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


# --- 1. the definition, as plain loops (slow: for reading and for the tests) --------------------

def loop_conv_forward(x, W, geom):
    """y[n, o, a, b] = sum over c, i, j of xp[n, c, a*sh + i, b*sw + j] * W[o, c, i, j],
    xp being x with geom.pad zeros around it.  x (N, C, H, W), W (O, C, kh, kw) -> (N, O, Ho, Wo).
    """
    xp = pad(x, geom)
    n, o = len(x), W.shape[0]
    (ho, wo), (kh, kw), (sh, sw) = geom.out, geom.kernel, geom.stride
    y = np.zeros((n, o, ho, wo), dtype=np.result_type(x, W))
    for b in range(n):
        for a in range(ho):
            for e in range(wo):
                window = xp[b, :, a * sh:a * sh + kh, e * sw:e * sw + kw]      # (C, kh, kw)
                for f in range(o):
                    y[b, f, a, e] = np.sum(window * W[f])
    return y


def loop_conv_backward_data(dy, W, geom):
    """The adjoint of loop_conv_forward: every output pixel adds W times its gradient back
    onto the window it was computed from.  dy (N, O, Ho, Wo) -> dx (N, C, H, W)."""
    n, c = len(dy), W.shape[1]
    (ho, wo), (kh, kw), (sh, sw) = geom.out, geom.kernel, geom.stride
    dxp = np.zeros((n, c) + geom.padded, dtype=np.result_type(dy, W))
    for b in range(n):
        for a in range(ho):
            for e in range(wo):
                for f in range(W.shape[0]):
                    dxp[b, :, a * sh:a * sh + kh, e * sw:e * sw + kw] += dy[b, f, a, e] * W[f]
    return crop(dxp, geom)


def loop_conv_backward_weights(x, dy, geom):
    """dW[o] = sum over every output pixel of its gradient times the window it was computed
    from.  x (N, C, H, W), dy (N, O, Ho, Wo) -> dW (O, C, kh, kw)."""
    xp = pad(x, geom)
    o, c = dy.shape[1], x.shape[1]
    (ho, wo), (kh, kw), (sh, sw) = geom.out, geom.kernel, geom.stride
    dW = np.zeros((o, c, kh, kw), dtype=np.result_type(x, dy))
    for b in range(len(x)):
        for a in range(ho):
            for e in range(wo):
                window = xp[b, :, a * sh:a * sh + kh, e * sw:e * sw + kw]      # (C, kh, kw)
                for f in range(o):
                    dW[f] += dy[b, f, a, e] * window
    return dW


# --- 2. geometry -------------------------------------------------------------------------------

def pair(value, name="value"):
    """An int or an (h, w) pair -> an (h, w) tuple of ints."""
    if isinstance(value, (int, np.integer)):
        return int(value), int(value)
    pair_ = tuple(int(v) for v in value)
    if len(pair_) != 2:
        raise ValueError(f"{name} must be an int or an (h, w) pair, got {value!r}")
    return pair_


def same_padding(size, kernel, stride):
    """Keras 'same' padding along one axis: output = ceil(size / stride), extra at the end."""
    out = math.ceil(size / stride)
    total = max((out - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2


def resolve_padding(padding, image_size, kernel, stride):
    """'same' | 'valid' | int | (h, w) -> ((top, bottom), (left, right)) for an image (H, W)."""
    if isinstance(padding, str):
        if padding == "valid":
            return (0, 0), (0, 0)
        if padding == "same":
            return tuple(same_padding(image_size[a], kernel[a], stride[a]) for a in (0, 1))
        raise ValueError(f"padding must be 'same', 'valid', an int or a pair, got {padding!r}")
    ph, pw = pair(padding, "padding")
    if ph < 0 or pw < 0:
        raise ValueError(f"padding must not be negative, got {padding!r}")
    return (ph, ph), (pw, pw)


@dataclass(frozen=True)
class ConvGeometry:
    """Sizes of one convolution from an image (H, W) to an output (Ho, Wo).

    pad = ((top, bottom), (left, right)) zero rows/columns added around the image.
    """
    image: tuple      # (H, W)
    kernel: tuple     # (kh, kw)
    stride: tuple     # (sh, sw)
    pad: tuple        # ((top, bottom), (left, right))

    @property
    def padded(self):
        (top, bottom), (left, right) = self.pad
        return self.image[0] + top + bottom, self.image[1] + left + right

    @property
    def out(self):
        hp, wp = self.padded
        return tuple((p - k) // s + 1 for p, k, s in zip((hp, wp), self.kernel, self.stride))

    def check(self):
        """Raise ValueError when the kernel does not fit the padded image."""
        if min(self.out) < 1:
            raise ValueError(f"kernel {self.kernel} does not fit image {self.image} "
                             f"padded by {self.pad}")
        return self


def conv_geometry(image, kernel, stride, padding):
    """The geometry of a Conv2D on an (H, W) image with the layer's own arguments."""
    kernel, stride = pair(kernel, "kernel_size"), pair(stride, "stride")
    if min(kernel) < 1 or min(stride) < 1:
        raise ValueError(f"kernel_size and stride must be positive, got {kernel}, {stride}")
    pad_ = resolve_padding(padding, image, kernel, stride)
    return ConvGeometry(tuple(image), kernel, stride, pad_).check()


def transposed_geometry(image, kernel, stride, padding):
    """The geometry of the convolution whose adjoint is ConvTranspose2D on an (H, W) input.

    Returns the geometry of a Conv2D from the transposed conv's OUTPUT image to its input:
    'same' -> output = input * stride; 'valid' -> (input - 1) * stride + kernel;
    an int p (PyTorch) -> (input - 1) * stride + kernel - 2p.
    """
    kernel, stride = pair(kernel, "kernel_size"), pair(stride, "stride")
    if min(kernel) < 1 or min(stride) < 1:
        raise ValueError(f"kernel_size and stride must be positive, got {kernel}, {stride}")
    if padding == "same":
        out = (image[0] * stride[0], image[1] * stride[1])
    else:
        (top, _), (left, _) = resolve_padding(padding, image, kernel, stride)
        out = tuple((i - 1) * s + k - 2 * p
                    for i, s, k, p in zip(image, stride, kernel, (top, left)))
    if min(out) < 1:
        raise ValueError(f"transposed conv of {tuple(image)} with kernel {kernel}, stride "
                         f"{stride}, padding {padding!r} has no output")
    geom = ConvGeometry(out, kernel, stride, resolve_padding(padding, out, kernel, stride))
    if geom.out != tuple(image):
        raise ValueError(f"no transposed conv maps {tuple(image)} to {out} with kernel {kernel}, "
                         f"stride {stride}, padding {padding!r}")
    return geom


def pad(x, geom):
    """(N, C, H, W) -> (N, C, Hp, Wp) with geom.pad zeros around every image."""
    (top, bottom), (left, right) = geom.pad
    return np.pad(x, ((0, 0), (0, 0), (top, bottom), (left, right)))


def crop(xp, geom):
    """Padded (N, C, Hp, Wp) -> the image part (N, C, H, W) (a view)."""
    (top, _), (left, _) = geom.pad
    h, w = geom.image
    return xp[:, :, top:top + h, left:left + w]


# --- 3. im2col: each computation as one matrix product ------------------------------------------

def im2col(xp, kernel, stride):
    """Every window of a padded image as a row: (N, C, Hp, Wp) -> cols (N*Ho*Wo, C*kh*kw).

    Row (n, a, b) holds the C x kh x kw window whose top-left corner is (a*sh, b*sw), in the
    order of W[o].ravel(), so that cols @ W.reshape(O, -1).T computes every output at once.
    sliding_window_view gives all windows as a view of xp (nothing copied); the reshape copies.
    """
    kh, kw = kernel
    sh, sw = stride
    n, c = xp.shape[:2]
    windows = sliding_window_view(xp, (kh, kw), axis=(2, 3))[:, :, ::sh, ::sw]  # (N, C, Ho, Wo, kh, kw)
    ho, wo = windows.shape[2:4]
    return windows.transpose(0, 2, 3, 1, 4, 5).reshape(n * ho * wo, c * kh * kw)


def col2im(cols, padded_shape, kernel, stride):
    """The adjoint of im2col: add every row back onto the window it came from.

    cols (N*Ho*Wo, C*kh*kw) -> (N, C, Hp, Wp). For each kernel offset (i, j), the values every
    window took from its pixel (i, j) go back there: one strided slice-add per offset.
    """
    n, c, hp, wp = padded_shape
    kh, kw = kernel
    sh, sw = stride
    ho, wo = (hp - kh) // sh + 1, (wp - kw) // sw + 1
    windows = cols.reshape(n, ho, wo, c, kh, kw).transpose(0, 3, 1, 2, 4, 5)  # (N, C, Ho, Wo, kh, kw)
    out = np.zeros(padded_shape, dtype=cols.dtype)
    for i in range(kh):
        for j in range(kw):
            out[:, :, i:i + sh * ho:sh, j:j + sw * wo:sw] += windows[..., i, j]
    return out


def conv_forward(x, W, geom):
    """y = im2col(x) @ W.T: x (N, C, H, W), W (O, C, kh, kw) -> y (N, O, Ho, Wo), no bias."""
    n, o = len(x), W.shape[0]
    ho, wo = geom.out
    cols = im2col(pad(x, geom), geom.kernel, geom.stride)        # (N*Ho*Wo, C*kh*kw)
    y = cols @ W.reshape(o, -1).T                                 # (N*Ho*Wo, O)
    return y.reshape(n, ho, wo, o).transpose(0, 3, 1, 2)


def conv_backward_data(dy, W, geom):
    """dx = col2im(dy @ W): dy (N, O, Ho, Wo) -> dx (N, C, H, W)."""
    n, o = dy.shape[:2]
    c = W.shape[1]
    dy_rows = dy.transpose(0, 2, 3, 1).reshape(-1, o)            # (N*Ho*Wo, O)
    dcols = dy_rows @ W.reshape(o, -1)                            # (N*Ho*Wo, C*kh*kw)
    return crop(col2im(dcols, (n, c) + geom.padded, geom.kernel, geom.stride), geom)


def conv_backward_weights(x, dy, geom):
    """dW = dy.T @ im2col(x): x (N, C, H, W), dy (N, O, Ho, Wo) -> dW (O, C, kh, kw)."""
    o, c = dy.shape[1], x.shape[1]
    cols = im2col(pad(x, geom), geom.kernel, geom.stride)        # (N*Ho*Wo, C*kh*kw)
    dy_rows = dy.transpose(0, 2, 3, 1).reshape(-1, o)            # (N*Ho*Wo, O)
    return (dy_rows.T @ cols).reshape((o, c) + geom.kernel)
