"""The training loop and train_gan.py: outputs, determinism, resume, the NaN guard."""
import csv
import errno
import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET

import numpy as np
import pytest

import train_gan
from drumroll.dataset import dataset_from_rolls, save_dataset
from drumroll.midi_in import DrumRoll
from drumroll.cli import UserError
from drumroll.format import LOWEST_NOTE, NOTE_NAMES
from drumroll.models import ARCHITECTURES, load_gan
from drumroll.models.bars import BarGAN
from drumroll.training import (TrainingDiverged, checkpoint_paths, choose_holdout,
                               latest_checkpoint, load_run, train)


def weights(gan):
    return {**gan.G.state_dict(), **{"D." + k: v for k, v in gan.D.state_dict().items()}}


def assert_same_weights(a, b):
    wa, wb = weights(a), weights(b)
    assert wa.keys() == wb.keys()
    for key in wa:
        np.testing.assert_array_equal(wa[key], wb[key], err_msg=key)


def test_a_run_writes_checkpoints_sample_grids_history_and_config(tmp_path, tiny_config,
                                                                  tiny_images, quiet):
    train(tiny_config(), tiny_images(), tmp_path, log=quiet)
    assert [p.name for p in checkpoint_paths(tmp_path)] == ["step_0000002.npz",
                                                            "step_0000004.npz"]
    assert sorted(p.name for p in (tmp_path / "samples").iterdir()) == [
        f"step_000000{i}.{kind}" for i in range(1, 5) for kind in ("png", "svg")]
    with open(tmp_path / "history.csv") as handle:
        rows = list(csv.DictReader(handle))
    assert [int(row["iteration"]) for row in rows] == [1, 2, 3, 4]


def test_each_sample_grid_has_a_labelled_picture_of_its_samples(tmp_path, tiny_config,
                                                               tiny_images, quiet, rows):
    train(tiny_config(iterations=2), tiny_images(), tmp_path, log=quiet)
    root = ET.fromstring((tmp_path / "samples" / "step_0000002.svg").read_bytes())
    texts = {e.get("class"): [] for e in root.iter()}
    for element in root.iter():
        texts[element.get("class")].append(element.text)
    assert texts["title"] == [f"sample {i}" for i in range(1, 9)]
    assert texts["drum"] == [NOTE_NAMES[LOWEST_NOTE + row] for row in rows] * 8
    assert texts["heading"] == [f"{tmp_path}: 8 samples at iteration 2"]


def test_config_json_shows_the_resolved_configuration(tmp_path, tiny_config, tiny_images,
                                                      quiet, rows):
    train(tiny_config(), tiny_images(), tmp_path, log=quiet)
    config = json.loads((tmp_path / "config.json").read_text())
    assert config["arch"] == "bars"
    assert config["config"]["rows"] == rows
    assert config["config"]["beta2"] == 0.9 and config["config"]["data_digest"]


def test_the_same_seed_gives_identical_weights(tmp_path, tiny_config, tiny_images, quiet):
    a = train(tiny_config(), tiny_images(), tmp_path / "a", log=quiet)
    b = train(tiny_config(), tiny_images(), tmp_path / "b", log=quiet)
    assert_same_weights(a, b)


def test_another_seed_gives_other_weights(tmp_path, tiny_config, tiny_images, quiet):
    a = train(tiny_config(), tiny_images(), tmp_path / "a", log=quiet)
    b = train(tiny_config(seed=4), tiny_images(), tmp_path / "b", log=quiet)
    assert not np.array_equal(a.G.state_dict()["bar_codes.0.W"], b.G.state_dict()["bar_codes.0.W"])


def test_a_killed_and_resumed_run_ends_with_the_weights_of_a_straight_run(
        tmp_path, tiny_config, tiny_images, quiet):
    config = tiny_config(iterations=6)
    straight = train(config, tiny_images(), tmp_path / "straight", log=quiet)
    # killed after 3 iterations: the checkpoint at 2 survives, iteration 3 is lost
    train(config, tiny_images(), tmp_path / "resumed", log=quiet, stop_after=3)
    resumed = train(config, tiny_images(), tmp_path / "resumed", resume=True, log=quiet)
    assert resumed.step == straight.step == 6
    assert_same_weights(straight, resumed)
    np.testing.assert_array_equal(resumed.opt_G.m["bar_codes.0.W"],
                                  straight.opt_G.m["bar_codes.0.W"])


