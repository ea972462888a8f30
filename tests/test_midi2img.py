"""midi2img.py: PNGs and dataset.npz from a folder of MIDI files, reports, bad input."""
import errno
import os
import pathlib
import subprocess
import sys

import mido
import numpy as np
import pytest

import midi2img
from drumroll.dataset import build_dataset, load_dataset, velocities_to_pixels
from drumroll.format import NUM_ROWS, pixels_to_hits
from drumroll.images import read_png
from drumroll.midi_in import find_midi_files
from drumroll.midi_out import roll_to_midi
from tests.midifiles import drum_track, midi_file, song_with_meters
from tests.scripts import run_script

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
    return run_script(midi2img.main, capsys, *argv)


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
    run_main([folder, "--out", tmp_path / "half", "--hop", 4, "--window", 128], capsys)
    half = load_dataset(tmp_path / "half" / "dataset.npz")
    assert half.images.shape[2] == 128 and half.hop_bars == 4
    assert half.start[half.song == "alpha"].tolist() == [0, 128, 256, 384]


def test_a_window_that_is_not_whole_4_4_bars_fails_with_one_line(corpus, tmp_path, capsys):
    folder, _ = corpus
    code, _, stderr = run_main([folder, "--out", tmp_path / "o", "--window", 100], capsys)
    assert code == 1
    assert stderr == ("error: --window 100: a window of 100 steps is not a whole number of "
                      "4/4 bars (a multiple of 32 steps)\n")
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("option, message", [
    (["--hop", "10" * 12], "--hop 101,010,101,010,101,010,101,010: at most 8,192 bars"),
    (["--window", "32" * 9], "--window 323,232,323,232,323,232: at most 262,144 steps")])
def test_a_hop_or_window_longer_than_a_song_may_last_is_refused(corpus, tmp_path, capsys,
                                                                option, message):
    folder, _ = corpus
    code, _, stderr = run_main([folder, "--out", tmp_path / "out", *option], capsys)
    assert code == 1 and stderr.startswith(f"error: {message}") and stderr.count("\n") == 1


def test_the_report_names_songs_with_other_meters_and_what_they_cost(corpus, tmp_path, capsys):
    folder, _ = corpus
    midi, _ = song_with_meters([(16, 4, 4), (1, 2, 4)])
    midi.save(folder / "gamma.mid")
    _, stdout, _ = run_main([folder, "--out", tmp_path / "o"], capsys)
    assert "  gamma: 16 bars in 4/4, 1 bar in 2/4 (not cut into windows), 9 windows\n" in stdout
    assert "other meters: 1 bar (of 49) in 1 song, never in a window\n" in stdout


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
    assert "drum onsets: 34; off the grid: 0 (0.0%, kept as offsets); hits sharing a cell: 0 " \
           "(the loudest in the roll, the others kept beside it)" in stdout
    assert "notes without a row in the gm map (dropped): 0" in stdout
    assert "row  0  note  36  bass drum" in stdout and "row  2  note  38  snare" in stdout


# ---- drum maps ----

def e_kit_song(path, extra=()):
    """16 bars: kicks on the beats, closed hi-hat edges (22) on the 8ths, a floor-tom rim (58)."""
    hits = [(tick, 36, 100) for tick in range(0, 16 * 1920, 480)]
    hits += [(tick + 10, 22, 70) for tick in range(0, 16 * 1920, 240)]
    hits += [(960, 58, 90), *extra]
    midi_file(drum_track(hits)).save(path)


def test_auto_picks_roland_when_a_file_plays_note_22_and_says_why(corpus, tmp_path, capsys):
    folder, _ = corpus
    e_kit_song(folder / "kit.mid")
    code, stdout, _ = run_main([folder, "--out", tmp_path / "o"], capsys)
    assert code == 0
    assert "drum map: roland (auto: note 22 played, e-kit hi-hat edges that General MIDI does " \
           "not define)" in stdout
    dataset = load_dataset(tmp_path / "o" / "dataset.npz")
    assert dataset.drum_map.name == "roland" and dataset.row_names[6] == "hi-hat closed"
    kit = dataset.song_performance(dataset.song_names.tolist().index("kit"))
    assert set(kit.notes[6][kit.velocities[6] > 0].tolist()) == {22}   # played 22, row 42


