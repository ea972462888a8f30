"""The song model (`song`): roles in, hits, velocities and offsets out, gradients proven
numerically."""
import numpy as np
import pytest

from drumroll import timing
from drumroll.controls import Controls, steer
from drumroll.dynamics import QUANTILES
from drumroll.models import build_gan, load_gan
from drumroll.models.base import MIN_SAMPLING_BATCH
from drumroll.models.bars import bars_into_window
from drumroll.models.song import (REACH, HitsAndFeel, RoleAwareDiscriminator, SongConfig,
                                  PLACES, SongGenerator, WrapBars, borrowed_feel,
                                  groove_segments, nearest_in_place, nearest_played)
from drumroll.phrases import CHANGE, FILL, ORDINARY
from drumroll.windows import Windows
from gan_numpy.checkpoint import load_checkpoint, save_checkpoint
from tests.gradcheck import check_layer, numerical_gradient, rel_error, to_float64


@pytest.fixture
def config(rows):
    return SongConfig(latent=6, bar_noise=3, width=4, rows=rows)


def tiny_windows(tiny_images, n=12, offsets=(0, 85, -85)):
    images = tiny_images(n)
    rng = np.random.default_rng(4)
    velocities = np.where(images == 0, rng.choice([76, 89, 102], images.shape), 0)
    early = np.where(images == 0, rng.choice(offsets, images.shape), 0)
    roles = rng.choice([ORDINARY, FILL, CHANGE], (n, 8)).astype(np.int8)
    return Windows(images=images, velocities=velocities.astype(np.uint8),
                   offsets=early.astype(np.int8), usual=np.full(n, 89), roles=roles)


@pytest.mark.parametrize("parts", [2, 3])
def test_hits_and_feel_gradients_match_numerical_ones(parts):
    x = np.random.default_rng(0).standard_normal((2, 3 * parts, 1, 5))
    errors = check_layer(HitsAndFeel(parts), x, np.random.default_rng(1))
    assert errors["x"] < 1e-7


def test_a_silent_cell_has_no_velocity_and_no_offset():
    x = np.zeros((1, 3, 1, 2))
    x[0, 0, 0, 0], x[0, 0, 0, 1] = 20.0, -20.0      # no hit, hit
    x[0, 1] = 3.0                                    # loud
    x[0, 2] = -1.0                                   # early
    out = HitsAndFeel(3).forward(x)
    assert out[0, 1, 0, 0] == pytest.approx(0.0, abs=1e-8)
    assert out[0, 2, 0, 0] == pytest.approx(0.0, abs=1e-8)
    assert out[0, 1, 0, 1] == pytest.approx(np.tanh(3.0), rel=1e-6)
    assert out[0, 2, 0, 1] == pytest.approx(np.tanh(-1.0), rel=1e-6)


def test_the_generator_writes_hits_and_velocities_for_every_row(config, rows):
    generator = SongGenerator(config, rng=0)
    size = config.latent + 8 * (config.bar_noise + 3)
    out = generator.forward(np.random.default_rng(1).standard_normal((3, size)).astype(np.float32))
    assert out.shape == (3, 3 * len(rows), 1, 256) and out.dtype == np.float32


def test_the_generator_gradients_for_weights_and_latent_match_numerical_ones(config, rows):
    generator = to_float64(SongGenerator(config, rng=0).eval())
    size = config.latent + 8 * (config.bar_noise + 3)
    z = np.random.default_rng(3).standard_normal((2, size))
    weights = np.random.default_rng(4).standard_normal((2, 3 * len(rows), 1, 256))
    generator.forward(z)
    dz = generator.backward(weights)
    loss = lambda: float(np.sum(generator.forward(z) * weights))   # noqa: E731
    numeric = numerical_gradient(loss, z)
    noise_end = config.latent + 8 * config.bar_noise
    assert rel_error(dz[:, :noise_end], numeric[:, :noise_end]) < 1e-6
    assert np.all(dz[:, noise_end:] == 0)            # roles are given, not learned
    for name, layer in generator.named_layers():
        if "W" in layer.params and name.startswith(("groove_codes", "across_bars", "bar_decoder.6")):
            assert rel_error(layer.grads["W"], numerical_gradient(loss, layer.params["W"])) < 1e-6


