"""The convolution kernels: the plain-loop definition against hand-computed answers, the fast
strategies against the plain loops, and Keras / PyTorch output sizes."""
import numpy as np
import pytest

from gan_numpy import kernels


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


def fast_forward(x, W, geom):
    """conv_forward's output without the columns it keeps for the backward pass."""
    return kernels.conv_forward(x, W, geom)[0]


def case_arrays(image, c, o, kernel, stride, padding, seed=0, n=2):
    """Random float64 x, dy and W for one case, with its geometry."""
    rng = np.random.default_rng(seed)
    geom = kernels.conv_geometry(image, kernel, stride, padding)
    x = rng.standard_normal((n,) + image + (c,))
    dy = rng.standard_normal((n,) + geom.out + (o,))
    W = rng.standard_normal((o, c) + kernel)
    return geom, x, dy, W


@pytest.mark.parametrize("image,c,o,kernel,stride,padding", CASES)
def test_conv_forward_matches_the_plain_loops(image, c, o, kernel, stride, padding):
    geom, x, _, W = case_arrays(image, c, o, kernel, stride, padding)
    np.testing.assert_allclose(fast_forward(x, W, geom),
                               kernels.loop_conv_forward(x, W, geom), atol=1e-10)


@pytest.mark.parametrize("image,c,o,kernel,stride,padding", CASES)
def test_conv_backward_data_matches_the_plain_loops(image, c, o, kernel, stride, padding):
    geom, _, dy, W = case_arrays(image, c, o, kernel, stride, padding)
    np.testing.assert_allclose(kernels.conv_backward_data(dy, W, geom),
                               kernels.loop_conv_backward_data(dy, W, geom), atol=1e-10)


@pytest.mark.parametrize("image,c,o,kernel,stride,padding", CASES)
def test_conv_backward_weights_matches_the_plain_loops(image, c, o, kernel, stride, padding):
    geom, x, dy, _ = case_arrays(image, c, o, kernel, stride, padding)
    np.testing.assert_allclose(kernels.conv_backward_weights(x, dy, geom),
                               kernels.loop_conv_backward_weights(x, dy, geom), atol=1e-10)


@pytest.mark.parametrize("image,c,o,kernel,stride,padding", CASES[:4])
def test_plain_loop_backward_data_is_the_adjoint_of_the_plain_loop_forward(
        image, c, o, kernel, stride, padding):
    geom, x, dy, W = case_arrays(image, c, o, kernel, stride, padding, seed=4)
    lhs = np.sum(kernels.loop_conv_forward(x, W, geom) * dy)
    assert lhs == pytest.approx(np.sum(x * kernels.loop_conv_backward_data(dy, W, geom)), rel=1e-10)


@pytest.mark.parametrize("image,c,o,kernel,stride,padding", CASES[:4])
def test_plain_loop_backward_weights_is_the_derivative_of_the_plain_loop_forward(
        image, c, o, kernel, stride, padding):
    # forward is linear in W, so <conv(x, W), dy> = <W, dW(x, dy)> for every W
    geom, x, dy, W = case_arrays(image, c, o, kernel, stride, padding, seed=5)
    lhs = np.sum(kernels.loop_conv_forward(x, W, geom) * dy)
    assert lhs == pytest.approx(np.sum(W * kernels.loop_conv_backward_weights(x, dy, geom)), rel=1e-10)


@pytest.mark.parametrize("image,c,o,kernel,stride,padding", CASES)
def test_backward_data_is_the_adjoint_of_forward(image, c, o, kernel, stride, padding):
    rng = np.random.default_rng(1)
    geom = kernels.conv_geometry(image, kernel, stride, padding)
    x = rng.standard_normal((2,) + image + (c,))
    y = rng.standard_normal((2,) + geom.out + (o,))
    W = rng.standard_normal((o, c) + kernel)
    lhs = np.sum(fast_forward(x, W, geom) * y)
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
    assert np.sum(fast_forward(x, W, geom) * y) == pytest.approx(np.sum(W * dW), rel=1e-10)


BOTH_FORWARDS = pytest.mark.parametrize("forward", [kernels.loop_conv_forward, fast_forward],
                                        ids=["loops", "fast"])


@BOTH_FORWARDS
def test_hand_computed_tiny_convolution(forward):
    x = np.arange(1, 10, dtype=np.float64).reshape(1, 3, 3, 1)   # 1 2 3 / 4 5 6 / 7 8 9
    W = np.array([[1.0, 0.0], [0.0, -1.0]]).reshape(1, 1, 2, 2)  # top-left minus bottom-right
    geom = kernels.conv_geometry((3, 3), 2, 1, "valid")
    y = forward(x, W, geom)[0, :, :, 0]
    np.testing.assert_array_equal(y, [[1 - 5, 2 - 6], [4 - 8, 5 - 9]])


@BOTH_FORWARDS
def test_hand_computed_same_padding_goes_bottom_right(forward):
    x = np.ones((1, 2, 2, 1))
    W = np.ones((1, 1, 2, 2))
    geom = kernels.conv_geometry((2, 2), 2, 1, "same")
    assert geom.pad == ((0, 1), (0, 1))
    np.testing.assert_array_equal(forward(x, W, geom)[0, :, :, 0], [[4, 2], [2, 1]])


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


@pytest.mark.parametrize("image,c,o,kernel,stride,padding", CASES)
def test_weight_gradient_from_the_kept_columns_is_the_same(image, c, o, kernel, stride, padding):
    geom, x, dy, W = case_arrays(image, c, o, kernel, stride, padding, seed=6)
    _, cols = kernels.conv_forward(x, W, geom)
    assert (cols is None) == kernels.uses_output_planes(geom, c, o)
    np.testing.assert_array_equal(kernels.conv_backward_weights(x, dy, geom, cols),
                                  kernels.conv_backward_weights(x, dy, geom))


def test_chunked_batches_give_the_same_result(monkeypatch):
    rng = np.random.default_rng(3)
    geom = kernels.conv_geometry((6, 8), 3, 1, "same")
    x = rng.standard_normal((5, 6, 8, 4)).astype(np.float32)
    dy = rng.standard_normal((5, 6, 8, 6)).astype(np.float32)
    W = rng.standard_normal((6, 4, 3, 3)).astype(np.float32)
    whole = (fast_forward(x, W, geom), kernels.conv_backward_data(dy, W, geom),
             kernels.conv_backward_weights(x, dy, geom))
    assert not kernels.uses_output_planes(geom, 4, 6) and kernels.uses_output_planes(geom, 4, 1)
    W1 = W[:1]
    dy1 = dy[..., :1]
    whole += (fast_forward(x, W1, geom), kernels.conv_backward_data(dy1, W1, geom),
              kernels.conv_backward_weights(x, dy1, geom))
    monkeypatch.setattr(kernels, "CHUNK_BYTES", 1)   # one sample per chunk
    monkeypatch.setattr(kernels, "PLANE_BYTES", 1)
    chunked = (fast_forward(x, W, geom), kernels.conv_backward_data(dy, W, geom),
               kernels.conv_backward_weights(x, dy, geom),
               fast_forward(x, W1, geom), kernels.conv_backward_data(dy1, W1, geom),
               kernels.conv_backward_weights(x, dy1, geom))
    for a, b in zip(whole, chunked):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)


def test_float32_in_float32_out():
    geom = kernels.conv_geometry((4, 4), 3, 1, "same")
    x = np.ones((1, 4, 4, 2), dtype=np.float32)
    W = np.ones((2, 2, 3, 3), dtype=np.float32)
    assert fast_forward(x, W, geom).dtype == np.float32
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