def test_starting_over_a_finished_run_without_resume_is_refused(tmp_path, tiny_config,
                                                                tiny_images, quiet):
    train(tiny_config(iterations=2), tiny_images(), tmp_path, log=quiet)
    with pytest.raises(Exception, match="--resume"):
        train(tiny_config(iterations=2), tiny_images(), tmp_path, log=quiet)


def damage_the_third_iteration(monkeypatch, damage):
    """Let damage(gan, stats) break what the third training iteration leaves behind."""
    real_step = BarGAN.train_step

    def step_then_damage(self, data):
        stats = real_step(self, data)
        if self.step == 3:       # the third iteration
            damage(self, stats)
        return stats

    monkeypatch.setattr(BarGAN, "train_step", step_then_damage)


def test_a_nan_loss_stops_training_and_keeps_the_last_good_checkpoint(
        tmp_path, monkeypatch, tiny_config, tiny_images, quiet):
    damage_the_third_iteration(monkeypatch, lambda gan, stats: stats.update(d_loss=np.nan))
    with pytest.raises(TrainingDiverged, match="iteration 3.*step_0000002.npz"):
        train(tiny_config(iterations=6), tiny_images(), tmp_path, log=quiet)
    assert [p.name for p in checkpoint_paths(tmp_path)] == ["step_0000002.npz"]


def test_a_batch_norm_statistic_gone_infinite_stops_training_though_the_loss_is_finite(
        tmp_path, monkeypatch, tiny_config, tiny_images, quiet):
    def infinite_variance(gan, stats):
        dict(gan.G.named_state())["bar_codes.2.running_var"][...] = np.inf

    damage_the_third_iteration(monkeypatch, infinite_variance)
    with pytest.raises(TrainingDiverged, match=r"G/bar_codes\.2\.running_var became NaN or "
                                               r"infinite at iteration 3: the run blew up; "
                                               r"stopped \(last good checkpoint: .*"
                                               r"step_0000002\.npz\); try a lower --lr"):
        train(tiny_config(iterations=6), tiny_images(), tmp_path, log=quiet)
    assert [p.name for p in checkpoint_paths(tmp_path)] == ["step_0000002.npz"]
    load_gan(checkpoint_paths(tmp_path)[-1])          # the kept one loads: no NaN, no inf


def test_an_optimizer_moment_gone_infinite_is_never_written_into_a_checkpoint(
        tmp_path, monkeypatch, tiny_config, tiny_images, quiet):
    def infinite_moment(gan, stats):
        next(iter(gan.opt_G.v.values()))[...] = np.inf

    damage_the_third_iteration(monkeypatch, infinite_moment)
    with pytest.raises(TrainingDiverged, match=r"opt_G/v\..* became NaN or infinite at "
                                               r"iteration 4"):
        train(tiny_config(iterations=6), tiny_images(), tmp_path, log=quiet)
    assert [p.name for p in checkpoint_paths(tmp_path)] == ["step_0000002.npz"]


def test_a_run_that_blows_up_exits_1_with_one_line_and_no_raw_numpy_warnings(tmp_path, capfd,
                                                                           write_tiny_dataset):
    write_tiny_dataset(tmp_path / "data.npz")
    assert run_script("--data", str(tmp_path / "data.npz"), "--out", str(tmp_path / "run"),
                      "--iterations", "4", "--batch", "4", "--latent", "6", "--lr", "1e9",
                      "--checkpoint-every", "1") == 1
    err = capfd.readouterr().err
    assert "Warning" not in err and err.count("error: ") == 1
    assert "the run blew up" in err.splitlines()[-1]
    for path in checkpoint_paths(tmp_path / "run"):
        load_gan(path)


def test_resuming_on_other_training_data_is_refused(tmp_path, tiny_config, tiny_images, quiet):
    train(tiny_config(iterations=2), tiny_images(seed=0), tmp_path, log=quiet)
    with pytest.raises(UserError, match="this run was trained with other training windows "
                                        r"\(another dataset or --holdout\)"):
        train(tiny_config(iterations=4), tiny_images(seed=1), tmp_path, resume=True, log=quiet)


def test_resuming_with_another_seed_names_both_seeds_in_english(tmp_path, tiny_config,
                                                                tiny_images, quiet):
    train(tiny_config(iterations=2), tiny_images(), tmp_path, log=quiet)
    with pytest.raises(UserError, match="this run was trained with seed 3, not 4; train into "
                                        "another folder"):
        train(tiny_config(iterations=4, seed=4), tiny_images(), tmp_path, resume=True,
              log=quiet)


