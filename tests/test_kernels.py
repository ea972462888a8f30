"""The convolution kernels against a plain-loop reference, hand-computed answers and Keras shapes."""
import numpy as np
import pytest

from gan_numpy import kernels


def naive_conv(x, W, stride, pad):
    """Reference convolution with plain loops: x (N, C, H, W), W (O, C, kh, kw) -> (N, O, Ho, Wo)."""
    (top, bottom), (left, right) = pad
    xp = np.pad(x, ((0, 0), (0, 0), (top, bottom), (left, right)))
    n, _, hp, wp = xp.shape
    o, _, kh, kw = W.shape
    sh, sw = stride
    ho, wo = (hp - kh) // sh + 1, (wp - kw) // sw + 1
    y = np.zeros((n, o, ho, wo))
    for b in range(n):
        for f in range(o):
            for i in range(ho):
                for j in range(wo):
                    window = xp[b, :, i * sh:i * sh + kh, j * sw:j * sw + kw]
                    y[b, f, i, j] = np.sum(window * W[f])
    return y


def to_nhwc(x):
    return x.transpose(0, 2, 3, 1)


def to_nchw(x):
    return x.transpose(0, 3, 1, 2)


CASES = [  # image, channels in/out, kernel, stride, padding
    ((7, 9), 3, 4, (3, 3), (1, 1), "same"),
    ((7, 9), 3, 4, (3, 2), (2, 2), "same"),
    ((25, 16), 2, 3, (4, 4), (5, 2), "same"),
    ((8, 10), 2, 3, (3, 3), (2, 1), "valid"),
    ((6, 7), 2, 2, (3, 3), (1, 1), 1),
    ((6, 9), 2, 3, (2, 3), (2, 2), (1, 2)),
    ((1, 16), 4, 3, (1, 4), (1, 2), "same"),
    ((5, 6), 5, 1, (5, 5), (1, 1), "same"),     # few output channels: output-side columns
    ((9, 11), 6, 1, (3, 3), (2, 2), "same"),    # output-side columns with a stride
]


@pytest.mark.parametrize("image,c,o,kernel,stride,padding", CASES)
def test_conv_forward_matches_naive_loops(image, c, o, kernel, stride, padding):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, c) + image)
    W = rng.standard_normal((o, c) + kernel)
    geom = kernels.conv_geometry(image, kernel, stride, padding)
    y = to_nchw(kernels.conv_forward(to_nhwc(x), W, geom))
    np.testing.assert_allclose(y, naive_conv(x, W, stride, geom.pad), atol=1e-10)


@pytest.mark.parametrize("image,c,o,kernel,stride,padding", CASES)
def test_backward_data_is_the_adjoint_of_forward(image, c, o, kernel, stride, padding):
    rng = np.random.default_rng(1)
    geom = kernels.conv_geometry(image, kernel, stride, padding)
    x = rng.standard_normal((2,) + image + (c,))
    y = rng.standard_normal((2,) + geom.out + (o,))
    W = rng.standard_normal((o, c) + kernel)
    lhs = np.sum(kernels.conv_forward(x, W, geom) * y)
    rhs = np.sum(x * kernels.conv_backward_data(y, W, geom))
    assert lhs == pytest.approx(rhs, rel=1e-10)


@pytest.mark.parametrize("image,c,o,kernel,stride,padding", CASES)
def test_backward_weights_matches_the_definition(image, c, o, kernel, stride, padding):
    # forward is linear in W, so <conv(x, W), y> = <W, dW(x, y)> for every W
    rng = np.random.default_rng(2)
    geom = kernels.conv_geometry(image, kernel, stride, padding)
    x = rng.standard_normal((3,) + image + (c,))
    y = rng.standard_normal((3,) + geom.out + (o,))
    W = rng.standard_normal((o, c) + kernel)
    dW = kernels.conv_backward_weights(x, y, geom)
    assert dW.shape == W.shape
    assert np.sum(kernels.conv_forward(x, W, geom) * y) == pytest.approx(np.sum(W * dW), rel=1e-10)


def test_hand_computed_tiny_convolution():
    x = np.arange(1, 10, dtype=np.float64).reshape(1, 3, 3, 1)   # 1 2 3 / 4 5 6 / 7 8 9
    W = np.array([[1.0, 0.0], [0.0, -1.0]]).reshape(1, 1, 2, 2)  # top-left minus bottom-right
    geom = kernels.conv_geometry((3, 3), 2, 1, "valid")
    y = kernels.conv_forward(x, W, geom)[0, :, :, 0]
    np.testing.assert_array_equal(y, [[1 - 5, 2 - 6], [4 - 8, 5 - 9]])


