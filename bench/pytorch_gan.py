"""The three drumgan networks written in PyTorch, for bench_engine.py to time gan_numpy against.

Not part of the project: PyTorch is never a dependency. bench_engine.py runs this file with an
interpreter that has PyTorch (TORCH_PYTHON=/path/to/python) in a process of its own, e.g.

    $TORCH_PYTHON bench/pytorch_gan.py song --threads 2 --batch 64 --rows 18

and reads the one JSON line it prints: {"torch": version, "threads": n, "seconds": best
iteration}, or with --layers {..., "layers": [[name, forward seconds, backward seconds], ...]}.

The networks are the ones of drumroll/models/ (song.py, bars.py, original.py), layer for layer:
the same sizes, 'same' padding (odd padding at the bottom/right, as Keras), spectral norm with
one power-iteration step per training forward, batch norm, the minibatch-deviation channel, the
song model's roles (groove codes, wrapped conv across bars, role projection in D) and its
hit/velocity head, the losses, Adam and the EMA of the generator, and the same passes per
iteration (--rows: drum rows; the song model has a hit and a velocity channel for each). It is
written as a PyTorch user who cares for speed would write it: no autograd graph for the fake
batch of D's step, D's weights frozen during G's step (their gradients would be thrown away).
"""
import argparse
import json
import time

import torch
from torch import nn
from torch.nn import functional as F

BARS, STEPS = 8, 32            # drumroll.format: 8 bars of 32 steps per window
LATENT = {"song": 64, "bars": 64, "original": 50}


def sn(module):
    return nn.utils.parametrizations.spectral_norm(module)