def test_resuming_a_finished_run_changes_nothing(tmp_path, tiny_config, tiny_images, quiet):
    done = train(tiny_config(iterations=2), tiny_images(), tmp_path, log=quiet)
    again = train(tiny_config(iterations=2), tiny_images(), tmp_path, resume=True, log=quiet)
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
    assert loaded.step == 2 and loaded.config.latent == 6
    assert len(loaded.config.holdout_songs) == 1
    assert "held out: " + loaded.config.holdout_songs[0] in capsys.readouterr().out


def test_train_gan_script_refuses_an_option_the_network_does_not_have(tmp_path, capsys,
                                                                      write_tiny_dataset):
    write_tiny_dataset(tmp_path / "data.npz")
    code = run_script("--data", str(tmp_path / "data.npz"), "--arch", "original",
                      "--width", "8", "--out", str(tmp_path / "run"))
    assert code == 2                                  # a usage error, as argparse's own
    assert capsys.readouterr().err.strip().endswith(
        "error: --width: the original network has no such option")
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("option,value,problem", [
    ("--batch", "0", "--batch 0: must be at least 1"),
    ("--lr", "0", "--lr 0.0: must be more than 0"),
    ("--instance-noise", "nan", "--instance-noise nan: must be a finite number"),
    ("--holdout", "1", "--holdout 1.0: must be at most 0.99")])
def test_train_gan_script_refuses_a_setting_outside_its_limits(tmp_path, capsys, option, value,
                                                               problem):
    code = run_script(option, value, "--out", str(tmp_path / "run"))
    assert code == 2 and capsys.readouterr().err.strip().endswith(f"error: {problem}")


@pytest.mark.parametrize("option, message", [
    (["--batch", "100000"], "--batch 100000: must be at most 1,024"),
    (["--iterations", "10000000"], "--iterations 10000000: must be at most 9,999,999"),
    (["--checkpoint-every", "10000000"], "--checkpoint-every 10000000: must be at most 9,999,999"),
    (["--lr", "inf"], "--lr inf: must be a finite number"),
    (["--instance-noise", "2"], "--instance-noise 2.0: must be at most 1"),
    (["--instance-noise", "-1"], "--instance-noise -1.0: must be at least 0")])
def test_train_gan_refuses_counts_and_sizes_past_their_limits_before_any_work(
        tmp_path, capsys, option, message):
    assert run_script("--data", str(tmp_path / "none.npz"), "--out", str(tmp_path / "run"),
                      *option) == 2                           # before the dataset is even read
    assert message in capsys.readouterr().err and not (tmp_path / "run").exists()


def test_train_gan_refuses_a_batch_larger_than_its_training_windows(tmp_path, capsys,
                                                                    write_tiny_dataset):
    write_tiny_dataset(tmp_path / "data.npz")          # 16 windows, 12 kept for training
    assert run_script("--data", str(tmp_path / "data.npz"), "--out", str(tmp_path / "run"),
                      "--batch", "13") == 1
    assert capsys.readouterr().err == ("error: --batch 13: at most the 12 training windows (a "
                                       "larger batch only repeats windows)\n")
    assert not (tmp_path / "run").exists()


def test_train_gan_script_reports_a_missing_dataset_in_one_line(tmp_path, capsys):
    code = run_script("--data", str(tmp_path / "none.npz"), "--out", str(tmp_path / "run"))
    assert code == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and "none.npz" in err and "\n" not in err


# ---------------------------------------------------------------- finding a run's checkpoint

def test_the_newest_checkpoint_is_found_from_the_run_its_checkpoints_folder_or_the_file(
        tmp_path, tiny_config, tiny_images, quiet):
    train(tiny_config(), tiny_images(), tmp_path, log=quiet)
    newest = tmp_path / "checkpoints" / "step_0000004.npz"
    assert latest_checkpoint(tmp_path) == newest
    assert latest_checkpoint(tmp_path / "checkpoints") == newest
    assert latest_checkpoint(newest) == newest


def test_a_run_folder_whose_training_has_written_no_checkpoint_yet_says_so(tmp_path,
                                                                          other_process):
    (tmp_path / "lock").write_text(f"{other_process}\n")
    with pytest.raises(UserError, match=rf"a training \(pid {other_process}\) is running in this "
                                        "run folder and has written no checkpoint yet"):
        latest_checkpoint(tmp_path)


def test_a_folder_without_checkpoints_says_what_to_give(tmp_path):
    with pytest.raises(UserError, match=r"no checkpoint found: give a run folder \(with "
                                        r"checkpoints/step_\*\.npz inside\) or a checkpoint file"):
        latest_checkpoint(tmp_path)


