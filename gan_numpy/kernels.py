"""The convolution hot paths: geometry, im2col / col2im and the matrix products.

Every convolution in the engine, forward and backward, plain and transposed, comes down to the
three functions at the bottom of this file:

    conv_forward(x, W, geom)          y  = x (*) W                    (N, Ho, Wo, O)
    conv_backward_data(dy, W, geom)   dx = the adjoint applied to dy  (N, H, W, C)
    conv_backward_weights(x, dy, geom) dW                             (O, C, kh, kw)

They work on channels-last arrays (N, H, W, C): with the channels innermost, one window of the
image is a run of contiguous pixels and the matrix products below need no transposes. Layers
keep the NCHW contract at their boundaries and transpose views on the way in and out.

W has the PyTorch Conv2D layout (O, C, kh, kw). A transposed convolution is the adjoint of the
convolution from its output image to its input image, so ConvTranspose2D calls the same three
functions with the roles swapped (its forward is conv_backward_data).

Two ways to turn a convolution into matrix products are used, chosen per layer by which
builds the smaller intermediate:

* image-side columns (im2col, the usual way): gather every kh x kw window of the padded input
  into a row, cols (N*Ho*Wo, kh*kw*C), then y = cols @ W, one product per chunk of the batch.
  The backward pass scatters dy @ W.T back into the image one kernel offset at a time (col2im).
* output-side planes, for layers with few output channels (the 7 x 7 conv to one drum-roll
  channel): first z = W @ x for every image pixel, one plane per kernel offset and output
  channel, z (kh*kw*O, N*H*W); then y sums the kh*kw shifted planes. A naive im2col of that
  layer would be 49 times its input (about 20 GB at batch 128); here the intermediate holds
  kh*kw*O = 49 values per pixel instead of kh*kw*C = 6,272, and no padded copy is made.

The batch is processed in chunks so no intermediate exceeds CHUNK_BYTES, which keeps the peak
memory of a training step bounded whatever the batch size.
"""
import math
from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

CHUNK_BYTES = 24 * 2**20   # largest im2col matrix built at once
PLANE_BYTES = 8 * 2**20    # output-side planes: small enough to stay in the CPU's cache


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


# --- im2col and col2im ------------------------------------------------------------------------

def pad_images(x, geom, out=None):
    """(N, H, W, C) -> zero-padded (N, Hp, Wp, C), into `out` when given (its borders are zeroed)."""
    (top, bottom), (left, right) = geom.pad
    n, h, w, c = x.shape
    hp, wp = geom.padded
    if out is None:
        out = np.empty((n, hp, wp, c), dtype=x.dtype)
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


def im2col(xp, kernel, stride):
    """Windows of a padded image as rows: (N, Hp, Wp, C) -> (N*Ho*Wo, kh*kw*C).

    Row (n, i, j) holds the kh x kw x C window whose top-left corner is (i*sh, j*sw); the
    columns are ordered (kernel row, kernel column, channel), channel fastest.
    """
    kh, kw = kernel
    sh, sw = stride
    n, _, _, c = xp.shape
    windows = sliding_window_view(xp, (kh, kw), axis=(1, 2))[:, ::sh, ::sw]  # (N, Ho, Wo, C, kh, kw)
    ho, wo = windows.shape[1:3]
    return windows.transpose(0, 1, 2, 4, 5, 3).reshape(n * ho * wo, kh * kw * c)


def col2im(cols, padded_shape, kernel, stride, out=None):
    """The adjoint of im2col: add every row back onto the window it came from.

    cols (N*Ho*Wo, kh*kw*C) -> (N, Hp, Wp, C). One slice-add per kernel offset.
    """
    n, hp, wp, c = padded_shape
    kh, kw = kernel
    sh, sw = stride
    ho, wo = (hp - kh) // sh + 1, (wp - kw) // sw + 1
    cols = cols.reshape(n, ho, wo, kh, kw, c)
    if out is None:
        out = np.empty(padded_shape, dtype=cols.dtype)
    out[...] = 0
    for i in range(kh):
        for j in range(kw):
            out[:, i:i + sh * ho:sh, j:j + sw * wo:sw] += cols[:, :, :, i, j]
    return out


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


# --- the convolution as matrix products -------------------------------------------------------

def uses_output_planes(geom, in_channels, out_channels):
    """True when the output-side planes (kh*kw*O per image pixel) are smaller than im2col's
    columns (kh*kw*C per output pixel)."""
    h, w = geom.image
    ho, wo = geom.out
    return h * w * out_channels < ho * wo * in_channels


def _image_side_matrix(W):
    """(O, C, kh, kw) -> (kh*kw*C, O), rows in im2col's column order."""
    o = W.shape[0]
    return W.transpose(2, 3, 1, 0).reshape(-1, o)


def _output_side_matrix(W):
    """(O, C, kh, kw) -> (kh*kw*O, C), rows in the planes' (i, j, o) order."""
    return W.transpose(2, 3, 0, 1).reshape(-1, W.shape[1])


