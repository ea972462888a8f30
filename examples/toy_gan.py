#!/usr/bin/env python3
"""A toy GAN that learns in seconds: where a learner starts (`make toy`).

The real data are points in the plane, drawn from eight small Gaussian blobs on a ring. The
generator G turns 2 random numbers into a point; the discriminator D turns a point into a
score, "real" when positive. Both are three dense layers from gan_numpy, and one call to
gan_numpy.gan.train_step plays one round of their game: D learns to tell the ring's points
from G's, then G learns to fool D. Nothing else is needed; the drum models (drumroll/models)
train the same way with bigger networks and drum rolls for points.

    python examples/toy_gan.py                  # writes toy/toy-gan.png
    python examples/toy_gan.py --out /tmp/toy --iterations 4000 --seed 3

The picture shows real points (grey) and G's points (red) at four moments of training. The
printed *distance* between the two sets of points (the energy distance: 0 when they are drawn
from the same distribution) falls as G learns, and *blobs* counts the ones G reaches.
"""
import argparse
import os
import sys

# Matrices of 64 x 128 are too small to share between threads: one BLAS thread runs the toy
# several times faster than two (set before NumPy is first imported, or it has no effect).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
import numpy as np  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from gan_numpy.gan import NON_SATURATING, train_step  # noqa: E402
from gan_numpy.layers import Dense, LeakyReLU, ReLU, Sequential  # noqa: E402
from gan_numpy.optim import Adam  # noqa: E402

BLOBS, RADIUS, SPREAD = 8, 2.0, 0.05   # the real data: 8 blobs of std 0.05 on a ring of radius 2
LATENT, HIDDEN, BATCH = 2, 64, 128
ITERATIONS, PICTURES = 2000, 4         # training length; moments shown in the picture
SAMPLES = 1000                         # points per set, for the distance and the picture


def real_points(rng, n):
    """n points of the real data (n, 2): a blob chosen at random, plus Gaussian noise."""
    angle = 2 * np.pi * rng.integers(0, BLOBS, n) / BLOBS
    centres = RADIUS * np.stack([np.cos(angle), np.sin(angle)], axis=1)
    return (centres + SPREAD * rng.standard_normal((n, 2))).astype(np.float32)


def generator(rng):
    """latent (N, 2) -> point (N, 2)."""
    return Sequential(Dense(LATENT, HIDDEN, rng=rng), ReLU(),
                      Dense(HIDDEN, HIDDEN, rng=rng), ReLU(),
                      Dense(HIDDEN, 2, rng=rng))


def discriminator(rng):
    """point (N, 2) -> logit (N, 1): real when positive."""
    return Sequential(Dense(2, HIDDEN, rng=rng), LeakyReLU(0.2),
                      Dense(HIDDEN, HIDDEN, rng=rng), LeakyReLU(0.2),
                      Dense(HIDDEN, 1, rng=rng))


def energy_distance(a, b):
    """2 E|a - b| - E|a - a'| - E|b - b'| over two sets of points: 0 for one distribution."""
    def mean_distance(x, y):
        return np.sqrt(((x[:, None, :] - y[None, :, :]) ** 2).sum(axis=2)).mean()
    return float(2 * mean_distance(a, b) - mean_distance(a, a) - mean_distance(b, b))


def blobs_reached(points):
    """How many of the blobs hold at least 2% of the points (within 4 std of their centre)."""
    angle = 2 * np.pi * np.arange(BLOBS) / BLOBS
    centres = RADIUS * np.stack([np.cos(angle), np.sin(angle)], axis=1)
    near = np.sqrt(((points[:, None, :] - centres[None]) ** 2).sum(axis=2)) < 4 * SPREAD
    return int((near.mean(axis=0) >= 0.02).sum())


def train(iterations=ITERATIONS, seed=0, report=None):
    """Train G and D; report(iteration, stats, distance, blobs) at every picture moment.
    Returns the snapshots [(iteration, real points, G's points)] and the last distance."""
    rng = np.random.default_rng(seed)
    G, D = generator(rng), discriminator(rng)
    opt_G, opt_D = Adam(G, lr=1e-3, beta1=0.5), Adam(D, lr=1e-3, beta1=0.5)
    test_z = rng.standard_normal((SAMPLES, LATENT)).astype(np.float32)   # fixed, to compare
    test_real = real_points(rng, SAMPLES)
    moments = set(np.linspace(0, iterations, PICTURES).astype(int))
    snapshots, stats = [], {}
    for iteration in range(iterations + 1):
        if iteration in moments:
            fake = G.forward(test_z)
            distance = energy_distance(test_real, fake)
            snapshots.append((iteration, test_real, fake))
            if report:
                report(iteration, stats, distance, blobs_reached(fake))
        if iteration == iterations:
            break
        z_fake, z_gen = (rng.standard_normal((BATCH, LATENT)).astype(np.float32)
                         for _ in range(2))
        stats = train_step(G, D, opt_G, opt_D, real_points(rng, BATCH), z_fake, z_gen,
                           NON_SATURATING)
    return snapshots, distance


# ------------------------------------------------------------------------------ the picture

PANEL, MARGIN, DOT = 300, 8, 2        # pixels: one panel, the space around it, a dot's radius
GREY, RED = (170, 170, 170), (200, 20, 40)


def panel(real, fake):
    """One square RGB picture of the plane (-3..3 on both axes): real points grey, G's red."""
    image = np.full((PANEL, PANEL, 3), 255, dtype=np.uint8)
    image[PANEL // 2, :] = image[:, PANEL // 2] = 225                 # the axes
    for points, colour in ((real, GREY), (fake, RED)):
        pixels = np.round((points * [1, -1] + 3) / 6 * (PANEL - 1)).astype(int)   # y goes down
        for dy in range(-DOT + 1, DOT):
            for dx in range(-DOT + 1, DOT):
                x, y = pixels[:, 0] + dx, pixels[:, 1] + dy
                inside = (x >= 0) & (x < PANEL) & (y >= 0) & (y < PANEL)
                image[y[inside], x[inside]] = colour
    return image


def picture(snapshots):
    """The panels of the snapshots side by side, with a margin: (H, W, 3) uint8."""
    panels = [np.pad(panel(real, fake), ((MARGIN, MARGIN), (MARGIN, MARGIN), (0, 0)),
                     constant_values=255) for _, real, fake in snapshots]
    return np.concatenate(panels, axis=1)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default="toy", help="folder of the picture (default: toy)")
    parser.add_argument("--iterations", type=int, default=ITERATIONS,
                        help="training iterations, 1 to 100,000 (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    args = parser.parse_args(argv)
    if not 1 <= args.iterations <= 100_000 or args.seed < 0:
        parser.error("--iterations must be 1 to 100,000 and --seed 0 or more")

    def report(iteration, stats, distance, blobs):
        losses = f"D loss {stats['d_loss']:.3f}  G loss {stats['g_loss']:.3f}  " if stats else ""
        print(f"iteration {iteration:>6}/{args.iterations}  {losses}distance {distance:.3f}  "
              f"blobs {blobs}/{BLOBS}", flush=True)

    snapshots, _ = train(args.iterations, args.seed, report)
    import imageio.v3 as iio      # only to write the PNG; the GAN needs nothing but NumPy
    os.makedirs(args.out, exist_ok=True)
    path = os.path.join(args.out, "toy-gan.png")
    iio.imwrite(path, picture(snapshots))
    moments = ", ".join(str(iteration) for iteration, _, _ in snapshots)
    print(f"wrote {path}: real points grey, G's points red, after {moments} iterations")
    return 0


if __name__ == "__main__":
    sys.exit(main())