def test_loading_a_run_that_has_not_finished_warns_with_its_step(tmp_path, tiny_config,
                                                                 tiny_images, quiet):
    train(tiny_config(iterations=6), tiny_images(), tmp_path, log=quiet, stop_after=3)
    warnings = []
    gan, path = load_run(tmp_path, warn=warnings.append)
    assert gan.step == 2
    assert warnings == [f"{path}: iteration 2 of the run's 6: training has not finished, the "
                        "model may not have learned much yet"]


def test_loading_a_finished_run_warns_of_nothing(tmp_path, tiny_config, tiny_images, quiet):
    train(tiny_config(iterations=2), tiny_images(), tmp_path, log=quiet)
    warnings = []
    load_run(tmp_path, warn=warnings.append)
    assert warnings == []


# ---------------------------------------------------------------- one training per run folder

@pytest.fixture
def other_process():
    """A process that is running (a sleeping Python), killed after the test."""
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    yield process.pid
    process.kill()
    process.wait()


def test_a_running_trainings_lock_refuses_a_second_training_naming_its_pid(
        tmp_path, other_process, tiny_config, tiny_images, quiet):
    (tmp_path / "lock").write_text(f"{other_process}\n")
    with pytest.raises(UserError, match=f"another training \\(pid {other_process}\\) is using "
                                        "this folder"):
        train(tiny_config(iterations=2), tiny_images(), tmp_path, log=quiet)
    assert checkpoint_paths(tmp_path) == []
    assert (tmp_path / "lock").read_text() == f"{other_process}\n"      # not taken over


def test_a_lock_left_by_a_dead_process_is_taken_over_with_a_note(tmp_path, tiny_config,
                                                                 tiny_images):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    (tmp_path / "lock").write_text(f"{dead.pid}\n")
    notes = []
    train(tiny_config(iterations=2), tiny_images(), tmp_path, log=notes.append)
    assert f"{tmp_path}: taking over the lock of pid {dead.pid}, which is no longer running" \
        in notes
    assert len(checkpoint_paths(tmp_path)) == 1


def test_the_lock_holds_the_training_process_id_and_is_gone_when_it_ends(
        tmp_path, monkeypatch, tiny_config, tiny_images, quiet):
    seen = []
    real_step = BarGAN.train_step

    def step_looking_at_the_lock(self, data):
        seen.append((tmp_path / "lock").read_text())
        return real_step(self, data)

    monkeypatch.setattr(BarGAN, "train_step", step_looking_at_the_lock)
    train(tiny_config(iterations=2), tiny_images(), tmp_path, log=quiet)
    assert seen == [f"{os.getpid()}\n"] * 2
    assert not (tmp_path / "lock").exists()


def test_a_failed_training_releases_the_lock(tmp_path, tiny_config, tiny_images, quiet):
    train(tiny_config(iterations=2), tiny_images(), tmp_path, log=quiet)
    with pytest.raises(UserError, match="already holds a run"):
        train(tiny_config(iterations=2), tiny_images(), tmp_path, log=quiet)
    assert not (tmp_path / "lock").exists()


# ------------------------------------------------------------------ stopping on the way

def test_a_full_disk_at_a_checkpoint_is_one_line_and_keeps_the_last_good_one(
        tmp_path, monkeypatch, tiny_config, tiny_images, quiet):
    real_savez = np.savez

    def savez_on_a_disk_that_fills_up(handle, **arrays):
        if checkpoint_paths(tmp_path):                  # the first checkpoint still fits
            raise OSError(errno.ENOSPC, "No space left on device")
        real_savez(handle, **arrays)

    monkeypatch.setattr(np, "savez", savez_on_a_disk_that_fills_up)
    with pytest.raises(UserError, match=r"step_0000004\.npz: cannot save the checkpoint \(No space "
                                        r"left on device\); last good checkpoint: .*step_0000002"):
        train(tiny_config(iterations=6), tiny_images(), tmp_path, log=quiet)
    assert sorted(os.listdir(tmp_path / "checkpoints")) == ["step_0000002.npz"]  # no temp file
    assert load_gan(tmp_path / "checkpoints" / "step_0000002.npz").step == 2


