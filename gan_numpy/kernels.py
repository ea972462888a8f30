"""Convolutions, forward and backward: first the definition as plain loops, then two fast ways.

Every convolution in the engine, forward and backward, plain and transposed, comes down to
three functions (the dispatch at the bottom of this file):

    conv_forward(x, W, geom)                 y  = x (*) W, and cols      (N, Ho, Wo, O)
    conv_backward_data(dy, W, geom)          dx = the adjoint applied to dy  (N, H, W, C)
    conv_backward_weights(x, dy, geom, cols) dW                              (O, C, kh, kw)

They work on channels-last arrays (N, H, W, C): with the channels innermost, one window of the
image is a run of contiguous pixels and the matrix products below need no transposes. Layers
keep the NCHW contract at their boundaries and transpose views on the way in and out.
W has the PyTorch Conv2D layout (O, C, kh, kw). A transposed convolution is the adjoint of the
convolution from its output image to its input image, so ConvTranspose2D calls the same three
functions with the roles swapped (its forward is conv_backward_data).

The file reads top to bottom:

1. the definition: three plain-loop functions, slow and obvious; the tests prove the fast
   ones against them;
2. the geometry: output sizes and padding (Keras 'same', 'valid', PyTorch integers);
3. image-side columns (im2col, the usual way): gather every kh x kw window of the padded input
   into a row, cols (N*Ho*Wo, kh*kw*C); then y = cols @ W.T is one matrix product (W as
   (O, kh*kw*C) rows). The weight gradient is cols.T @ dy, with the cols of the forward pass
   (CS231n's fast layers keep them in their cache the same way); the input gradient scatters
   dy @ W back into the image one kernel offset at a time (col2im);
4. output-side planes, for layers with few output channels (the 7 x 7 conv to one drum-roll
   channel): first z = W @ x for every image pixel, one plane per kernel offset and output
   channel, z (kh*kw*O, N*H*W); then y sums the kh*kw shifted planes. A naive im2col of that
   layer would be 49 times its input (about 20 GB at batch 128); here the intermediate holds
   kh*kw*O = 49 values per pixel instead of kh*kw*C = 6,272, and no padded copy is made;
5. the dispatch: picks the strategy that builds the smaller intermediate and runs it over the
   batch in chunks, so no intermediate exceeds CHUNK_BYTES (PLANE_BYTES for the planes)
   whatever the batch size, which keeps the peak memory of a training step bounded. Only a
   batch done in one chunk keeps its cols for the backward pass.
"""
import math
from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

CHUNK_BYTES = 24 * 2**20   # largest im2col matrix built at once
PLANE_BYTES = 8 * 2**20    # output-side planes: small enough to stay in the CPU's cache


# --- 1. the definition, as plain loops (slow: for reading and for the tests) --------------------

def loop_conv_forward(x, W, geom):
    """y[n, a, b, o] = sum over i, j, c of xp[n, a*sh + i, b*sw + j, c] * W[o, c, i, j],
    xp being x with geom.pad zeros around it.  x (N, H, W, C), W (O, C, kh, kw) -> (N, Ho, Wo, O).
    """
    xp = pad_images(x, geom)
    n, o = len(x), W.shape[0]
    (ho, wo), (kh, kw), (sh, sw) = geom.out, geom.kernel, geom.stride
    y = np.zeros((n, ho, wo, o), dtype=np.result_type(x, W))
    for b in range(n):
        for a in range(ho):
            for e in range(wo):
                window = xp[b, a * sh:a * sh + kh, e * sw:e * sw + kw, :]   # (kh, kw, C)
                for f in range(o):
                    y[b, a, e, f] = np.sum(window * W[f].transpose(1, 2, 0))
    return y


