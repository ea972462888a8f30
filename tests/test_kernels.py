"""The convolutions' definition (gan_numpy.kernels): the plain loops against hand-computed answers
and their own adjoint identities; im2col's three products and the fast ones the layers run
(fast_kernels) against the loops; Keras / PyTorch output sizes."""
import numpy as np
import pytest

from gan_numpy import fast_kernels, kernels

CASES = [  # image, channels in/out, kernel, stride, padding
    ((7, 9), 3, 4, (3, 3), (1, 1), "same"),
    ((7, 9), 3, 4, (3, 2), (2, 2), "same"),
    ((25, 16), 2, 3, (4, 4), (5, 2), "same"),
    ((8, 10), 2, 3, (3, 3), (2, 1), "valid"),
    ((6, 7), 2, 2, (3, 3), (1, 1), 1),
    ((6, 9), 2, 3, (2, 3), (2, 2), (1, 2)),
    ((1, 16), 4, 3, (1, 4), (1, 2), "same"),
    ((5, 6), 5, 1, (5, 5), (1, 1), "same"),     # few output channels
    ((9, 11), 6, 1, (3, 3), (2, 2), "same"),    # few output channels, with a stride
]


def case_arrays(image, c, o, kernel, stride, padding, seed=0, n=2):
    """Random float64 x (N, C, H, W), dy (N, O, Ho, Wo) and W (O, C, kh, kw) for one case,
    with its geometry."""
    rng = np.random.default_rng(seed)
    geom = kernels.conv_geometry(image, kernel, stride, padding)
    x = rng.standard_normal((n, c) + image)
    dy = rng.standard_normal((n, o) + geom.out)
    W = rng.standard_normal((o, c) + kernel)
    return geom, x, dy, W


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


# The two ways the engine computes what the loops define: the textbook's (im2col, this module)
# and the one the layers run (fast_kernels.py); each must equal the loops.
IMPLEMENTATIONS = {
    "im2col": (kernels.conv_forward, kernels.conv_backward_data, kernels.conv_backward_weights),
    "fast": (lambda x, W, geom: fast_kernels.conv_forward(x, W, geom)[0],
             fast_kernels.conv_backward_data, fast_kernels.conv_backward_weights),
}
COMPUTATIONS = ("forward", "backward_data", "backward_weights")
LOOPS = (kernels.loop_conv_forward, kernels.loop_conv_backward_data,
         kernels.loop_conv_backward_weights)


@pytest.mark.parametrize("implementation,computation,image,c,o,kernel,stride,padding",
                         [(name, computation, *case) for name in IMPLEMENTATIONS
                          for computation in COMPUTATIONS for case in CASES])
def test_each_computation_matches_the_plain_loops(implementation, computation, image, c, o,
                                                  kernel, stride, padding):
    geom, x, dy, W = case_arrays(image, c, o, kernel, stride, padding)
    which = COMPUTATIONS.index(computation)
    inputs = ((x, W), (dy, W), (x, dy))[which]                  # what each one takes
    np.testing.assert_allclose(IMPLEMENTATIONS[implementation][which](*inputs, geom),
                               LOOPS[which](*inputs, geom), atol=1e-10)


BOTH_FORWARDS = pytest.mark.parametrize(
    "forward", [kernels.loop_conv_forward, kernels.conv_forward], ids=["loops", "im2col"])


@BOTH_FORWARDS
def test_hand_computed_tiny_convolution(forward):
    x = np.arange(1, 10, dtype=np.float64).reshape(1, 1, 3, 3)   # 1 2 3 / 4 5 6 / 7 8 9
    W = np.array([[1.0, 0.0], [0.0, -1.0]]).reshape(1, 1, 2, 2)  # top-left minus bottom-right
    geom = kernels.conv_geometry((3, 3), 2, 1, "valid")
    np.testing.assert_array_equal(forward(x, W, geom)[0, 0], [[1 - 5, 2 - 6], [4 - 8, 5 - 9]])


@BOTH_FORWARDS
def test_hand_computed_same_padding_goes_bottom_right(forward):
    x = np.ones((1, 1, 2, 2))
    W = np.ones((1, 1, 2, 2))
    geom = kernels.conv_geometry((2, 2), 2, 1, "same")
    assert geom.pad == ((0, 1), (0, 1))
    np.testing.assert_array_equal(forward(x, W, geom)[0, 0], [[4, 2], [2, 1]])


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
    xp = np.ones((1, 1, 4, 5))
    cols = kernels.im2col(xp, (2, 2), (1, 1))
    assert cols.shape == (3 * 4, 4)
    counts = kernels.col2im(cols, xp.shape, (2, 2), (1, 1))[0, 0]
    np.testing.assert_array_equal(counts, [[1, 2, 2, 2, 1], [2, 4, 4, 4, 2],
                                           [2, 4, 4, 4, 2], [1, 2, 2, 2, 1]])


def test_im2col_rows_are_the_windows_in_the_order_of_the_weights():
    x = np.arange(2 * 3 * 3, dtype=np.float64).reshape(1, 2, 3, 3)
    cols = kernels.im2col(x, (2, 2), (1, 1))
    np.testing.assert_array_equal(cols[1], x[0, :, 0:2, 1:3].ravel())   # window at (0, 1)


@pytest.mark.parametrize("padding", ["full", -1, (1, 2, 3)])
def test_bad_padding_is_refused(padding):
    with pytest.raises(ValueError):
        kernels.conv_geometry((5, 5), 3, 1, padding)


def test_kernel_larger_than_image_is_refused():
    with pytest.raises(ValueError, match="does not fit"):
        kernels.conv_geometry((2, 2), 3, 1, "valid")