def same_conv(c, o, kernel, stride, image):
    """A Conv2d with Keras 'same' padding (the odd row/column at the bottom/right)."""
    pads = []
    for size, k, s in zip(image, kernel, stride):
        out = -(-size // s)
        total = max((out - 1) * s + k - size, 0)
        pads.append((total // 2, total - total // 2))
    (top, bottom), (left, right) = pads
    conv = nn.Conv2d(c, o, kernel, stride)
    if top == bottom and left == right:
        conv.padding = (top, left)
        return conv
    return nn.Sequential(nn.ZeroPad2d((left, right, top, bottom)), conv)


class Reshape(nn.Module):
    def __init__(self, *shape):
        super().__init__()
        self.shape = shape

    def forward(self, x):
        return x.reshape((len(x),) + self.shape)


class MinibatchStdDev(nn.Module):
    """Append the mean over features of the per-feature std across the batch as a channel."""

    def forward(self, x):
        n, _, h, w = x.shape
        std = torch.sqrt(x.var(dim=0, unbiased=False) + 1e-8)
        return torch.cat([x, std.mean().expand(n, 1, h, w)], dim=1)


# --- the bar GAN (bars) ---------------------------------------------------------------------------

class BarGenerator(nn.Module):
    def __init__(self, rows, width=64, noise=32):
        super().__init__()
        wide, hidden = 2 * width, 4 * width
        self.noise = noise
        self.bar_codes = nn.Sequential(
            nn.Linear(LATENT["bars"], wide * BARS), Reshape(wide, 1, BARS),
            nn.BatchNorm2d(wide), nn.ReLU(),
            nn.Conv2d(wide, wide, (1, 3), padding=(0, 1)), nn.BatchNorm2d(wide), nn.ReLU())
        self.bar_decoder = nn.Sequential(
            nn.Linear(wide + noise, hidden), nn.BatchNorm1d(hidden), nn.ReLU(),
            nn.Linear(hidden, hidden), nn.BatchNorm1d(hidden), nn.ReLU(),
            nn.Linear(hidden, rows * STEPS), Reshape(rows, 1, STEPS), nn.Tanh())

    def units(self):
        return list(self.bar_codes) + list(self.bar_decoder)

    def forward(self, z):
        n = len(z)
        codes = self.bar_codes(z[:, :LATENT["bars"]])                    # (N, 2W, 1, 8)
        noise = z[:, LATENT["bars"]:].reshape(n, self.noise, 1, BARS)
        joined = torch.cat([codes, noise], dim=1)[:, :, 0, :]                # (N, 2W+B, 8)
        bars = self.bar_decoder(joined.transpose(1, 2).reshape(n * BARS, -1))  # (N*8, R, 1, 32)
        rows = bars.shape[1]
        return bars.reshape(n, BARS, rows, STEPS).transpose(1, 2).reshape(n, rows, 1, BARS * STEPS)


class BarAwareDiscriminator(nn.Module):
    def __init__(self, rows, width=64):
        super().__init__()
        w = width

        def down(c, o):
            return [sn(nn.Conv2d(c, o, (1, 4), (1, 2), padding=(0, 1))), nn.LeakyReLU(0.2)]

        self.window = nn.Sequential(*down(rows, w), *down(w, 2 * w), *down(2 * w, 2 * w),
                                    *down(2 * w, 4 * w), MinibatchStdDev(),
                                    *down(4 * w + 1, 4 * w), nn.Flatten())
        self.per_bar = nn.Sequential(
            sn(nn.Conv2d(rows, 2 * w, (1, STEPS), (1, STEPS))), nn.LeakyReLU(0.2),
            sn(nn.Conv2d(2 * w, 2 * w, (1, 3), padding=(0, 1))), nn.LeakyReLU(0.2), nn.Flatten())
        self.head = nn.Sequential(sn(nn.Linear((4 * w + 2 * w) * BARS, 1)))

    def units(self):
        return list(self.window) + list(self.per_bar) + list(self.head)

    def forward(self, x):
        return self.head(torch.cat([self.window(x), self.per_bar(x)], dim=1))


def ema_update(shadow, params, step):
    decay = min(0.999, (1 + step) / (10 + step))
    torch._foreach_lerp_(shadow, params, 1 - decay)


def rotate_by_bars(windows, shift):
    """Turn each window (N, C, 1, 256) left by its own number of bars shift (N,)."""
    index = (torch.arange(BARS * STEPS)[None, :] + shift[:, None] * STEPS) % (BARS * STEPS)
    return torch.gather(windows, 3, index[:, None, None, :].expand_as(windows))


def hinge_step(G, D, opt_G, opt_D, shadow, step, real, d_latents, g_latents, roles=(None, None)):
    """Hinge loss; one D step on the real batch and G(d_latents), one G step on G(g_latents);
    EMA update. roles: what D is told in its step and in G's (the song model's role planes)."""
    with torch.no_grad():
        fake = G(d_latents)
    D.roles = roles[0]
    opt_D.zero_grad(set_to_none=True)
    d_loss = F.relu(1 - D(real)).mean() + F.relu(1 + D(fake)).mean()
    d_loss.backward()
    opt_D.step()

    D.requires_grad_(False)
    D.roles = roles[1]
    opt_G.zero_grad(set_to_none=True)
    g_loss = -D(G(g_latents)).mean()
    g_loss.backward()
    opt_G.step()
    D.requires_grad_(True)
    with torch.no_grad():
        ema_update(shadow, list(G.parameters()), step)


def bars_step(G, D, opt_G, opt_D, shadow, data, batch, step):
    """As BarGAN.update: real windows rotated by whole bars; hinge loss; EMA update."""
    real = rotate_by_bars(data[torch.randint(len(data), (batch,))], torch.randint(BARS, (batch,)))
    hinge_step(G, D, opt_G, opt_D, shadow, step, real,
               torch.randn(batch, G.latent_size), torch.randn(batch, G.latent_size))


# --- the song model (song, the default) -----------------------------------------------------------

ROLES, SEGMENTS, CHANGE = 3, 4, 2      # drumroll/phrases.py and drumroll/models/song.py
FEEL_PARTS = 3                         # channels per row: hit, velocity, offset


class HitsAndFeel(nn.Module):
    """hit = tanh(a), feel = tanh(b) * (1 - hit) / 2 for the thirds a, b (velocity, offset) of
    the channels."""

    def forward(self, x):
        rows = x.shape[1] // FEEL_PARTS
        squashed = torch.tanh(x)
        hit, feel = squashed[:, :rows], squashed[:, rows:]
        return torch.cat([hit, feel * ((1 - hit) / 2).repeat(1, FEEL_PARTS - 1, 1, 1)], dim=1)


class WrapBars(nn.Module):
    def forward(self, x):
        return F.pad(x, (1, 1, 0, 0), mode="circular")


def groove_segments(roles):
    """Roles one-hot (N, 3, 8) -> one-hot (N, SEGMENTS, 8): a CHANGE starts the next groove."""
    changes = (roles[:, CHANGE, 1:] > 0.5).long()
    index = torch.cat([torch.zeros(len(roles), 1, dtype=torch.long), changes.cumsum(1)], dim=1)
    return F.one_hot(index.clamp(max=SEGMENTS - 1), SEGMENTS).transpose(1, 2).to(roles.dtype)


class SongGenerator(nn.Module):
    def __init__(self, rows, width=64, noise=32):
        super().__init__()
        wide, hidden = 2 * width, 4 * width
        self.noise = noise
        self.latent_size = LATENT["song"] + (noise + ROLES) * BARS
        self.groove_codes = nn.Sequential(
            nn.Linear(LATENT["song"], wide * SEGMENTS), Reshape(wide, 1, SEGMENTS),
            nn.BatchNorm2d(wide), nn.ReLU())
        self.across_bars = nn.Sequential(
            WrapBars(), nn.Conv2d(wide + ROLES, wide, (1, 3)), nn.BatchNorm2d(wide), nn.ReLU())
        self.bar_decoder = nn.Sequential(
            nn.Linear(wide + noise + ROLES, hidden), nn.BatchNorm1d(hidden), nn.ReLU(),
            nn.Linear(hidden, hidden), nn.BatchNorm1d(hidden), nn.ReLU(),
            nn.Linear(hidden, FEEL_PARTS * rows * STEPS), Reshape(FEEL_PARTS * rows, 1, STEPS),
            HitsAndFeel())

    def units(self):
        return list(self.groove_codes) + list(self.across_bars) + list(self.bar_decoder)

    def forward(self, z):
        n, start = len(z), LATENT["song"] + self.noise * BARS
        noise = z[:, LATENT["song"]:start].reshape(n, self.noise, BARS)
        roles = z[:, start:].reshape(n, ROLES, BARS)
        grooves = self.groove_codes(z[:, :LATENT["song"]])[:, :, 0, :]     # (N, 2W, SEGMENTS)
        codes = torch.einsum("ncs,nsb->ncb", grooves, groove_segments(roles))
        codes = self.across_bars(torch.cat([codes, roles], dim=1)[:, :, None, :])[:, :, 0, :]
        joined = torch.cat([codes, noise, roles], dim=1)                   # (N, 2W+B+3, 8)
        bars = self.bar_decoder(joined.transpose(1, 2).reshape(n * BARS, -1))  # (N*8, 3R, 1, 32)
        rows = bars.shape[1]
        return bars.reshape(n, BARS, rows, STEPS).transpose(1, 2).reshape(n, rows, 1, BARS * STEPS)


class RoleAwareDiscriminator(BarAwareDiscriminator):
    """The bar-aware D plus a projection of each bar's features on its role's vector."""

    def __init__(self, channels, width=64):
        super().__init__(channels, width)
        self.embed = nn.Parameter(torch.empty(ROLES, 2 * width))
        nn.init.xavier_uniform_(self.embed)
        self.roles = None

    def forward(self, x):
        window = self.window(x)          # before per_bar: the hooks of --layers follow units()
        bars = self.per_bar(x)
        logits = self.head(torch.cat([window, bars], dim=1))
        embedded = torch.einsum("nrb,rc->ncb", self.roles, self.embed)    # (N, 2W, 8)
        return logits + (embedded * bars.reshape(len(x), -1, BARS)).sum(dim=(1, 2))[:, None]


def role_planes(roles):
    return F.one_hot(roles.long(), ROLES).transpose(1, 2).float()          # (N, 3, 8)


def song_latents(G, roles):
    n = len(roles)
    noise = torch.randn(n, LATENT["song"] + G.noise * BARS)
    return torch.cat([noise, role_planes(roles).reshape(n, -1)], dim=1)


def song_step(G, D, opt_G, opt_D, shadow, data, batch, step):
    """As SongGAN.update: real windows drawn in proportion to 1 + their fills, rotated with
    their roles; G and D told the roles; hinge loss; EMA update."""
    x, roles, chance = data
    pick = torch.multinomial(chance, batch, replacement=True)
    shift = torch.randint(BARS, (batch,))
    real = rotate_by_bars(x[pick], shift)
    real_roles = torch.gather(roles[pick], 1, (torch.arange(BARS)[None, :] + shift[:, None]) % BARS)
    g_roles = roles[torch.multinomial(chance, batch, replacement=True)]
    hinge_step(G, D, opt_G, opt_D, shadow, step, real,
               song_latents(G, real_roles), song_latents(G, g_roles),
               roles=(role_planes(real_roles), role_planes(g_roles)))


# --- the original network ------------------------------------------------------------------------

def original_generator():
    return nn.Sequential(
        nn.Linear(LATENT["original"], 64 * 5 * 128), nn.LeakyReLU(0.2), Reshape(64, 5, 128),
        nn.ConvTranspose2d(64, 64, 4, (5, 2), padding=(0, 1), output_padding=(1, 0)),  # 25 x 256
        nn.LeakyReLU(0.2),
        same_conv(64, 128, (4, 4), (1, 1), (25, 256)), nn.LeakyReLU(0.2),
        same_conv(128, 1, (7, 7), (1, 1), (25, 256)), nn.Tanh())


def original_discriminator():
    return nn.Sequential(
        same_conv(1, 64, (4, 4), (2, 2), (25, 256)), nn.LeakyReLU(0.2),    # 13 x 128
        same_conv(64, 64, (4, 4), (2, 2), (13, 128)), nn.LeakyReLU(0.2),   # 7 x 64
        nn.Flatten(), nn.Linear(64 * 7 * 64, 1))


def original_step(G, D, opt_G, opt_D, shadow, data, batch, step):
    """As the Keras notebook: D on half a batch of real, D on half of fake, G on a batch."""
    half = batch // 2
    real = data[torch.randint(len(data), (half,))]
    opt_D.zero_grad(set_to_none=True)
    F.binary_cross_entropy_with_logits(D(real), torch.ones(half, 1)).backward()
    opt_D.step()

    with torch.no_grad():
        fake = G(torch.randn(half, G.latent_size))
    opt_D.zero_grad(set_to_none=True)
    F.binary_cross_entropy_with_logits(D(fake), torch.zeros(half, 1)).backward()
    opt_D.step()

    D.requires_grad_(False)
    opt_G.zero_grad(set_to_none=True)
    logits = D(G(torch.randn(batch, G.latent_size)))
    F.binary_cross_entropy_with_logits(logits, torch.ones(batch, 1)).backward()
    opt_G.step()
    D.requires_grad_(True)


# --- timing ----------------------------------------------------------------------------------

def build(arch, rows):
    if arch == "song":
        G, D = SongGenerator(rows), RoleAwareDiscriminator(FEEL_PARTS * rows)
        shape, betas = (FEEL_PARTS * rows, 1, BARS * STEPS), (0.0, 0.9)
    elif arch == "bars":
        G, D = BarGenerator(rows), BarAwareDiscriminator(rows)
        G.latent_size = LATENT["bars"] + G.noise * BARS
        shape, betas = (rows, 1, BARS * STEPS), (0.0, 0.9)
    else:
        G, D = original_generator(), original_discriminator()
        G.latent_size = LATENT["original"]
        G.units = lambda: list(G)
        D.units = lambda: list(D)
        shape, betas = (1, 25, BARS * STEPS), (0.5, 0.999)
    opt_G = torch.optim.Adam(G.parameters(), lr=2e-4, betas=betas, foreach=True)
    opt_D = torch.optim.Adam(D.parameters(), lr=2e-4, betas=betas, foreach=True)
    return G, D, opt_G, opt_D, shape


def iteration_seconds(arch, batch, rows, repeats):
    G, D, opt_G, opt_D, shape = build(arch, rows)
    data = torch.rand((256,) + shape) * 2 - 1
    if arch == "song":
        roles = torch.randint(ROLES, (256, BARS))
        data = (data, roles, 1.0 + (roles == 1).sum(1).float())
    shadow = [p.detach().clone() for p in G.parameters()]
    step_function = {"song": song_step, "bars": bars_step, "original": original_step}[arch]
    times = []
    for step in range(repeats + 1):                      # the first is a warm-up
        start = time.perf_counter()
        step_function(G, D, opt_G, opt_D, shadow, data, batch, step)
        times.append(time.perf_counter() - start)
    return min(times[1:])


def unit_name(unit):
    inner = unit[-1] if isinstance(unit, nn.Sequential) else unit
    return type(inner).__name__


def layer_seconds(arch, batch, rows, repeats):
    """[name, forward, backward] for every unit of G then D, each timed alone on the input it
    gets inside the network (training mode), the backward with the input's gradient."""
    G, D, _, _, shape = build(arch, rows)
    if arch == "song":
        D.roles = role_planes(torch.randint(ROLES, (batch, BARS)))
    rows_out = []
    z = (song_latents(G, torch.randint(ROLES, (batch, BARS))) if arch == "song"
         else torch.randn(batch, G.latent_size))
    for net, x in [(G, z), (D, torch.rand((batch,) + shape) * 2 - 1)]:
        inputs = []
        hooks = [unit.register_forward_pre_hook(lambda m, args: inputs.append(args[0].detach()))
                 for unit in net.units()]
        with torch.no_grad():
            net(x)
        for hook in hooks:
            hook.remove()
        for unit, x_in in zip(net.units(), inputs):
            forward, backward = [], []
            for _ in range(repeats + 1):                 # the first is a warm-up
                x_in = x_in.clone().requires_grad_(True)
                start = time.perf_counter()
                y = unit(x_in)
                middle = time.perf_counter()
                y.backward(torch.full_like(y, 1.0 / y.numel()))
                forward.append(middle - start)
                backward.append(time.perf_counter() - middle)
            rows_out.append([unit_name(unit), min(forward[1:]), min(backward[1:])])
    return rows_out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("arch", choices=["song", "bars", "original"])
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--rows", type=int, default=18)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--layers", action="store_true",
                        help="time every layer instead of the whole iteration")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    result = {"torch": torch.__version__, "threads": torch.get_num_threads()}
    if args.layers:
        result["layers"] = layer_seconds(args.arch, args.batch, args.rows, args.repeats)
    else:
        result["seconds"] = iteration_seconds(args.arch, args.batch, args.rows, args.repeats)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
