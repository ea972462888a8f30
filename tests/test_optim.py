"""Adam against its textbook update, its saved state, and the EMA of weights."""
import numpy as np
import pytest

from gan_numpy.layers import Dense
from gan_numpy.layers import Sequential
from gan_numpy.optim import EMA, Adam


def textbook_adam(p, grads, lr, b1, b2, eps):
    m = v = 0
    for t, g in enumerate(grads, start=1):
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        p = p - lr * (m / (1 - b1 ** t)) / (np.sqrt(v / (1 - b2 ** t)) + eps)
    return p


def test_adam_matches_the_textbook_update():
    layer = Dense(3, 2, rng=0)
    start = layer.params["W"].astype(np.float64)
    rng = np.random.default_rng(1)
    grads = [rng.standard_normal((3, 2)) for _ in range(5)]
    opt = Adam(layer, lr=0.01, beta1=0.5, beta2=0.9, eps=1e-3)
    for g in grads:
        layer.grads["W"] = g.astype(np.float32)
        layer.grads["b"] = np.zeros(2, dtype=np.float32)
        opt.step()
    expected = textbook_adam(start, grads, 0.01, 0.5, 0.9, 1e-3)
    np.testing.assert_allclose(layer.params["W"], expected, rtol=1e-5, atol=1e-6)


def test_adam_minimises_a_quadratic():
    layer = Dense(4, 1, rng=0)
    target = np.array([[1.0], [-2.0], [3.0], [0.5]], dtype=np.float32)
    opt = Adam(layer, lr=0.05, beta1=0.9)
    for _ in range(500):
        layer.grads["W"] = 2 * (layer.params["W"] - target)
        layer.grads["b"] = 2 * layer.params["b"]
        opt.step()
    np.testing.assert_allclose(layer.params["W"], target, atol=1e-2)


def test_adam_updates_parameters_in_place_and_skips_missing_gradients():
    layer = Dense(2, 2, rng=0)
    W, b = layer.params["W"], layer.params["b"].copy()
    layer.grads["W"] = np.ones((2, 2), dtype=np.float32)
    Adam(layer).step()
    assert layer.params["W"] is W
    np.testing.assert_array_equal(layer.params["b"], b)


def test_adam_state_round_trip_continues_identically():
    def run(steps, resume_at=None):
        net = Sequential(Dense(3, 2, rng=0), Dense(2, 1, rng=1))
        opt = Adam(net, lr=0.01)
        rng = np.random.default_rng(0)
        for step in range(steps):
            if step == resume_at:
                saved_net, saved_opt = net.state_dict(), opt.state_dict()
                net = Sequential(Dense(3, 2, rng=5), Dense(2, 1, rng=6))
                net.load_state_dict(saved_net)
                opt = Adam(net, lr=0.01)
                opt.load_state_dict(saved_opt)
            for _, layer in net.named_layers():
                for key, param in layer.params.items():
                    layer.grads[key] = rng.standard_normal(param.shape).astype(np.float32)
            opt.step()
        return net.state_dict()

    straight, resumed = run(6), run(6, resume_at=3)
    for name in straight:
        np.testing.assert_array_equal(straight[name], resumed[name])


def test_adam_refuses_state_of_another_network():
    opt = Adam(Dense(3, 2))
    other = Adam(Dense(4, 2))
    layer = other.modules[0]
    layer.grads = {k: np.ones_like(p) for k, p in layer.params.items()}
    other.step()
    with pytest.raises(ValueError):
        opt.load_state_dict(other.state_dict())


def test_ema_averages_with_warmup():
    layer = Dense(1, 1, bias=False)
    layer.params["W"][:] = 0
    ema = EMA(layer, decay=0.9)
    layer.params["W"][:] = 1
    ema.update()                                    # d = min(0.9, 2/11)
    assert ema.shadow["W"][0, 0] == pytest.approx(1 - 2 / 11)
    for _ in range(1000):
        ema.update()
    assert ema.current_decay() == 0.9
    assert ema.shadow["W"][0, 0] == pytest.approx(1.0, abs=1e-6)


def test_ema_copy_to_and_state_round_trip():
    net = Sequential(Dense(2, 2, rng=0))
    ema = EMA(net, decay=0.5, warmup=False)
    net[0].params["W"] += 1
    ema.update()
    target = ema.copy_to(Sequential(Dense(2, 2, rng=9)))
    np.testing.assert_allclose(target[0].params["W"], net[0].params["W"] - 0.5)
    restored = EMA(net)
    restored.load_state_dict(ema.state_dict())
    assert restored.t == 1
    np.testing.assert_array_equal(restored.shadow["0.W"], ema.shadow["0.W"])
