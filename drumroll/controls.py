"""The knobs a musician turns: density, fills, variation, and the intensity of each section.

Every control acts on what the song model is given, never on the hits it writes, so whatever it
plays stays in the drummer's vocabulary:

* density (-1 .. 1, 0 = as trained): walks every groove's global latent uphill (busier) or
  downhill on the number of hits the model plays from it, in steps of DENSITY_STEP along the
  gradient of its soft hit count, through the generator held fixed (densify), until the groove
  plays DENSITY_RATIO ** density times the hits it played (at most DENSITY_MAX_STEPS steps).
  Each step follows the model where it gets busier from *that* groove; one fixed direction for
  all grooves stopped getting sparser where the model does not (GMD drummer 8: -7% of the hits
  per bar at density -1). A target in hits, not a number of steps, is the same knob for every
  drummer: 16 steps made MGŁA 33-40% sparser and drummer 8 25-28%;
* fills (0 .. 2, 1 = as he plays): multiplies how often a bar is a fill: the FILL column of his
  bar-to-bar habits and the share of section changes he leads into with a fill (0: no fill
  anywhere, section changes are still marked);
* variation (0 .. 2, 1 = as trained): a temperature on the bar noise (0: every bar of a groove
  as alike as the roles let it be, 2: twice the noise) and, half as much, on the global latent
  (0.5 .. 1.5), so grooves also differ less or more from one song to the next;
* intensity: a section marked with + or - in a form ("C16++", "A8-", at most two marks) is
  played INTENSITY_DENSITY busier and INTENSITY_LOUDNESS louder per +, sparser and quieter
  per -.
"""
import dataclasses

import numpy as np

from drumroll.format import WINDOW_BARS
from drumroll.phrases import FILL, NUM_ROLES, ORDINARY

DENSITY_RANGE = (-1.0, 1.0)
FILLS_RANGE = (0.0, 2.0)
VARIATION_RANGE = (0.0, 2.0)
DENSITY_RATIO = 1.4          # density 1 plays this many times the hits, -1 this many times fewer
DENSITY_STEP = 0.1           # a step of the walk moves the groove's latent this far (length ~8)
DENSITY_MAX_STEPS = 40       # a groove that will not get busier (or sparser) stops after these
INTENSITY_DENSITY = 0.5      # each + or - of a section moves its density this much...
INTENSITY_LOUDNESS = 0.1     # ...and its velocities this share
MAX_MARKS = 2                # at most "++" or "--"


# what each control does, for the scripts' --help
CONTROL_HELP = {
    "density": "-1 (sparser) to 1 (busier), in the drummer's own vocabulary",
    "fills": "how often he fills, times his own rate: 0 (none) to 2",
    "variation": "0 (a groove repeats with the fewest changes) to 2 (varies more than he does)"}


class ControlError(ValueError):
    """A control outside its range, e.g. --density 5."""


@dataclasses.dataclass(frozen=True)
class Controls:
    """The knobs of a generation; the defaults play the model as it was trained."""
    density: float = 0.0
    fills: float = 1.0
    variation: float = 1.0

    def __post_init__(self):
        for name, (low, high) in (("density", DENSITY_RANGE), ("fills", FILLS_RANGE),
                                  ("variation", VARIATION_RANGE)):
            value = getattr(self, name)
            if not low <= value <= high:         # NaN fails this too
                raise ControlError(f"--{name} {value:.12g}: give {low:g} to {high:g}")

    @property
    def neutral(self):
        return self == Controls()

    @staticmethod
    def add_options(group, names=("density", "fills", "variation"), only=""):
        """Add --density, --fills and --variation (those named) to an argparse group, each
        with its range and its neutral default; `only`: a note on where it acts."""
        for name in names:
            group.add_argument(f"--{name}", type=float, default=getattr(Controls(), name),
                               help=f"{CONTROL_HELP[name]}{only} (default: "
                                    f"{getattr(Controls(), name):g}, as trained)")

    def text(self):
        """'density 0.5, fills 1, variation 1': how a track was steered, for pages and files."""
        return ", ".join(f"{name} {getattr(self, name):g}" for name in ("density", "fills",
                                                                        "variation"))


