"""humanize.py (make humanize): a drum part keeps every note and takes the run's drummer's
timing and dynamics; bars in other meters, and drums the model never learned, stay as played."""
import dataclasses

import mido
import numpy as np
import pytest

import humanize as script
from drumroll.humanize import humanize
from drumroll.midi_in import read_drum_roll
from drumroll.models import load_gan
from drumroll.training import latest_checkpoint, train
from tests.midifiles import drum_track, meta_track, midi_file, signature
from tests.scripts import run_script

TPB = 480


@pytest.fixture(scope="module")
def song_run(tmp_path_factory, tiny_song_run):
    def drummer(windows):          # a drummer who plays late and every hit at 70 or 110
        windows.offsets = np.where(windows.images == 0, 60, 0).astype(np.int8)
        windows.velocities = np.where(windows.images == 0, np.where(
            np.arange(256) % 8 == 0, 110, 70), 0).astype(np.uint8)
    return tiny_song_run(tmp_path_factory.mktemp("humanize"), drummer)


def beat(path, bars=9, meters=None, channel=9):
    """A beat on the grid: kick on the beats, hi-hat (42) and its edge (22) on 8ths, at 100,
    on MIDI channel `channel` (0-15)."""
    hits = [(tick, 36, 100) for tick in range(0, bars * 4 * TPB, TPB)]
    hits += [(tick, 42 if tick % TPB else 22, 100) for tick in range(0, bars * 4 * TPB, TPB // 2)]
    hits += [(TPB, 81, 100)]                                       # a triangle: row 53
    midi = midi_file(*([meta_track(*meters)] if meters else []), drum_track(hits, channel))
    midi.save(path)
    return path


def note_ons(path):
    """[(note, tick, velocity)] of a file's drum hits, in time order."""
    found, tick = [], 0
    for message in mido.merge_tracks(mido.MidiFile(path).tracks):
        tick += message.time
        if message.type == "note_on" and message.velocity:
            found.append((message.note, tick, message.velocity))
    return sorted(found, key=lambda hit: (hit[1], hit[0]))


def humanize_files(capsys, *argv):
    return run_script(script.main, capsys, *argv)


def test_every_note_is_kept_and_plays_with_the_drummers_feel(song_run, tmp_path, capsys):
    code, out, _ = humanize_files(capsys, beat(tmp_path / "my beat.mid"), "--run", song_run,
                                  "--out", tmp_path / "out", "--no-wav")
    assert code == 0 and "my beat.mid, 9 bars humanized" in out        # the last ends early
    before, after = note_ons(tmp_path / "my beat.mid"), note_ons(tmp_path / "out" / "humanized-01.mid")
    assert sorted(note for note, _, _ in before) == sorted(note for note, _, _ in after)
    assert {velocity for _, _, velocity in after} != {100}          # the drummer's dynamics
    assert sorted((tmp_path / "out").iterdir()) == sorted(
        tmp_path / "out" / name for name in ("humanized-01.mid", "humanized-01.png",
                                             "humanized-01.svg", "index.html"))


def test_drums_on_another_channel_are_humanized_when_it_is_given(song_run, tmp_path, capsys):
    path = beat(tmp_path / "ch2.mid", channel=1)
    code, _, err = humanize_files(capsys, path, "--run", song_run, "--out", tmp_path / "a",
                                  "--no-wav")
    assert code == 1 and "no drum notes on MIDI channel 10" in err and "channel 2" in err
    code, _, _ = humanize_files(capsys, path, "--run", song_run, "--channel", "2",
                                "--out", tmp_path / "b", "--no-wav")
    assert code == 0
    assert sorted(n for n, _, _ in note_ons(path)) == sorted(
        n for n, _, _ in note_ons(tmp_path / "b" / "humanized-01.mid"))


def test_bars_in_another_meter_keep_their_timing_and_velocity(song_run, tmp_path):
    gan = load_gan(latest_checkpoint(song_run))
    meters = [signature(0, 4, 4), signature(9 * 4 * TPB, 7, 8)]
    roll = read_drum_roll(beat(tmp_path / "m.mid", bars=10, meters=meters))
    done = humanize(gan, roll, np.random.default_rng(0), steps=3)
    assert roll.bars.meters()[9:] == [(7, 8), (7, 8)]
    assert done.bars == 9 and done.kept_bars == 2
    last = slice(9 * 32, None)
    assert np.array_equal(done.roll.velocities[:, last], roll.velocities[:, last])
    assert np.array_equal(done.roll.offsets[:, last], roll.offsets[:, last])
    assert np.array_equal(done.roll.hits, roll.hits) and np.array_equal(done.roll.notes,
                                                                        roll.notes)


def test_a_file_keeps_its_own_level_and_takes_his_accents_around_it(song_run, tmp_path):
    gan = load_gan(latest_checkpoint(song_run))
    loud = read_drum_roll(beat(tmp_path / "b.mid"))                     # every hit at 100
    soft = dataclasses.replace(loud, velocities=loud.velocities // 2)   # the same beat at 50
    played = [humanize(gan, roll, np.random.default_rng(0), steps=3).roll.velocities[0]
              for roll in (loud, soft)]                                 # the kick
    hits = loud.velocities[0] > 0
    np.testing.assert_allclose(played[1][hits], played[0][hits] / 2, atol=1)
    assert played[0][hits].mean() > 85                                  # his usual level is 70


def test_drums_the_model_never_learned_stay_as_played(song_run, tmp_path):
    gan = load_gan(latest_checkpoint(song_run))
    roll = read_drum_roll(beat(tmp_path / "b.mid"))
    done = humanize(gan, roll, np.random.default_rng(0), steps=3)
    triangle = 53 - 36                                              # never in the tiny data
    assert done.kept_notes == 1
    assert done.roll.velocities[triangle, 8] == 100 and done.roll.offsets[triangle, 8] == 0


def test_a_model_without_feel_cannot_humanize(tmp_path, capsys, tiny_config, tiny_images,
                                              quiet):
    train(tiny_config(iterations=1), tiny_images(), tmp_path / "bars", log=quiet)
    capsys.readouterr()
    code, _, err = humanize_files(capsys, beat(tmp_path / "b.mid"), "--run", tmp_path / "bars",
                                  "--out", tmp_path / "out")
    assert code == 1 and "learns no timing or dynamics" in err and err.count("\n") == 1


def test_a_file_that_cannot_be_read_is_named_and_the_others_go_on(song_run, tmp_path, capsys):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "bad.mid").write_bytes(b"not midi")
    beat(tmp_path / "in" / "good.mid")
    code, out, err = humanize_files(capsys, tmp_path / "in", "--run", song_run, "--out",
                                    tmp_path / "out", "--no-wav")
    assert code == 1 and "bad.mid: not a MIDI file" in err
    assert "humanized 1 file" in out and "1 file could not be read" in out
