"""Every layer's backward rule against numerical gradients, plus the layer contract."""
import numpy as np
import pytest

from gan_numpy import layers as L
from tests.gradcheck import check_layer, rel_error

TOLERANCE = 1e-6


def assert_gradients_match(layer, x, seed=0):
    errors = check_layer(layer, x, np.random.default_rng(seed))
    assert max(errors.values()) < TOLERANCE, errors


def images(shape, seed=1):
    return np.random.default_rng(seed).standard_normal(shape)


# --- gradient checks ---------------------------------------------------------------------------

@pytest.mark.parametrize("out_features", [3, 1])
def test_dense_gradients(out_features):
    assert_gradients_match(L.Dense(5, out_features, rng=0), images((4, 5)))


CONV_CASES = [  # in, out, kernel, stride, padding, image
    (2, 3, 3, 1, "same", (5, 6)),
    (2, 3, 4, 2, "same", (7, 9)),            # odd sizes, stride 2, even kernel
    (2, 2, 4, (5, 2), "same", (11, 8)),      # the original network's asymmetric stride
    (2, 3, 3, 2, "valid", (7, 8)),
    (2, 2, (2, 3), 1, 1, (4, 5)),            # PyTorch-style int padding
    (3, 2, (1, 4), (1, 2), "same", (1, 12)),  # 1-D over time: drum rows as channels
    (4, 1, 5, 1, "same", (5, 6)),            # one output channel: output-side columns
]


@pytest.mark.parametrize("c,o,kernel,stride,padding,image", CONV_CASES)
def test_conv2d_gradients(c, o, kernel, stride, padding, image):
    layer = L.Conv2D(c, o, kernel, stride, padding, rng=0)
    layer.params["b"][:] = np.arange(o)
    assert_gradients_match(layer, images((2, c) + image))


@pytest.mark.parametrize("c,o,kernel,stride,padding,image", [
    (2, 3, 3, 1, "same", (4, 5)),
    (2, 2, 4, (5, 2), "same", (2, 4)),       # 2 x 4 -> 10 x 8, as 5 x 128 -> 25 x 256
    (2, 3, 3, 2, "valid", (3, 4)),
    (2, 2, 4, 2, 1, (3, 3)),                 # PyTorch's DCGAN upsampling block
    (3, 2, (1, 4), (1, 2), "same", (1, 5)),
    (1, 4, 3, 2, "same", (3, 3)),            # one input channel: output-side columns
])
def test_conv_transpose2d_gradients(c, o, kernel, stride, padding, image):
    assert_gradients_match(L.ConvTranspose2D(c, o, kernel, stride, padding, rng=0),
                           images((2, c) + image))


@pytest.mark.parametrize("layer", [L.LeakyReLU(0.2), L.ReLU(), L.Tanh()],
                         ids=lambda layer: layer.describe())
def test_activation_gradients(layer):
    x = images((3, 2, 2, 3))
    x[np.abs(x) < 1e-3] = 0.5    # keep away from the kinks of (leaky) ReLU
    assert_gradients_match(layer, x)


@pytest.mark.parametrize("layer,shape", [
    (L.Reshape((2, 6)), (3, 12)),
    (L.Flatten(), (3, 2, 2, 3)),
])
def test_shape_layer_gradients(layer, shape):
    assert_gradients_match(layer, images(shape))


@pytest.mark.parametrize("shape", [(6, 4), (4, 3, 2, 3)])
@pytest.mark.parametrize("training", [True, False])
def test_batchnorm_gradients(shape, training):
    layer = L.BatchNorm(shape[1])
    layer.params["gamma"][:] = np.linspace(0.5, 2, shape[1])
    layer.params["beta"][:] = np.linspace(-1, 1, shape[1])
    layer.state["running_mean"][:] = 0.3
    layer.state["running_var"][:] = 1.7
    layer.train(training)
    assert_gradients_match(layer, images(shape))


def test_minibatch_stddev_gradients():
    assert_gradients_match(L.MinibatchStdDev(), images((4, 2, 2, 3)))


