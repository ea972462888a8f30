"""gan_numpy speed and memory against the machine's own float32 matrix-multiply peak.

Prints, all measured in this run:
  * the float32 GEMM peak (the best of a few 2048 x 2048 products);
  * every layer of the original network and of our default network at batch 64: forward and
    backward time, GFLOP/s of the convolutions and dense layers, and backward / forward;
  * one full training iteration of each network (`GAN.train_step`) in seconds, as GFLOP/s and
    as a share of the peak, with its peak RSS; each runs in a fresh subprocess so the layer
    benchmarks above do not inflate the memory figure.
Goals (issue 4): an original-network iteration at >= 50% of the GEMM peak, no layer's
backward > 2.5x its forward, peak RSS of an original iteration at batch 128 < 3 GiB.

The CPU may be shared: every time is the best of several repeats.
"""
import json
import os
import pathlib
import subprocess
import sys
import time

import numpy as np

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from gan_numpy import layers as L  # noqa: E402

LAYER_BATCH = 64
REPEATS = 3
GOAL_SHARE = 0.5
GOAL_RATIO = 2.5
GOAL_RSS_GIB = 3.0
PYTORCH_SECONDS = 6.8      # original network, batch 128, 2 CPU cores (../shared/docs/original.md)


def best_time(function, repeats=REPEATS):
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        best = min(best, time.perf_counter() - start)
    return best


def gemm_peak(size=2048):
    """Best float32 GFLOP/s of a square matrix product."""
    rng = np.random.default_rng(0)
    a = rng.random((size, size), dtype=np.float32)
    b = rng.random((size, size), dtype=np.float32)
    out = a @ b
    seconds = best_time(lambda: np.matmul(a, b, out=out), repeats=5)
    return 2 * size ** 3 / seconds / 1e9


def forward_flops(layer, x_shape, y_shape):
    """Multiply-adds x 2 of one forward pass (0 for layers without a matrix product)."""
    if isinstance(layer, L.SpectralNorm):
        return forward_flops(layer.layer, x_shape, y_shape)
    if isinstance(layer, L.Dense):
        return 2 * x_shape[0] * layer.in_features * layer.out_features
    if isinstance(layer, L.Conv2D):
        n, o, ho, wo = y_shape
        kh, kw = layer.kernel_size
        return 2 * n * ho * wo * o * layer.in_channels * kh * kw
    if isinstance(layer, L.ConvTranspose2D):
        n, c, h, w = x_shape
        kh, kw = layer.kernel_size
        return 2 * n * h * w * c * layer.out_channels * kh * kw
    return 0


def leaves(module):
    """The innermost layers (a SpectralNorm counts as one)."""
    return [(name.rstrip("."), layer) for name, layer in module.named_layers()
            if not layer.sublayers()]


class Recorder:
    """Wraps every leaf layer's forward and backward to time them and count their FLOPs."""

    def __init__(self, modules):
        self.records = {}
        for module in modules:
            for name, layer in leaves(module):
                self._wrap(name, layer)

    def _wrap(self, name, layer):
        record = self.records.setdefault(id(layer), {
            "name": name, "layer": layer, "forward": [], "backward": [], "flops": 0})
        forward, backward = layer.forward, layer.backward

        def timed_forward(x):
            start = time.perf_counter()
            y = forward(x)
            record["forward"].append(time.perf_counter() - start)
            record["last_flops"] = forward_flops(layer, x.shape, y.shape)
            record["flops"] += record["last_flops"]
            record["shape"] = y.shape
            return y

        def timed_backward(dout):
            start = time.perf_counter()
            dx = backward(dout)
            record["backward"].append(time.perf_counter() - start)
            record["flops"] += 2 * record["last_flops"]
            return dx

        layer.forward, layer.backward = timed_forward, timed_backward

    def total_flops(self):
        return sum(record["flops"] for record in self.records.values())


def layer_rows(title, net, x):
    """Time each layer of `net` (forward then backward of ones-like gradients), best of REPEATS."""
    recorder = Recorder([net])
    for _ in range(REPEATS):
        for record in recorder.records.values():
            record["flops"] = 0
        y = net.forward(x)
        net.backward(np.full_like(y, 1.0 / y.size))
    rows = []
    for record in recorder.records.values():
        fwd, bwd = min(record["forward"]), min(record["backward"])
        flops = record["last_flops"]
        rows.append((f"{title} {record['name']}", record["layer"].describe(), fwd, bwd,
                     flops / fwd / 1e9 if flops else None,
                     2 * flops / bwd / 1e9 if flops else None))
    return rows


