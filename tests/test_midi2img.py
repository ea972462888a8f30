"""midi2img.py: PNGs and dataset.npz from a folder of MIDI files, reports, bad input."""
import pathlib
import subprocess
import sys

import mido
import numpy as np
import pytest

import midi2img
from drumroll.cli import run
from drumroll.dataset import load_dataset
from drumroll.format import NUM_ROWS, pixels_to_hits
from drumroll.images import read_png
from drumroll.midi_out import roll_to_midi

ROOT = pathlib.Path(__file__).resolve().parent.parent
REAL_CORPUS = ROOT.parent / "shared" / "data" / "mgla-midi"


def write_song(path, columns, steps=512, note_row=0):
    hits = np.zeros((NUM_ROWS, steps), dtype=bool)
    hits[note_row, columns] = True
    roll_to_midi(hits).save(path)
    return hits


@pytest.fixture
def corpus(tmp_path):
    folder = tmp_path / "midi"
    (folder / "more").mkdir(parents=True)
    songs = {"alpha": write_song(folder / "alpha.mid", list(range(0, 512, 16))),
             "beta": write_song(folder / "more" / "beta.midi", [40, 300], note_row=2)}
    return folder, songs


def run_main(argv, capsys):
    """Run the script as the command line does -> (exit code, stdout, stderr)."""
    with pytest.raises(SystemExit) as exit_info:
        run(midi2img.main, [str(arg) for arg in argv])
    captured = capsys.readouterr()
    return exit_info.value.code, captured.out, captured.err


def test_writes_one_png_per_non_empty_window_and_the_dataset(corpus, tmp_path, capsys):
    folder, songs = corpus
    out = tmp_path / "out"
    code, stdout, _ = run_main([folder, "--out", out], capsys)
    assert code == 0
    dataset = load_dataset(out / "dataset.npz")
    names = sorted(path.name for path in out.glob("*.png"))
    assert names == sorted(f"{name}.png" for name in dataset.names())
    for name, song, start, image in zip(dataset.names(), dataset.song, dataset.start,
                                        dataset.images):
        assert np.array_equal(read_png(out / f"{name}.png"), image)
        assert np.array_equal(pixels_to_hits(image), songs[song][:, start:start + 256])
    assert "windows written: " + str(len(dataset)) in stdout


def test_default_hop_is_one_bar_and_options_change_it(corpus, tmp_path, capsys):
    folder, _ = corpus
    run_main([folder, "--out", tmp_path / "bar"], capsys)
    assert load_dataset(tmp_path / "bar" / "dataset.npz").start[:3].tolist() == [0, 32, 64]
    run_main([folder, "--out", tmp_path / "half", "--hop", 128, "--window", 128], capsys)
    half = load_dataset(tmp_path / "half" / "dataset.npz")
    assert half.images.shape[2] == 128 and half.hop == 128
    assert half.start[half.song == "alpha"].tolist() == [0, 128, 256, 384]


def test_note_range_option_sets_the_rows(corpus, tmp_path, capsys):
    folder, _ = corpus
    code, stdout, _ = run_main([folder, "--out", tmp_path / "o", "--notes", "38-45"], capsys)
    assert code == 0
    dataset = load_dataset(tmp_path / "o" / "dataset.npz", height=None)
    assert dataset.images.shape[1] == 8 and dataset.lowest_note == 38
    assert "files read: 1, skipped: 1" in stdout     # alpha only has kicks, note 36
    assert "alpha.mid: no drum notes in the range 38..45" in stdout


def test_report_lists_files_onsets_and_rows(corpus, tmp_path, capsys):
    folder, _ = corpus
    _, stdout, _ = run_main([folder, "--out", tmp_path / "o"], capsys)
    assert "files read: 2, skipped: 0" in stdout
    assert "drum onsets: 34, moved by quantization: 0" in stdout
    assert "notes dropped outside 36..60: 0" in stdout
    assert "row  0  note  36  bass drum" in stdout and "row  2  note  38  snare" in stdout