def latent_with_roles(config, roles, seed=2):
    size = config.latent + 8 * config.bar_noise
    z = np.random.default_rng(seed).standard_normal((1, size + 24)).astype(np.float32)
    z[0, size:] = np.eye(3, dtype=np.float32)[roles].T.ravel()
    return z


def test_a_bars_role_reaches_its_neighbours_through_the_circular_conv_across_bars(config):
    generator = SongGenerator(config, rng=0).eval()
    z = latent_with_roles(config, [ORDINARY] * 8)
    other = latent_with_roles(config, [ORDINARY] * 7 + [FILL])      # bar 7 becomes a fill
    difference = np.abs(generator.forward(other) - generator.forward(z)).sum(axis=(0, 1, 2))
    per_bar = difference.reshape(8, 32).sum(axis=1)
    assert per_bar[7] > 0 and per_bar[6] > 0 and per_bar[0] > 0      # bar 0 follows bar 7
    assert np.all(per_bar[1:6] == 0)


def test_bars_of_one_groove_with_the_same_noise_and_neighbours_are_identical(config):
    generator = SongGenerator(config, rng=0).eval()
    z = latent_with_roles(config, [ORDINARY] * 8)
    noise = z[0, config.latent:config.latent + 8 * config.bar_noise].reshape(-1, 8)
    noise[:, 4:] = noise[:, :4]                                       # a 4-bar phrase, twice
    out = generator.forward(z)[0, :, 0].reshape(-1, 8, 32)
    assert np.array_equal(out[:, :4], out[:, 4:])


def test_a_change_starts_a_groove_with_a_code_of_its_own(config):
    generator = SongGenerator(config, rng=0).eval()
    same = latent_with_roles(config, [ORDINARY] * 8)
    changed = latent_with_roles(config, [ORDINARY] * 4 + [CHANGE] + [ORDINARY] * 3)
    for z in (same, changed):
        noise = z[0, config.latent:config.latent + 8 * config.bar_noise].reshape(-1, 8)
        noise[...] = noise[:, :1]                                     # one noise for all bars
    steady = generator.forward(same)[0, :, 0].reshape(-1, 8, 32)
    after = generator.forward(changed)[0, :, 0].reshape(-1, 8, 32)
    assert np.allclose(steady[:, 2], steady[:, 6])
    assert not np.allclose(after[:, 2], after[:, 6])                  # bar 6 is in groove 1


def test_groove_segments_count_the_changes_after_the_first_bar():
    roles = np.eye(3, dtype=np.float32)[[CHANGE, 0, CHANGE, 0, 1, CHANGE, CHANGE, CHANGE]].T[None]
    segments = groove_segments(roles)
    assert segments.argmax(axis=1).tolist() == [[0, 0, 1, 1, 1, 2, 3, 3]]


def test_a_bar_that_is_a_share_of_a_change_starts_the_next_groove_by_that_share():
    roles = np.eye(3, dtype=np.float32)[[ORDINARY] * 8].T[None].copy()
    roles[0, :, 3] = [0.75, 0, 0.25]                                  # a quarter of a change
    segments = groove_segments(roles)[0]
    np.testing.assert_allclose(segments[:2, :3], [[1, 1, 1], [0, 0, 0]])
    np.testing.assert_allclose(segments[:2, 3:], [[0.75] * 5, [0.25] * 5])


def test_wrapping_bars_gradient_matches_numerical_one():
    x = np.random.default_rng(0).standard_normal((2, 3, 1, 8))
    assert check_layer(WrapBars(), x, np.random.default_rng(1))["x"] < 1e-7


def test_the_discriminator_scores_bars_against_their_roles(config, rows):
    critic = RoleAwareDiscriminator(config, rng=0, channels=2 * len(rows)).eval()
    x = np.random.default_rng(5).uniform(-1, 1, (2, 2 * len(rows), 1, 256)).astype(np.float32)
    plain = critic.forward(x, np.zeros((2, 8), dtype=np.int8))
    assert not np.allclose(critic.forward(x, np.full((2, 8), FILL, dtype=np.int8)), plain)


