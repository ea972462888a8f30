"""The convolutions the layers run: kernels.py's products on channels-last memory, kept fast and small.

kernels.py says what a convolution and its gradients are, and computes each as one matrix
product (im2col). This module computes the same three functions, with the same arguments and
results (images (N, C, H, W), W (O, C, kh, kw)), with the tricks that make them fast; the tests
prove every one equal to the plain loops of kernels.py:

1. channels-last memory. Inside, images are (N, H, W, C): one window of the image is then a run
   of contiguous values, im2col is a strided view copied once, and cols @ W.T gives the output
   already laid out (N, Ho, Wo, O), the layout the next convolution reads, with no copy in
   between. The (N, C, H, W) arrays the layers pass in and get back are transposed *views*
   (layers.channels_last makes an image so where it is made), so the layers never see a layout;
2. image-side columns (im2col, as kernels.py) with the input gradient's col2im adding runs of
   several pixels at once when the stride divides the kernel;
3. output-side planes, for layers with few output channels (the 7 x 7 conv to one drum-roll
   channel): first z = W @ x for every image pixel, one plane per kernel offset and output
   channel, z (kh*kw*O, N*H*W); then y sums the kh*kw shifted planes. A naive im2col of that
   layer would be 49 times its input (about 20 GB at batch 128); here the intermediate holds
   kh*kw*O = 49 values per pixel instead of kh*kw*C = 6,272, and no padded copy is made;
4. the dispatch: picks the strategy that builds the smaller intermediate and runs it over the
   batch in chunks, so no intermediate exceeds CHUNK_BYTES (PLANE_BYTES for the planes)
   whatever the batch size, which keeps the peak memory of a training step bounded. Only a
   batch done in one chunk keeps its cols for the backward pass.
"""
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

CHUNK_BYTES = 24 * 2**20   # largest im2col matrix built at once
PLANE_BYTES = 8 * 2**20    # output-side planes: small enough to stay in the CPU's cache


# --- 1. channels-last images ---------------------------------------------------------------------

def channels_last_view(images):
    """(N, C, H, W) -> the same values as (N, H, W, C), a view (no copy)."""
    return images.transpose(0, 2, 3, 1)


def channels_first_view(images):
    """(N, H, W, C) -> the same values as (N, C, H, W), a view (no copy)."""
    return images.transpose(0, 3, 1, 2)


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


# --- 2. image-side columns: im2col, one matrix product, col2im ----------------------------------

def im2col(xp, kernel, stride):
    """kernels.im2col on channels-last images: (N, Hp, Wp, C) -> (N*Ho*Wo, kh*kw*C).

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


# --- 3. output-side planes: one product per image pixel, then shifted sums ----------------------

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


# --- 4. the dispatch: pick a strategy, run it over the batch in chunks --------------------------

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
    """kernels.conv_forward: x (N, C, H, W), W (O, C, kh, kw) -> (y (N, O, Ho, Wo) without bias,
    cols). y is a view of channels-last memory; cols is the im2col matrix when it was built for
    the whole batch at once (else None): give it to conv_backward_weights, which then need not
    build it again.
    """
    x = channels_last_view(x)                                        # (N, H, W, C)
    n, _, _, c = x.shape
    o = W.shape[0]
    planes, step = _strategy(geom, c, o, x.itemsize)
    parts = _chunks(n, step)
    if len(parts) == 1:
        y, cols = (planes_forward(x, W, geom), None) if planes else im2col_forward(x, W, geom)
        return channels_first_view(y), cols
    y = np.empty((n,) + geom.out + (o,), dtype=np.result_type(x, W))  # (N, Ho, Wo, O)
    for part in parts:
        if planes:
            y[part] = planes_forward(x[part], W, geom)
        else:
            im2col_forward(x[part], W, geom, out=y[part])
    return channels_first_view(y), None


def conv_backward_data(dy, W, geom):
    """kernels.conv_backward_data (also: the transposed convolution of dy):
    dy (N, O, Ho, Wo), W (O, C, kh, kw) -> dx (N, C, H, W), a view of channels-last memory.
    """
    dy = channels_last_view(dy)                                      # (N, Ho, Wo, O)
    n, _, _, o = dy.shape
    c = W.shape[1]
    planes, step = _strategy(geom, c, o, dy.itemsize)
    backward_data = planes_backward_data if planes else im2col_backward_data
    parts = _chunks(n, step)
    if len(parts) == 1:
        return channels_first_view(backward_data(dy, W, geom))
    dx = np.empty((n,) + geom.image + (c,), dtype=np.result_type(dy, W))  # (N, H, W, C)
    for part in parts:
        dx[part] = backward_data(dy[part], W, geom)
    return channels_first_view(dx)


def conv_backward_weights(x, dy, geom, cols=None):
    """kernels.conv_backward_weights: x (N, C, H, W), dy (N, O, Ho, Wo) -> dW (O, C, kh, kw).

    cols: the im2col matrix of x that conv_forward returned, or None.
    """
    x, dy = channels_last_view(x), channels_last_view(dy)            # (N, H, W, C), (N, Ho, Wo, O)
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