def test_bad_files_are_reported_and_skipped_and_the_run_succeeds(corpus, tmp_path, capsys):
    folder, _ = corpus
    (folder / "text.mid").write_text("not midi")
    full = folder / "alpha.mid"
    (folder / "cut.mid").write_bytes(full.read_bytes()[:100])
    guitar = mido.MidiFile(full)
    for message in guitar.tracks[1]:
        if not message.is_meta:
            message.channel = 0
    guitar.save(folder / "guitar.mid")
    code, stdout, stderr = run_main([folder, "--out", tmp_path / "o"], capsys)
    assert code == 0
    assert "files read: 2, skipped: 3" in stdout
    assert "text.mid: not a MIDI file (no MThd header)" in stdout
    assert "cut.mid: truncated MIDI file" in stdout
    assert "guitar.mid: no drum notes on MIDI channel 10" in stdout
    assert "Traceback" not in stderr


def test_nothing_usable_fails_with_one_line_and_keeps_the_old_dataset(tmp_path, capsys):
    folder = tmp_path / "midi"
    folder.mkdir()
    (folder / "text.mid").write_text("not midi")
    out = tmp_path / "out"
    out.mkdir()
    (out / "dataset.npz").write_bytes(b"previous dataset")
    code, _, stderr = run_main([folder, "--out", out], capsys)
    assert code == 1
    assert stderr.strip().splitlines()[-1].startswith(f"error: {folder}: no usable drum track")
    assert (out / "dataset.npz").read_bytes() == b"previous dataset"
    assert sorted(path.name for path in out.iterdir()) == ["dataset.npz"]


def test_an_empty_folder_fails_with_one_line(tmp_path, capsys):
    code, stdout, stderr = run_main([tmp_path, "--out", tmp_path / "o"], capsys)
    assert code == 1
    assert stderr == f"error: {tmp_path}: no .mid or .midi files found\n"


def test_an_unwritable_output_folder_fails_with_one_line(corpus, tmp_path, capsys):
    folder, _ = corpus
    blocker = tmp_path / "blocker"
    blocker.write_text("a file where the folder should be")
    code, _, stderr = run_main([folder, "--out", blocker / "out"], capsys)
    assert code == 1
    assert stderr.startswith(f"error: {blocker / 'out'}: cannot create output folder")
    assert len(stderr.splitlines()) == 1


def test_no_png_writes_only_the_dataset(corpus, tmp_path, capsys):
    folder, _ = corpus
    run_main([folder, "--out", tmp_path / "o", "--no-png"], capsys)
    assert [path.name for path in (tmp_path / "o").iterdir()] == ["dataset.npz"]


def test_help_describes_the_options(capsys):
    with pytest.raises(SystemExit) as exit_info:
        midi2img.main(["--help"])
    assert exit_info.value.code == 0
    help_text = capsys.readouterr().out
    for option in ("--out", "--hop", "--window", "--notes"):
        assert option in help_text


def test_the_script_runs_from_the_command_line(corpus, tmp_path):
    folder, _ = corpus
    result = subprocess.run([sys.executable, str(ROOT / "midi2img.py"), str(folder),
                             "--out", str(tmp_path / "o")], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "o" / "dataset.npz").exists()
    bad = subprocess.run([sys.executable, str(ROOT / "midi2img.py"), str(tmp_path / "nothing")],
                         capture_output=True, text=True)
    assert bad.returncode == 1 and "Traceback" not in bad.stderr


@pytest.mark.skipif(not REAL_CORPUS.is_dir(), reason="../shared/data/mgla-midi is not here")
def test_the_real_corpus_reads_all_14_songs_without_skipping_any(tmp_path, capsys):
    code, stdout, _ = run_main([REAL_CORPUS, "--out", tmp_path / "real", "--no-png"], capsys)
    assert code == 0
    assert "files read: 14, skipped: 0" in stdout
    dataset = load_dataset(tmp_path / "real" / "dataset.npz")
    assert len(set(dataset.song.tolist())) == 14
    assert "note 0 x2" in stdout      # the export artefact the README mentions