@pytest.mark.parametrize("inner", [
    lambda: L.Dense(4, 3, rng=0),
    lambda: L.Conv2D(2, 3, (1, 3), (1, 2), "same", rng=0),
    lambda: L.ConvTranspose2D(2, 3, 3, 2, "same", rng=0),
], ids=["dense", "conv", "conv_transpose"])
def test_spectral_norm_gradients(inner):
    layer = inner()
    x = images((2, 4)) if isinstance(layer, L.Dense) else images((2, 2, 2, 5))
    wrapped = L.SpectralNorm(layer, rng=0)
    wrapped.forward(x.astype(np.float32))    # one power-iteration step
    wrapped.eval()                           # then u and v stay constant for the check
    assert_gradients_match(wrapped, x)


# --- behaviour ---------------------------------------------------------------------------------

@pytest.mark.parametrize("make,shape", [
    (lambda: L.Dense(4, 3, rng=0), (5, 4)),
    (lambda: L.Conv2D(2, 3, (1, 4), (1, 2), rng=0), (3, 2, 1, 8)),
    (lambda: L.ConvTranspose2D(2, 3, 3, 2, rng=0), (3, 2, 2, 3)),
    (lambda: L.BatchNorm(2), (5, 2, 1, 3)),
    (lambda: L.SpectralNorm(L.Conv2D(2, 3, 3, rng=0), rng=0), (3, 2, 4, 4)),
], ids=["dense", "conv", "conv_transpose", "batchnorm", "spectral_norm"])
def test_frozen_layer_gives_the_same_input_gradient_and_no_parameter_gradients(make, shape):
    x = images(shape).astype(np.float32)
    dout = images(make().forward(x).shape, seed=2).astype(np.float32)
    trained, frozen = make(), make()
    for layer in (trained, frozen):                          # gradients from before freezing
        layer.forward(x)
        layer.backward(dout)
    frozen.freeze()
    assert frozen.grads == {}
    for layer in (trained, frozen):
        layer.forward(x)
    np.testing.assert_array_equal(frozen.backward(dout), trained.backward(dout))
    assert frozen.grads == {} and set(trained.grads) == set(trained.params)
    frozen.freeze(False)
    for layer in (trained, frozen):
        layer.forward(x)
        layer.backward(dout)
    for key in trained.params:
        np.testing.assert_array_equal(frozen.grads[key], trained.grads[key])


@pytest.mark.parametrize("make,shape", [
    (lambda: L.Dense(4, 3, rng=0), (5, 4)),
    (lambda: L.Dense(4, 1, rng=0), (5, 4)),
    (lambda: L.Conv2D(2, 3, (1, 4), (1, 2), rng=0), (3, 2, 1, 8)),
    (lambda: L.ConvTranspose2D(2, 3, 3, 2, rng=0), (3, 2, 2, 3)),
    (lambda: L.SpectralNorm(L.Conv2D(2, 3, 3, rng=0), rng=0), (3, 2, 4, 4)),
], ids=["dense", "dense_to_one", "conv", "conv_transpose", "spectral_norm"])
def test_backward_without_input_gradient_gives_the_same_parameter_gradients(make, shape):
    x = images(shape).astype(np.float32)
    full, params_only = make(), make()
    dout = images(full.forward(x).shape, seed=2).astype(np.float32)
    params_only.forward(x)
    assert full.backward(dout) is not None
    assert params_only.backward(dout, input_grad=False) is None
    for key in full.params:
        np.testing.assert_array_equal(params_only.grads[key], full.grads[key])


def test_spectral_norm_converges_to_the_largest_singular_value():
    layer = L.Conv2D(3, 4, 3, rng=0)
    layer.params["W"] *= 10
    wrapped = L.SpectralNorm(layer, rng=0)
    x = np.zeros((1, 3, 4, 4), dtype=np.float32)
    for _ in range(30):
        wrapped.forward(x)
    true_sigma = np.linalg.svd(wrapped.params["W"].reshape(4, -1), compute_uv=False)[0]
    assert wrapped.sigma == pytest.approx(true_sigma, rel=1e-4)
    normalised = wrapped.layer.params["W"].reshape(4, -1)
    assert np.linalg.svd(normalised, compute_uv=False)[0] == pytest.approx(1.0, rel=1e-4)


def test_spectral_norm_keeps_raw_weight_in_params_and_vectors_in_state():
    inner = L.Dense(4, 3, rng=0)
    raw = inner.params["W"]
    wrapped = L.SpectralNorm(inner, rng=0)
    wrapped.forward(np.ones((2, 4), dtype=np.float32))
    assert wrapped.params["W"] is raw
    assert set(wrapped.state) == {"u", "v"}
    u_before = wrapped.state["u"].copy()
    wrapped.eval().forward(np.ones((2, 4), dtype=np.float32))
    np.testing.assert_array_equal(wrapped.state["u"], u_before)