def test_hand_computed_same_padding_goes_bottom_right():
    x = np.ones((1, 2, 2, 1))
    W = np.ones((1, 1, 2, 2))
    geom = kernels.conv_geometry((2, 2), 2, 1, "same")
    assert geom.pad == ((0, 1), (0, 1))
    np.testing.assert_array_equal(kernels.conv_forward(x, W, geom)[0, :, :, 0], [[4, 2], [2, 1]])


@pytest.mark.parametrize("size,kernel,stride,expected", [
    (25, 4, 2, 13), (13, 4, 2, 7), (256, 4, 2, 128), (25, 7, 1, 25), (25, 4, 5, 5), (10, 3, 3, 4)])
def test_same_padding_gives_keras_output_size(size, kernel, stride, expected):
    before, after = kernels.same_padding(size, kernel, stride)
    assert (size + before + after - kernel) // stride + 1 == expected == -(-size // stride)
    assert after - before in (0, 1)


def test_transposed_geometry_follows_keras_and_pytorch_sizes():
    assert kernels.transposed_geometry((5, 128), 4, (5, 2), "same").image == (25, 256)
    assert kernels.transposed_geometry((4, 4), 3, 2, "valid").image == (9, 9)
    assert kernels.transposed_geometry((4, 4), 4, 2, 1).image == (8, 8)   # PyTorch (4-1)*2-2+4


def test_im2col_then_col2im_counts_window_overlaps():
    xp = np.ones((1, 4, 5, 1))
    cols = kernels.im2col(xp, (2, 2), (1, 1))
    assert cols.shape == (3 * 4, 4)
    counts = kernels.col2im(cols, xp.shape, (2, 2), (1, 1))[0, :, :, 0]
    np.testing.assert_array_equal(counts, [[1, 2, 2, 2, 1], [2, 4, 4, 4, 2],
                                           [2, 4, 4, 4, 2], [1, 2, 2, 2, 1]])


def test_chunked_batches_give_the_same_result(monkeypatch):
    rng = np.random.default_rng(3)
    geom = kernels.conv_geometry((6, 8), 3, 1, "same")
    x = rng.standard_normal((5, 6, 8, 4)).astype(np.float32)
    dy = rng.standard_normal((5, 6, 8, 6)).astype(np.float32)
    W = rng.standard_normal((6, 4, 3, 3)).astype(np.float32)
    whole = (kernels.conv_forward(x, W, geom), kernels.conv_backward_data(dy, W, geom),
             kernels.conv_backward_weights(x, dy, geom))
    assert not kernels.uses_output_planes(geom, 4, 6) and kernels.uses_output_planes(geom, 4, 1)
    W1 = W[:1]
    dy1 = dy[..., :1]
    whole += (kernels.conv_forward(x, W1, geom), kernels.conv_backward_data(dy1, W1, geom),
              kernels.conv_backward_weights(x, dy1, geom))
    monkeypatch.setattr(kernels, "CHUNK_BYTES", 1)   # one sample per chunk
    monkeypatch.setattr(kernels, "PLANE_BYTES", 1)
    chunked = (kernels.conv_forward(x, W, geom), kernels.conv_backward_data(dy, W, geom),
               kernels.conv_backward_weights(x, dy, geom),
               kernels.conv_forward(x, W1, geom), kernels.conv_backward_data(dy1, W1, geom),
               kernels.conv_backward_weights(x, dy1, geom))
    for a, b in zip(whole, chunked):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)


def test_float32_in_float32_out():
    geom = kernels.conv_geometry((4, 4), 3, 1, "same")
    x = np.ones((1, 4, 4, 2), dtype=np.float32)
    W = np.ones((2, 2, 3, 3), dtype=np.float32)
    assert kernels.conv_forward(x, W, geom).dtype == np.float32
    assert kernels.conv_backward_data(x, W, geom).dtype == np.float32
    assert kernels.conv_backward_weights(x, x, geom).dtype == np.float32


@pytest.mark.parametrize("padding", ["full", -1, (1, 2, 3)])
def test_bad_padding_is_refused(padding):
    with pytest.raises(ValueError):
        kernels.conv_geometry((5, 5), 3, 1, padding)


def test_kernel_larger_than_image_is_refused():
    with pytest.raises(ValueError, match="does not fit"):
        kernels.conv_geometry((2, 2), 3, 1, "valid")


def test_cases_cover_both_column_strategies():
    used = {kernels.uses_output_planes(kernels.conv_geometry(image, k, s, p), c, o)
            for image, c, o, k, s, p in CASES}
    assert used == {True, False}
