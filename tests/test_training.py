"""The training loop and train_gan.py: outputs, determinism, resume, the NaN guard."""
import csv

import numpy as np
import pytest

import train_gan
from drumroll.dataset import dataset_from_rolls, save_dataset
from drumroll.midi_in import DrumRoll
from gan_numpy.dcgan import GAN, TrainConfig
from gan_numpy.training import TrainingDiverged, checkpoint_paths, train
from tests.test_dcgan import tiny_images


def config(**overrides):
    values = dict(batch=4, latent=6, bar_noise=3, width=4, iterations=4, seed=3,
                  sample_every=1, checkpoint_every=2)
    values.update(overrides)
    return TrainConfig(**values)


def quiet(*_):
    pass


def weights(gan):
    return {**gan.G.state_dict(), **{"D." + k: v for k, v in gan.D.state_dict().items()}}


def assert_same_weights(a, b):
    wa, wb = weights(a), weights(b)
    assert wa.keys() == wb.keys()
    for key in wa:
        np.testing.assert_array_equal(wa[key], wb[key], err_msg=key)


def test_a_run_writes_checkpoints_sample_grids_history_and_config(tmp_path):
    train(config(), tiny_images(), tmp_path, log=quiet)
    assert [p.name for p in checkpoint_paths(tmp_path)] == ["step_0000002.npz",
                                                            "step_0000004.npz"]
    assert sorted(p.name for p in (tmp_path / "samples").iterdir()) == [
        f"step_000000{i}.png" for i in range(1, 5)]
    with open(tmp_path / "history.csv") as handle:
        rows = list(csv.DictReader(handle))
    assert [int(row["iteration"]) for row in rows] == [1, 2, 3, 4]
    assert (tmp_path / "config.json").exists()


def test_the_same_seed_gives_identical_weights(tmp_path):
    a = train(config(), tiny_images(), tmp_path / "a", log=quiet)
    b = train(config(), tiny_images(), tmp_path / "b", log=quiet)
    assert_same_weights(a, b)


def test_another_seed_gives_other_weights(tmp_path):
    a = train(config(), tiny_images(), tmp_path / "a", log=quiet)
    b = train(config(seed=4), tiny_images(), tmp_path / "b", log=quiet)
    assert not np.array_equal(a.G.state_dict()["bar_codes.0.W"], b.G.state_dict()["bar_codes.0.W"])


def test_a_killed_and_resumed_run_ends_with_the_weights_of_a_straight_run(tmp_path):
    straight = train(config(iterations=6), tiny_images(), tmp_path / "straight", log=quiet)
    # killed after 3 iterations: the checkpoint at 2 survives, iteration 3 is lost
    train(config(iterations=6), tiny_images(), tmp_path / "resumed", log=quiet, stop_after=3)
    resumed = train(config(iterations=6), tiny_images(), tmp_path / "resumed", resume=True,
                    log=quiet)
    assert resumed.step == straight.step == 6
    assert_same_weights(straight, resumed)
    np.testing.assert_array_equal(resumed.opt_G.m["bar_codes.0.W"], straight.opt_G.m["bar_codes.0.W"])


def test_starting_over_a_finished_run_without_resume_is_refused(tmp_path):
    train(config(iterations=2), tiny_images(), tmp_path, log=quiet)
    with pytest.raises(Exception, match="--resume"):
        train(config(iterations=2), tiny_images(), tmp_path, log=quiet)


def test_a_nan_loss_stops_training_and_keeps_the_last_good_checkpoint(tmp_path, monkeypatch):
    real_step = GAN.train_step

    def step_that_diverges(self, data):
        stats = real_step(self, data)
        if self.step == 3:
            stats["d_loss"] = float("nan")
        return stats

    monkeypatch.setattr(GAN, "train_step", step_that_diverges)
    with pytest.raises(TrainingDiverged, match="iteration 3.*step_0000002.npz"):
        train(config(iterations=6), tiny_images(), tmp_path, log=quiet)
    assert [p.name for p in checkpoint_paths(tmp_path)] == ["step_0000002.npz"]


def write_tiny_dataset(path, songs=4):
    """Songs of 4 tiny_images played one after another, cut at a hop of 8 bars: 4 windows each."""
    velocities = np.where(tiny_images(4 * songs) == 0, 89, 0).astype(np.uint8)
    rolls = [(f"song{i}", DrumRoll(velocities=np.concatenate(list(velocities[4 * i:4 * i + 4]),
                                                              axis=1)))
             for i in range(songs)]
    save_dataset(path, dataset_from_rolls(rolls, hop=8))


def test_train_gan_script_holds_out_songs_and_trains(tmp_path, capsys):
    write_tiny_dataset(tmp_path / "data.npz")
    with pytest.raises(SystemExit) as exit_info:
        train_gan.run(train_gan.main, ["--data", str(tmp_path / "data.npz"), "--out",
                                       str(tmp_path / "run"), "--iterations", "2", "--batch", "4",
                                       "--latent", "6"])
    assert exit_info.value.code == 0
    loaded = GAN.load(checkpoint_paths(tmp_path / "run")[-1])
    assert loaded.step == 2
    assert len(loaded.config.holdout_songs) == 1
    assert "held out: " + loaded.config.holdout_songs[0] in capsys.readouterr().out


def test_train_gan_script_reports_a_missing_dataset_in_one_line(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        train_gan.run(train_gan.main, ["--data", str(tmp_path / "none.npz"),
                                       "--out", str(tmp_path / "run")])
    assert exit_info.value.code == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and "none.npz" in err and "\n" not in err


def test_resuming_on_other_training_data_is_refused(tmp_path):
    train(config(iterations=2), tiny_images(seed=0), tmp_path, log=quiet)
    with pytest.raises(Exception, match="another training data"):
        train(config(iterations=4), tiny_images(seed=1), tmp_path, resume=True, log=quiet)


def test_resuming_a_finished_run_changes_nothing(tmp_path):
    done = train(config(iterations=2), tiny_images(), tmp_path, log=quiet)
    again = train(config(iterations=2), tiny_images(), tmp_path, resume=True, log=quiet)
    assert again.step == 2
    assert_same_weights(done, again)
