"""What the fast convolutions (gan_numpy.fast_kernels) add to the textbook's: kept columns, both
column strategies, chunked batches, any memory layout. (test_kernels.py proves each of their
three functions equal to the plain loops.)"""
import numpy as np
import pytest

from gan_numpy import fast_kernels, kernels
from gan_numpy.layers import channels_last
from tests.test_kernels import CASES, case_arrays


def fast_forward(x, W, geom):
    """conv_forward's output without the columns it keeps for the backward pass."""
    return fast_kernels.conv_forward(x, W, geom)[0]


@pytest.mark.parametrize("image,c,o,kernel,stride,padding", CASES)
def test_weight_gradient_from_the_kept_columns_is_the_same(image, c, o, kernel, stride, padding):
    geom, x, dy, W = case_arrays(image, c, o, kernel, stride, padding, seed=6)
    _, cols = fast_kernels.conv_forward(x, W, geom)
    assert (cols is None) == fast_kernels.uses_output_planes(geom, c, o)
    np.testing.assert_array_equal(fast_kernels.conv_backward_weights(x, dy, geom, cols),
                                  fast_kernels.conv_backward_weights(x, dy, geom))


def test_channels_last_memory_gives_the_same_results_and_keeps_its_layout():
    geom, x, dy, W = case_arrays((7, 9), 3, 4, (3, 3), (2, 2), "same", seed=7)
    y = fast_forward(channels_last(x), W, geom)
    np.testing.assert_allclose(y, kernels.loop_conv_forward(x, W, geom), atol=1e-10)
    assert y.transpose(0, 2, 3, 1).flags.c_contiguous      # (N, O, Ho, Wo) over (N, Ho, Wo, O)
    np.testing.assert_allclose(fast_kernels.conv_backward_data(channels_last(dy), W, geom),
                               kernels.loop_conv_backward_data(dy, W, geom), atol=1e-10)


def test_chunked_batches_give_the_same_result(monkeypatch):
    rng = np.random.default_rng(3)
    geom = kernels.conv_geometry((6, 8), 3, 1, "same")
    x = rng.standard_normal((5, 4, 6, 8)).astype(np.float32)
    dy = rng.standard_normal((5, 6, 6, 8)).astype(np.float32)
    W = rng.standard_normal((6, 4, 3, 3)).astype(np.float32)
    W1, dy1 = W[:1], dy[:, :1]
    assert not fast_kernels.uses_output_planes(geom, 4, 6)
    assert fast_kernels.uses_output_planes(geom, 4, 1)

    def all_of_them():
        return (fast_forward(x, W, geom), fast_kernels.conv_backward_data(dy, W, geom),
                fast_kernels.conv_backward_weights(x, dy, geom),
                fast_forward(x, W1, geom), fast_kernels.conv_backward_data(dy1, W1, geom),
                fast_kernels.conv_backward_weights(x, dy1, geom))

    whole = all_of_them()
    monkeypatch.setattr(fast_kernels, "CHUNK_BYTES", 1)   # one sample per chunk
    monkeypatch.setattr(fast_kernels, "PLANE_BYTES", 1)
    for a, b in zip(whole, all_of_them()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)


def test_float32_in_float32_out():
    geom = kernels.conv_geometry((4, 4), 3, 1, "same")
    x = np.ones((1, 2, 4, 4), dtype=np.float32)
    W = np.ones((2, 2, 3, 3), dtype=np.float32)
    assert fast_forward(x, W, geom).dtype == np.float32
    assert fast_kernels.conv_backward_data(x, W, geom).dtype == np.float32
    assert fast_kernels.conv_backward_weights(x, x, geom).dtype == np.float32


def test_cases_cover_both_column_strategies():
    used = {fast_kernels.uses_output_planes(kernels.conv_geometry(image, k, s, p), c, o)
            for image, c, o, k, s, p in CASES}
    assert used == {True, False}
