"""The evaluation measures, on hand-made rolls whose answers can be worked out by hand."""
import numpy as np
import pytest

from drumroll import metrics
from drumroll.format import NUM_ROWS, WINDOW_STEPS

KICK, SNARE, CLOSED_HAT, RIDE = 0, 2, 6, 15   # rows of notes 36, 38, 42, 51


def empty(n=1):
    return np.zeros((n, NUM_ROWS, WINDOW_STEPS), dtype=bool)


def kick_on_every(interval, n=1):
    rolls = empty(n)
    rolls[:, KICK, ::interval] = True
    return rolls


def random_rolls(n, density=0.05, seed=0):
    return np.random.default_rng(seed).random((n, NUM_ROWS, WINDOW_STEPS)) < density


def test_hits_per_step_counts_each_kit_piece_separately():
    rolls = kick_on_every(2)
    rolls[:, SNARE, ::8] = True
    rates = metrics.hits_per_step(rolls)
    assert rates["kick"] == pytest.approx(0.5)
    assert rates["snare"] == pytest.approx(1 / 8)
    assert rates["ride"] == 0.0


def test_windows_with_a_tom_counts_windows_not_hits():
    rolls = empty(4)
    low_tom = 45 - 36
    rolls[0, low_tom, :] = True        # many tom hits in one window
    rolls[1, low_tom, 7] = True        # a single one in another
    rolls[2, KICK, :] = True           # no tom at all
    assert metrics.windows_with(rolls, "toms") == pytest.approx(0.5)


def test_hits_per_bar_of_a_sixteenth_note_kick_is_sixteen():
    assert metrics.hits_per_bar(kick_on_every(2)) == pytest.approx(16)


def test_grid_shares_of_eighth_notes_are_all_on_the_grid():
    shares = metrics.grid_shares(kick_on_every(4))
    assert shares == {"on 8ths": 1.0, "on 16ths": 1.0}


def test_grid_shares_of_thirty_seconds_are_a_quarter_and_a_half():
    shares = metrics.grid_shares(kick_on_every(1))
    assert shares["on 8ths"] == pytest.approx(0.25)
    assert shares["on 16ths"] == pytest.approx(0.5)


def test_a_repeated_bar_is_perfectly_consistent():
    assert metrics.bar_consistency(kick_on_every(4)) == 1.0


def test_alternating_disjoint_bars_have_zero_consistency():
    rolls = empty()
    for bar in range(8):
        rolls[0, KICK if bar % 2 else SNARE, bar * 32:(bar + 1) * 32:4] = True
    assert metrics.bar_consistency(rolls) == 0.0


def test_empty_beats_counts_beats_without_any_hit():
    rolls = empty()
    rolls[0, SNARE, 0] = True            # only the first of 32 beats has a hit
    assert metrics.empty_beats(rolls) == pytest.approx(31 / 32)


def test_pairwise_hamming_matches_a_plain_count():
    a, b = random_rolls(3, seed=1), random_rolls(4, seed=2)
    expected = np.array([[np.sum(x != y) for y in b] for x in a])
    np.testing.assert_array_equal(metrics.pairwise_hamming(a, b), expected)


def test_identical_samples_have_zero_diversity():
    samples = np.repeat(random_rolls(1), 5, axis=0)
    assert metrics.diversity(samples, random_rolls(5)) == 0.0


def test_a_set_is_exactly_as_diverse_as_itself():
    rolls = random_rolls(6)
    assert metrics.diversity(rolls, rolls) == pytest.approx(1.0)


def test_copies_of_training_windows_are_near_copies_and_fresh_rolls_are_not():
    train = random_rolls(10, seed=3)
    copies = train[:4].copy()
    copies[0, KICK, 5] ^= True           # one cell off is still a copy
    assert metrics.near_copy_share(copies, train) == 1.0
    assert metrics.near_copy_share(random_rolls(4, seed=4), train) == 0.0


def test_verbatim_bars_finds_bars_taken_from_training_and_ignores_empty_bars():
    train = kick_on_every(4)
    sample = empty()
    sample[0, KICK, 0:32:4] = True       # bar 0 copied from training
    sample[0, SNARE, 32:64:4] = True     # bar 1 new; bars 2..7 empty, not counted
    assert metrics.verbatim_bars(sample, train) == pytest.approx(0.5)


def test_frechet_distance_is_zero_for_the_same_set_and_grows_with_a_shift():
    features = metrics.features(random_rolls(40, seed=5))
    assert metrics.frechet_distance(features, features) == pytest.approx(0.0, abs=1e-6)
    denser = metrics.features(random_rolls(40, density=0.2, seed=6))
    assert metrics.frechet_distance(features, denser) > 0.01


def test_nearest_neighbour_accuracy_is_perfect_for_different_sets_and_chance_for_equal_ones():
    sparse = metrics.features(random_rolls(30, density=0.02, seed=7))
    dense = metrics.features(random_rolls(30, density=0.3, seed=8))
    assert metrics.nearest_neighbour_accuracy(sparse, dense) == 1.0
    same = metrics.features(random_rolls(60, seed=9))
    assert metrics.nearest_neighbour_accuracy(same[:30], same[30:]) < 0.75


def test_style_error_is_zero_for_identical_rows():
    rolls = random_rolls(8)
    row = metrics.evaluate_set(rolls, rolls, metrics.Reference(rolls))
    assert metrics.style_error(row, row) == 0.0
    assert row["near-copies"] == 1.0


def test_nearest_neighbour_accuracy_ignores_neighbours_from_the_same_song():
    # each set has a song near each of two places; a song's windows are a tight cluster, so
    # with its own song allowed every window finds its own set, and without it the nearest
    # window is the other set's song at the same place
    rng = np.random.default_rng(10)
    centres = rng.normal(size=(2, 5)) * 10
    a = np.concatenate([centre + 0.01 * rng.normal(size=(10, 5)) for centre in centres])
    b = np.concatenate([centre + 0.5 + 0.01 * rng.normal(size=(10, 5)) for centre in centres])
    songs_a = np.repeat(["a1", "a2"], 10)
    songs_b = np.repeat(["b1", "b2"], 10)
    assert metrics.nearest_neighbour_accuracy(a, b) == 1.0
    assert metrics.nearest_neighbour_accuracy(a, b, songs_a, songs_b) == 0.0
