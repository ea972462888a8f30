"""song.py (make song): whole songs as MIDI, WAV and picture; forms, primers and bad input."""
import re

import mido
import numpy as np
import pytest

import song
from drumroll.dataset import load_dataset
from drumroll.midi_in import read_drum_roll
from drumroll.midi_out import roll_to_midi
from drumroll.training import train
from tests.midifiles import meta_track, midi_file, signature
from tests.scripts import run_script


@pytest.fixture(scope="module")
def song_run(tmp_path_factory, write_tiny_dataset, tiny_config, quiet):
    folder = tmp_path_factory.mktemp("song")
    write_tiny_dataset(folder / "data.npz")
    dataset = load_dataset(folder / "data.npz")
    windows = dataset.training_windows(np.ones(len(dataset), dtype=bool))
    train(tiny_config("song", iterations=2), windows, folder / "run", log=quiet)
    return folder / "run"


def write_songs(capsys, *argv):
    return run_script(song.main, capsys, *argv)


def test_songs_are_written_as_midi_wav_and_picture_with_their_form(song_run, tmp_path, capsys):
    code, out, _ = write_songs(capsys, "--run", song_run, "--num", "2", "--bars", "12",
                               "--out", tmp_path)
    assert code == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [f"song-0{i}.{ext}" for i in (1, 2) for ext in ("mid", "png", "svg", "wav")]
        + ["index.html"])
    assert f"{tmp_path}/song-01.mid: form " in out


def test_a_songs_picture_is_headed_by_its_form_and_drawn_in_lines_of_8_bars(song_run, tmp_path,
                                                                         capsys):
    write_songs(capsys, "--run", song_run, "--num", "1", "--form", "A12 B4 A8", "--no-wav",
                "--out", tmp_path)
    svg = (tmp_path / "song-01.svg").read_text()
    assert "song-01: form A12 B4 A8" in svg
    assert "song-01, bars 1-8" in svg and "song-01, bars 17-24" in svg
    # the section letters above the bars: A starts, goes on into line 2, B and A start there
    assert re.findall(r'class="section"[^>]*>(\w+)<', svg) == ["A", "A", "B", "A"]
    assert svg.count('class="section-start"') == 3


def test_a_primers_bars_are_marked_on_the_songs_picture(song_run, tmp_path, capsys):
    primer = write_primer(tmp_path / "primer.mid", 3)
    write_songs(capsys, "--run", song_run, "--primer", primer, "--num", "1", "--form", "A5",
                "--no-wav", "--out", tmp_path / "out")
    svg = (tmp_path / "out" / "song-01.svg").read_text()
    assert re.findall(r'class="section"[^>]*>(\w+)<', svg) == ["primer", "A"]


def test_a_songs_midi_lasts_exactly_its_bars(song_run, tmp_path, capsys):
    write_songs(capsys, "--run", song_run, "--num", "1", "--form", "A4 B2 A4", "--bpm", "120",
                "--no-wav", "--out", tmp_path)
    assert mido.MidiFile(tmp_path / "song-01.mid").length == pytest.approx(10 * 4 * 60 / 120)


def test_song_velocities_are_midi_velocities_and_can_be_forced(song_run, tmp_path, capsys):
    write_songs(capsys, "--run", song_run, "--num", "1", "--no-wav", "--out", tmp_path / "own")
    write_songs(capsys, "--run", song_run, "--num", "1", "--no-wav", "--out", tmp_path / "one",
                "--velocity", "100")
    own = read_drum_roll(tmp_path / "own" / "song-01.mid").velocities
    forced = read_drum_roll(tmp_path / "one" / "song-01.mid").velocities
    assert own.max() <= 127 and own[own > 0].min() >= 1
    assert set(np.unique(forced[forced > 0])) == {100}


def test_the_same_seed_writes_the_same_song(song_run, tmp_path, capsys):
    for name, seed in (("a", 3), ("b", 3), ("c", 4)):
        write_songs(capsys, "--run", song_run, "--num", "1", "--bars", "16", "--seed", seed,
                    "--no-wav", "--out", tmp_path / name)
    same = (tmp_path / "a" / "song-01.mid").read_bytes()
    assert same == (tmp_path / "b" / "song-01.mid").read_bytes()
    assert same != (tmp_path / "c" / "song-01.mid").read_bytes()


@pytest.mark.parametrize("form, message", [
    ("A8 B", "error: --form: 'B' is not a section"),
    ("A0", "error: --form: 'A0': a section has at least one bar"),
    ("", "error: --form: the form is empty")])
def test_a_bad_form_is_a_one_line_error(song_run, tmp_path, capsys, form, message):
    code, _, err = write_songs(capsys, "--run", song_run, "--form", form, "--out", tmp_path)
    assert code == 1 and err.startswith(message) and err.count("\n") == 1


