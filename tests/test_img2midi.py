"""img2midi.py: drum-roll PNGs -> MIDI that sequencers load; exact inverse of midi2img."""
import pathlib

import mido
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp
from PIL import Image

import img2midi
from drumroll.dataset import build_dataset, save_dataset
from drumroll.format import NUM_ROWS, WINDOW_STEPS, hits_to_pixels
from drumroll.generate import images_to_midi
from drumroll.images import read_png, write_png
from drumroll.midi_in import find_midi_files, midi_to_roll, scan_midi
from tests.midifiles import performance
from tests.scripts import run_script

ROOT = pathlib.Path(__file__).resolve().parent.parent
REAL_CORPUS = ROOT.parent / "shared" / "data" / "mgla-midi"


def drum_roll_image(seed=0, steps=WINDOW_STEPS, density=0.05):
    rng = np.random.default_rng(seed)
    return hits_to_pixels(rng.random((NUM_ROWS, steps)) < density)


def run_main(argv, capsys):
    return run_script(img2midi.main, capsys, *argv)


def note_events(path):
    """[(absolute tick, type, note)] of the drum track."""
    midi = mido.MidiFile(path)
    tick, events = 0, []
    for message in midi.tracks[1]:
        tick += message.time
        if message.type in ("note_on", "note_off"):
            events.append((tick, message.type, message.note))
    return midi, events, tick


def test_each_image_becomes_a_midi_file_with_its_stem(tmp_path, capsys):
    for index in range(3):
        write_png(tmp_path / f"roll_{index}.png", drum_roll_image(index))
    code, stdout, _ = run_main([tmp_path / "roll_0.png", tmp_path / "roll_1.png",
                                tmp_path / "roll_2.png", "--out", tmp_path / "midi"], capsys)
    assert code == 0
    assert sorted(p.name for p in (tmp_path / "midi").iterdir()) == \
        ["roll_0.mid", "roll_1.mid", "roll_2.mid"]
    assert "wrote 3 MIDI files" in stdout


def test_notes_and_timings_are_what_the_image_says(tmp_path, capsys):
    pixels = drum_roll_image(5)
    write_png(tmp_path / "a.png", pixels)
    run_main([tmp_path / "a.png", "--out", tmp_path, "--bpm", 180], capsys)
    midi, events, end = note_events(tmp_path / "a.mid")
    expected = sorted((step * 60, row + 36) for row, step in zip(*np.nonzero(pixels == 0)))
    assert sorted((t, n) for t, kind, n in events if kind == "note_on") == expected
    assert sorted((t - 60, n) for t, kind, n in events if kind == "note_off") == expected
    assert midi.type == 1 and midi.ticks_per_beat == 480
    assert end == WINDOW_STEPS * 60                        # exactly 8 bars
    tempo = [m.tempo for m in midi.tracks[0] if m.type == "set_tempo"]
    assert tempo == [mido.bpm2tempo(180)]
    assert midi.length == pytest.approx(8 * 4 * 60 / 180)


def test_threshold_option_decides_which_pixels_are_hits(tmp_path, capsys):
    pixels = np.full((NUM_ROWS, 32), 255, np.uint8)
    pixels[0, 0], pixels[1, 1], pixels[2, 2] = 0, 100, 200
    write_png(tmp_path / "grey.png", pixels)
    for threshold, notes in ((128, {36, 37}), (50, {36}), (250, {36, 37, 38})):
        run_main([tmp_path / "grey.png", "--out", tmp_path, "--threshold", threshold], capsys)
        _, events, _ = note_events(tmp_path / "grey.mid")
        assert {n for _, kind, n in events if kind == "note_on"} == notes


def test_blank_option_silences_notes(tmp_path, capsys):
    pixels = np.full((NUM_ROWS, 32), 255, np.uint8)
    pixels[[0, 2, 3, 4], 0] = 0
    write_png(tmp_path / "b.png", pixels)
    run_main([tmp_path / "b.png", "--out", tmp_path, "--blank", "39-40,100"], capsys)
    _, events, _ = note_events(tmp_path / "b.mid")
    assert {n for _, kind, n in events if kind == "note_on"} == {36, 38}


def test_folders_and_globs_are_expanded(tmp_path, capsys):
    (tmp_path / "imgs").mkdir()
    for name in ("x.png", "y.png"):
        write_png(tmp_path / "imgs" / name, drum_roll_image())
    write_png(tmp_path / "z.png", drum_roll_image())
    code, _, _ = run_main([tmp_path / "imgs", str(tmp_path / "z*.png"), "--out",
                           tmp_path / "out"], capsys)
    assert code == 0
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["x.mid", "y.mid", "z.mid"]


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 512).flatmap(lambda steps: hnp.arrays(bool, (NUM_ROWS, steps))))
def test_image_to_midi_to_image_gives_back_the_same_pixels(tmp_path_factory, hits):
    folder = tmp_path_factory.mktemp("roundtrip")
    hits[0, 0] = True          # a drum roll without any hit is not a drum track
    pixels = hits_to_pixels(hits)
    write_png(folder / "r.png", pixels)
    assert img2midi.main([str(folder / "r.png"), "--out", str(folder)]) == 0
    roll = midi_to_roll(mido.MidiFile(folder / "r.mid"))
    assert np.array_equal(hits_to_pixels(roll.hits), pixels)