def test_the_per_row_table_uses_the_maps_names_and_shows_the_notes_on_a_row(tmp_path, capsys):
    e_kit_song(tmp_path / "kit.mid", extra=[(1920, 43, 80)])
    _, stdout, _ = run_main([tmp_path / "kit.mid", "--out", tmp_path / "o"], capsys)
    assert "row  0  note  36  kick                 64\n" in stdout
    assert "row  6  note  42  hi-hat closed       128  (notes 22 x128)\n" in stdout
    assert "row  7  note  43  tom 3 (floor)         2  (notes 43 x1, 58 x1)\n" in stdout


def test_gm_is_used_when_asked_even_for_an_e_kit(tmp_path, capsys):
    e_kit_song(tmp_path / "kit.mid")
    _, stdout, _ = run_main([tmp_path / "kit.mid", "--out", tmp_path / "o", "--drum-map", "gm"],
                            capsys)
    assert "drum map: gm (--drum-map gm)" in stdout
    assert "row 22  note  58  vibraslap" in stdout


def test_a_map_file_overrides_gm_and_its_names_reach_the_report(tmp_path, capsys):
    e_kit_song(tmp_path / "kit.mid")
    (tmp_path / "my.map").write_text("# my kit's floor tom rim\n58 43 floor tom\n")
    _, stdout, _ = run_main([tmp_path / "kit.mid", "--out", tmp_path / "o",
                             "--drum-map", tmp_path / "my.map"], capsys)
    assert f"drum map: my.map (gm changed by the lines of {tmp_path / 'my.map'})" in stdout
    assert "row  7  note  43  floor tom             1  (notes 58 x1)" in stdout
    assert "row  6  note  42  closed hi-hat       128  (notes 22 x128)" in stdout   # gm: 22 -> 42
    dataset = load_dataset(tmp_path / "o" / "dataset.npz")
    assert dataset.drum_map.name == "my.map" and dataset.row_names[7] == "floor tom"


def test_a_bad_line_in_a_map_file_fails_with_one_line_before_any_work(tmp_path, capsys):
    e_kit_song(tmp_path / "kit.mid")
    (tmp_path / "bad.map").write_text("58 43\n22 hat\n")
    code, stdout, stderr = run_main([tmp_path / "kit.mid", "--out", tmp_path / "o",
                                     "--drum-map", tmp_path / "bad.map"], capsys)
    assert code == 1 and stdout == ""
    assert stderr == (f"error: {tmp_path / 'bad.map'}, line 2: row note 'hat' is not a MIDI note "
                      f"number (got '22 hat')\n")
    assert not (tmp_path / "o").exists()


def test_notes_still_unmapped_are_listed_with_their_counts(tmp_path, capsys):
    e_kit_song(tmp_path / "kit.mid", extra=[(0, 0, 50), (480, 100, 50), (960, 100, 50)])
    _, stdout, _ = run_main([tmp_path / "kit.mid", "--out", tmp_path / "o"], capsys)
    assert "notes without a row in the roland map (dropped): 3 (note 0 x1, note 100 x2)" in stdout


def test_a_note_whose_row_is_outside_the_note_range_is_dropped_and_counted(tmp_path, capsys):
    e_kit_song(tmp_path / "kit.mid", extra=[(0, 35, 50)])
    _, stdout, _ = run_main([tmp_path / "kit.mid", "--out", tmp_path / "o", "--notes", "40-50"],
                            capsys)
    assert "notes on rows outside 40..50 (dropped): 65 (note 35 x1, note 36 x64)" in stdout
    assert "row  2  note  42  hi-hat closed       128" in stdout


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
    assert "guitar.mid: no drum notes on MIDI channel 10 (its notes are on channel 1" in stdout
    assert "Traceback" not in stderr