def test_conv_output_shapes_follow_keras_same_rule():
    x = np.zeros((2, 1, 25, 256), dtype=np.float32)
    assert L.Conv2D(1, 8, 4, 2).forward(x).shape == (2, 8, 13, 128)
    assert L.Conv2D(1, 8, 7).forward(x).shape == (2, 8, 25, 256)
    assert L.Conv2D(1, 8, 4, 2, "valid").forward(x).shape == (2, 8, 11, 127)
    z = np.zeros((2, 64, 5, 128), dtype=np.float32)
    assert L.ConvTranspose2D(64, 3, 4, (5, 2)).forward(z).shape == (2, 3, 25, 256)


def test_one_dimensional_convolution_over_time():
    x = np.zeros((2, 17, 1, 256), dtype=np.float32)
    y = L.Conv2D(17, 32, (1, 4), (1, 2)).forward(x)
    assert y.shape == (2, 32, 1, 128)
    assert L.ConvTranspose2D(32, 17, (1, 4), (1, 2)).forward(y).shape == x.shape


def test_conv_transpose_is_the_adjoint_of_conv_with_the_same_weights():
    rng = np.random.default_rng(0)
    conv = L.Conv2D(3, 4, 4, (5, 2), "same", bias=False, rng=0)
    convt = L.ConvTranspose2D(4, 3, 4, (5, 2), "same", bias=False)
    convt.params["W"] = conv.params["W"]         # (4, 3, kh, kw) is (in, out) for the transpose
    x = rng.standard_normal((2, 3, 25, 16))
    y = rng.standard_normal((2, 4, 5, 8))
    assert np.sum(conv.forward(x) * y) == pytest.approx(np.sum(x * convt.forward(y)), rel=1e-5)


def test_channels_last_keeps_the_images_and_puts_the_channels_innermost():
    images = np.arange(2 * 3 * 4 * 5, dtype=np.float32).reshape(2, 3, 4, 5)
    moved = L.channels_last(images)
    np.testing.assert_array_equal(moved, images)
    assert moved.transpose(0, 2, 3, 1).flags.c_contiguous


def test_layers_keep_float32():
    x = np.ones((2, 3, 4, 4), dtype=np.float32)
    for layer in [L.Conv2D(3, 2, 3), L.ConvTranspose2D(3, 2, 3, 2), L.LeakyReLU(), L.Tanh(),
                  L.ReLU(), L.BatchNorm(3), L.MinibatchStdDev()]:
        y = layer.forward(x)
        assert y.dtype == np.float32, layer.describe()
        assert layer.backward(np.ones_like(y)).dtype == np.float32, layer.describe()


def test_weights_have_pytorch_layouts():
    assert L.Dense(5, 3).params["W"].shape == (5, 3)
    assert L.Conv2D(2, 3, (4, 5)).params["W"].shape == (3, 2, 4, 5)
    assert L.ConvTranspose2D(2, 3, (4, 5)).params["W"].shape == (2, 3, 4, 5)
    assert L.Conv2D(2, 3, 4).params["b"].shape == (3,)


def test_initializers():
    glorot = L.Dense(300, 200, init="glorot", rng=0).params["W"]
    limit = np.sqrt(6 / 500)
    assert glorot.max() <= limit and glorot.min() >= -limit and glorot.std() > limit / 2
    normal = L.Conv2D(64, 64, 4, init="normal", rng=0).params["W"]
    assert normal.std() == pytest.approx(0.02, rel=0.05)
    with pytest.raises(ValueError):
        L.Dense(2, 2, init="he")


def test_batchnorm_updates_running_statistics_in_training_only():
    layer = L.BatchNorm(2, momentum=0.5)
    x = np.array([[1.0, 10.0], [3.0, 30.0]], dtype=np.float32)
    layer.forward(x)
    np.testing.assert_allclose(layer.state["running_mean"], [1.0, 10.0])
    np.testing.assert_allclose(layer.state["running_var"], [0.5 + 0.5 * 2.0, 0.5 + 0.5 * 200.0])
    layer.eval().forward(x * 100)
    np.testing.assert_allclose(layer.state["running_mean"], [1.0, 10.0])


