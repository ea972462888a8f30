"""Adam, and an exponential moving average of a network's weights for sampling.

Both walk `module.parameters()` -> (name, param, grad) and never need to know the layers.
Parameters are updated in place, so every reference to them stays valid.
"""
import numpy as np


def _modules(modules):
    return list(modules) if isinstance(modules, (list, tuple)) else [modules]


def _named_parameters(modules):
    """(name, param, grad) over several modules; names get a module index when there are more."""
    modules = _modules(modules)
    for index, module in enumerate(modules):
        prefix = f"{index}." if len(modules) > 1 else ""
        for name, param, grad in module.parameters():
            yield prefix + name, param, grad


class Adam:
    """Adam (Kingma & Ba 2015) over the parameters of one module or a list of modules.

        m = beta1 m + (1 - beta1) g;   v = beta2 v + (1 - beta2) g^2
        p -= lr * (m / (1 - beta1^t)) / (sqrt(v / (1 - beta2^t)) + eps)

    step() reads each layer's current gradients; parameters without one are left alone.
    """

    def __init__(self, modules, lr=2e-4, beta1=0.5, beta2=0.999, eps=1e-8):
        self.modules = _modules(modules)
        self.lr, self.beta1, self.beta2, self.eps = lr, beta1, beta2, eps
        self.t = 0
        self.m, self.v = {}, {}

    def step(self):
        # The textbook rule p -= lr * m_hat / (sqrt(v_hat) + eps), with m_hat = m / (1 - b1^t)
        # and v_hat = v / (1 - b2^t), multiplied through by sqrt(1 - b2^t):
        #     p -= [lr * sqrt(1 - b2^t) / (1 - b1^t)] * m / (sqrt(v) + eps * sqrt(1 - b2^t)).
        # The bracket is one scalar per step, so m_hat and v_hat are never built as arrays.
        self.t += 1
        b1, b2 = self.beta1, self.beta2
        step_size = self.lr * np.sqrt(1 - b2 ** self.t) / (1 - b1 ** self.t)
        for name, param, grad in _named_parameters(self.modules):
            if grad is None:
                continue
            if name not in self.m:
                self.m[name] = np.zeros_like(param)
                self.v[name] = np.zeros_like(param)
            m, v = self.m[name], self.v[name]
            m *= b1
            m += (1 - b1) * grad
            v *= b2
            v += (1 - b2) * grad * grad
            param -= step_size * m / (np.sqrt(v) + self.eps * np.sqrt(1 - b2 ** self.t))

    def state_dict(self):
        """{'t': ..., 'm.<name>': ..., 'v.<name>': ...} as arrays."""
        arrays = {"t": np.array(self.t, dtype=np.int64)}
        for name in self.m:
            arrays["m." + name] = self.m[name].copy()
            arrays["v." + name] = self.v[name].copy()
        return arrays

    def load_state_dict(self, arrays):
        names = {name: param for name, param, _ in _named_parameters(self.modules)}
        m, v = {}, {}
        for key, value in arrays.items():
            if key == "t":
                continue
            kind, _, name = key.partition(".")
            if kind not in ("m", "v") or name not in names or value.shape != names[name].shape:
                raise ValueError(f"optimizer state '{key}' does not fit the network")
            (m if kind == "m" else v)[name] = np.array(value, dtype=names[name].dtype)
        if "t" not in arrays or set(m) != set(v):
            raise ValueError("optimizer state is incomplete")
        self.t, self.m, self.v = int(arrays["t"]), m, v


class EMA:
    """An exponential moving average of a module's parameters (for sampling a generator).

    update() after every optimizer step: shadow = d * shadow + (1 - d) * param, with
    d = min(decay, (1 + t) / (10 + t)) when warmup is on, so early averages are not dominated
    by the random initial weights. copy_to(network) writes the averages into a network of the
    same architecture (its state, e.g. BatchNorm statistics, is copied from the source).
    """

    def __init__(self, module, decay=0.999, warmup=True):
        self.module, self.decay, self.warmup = module, decay, warmup
        self.t = 0
        self.shadow = {name: param.copy() for name, param, _ in module.parameters()}

    def current_decay(self):
        if not self.warmup:
            return self.decay
        return min(self.decay, (1 + self.t) / (10 + self.t))

    def update(self):
        self.t += 1
        d = self.current_decay()
        for name, param, _ in self.module.parameters():
            shadow = self.shadow[name]
            shadow *= d
            shadow += (1 - d) * param

    def copy_to(self, target):
        """Load the averaged parameters (and the source's state) into `target`."""
        arrays = dict(self.shadow)
        arrays.update(self.module.named_state())
        target.load_state_dict(arrays)
        return target

    def state_dict(self):
        arrays = {"t": np.array(self.t, dtype=np.int64)}
        arrays.update(("shadow." + name, value.copy()) for name, value in self.shadow.items())
        return arrays

    def load_state_dict(self, arrays):
        shadow = {key[len("shadow."):]: value for key, value in arrays.items()
                  if key.startswith("shadow.")}
        if set(shadow) != set(self.shadow) or "t" not in arrays:
            raise ValueError("EMA state does not fit the network")
        for name, value in shadow.items():
            if value.shape != self.shadow[name].shape:
                raise ValueError(f"EMA state '{name}' has shape {value.shape}, "
                                 f"the network needs {self.shadow[name].shape}")
            self.shadow[name][...] = value
        self.t = int(arrays["t"])
