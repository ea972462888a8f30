"""The training loop and train_gan.py: outputs, determinism, resume, the NaN guard."""
import csv
import json

import numpy as np
import pytest

import train_gan
from drumroll.models import load_gan
from drumroll.models.bars import BarGAN
from drumroll.training import TrainingDiverged, checkpoint_paths, choose_holdout, train


def weights(gan):
    return {**gan.G.state_dict(), **{"D." + k: v for k, v in gan.D.state_dict().items()}}


def assert_same_weights(a, b):
    wa, wb = weights(a), weights(b)
    assert wa.keys() == wb.keys()
    for key in wa:
        np.testing.assert_array_equal(wa[key], wb[key], err_msg=key)


def test_a_run_writes_checkpoints_sample_grids_history_and_config(tmp_path, tiny_configs,
                                                                  tiny_images, quiet):
    train(*tiny_configs(), tiny_images(), tmp_path, log=quiet)
    assert [p.name for p in checkpoint_paths(tmp_path)] == ["step_0000002.npz",
                                                            "step_0000004.npz"]
    assert sorted(p.name for p in (tmp_path / "samples").iterdir()) == [
        f"step_000000{i}.png" for i in range(1, 5)]
    with open(tmp_path / "history.csv") as handle:
        rows = list(csv.DictReader(handle))
    assert [int(row["iteration"]) for row in rows] == [1, 2, 3, 4]


def test_config_json_shows_the_resolved_configuration(tmp_path, tiny_configs, tiny_images,
                                                      quiet, rows):
    train(*tiny_configs(), tiny_images(), tmp_path, log=quiet)
    config = json.loads((tmp_path / "config.json").read_text())
    assert config["arch"] == "bars"
    assert config["model"]["rows"] == rows
    assert config["train"]["beta2"] == 0.9 and config["train"]["data_digest"]


def test_the_same_seed_gives_identical_weights(tmp_path, tiny_configs, tiny_images, quiet):
    a = train(*tiny_configs(), tiny_images(), tmp_path / "a", log=quiet)
    b = train(*tiny_configs(), tiny_images(), tmp_path / "b", log=quiet)
    assert_same_weights(a, b)


def test_another_seed_gives_other_weights(tmp_path, tiny_configs, tiny_images, quiet):
    a = train(*tiny_configs(), tiny_images(), tmp_path / "a", log=quiet)
    b = train(*tiny_configs(seed=4), tiny_images(), tmp_path / "b", log=quiet)
    assert not np.array_equal(a.G.state_dict()["bar_codes.0.W"], b.G.state_dict()["bar_codes.0.W"])


def test_a_killed_and_resumed_run_ends_with_the_weights_of_a_straight_run(
        tmp_path, tiny_configs, tiny_images, quiet):
    configs = tiny_configs(iterations=6)
    straight = train(*configs, tiny_images(), tmp_path / "straight", log=quiet)
    # killed after 3 iterations: the checkpoint at 2 survives, iteration 3 is lost
    train(*configs, tiny_images(), tmp_path / "resumed", log=quiet, stop_after=3)
    resumed = train(*configs, tiny_images(), tmp_path / "resumed", resume=True, log=quiet)
    assert resumed.step == straight.step == 6
    assert_same_weights(straight, resumed)
    np.testing.assert_array_equal(resumed.opt_G.m["bar_codes.0.W"],
                                  straight.opt_G.m["bar_codes.0.W"])


def test_starting_over_a_finished_run_without_resume_is_refused(tmp_path, tiny_configs,
                                                                tiny_images, quiet):
    train(*tiny_configs(iterations=2), tiny_images(), tmp_path, log=quiet)
    with pytest.raises(Exception, match="--resume"):
        train(*tiny_configs(iterations=2), tiny_images(), tmp_path, log=quiet)


def test_a_nan_loss_stops_training_and_keeps_the_last_good_checkpoint(
        tmp_path, monkeypatch, tiny_configs, tiny_images, quiet):
    real_update = BarGAN.update

    def update_that_diverges(self, data):
        stats = real_update(self, data)
        if self.step == 2:       # the third iteration
            stats["d_loss"] = float("nan")
        return stats

    monkeypatch.setattr(BarGAN, "update", update_that_diverges)
    with pytest.raises(TrainingDiverged, match="iteration 3.*step_0000002.npz"):
        train(*tiny_configs(iterations=6), tiny_images(), tmp_path, log=quiet)
    assert [p.name for p in checkpoint_paths(tmp_path)] == ["step_0000002.npz"]


def test_resuming_on_other_training_data_is_refused(tmp_path, tiny_configs, tiny_images, quiet):
    train(*tiny_configs(iterations=2), tiny_images(seed=0), tmp_path, log=quiet)
    with pytest.raises(Exception, match="another training data"):
        train(*tiny_configs(iterations=4), tiny_images(seed=1), tmp_path, resume=True, log=quiet)


def test_resuming_a_finished_run_changes_nothing(tmp_path, tiny_configs, tiny_images, quiet):
    done = train(*tiny_configs(iterations=2), tiny_images(), tmp_path, log=quiet)
    again = train(*tiny_configs(iterations=2), tiny_images(), tmp_path, resume=True, log=quiet)
    assert again.step == 2
    assert_same_weights(done, again)


def test_the_holdout_is_the_same_share_of_songs_for_every_run():
    songs = [f"song{i}" for i in range(8)] * 3
    first = choose_holdout(songs, 0.25)
    assert len(first) == 2 and set(first) <= set(songs)
    assert choose_holdout(list(reversed(songs)), 0.25) == first
    assert choose_holdout(songs, 0.0) == []


def test_the_holdout_always_leaves_a_song_to_train_on():
    assert choose_holdout(["a", "b"], 0.9) == ["a"] or choose_holdout(["a", "b"], 0.9) == ["b"]


def run_script(*args):
    with pytest.raises(SystemExit) as exit_info:
        train_gan.run(train_gan.main, list(args))
    return exit_info.value.code


def test_train_gan_script_holds_out_songs_and_trains(tmp_path, capsys, write_tiny_dataset):
    write_tiny_dataset(tmp_path / "data.npz")
    code = run_script("--data", str(tmp_path / "data.npz"), "--out", str(tmp_path / "run"),
                      "--iterations", "2", "--batch", "4", "--latent", "6")
    assert code == 0
    loaded = load_gan(checkpoint_paths(tmp_path / "run")[-1])
    assert loaded.step == 2 and loaded.model.latent == 6
    assert len(loaded.train_config.holdout_songs) == 1
    assert "held out: " + loaded.train_config.holdout_songs[0] in capsys.readouterr().out


def test_train_gan_script_refuses_an_option_the_network_does_not_have(tmp_path, capsys,
                                                                      write_tiny_dataset):
    write_tiny_dataset(tmp_path / "data.npz")
    code = run_script("--data", str(tmp_path / "data.npz"), "--arch", "original",
                      "--width", "8", "--out", str(tmp_path / "run"))
    assert code == 1
    assert capsys.readouterr().err.strip() == \
        "error: --width: the original network has no such option"


def test_train_gan_script_reports_a_missing_dataset_in_one_line(tmp_path, capsys):
    code = run_script("--data", str(tmp_path / "none.npz"), "--out", str(tmp_path / "run"))
    assert code == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and "none.npz" in err and "\n" not in err