def _chunk_size(n, bytes_per_sample, budget=None):
    budget = CHUNK_BYTES if budget is None else budget
    return max(1, min(n, budget // max(1, bytes_per_sample)))


def _rows(images):
    """(n, H, W, C) -> (n*H*W, C), a view when the channels are innermost."""
    return images.reshape(-1, images.shape[-1])


def _padded_chunks(x, geom, step):
    """(start, zero-padded chunk (n, Hp, Wp, C)) over the batch, reusing one buffer."""
    buffer = None
    for s in range(0, len(x), step):
        chunk = x[s:s + step]
        if buffer is None or len(buffer) != len(chunk):
            buffer = np.empty((len(chunk),) + geom.padded + (x.shape[-1],), dtype=x.dtype)
        yield s, pad_images(chunk, geom, out=buffer)


def conv_forward(x, W, geom):
    """Convolution (cross-correlation, as in every DL framework) of channels-last images.

    x (N, H, W, C), W (O, C, kh, kw) -> y (N, Ho, Wo, O), no bias.
    """
    n, h, w, c = x.shape
    o = W.shape[0]
    ho, wo = geom.out
    kh, kw = geom.kernel
    y = np.empty((n, ho, wo, o), dtype=np.result_type(x, W))
    if uses_output_planes(geom, c, o):
        wt = _output_side_matrix(W)                                # (kh*kw*O, C)
        step = _chunk_size(n, kh * kw * o * h * w * x.itemsize, PLANE_BYTES)
        for s in range(0, n, step):
            chunk = x[s:s + step]
            z = wt @ _rows(chunk).T                                # (kh*kw*O, n*H*W)
            z = z.reshape(kh, kw, o, len(chunk), h, w)
            y[s:s + step] = gather_planes(z, geom).transpose(1, 2, 3, 0)  # (n, Ho, Wo, O)
        return y
    wm = _image_side_matrix(W)                                     # (kh*kw*C, O)
    step = _chunk_size(n, ho * wo * kh * kw * c * x.itemsize)
    for s, xp in _padded_chunks(x, geom, step):                    # (n, Hp, Wp, C)
        cols = im2col(xp, geom.kernel, geom.stride)                # (n*Ho*Wo, kh*kw*C)
        np.matmul(cols, wm, out=_rows(y[s:s + step]))              # (n*Ho*Wo, O)
    return y


def conv_backward_data(dy, W, geom):
    """Gradient of conv_forward with respect to x (also: the transposed convolution of dy).

    dy (N, Ho, Wo, O), W (O, C, kh, kw) -> dx (N, H, W, C).
    """
    n, ho, wo, o = dy.shape
    c = W.shape[1]
    hp, wp = geom.padded
    kh, kw = geom.kernel
    h, w = geom.image
    dx = np.empty((n, h, w, c), dtype=np.result_type(dy, W))
    if uses_output_planes(geom, c, o):
        wt = _output_side_matrix(W)                                # (kh*kw*O, C)
        step = _chunk_size(n, kh * kw * o * h * w * dy.itemsize, PLANE_BYTES)
        for s in range(0, n, step):
            dz = spread_planes(dy[s:s + step].transpose(3, 0, 1, 2), geom)  # (kh, kw, O, n, H, W)
            np.matmul(dz.reshape(kh * kw * o, -1).T, wt,           # (n*H*W, kh*kw*O) @ (kh*kw*O, C)
                      out=_rows(dx[s:s + step]))
        return dx
    wm = _image_side_matrix(W)                                     # (kh*kw*C, O)
    step = _chunk_size(n, ho * wo * kh * kw * c * dy.itemsize)
    buffer = None
    for s in range(0, n, step):
        chunk = dy[s:s + step]
        if buffer is None or len(buffer) != len(chunk):
            buffer = np.empty((len(chunk), hp, wp, c), dtype=dx.dtype)
        cols = _rows(chunk) @ wm.T                                 # (n*Ho*Wo, O) @ (O, kh*kw*C)
        dxp = col2im(cols, buffer.shape, geom.kernel, geom.stride, out=buffer)
        dx[s:s + step] = crop_images(dxp, geom)
    return dx


def conv_backward_weights(x, dy, geom):
    """Gradient of conv_forward with respect to W: x (N, H, W, C), dy (N, Ho, Wo, O) -> (O, C, kh, kw)."""
    n, h, w, c = x.shape
    o = dy.shape[-1]
    ho, wo = geom.out
    kh, kw = geom.kernel
    dtype = np.result_type(x, dy)
    if uses_output_planes(geom, c, o):
        dwt = np.zeros((kh * kw * o, c), dtype=dtype)              # (kh*kw*O, C)
        step = _chunk_size(n, kh * kw * o * h * w * x.itemsize, PLANE_BYTES)
        for s in range(0, n, step):
            dz = spread_planes(dy[s:s + step].transpose(3, 0, 1, 2), geom)  # (kh, kw, O, n, H, W)
            dwt += dz.reshape(kh * kw * o, -1) @ _rows(x[s:s + step])  # (kh*kw*O, n*H*W) @ (n*H*W, C)
        return dwt.reshape(kh, kw, o, c).transpose(2, 3, 0, 1).copy()
    dwm = np.zeros((kh * kw * c, o), dtype=dtype)                  # (kh*kw*C, O)
    step = _chunk_size(n, ho * wo * kh * kw * c * x.itemsize)
    for s, xp in _padded_chunks(x, geom, step):
        cols = im2col(xp, geom.kernel, geom.stride)                # (n*Ho*Wo, kh*kw*C)
        dwm += cols.T @ _rows(dy[s:s + step])                      # (kh*kw*C, n*Ho*Wo) @ (n*Ho*Wo, O)
    return dwm.reshape(kh, kw, c, o).transpose(3, 2, 0, 1).copy()
