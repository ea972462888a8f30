"""The song model (`--arch song`): the bar GAN, conditioned on each bar's role, with dynamics.

A drummer's song is more than a loop: grooves hold, a fill leads into a new groove, a crash
marks it, accents ride on top. This network learns those from the data the way the bar GAN
learns a bar, by being told what each bar is *for*:

* every bar of a training window carries its role in the song (phrases.py: an ORDINARY bar, a
  FILL, or the first bar of a new groove, CHANGE), derived from the real song around it;
* the generator gets the 8 roles with its latent. Its latent becomes one code per *groove*
  (up to SEGMENTS in a window): a CHANGE bar starts the next groove's code, so the bars of one
  groove share a code and a new groove gets a new one. The roles join the bar codes before the
  convolution across bars (which wraps around the window, as a song's phrases do) and each
  bar's decoder input, so "a fill here, a new groove after it" is something it can be asked for;
* the discriminator scores each bar's features against a learned vector for its role
  (a projection discriminator), so it judges "is this a convincing fill?" rather than only
  "is this a convincing bar?";
* each drum row has a second channel, its velocity relative to the song's usual level
  (dynamics.py), gated by the hit so a silent cell has none: accents are learned, not added.

Everything else is the bar GAN (bars.py): shared bar decoder, two-branch discriminator with
spectral norm and minibatch deviation, hinge loss, EMA of G. Sampling without roles draws the
roles of a real training window, so 8-bar samples keep the drummer's rate of fills; the song
writer (drumroll/songwriter.py) chooses roles and latents per section instead.
"""
import dataclasses

import numpy as np

from drumroll import dynamics, timing
from drumroll.controls import steer
from drumroll.format import HIT_PIXEL, NUM_ROWS, WINDOW_BARS, WINDOW_STEPS, pixels_to_unit
from drumroll.models.bars import (BAR_DECODERS, BarAwareDiscriminator, BarConfig, BarGAN,
                                  across_bar_layers, bars_into_batch, bars_into_window,
                                  batch_into_bars, window_into_bars)
from drumroll.models.base import (MIN_SAMPLING_BATCH, SAMPLING_BATCH, TrainingSet, from_data,
                                  setting)
from drumroll.phrases import CHANGE, FILL, NUM_ROLES
from drumroll.windows import as_windows
from gan_numpy.gan import HINGE, train_step
from gan_numpy.layers import (BatchNorm, Dense, Layer, ReLU, Reshape, Sequential, as_rng,
                              channels_last, init_weights)


@dataclasses.dataclass
class SongConfig(BarConfig):
    """A run of the song model: the bar GAN's settings, whether it learns timing, and the
    drummer's dynamics, timing and song forms read from the training data."""
    timing: bool = setting(True, "learn each hit's timing against the grid beside its "
                                 "velocity (--no-timing: every hit on its grid line)")
    usual_velocity: int = from_data(89)   # the output's usual level: median of the songs'
    usual_levels: list = from_data()      # his songs' usual levels, and how often each (of
    usual_shares: list = from_data()      # the windows) is a song's: drawn per track
    velocity_levels: list = from_data()   # ratios to the usual level he plays, when he plays
                                          # few (dynamics.py); None: a continuum
    velocity_shares: list = from_data()   # how often he plays each of them
    velocity_spread: float = from_data(dynamics.SPREAD)   # see dynamics.to_unit
    velocity_quantiles: list = from_data()   # his ratios on each of `rows` at every percent,
                                             # when he plays a continuum (dynamics.py)
    offset_levels: list = from_data()     # the offsets he plays, when few (timing.py); None:
                                          # a continuum
    form: dict = from_data()              # how his songs are built (phrases.form_statistics)

    def with_data(self, windows):
        """RunConfig.with_data, and the drummer's velocities, timing and song forms."""
        config = super().with_data(windows)
        if windows.velocities is not None:
            played = windows.velocities[windows.velocities > 0]
            levels, shares = (dynamics.ratio_levels(windows.velocities, windows.usual)
                              if dynamics.few_levels(played) is not None else (None, None))
            usual, count = np.unique(windows.usual, return_counts=True)
            quantiles = (dynamics.row_quantiles(windows.velocities, windows.usual, config.rows)
                         if levels is None else None)
            config = dataclasses.replace(
                config, velocity_levels=levels, velocity_shares=shares,
                velocity_quantiles=quantiles,
                velocity_spread=dynamics.velocity_spread(windows.velocities, windows.usual),
                usual_velocity=int(np.median(windows.usual)),
                usual_levels=[int(level) for level in usual],
                usual_shares=[round(float(share), 4) for share in count / count.sum()])
        if windows.offsets is not None:
            hits = windows.images == HIT_PIXEL
            config = dataclasses.replace(
                config, offset_levels=dynamics.few_levels(windows.offsets[hits]))
        if windows.form is not None:
            config = dataclasses.replace(config, form=windows.form)
        return config

    @property
    def channels_per_row(self):
        """The generator's output channels per drum row: hit, velocity (and offset)."""
        return 3 if self.timing else 2