def test_channel_reads_the_drums_of_a_daw_export_on_another_channel(corpus, tmp_path, capsys):
    folder, songs = corpus
    for path in folder.rglob("*.mid*"):
        midi = mido.MidiFile(path)
        for message in midi.tracks[1]:
            if not message.is_meta:
                message.channel = 0
        midi.save(path)
    code, _, _ = run_main([folder, "--out", tmp_path / "o", "--no-png", "--channel", "1"], capsys)
    assert code == 0 and sorted(load_dataset(tmp_path / "o").song_names) == ["alpha", "beta"]
    for bad in ("0", "17", "ten"):
        with pytest.raises(SystemExit):
            midi2img.main([str(folder), "--channel", bad])
        assert "a MIDI channel is 1 to 16" in capsys.readouterr().err


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


def test_a_report_without_a_single_onset_lists_no_rows(tmp_path, capsys):
    (tmp_path / "text.mid").write_text("not midi")
    code, _, stderr = run_main([tmp_path / "text.mid", "--out", tmp_path / "out"], capsys)
    assert code == 1 and "text.mid" in stderr
    assert "onsets per row" not in stderr and "rows without a hit" not in stderr


def test_an_empty_name_for_the_midi_folder_says_so(tmp_path, capsys):
    code, _, stderr = run_main(["", "--out", tmp_path / "o"], capsys)       # make MIDI_DIR=
    assert code == 1 and stderr == "error: an empty name was given as the MIDI file or folder\n"


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


def test_a_failed_run_leaves_no_output_folder(tmp_path, capsys):
    folder = tmp_path / "midi"
    folder.mkdir()
    (folder / "text.mid").write_text("not midi")
    code, _, _ = run_main([folder, "--out", tmp_path / "new" / "out"], capsys)
    assert code == 1 and not (tmp_path / "new").exists()


def folder_contents(folder):
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir())}


def stop_after_writing_pngs(monkeypatch, count, error):
    """Make the PNG writer raise `error` once `count` PNGs are written (Ctrl-C, a full disk)."""
    real_write = os.write

    def write_then_fail(descriptor, data):
        if data.startswith(b"\x89PNG"):
            if write_then_fail.pngs == count:
                raise error
            write_then_fail.pngs += 1
        return real_write(descriptor, data)

    write_then_fail.pngs = 0
    monkeypatch.setattr(os, "write", write_then_fail)


@pytest.mark.parametrize("error", [KeyboardInterrupt(),
                                   OSError(errno.ENOSPC, "No space left on device")])
def test_a_run_stopped_half_way_leaves_no_folder(corpus, tmp_path, capsys, monkeypatch, error):
    folder, _ = corpus
    stop_after_writing_pngs(monkeypatch, 3, error)
    code, _, stderr = run_main([folder, "--out", tmp_path / "new" / "out"], capsys)
    assert code == (130 if isinstance(error, KeyboardInterrupt) else 1)
    assert not (tmp_path / "new").exists()
    if code == 1:
        assert stderr.splitlines()[-1].endswith("cannot write (No space left on device)")


def test_a_second_run_into_a_folder_another_is_writing_is_refused_before_reading(corpus,
                                                                                 tmp_path, capsys):
    folder, _ = corpus
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        (tmp_path / "out").mkdir()
        (tmp_path / "out" / ".lock").write_text(f"{other.pid}\n")
        code, stdout, stderr = run_main([folder, "--out", tmp_path / "out"], capsys)
    finally:
        other.kill()
        other.wait()
    assert code == 1 and stdout == "" and stderr == (
        f"error: {tmp_path / 'out'}: another drumgan command (pid {other.pid}) is using this "
        f"folder; wait for it or write into another folder (if pid {other.pid} is not one, "
        f"delete {tmp_path / 'out' / '.lock'})\n")
    assert [path.name for path in (tmp_path / "out").iterdir()] == [".lock"]


def test_a_run_stopped_half_way_leaves_the_earlier_dataset_as_it_was(corpus, tmp_path, capsys,
                                                                     monkeypatch):
    folder, _ = corpus
    out = tmp_path / "out"
    run_main([folder, "--out", out], capsys)
    before = folder_contents(out)
    stop_after_writing_pngs(monkeypatch, 3, KeyboardInterrupt())
    code, _, _ = run_main([folder, "--out", out, "--notes", "35-59"], capsys)   # rows shifted
    assert code == 130 and folder_contents(out) == before