ITERATION_SCRIPT = r"""
import json, resource, sys, time
import numpy as np
sys.path.insert(0, {root!r})
from drumroll.models import ARCHITECTURES, TrainConfig
from gan_numpy.memory import reuse_freed_memory
sys.path.insert(0, {bench!r})
from bench_engine import Recorder
reuse_freed_memory()
gan_class = ARCHITECTURES[{arch!r}]
gan = gan_class(gan_class.Config(**{extra}), TrainConfig(batch={batch}))
real = np.random.default_rng(0).uniform(-1, 1, (256,) + {shape}).astype(np.float32)
gan.train_step(real)                          # warm-up
recorder = Recorder([gan.G, gan.D])
times = []
for _ in range({repeats}):
    start = time.perf_counter()
    gan.train_step(real)
    times.append(time.perf_counter() - start)
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps({{"seconds": min(times), "flops": recorder.total_flops() / {repeats},
                  "rss": rss}}))
"""


def iteration(arch, batch, shape, extra, repeats=2):
    """One GAN.train_step in a fresh process: best seconds, FLOPs per step, peak RSS in bytes."""
    code = ITERATION_SCRIPT.format(root=str(HERE.parent), bench=str(HERE), arch=arch,
                                   batch=batch, shape=shape, extra=extra, repeats=repeats)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=str(HERE.parent))
    if done.returncode != 0:
        raise RuntimeError(done.stderr.strip().splitlines()[-1] if done.stderr else "failed")
    return json.loads(done.stdout.strip().splitlines()[-1])


def networks():
    """(title, network, input batch) for the layer table: the lead's two presets."""
    from drumroll.models import ARCHITECTURES
    rng = np.random.default_rng(0)
    for arch, shape, extra in [("original", (1, 25, 256), {}),
                               ("bars", (17, 1, 256), {"rows": list(range(17))})]:
        gan_class = ARCHITECTURES[arch]
        gan = gan_class(gan_class.Config(**extra))
        short = "orig" if arch == "original" else "def"
        latents = gan.latents(LAYER_BATCH, rng)
        yield f"{short} G", gan.G, latents
        yield f"{short} D", gan.D, rng.uniform(-1, 1, (LAYER_BATCH,) + shape).astype(np.float32)


def fmt(value, spec):
    return format(value, spec) if value is not None else "-"


def load_text():
    return "load average {:.1f} {:.1f} {:.1f}".format(*os.getloadavg())


def main():
    threads = os.environ.get("OPENBLAS_NUM_THREADS", "all")
    print(f"{os.cpu_count()} cores, BLAS threads: {threads}, {load_text()} "
          "(other work on the machine slows every figure below)")
    peak = gemm_peak()
    print(f"float32 GEMM peak (2048^3): {peak:.1f} GFLOP/s\n")

    print(f"per layer at batch {LAYER_BATCH} (GFLOP/s: forward / backward; "
          f"goal backward/forward <= {GOAL_RATIO})")
    header = f"{'layer':<14} {'':<50} {'fwd ms':>8} {'bwd ms':>8} {'fwd GF/s':>9} {'bwd GF/s':>9} {'bwd/fwd':>7}"
    print(header)
    print("-" * len(header))
    worst, worst_name = 0.0, ""
    for title, net, x in networks():
        for name, text, fwd, bwd, gf_f, gf_b in layer_rows(title, net, x):
            ratio = bwd / fwd
            if gf_f is not None and ratio > worst:
                worst, worst_name = ratio, name
            print(f"{name:<14} {text[:50]:<50} {fwd * 1e3:8.2f} {bwd * 1e3:8.2f} "
                  f"{fmt(gf_f, '9.1f')} {fmt(gf_b, '9.1f')} {ratio:7.2f}")
    print(f"\nworst backward/forward of a conv or dense layer: {worst:.2f} ({worst_name}; "
          f"{'meets' if worst <= GOAL_RATIO else 'MISSES'} the goal <= {GOAL_RATIO})\n")

    print("full training iteration (GAN.train_step, fresh process each)")
    header = f"{'network':<28} {'seconds':>8} {'GFLOP':>7} {'GFLOP/s':>8} {'of peak':>8} {'peak RSS':>9}"
    print(header)
    print("-" * len(header))
    runs = [("original, batch 128", "original", 128, (1, 25, 256), {}),
            ("bars (default), batch 64", "bars", 64, (17, 1, 256), {"rows": list(range(17))})]
    for title, arch, batch, shape, extra in runs:
        result = iteration(arch, batch, shape, extra)
        rate = result["flops"] / result["seconds"] / 1e9
        print(f"{title:<28} {result['seconds']:8.2f} {result['flops'] / 1e9:7.1f} {rate:8.1f} "
              f"{rate / peak:8.0%} {result['rss'] / 2**30:7.2f} GiB")
        if arch == "original":
            share, rss = rate / peak, result["rss"] / 2**30
    print(f"(PyTorch, original network, 2 cores: about {PYTORCH_SECONDS} s per iteration)")
    print(f"\ngoals for the original network: >= {GOAL_SHARE:.0%} of peak "
          f"({'met' if share >= GOAL_SHARE else 'MISSED'}), peak RSS < {GOAL_RSS_GIB} GiB "
          f"({'met' if rss < GOAL_RSS_GIB else 'MISSED'}); {load_text()}")


if __name__ == "__main__":
    main()