def soft_hits(output, rows):
    """The soft hit count of each window of a generator output (n, C, 1, steps) -> (n,): the
    sum over its hit channels of (1 - output) / 2, 1 where a cell plays (tanh output -1), 0
    where it rests."""
    return ((1 - output[:, :rows]) / 2).sum(axis=(1, 2, 3))


def soft_hits_gradient(generator, latents, rows):
    """d(soft hit count)/d(latents) of each latent's window (n, latent_size), and the counts
    (n,): d(count)/d(output) = -1/2 on every hit cell (soft_hits). (The generator does not
    differentiate its role inputs: their part is 0.)"""
    output = generator.forward(latents)                                 # (n, C, 1, 256)
    counts = soft_hits(output, rows)          # before backward, which may reuse its buffers
    dout = np.zeros_like(output)
    dout[:, :rows] = -0.5
    return generator.backward(dout), counts


def densify(gan, latents, density, statistics, tied=False):
    """The latents (n, latent_size) with their global latents walked in steps of DENSITY_STEP
    along the gradient of the hits they play, uphill (busier) for a density above 0, downhill
    below, each until it plays DENSITY_RATIO ** density times the soft hits it played (or
    DENSITY_MAX_STEPS steps). The bar noise and roles stay as given.

    The generator is held with `statistics` (SongGAN.batch_statistics of the batch the latents
    are decoded in, or of any batch of random latents), so a latent's walk does not depend on
    its neighbours.
    tied: every latent holds one groove (the windows of a section): their gradients and counts
    add up and they walk together.
    """
    latents = np.array(latents, dtype=np.float32)
    if density == 0:
        return latents
    size, rows = gan.config.latent, len(gan.config.rows)
    generator = gan.sampling_generator(statistics)
    direction = np.sign(density)
    goal = None
    for _ in range(DENSITY_MAX_STEPS):
        uphill, counts = soft_hits_gradient(generator, latents, rows)
        uphill = uphill[:, :size]                                       # (n, latent)
        if tied:
            uphill = np.broadcast_to(uphill.sum(axis=0), uphill.shape)
            counts = np.broadcast_to(counts.sum(), counts.shape)
        if goal is None:
            goal = counts * DENSITY_RATIO ** density
        walking = direction * (goal - counts) > 0                       # (n,) short of it
        if not walking.any():
            break
        length = np.linalg.norm(uphill, axis=1, keepdims=True)
        latents[walking, :size] += (direction * DENSITY_STEP * uphill[walking]
                                    / np.maximum(length[walking], 1e-12)).astype(np.float32)
    return latents


def steer(gan, latents, controls, statistics, intensity=0, tied=False):
    """Latent vectors (n, latent_size) as the controls (and a section's intensity) want them:
    variation scales the bar noise and, half as much, the global latent; density (plus
    INTENSITY_DENSITY per step of intensity, within DENSITY_RANGE) walks the global latent
    towards more or fewer hits (densify, with `statistics` and `tied`)."""
    size, noise = gan.config.latent, gan.config.bar_noise * WINDOW_BARS
    latents = np.array(latents, dtype=np.float32)
    latents[:, :size] *= (1 + controls.variation) / 2
    latents[:, size:size + noise] *= controls.variation
    density = float(np.clip(controls.density + INTENSITY_DENSITY * intensity, *DENSITY_RANGE))
    return densify(gan, latents, density, statistics, tied)


def loudness(intensity):
    """How much louder a section of this intensity plays: a factor on its base velocity."""
    return 1 + INTENSITY_LOUDNESS * intensity


def fill_habits(transitions, fill_before_change, fills):
    """His role habits with fills played `fills` times as often -> (transitions (roles, roles),
    fill before a change); 0 leaves no fill at all."""
    transitions = np.array(transitions, dtype=np.float64).reshape(NUM_ROLES, NUM_ROLES)
    transitions[:, FILL] *= fills
    for row in transitions:
        if row.sum() == 0:
            row[ORDINARY] = 1
    return (transitions / transitions.sum(axis=1, keepdims=True),
            float(min(1.0, fill_before_change * fills)))