def test_the_role_aware_discriminator_gradients_match_numerical_ones(config, rows):
    critic = to_float64(RoleAwareDiscriminator(config, rng=0, channels=2 * len(rows)).eval())
    roles = np.array([[0, 1, 2, 0, 0, 1, 2, 2], [2, 2, 0, 1, 0, 0, 0, 1]])
    x = np.random.default_rng(6).uniform(-1, 1, (2, 2 * len(rows), 1, 256))
    critic.forward(x, roles)
    dx = critic.backward(np.ones((2, 1)))
    loss = lambda: float(critic.forward(x, roles).sum())   # noqa: E731
    assert rel_error(dx, numerical_gradient(loss, x)) < 1e-6
    embed = critic.grads["embed"].copy()
    assert rel_error(embed, numerical_gradient(loss, critic.params["embed"])) < 1e-6


def test_training_data_holds_hits_velocities_offsets_and_roles(tiny_images, rows):
    windows = tiny_windows(tiny_images)
    gan = build_gan(SongConfig(latent=6, bar_noise=3, width=4), windows)
    data = gan.prepare_data(windows)
    x, roles = data.x, data.roles
    assert x.shape == (12, 3 * len(rows), 1, 256)
    assert np.array_equal(roles, windows.roles)
    silent = x[:, :len(rows)] > 0
    assert np.all(x[:, len(rows):2 * len(rows)][silent] == 0)   # no hit, no velocity
    assert np.all(x[:, 2 * len(rows):][silent] == 0)            # no hit, no offset
    np.testing.assert_allclose(np.unique(x[:, 2 * len(rows):]), [-85 / 128, 0, 85 / 128])
    assert gan.config.velocity_levels == [0.85, 1.0, 1.15] and gan.config.usual_velocity == 89
    assert gan.config.offset_levels == [-85, 0, 85]


def test_a_model_without_timing_writes_hits_and_velocities_only(tiny_images, rows):
    windows = tiny_windows(tiny_images)
    gan = build_gan(SongConfig(latent=6, bar_noise=3, width=4, timing=False), windows)
    assert gan.prepare_data(windows).x.shape == (12, 2 * len(rows), 1, 256)
    _, _, offsets = gan.sample_with_feel(4, rng=np.random.default_rng(0))
    assert not offsets.any()


def test_a_drummer_who_plays_a_continuum_is_learned_as_one(tiny_images):
    windows = tiny_windows(tiny_images, offsets=range(-120, 120, 7))
    windows.velocities = np.where(windows.images == 0, np.random.default_rng(1).integers(
        20, 128, windows.images.shape), 0).astype(np.uint8)
    config = build_gan(SongConfig(latent=6, bar_noise=3, width=4), windows).config
    assert config.velocity_levels is None and config.offset_levels is None
    assert config.velocity_spread > 0.5
    assert len(config.velocity_quantiles) == len(config.rows)
    assert all(len(row) == QUANTILES for row in config.velocity_quantiles)


def test_a_continuum_drummers_samples_play_each_row_at_his_own_ratios(tiny_images):
    windows = tiny_windows(tiny_images)
    usual = windows.usual[:, None, None]
    spread = np.random.default_rng(1).uniform(0.2, 1.4, windows.images.shape)
    windows.velocities = np.where(windows.images == 0, np.round(usual * spread), 0).astype(
        np.uint8)
    kick = 0
    windows.velocities[:, kick] = np.where(windows.images[:, kick] == 0, 45, 0)  # half of 89
    gan = build_gan(SongConfig(latent=6, bar_noise=3, width=4), windows)
    hits, velocities, _ = gan.sample_with_feel(8, rng=np.random.default_rng(0), base=89)
    played = hits < 0
    assert played[:, kick].any() and np.all(velocities[:, kick][played[:, kick]] == 45)
    assert len(np.unique(velocities[played])) > 10