def test_a_song_lasting_more_bars_than_a_song_may_is_skipped_and_the_batch_goes_on(
        corpus, tmp_path, capsys):
    folder, _ = corpus
    # 33 bytes: one tick per beat and one huge delta time (today it asked for 50 GB)
    track = bytes([0xFF, 0xFF, 0xFF, 0x7F, 0x99, 36, 100, 0x00, 0xFF, 0x2F, 0x00])
    (folder / "huge.mid").write_bytes(b"MThd" + bytes([0, 0, 0, 6, 0, 0, 0, 1, 0, 1]) + b"MTrk"
                                      + len(track).to_bytes(4, "big") + track)
    code, stdout, _ = run_main([folder, "--out", tmp_path / "out", "--no-png"], capsys)
    assert code == 0 and "files read: 2, skipped: 1" in stdout
    assert "huge.mid: it lasts 67,108,863 bars of 4/4, more than the 8,192" in stdout


def test_a_file_with_a_tempo_of_zero_is_skipped_and_the_batch_goes_on(corpus, tmp_path, capsys):
    folder, _ = corpus
    midi = mido.MidiFile(folder / "alpha.mid")
    for message in midi.tracks[0]:
        if message.type == "set_tempo":
            message.tempo = 0
    midi.save(folder / "zero.mid")
    code, stdout, _ = run_main([folder, "--out", tmp_path / "out", "--no-png"], capsys)
    assert code == 0 and "files read: 2, skipped: 1" in stdout
    assert "zero.mid: a tempo of 0 microseconds per beat at tick 0" in stdout


def test_a_file_named_as_long_as_a_name_can_be_gives_a_shorter_song_name_and_its_pngs(
        corpus, tmp_path, capsys):
    folder, _ = corpus
    (folder / "alpha.mid").rename(folder / ("é" * 125 + ".mid"))       # 254 bytes of UTF-8
    code, stdout, _ = run_main([folder, "--out", tmp_path / "out"], capsys)
    assert code == 0
    [song] = [name for name in load_dataset(tmp_path / "out").song_names if name != "beta"]
    assert song == "é" * 100 and "(its stem is too long for the names of its PNGs)" in stdout
    assert (tmp_path / "out" / f"{song}_0.png").exists()


def test_a_file_name_that_is_not_utf8_keeps_its_bytes_and_prints_on_a_strict_terminal(
        corpus, tmp_path):
    folder, _ = corpus
    os.rename(folder / "alpha.mid", os.fsdecode(bytes(folder / "caf") + b"\xe9.mid"))
    (folder / "more" / "beta.midi").write_bytes(b"not midi")         # a skipped file, named
    os.rename(folder / "more" / "beta.midi", os.fsdecode(bytes(folder) + b"/bad\xe9.mid"))
    done = subprocess.run([sys.executable, str(ROOT / "midi2img.py"), str(folder), "--out",
                           str(tmp_path / "out")], capture_output=True,
                          env={**os.environ, "PYTHONIOENCODING": "utf-8:strict"})
    assert done.returncode == 0, done.stderr
    assert b"skipped " + bytes(folder) + b"/bad\xe9.mid: not a MIDI file" in done.stdout
    assert os.path.exists(os.fsdecode(bytes(tmp_path / "out" / "caf") + b"\xe9_0.png"))
    assert load_dataset(tmp_path / "out").song_names.tolist() == [os.fsdecode(b"caf\xe9")]


def test_a_folder_of_many_bad_files_is_reported_by_reason_with_a_few_examples(
        corpus, tmp_path, capsys):
    folder, _ = corpus
    for index in range(30):
        (folder / f"text{index:02d}.mid").write_text("not midi")
    for index in range(20):
        write_song(folder / f"short{index:02d}.mid", [0], steps=64)
    code, stdout, _ = run_main([folder, "--out", tmp_path / "out", "--no-png"], capsys)
    lines = stdout.splitlines()
    assert code == 0 and lines[0] == "files read: 2, skipped: 50"
    assert lines[1] == "  skipped 30 files: not a MIDI file; e.g."
    assert lines[2] == f"    skipped {folder / 'text00.mid'}: not a MIDI file (no MThd header)"
    assert lines[5].startswith("  skipped 20 files: no 8 whole 4/4 bars")
    assert len(lines) < 30


