"""The Makefile: any folder name works, RUN follows ARCH and TRAIN_SEED, SEED picks other samples
of the same run, `make help` lists variables."""
import os
import pathlib
import shutil
import subprocess
import sys

import pytest

from drumroll.dataset import load_dataset

REPO = pathlib.Path(__file__).resolve().parents[1]


def make(*args, env=None, code=0):
    done = subprocess.run(["make", "--no-print-directory", *map(str, args)], cwd=REPO,
                          capture_output=True, text=True, timeout=300,
                          env=None if env is None else {**os.environ, **env})
    assert done.returncode == code, done.stderr
    return done.stdout if code == 0 else done.stderr


def command_of(script, output):
    """The line of a dry run (make -n) that runs `script`."""
    [line] = [line for line in output.splitlines() if f" {script} " in line]
    return line


def test_help_lists_every_variable_with_its_default():
    lines = make("-s", "help").splitlines()
    for name, default in [("MIDI_DIR", "data/midi"), ("DATASET_DIR", "build/dataset"),
                          ("ARCH", "song"), ("ITER", "(empty)"), ("TRAIN_SEED", "0"),
                          ("SEED", "0"),
                          ("RUN", "runs/song"), ("NUM", "8"), ("BARS", "(empty)"),
                          ("FORM", "(empty)"), ("BPM", "(empty)"), ("OUT", "(empty)"),
                          ("PRIMER", "(empty)"), ("MIDI", "(empty)"), ("WAV", "(empty)"),
                          ("ORIGINAL", "(empty)"), ("CHANNEL", "(empty)"), ("A", "(empty)"),
                          ("HOLDOUT_FROM", "(empty)"), ("CONTROLS", "0"),
                          ("B", "(empty)"), ("STEPS", "8")]:
        assert any(line.split()[:2] == [name, default] for line in lines if line.strip()), name


@pytest.mark.parametrize("settings, run", [
    ([], "runs/song"), (["TRAIN_SEED=1"], "runs/song-seed1"), (["ARCH=original"], "runs/original"),
    (["ARCH=original", "TRAIN_SEED=2"], "runs/original-seed2"),
    (["TRAIN_SEED=1", "RUN=runs/mine"], "runs/mine")])
def test_train_generate_song_and_evaluate_use_the_run_folder_of_the_arch_and_training_seed(
        settings, run):
    seed = next((s.split("=")[1] for s in settings if s.startswith("TRAIN_SEED=")), "0")
    assert f"--seed '{seed}' --out '{run}' --resume" in command_of(
        "train_gan.py", make("-n", "train", *settings))
    assert f"--checkpoint '{run}'" in command_of("img2midi.py", make("-n", "generate", *settings))
    assert f"--run '{run}'" in command_of("song.py", make("-n", "song", *settings))
    assert f"--run '{run}'" in command_of("evaluate.py", make("-n", "evaluate", *settings))


@pytest.mark.parametrize("target, script", [("generate", "img2midi.py"), ("song", "song.py"),
                                            ("evaluate", "evaluate.py")])
def test_seed_samples_other_tracks_from_the_same_run(target, script):
    # the README's `make song NUM=2 BARS=128 SEED=3`: other songs of runs/song
    line = command_of(script, make("-n", target, "SEED=3"))
    assert "'runs/song'" in line and "--seed '3'" in line


def test_train_with_seed_alone_says_seed_is_the_sampling_seed(tmp_path):
    venv = tmp_path / "venv"
    venv.mkdir()
    (venv / ".runtime").touch()
    err = make("train", "SEED=1", f"VENV={venv}", "PY=false", code=2)
    assert "SEED is the sampling seed (generate, song, evaluate); train with TRAIN_SEED=1" in err


def test_train_holds_out_the_named_songs_only_when_asked():
    assert "--holdout-from" not in command_of("train_gan.py", make("-n", "train"))
    assert "--holdout-from 'session 1'" in command_of(
        "train_gan.py", make("-n", "train", "HOLDOUT_FROM=session 1"))


def test_evaluate_sweeps_the_controls_only_when_asked():
    assert "--controls" not in command_of("evaluate.py", make("-n", "evaluate"))
    assert command_of("evaluate.py", make("-n", "evaluate", "CONTROLS=1")).endswith("--controls")


def test_song_passes_the_form_primer_bars_and_tempo_only_when_given(tmp_path):
    plain = command_of("song.py", make("-n", "song"))
    assert "--form" not in plain and "--primer" not in plain and "--bpm" not in plain
    assert "--out 'songs' --replace" in plain
    given = command_of("song.py", make("-n", "song", "FORM=A8 B8", f"PRIMER={tmp_path}/my intro.mid",
                                       "BARS=16", "BPM=150", "OUT=new songs"))
    assert (f"--bars '16' --form 'A8 B8' --primer '{tmp_path}/my intro.mid' --bpm '150'"
            in given)
    assert "--out 'new songs' --replace" in given