def test_a_continuum_drummers_ratios_survive_a_checkpoint(tiny_images, tmp_path):
    windows = tiny_windows(tiny_images)
    windows.velocities = np.where(windows.images == 0, np.random.default_rng(1).integers(
        20, 128, windows.images.shape), 0).astype(np.uint8)
    gan = build_gan(SongConfig(latent=6, bar_noise=3, width=4), windows)
    gan.save(tmp_path / "ck.npz")
    loaded = load_gan(tmp_path / "ck.npz")
    assert loaded.config.velocity_quantiles == gan.config.velocity_quantiles
    played = [model.sample_with_feel(4, rng=np.random.default_rng(0))[1]
              for model in (gan, loaded)]
    assert np.array_equal(*played)


def test_a_run_saved_before_the_ratios_were_learned_plays_the_networks_velocities(
        tiny_images, tmp_path):
    windows = tiny_windows(tiny_images)
    windows.velocities = np.where(windows.images == 0, np.random.default_rng(1).integers(
        20, 128, windows.images.shape), 0).astype(np.uint8)
    new = build_gan(SongConfig(latent=6, bar_noise=3, width=4), windows)
    new.save(tmp_path / "ck.npz")
    arrays, meta = load_checkpoint(tmp_path / "ck.npz")
    del meta["config"]["velocity_quantiles"]
    save_checkpoint(tmp_path / "ck.npz", arrays, meta)
    old = load_gan(tmp_path / "ck.npz")
    (old_hits, old_loud, _), (new_hits, new_loud, _) = [
        model.sample_with_feel(4, rng=np.random.default_rng(0)) for model in (old, new)]
    assert old.config.velocity_quantiles is None and np.array_equal(old_hits, new_hits)
    assert np.all((old_loud > 0) == (old_hits < 0)) and not np.array_equal(old_loud, new_loud)


def test_a_drummer_who_plays_few_levels_keeps_no_quantiles(tiny_images):
    windows = tiny_windows(tiny_images)
    config = build_gan(SongConfig(latent=6, bar_noise=3, width=4), windows).config
    assert config.velocity_levels is not None and config.velocity_quantiles is None


def test_windows_with_more_fills_are_drawn_more_often(tiny_images):
    windows = tiny_windows(tiny_images)
    gan = build_gan(SongConfig(latent=6, bar_noise=3, width=4), windows)
    data = gan.prepare_data(windows)
    roles, chance = data.roles, data.chance
    fills = (roles == FILL).sum(axis=1)
    assert chance.sum() == pytest.approx(1.0)
    np.testing.assert_allclose(chance / chance.min(), (1 + fills) / (1 + fills.min()))


def test_a_training_step_lowers_the_discriminator_loss_on_fixed_data(tiny_images, tiny_config):
    windows = tiny_windows(tiny_images)
    gan = build_gan(tiny_config("song", batch=8, width=16), windows)   # width 4 learns too slowly
    data = gan.prepare_data(windows)
    losses = [gan.train_step(data)["d_loss"] for _ in range(15)]
    assert np.mean(losses[-5:]) < np.mean(losses[:5])


def test_rotating_a_window_rotates_its_roles_with_it(tiny_images, tiny_config):
    windows = tiny_windows(tiny_images)
    gan = build_gan(tiny_config("song"), windows)
    data = gan.prepare_data(windows)
    x, roles = data.x, data.roles
    turned, turned_roles = gan.rotate_bars(x, roles)
    for window, role, t, t_role in zip(x, roles, turned, turned_roles):
        shift = next(k for k in range(8) if np.array_equal(np.roll(window, -32 * k, axis=2), t)
                     and np.array_equal(np.roll(role, -k), t_role))
        assert 0 <= shift < 8


def test_samples_have_feel_only_on_hits_at_the_drummers_levels(tiny_images, tiny_config):
    windows = tiny_windows(tiny_images)
    gan = build_gan(tiny_config("song"), windows)
    rolls, velocities, offsets = gan.sample_with_feel(5, rng=np.random.default_rng(0))
    assert rolls.shape == velocities.shape == offsets.shape == (5, 25, 256)
    assert np.all((velocities > 0) == (rolls < 0)) and not offsets[rolls > 0].any()
    assert set(np.unique(velocities[velocities > 0])) <= {76, 89, 102}
    assert set(np.unique(offsets[rolls < 0])) <= {-85, 0, 85}


