"""gan_numpy speed and memory against the machine's own float32 matrix-multiply peak and PyTorch.

Prints, all measured in this run:
  * the float32 GEMM peak (the best of a few 2048 x 2048 products);
  * every layer of the original network, of the bar GAN (`bars`) and of the song model (`song`,
    the default) at batch 64: forward and backward time, GFLOP/s of the convolutions and dense
    layers, and backward / forward; for the song model and the bar GAN also the same layer in
    PyTorch and the ratio ours / PyTorch, layer by layer and summed;
  * one full training iteration of each network (`DrumGAN.train_step`) with 1 BLAS thread and with
    one per core: seconds, GFLOP/s, the share of the GEMM peak measured with the same threads,
    peak RSS, and the same iteration in PyTorch (same networks, same threads) with the ratio
    ours / PyTorch. Every iteration runs in a fresh process, so the layer benchmarks above do
    not inflate the memory figure.

PyTorch is never a dependency of the project: the comparison runs bench/pytorch_gan.py with the
interpreter named by TORCH_PYTHON (e.g. TORCH_PYTHON=/path/to/venv/bin/python make bench);
without it the bench says so and measures gan_numpy alone.

Goals: an iteration of the default network (song) and of the bar GAN in at most 0.7x
PyTorch's time and at >= 50% of the GEMM peak; an original-network iteration at batch 128 in at
most 0.75x PyTorch's time, >= 50% of the peak, peak RSS < 3 GiB; a song-model iteration at most
1.25x a bar-GAN one; no layer's backward > 2.5x its forward. (bench/pytorch_gan.py writes all
three networks.)

The CPU may be shared: every time is the best of several repeats, and only ratios measured in
the same run mean anything.
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
DEFAULT_ROWS = 18          # the drum rows a typical dataset uses
REPEATS = 3
ROUNDS = 2                 # fresh processes per iteration figure, ours and PyTorch taking turns
STEPS = {"bars": 5, "song": 5, "original": 1}   # timed iterations per process, after a warm-up
GOAL_SHARE = 0.5
GOAL_RATIO = 2.5
# a layer faster than this (a dense layer on the 64 latent values) is timed in Python overhead
# and in the machine's hiccups, not in its products: its backward/forward ratio says nothing
TIMED_LAYER = 0.5e-3
GOAL_RSS_GIB = 3.0
GOAL_TORCH = {"song": 0.7, "bars": 0.7, "original": 0.75}
GOAL_SONG = 1.25           # a song-model iteration against a bar-GAN one
TORCH_SCRIPT = HERE / "pytorch_gan.py"
NETWORKS = {  # arch: (title, batch, D input shape per sample, model configuration fields)
    "original": ("original, batch 128", 128, (1, 25, 256), {}),
    "bars": ("bars, batch 64", 64, (DEFAULT_ROWS, 1, 256), {"rows": list(range(DEFAULT_ROWS))}),
    "song": ("song (default), batch 64", 64, (3 * DEFAULT_ROWS, 1, 256),   # hits, velocities,
                                                                          # offsets
             {"rows": list(range(DEFAULT_ROWS))}),
}


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
    """Wraps every leaf layer's forward and backward to time them and count their FLOPs.

    A backward costs one forward's products for the weight gradient, which a frozen layer
    skips, and one for the input gradient, skipped when the caller passes input_grad=False.
    """

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
            return y

        def timed_backward(dout, input_grad=True):
            start = time.perf_counter()
            dx = backward(dout, input_grad)
            record["backward"].append(time.perf_counter() - start)
            products = (0 if layer.frozen else 1) + (1 if input_grad else 0)
            record["flops"] += products * record["last_flops"]
            return dx

        layer.forward, layer.backward = timed_forward, timed_backward

    def total_flops(self):
        return sum(record["flops"] for record in self.records.values())


def layer_rows(title, net, x, labels=()):
    """Time each layer of `net` (forward then backward of ones-like gradients), best of REPEATS;
    labels: what a conditional network takes beside x (the song model's D: the roles)."""
    recorder = Recorder([net])
    for _ in range(REPEATS):
        y = net.forward(x, *labels)
        net.backward(np.full_like(y, 1.0 / y.size))
    rows = []
    for record in recorder.records.values():
        fwd, bwd = min(record["forward"]), min(record["backward"])
        flops = record["last_flops"]
        rows.append((f"{title} {record['name']}", record["layer"].describe(), fwd, bwd,
                     flops / fwd / 1e9 if flops else None,
                     2 * flops / bwd / 1e9 if flops else None))
    return rows


def make_gan(arch, batch=None):
    """A GAN of one of the architectures, as the bench measures it."""
    from drumroll.models import ARCHITECTURES, build_gan
    _, preset_batch, _, extra = NETWORKS[arch]
    return build_gan(ARCHITECTURES[arch].Config(batch=batch or preset_batch, **extra))


def training_data(gan, count=256, seed=0):
    """Random 8-bar windows with roles and velocities, in the model's own training layout."""
    from drumroll.windows import Windows
    rng = np.random.default_rng(seed)
    images = np.where(rng.random((count, 25, 256)) < 0.1, 0, 255).astype(np.uint8)
    velocities = np.where(images == 0, rng.choice([76, 89, 102], images.shape), 0)
    return gan.prepare_data(Windows(images=images, velocities=velocities.astype(np.uint8),
                                    usual=np.full(count, 89),
                                    roles=rng.integers(0, 3, (count, 8)).astype(np.int8)))


def peak_rss():
    """The peak resident memory of this process in bytes.

    Linux's VmHWM belongs to the process image; getrusage's ru_maxrss would also count the
    memory of the parent at the moment it started this process.
    """
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


ITERATION_SCRIPT = r"""
import json, sys, time
import numpy as np
sys.path.insert(0, {bench!r})
from bench_engine import Recorder, gemm_peak, make_gan, peak_rss, training_data
from gan_numpy.memory import reuse_freed_memory
reuse_freed_memory()                          # as train_gan.py does
peak = gemm_peak()
gan = make_gan({arch!r})
real = training_data(gan)
gan.train_step(real)                          # warm-up
recorder = Recorder([gan.G, gan.D])
times = []
for _ in range({repeats}):
    start = time.perf_counter()
    gan.train_step(real)
    times.append(time.perf_counter() - start)
print(json.dumps({{"seconds": min(times), "flops": recorder.total_flops() / {repeats},
                  "rss": peak_rss(), "peak": peak}}))
"""


def last_json_line(command, env=None):
    """Run a command, return the JSON object on its last output line (RuntimeError if none)."""
    done = subprocess.run(command, capture_output=True, text=True, cwd=str(HERE.parent), env=env)
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        error = done.stderr.strip().splitlines()
        raise RuntimeError(error[-1] if error else f"exit status {done.returncode}")
    return json.loads(lines[-1])


def with_threads(threads):
    """The environment for a child process limited to `threads` BLAS / OpenMP threads."""
    env = dict(os.environ)
    for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        env[name] = str(threads)
    return env


def iteration(arch, threads):
    """One GAN.train_step in a fresh process: best seconds, FLOPs per step, peak RSS in bytes,
    and the GEMM peak measured in that process (same threads)."""
    code = ITERATION_SCRIPT.format(bench=str(HERE), arch=arch, repeats=STEPS[arch])
    return last_json_line([sys.executable, "-c", code], with_threads(threads))


def torch_python():
    """The interpreter named by TORCH_PYTHON if it can import torch; else (None, why not)."""
    path = os.environ.get("TORCH_PYTHON")
    if not path:
        return None, "TORCH_PYTHON is not set"
    try:
        done = subprocess.run([path, "-c", "import torch; print(torch.__version__)"],
                              capture_output=True, text=True, timeout=300)
    except (OSError, subprocess.TimeoutExpired) as error:
        return None, f"TORCH_PYTHON={path} does not run ({error})"
    if done.returncode != 0:
        return None, f"TORCH_PYTHON={path} cannot import torch"
    return path, f"PyTorch {done.stdout.strip()} from TORCH_PYTHON={path}"


def torch_run(python, arch, threads, layers=False):
    """bench/pytorch_gan.py in a fresh process; None (with a note) if it fails."""
    batch = NETWORKS[arch][1]
    command = [python, str(TORCH_SCRIPT), arch, "--threads", str(threads),
               "--batch", str(LAYER_BATCH if layers else batch),
               "--rows", str(1 if arch == "original" else DEFAULT_ROWS),
               "--repeats", str(REPEATS if layers else STEPS[arch])]
    if layers:
        command.append("--layers")
    try:
        return last_json_line(command, with_threads(threads))
    except (RuntimeError, ValueError) as error:
        print(f"(PyTorch run failed: {error})")
        return None


def networks():
    """(arch, title, network, input batch, labels) for the layer table: G and D of every
    network."""
    rng = np.random.default_rng(0)
    for arch in NETWORKS:
        gan = make_gan(arch)
        short = arch[:4]
        latents = gan.latents(LAYER_BATCH, rng)
        yield arch, f"{short} G", gan.G, latents, ()
        shape = NETWORKS[arch][2]
        labels = (rng.integers(0, 3, (LAYER_BATCH, 8)),) if arch == "song" else ()
        yield (arch, f"{short} D", gan.D,
               rng.uniform(-1, 1, (LAYER_BATCH,) + shape).astype(np.float32), labels)


def fmt(value, spec):
    return format(value, spec) if value is not None else "-"


def load_text():
    return "load average {:.1f} {:.1f} {:.1f}".format(*os.getloadavg())


def layer_table(python, threads):
    print(f"per layer at batch {LAYER_BATCH}, {threads} thread(s) (GFLOP/s: forward / backward; "
          f"goal backward/forward <= {GOAL_RATIO}; PyTorch: the same layer alone, fwd + bwd)")
    header = (f"{'layer':<18} {'':<40} {'fwd ms':>7} {'bwd ms':>7} {'fwd GF/s':>8} "
              f"{'bwd GF/s':>8} {'bwd/fwd':>7} {'torch ms':>9} {'ours/torch':>10}")
    print(header)
    print("-" * len(header))
    torch_layers = {}      # arch: PyTorch's [name, fwd, bwd] of G's then D's layers, in order
    for arch in ("song", "bars"):
        result = torch_run(python, arch, threads, layers=True) if python else None
        torch_layers[arch] = result["layers"] if result else []
    worst, worst_name = 0.0, ""
    totals = {}
    for arch, title, net, x, labels in networks():
        rows = layer_rows(title, net, x, labels)
        pending = torch_layers.get(arch, [])
        theirs, torch_layers[arch] = pending[:len(rows)], pending[len(rows):]
        for index, (name, text, fwd, bwd, gf_f, gf_b) in enumerate(rows):
            ratio = bwd / fwd
            if gf_f is not None and fwd >= TIMED_LAYER and ratio > worst:
                worst, worst_name = ratio, name
            torch_text = ""
            if index < len(theirs):
                torch_ms = (theirs[index][1] + theirs[index][2]) * 1e3
                total = totals.setdefault(title, [0.0, 0.0])
                total[0] += (fwd + bwd) * 1e3
                total[1] += torch_ms
                torch_text = f" {torch_ms:9.2f} {(fwd + bwd) * 1e3 / torch_ms:10.2f}"
            print(f"{name:<18} {text[:40]:<40} {fwd * 1e3:7.2f} {bwd * 1e3:7.2f} "
                  f"{fmt(gf_f, '8.1f')} {fmt(gf_b, '8.1f')} {ratio:7.2f}{torch_text}")
    for title, (ours, theirs) in totals.items():
        print(f"{title + ', all layers':<59} {ours:7.2f} ms (fwd + bwd) {'':<27} "
              f"{theirs:9.2f} {ours / theirs:10.2f}")
    print(f"\nworst backward/forward of a conv or dense layer taking {TIMED_LAYER * 1e3:g} ms or "
          f"more: {worst:.2f} ({worst_name}; "
          f"{'meets' if worst <= GOAL_RATIO else 'MISSES'} the goal <= {GOAL_RATIO})\n")


def iteration_table(python, thread_counts):
    print(f"full training iteration (GAN.train_step; best of {ROUNDS} fresh processes, ours and "
          "PyTorch taking turns; peak = the GEMM peak with the same threads)")
    header = (f"{'network':<22} {'threads':>7} {'seconds':>8} {'GFLOP':>6} {'GFLOP/s':>8} "
              f"{'of peak':>8} {'peak RSS':>9} {'torch s':>8} {'ours/torch':>10}")
    print(header)
    print("-" * len(header))
    verdicts = []
    for threads in thread_counts:
        seconds = {}
        for arch, (title, _, _, _) in NETWORKS.items():
            runs, torch_seconds = [], []
            for _ in range(ROUNDS):
                runs.append(iteration(arch, threads))
                theirs = torch_run(python, arch, threads) if python and arch in GOAL_TORCH else None
                if theirs:
                    torch_seconds.append(theirs["seconds"])
            ours = min(runs, key=lambda run: run["seconds"])
            seconds[arch] = ours["seconds"]
            rate = ours["flops"] / ours["seconds"] / 1e9
            share = rate / max(run["peak"] for run in runs)
            rss = max(run["rss"] for run in runs) / 2**30
            torch_text, ratio = "", None
            if torch_seconds:
                ratio = ours["seconds"] / min(torch_seconds)
                torch_text = f" {min(torch_seconds):8.3f} {ratio:10.2f}"
            print(f"{title:<22} {threads:>7} {ours['seconds']:8.3f} {ours['flops'] / 1e9:6.1f} "
                  f"{rate:8.1f} {share:8.0%} {rss:5.2f} GiB{torch_text}", flush=True)
            goals = [f"{share:.0%} of peak ({'met' if share >= GOAL_SHARE else 'MISSED'})"]
            if ratio is not None:
                goal = GOAL_TORCH[arch]
                goals.append(f"{ratio:.2f}x PyTorch ({'met' if ratio <= goal else 'MISSED'}, "
                             f"goal <= {goal})")
            if arch == "original":
                goals.append(f"RSS {rss:.2f} GiB ({'met' if rss < GOAL_RSS_GIB else 'MISSED'})")
            if arch == "song":
                cost = seconds["song"] / seconds["bars"]
                goals.append(f"{cost:.2f}x a bars iteration ({'met' if cost <= GOAL_SONG else 'MISSED'}"
                             f", goal <= {GOAL_SONG})")
            verdicts.append(f"  {title}, {threads} thread(s): " + "; ".join(goals))
    print(f"\ngoals: >= {GOAL_SHARE:.0%} of peak, <= {GOAL_TORCH['song']}x (song, bars) and "
          f"<= {GOAL_TORCH['original']}x (original) PyTorch, original RSS < {GOAL_RSS_GIB} GiB, "
          f"song <= {GOAL_SONG}x bars")
    print("\n".join(verdicts))
    print(load_text())


def main():
    threads = int(os.environ.get("OPENBLAS_NUM_THREADS", os.cpu_count()))
    print(f"{os.cpu_count()} cores, BLAS threads: {threads}, {load_text()} "
          "(other work on the machine slows every figure below)")
    python, note = torch_python()
    if python:
        print(f"comparing with {note}")
    else:
        print(f"no PyTorch comparison: {note}. To enable it, name a Python that has PyTorch "
              "(CPU build), e.g. TORCH_PYTHON=/path/to/venv/bin/python make bench")
    peak = gemm_peak()
    print(f"float32 GEMM peak (2048^3, {threads} thread(s)): {peak:.1f} GFLOP/s\n")
    layer_table(python, threads)
    iteration_table(python, sorted({1, os.cpu_count()}))


if __name__ == "__main__":
    main()