def test_batchnorm_normalises_channels_of_images():
    x = np.random.default_rng(0).normal(5, 3, size=(8, 2, 3, 4)).astype(np.float32)
    y = L.BatchNorm(2).forward(x)
    np.testing.assert_allclose(y.mean(axis=(0, 2, 3)), 0, atol=1e-5)
    np.testing.assert_allclose(y.std(axis=(0, 2, 3)), 1, atol=1e-3)


def test_minibatch_stddev_appends_the_mean_std():
    x = np.zeros((2, 1, 1, 2), dtype=np.float32)
    x[1, 0, 0, :] = [2.0, 4.0]        # per-feature std over the batch: 1 and 2
    y = L.MinibatchStdDev().forward(x)
    assert y.shape == (2, 2, 1, 2)
    np.testing.assert_allclose(y[:, 1], 1.5, rtol=1e-6)


def test_conv_refuses_wrong_channel_count():
    with pytest.raises(ValueError, match="needs input"):
        L.Conv2D(3, 2, 3).forward(np.zeros((1, 2, 4, 4), dtype=np.float32))


def test_rel_error_helper_tells_equal_from_different():
    a = np.arange(5.0)
    assert rel_error(a, a) == 0
    assert rel_error(a, a + 1e-3) < 1e-3
    assert rel_error(a, -a) == pytest.approx(1.0)


def naive_conv_transpose(x, W, stride, padding):
    """PyTorch's definition with plain loops: every input pixel adds W[c] times itself at
    (h*sh + i - p, w*sw + j - p) of the output. x (N, C, H, W), W (C, O, kh, kw)."""
    n, c, h, w = x.shape
    _, o, kh, kw = W.shape
    (sh, sw), (ph, pw) = stride, padding
    full = np.zeros((n, o, (h - 1) * sh + kh, (w - 1) * sw + kw))
    for b in range(n):
        for ci in range(c):
            for a in range(h):
                for e in range(w):
                    full[b, :, a * sh:a * sh + kh, e * sw:e * sw + kw] += x[b, ci, a, e] * W[ci]
    return full[:, :, ph:full.shape[2] - ph, pw:full.shape[3] - pw]


@pytest.mark.parametrize("kernel,stride,padding", [
    (4, (2, 2), 1), (3, (2, 3), 0), ((3, 5), (3, 2), (1, 2)), (4, (5, 2), 0)])
def test_conv_transpose_matches_the_pytorch_definition(kernel, stride, padding):
    layer = L.ConvTranspose2D(3, 2, kernel, stride, padding, rng=0)
    x = images((2, 3, 3, 4))
    expected = naive_conv_transpose(x, layer.params["W"].astype(np.float64), stride,
                                    (padding, padding) if isinstance(padding, int) else padding)
    np.testing.assert_allclose(layer.forward(x), expected, rtol=1e-5, atol=1e-5)


def test_conv_transpose_same_crops_the_full_output_like_keras():
    # 'same' with stride s: output = input * s, the full output cropped by the same padding
    # a 'same' Conv2D of that output size would add (odd extra at the bottom/right)
    layer = L.ConvTranspose2D(2, 3, 4, (5, 2), "same", rng=0)
    x = images((2, 2, 3, 4))
    full = naive_conv_transpose(x, layer.params["W"].astype(np.float64), (5, 2), (0, 0))
    # image 15 x 8: rows need no padding, and the full output (14 rows) leaves the last row to
    # the bias alone; columns need 3: 1 left, 2 right (the full output is 10 wide)
    expected = np.zeros((2, 3, 15, 8))
    expected[:, :, :14] = full[:, :, :, 1:9]
    np.testing.assert_allclose(layer.forward(x), expected, rtol=1e-5, atol=1e-5)


def test_batchnorm_in_evaluation_with_a_batchs_statistics_normalises_as_training_did():
    x = np.random.default_rng(1).normal(3, 2, size=(6, 2, 1, 4)).astype(np.float32)
    layer = L.BatchNorm(2)
    trained = layer.forward(x)
    layer.state["running_mean"][...] = layer.batch_mean
    layer.state["running_var"][...] = layer.batch_var
    np.testing.assert_array_equal(layer.eval().forward(x[:1]), trained[:1])