def test_sampling_without_roles_draws_those_of_training_windows(tiny_images, tiny_config):
    windows = tiny_windows(tiny_images)
    gan = build_gan(tiny_config("song"), windows)
    z = gan.latents(50, np.random.default_rng(0))
    roles = z[:, -24:].reshape(50, 3, 8).argmax(axis=1)
    known = {tuple(r) for r in windows.roles}
    assert all(tuple(r) in known for r in roles)


def test_each_sample_plays_at_one_of_his_songs_usual_levels(tiny_images, tiny_config):
    windows = tiny_windows(tiny_images)
    windows.usual = np.array([76] * 6 + [89] * 6)
    windows.velocities = np.where(windows.images == 0, windows.usual[:, None, None], 0).astype(
        np.uint8)
    gan = build_gan(tiny_config("song"), windows)
    assert gan.config.usual_levels == [76, 89] and gan.config.usual_shares == [0.5, 0.5]
    _, velocities, _ = gan.sample_with_feel(64, rng=np.random.default_rng(0))
    levels = {int(np.median(v[v > 0])) for v in velocities if v.any()}
    assert levels == {76, 89}


def test_a_latent_with_held_statistics_plays_the_same_alone_or_in_any_batch(tiny_images,
                                                                            tiny_config):
    gan = build_gan(tiny_config("song"), tiny_windows(tiny_images))
    rng = np.random.default_rng(0)
    batch = gan.latents(64, rng)
    statistics = gan.batch_statistics(batch)
    alone = gan.decode(batch[:1], rng, statistics=statistics)
    beside_others = gan.decode(np.concatenate([batch[:1], gan.latents(9, rng)]), rng,
                               statistics=statistics)
    in_its_batch = gan.decode(batch, rng)
    np.testing.assert_allclose(alone[0], beside_others[0][:1], atol=1e-5)
    np.testing.assert_allclose(alone[0], in_its_batch[0][:1], atol=1e-5)
    assert not np.allclose(in_its_batch[0][:1], gan.decode(np.concatenate(
        [batch[:1], gan.latents(63, rng)]), rng)[0][:1], atol=1e-5)      # without: it moves


def test_a_hit_takes_its_offset_from_before_the_gate_and_its_velocity_from_after_it(
        tiny_images, tiny_config):
    gan = build_gan(tiny_config("song"), tiny_windows(tiny_images))
    rng = np.random.default_rng(0)
    latents = gan.latents(64, rng)
    statistics = gan.batch_statistics(latents)
    rolls, velocities, offsets = gan.decode(latents, rng, base=89, statistics=statistics)
    generator = gan.sampling_generator(statistics)
    gated = generator.forward(latents)                                  # (n, 3R, 1, 256)
    ungated = bars_into_window(generator.bar_decoder[-1].squashed, len(latents))
    hits = rolls < 0
    rows = gan.config.rows

    def offsets_of(output):
        unit = np.zeros(hits.shape, np.float32)
        unit[:, rows] = output[:, 2 * len(rows):, 0]
        return timing.from_unit(unit, hits, gan.config.offset_levels)

    np.testing.assert_array_equal(offsets, offsets_of(ungated))
    assert np.any(offsets != offsets_of(gated))          # the gate would have moved some
    np.testing.assert_array_equal(velocities, gan.to_feel(gated, gated, hits, 89)[0])


def nearest_played_by_search(own, reach=REACH, every=1):
    """The plain rule nearest_played implements: from every empty cell, look at the cells
    `every`, 2 * `every`, ... steps away (1, 2, ...: every cell), the earlier side first."""
    found = np.full(own.shape, -1)
    for index in np.ndindex(own.shape[:-1]):
        row = own[index]
        for step in np.flatnonzero(~row):
            for distance in range(every, reach + 1, every):
                near = [cell for cell in (step - distance, step + distance)
                        if 0 <= cell < len(row) and row[cell]]
                if near:
                    found[index + (step,)] = near[0]
                    break
    return found


