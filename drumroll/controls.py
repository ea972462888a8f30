"""The knobs a musician turns: density, fills, variation, and the intensity of each section.

Every control acts on what the song model is given, never on the hits it writes, so whatever it
plays stays in the drummer's vocabulary:

* density (-1 .. 1, 0 = as trained): moves every groove's global latent along the model's own
  direction of busyness (density_direction: the least-squares direction in which the hits per
  bar of its samples grow), by up to DENSITY_REACH standard deviations either way;
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
DENSITY_REACH = 2.0          # density 1: the global latent moves 2 std along the direction
INTENSITY_DENSITY = 0.5      # each + or - of a section moves its density this much...
INTENSITY_LOUDNESS = 0.1     # ...and its velocities this share
MAX_MARKS = 2                # at most "++" or "--"
DIRECTION_SAMPLES = 512      # samples the density direction is fitted on


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
                raise ControlError(f"--{name} {value:g}: give {low:g} to {high:g}")

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


def density_direction(gan, rng=None):
    """The unit direction of the global latent along which the model's samples get busier:
    the least-squares fit of their hits per bar on their global latents (DIRECTION_SAMPLES of
    them, a fixed stream unless rng is given)."""
    rng = np.random.default_rng(0) if rng is None else rng
    latents = gan.latents(DIRECTION_SAMPLES, rng)
    rolls = gan.decode(latents, rng)[0]
    busy = (rolls < 0).sum(axis=(1, 2)).astype(np.float64)                 # hits per window
    design = np.column_stack([latents[:, :gan.config.latent], np.ones(len(latents))])
    slope = np.linalg.lstsq(design, busy - busy.mean(), rcond=None)[0][:-1]
    return (slope / max(np.linalg.norm(slope), 1e-12)).astype(np.float32)


def steer(gan, latents, controls, direction=None, intensity=0):
    """Latent vectors (n, latent_size) as the controls (and a section's intensity) want them:
    variation scales the bar noise and, half as much, the global latent; density (plus
    INTENSITY_DENSITY per step of intensity, within DENSITY_RANGE) moves the global latent
    along `direction` (density_direction; needed when the density is not 0)."""
    size, noise = gan.config.latent, gan.config.bar_noise * WINDOW_BARS
    latents = np.array(latents, dtype=np.float32)
    latents[:, :size] *= (1 + controls.variation) / 2
    latents[:, size:size + noise] *= controls.variation
    density = float(np.clip(controls.density + INTENSITY_DENSITY * intensity, *DENSITY_RANGE))
    if density:
        latents[:, :size] += density * DENSITY_REACH * direction
    return latents


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