# ------------------------------------------------------------------------------ layers

class HitsAndFeel(Layer):
    """(N, kR, H, W) -> (N, kR, H, W): R hit channels, then k - 1 groups of R channels of how
    each hit is played (its velocity, and its offset when the model learns timing).

        hit = tanh(a)                      (a = the first R channels; -1 = hit)
        feel = tanh(b) * (1 - hit) / 2     (b = each group of R after them; (1 - hit) / 2 is
                                            1 for a hit, 0 for none: a silent cell has none)
    """

    def __init__(self, parts=2):
        super().__init__()
        self.parts = parts

    def forward(self, x):
        rows = x.shape[1] // self.parts
        self.squashed = np.tanh(x)                   # every channel in one pass
        self.hit = self.squashed[:, :rows]
        self.gate = (1 - self.hit) / 2
        y = np.empty_like(self.squashed)
        y[:, :rows] = self.hit
        for group in range(rows, x.shape[1], rows):
            np.multiply(self.squashed[:, group:group + rows], self.gate,
                        out=y[:, group:group + rows])
        return y

    def backward(self, dout, input_grad=True):
        rows = dout.shape[1] // self.parts
        dx = np.empty_like(dout)
        d_hit_total = dout[:, :rows].copy()
        for group in range(rows, dout.shape[1], rows):
            d_feel, feel = dout[:, group:group + rows], self.squashed[:, group:group + rows]
            d_hit_total -= d_feel * feel / 2         # d feel / d hit = -tanh(b) / 2
            np.multiply(d_feel * self.gate, 1 - feel * feel, out=dx[:, group:group + rows])
        np.multiply(d_hit_total, 1 - self.hit * self.hit, out=dx[:, :rows])
        return dx


def role_planes(roles):
    """Roles (N, 8) int -> one-hot (N, 3, 8) float32."""
    roles = np.asarray(roles)
    return (roles[:, None, :] == np.arange(NUM_ROLES)[None, :, None]).astype(np.float32)


REACH = 8                   # steps (a quarter note) an empty cell looks for the model's hit


def nearest_played(own, reach=REACH):
    """For every cell the model leaves empty (own (..., W) bool: the cells it plays), the step
    of the nearest cell of the same row that it plays, at most `reach` steps away (the earlier
    one on a tie), else -1; -1 on the cells it plays.

    The nearest played cell is the last one at or before a cell or the first one at or after
    it: a running maximum of the played steps along the row, and a running minimum from the
    end, instead of a search from every cell."""
    steps = np.arange(own.shape[-1])
    far = 2 * own.shape[-1]
    before = np.maximum.accumulate(np.where(own, steps, -far), axis=-1)
    after = np.flip(np.minimum.accumulate(np.flip(np.where(own, steps, far), axis=-1),
                                          axis=-1), axis=-1)
    nearest = np.where(steps - before <= after - steps, before, after)
    return np.where(~own & (np.abs(nearest - steps) <= reach), nearest, -1)


PLACES = 4                  # steps of an 8th: a step's place in it (on the 8th, a 32nd after
                            # it, the 16th between, a 32nd before the next)