@pytest.mark.parametrize("density", [0.02, 0.1, 0.5])
def test_nearest_played_is_the_nearest_played_cell_of_the_row_within_reach(density):
    own = np.random.default_rng(7).random((3, 4, 64)) < density
    np.testing.assert_array_equal(nearest_played(own), nearest_played_by_search(own))


def nearest_in_place_by_search(own, reach=REACH):
    """The plain rule nearest_in_place implements: from every empty cell, look at the cells of
    its place in the 8th PLACES, 2 * PLACES, ... steps away (the earlier side first), and when
    none within reach is played, at the nearest played cell of any place."""
    in_place = nearest_played_by_search(own, reach, every=PLACES)
    return np.where(in_place >= 0, in_place, nearest_played_by_search(own, reach))


@pytest.mark.parametrize("density", [0.05, 0.2, 0.6])
def test_nearest_in_place_is_the_nearest_played_cell_of_its_place_then_of_any(density):
    own = np.random.default_rng(9).random((3, 4, 64)) < density
    np.testing.assert_array_equal(nearest_in_place(own), nearest_in_place_by_search(own))


def test_an_off_beat_16th_borrows_from_the_models_off_beat_16th_not_the_nearer_8th():
    own = np.zeros((1, 1, 32), bool)
    own[0, 0, [4, 10]] = True                  # an 8th (the "and") and an off-beat 16th
    nearest = nearest_in_place(own)[0, 0]
    assert nearest[6] == 10 and nearest[3] == 4 and nearest[8] == 4


def test_an_empty_cell_borrows_the_feel_of_the_models_nearest_hit_on_its_row():
    own = np.zeros((1, 2, 32), bool)
    own[0, 0, 10] = True                       # row 0 plays step 10, row 1 nothing
    ungated = np.random.default_rng(8).uniform(-1, 1, (1, 6, 1, 32)).astype(np.float32)
    borrowed = borrowed_feel(ungated, own)
    np.testing.assert_array_equal(borrowed[:, :2], ungated[:, :2])          # hits untouched
    for group in (2, 4):                                                    # velocity, offset
        row = borrowed[0, group, 0]
        assert np.all(row[10 - REACH:10 + REACH + 1] == ungated[0, group, 0, 10])
        np.testing.assert_array_equal(row[:10 - REACH], ungated[0, group, 0, :10 - REACH])
        np.testing.assert_array_equal(borrowed[0, group + 1], ungated[0, group + 1])


def test_latent_parts_takes_apart_what_compose_latent_joined(tiny_images, tiny_config):
    gan = build_gan(tiny_config("song"), tiny_windows(tiny_images))
    rng = np.random.default_rng(0)
    groove, noise = rng.standard_normal(6), rng.standard_normal((8, 3))
    roles = np.array([ORDINARY, FILL, CHANGE, ORDINARY, ORDINARY, FILL, ORDINARY, CHANGE])
    parts = gan.latent_parts(gan.compose_latent(groove, noise, roles))
    np.testing.assert_allclose(parts[0], groove, rtol=1e-6)
    np.testing.assert_allclose(parts[1], noise, rtol=1e-6)
    np.testing.assert_array_equal(parts[2], roles)


def test_a_steered_batch_plays_with_the_batch_norm_statistics_of_the_batch_as_drawn(
        tiny_images, tiny_config):
    gan = build_gan(tiny_config("song"), tiny_windows(tiny_images))
    busier = Controls(density=1)
    steered = gan.sample_with_feel(MIN_SAMPLING_BATCH, np.random.default_rng(0),
                                   controls=busier)[0]
    rng = np.random.default_rng(0)
    drawn = gan.latents(MIN_SAMPLING_BATCH, rng)
    statistics = gan.batch_statistics(drawn)
    moved = steer(gan, drawn, busier, statistics)
    held = gan.decode(moved, rng, statistics=statistics)[0]
    own = gan.decode(moved, rng)[0]                 # normalised by its own, moved batch
    np.testing.assert_allclose(steered, held, atol=1e-6)
    assert not np.allclose(steered, own, atol=1e-3)