def interrupt_at_iteration_3(monkeypatch):
    """Every network's training step raises KeyboardInterrupt at its third iteration."""
    def until_ctrl_c(real_step):
        def step(self, data):
            if self.step == 2:
                raise KeyboardInterrupt
            return real_step(self, data)
        return step

    for gan_class in ARCHITECTURES.values():
        monkeypatch.setattr(gan_class, "train_step", until_ctrl_c(gan_class.train_step))


def test_ctrl_c_says_where_training_stopped_and_which_checkpoint_it_resumes_from(
        tmp_path, monkeypatch, tiny_config, tiny_images):
    interrupt_at_iteration_3(monkeypatch)
    notes = []
    with pytest.raises(KeyboardInterrupt):
        train(tiny_config(iterations=6), tiny_images(), tmp_path, log=notes.append)
    assert notes[-1] == (f"{tmp_path}: stopped at iteration 2 of 6; last good checkpoint: "
                         f"{tmp_path / 'checkpoints' / 'step_0000002.npz'} "
                         "(resuming continues from there)")
    assert not (tmp_path / "lock").exists()


def test_ctrl_c_in_train_gan_prints_the_command_that_continues(tmp_path, monkeypatch, capsys,
                                                               write_tiny_dataset):
    write_tiny_dataset(tmp_path / "data.npz")
    interrupt_at_iteration_3(monkeypatch)
    args = ["--data", str(tmp_path / "data.npz"), "--out", str(tmp_path / "my run"),
            "--iterations", "6", "--batch", "4", "--latent", "6", "--checkpoint-every", "2"]
    assert run_script(*args) == 130
    err = capsys.readouterr().err
    assert (f"continue with: python train_gan.py --data {tmp_path / 'data.npz'} --out "
            f"'{tmp_path / 'my run'}' --iterations 6 --batch 4 --latent 6 --checkpoint-every 2 "
            "--resume\ninterrupted\n") in err


def test_resume_without_settings_continues_with_the_runs_own(tmp_path, capsys,
                                                            write_tiny_dataset):
    write_tiny_dataset(tmp_path / "data.npz")
    data, out = ["--data", str(tmp_path / "data.npz")], ["--out", str(tmp_path / "run")]
    assert run_script(*data, *out, "--arch", "bars", "--seed", "5", "--iterations", "2",
                      "--batch", "4", "--latent", "6") == 0
    assert run_script(*data, *out, "--resume", "--iterations", "4") == 0
    resumed = load_gan(checkpoint_paths(tmp_path / "run")[-1])
    assert (resumed.arch, resumed.step, resumed.config.seed) == ("bars", 4, 5)
    assert (resumed.config.batch, resumed.config.latent) == (4, 6)


def test_resume_without_out_continues_the_default_folder_whatever_its_network(
        tmp_path, monkeypatch, capsys, write_tiny_dataset):
    monkeypatch.chdir(tmp_path)
    write_tiny_dataset(tmp_path / "data.npz")
    data = ["--data", str(tmp_path / "data.npz")]
    assert run_script(*data, "--arch", "bars", "--out", "runs/song", "--iterations", "2",
                      "--batch", "4", "--latent", "6") == 0
    assert run_script(*data, "--resume", "--iterations", "4") == 0
    assert load_gan(checkpoint_paths(tmp_path / "runs" / "song")[-1]).step == 4
    assert not (tmp_path / "runs" / "bars").exists()


def test_resume_over_a_damaged_run_configuration_says_which_file_in_one_line(tmp_path, capsys):
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "config.json").write_text("{not json")
    assert run_script("--out", str(tmp_path / "run"), "--resume") == 1
    err = capsys.readouterr().err
    assert err.startswith(f"error: {tmp_path / 'run' / 'config.json'}: not a run's configuration")
    assert err.count("\n") == 1


def test_train_gan_refuses_a_network_too_large_to_build_in_one_line(tmp_path, capsys,
                                                                    write_tiny_dataset):
    write_tiny_dataset(tmp_path / "data.npz")
    code = run_script("--data", str(tmp_path / "data.npz"), "--out", str(tmp_path / "run"),
                      "--width", str(10 ** 6))
    assert code == 1
    assert capsys.readouterr().err == ("error: the networks would have more than 50,000,000 "
                                       "parameters; choose smaller sizes (--width, --latent)\n")


def test_train_gan_counts_in_english(tmp_path, capsys, write_tiny_dataset):
    write_tiny_dataset(tmp_path / "data.npz", songs=2)
    run_script("--data", str(tmp_path / "data.npz"), "--out", str(tmp_path / "run"),
               "--iterations", "1", "--batch", "4", "--latent", "6", "--holdout", "0.5")
    out = capsys.readouterr().out
    assert "4 training windows from 1 song;" in out
    assert "trained 1 iteration;" in out