def test_generate_writes_into_generated_unless_told_otherwise():
    assert "--out 'generated' --replace" in command_of("img2midi.py", make("-n", "generate"))
    assert "--bpm" not in command_of("img2midi.py", make("-n", "generate"))


def test_train_makes_a_missing_dataset_first_whatever_its_folders_are_called(tmp_path):
    output = make("-n", "train", f"MIDI_DIR={tmp_path}/my söngs",
                  f"DATASET_DIR={tmp_path}/data set")
    assert f"midi2img.py '{tmp_path}/my söngs' --out '{tmp_path}/data set'" in output
    assert f"--data '{tmp_path}/data set/dataset.npz'" in command_of("train_gan.py", output)


def test_a_value_with_a_quote_stays_one_argument():
    assert "--original 'it'\\''s mine'" in make("-n", "evaluate", "ORIGINAL=it's mine")


def test_a_dollar_in_a_value_is_a_dollar_on_the_command_line_and_in_the_environment():
    assert "midi2img.py 'my söngs $HOME' --out" in make("-n", "dataset",
                                                        "MIDI_DIR=my söngs $HOME")
    assert "--out 'runs/$x'" in make("-n", "train", "TRAIN_SEED=1", env={"RUN": "runs/$x"})


def test_channel_reaches_every_script_that_reads_drum_midi():
    assert "--channel '1'" in command_of("midi2img.py", make("-n", "dataset", "CHANNEL=1"))
    assert "--channel '1'" in command_of("listen.py", make("-n", "listen", "MIDI=a.mid",
                                                           "CHANNEL=1"))
    assert "--channel '1'" in command_of("song.py", make("-n", "song", "CHANNEL=1"))
    assert "--channel '1'" in command_of("evaluate.py", make("-n", "evaluate", "CHANNEL=1"))
    assert "--channel" not in command_of("midi2img.py", make("-n", "dataset"))


def test_dataset_reads_a_folder_whose_name_has_spaces_and_non_ascii_letters(tmp_path):
    songs = tmp_path / "my söngs"
    songs.mkdir()
    shutil.copy(sorted((REPO / "data" / "midi").glob("*.mid"))[0], songs / "piste ü 1.mid")
    venv = tmp_path / "venv"          # stands in for .venv: this Python runs the scripts
    venv.mkdir()
    (venv / ".runtime").touch()
    make("dataset", f"MIDI_DIR={songs}", f"DATASET_DIR={tmp_path}/data set", f"VENV={venv}",
         f"PY={sys.executable}")
    assert len(load_dataset(tmp_path / "data set" / "dataset.npz")) > 0


@pytest.mark.parametrize("target, script, given", [
    ("generate", "img2midi.py", []), ("song", "song.py", []),
    ("interpolate", "interpolate.py", ["A=seed:1", "B=seed:2"])])
def test_feel_0_plays_every_hit_on_the_grid(target, script, given):
    assert "--quantize" not in command_of(script, make("-n", target, *given))
    assert "--quantize" in command_of(script, make("-n", target, "FEEL=0", *given))


def test_the_toy_writes_its_picture_where_out_says():
    assert "examples/toy_gan.py --out 'my toy'" in make("-n", "toy", "OUT=my toy")


def test_humanize_plays_the_midi_given_with_the_run_into_out():
    line = command_of("humanize.py", make("-n", "humanize", "MIDI=my beat.mid", "OUT=felt"))
    assert "humanize.py 'my beat.mid' --run 'runs/song'" in line and "--out 'felt'" in line


def test_humanize_without_midi_says_how():
    done = subprocess.run(["make", "--no-print-directory", "humanize"], cwd=REPO,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode != 0 and "usage: make humanize MIDI=" in done.stderr


def test_interpolate_passes_the_ends_steps_run_and_seed():
    line = command_of("interpolate.py", make("-n", "interpolate", "A=my groove.mid", "B=seed:3",
                                             "STEPS=12", "SEED=2", "RUN=runs/mine", "OUT=walk"))
    assert ("interpolate.py 'my groove.mid' 'seed:3' --steps '12' --run 'runs/mine' --seed '2'"
            in line and "--out 'walk' --replace" in line)


def test_interpolate_without_both_ends_says_how():
    done = subprocess.run(["make", "--no-print-directory", "interpolate", "A=seed:1"], cwd=REPO,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode != 0 and "usage: make interpolate A=" in done.stderr