# ---- bad input ----

def test_a_file_that_is_not_an_image_fails_alone_with_one_line(tmp_path, capsys):
    write_png(tmp_path / "good.png", drum_roll_image())
    (tmp_path / "bad.png").write_text("no pixels here")
    code, stdout, stderr = run_main([tmp_path / "bad.png", tmp_path / "good.png",
                                     "--out", tmp_path / "o"], capsys)
    assert code == 1
    assert stderr.splitlines() == [f"error: {tmp_path / 'bad.png'}: not a readable image "
                                   f"(unknown file format)"]
    assert [p.name for p in (tmp_path / "o").iterdir()] == ["good.mid"]
    assert "wrote 1 MIDI file to" in stdout
    assert "; 1 image failed" in stdout


def test_an_image_of_the_wrong_height_is_refused(tmp_path, capsys):
    Image.fromarray(np.zeros((24, 256), np.uint8)).save(tmp_path / "short.png")
    code, _, stderr = run_main([tmp_path / "short.png", "--out", tmp_path / "o"], capsys)
    assert code == 1
    assert "short.png: image is 24 pixels high, a drum roll is 25" in stderr
    assert not (tmp_path / "o").exists()


def test_a_colour_image_is_converted(tmp_path, capsys):
    rgb = np.full((NUM_ROWS, 64, 3), 255, np.uint8)
    rgb[0, 0] = (200, 0, 0)       # dark red: a hit
    rgb[1, 1] = (255, 255, 0)     # yellow: light, not a hit
    Image.fromarray(rgb).save(tmp_path / "colour.png")
    code, _, _ = run_main([tmp_path / "colour.png", "--out", tmp_path], capsys)
    assert code == 0
    _, events, _ = note_events(tmp_path / "colour.mid")
    assert [(t, n) for t, kind, n in events if kind == "note_on"] == [(0, 36)]


def test_an_unwritable_output_folder_fails_with_one_line(tmp_path, capsys):
    write_png(tmp_path / "a.png", drum_roll_image())
    (tmp_path / "blocker").write_text("x")
    code, _, stderr = run_main([tmp_path / "a.png", "--out", tmp_path / "blocker"], capsys)
    assert code == 1
    assert stderr.startswith(f"error: {tmp_path / 'blocker'}: cannot create output folder")


def test_a_folder_of_images_none_of_which_converts_leaves_no_folder_and_a_short_report(
        tmp_path, capsys):
    for index in range(30):
        write_png(tmp_path / f"roll_{index:02d}.png", drum_roll_image(index))
    code, _, stderr = run_main([tmp_path, "--out", tmp_path / "out", "--notes", "36-37"], capsys)
    lines = stderr.splitlines()
    assert code == 1 and not (tmp_path / "out").exists()
    assert lines[0] == "failed 30 files: image is 25 pixels high, a drum roll is 2; e.g."
    assert lines[-1] == "error: no image could be converted (30 images failed)"
    assert len(lines) == 5


def test_two_images_of_one_name_in_two_folders_never_write_over_each_other(tmp_path, capsys):
    for folder, seed in (("a", 1), ("b", 2)):
        (tmp_path / folder).mkdir()
        write_png(tmp_path / folder / "x.png", drum_roll_image(seed))
    code, stdout, stderr = run_main([tmp_path / "a", tmp_path / "b", "--out", tmp_path / "out"],
                                    capsys)
    assert code == 1 and "wrote 1 MIDI file" in stdout
    assert f"error: {tmp_path / 'b' / 'x.png'}: x.mid is already written from " in stderr
    first = midi_to_roll(mido.MidiFile(tmp_path / "out" / "x.mid")).velocities > 0
    assert np.array_equal(first, read_png(tmp_path / "a" / "x.png") < 128)


def test_no_images_given_fails_with_usage(capsys):
    code, _, stderr = run_main([], capsys)
    assert code == 1 and "no images given" in stderr


def test_a_missing_image_fails_with_its_name(tmp_path, capsys):
    code, _, stderr = run_main([tmp_path / "gone.png", "--out", tmp_path], capsys)
    assert code == 1 and stderr == f"error: {tmp_path / 'gone.png'}: no such file\n"


def test_out_of_range_options_are_refused(tmp_path, capsys):
    write_png(tmp_path / "a.png", drum_roll_image())
    for option in (["--velocity", "0"], ["--bpm", "0"], ["--bpm", "3"], ["--threshold", "999"]):
        code, _, stderr = run_main([tmp_path / "a.png", "--out", tmp_path / "out", *option],
                                   capsys)
        assert code == 1 and option[0] in stderr and stderr.count("\n") == 1
        assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("blank", ["200", "40-37", "-1", "x"])
