"""Velocities: relative to each song's usual level for the network, the drummer's levels out."""
import numpy as np
import pytest

from drumroll.dynamics import (QUANTILES, from_unit, ratio_levels, row_quantiles, to_unit,
                               velocity_levels)


def test_levels_are_the_velocities_a_song_really_uses_and_the_usual_one_its_most_common():
    velocities = np.array([0, 0] + [76] * 30 + [89] * 200 + [102] * 20 + [110])   # 110: < 1%
    levels, usual = velocity_levels(velocities)
    assert (levels, usual) == ([76, 89, 102], 89)


def test_a_song_without_hits_has_no_levels():
    assert velocity_levels(np.zeros(10, dtype=np.uint8)) == ([], 0)


def test_songs_at_different_base_levels_look_the_same_to_the_network():
    quiet_song = np.array([[[76, 0, 89]]], dtype=np.uint8)     # usual 76, one accent
    loud_song = np.array([[[89, 0, 104]]], dtype=np.uint8)     # usual 89, one accent
    a, b = to_unit(quiet_song, [76]), to_unit(loud_song, [89])
    assert a[0, 0, 0] == b[0, 0, 0] == 0.0 and a[0, 0, 1] == b[0, 0, 1] == 0.0
    assert a[0, 0, 2] == pytest.approx(b[0, 0, 2], abs=0.01) and a[0, 0, 2] > 0


def test_network_values_are_clipped_to_the_unit_range():
    assert to_unit(np.array([[[127, 5]]]), [40]).tolist() == [[[1.0, -1.0]]]


def test_ratio_levels_pool_the_ratios_the_hits_use_and_how_often():
    velocities = np.array([[[76] * 50 + [89] * 10], [[89] * 50 + [102] * 10]], dtype=np.uint8)
    levels, shares = ratio_levels(velocities, [76, 89])
    assert levels == [1.0, 1.15, 1.17]
    assert sum(shares) == pytest.approx(1.0, abs=1e-3)   # shares are rounded to 4 digits
    assert shares[0] == round(100 / 120, 4)


def test_row_quantiles_are_each_rows_ratios_to_its_songs_usual_level_at_every_percent():
    velocities = np.zeros((2, 3, 8), dtype=np.uint8)
    velocities[0, 0, :4] = [40, 50, 60, 70]          # song usual 50: kick 0.8 to 1.4
    velocities[1, 0, :4] = [80, 100, 120, 140]       # song usual 100: the same kick, louder
    velocities[0, 2, :2] = [25, 100]                 # snare ghost and backbeat
    quantiles = row_quantiles(velocities, [50, 100], rows=[0, 1, 2])
    assert len(quantiles[0]) == QUANTILES and quantiles[1] is None
    assert quantiles[0][0] == 0.8 and quantiles[0][-1] == 1.4 and quantiles[0][50] == 1.1
    assert quantiles[2][0] == 0.5 and quantiles[2][-1] == 2.0


def test_the_loudest_hits_take_the_top_level_as_often_as_the_drummer_plays_it():
    unit = np.array([0.01, 0.02, -0.03, 0.20, 0.0, 0.05, -0.2, 0.0, 0.03, 0.04])
    hits = np.ones(10, dtype=bool)
    out = from_unit(unit, hits, 89, [0.85, 1.0, 1.15], [0.1, 0.8, 0.1])
    assert out.tolist() == [89, 89, 89, 102, 89, 89, 76, 89, 89, 89]


def test_on_a_row_with_his_quantiles_the_hits_take_his_ratios_in_the_networks_order():
    unit = np.zeros((1, 2, 4))
    unit[0, 0] = [0.3, -0.9, 0.1, 0.9]
    his_kick = list(np.linspace(0.5, 1.5, QUANTILES))
    out = from_unit(unit, np.ones((1, 2, 4), dtype=bool), 80, None, None,
                    quantiles=[his_kick, None])
    assert out[0, 0].tolist() == [90, 50, 70, 110]       # 1/8, 3/8, 5/8, 7/8 of the way up his


def test_a_row_without_quantiles_plays_the_networks_values_around_the_usual_level():
    unit = np.full((1, 2, 2), 0.2)
    out = from_unit(unit, np.ones((1, 2, 2), dtype=bool), 80, None, None, spread=0.5,
                    quantiles=[[1.0] * QUANTILES, None])
    assert out[0, 1].tolist() == [88, 88] and out[0, 0].tolist() == [80, 80]


def test_with_quantiles_how_wide_the_networks_values_spread_does_not_matter():
    unit = np.random.default_rng(0).uniform(-1, 1, (3, 1, 16))
    hits = unit > -0.5
    his = [list(np.sort(np.random.default_rng(1).uniform(0.3, 1.6, QUANTILES)))]
    wide = from_unit(unit, hits, 70, None, None, quantiles=his)
    narrow = from_unit(unit / 10, hits, 70, None, None, quantiles=his)
    assert np.array_equal(wide, narrow) and np.all((wide > 0) == hits)


def test_velocities_are_given_only_where_there_are_hits():
    unit = np.array([0.5, 0.5, -0.5])
    out = from_unit(unit, np.array([True, False, True]), 89, [0.85, 1.15], [0.5, 0.5])
    assert out.tolist() == [102, 0, 76]


def test_output_velocities_stay_in_midi_range():
    out = from_unit(np.ones(3), np.ones(3, dtype=bool), 120, [1.0, 1.5], [0.0, 1.0])
    assert out.tolist() == [127, 127, 127]
