"""evaluate.py: the table of a trained run against held-out songs and other folders."""
import dataclasses
import os
import stat

import mido
import numpy as np
import pytest

import evaluate
from drumroll.cli import UserError
from drumroll.dataset import load_dataset, save_dataset
from drumroll.format import hits_to_pixels
from drumroll.images import write_png
from drumroll.midi_out import roll_to_midi
from drumroll.training import train


@pytest.fixture(scope="module")
def trained_run(tmp_path_factory, write_tiny_dataset, tiny_config, quiet):
    folder = tmp_path_factory.mktemp("eval")
    write_tiny_dataset(folder / "data.npz")
    dataset = load_dataset(folder / "data.npz")
    keep = dataset.song != "song3"
    train(tiny_config(iterations=2), dataset.training_windows(keep), folder / "run", log=quiet)
    return folder


def test_evaluate_scores_held_out_songs_the_model_and_a_folder_of_pngs(trained_run, capsys):
    samples = trained_run / "pngs"
    samples.mkdir()
    for i in range(3):
        hits = np.zeros((25, 256), dtype=bool)
        hits[0, i::8] = True
        write_png(samples / f"roll{i}.png", hits_to_pixels(hits))
    code = evaluate.main(["--data", str(trained_run / "data.npz"), "--run",
                          str(trained_run / "run"), "--num", "8", "--samples", str(samples),
                          "--out", str(trained_run / "table.md")])
    assert code == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == ("| measure | real, held out | real, training | training songs, range | "
                        "ours (bars, 2 it.) | pngs |")
    assert "| windows | 4 | 12 | - | 8 | 3 |" in lines
    hits = next(line for line in lines if line.startswith("| hits per bar |")).split(" | ")
    low, high = (float(value) for value in hits[3].split("–"))
    assert low <= float(hits[2]) <= high            # the training windows lie in their range
    assert any(line.startswith("| style error vs training |") for line in lines)
    assert (trained_run / "table.md").read_text().splitlines() == lines


def test_a_bad_file_among_the_originals_is_skipped_in_one_line_as_midi2img_skips_it(
        trained_run, tmp_path, capsys):
    originals = tmp_path / "originals"
    originals.mkdir()
    hits = np.zeros((25, 256), dtype=bool)
    hits[0, ::8] = True
    for name in ("a", "b"):
        roll_to_midi(hits).save(originals / f"{name}.mid")
    zero = roll_to_midi(hits)
    zero.tracks[0] = mido.MidiTrack([mido.MetaMessage("set_tempo", tempo=0)])
    zero.save(originals / "zero.mid")
    (originals / "text.mid").write_text("not midi")
    assert evaluate_run(trained_run, "--original", str(originals), "--songs", "0") == 0
    captured = capsys.readouterr()
    assert "| windows | 4 | 12 | - | 2 | 8 |" in captured.out
    skipped = [line for line in captured.err.splitlines() if "skipped" in line]
    assert len(skipped) == 2 and "zero.mid: a tempo of 0" in skipped[1]
    assert "text.mid: not a MIDI file" in skipped[0]


@pytest.mark.parametrize("option, message", [
    (["--num", "100000"], "--num 100000: give 2 to 5,000 samples"),
    (["--songs", "100000"], "--songs 100000: give 0 to 1,000 songs"),
    (["--threshold", "999"], "--threshold 999: must be between 0 and 256")])
def test_counts_past_their_limits_are_refused_before_any_work(tmp_path, capsys, option,
                                                              message):
    with pytest.raises(SystemExit) as exit_info:
        evaluate.main(["--data", str(tmp_path / "none.npz"), *option])
    assert exit_info.value.code == 2 and message in capsys.readouterr().err


def test_the_songs_show_their_progress(trained_run, capsys):
    assert evaluate_run(trained_run, "--songs", "3") == 0
    err = capsys.readouterr().err
    assert "chained 8-bar songs 3/3" in err


def test_a_run_without_held_out_songs_cannot_be_evaluated(tmp_path, write_tiny_dataset,
                                                        tiny_config, quiet):
    write_tiny_dataset(tmp_path / "data.npz")
    train(tiny_config(iterations=1), load_dataset(tmp_path / "data.npz").images,
          tmp_path / "run", log=quiet)
    with pytest.raises(UserError, match="held out no songs"):
        evaluate.main(["--data", str(tmp_path / "data.npz"), "--run", str(tmp_path / "run")])


def evaluate_run(trained_run, *extra):
    return evaluate.main(["--data", str(trained_run / "data.npz"), "--run",
                          str(trained_run / "run"), "--num", "8", *extra])


def test_out_in_a_missing_folder_is_refused_before_scoring(trained_run, capsys):
    with pytest.raises(UserError, match=r"missing_dir/t\.md: cannot write \(no such folder"):
        evaluate_run(trained_run, "--out", str(trained_run / "missing_dir" / "t.md"))
    assert capsys.readouterr().out == ""           # refused before the table was computed


def test_out_naming_a_fifo_is_refused_and_the_fifo_kept(trained_run, tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(UserError, match=r"pipe: cannot write \(is a FIFO"):
        evaluate_run(trained_run, "--out", str(fifo))
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


def test_out_through_a_symlink_writes_the_file_it_names(trained_run, tmp_path, capsys):
    link = tmp_path / "table.md"
    link.symlink_to(tmp_path / "real.md")
    assert evaluate_run(trained_run, "--out", str(link)) == 0
    assert link.is_symlink()
    assert (tmp_path / "real.md").read_text().splitlines() == capsys.readouterr().out.splitlines()


def test_a_dataset_without_the_runs_held_out_songs_is_named_as_other_data(trained_run, tmp_path):
    dataset = load_dataset(trained_run / "data.npz")
    dataset.song = np.char.replace(dataset.song, "song", "track")
    dataset.song_names = np.char.replace(dataset.song_names, "song", "track")
    save_dataset(tmp_path / "other.npz", dataset)
    with pytest.raises(UserError, match=r"other\.npz: not the data .* was trained on \(the songs "
                                        r"it held out are not in it: song3\); give that run's "
                                        r"dataset with --data"):
        evaluate.main(["--data", str(tmp_path / "other.npz"), "--run", str(trained_run / "run")])


def test_a_dataset_with_other_training_windows_is_named_as_other_data(trained_run, tmp_path):
    dataset = load_dataset(trained_run / "data.npz")
    images = dataset.images.copy()
    images[0, 0, :8] = 255 - images[0, 0, :8]       # song0 is a training song
    save_dataset(tmp_path / "other.npz", dataclasses.replace(dataset, images=images))
    with pytest.raises(UserError, match=r"not the data .* \(its training windows differ\)"):
        evaluate.main(["--data", str(tmp_path / "other.npz"), "--run", str(trained_run / "run")])


def test_the_controls_are_measured_across_their_range(tmp_path, write_tiny_dataset,
                                                      tiny_config, quiet, capsys):
    write_tiny_dataset(tmp_path / "data.npz")
    dataset = load_dataset(tmp_path / "data.npz")
    keep = dataset.song != "song3"
    train(tiny_config("song", iterations=2), dataset.training_windows(keep), tmp_path / "run",
          log=quiet)
    code = evaluate.main(["--data", str(tmp_path / "data.npz"), "--run", str(tmp_path / "run"),
                          "--num", "8", "--songs", "2", "--controls"])
    text = capsys.readouterr().out
    assert code == 0
    for control in ("density", "fills", "variation", "intensity"):
        assert f"\n{control}:\n" in text
    assert "| measure | density -1 | density -0.5 | density 0 | density 0.5 | density 1 |" in text