def loop_conv_backward_data(dy, W, geom):
    """The adjoint of loop_conv_forward: every output pixel adds W times its gradient back
    onto the window it was computed from.  dy (N, Ho, Wo, O) -> dx (N, H, W, C)."""
    n, c = len(dy), W.shape[1]
    (ho, wo), (kh, kw), (sh, sw) = geom.out, geom.kernel, geom.stride
    dxp = np.zeros((n,) + geom.padded + (c,), dtype=np.result_type(dy, W))
    for b in range(n):
        for a in range(ho):
            for e in range(wo):
                for f in range(W.shape[0]):
                    dxp[b, a * sh:a * sh + kh, e * sw:e * sw + kw, :] += (
                        dy[b, a, e, f] * W[f].transpose(1, 2, 0))
    return crop_images(dxp, geom)


def loop_conv_backward_weights(x, dy, geom):
    """dW[o] = sum over every output pixel of its gradient times the window it was computed
    from.  x (N, H, W, C), dy (N, Ho, Wo, O) -> dW (O, C, kh, kw)."""
    xp = pad_images(x, geom)
    o, c = dy.shape[-1], x.shape[-1]
    (ho, wo), (kh, kw), (sh, sw) = geom.out, geom.kernel, geom.stride
    dW = np.zeros((o, c, kh, kw), dtype=np.result_type(x, dy))
    for b in range(len(x)):
        for a in range(ho):
            for e in range(wo):
                window = xp[b, a * sh:a * sh + kh, e * sw:e * sw + kw, :]   # (kh, kw, C)
                for f in range(o):
                    dW[f] += dy[b, a, e, f] * window.transpose(2, 0, 1)
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
    pad = resolve_padding(padding, image, kernel, stride)
    return ConvGeometry(tuple(image), kernel, stride, pad).check()


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


def pad_images(x, geom):
    """(N, H, W, C) -> zero-padded (N, Hp, Wp, C); x itself when there is no padding."""
    (top, bottom), (left, right) = geom.pad
    if top == bottom == left == right == 0:
        return x
    n, h, w, c = x.shape
    out = np.empty((n,) + geom.padded + (c,), dtype=x.dtype)
    out[:, :top] = 0
    out[:, top + h:] = 0
    out[:, top:top + h, :left] = 0
    out[:, top:top + h, left + w:] = 0
    out[:, top:top + h, left:left + w] = x
    return out


def crop_images(xp, geom):
    """Padded (N, Hp, Wp, C) -> the image part (N, H, W, C) (a view)."""
    (top, _), (left, _) = geom.pad
    h, w = geom.image
    return xp[:, top:top + h, left:left + w]


def _rows(images):
    """(n, H, W, C) -> (n*H*W, C), a view when the channels are innermost."""
    return images.reshape(-1, images.shape[-1])


# --- 3. image-side columns: im2col, one matrix product, col2im ----------------------------------

def im2col(xp, kernel, stride):
    """Windows of a padded image as rows: (N, Hp, Wp, C) -> (N*Ho*Wo, kh*kw*C).

    Row (n, i, j) holds the kh x kw x C window whose top-left corner is (i*sh, j*sw); the
    columns are ordered (kernel row, kernel column, channel), channel fastest. The windows
    are a strided view of xp (no copy); the reshape makes the one copy (none at all when the
    windows tile a contiguous image, as a kernel as wide as its stride does).
    """
    kh, kw = kernel
    sh, sw = stride
    n, _, _, c = xp.shape
    windows = sliding_window_view(xp, (kh, kw), axis=(1, 2))[:, ::sh, ::sw]  # (N, Ho, Wo, C, kh, kw)
    ho, wo = windows.shape[1:3]
    return windows.transpose(0, 1, 2, 4, 5, 3).reshape(n * ho * wo, kh * kw * c)


