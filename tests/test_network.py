"""Sequential, train/eval mode, state dicts, the summary, and a tiny network that really learns."""
import numpy as np
import pytest

from gan_numpy import layers as L
from gan_numpy.losses import bce_with_logits
from gan_numpy.layers import Sequential
from gan_numpy.network import count_params, summary
from gan_numpy.optim import Adam
from tests.gradcheck import check_layer


def small_net(seed=0):
    return Sequential(
        L.Conv2D(1, 3, 3, 2, rng=seed), L.BatchNorm(3), L.LeakyReLU(0.2),
        L.SpectralNorm(L.Conv2D(3, 2, (1, 3), 1, "same", rng=seed + 1), rng=seed),
        L.MinibatchStdDev(), L.Flatten(), L.Dense(3 * 3 * 4, 1, rng=seed + 2))


def test_sequential_backward_is_the_gradient_of_forward():
    net = small_net().eval()
    x = np.random.default_rng(0).standard_normal((3, 1, 5, 7))
    errors = check_layer(net, x, np.random.default_rng(1))
    assert max(errors.values()) < 1e-6, errors


def test_parameters_are_named_by_position_and_key():
    names = [name for name, _, _ in small_net().parameters()]
    assert names == ["0.W", "0.b", "1.gamma", "1.beta", "3.W", "3.b", "6.W", "6.b"]
    assert [name for name, _ in small_net().named_state()] == [
        "1.running_mean", "1.running_var", "3.u", "3.v"]


def test_nested_sequentials_name_their_layers():
    net = Sequential(Sequential(L.Dense(2, 2)), L.Dense(2, 1))
    assert [name for name, _, _ in net.parameters()] == ["0.0.W", "0.0.b", "1.W", "1.b"]


def test_count_params():
    assert count_params(L.Dense(10, 5)) == 55
    assert count_params(L.Conv2D(3, 4, (2, 5))) == 4 * 3 * 10 + 4
    assert count_params(small_net()) == 30 + 6 + 18 + 2 + 37


def test_train_and_eval_reach_every_layer():
    net = Sequential(small_net(), L.Tanh())
    assert all(layer.training for _, layer in net.named_layers())
    net.eval()
    assert not any(layer.training for _, layer in net.named_layers())
    net.train()
    assert all(layer.training for _, layer in net.named_layers())


def test_freeze_reaches_every_layer_and_the_optimizer_leaves_a_frozen_network_alone():
    net = small_net()
    x = np.random.default_rng(0).standard_normal((3, 1, 5, 7)).astype(np.float32)
    before = net.state_dict()
    net.freeze()
    assert all(layer.frozen for _, layer in net.named_layers())
    dx = net.backward(np.ones_like(net.forward(x)))
    assert dx.shape == x.shape
    assert all(grad is None for _, _, grad in net.parameters())
    Adam(net).step()
    for name, param, _ in net.parameters():
        np.testing.assert_array_equal(param, before[name])
    net.freeze(False)
    net.backward(np.ones_like(net.forward(x)))
    assert all(grad is not None for _, _, grad in net.parameters())


def test_sequential_without_input_gradient_still_trains_every_layer():
    x = np.random.default_rng(0).standard_normal((3, 1, 5, 7)).astype(np.float32)
    full, params_only = small_net(), small_net()
    dout = np.ones_like(full.forward(x))
    params_only.forward(x)
    full.backward(dout)
    assert params_only.backward(dout, input_grad=False) is None
    for (name, _, grad), (_, _, expected) in zip(params_only.parameters(), full.parameters()):
        np.testing.assert_array_equal(grad, expected, err_msg=name)


def test_state_dict_round_trip_reproduces_outputs_exactly():
    x = np.random.default_rng(0).standard_normal((4, 1, 5, 7)).astype(np.float32)
    source = small_net(0)
    for _ in range(3):
        source.forward(x)     # moves BatchNorm statistics and spectral-norm vectors
    copy = small_net(10)
    copy.load_state_dict(source.state_dict())
    np.testing.assert_array_equal(source.eval().forward(x), copy.eval().forward(x))


def test_load_state_dict_refuses_mismatches_and_changes_nothing():
    net = small_net()
    before = net.state_dict()
    wrong_shape = dict(before, **{"6.W": np.zeros((5, 1), dtype=np.float32)})
    with pytest.raises(ValueError, match="6.W"):
        net.load_state_dict(wrong_shape)
    missing = {k: v for k, v in before.items() if k != "0.b"}
    with pytest.raises(ValueError, match="missing"):
        net.load_state_dict(missing)
    with pytest.raises(ValueError, match="unexpected"):
        net.load_state_dict(dict(before, extra=np.zeros(1)))
    for name, value in net.state_dict().items():
        np.testing.assert_array_equal(value, before[name])


def test_summary_lists_layers_shapes_and_parameters():
    net = Sequential(L.Dense(50, 64 * 5 * 8), L.Reshape((64, 5, 8)),
                     L.ConvTranspose2D(64, 8, 4, (5, 2)), L.LeakyReLU(0.2), L.Conv2D(8, 1, 7))
    text = summary(net, (50,))
    lines = text.splitlines()
    assert "ConvTranspose2D(64->8, 4x4, stride 5x2, same)" in text
    assert any("(8, 25, 16)" in line and "8,200" in line for line in lines)
    assert lines[-1] == f"total parameters: {count_params(net):,}"
    assert len(lines) < 25 and max(map(len, lines)) < 100


def test_summary_restores_training_mode():
    net = small_net()
    summary(net, (1, 5, 7))
    assert all(layer.training for _, layer in net.named_layers())


def pattern_set(count, rng):
    """8 x 8 images holding a horizontal (label 0) or vertical (label 1) bar, plus noise."""
    x = rng.normal(0, 0.3, size=(count, 1, 8, 8)).astype(np.float32)
    labels = rng.integers(0, 2, size=count)
    where = rng.integers(0, 8, size=count)
    start = rng.integers(0, 3, size=count)
    for k in range(count):
        if labels[k]:
            x[k, 0, start[k]:start[k] + 6, where[k]] += 1
        else:
            x[k, 0, where[k], start[k]:start[k] + 6] += 1
    return x, labels.reshape(-1, 1).astype(np.float32)


def test_tiny_conv_classifier_learns_a_pattern_set():
    rng = np.random.default_rng(0)
    net = Sequential(L.Conv2D(1, 8, 3, rng=1), L.ReLU(), L.Conv2D(8, 8, 3, 2, rng=2), L.ReLU(),
                     L.Flatten(), L.Dense(8 * 4 * 4, 1, rng=3))
    opt = Adam(net, lr=3e-3, beta1=0.9)
    x_train, y_train = pattern_set(512, rng)
    x_test, y_test = pattern_set(256, rng)
    for epoch in range(6):
        for s in range(0, 512, 32):
            logits = net.forward(x_train[s:s + 32])
            _, grad = bce_with_logits(logits, y_train[s:s + 32])
            net.backward(grad)
            opt.step()
    predicted = net.eval().forward(x_test) > 0
    assert np.mean(predicted == (y_test > 0.5)) > 0.95