def test_blank_notes_outside_midi_or_a_range_going_down_are_refused(tmp_path, capsys, blank):
    write_png(tmp_path / "a.png", drum_roll_image())
    with pytest.raises(SystemExit) as exit_info:
        img2midi.main([str(tmp_path / "a.png"), "--out", str(tmp_path / "out"), "--blank", blank])
    assert exit_info.value.code == 2 and "--blank" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_help_describes_the_options(capsys):
    with pytest.raises(SystemExit) as exit_info:
        img2midi.main(["--help"])
    assert exit_info.value.code == 0
    text = capsys.readouterr().out
    for option in ("--out", "--bpm", "--threshold", "--blank", "--replace"):
        assert option in text
    assert "never mixes with another" in text      # what a generation does with --out
    assert "dataset.npz" in text                   # a dataset's songs back as played


# ---- a dataset's songs, as they were played ----

@pytest.fixture
def played_dataset(tmp_path):
    """A dataset folder of two e-kit takes -> (its folder, {song: [(tick, note, velocity)]})."""
    hits = {}
    for seed in (0, 1):
        midi, hits[f"take{seed}"] = performance(seed=seed)
        midi.save(tmp_path / f"take{seed}.mid")
    dataset, _ = build_dataset([str(tmp_path / "take0.mid"), str(tmp_path / "take1.mid")])
    (tmp_path / "data").mkdir()
    save_dataset(tmp_path / "data" / "dataset.npz", dataset)
    return tmp_path / "data", hits


def test_a_dataset_becomes_one_midi_file_per_song_as_it_was_played(played_dataset, tmp_path,
                                                                    capsys):
    folder, hits = played_dataset
    code, stdout, _ = run_main([folder / "dataset.npz", "--out", tmp_path / "songs"], capsys)
    assert code == 0
    assert stdout == f"{folder / 'dataset.npz'}: wrote 2 songs as played to {tmp_path / 'songs'}\n"
    for song, song_hits in hits.items():
        events = scan_midi(mido.MidiFile(tmp_path / "songs" / f"{song}.mid"))
        assert sorted(zip(events.ticks.tolist(), events.notes.tolist(),
                          events.velocities.tolist())) == song_hits


def test_a_dataset_folder_stands_for_its_dataset_and_its_songs_go_beside_it(played_dataset,
                                                                           capsys):
    folder, _ = played_dataset
    code, _, _ = run_main([folder], capsys)
    assert code == 0
    assert sorted(path.name for path in (folder / "midi").iterdir()) == ["take0.mid", "take1.mid"]


def test_a_dataset_is_not_written_into_a_folder_holding_files_unless_replacing(played_dataset,
                                                                              tmp_path, capsys):
    folder, _ = played_dataset
    (tmp_path / "songs").mkdir()
    (tmp_path / "songs" / "old.mid").write_bytes(b"MThd")
    code, _, stderr = run_main([folder, "--out", tmp_path / "songs"], capsys)
    assert code == 1 and stderr.count("\n") == 1 and "--replace" in stderr
    code, _, _ = run_main([folder, "--out", tmp_path / "songs", "--replace"], capsys)
    assert code == 0
    assert sorted(path.name for path in (tmp_path / "songs").iterdir()) == \
        ["take0.mid", "take1.mid"]


@pytest.mark.parametrize("option", [["--bpm", "100"], ["--velocity", "90"], ["--blank", "36"]])
def test_options_that_would_change_a_played_song_are_refused(played_dataset, tmp_path, capsys,
                                                             option):
    folder, _ = played_dataset
    code, _, stderr = run_main([folder, "--out", tmp_path / "songs", *option], capsys)
    assert code == 1 and stderr.startswith(f"error: {option[0]}: a dataset's songs are written")
    assert not (tmp_path / "songs").exists()


def test_a_dataset_and_images_together_are_refused(played_dataset, tmp_path, capsys):
    folder, _ = played_dataset
    write_png(tmp_path / "a.png", drum_roll_image())
    code, _, stderr = run_main([folder / "dataset.npz", tmp_path / "a.png"], capsys)
    assert code == 1 and "give one dataset, or images, not both" in stderr


def test_a_dataset_of_an_older_format_is_refused_with_make_dataset(tmp_path, capsys):
    np.savez(tmp_path / "old.npz", version=np.int64(2), images=np.zeros((1, 25, 256), np.uint8))
    code, _, stderr = run_main([tmp_path / "old.npz", "--out", tmp_path / "songs"], capsys)
    assert code == 1 and "run `make dataset` again" in stderr


@pytest.mark.skipif(not REAL_CORPUS.is_dir(), reason="../shared/data/mgla-midi is not here")
def test_real_corpus_windows_survive_image_midi_image(tmp_path):
    files = find_midi_files([REAL_CORPUS])[:2]
    dataset, report = build_dataset(files)
    assert not report.skipped
    chosen = np.linspace(0, len(dataset) - 1, 40).astype(int)
    names = [dataset.names()[i] for i in chosen]
    images_to_midi(zip(names, dataset.images[chosen]), tmp_path)
    again, again_report = build_dataset([str(tmp_path / f"{name}.mid") for name in names])
    assert not again_report.skipped
    assert again.start.tolist() == [0] * len(chosen)
    assert np.array_equal(again.images, dataset.images[chosen])