@pytest.mark.parametrize("bpm", ["1", "3.5", "1001", "nan"])
def test_a_tempo_a_midi_file_cannot_hold_is_refused_before_anything_is_written(
        song_run, tmp_path, capsys, bpm):
    code, _, err = write_songs(capsys, "--run", song_run, "--bpm", bpm, "--out", tmp_path / "out")
    assert code == 1 and err.startswith(f"error: --bpm {bpm}: a tempo is 3.5763 to 1,000")
    assert err.count("\n") == 1 and not (tmp_path / "out").exists()


def test_a_form_and_bars_that_disagree_are_refused(song_run, tmp_path, capsys):
    code, _, err = write_songs(capsys, "--run", song_run, "--form", "A8 B8", "--bars", "12",
                               "--out", tmp_path)
    assert code == 1 and "--form has 16 bars but --bars says 12" in err


def write_primer(path, bars, meters=None):
    hits = np.zeros((25, bars * 32), dtype=bool)
    hits[0, ::8] = hits[2, 8::16] = True
    midi = roll_to_midi(hits)
    if meters is not None:
        midi.tracks[0] = meta_track(*meters)
    midi.save(path)
    return path


def test_a_primer_is_kept_at_the_start_and_the_song_goes_on(song_run, tmp_path, capsys):
    primer = write_primer(tmp_path / "primer.mid", 3)
    code, out, _ = write_songs(capsys, "--run", song_run, "--primer", primer, "--num", "1",
                               "--bars", "8", "--no-wav", "--out", tmp_path / "out")
    assert code == 0 and "after the primer's 3 bars (the model's closest window plays" in out
    written = read_drum_roll(tmp_path / "out" / "song-01.mid").velocities
    assert written.shape[1] == 11 * 32
    assert np.array_equal(written[:, :96] > 0, read_drum_roll(primer).velocities > 0)


def test_a_song_after_a_primer_plays_at_the_primers_tempo(song_run, tmp_path, capsys):
    hits = np.zeros((25, 3 * 32), dtype=bool)
    hits[0, ::8] = True
    roll_to_midi(hits, bpm=152).save(tmp_path / "primer.mid")
    code, _, err = write_songs(capsys, "--run", song_run, "--primer", tmp_path / "primer.mid",
                               "--num", "1", "--bars", "8", "--no-wav", "--out", tmp_path / "o")
    assert code == 0 and "playing at 152 bpm, the primer's tempo" in err
    assert mido.MidiFile(tmp_path / "o" / "song-01.mid").length == pytest.approx(11 * 4 * 60 / 152)


def test_a_primer_in_cut_time_is_continued_as_4_4(song_run, tmp_path, capsys):
    primer = write_primer(tmp_path / "primer.mid", 3, [signature(0, 2, 2)])
    code, out, _ = write_songs(capsys, "--run", song_run, "--primer", primer, "--num", "1",
                               "--bars", "8", "--no-wav", "--out", tmp_path / "out")
    assert code == 0 and "after the primer's 3 bars" in out


@pytest.mark.parametrize("make, message", [
    (lambda p: p.write_bytes(b"not midi at all"), "not a MIDI file"),
    (lambda p: midi_file(meta_track()).save(p), "no drum notes"),
    (lambda p: write_primer(p, 1), "1 bar(s) of drums; a primer needs at least 2"),
    (lambda p: write_primer(p, 4, [(0, mido.MetaMessage("set_tempo", tempo=0))]),
     "a tempo of 0 microseconds per beat"),
    (lambda p: write_primer(p, 4, [signature(0, 4, 4), signature(1920, 2, 4),
                                   signature(2880, 4, 4)]), "bar 2 is in 2/4")])
def test_a_primer_that_cannot_be_continued_is_a_one_line_error(song_run, tmp_path, capsys,
                                                               make, message):
    path = tmp_path / "primer.mid"
    make(path)
    code, _, err = write_songs(capsys, "--run", song_run, "--primer", path, "--out",
                               tmp_path / "out")
    assert code == 1 and message in err and "primer.mid" in err and err.count("\n") == 1
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("arch, article", [("bars", "a"), ("original", "an")])
def test_a_model_that_writes_only_patterns_is_refused(tmp_path, capsys, tiny_config,
                                                      tiny_images, quiet, arch, article):
    train(tiny_config(arch, iterations=1, batch=2), tiny_images(2), tmp_path / arch, log=quiet)
    code, _, err = write_songs(capsys, "--run", tmp_path / arch, "--out", tmp_path / "out")
    assert code == 1 and f"{article} {arch} model writes 8-bar patterns, not songs" in err