def test_a_type_2_file_is_refused_as_listen_refuses_it(corpus, tmp_path, capsys):
    folder, _ = corpus
    hits = np.zeros((NUM_ROWS, 64), dtype=bool)
    hits[0, ::8] = True
    midi = roll_to_midi(hits)
    midi.type = 2
    midi.save(folder / "two.mid")
    code, stdout, _ = run_main([folder, "--out", tmp_path / "out", "--no-png"], capsys)
    assert code == 0
    assert "two.mid: type 2 MIDI files (independent songs) are not supported" in stdout


def test_a_second_run_into_the_same_folder_leaves_no_png_of_the_first(corpus, tmp_path, capsys):
    folder, _ = corpus
    run_main([folder, "--out", tmp_path / "out"], capsys)
    first = {path.name for path in (tmp_path / "out").glob("*.png")}
    (tmp_path / "out" / "mine.png").write_bytes(b"not from midi2img")
    run_main([folder, "--out", tmp_path / "out", "--hop", "4"], capsys)
    second = {path.name for path in (tmp_path / "out").glob("*.png")}
    dataset = load_dataset(tmp_path / "out" / "dataset.npz")
    assert second == {name + ".png" for name in dataset.names()} | {"mine.png"}
    assert len(first) > len(second) - 1


def test_zero_ticks_per_beat_is_named_as_such(tmp_path, capsys):
    track = bytes([0x00, 0x99, 36, 100, 0x00, 0xFF, 0x2F, 0x00])
    (tmp_path / "zero.mid").write_bytes(b"MThd" + bytes([0, 0, 0, 6, 0, 0, 0, 1, 0, 0]) + b"MTrk"
                                        + len(track).to_bytes(4, "big") + track)
    code, _, stderr = run_main([tmp_path / "zero.mid", "--out", tmp_path / "out"], capsys)
    assert code == 1 and "zero.mid: not a valid MIDI file (0 ticks per beat)" in stderr


def test_no_png_writes_only_the_dataset(corpus, tmp_path, capsys):
    folder, _ = corpus
    run_main([folder, "--out", tmp_path / "o", "--no-png"], capsys)
    assert [path.name for path in (tmp_path / "o").iterdir()] == ["dataset.npz"]


def test_help_describes_the_options(capsys):
    with pytest.raises(SystemExit) as exit_info:
        midi2img.main(["--help"])
    assert exit_info.value.code == 0
    help_text = capsys.readouterr().out
    for option in ("--out", "--hop", "--window", "--notes", "--drum-map"):
        assert option in help_text
    assert "bars between window starts" in help_text


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


# ---- the real corpus: windows on the real bar lines ----

SONGS_IN_OTHER_METERS = {"exercises-in-futility-5", "exercises-in-futility-1",
                         "exercises-in-futility-3", "age-of-excuse-4"}


def read_by_hand(path):
    """Straight from mido, independent of drumroll.midi_in: drum hits (tick, row, velocity) in
    rows 36..60 (35 played as 36), time signatures (tick, n, d), the end tick, ticks per beat."""
    midi = mido.MidiFile(path)
    hits, signatures, end = [], [], 0
    for track in midi.tracks:
        tick = 0
        for message in track:
            tick += message.time
            if message.type == "note_on" and message.channel == 9 and message.velocity > 0:
                note = 36 if message.note == 35 else message.note
                if 36 <= note <= 60:
                    hits.append((tick, note - 36, message.velocity))
            elif message.type == "time_signature":
                signatures.append((tick, message.numerator, message.denominator))
        end = max(end, tick)
    return np.array(hits, dtype=np.int64), sorted(signatures), end, midi.ticks_per_beat


def window_from_hits(hits, first_tick, tpb):
    """The 256-step window whose first column is at first_tick: each hit on the step nearest to
    it counted from first_tick (halves to the later step), the loudest hit per cell."""
    window = np.zeros((NUM_ROWS, 256), dtype=np.uint8)
    steps = (16 * (hits[:, 0] - first_tick) + tpb) // (2 * tpb)
    inside = (steps >= 0) & (steps < 256)
    for step, (_, row, velocity) in zip(steps[inside], hits[inside]):
        window[row, step] = max(window[row, step], velocity)
    return window