def col2im(cols, padded_shape, kernel, stride):
    """The adjoint of im2col: add every row back onto the window it came from.

    cols (N*Ho*Wo, kh*kw*C) -> (N, Hp, Wp, C). The plain rule is one slice-add per kernel
    offset (i, j): out[:, i + sh*a, j + sw*b] += cols[a, b, i, j] for every output (a, b).
    When the stride divides the kernel width, the sw offsets j = q*sw .. q*sw + sw-1 land on
    sw neighbouring pixels, one contiguous run of sw*C values in both arrays: seen as blocks
    of sw pixels, the image takes kh * kw/sw slice-adds of runs sw times longer (2 instead of
    4 for the 1 x 4, stride-2 convolutions).
    """
    n, hp, wp, c = padded_shape
    kh, kw = kernel
    sh, sw = stride
    ho, wo = (hp - kh) // sh + 1, (wp - kw) // sw + 1
    group = sw if kw % sw == 0 and wp % sw == 0 else 1               # offsets per slice-add
    out = np.zeros(padded_shape, dtype=cols.dtype)
    blocks = out.reshape(n, hp, wp // group, group * c)              # (N, Hp, Wp/g, g*C)
    cols = cols.reshape(n, ho, wo, kh, kw // group, group * c)
    step = sw // group                                               # output step in blocks
    for i in range(kh):
        for q in range(kw // group):
            blocks[:, i:i + sh * ho:sh, q:q + step * wo:step] += cols[:, :, :, i, q]
    return out


def _image_side_matrix(W):
    """(O, C, kh, kw) -> (O, kh*kw*C): each filter as one row, in im2col's column order.

    The forward product needs its transpose and takes it as a view, which BLAS reads as it
    is: copying W to (O, kh, kw, C) moves runs of C values, to (kh*kw*C, O) single values
    (about three times slower).
    """
    return W.transpose(0, 2, 3, 1).reshape(W.shape[0], -1)


def im2col_forward(x, W, geom, out=None):
    """conv_forward as one product: im2col(x) @ W.T, W as (O, kh*kw*C) rows.
    x (N, H, W, C) -> y (N, Ho, Wo, O), and the columns (N*Ho*Wo, kh*kw*C), which the weight
    gradient needs again."""
    n, o = len(x), W.shape[0]
    cols = im2col(pad_images(x, geom), geom.kernel, geom.stride)   # (N*Ho*Wo, kh*kw*C)
    if out is None:
        out = np.empty((n,) + geom.out + (o,), dtype=np.result_type(x, W))
    np.matmul(cols, _image_side_matrix(W).T, out=_rows(out))        # (N*Ho*Wo, O)
    return out, cols


def im2col_backward_data(dy, W, geom):
    """conv_backward_data as one product and col2im: col2im(dy @ W), W as (O, kh*kw*C) rows.
    dy (N, Ho, Wo, O) -> dx (N, H, W, C), a view of the padded image."""
    n, c = len(dy), W.shape[1]
    cols = _rows(dy) @ _image_side_matrix(W)                       # (N*Ho*Wo, O) @ (O, kh*kw*C)
    dxp = col2im(cols, (n,) + geom.padded + (c,), geom.kernel, geom.stride)  # (N, Hp, Wp, C)
    return crop_images(dxp, geom)


def im2col_backward_weights(x, dy, geom, cols=None):
    """conv_backward_weights as one product: im2col(x).T @ dy.  -> dW (O, C, kh, kw).
    `cols`: im2col(x) if the forward pass kept it."""
    c, o = x.shape[-1], dy.shape[-1]
    kh, kw = geom.kernel
    if cols is None:
        cols = im2col(pad_images(x, geom), geom.kernel, geom.stride)  # (N*Ho*Wo, kh*kw*C)
    dwm = cols.T @ _rows(dy)                                       # (kh*kw*C, N*Ho*Wo) @ (N*Ho*Wo, O)
    return dwm.reshape(kh, kw, c, o).transpose(3, 2, 0, 1)


# --- 4. output-side planes: one product per image pixel, then shifted sums ----------------------

def valid_range(out_size, image_size, offset, stride, pad_before):
    """Which outputs a kernel offset reaches inside the unpadded image, along one axis.

    Output a reads image index a*stride + offset - pad_before. Returns (first, stop, first image
    index) for the outputs whose index falls inside [0, image_size), or None if none does.
    """
    first = max(0, -((offset - pad_before) // stride))          # ceil((pad - offset) / stride)
    last = min(out_size - 1, (image_size - 1 + pad_before - offset) // stride)
    if last < first:
        return None
    return first, last + 1, first * stride + offset - pad_before


def _offset_windows(geom):
    """For each kernel offset (i, j) that touches the image: the output slices and image slices."""
    (ho, wo), (h, w) = geom.out, geom.image
    (top, _), (left, _) = geom.pad
    sh, sw = geom.stride
    for i in range(geom.kernel[0]):
        rows = valid_range(ho, h, i, sh, top)
        for j in range(geom.kernel[1]):
            cols = valid_range(wo, w, j, sw, left)
            if rows is None or cols is None:
                continue
            (a0, a1, h0), (b0, b1, w0) = rows, cols
            out = (slice(a0, a1), slice(b0, b1))
            image = (slice(h0, h0 + sh * (a1 - a0), sh), slice(w0, w0 + sw * (b1 - b0), sw))
            yield i, j, out, image


def gather_planes(z, geom):
    """Output-side gather: y[o, n, a, b] = sum over offsets (i, j) of z[i, j, o, n, a*sh+i-top, b*sw+j-left].

    z (kh, kw, O, N, H, W), one plane per kernel offset and output channel -> y (O, N, Ho, Wo).
    Offsets reaching into the zero padding contribute nothing, so no padded copy is made.
    """
    kh, kw, o, n, _, _ = z.shape
    y = np.zeros((o, n) + geom.out, dtype=z.dtype)
    for i, j, (rows, cols), (image_rows, image_cols) in _offset_windows(geom):
        y[:, :, rows, cols] += z[i, j, :, :, image_rows, image_cols]
    return y


def spread_planes(dy, geom):
    """The adjoint of gather_planes: dy (O, N, Ho, Wo) -> dz (kh, kw, O, N, H, W)."""
    o, n = dy.shape[:2]
    dz = np.zeros(geom.kernel + (o, n) + geom.image, dtype=dy.dtype)
    for i, j, (rows, cols), (image_rows, image_cols) in _offset_windows(geom):
        dz[i, j, :, :, image_rows, image_cols] = dy[:, :, rows, cols]
    return dz


def _output_side_matrix(W):
    """(O, C, kh, kw) -> (kh*kw*O, C), rows in the planes' (i, j, o) order."""
    return W.transpose(2, 3, 0, 1).reshape(-1, W.shape[1])


def planes_forward(x, W, geom):
    """conv_forward as z = W @ x per pixel, then the shifted sum of the planes.
    x (N, H, W, C) -> y (N, Ho, Wo, O)."""
    n, h, w, _ = x.shape
    o = W.shape[0]
    kh, kw = geom.kernel
    z = _output_side_matrix(W) @ _rows(x).T                       # (kh*kw*O, N*H*W)
    z = z.reshape(kh, kw, o, n, h, w)
    return gather_planes(z, geom).transpose(1, 2, 3, 0)            # (N, Ho, Wo, O)


def planes_backward_data(dy, W, geom):
    """conv_backward_data: spread dy into planes, then one product back to the channels.
    dy (N, Ho, Wo, O) -> dx (N, H, W, C)."""
    n, o, c = len(dy), W.shape[0], W.shape[1]
    kh, kw = geom.kernel
    dz = spread_planes(dy.transpose(3, 0, 1, 2), geom)             # (kh, kw, O, N, H, W)
    dx = dz.reshape(kh * kw * o, -1).T @ _output_side_matrix(W)    # (N*H*W, kh*kw*O) @ (kh*kw*O, C)
    return dx.reshape((n,) + geom.image + (c,))


def planes_backward_weights(x, dy, geom):
    """conv_backward_weights: spread dy into planes, one product with the image pixels.
    x (N, H, W, C), dy (N, Ho, Wo, O) -> dW (O, C, kh, kw)."""
    c, o = x.shape[-1], dy.shape[-1]
    kh, kw = geom.kernel
    dz = spread_planes(dy.transpose(3, 0, 1, 2), geom)             # (kh, kw, O, N, H, W)
    dwt = dz.reshape(kh * kw * o, -1) @ _rows(x)                   # (kh*kw*O, N*H*W) @ (N*H*W, C)
    return dwt.reshape(kh, kw, o, c).transpose(2, 3, 0, 1)


# --- 5. the dispatch: pick a strategy, run it over the batch in chunks --------------------------

def uses_output_planes(geom, in_channels, out_channels):
    """True when the output-side planes (kh*kw*O per image pixel) are smaller than im2col's
    columns (kh*kw*C per output pixel)."""
    h, w = geom.image
    ho, wo = geom.out
    return h * w * out_channels < ho * wo * in_channels


def _strategy(geom, in_channels, out_channels, itemsize):
    """(uses output planes, samples per chunk) for a convolution of this shape."""
    (h, w), (ho, wo), (kh, kw) = geom.image, geom.out, geom.kernel
    if uses_output_planes(geom, in_channels, out_channels):
        return True, PLANE_BYTES // max(1, kh * kw * out_channels * h * w * itemsize)
    return False, CHUNK_BYTES // max(1, ho * wo * kh * kw * in_channels * itemsize)


def _chunks(n, step):
    """Slices of a batch of n, `step` samples each (at least one)."""
    step = max(1, min(n, step))
    return [slice(s, s + step) for s in range(0, n, step)]


def conv_forward(x, W, geom):
    """Convolution (cross-correlation, as in every DL framework) of channels-last images.

    x (N, H, W, C), W (O, C, kh, kw) -> (y (N, Ho, Wo, O) without bias, cols). cols is the
    im2col matrix when it was built for the whole batch at once (else None): pass it to
    conv_backward_weights, which then need not build it again.
    """
    n, _, _, c = x.shape
    o = W.shape[0]
    planes, step = _strategy(geom, c, o, x.itemsize)
    parts = _chunks(n, step)
    if len(parts) == 1:
        return (planes_forward(x, W, geom), None) if planes else im2col_forward(x, W, geom)
    y = np.empty((n,) + geom.out + (o,), dtype=np.result_type(x, W))
    for part in parts:
        if planes:
            y[part] = planes_forward(x[part], W, geom)
        else:
            im2col_forward(x[part], W, geom, out=y[part])
    return y, None


def conv_backward_data(dy, W, geom):
    """Gradient of conv_forward with respect to x (also: the transposed convolution of dy).

    dy (N, Ho, Wo, O), W (O, C, kh, kw) -> dx (N, H, W, C), possibly a view.
    """
    n, _, _, o = dy.shape
    c = W.shape[1]
    planes, step = _strategy(geom, c, o, dy.itemsize)
    backward_data = planes_backward_data if planes else im2col_backward_data
    parts = _chunks(n, step)
    if len(parts) == 1:
        return backward_data(dy, W, geom)
    dx = np.empty((n,) + geom.image + (c,), dtype=np.result_type(dy, W))
    for part in parts:
        dx[part] = backward_data(dy[part], W, geom)
    return dx


def conv_backward_weights(x, dy, geom, cols=None):
    """Gradient of conv_forward with respect to W: x (N, H, W, C), dy (N, Ho, Wo, O) -> (O, C, kh, kw).

    cols: the im2col matrix of x that conv_forward returned, or None.
    """
    n, _, _, c = x.shape
    o = dy.shape[-1]
    planes, step = _strategy(geom, c, o, x.itemsize)
    if cols is not None:
        return np.ascontiguousarray(im2col_backward_weights(x, dy, geom, cols))
    backward_weights = planes_backward_weights if planes else im2col_backward_weights
    kh, kw = geom.kernel
    dW = np.zeros((o, c, kh, kw), dtype=np.result_type(x, dy))
    for part in _chunks(n, step):
        dW += backward_weights(x[part], dy[part], geom)
    return dW