@pytest.mark.parametrize("options, message", [
    (["--form", "A1500"], "--form: the form has 1,500 bars, more than the 1,000 a song may have"),
    (["--form", "Z999999"], "--form: the form has 999,999 bars, more than the 1,000 a song may "
                            "have"),
    (["--bars", "1500"], "--bars 1500: give 1 to 1,000 bars per song"),
    (["--num", "100000"], "--num 100000: give 1 to 1,000 songs per generation (each is a PNG, an "
                          "SVG, a MIDI file and a WAV)")])
def test_one_limit_on_songs_one_message_before_the_model_is_loaded(tmp_path, capsys, options,
                                                                   message):
    code, _, err = write_songs(capsys, "--run", tmp_path / "no run", *options, "--out",
                               tmp_path / "out")
    assert code == 1 and err == f"error: {message}\n"


def test_a_primer_and_a_form_together_longer_than_a_song_may_be_are_refused(song_run, tmp_path,
                                                                           capsys):
    primer = write_primer(tmp_path / "primer.mid", 3)
    code, _, err = write_songs(capsys, "--run", song_run, "--primer", primer, "--form", "A999",
                               "--out", tmp_path / "out")
    assert code == 1 and err == ("error: the songs would have 1,002 bars (999 and the primer's "
                                 "3), more than the 1,000 a song may have\n")


def test_without_wavs_the_page_is_to_see_them_and_the_tempo_is_a_note(song_run, tmp_path, capsys):
    code, out, err = write_songs(capsys, "--run", song_run, "--num", "1", "--bars", "4",
                                 "--no-wav", "--out", tmp_path)
    assert code == 0 and out.endswith(f"open {tmp_path / 'index.html'} to see them\n")
    assert err.startswith("note: playing at ") and "warning" not in err


@pytest.mark.parametrize("option, message", [
    (["--density", "5"], "--density 5: give -1 to 1"), (["--fills", "-1"], "--fills -1: give 0 to 2"),
    (["--variation", "3"], "--variation 3: give 0 to 2"),
    (["--redo", "0"], "--redo 0: sections are numbered from 1"),
    (["--redo-seed", "3"], "--redo-seed goes with --redo N")])
def test_a_control_out_of_range_is_a_one_line_usage_error(song_run, tmp_path, capsys, option,
                                                          message):
    code, _, err = write_songs(capsys, "--run", song_run, "--out", tmp_path / "o", *option)
    assert code == 2 and message in err and not (tmp_path / "o").exists()


def test_an_unknown_section_mark_is_a_one_line_error(song_run, tmp_path, capsys):
    code, _, err = write_songs(capsys, "--run", song_run, "--form", "A8 B8*", "--out", tmp_path)
    assert code == 1 and "'B8*' is not a section" in err and err.count("\n") == 1


def test_redoing_a_section_the_form_does_not_have_is_refused(song_run, tmp_path, capsys):
    code, _, err = write_songs(capsys, "--run", song_run, "--form", "A8 B8", "--redo", "3",
                               "--out", tmp_path / "o")
    assert code == 1 and "--redo 3: a song has only 2 sections (A8 B8)" in err


def test_a_redone_section_leaves_every_other_bar_as_it_was(song_run, tmp_path, capsys):
    form = ["--form", "A8 B8 A8", "--seed", "7", "--no-wav", "--num", "1"]
    write_songs(capsys, "--run", song_run, *form, "--out", tmp_path / "a")
    write_songs(capsys, "--run", song_run, *form, "--redo", "2", "--redo-seed", "8",
                "--out", tmp_path / "b")
    a = read_drum_roll(tmp_path / "a" / "song-01.mid")
    b = read_drum_roll(tmp_path / "b" / "song-01.mid")
    for kept in (slice(0, 256), slice(512, 768)):
        assert np.array_equal(a.velocities[:, kept], b.velocities[:, kept])
        assert np.array_equal(a.offsets[:, kept], b.offsets[:, kept])


def test_the_controls_are_on_the_page_and_in_every_file(song_run, tmp_path, capsys):
    code, _, _ = write_songs(capsys, "--run", song_run, "--form", "A8 B8+", "--density", "0.5",
                             "--fills", "0", "--num", "1", "--no-wav", "--out", tmp_path)
    assert code == 0
    page = (tmp_path / "index.html").read_text()
    assert "density 0.5, fills 0, variation 1" in page and "--density 0.5" in page
    texts = [m.text for m in mido.MidiFile(tmp_path / "song-01.mid").tracks[0] if m.type == "text"]
    assert texts and "--form 'A8 B8+' --density 0.5 --fills 0" in texts[0]