def windows_on_real_bar_lines(path):
    """{first step: window} for every 8 whole 4/4 bars in a row, from the file's signatures.
    In these files every signature sits on a bar line and ticks_per_beat is 480, so a bar line
    at tick T is step T / 60."""
    hits, signatures, end, tpb = read_by_hand(path)
    four_four = []                                  # ticks of the whole 4/4 bars, in order
    for index, (tick, numerator, denominator) in enumerate(signatures):
        until = signatures[index + 1][0] if index + 1 < len(signatures) else end
        length = numerator * 4 * tpb // denominator
        assert (until - tick) % length == 0 or index + 1 == len(signatures)
        bar = tick
        while bar + length <= until:
            if (numerator, denominator) == (4, 4):
                four_four.append(bar)
            bar += length
    bar_lines = set(four_four)
    windows = {}
    for first in four_four:
        if all(first + 1920 * index in bar_lines for index in range(8)):
            window = window_from_hits(hits, first, tpb)
            if window.any():
                windows[first * 8 // tpb] = window
    return windows


def windows_by_the_old_rule(path):
    """{first step: window} as midi2img cut them before it read time signatures: a window every
    32 steps from step 0, whole windows only, with at least one hit."""
    hits, _, end, tpb = read_by_hand(path)
    num_steps = max(int((16 * hits[:, 0] + tpb).max() // (2 * tpb)) + 1,
                    (16 * end + tpb) // (2 * tpb))
    windows = {}
    for start in range(0, num_steps - 256 + 1, 32):
        window = window_from_hits(hits, start * tpb // 8, tpb)
        if window.any():
            windows[start] = window
    return windows


@pytest.fixture(scope="module")
def real_dataset():
    dataset, report = build_dataset(find_midi_files([REAL_CORPUS]))
    return dataset, report


def song_windows(dataset, song):
    chosen = dataset.song == song
    return dict(zip(dataset.start[chosen].tolist(), dataset.velocities[chosen])), \
        dict(zip(dataset.start[chosen].tolist(), dataset.images[chosen]))


@pytest.mark.skipif(not REAL_CORPUS.is_dir(), reason="../shared/data/mgla-midi is not here")
@pytest.mark.parametrize("song", sorted(SONGS_IN_OTHER_METERS))
def test_real_songs_in_other_meters_give_windows_only_on_their_bar_lines(real_dataset, song):
    dataset, _ = real_dataset
    expected = windows_on_real_bar_lines(REAL_CORPUS / f"{song}.mid")
    velocities, images = song_windows(dataset, song)
    assert sorted(velocities) == sorted(expected)
    for start, window in expected.items():
        assert np.array_equal(velocities[start], window), start
        assert np.array_equal(images[start], velocities_to_pixels(window)), start


@pytest.mark.skipif(not REAL_CORPUS.is_dir(), reason="../shared/data/mgla-midi is not here")
def test_real_songs_in_4_4_throughout_give_the_same_windows_as_before(real_dataset):
    dataset, _ = real_dataset
    others = sorted(set(dataset.song.tolist()) - SONGS_IN_OTHER_METERS)
    assert len(others) == 10
    for song in others:
        expected = windows_by_the_old_rule(REAL_CORPUS / f"{song}.mid")
        velocities, images = song_windows(dataset, song)
        assert sorted(velocities) == sorted(expected), song
        for start, window in expected.items():
            assert np.array_equal(velocities[start], window), (song, start)
            assert np.array_equal(images[start], velocities_to_pixels(window)), (song, start)


@pytest.mark.skipif(not REAL_CORPUS.is_dir(), reason="../shared/data/mgla-midi is not here")
def test_the_real_corpus_report_lists_the_four_songs_in_other_meters(real_dataset):
    _, report = real_dataset
    lines = report.meter_lines()
    assert "  exercises-in-futility-1: 155 bars in 4/4, 6 bars in 1/4 (not cut into windows), " \
           "123 windows" in lines
    assert {line.split(":")[0].strip() for line in lines[1:5]} == SONGS_IN_OTHER_METERS
