"""interpolate.py (make interpolate): the path from groove A to groove B, one window per step,
written as one track and a file per step; ends are drum files or seed:N."""
import html
import shlex

import mido
import numpy as np
import pytest

import interpolate as script
from drumroll.format import WINDOW_STEPS
from drumroll.interpolate import (End, decode_path, file_end, groove_bars, path_measures,
                                  plan_path, sample_context, seed_end, slerp)
from drumroll.midi_in import read_drum_roll
from drumroll.midi_out import text_of
from drumroll.models import load_gan
from drumroll.phrases import jaccard
from drumroll.training import latest_checkpoint, train
from tests.midifiles import drum_track, meta_track, midi_file, signature
from tests.scripts import run_script

TPB = 480


@pytest.fixture(scope="module")
def song_run(tmp_path_factory, tiny_song_run):
    return tiny_song_run(tmp_path_factory.mktemp("interpolate"))


@pytest.fixture(scope="module")
def gan(song_run):
    return load_gan(latest_checkpoint(song_run))


def groove(path, bars=8, every=2, meters=None, channel=9):
    """A groove: kick on the beats, hi-hat (42) every `every` 8ths, snare on 2 and 4."""
    hits = [(tick, 36, 100) for tick in range(0, bars * 4 * TPB, TPB)]
    hits += [(tick, 42, 90) for tick in range(0, bars * 4 * TPB, every * TPB // 2)]
    hits += [(tick, 38, 110) for tick in range(TPB, bars * 4 * TPB, 2 * TPB)]
    tracks = ([meta_track(*meters)] if meters else []) + [drum_track(hits, channel=channel)]
    midi_file(*tracks).save(path)
    return path


def interpolate(capsys, *argv):
    return run_script(script.main, capsys, *argv)


def hits_of(path):
    """(25, steps) bool hits of a written MIDI file."""
    return read_drum_roll(path).hits


def file_ends(gan, tmp_path, steps=3):
    """Two Ends fitted to two grooves (a short search)."""
    statistics = sample_context(gan, 0)[1]
    rng = np.random.default_rng(0)
    ends = []
    for name, every in (("a.mid", 1), ("b.mid", 4)):
        bars, used = groove_bars(read_drum_roll(groove(tmp_path / name, every=every)), name)
        ends.append(file_end(gan, name, bars, used, statistics, rng, steps=steps))
    return ends


def test_the_path_has_steps_windows_and_its_ends_are_the_fitted_ends(gan, tmp_path):
    a, b = file_ends(gan, tmp_path)
    path = plan_path(gan, a, b, 5)
    hits, velocities, offsets = decode_path(gan, path)
    assert hits.shape == velocities.shape == offsets.shape == (5, 25, WINDOW_STEPS)
    np.testing.assert_allclose(path.latents[0], a.latent, atol=1e-6)
    np.testing.assert_allclose(path.latents[-1], b.latent, atol=1e-6)
    target = a.bars.transpose(1, 0, 2).reshape(1, -1)
    assert jaccard(hits[0].reshape(1, -1), target)[0] == pytest.approx(a.alike)


def test_the_files_are_the_path_and_one_per_step(song_run, tmp_path, capsys):
    code, out, _ = interpolate(capsys, "seed:1", "seed:2", "--steps", 3, "--run", song_run,
                               "--out", tmp_path / "out", "--no-wav")
    assert code == 0 and "path of 3 steps" in out
    names = sorted(path.name for path in (tmp_path / "out").iterdir())
    assert names == sorted(["index.html"] + [f"{stem}.{kind}" for stem in
                                             ("path", "step-01", "step-02", "step-03")
                                             for kind in ("mid", "png", "svg")])
    steps = [hits_of(tmp_path / "out" / f"step-0{index}.mid") for index in (1, 2, 3)]
    whole = hits_of(tmp_path / "out" / "path.mid")
    assert np.array_equal(whole, np.concatenate(steps, axis=1))       # one after another


def test_neighbouring_steps_are_closer_than_the_ends_are_to_each_other(gan):
    a, b = seed_end(gan, "seed:3", 3), seed_end(gan, "seed:8", 8)
    hits, _, _ = decode_path(gan, plan_path(gan, a, b, 8))
    measures = path_measures(hits, a, b)
    assert measures["neighbours alike, lowest"] > measures["A alike B"]


def test_seed_ends_are_the_sampled_grooves_of_those_seeds(gan):
    a, b = seed_end(gan, "seed:3", 3), seed_end(gan, "seed:8", 8)
    hits, velocities, _ = decode_path(gan, plan_path(gan, a, b, 4))
    for step, seed in ((0, 3), (-1, 8)):
        rolls, loud, _ = gan.sample_with_feel(1, np.random.default_rng(seed))   # make generate
        assert np.array_equal(hits[step], rolls[0] < 0)
        assert np.array_equal(velocities[step], loud[0])


def test_a_groove_shorter_than_8_bars_is_played_round(tmp_path):
    bars, used = groove_bars(read_drum_roll(groove(tmp_path / "g.mid", bars=2)), "g.mid")
    assert used == 2 and bars.shape == (8, 25, 32)
    assert all(np.array_equal(bars[index], bars[index % 2]) for index in range(8))


def test_a_groove_is_the_first_8_bars_of_4_4_in_a_row(tmp_path):
    bar = 4 * TPB
    meters = [signature(0, 4, 4), signature(2 * bar, 3, 4), signature(2 * bar + 3 * TPB, 4, 4)]
    path = groove(tmp_path / "m.mid", bars=12, meters=meters)
    roll = read_drum_roll(path)
    bars, used = groove_bars(roll, "m.mid")
    start = roll.bars.start[3]                             # after 2 bars of 4/4 and one of 3/4
    assert used == 8 and np.array_equal(bars[0], roll.hits[:, start:start + 32])


def test_the_roles_move_from_As_to_Bs_with_the_latents(gan):
    a, b = seed_end(gan, "seed:1", 1), seed_end(gan, "seed:2", 2)
    path = plan_path(gan, a, b, 5)
    planes = path.latents[:, -24:].reshape(5, 3, 8)
    ends = [planes[0], planes[-1]]
    assert all(set(np.unique(end)) <= {0.0, 1.0} for end in ends)         # their own roles
    np.testing.assert_allclose(planes[2], (ends[0] + ends[1]) / 2)        # half way: half each


def test_slerp_keeps_the_length_of_ends_of_equal_length_where_a_straight_line_would_not():
    a, b = np.array([3.0, 0.0]), np.array([0.0, 3.0])
    assert np.linalg.norm(slerp(a, b, 0.5)) == pytest.approx(3.0)
    np.testing.assert_allclose(slerp(a, b, 0.0), a)
    np.testing.assert_allclose(slerp(a, b, 1.0), b)


def test_a_step_outside_the_drummers_windows_is_counted_out():
    window = np.zeros((25, WINDOW_STEPS), dtype=bool)
    window[0, ::4] = window[6, ::2] = True
    training = (np.repeat(window[None], 10, axis=0), np.array(["one"] * 5 + ["two"] * 5))
    end = End("seed:0", None, None, None, None, None)
    measures = path_measures(np.stack([window, window, np.zeros_like(window)]), end, end,
                             training)
    assert measures["steps within his windows' range"] == pytest.approx(2 / 3)
    assert measures["his own windows within it"] == 1.0
    assert measures["hits per bar, steps"] == (0.0, 24.0)
    assert measures["neighbours alike, lowest"] == 0.0


@pytest.mark.parametrize("problem, end, options, says", [
    ("one step", "seed:2", ["--steps", 1], "--steps 1: give 2 to 64 steps"),
    ("a thousand steps", "seed:2", ["--steps", 1000], "--steps 1000: give 2 to 64 steps"),
    ("a negative seed", "seed:-1", [], "seed:-1: N is a whole number, 0 or more"),
    ("not drum MIDI", "melody.mid", [], "melody.mid: no drum notes on MIDI channel 10"),
    ("not MIDI at all", "garbage.mid", [], "garbage.mid: not a MIDI file"),
    ("no 4/4 bar", "waltz.mid", [], "waltz.mid: no bar of 4/4"),
])
def test_a_bad_value_is_one_line_and_writes_nothing(song_run, tmp_path, capsys, problem, end,
                                                   options, says):
    groove(tmp_path / "melody.mid", channel=0)
    (tmp_path / "garbage.mid").write_bytes(b"not midi")
    groove(tmp_path / "waltz.mid", bars=4, meters=[signature(0, 3, 4)])
    end = tmp_path / end if end.endswith(".mid") else end
    code, _, err = interpolate(capsys, end, "seed:1", *options, "--run", song_run, "--out",
                               tmp_path / "out")
    assert code == 1 and says in err and err.count("\n") == 1, problem
    assert not (tmp_path / "out").exists()


def test_a_bars_model_cannot_interpolate(tmp_path, capsys, tiny_config, tiny_images, quiet):
    train(tiny_config(iterations=1), tiny_images(), tmp_path / "bars", log=quiet)
    capsys.readouterr()
    code, _, err = interpolate(capsys, "seed:1", "seed:2", "--run", tmp_path / "bars", "--out",
                               tmp_path / "out")
    assert code == 1 and "interpolate with a song model" in err and err.count("\n") == 1
    assert not (tmp_path / "out").exists()


def test_replace_deletes_the_earlier_path_and_steps(song_run, tmp_path, capsys):
    out = tmp_path / "out"
    interpolate(capsys, "seed:1", "seed:2", "--steps", 4, "--run", song_run, "--out", out,
                "--no-wav")
    code, _, err = interpolate(capsys, "seed:1", "seed:2", "--steps", 2, "--run", song_run,
                               "--out", out, "--no-wav")
    assert code == 1 and "not empty" in err
    code, _, _ = interpolate(capsys, "seed:1", "seed:2", "--steps", 2, "--run", song_run,
                             "--out", out, "--no-wav", "--replace")
    assert code == 0 and (out / "step-02.mid").exists() and not (out / "step-03.mid").exists()


def test_every_file_and_the_page_hold_the_command_that_makes_the_path_again(
        song_run, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    groove(tmp_path / "my groove.mid")
    interpolate(capsys, "my groove.mid", "seed:5", "--steps", 3, "--seed", 4, "--run", song_run,
                "--out", "first", "--no-wav")
    texts = {name: [text_of(message) for message in
                    mido.MidiFile(tmp_path / "first" / f"{name}.mid").tracks[0]
                    if message.type == "text"] for name in ("path", "step-01", "step-02", "step-03")}
    assert all(text.startswith(f"drumgan {name}: ") for name, [text] in texts.items())
    [command] = {text.split(": ", 1)[1] for [text] in texts.values()}
    assert "'my groove.mid' seed:5 --steps 3 --seed 4 --run" in command
    assert html.escape(command) in (tmp_path / "first" / "index.html").read_text()
    argv = command.split("interpolate.py ", 1)[1]
    interpolate(capsys, *shlex.split(argv), "--out", "again", "--no-wav")
    for name in ("path.mid", "step-02.mid"):
        assert (tmp_path / "again" / name).read_bytes() == (tmp_path / "first" / name).read_bytes()


def test_quantize_and_velocity_play_the_path_on_the_grid_at_one_velocity(
        song_run, tmp_path, capsys, monkeypatch):
    def early(gan, path):                          # every hit a quarter step early
        hits, velocities, offsets = decode_path(gan, path)
        return hits, velocities, np.where(hits, -64, 0).astype(np.int8)

    monkeypatch.setattr(script, "decode_path", early)
    for name, options in (("own", []), ("grid", ["--quantize", "--velocity", "100"])):
        interpolate(capsys, "seed:1", "seed:2", "--steps", 2, "--run", song_run, "--out",
                    tmp_path / name, "--no-wav", *options)
    own, grid = (read_drum_roll(tmp_path / name / "path.mid") for name in ("own", "grid"))
    np.testing.assert_array_equal(own.hits, grid.hits)
    assert (own.offsets[own.hits] < 0).mean() > 0.9 and not grid.offsets.any()
    assert set(np.unique(grid.velocities[grid.hits])) == {100}
    assert "--quantize --velocity 100" in text_of(next(
        message for message in mido.MidiFile(tmp_path / "grid" / "path.mid").tracks[0]
        if message.type == "text"))


def test_a_velocity_outside_1_to_127_is_refused_before_any_work(song_run, tmp_path, capsys):
    code, _, err = interpolate(capsys, "seed:1", "seed:2", "--velocity", 0, "--run", song_run,
                               "--out", tmp_path / "out")
    assert code == 2 and "--velocity: 0: a velocity is 1 to 127" in err
    assert not (tmp_path / "out").exists()