def write_dataset(path, window=256, lowest_note=36, bpms=(120, 150, 180, 90)):
    """Four songs of 32 kicked bars at the given tempos, cut as midi2img would."""
    songs = []
    for index, bpm in enumerate(bpms):
        velocities = np.zeros((25, 32 * 32), dtype=np.uint8)
        velocities[0, index::8] = 89
        songs.append((f"song{index}", DrumRoll(velocities=velocities, bpm=bpm)))
    save_dataset(path, dataset_from_rolls(songs, window=window, hop=8, lowest_note=lowest_note))


def test_train_gan_records_the_median_tempo_and_lowest_note_of_its_data(tmp_path):
    write_dataset(tmp_path / "data.npz", lowest_note=35)
    assert run_script("--data", str(tmp_path / "data.npz"), "--out", str(tmp_path / "run"),
                      "--iterations", "1", "--batch", "4", "--latent", "6", "--holdout", "0") == 0
    gan = load_gan(checkpoint_paths(tmp_path / "run")[-1])
    assert gan.config.tempo == 135.0 and gan.config.lowest_note == 35


def test_train_gan_refuses_windows_the_networks_cannot_take_naming_the_option(tmp_path, capsys):
    write_dataset(tmp_path / "data.npz", window=128)
    assert run_script("--data", str(tmp_path / "data.npz"), "--out", str(tmp_path / "run")) == 1
    err = capsys.readouterr().err
    assert "windows of 4 bars (midi2img --window 128)" in err and err.count("\n") == 1
    assert not (tmp_path / "run").exists()


def test_train_gan_refuses_a_dataset_of_other_note_rows_naming_the_option(tmp_path, capsys):
    songs = [(f"song{i}", DrumRoll(velocities=np.full((5, 32 * 32), 89, dtype=np.uint8)))
             for i in range(2)]
    save_dataset(tmp_path / "data.npz", dataset_from_rolls(songs, num_rows=5))
    assert run_script("--data", str(tmp_path / "data.npz"), "--out", str(tmp_path / "run")) == 1
    assert "5 note rows (midi2img --notes)" in capsys.readouterr().err


def chain_to_the_first_product_of_ds_backward(argv):
    """Run train_gan.main(argv) and return the functions called from main down to the first
    matrix product of the discriminator's backward pass (its output layer's weight gradient),
    as [(file name, function name)], main excluded."""
    from gan_numpy.layers import Dense
    found = []

    def watch(frame, event, arg):
        if (event == "call" and not found and frame.f_code is Dense.backward.__code__
                and frame.f_locals["self"].out_features == 1):
            chain = []
            while frame.f_code is not train_gan.main.__code__:
                chain.append((os.path.relpath(frame.f_code.co_filename), frame.f_code.co_name))
                frame = frame.f_back
            found.append(chain[::-1])

    sys.setprofile(watch)
    try:
        train_gan.main(argv)
    finally:
        sys.setprofile(None)
    return found[0]


def test_one_iteration_reaches_a_discriminator_product_in_nine_calls_through_six_files(
        tmp_path, write_tiny_dataset, capsys):
    write_tiny_dataset(tmp_path / "data.npz")
    chain = chain_to_the_first_product_of_ds_backward(
        ["--data", str(tmp_path / "data.npz"), "--out", str(tmp_path / "run"),
         "--iterations", "1", "--batch", "4", "--width", "4", "--latent", "6", "--bar-noise", "3"])
    assert [name for _, name in chain][:4] == ["train", "train_loop", "train_step", "train_step"]
    assert chain[-1] == ("gan_numpy/layers.py", "backward")
    assert len(chain) <= 9
    files = {"train_gan.py"} | {path for path, _ in chain}
    assert files == {"train_gan.py", "drumroll/training.py", "drumroll/models/song.py",
                     "gan_numpy/gan.py", "gan_numpy/layers.py"}


def test_a_runs_pictures_name_the_rows_as_its_data_did(tmp_path, tiny_config, tiny_images,
                                                       quiet):
    from drumroll.windows import Windows
    names = [f"drum {row}" for row in range(25)]
    train(tiny_config(iterations=1), Windows(images=tiny_images(), row_names=names), tmp_path,
          log=quiet)
    svg = (tmp_path / "samples" / "step_0000001.svg").read_text()
    assert ">drum 6<" in svg and "closed hi-hat" not in svg