def nearest_in_place(own, reach=REACH):
    """nearest_played, looking first at the cells of the same place in the 8th (step % PLACES:
    an off-beat 16th at the model's off-beat 16ths, where his swing is), then at any cell.

    The cells of one place are every PLACES-th step: nearest_played on that strided view
    (reach / PLACES of its cells) is the nearest played cell of that place."""
    nearest = nearest_played(own, reach)                                  # (..., W)
    for place in range(PLACES):
        view = nearest_played(own[..., place::PLACES], reach // PLACES)  # (..., W / PLACES)
        same = np.where(view >= 0, view * PLACES + place, -1)
        nearest[..., place::PLACES] = np.where(same >= 0, same, nearest[..., place::PLACES])
    return nearest


def borrowed_feel(ungated, own):
    """Feel channels (n, kR, 1, W), before the gate, with every cell the model leaves empty
    given the feel of its nearest played cell on the row of the same place in the 8th, or else
    of any place (nearest_in_place), where there is one: the model never learned a feel for
    cells it does not play (the gate hides them from the discriminator), so a hit there is
    played as the model plays that drum beside it. own: (n, R, W) bool."""
    rows = own.shape[1]
    nearest = nearest_in_place(own)                                      # (n, R, W)
    borrowed = ungated.copy()
    for group in range(rows, ungated.shape[1], rows):
        feel = ungated[:, group:group + rows, 0, :]
        near = np.take_along_axis(feel, np.maximum(nearest, 0), axis=-1)
        borrowed[:, group:group + rows, 0, :] = np.where(nearest >= 0, near, feel)
    return borrowed


SEGMENTS = 4                # grooves one window can hold: its first and up to 3 changes


def groove_segments(roles):
    """Roles one-hot (N, 3, 8) -> one-hot (N, SEGMENTS, 8) of each bar's groove in its window.

    A window starts in groove 0 and every CHANGE bar after its first bar starts the next
    groove (the last one takes any further changes): bars of one groove share one code.
    Roles between one-hot ones (a path from one groove to another, make interpolate) count a
    bar as a change by its share c of CHANGE: each bar's column then holds the chances of each
    number of changes so far, every bar a change with chance c; for one-hot roles, the one-hot
    groove of the rule above.
    """
    change = roles[:, CHANGE, 1:]                                          # (N, 7)
    grooves = np.zeros((len(roles), SEGMENTS), dtype=roles.dtype)
    grooves[:, 0] = 1
    columns = [grooves]
    for bar in range(change.shape[1]):
        moved = np.zeros_like(grooves)                                     # one change more
        moved[:, 1:] = grooves[:, :-1]
        moved[:, -1] += grooves[:, -1]                                     # the last one stays
        share = change[:, bar:bar + 1]
        grooves = (1 - share) * grooves + share * moved
        columns.append(grooves)
    return np.stack(columns, axis=2)                                       # (N, SEGMENTS, 8)


class WrapBars(Layer):
    """Circular padding across the bars: (N, C, 1, 8) -> (N, C, 1, 10), the last bar before
    the first and the first after the last, so every bar has two neighbours, as in a loop
    (and as in the training windows, rotated by whole bars)."""

    def forward(self, x):
        return np.concatenate([x[..., -1:], x, x[..., :1]], axis=3)

    def backward(self, dout, input_grad=True):
        if not input_grad:
            return None
        dx = dout[..., 1:-1].copy()
        dx[..., -1] += dout[..., 0]
        dx[..., 0] += dout[..., -1]
        return dx


class SongGenerator(Layer):
    """[global latent | bar noise (8 x B) | roles one-hot (8 x 3)] -> (N, 2R, 1, 256).

    global latent -> one code per groove (N, 2W, SEGMENTS); each bar takes the code of its
    groove (a CHANGE starts the next one), so a groove holds, bar after bar, until the roles
    say it changes -> with the roles, a circular conv across neighbouring bars (a fill knows
    a change follows) -> each bar code + its noise + its role -> one bar decoder shared by all
    bars -> hits and velocities. The backward pass returns the gradient for the latent too
    (the primer search needs it).
    """

    def __init__(self, config, rng=None):
        super().__init__()
        self.global_size, self.noise = config.latent, config.bar_noise
        wide, rows = 2 * config.width, len(config.rows)
        self.code_channels = wide
        self.groove_codes = Sequential(
            Dense(config.latent, wide * SEGMENTS, rng=rng),
            Reshape((wide, 1, SEGMENTS)), BatchNorm(wide), ReLU())  # (N, 2W, 1, SEGMENTS)
        self.across_bars = Sequential(WrapBars(),                      # (N, 2W+3, 1, 10)
                                      *across_bar_layers(wide + NUM_ROLES, wide, rng, "valid"))
        self.bar_decoder = BAR_DECODERS[config.bar_decoder](
            config, wide + self.noise + NUM_ROLES, config.channels_per_row * rows, rng,
            head=HitsAndFeel(config.channels_per_row))

    def sublayers(self):
        return [("groove_codes", self.groove_codes), ("across_bars", self.across_bars),
                ("bar_decoder", self.bar_decoder)]

    def split(self, z):
        """-> global latent (N, latent), noise (N, B, 8), roles one-hot (N, 3, 8)."""
        n, start = len(z), self.global_size + self.noise * WINDOW_BARS
        return (z[:, :self.global_size],
                z[:, self.global_size:start].reshape(n, self.noise, WINDOW_BARS),
                z[:, start:].reshape(n, NUM_ROLES, WINDOW_BARS))

    def forward(self, z):
        n = len(z)
        global_latent, noise, roles = self.split(z)
        grooves = self.groove_codes.forward(global_latent)[:, :, 0, :]   # (N, 2W, SEGMENTS)
        self.segments = groove_segments(roles)                          # (N, SEGMENTS, 8)
        codes = np.einsum("ncs,nsb->ncb", grooves, self.segments)        # (N, 2W, 8)
        codes = self.across_bars.forward(
            np.concatenate([codes, roles], axis=1)[:, :, None, :])      # (N, 2W, 1, 8)
        joined = np.concatenate([codes[:, :, 0, :], noise, roles], axis=1)  # (N, 2W+B+3, 8)
        bars = self.bar_decoder.forward(bars_into_batch(joined))        # (N*8, 2R, 1, 32)
        return bars_into_window(bars, n)                                # (N, 2R, 1, 256)

    def backward(self, dout, input_grad=True):
        """input_grad=False: training, no gradient for the latent (returns None)."""
        n, wide = len(dout), self.code_channels
        dper_bar = self.bar_decoder.backward(window_into_bars(dout))    # (N*8, 2W+B+3)
        djoined = batch_into_bars(dper_bar, n)                          # (N, 2W+B+3, 8)
        dacross = self.across_bars.backward(
            np.ascontiguousarray(djoined[:, :wide, None, :]))           # (N, 2W+3, 1, 8)
        dgrooves = np.einsum("ncb,nsb->ncs", dacross[:, :wide, 0, :], self.segments)
        dglobal = self.groove_codes.backward(np.ascontiguousarray(dgrooves[:, :, None, :]),
                                             input_grad)
        if not input_grad:
            return None
        dnoise = djoined[:, wide:wide + self.noise].reshape(n, -1)
        droles = np.zeros((n, NUM_ROLES * WINDOW_BARS), dtype=dglobal.dtype)
        return np.concatenate([dglobal, dnoise, droles], axis=1)


class RoleAwareDiscriminator(BarAwareDiscriminator):
    """The bar-aware discriminator, told each bar's role by projection (Miyato & Koyama 2018):
    x (N, C, 1, 256) and roles (N, 8) -> logits (N, 1).

        logit = head(window features, bar features) + sum over bars b of <E[role_b], f_b>

    f_b (2W,) are the per-bar branch's features of bar b and E (3, 2W) one learned vector per
    role, so D scores how well each bar plays its role.
    """

    def __init__(self, config, rng=None, channels=None):
        super().__init__(config, rng, channels)
        self.bar_channels = 2 * config.width
        self.params["embed"] = init_weights((NUM_ROLES, self.bar_channels), NUM_ROLES,
                                            self.bar_channels, "glorot", as_rng(rng))

    def forward(self, x, roles):
        window = self.window.forward(x)                              # (N, 4W*8)
        bars = self.per_bar.forward(x)                               # (N, 2W*8)
        logits = self.head.forward(np.concatenate([window, bars], axis=1))
        self.bar_features = bars.reshape(len(x), self.bar_channels, WINDOW_BARS)
        self.onehot = role_planes(roles).astype(x.dtype)             # (N, 3, 8)
        self.embedded = np.einsum("nrb,rc->ncb", self.onehot, self.params["embed"])  # (N, 2W, 8)
        return logits + (self.embedded * self.bar_features).sum(axis=(1, 2))[:, None]

    def backward(self, dlogits, input_grad=True):
        weight = dlogits[:, :, None]                                 # (N, 1, 1)
        if not self.frozen:
            self.grads["embed"] = np.einsum("nrb,ncb->rc", self.onehot,
                                            self.bar_features * weight)
        dfeatures = self.head.backward(dlogits)                       # (N, F), a new array
        dfeatures[:, self.window_features:] += (self.embedded * weight).reshape(len(dlogits), -1)
        return self.branches_backward(dfeatures, input_grad)


class RoleSampler:
    """The role sequences of the training windows, to draw realistic roles for samples."""

    def __init__(self, roles=None):
        self.roles = np.zeros((0, WINDOW_BARS), np.int8) if roles is None else np.asarray(
            roles, dtype=np.int8)

    def draw(self, n, rng):
        if len(self.roles) == 0:
            return np.zeros((n, WINDOW_BARS), dtype=np.int8)
        return self.roles[rng.integers(0, len(self.roles), n)]

    def state_dict(self):
        return {"roles": self.roles.copy()}

    def load_state_dict(self, arrays):
        roles = np.asarray(arrays["roles"])
        if roles.ndim != 2 or roles.shape[1] != WINDOW_BARS:
            raise ValueError(f"role windows must be (K, {WINDOW_BARS}), got {roles.shape}")
        self.roles = roles.astype(np.int8)


# ---------------------------------------------------------------------------- the GAN

class SongGAN(BarGAN):
    arch = "song"
    Config = SongConfig
    Generator = SongGenerator

    def __init__(self, config=None, windows=None):
        """windows: the training Windows, whose role sequences 8-bar samples draw from."""
        super().__init__(config, windows)
        roles = windows.roles if windows is not None and windows.roles is not None else None
        self.role_sampler = RoleSampler(roles)

    def build(self, rng):
        rows = len(self.config.rows)
        return (self.Generator(self.config, rng),
                RoleAwareDiscriminator(self.config, rng,
                                       channels=self.config.channels_per_row * rows))

    @property
    def latent_size(self):
        return self.config.latent + (self.config.bar_noise + NUM_ROLES) * WINDOW_BARS

    def latents(self, n, rng=None, roles=None):
        """n latent vectors; roles (n, 8) int, drawn from the training windows when None."""
        rng = self.rng if rng is None else rng
        noise_size = self.config.latent + self.config.bar_noise * WINDOW_BARS
        noise = rng.standard_normal((n, noise_size), dtype=np.float32)
        if roles is None:
            roles = self.role_sampler.draw(n, rng)
        return np.concatenate([noise, role_planes(roles).reshape(n, NUM_ROLES * WINDOW_BARS)],
                              axis=1)

    def compose_latent(self, global_latent, noise, roles):
        """One latent vector from its parts: (latent,), (8, bar_noise), and the roles: (8,)
        int, or (3, 8) how much each bar is of each role (one-hot for the roles of a real
        window; a path from one groove to another mixes two)."""
        roles = np.asarray(roles)
        planes = role_planes(roles[None])[0] if roles.ndim == 1 else roles
        return np.concatenate([global_latent, noise.T.ravel(), planes.ravel()]).astype(
            np.float32)

    def latent_parts(self, latent):
        """One latent vector -> its parts (compose_latent's): the global latent (latent,), the
        bar noise (8, bar_noise) and the roles (8,) int8."""
        global_latent, noise, planes = self.G.split(np.asarray(latent)[None])
        roles = planes[0].argmax(axis=0).astype(np.int8)
        return global_latent[0].copy(), noise[0].T.copy(), roles

    def prepare_data(self, windows):
        """Windows -> TrainingSet: x (N, kR, 1, 256), hits, velocities (and offsets); the roles
        (N, 8); each window's chance to be drawn, in proportion to 1 + its fill bars: fills
        are what the drummer plays least and what a GAN drops first, and since G and D are
        told the roles, drawing more of one kind changes what they practise, not what a role
        should sound like."""
        windows = as_windows(windows)
        rows = self.config.rows
        hits = pixels_to_unit(windows.images)[:, rows]                   # (N, R, 256)
        channels = [hits]
        if windows.velocities is not None:
            channels.append(dynamics.to_unit(windows.velocities[:, rows], windows.usual,
                                             self.config.velocity_spread))
        else:
            channels.append(np.zeros_like(hits))
        if self.config.timing:
            channels.append(timing.to_unit(windows.offsets[:, rows], hits < 0)
                            if windows.offsets is not None else np.zeros_like(hits))
        roles = (windows.roles if windows.roles is not None
                 else np.zeros((len(hits), WINDOW_BARS), dtype=np.int8))
        roles = np.asarray(roles, dtype=np.int8)
        x = np.concatenate(channels, axis=1)[:, :, None, :]             # (N, kR, 1, 256)
        weights = 1.0 + (roles == FILL).sum(axis=1)
        return TrainingSet(channels_last(x.astype(np.float32, copy=False)), roles,
                           weights / weights.sum())

    def to_rolls(self, output):
        rolls = np.ones((len(output), NUM_ROWS, WINDOW_STEPS), dtype=np.float32)
        rolls[:, self.config.rows] = output[:, :len(self.config.rows), 0, :]
        return rolls

    def to_feel(self, velocity_output, offset_output, hits, base=None):
        """Model outputs (N, kR, 1, 256) to read the velocities and the offsets from, and the
        hits (N, 25, 256) bool to play -> how each is played: MIDI velocities (N, 25, 256)
        uint8 as the drummer plays them, around `base` (default: the training songs' usual
        level; each drum's hits at his own ratios on it, ranked over all N, when the run
        holds them: dynamics.from_unit), and offsets (N, 25, 256) int8 in 1/OFFSET_UNITS of a
        step (0 without timing)."""
        config, rows = self.config, len(self.config.rows)
        unit = np.zeros((len(hits), NUM_ROWS, WINDOW_STEPS), dtype=np.float32)
        unit[:, config.rows] = velocity_output[:, rows:2 * rows, 0, :]
        velocities = dynamics.from_unit(unit, hits, config.usual_velocity if base is None
                                        else base,
                                        config.velocity_levels, config.velocity_shares,
                                        config.velocity_spread, self.quantiles_by_row())
        unit[:] = 0
        if config.timing:
            unit[:, config.rows] = offset_output[:, 2 * rows:3 * rows, 0, :]
        return velocities, timing.from_unit(unit, hits, config.offset_levels)

    def quantiles_by_row(self):
        """The run's velocity_quantiles over all NUM_ROWS rows (None on a row it does not play),
        or None: a run without them (one trained before they were learned, or a drummer of few
        levels)."""
        if self.config.velocity_quantiles is None:
            return None
        quantiles = [None] * NUM_ROWS
        for row, his in zip(self.config.rows, self.config.velocity_quantiles):
            quantiles[row] = his
        return quantiles

    def train_step(self, data):
        """As the bar GAN, with roles: the real batch's roles are the generated batch's and
        D's labels in D's update; G's update plays the roles of other training windows."""
        batch = self.config.batch
        pick = data.draw(self.rng, batch)
        real, real_roles = data.x[pick], data.roles[pick]
        if self.config.rotate_bars:
            real, real_roles = self.rotate_bars(real, real_roles)
        z_fake = self.latents(batch, roles=real_roles)
        gen_roles = data.roles[data.draw(self.rng, batch)]
        stats = train_step(self.G, self.D, self.opt_G, self.opt_D, real, z_fake,
                           self.latents(batch, roles=gen_roles), HINGE, labels=real_roles,
                           gen_labels=gen_roles, augment=self.instance_noise())
        self.ema.update()
        self.step += 1
        return stats

    def usual_level(self, rng, n=None):
        """The usual velocity of a track (n=None) or of n of them, each one of the drummer's
        songs' usual levels as often as his songs have it (his quiet and his loud songs)."""
        levels = self.config.usual_levels or [self.config.usual_velocity]
        shares = np.asarray(self.config.usual_shares or [1.0])
        return rng.choice(np.asarray(levels, dtype=np.float64), n, p=shares / shares.sum())

    def sample_with_feel(self, n, rng=None, roles=None, base=None, controls=None):
        """n rolls (n, 25, 256) in [-1, 1], their MIDI velocities (n, 25, 256) uint8 and their
        offsets (n, 25, 256) int8; roles (n, 8) or None (drawn from the training windows);
        base: the usual velocity (default: each sample's drawn, usual_level); controls: how to
        steer the latents (controls.steer), or None.

        Steered latents are steered and decoded with the batch norm statistics of the batch as
        it was drawn (with its filler): normalised by their own batch, a shift or a scale of
        every latent alike would be undone (on the seed-0 MGŁA run, density -1 to 1 moved 512
        samples from 18.3 to 18.6 hits per bar)."""
        rng = np.random.default_rng(self.config.seed + 1) if rng is None else rng
        latents = self.latents(n, rng, roles=roles)
        statistics = None
        if controls is not None and not controls.neutral:
            drawn = np.concatenate([latents, self.latents(max(0, MIN_SAMPLING_BATCH - n), rng)])
            statistics = self.batch_statistics(drawn)
            latents = steer(self, latents, controls, statistics)
        return self.decode(latents, rng, self.usual_level(rng, n) if base is None else base,
                           statistics=statistics)

    def decode(self, latents, rng, base=None, hits=None, statistics=None):
        """Given latent vectors (n, latent_size) -> (rolls, velocities, offsets) as
        sample_with_feel. With hits (n, 25, 256) bool, the velocities and offsets are those the
        model gives to these hits instead of its own: its feel channels before its own hits
        gate them, and on a cell it would not have hit, those of its nearest hit on that drum
        within a quarter note (borrowed_feel; make humanize).

        Its own hits take their velocities after the gate (a hit the model is unsure of plays
        softly, as his ghost notes do) and their offsets before it: the discriminator saw every
        real hit with a gate of 1, so the gate pulling an unsure hit towards its grid line is a
        device of training, not his timing. (Gated, GMD drummer 8's samples played a timing
        spread of 16.0-16.5 ms against his 18.1; ungated, their velocities spread wider than
        his.)

        Batch norm takes its statistics from the batch, as in training, so a batch smaller than
        MIN_SAMPLING_BATCH is filled up with random latents (rng) whose outputs are dropped;
        with `statistics` (batch_statistics) it takes those, and no filler is needed. The
        velocities are ranked (to_feel) within each SAMPLING_BATCH of latents.
        """
        generator = self.sampling_generator(statistics)
        smallest = MIN_SAMPLING_BATCH if statistics is None else 0
        rolls, velocities, offsets = [], [], []
        for start in range(0, len(latents), SAMPLING_BATCH):
            chunk = latents[start:start + SAMPLING_BATCH]
            filler = self.latents(max(0, smallest - len(chunk)), rng)
            output = generator.forward(np.concatenate([chunk, filler]))[:len(chunk)]
            rolls.append(self.to_rolls(output))
            if np.ndim(base):                                      # one per latent
                chunk_base = base[start:start + len(chunk)]
            else:
                chunk_base = base
            # the feel channels before the hits gate them (HitsAndFeel), (n, kR, 1, 256)
            ungated = bars_into_window(generator.bar_decoder[-1].squashed,
                                       len(chunk) + len(filler))[:len(chunk)]
            if hits is None:
                loud, early = self.to_feel(output, ungated, rolls[-1] < 0, chunk_base)
            else:
                own = output[:, :len(self.config.rows), 0, :] < 0            # (n, R, 256)
                borrowed = borrowed_feel(ungated, own)
                loud, early = self.to_feel(borrowed, borrowed, hits[start:start + len(chunk)],
                                           chunk_base)
            velocities.append(loud)
            offsets.append(early)
        return np.concatenate(rolls), np.concatenate(velocities), np.concatenate(offsets)

    def parts(self):
        return {**super().parts(), "roles": self.role_sampler}
