"""New tracks from a trained model (img2midi.py --checkpoint) and images written as MIDI."""
import pathlib

import mido
import numpy as np
import pytest

import img2midi
from drumroll.format import LOWEST_NOTE, MIDI_TICKS_PER_BEAT, NUM_ROWS, hits_to_pixels
from drumroll.generate import images_to_midi, sample_tracks
from drumroll.midi_in import midi_to_roll
from drumroll.models import load_gan
from drumroll.training import checkpoint_paths
from drumroll.training import train


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory, tiny_configs, tiny_images, quiet):
    folder = tmp_path_factory.mktemp("gen") / "run"
    train(*tiny_configs(iterations=2), tiny_images(), folder, log=quiet)
    return folder


def generate(run_dir, out, *extra):
    return img2midi.main(["--checkpoint", str(run_dir), "--out", str(out), *extra])


def notes_on(path):
    midi = mido.MidiFile(path)
    return [m for track in midi.tracks for m in track if m.type == "note_on" and m.velocity > 0]


def test_generation_writes_a_png_a_midi_and_a_wav_per_track(run_dir, tmp_path):
    assert generate(run_dir, tmp_path, "--num", "3") == 0
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == [f"track-0{i}.{ext}" for i in (1, 2, 3) for ext in ("mid", "png", "wav")]
    midi = mido.MidiFile(tmp_path / "track-01.mid")
    assert midi.ticks_per_beat == MIDI_TICKS_PER_BEAT
    assert midi.length == pytest.approx(8 * 4 * 60 / 140)      # 8 bars at 140 bpm


def test_no_wav_writes_only_png_and_midi(run_dir, tmp_path):
    generate(run_dir, tmp_path, "--num", "1", "--no-wav")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["track-01.mid", "track-01.png"]


def test_the_same_seed_writes_the_same_tracks(run_dir, tmp_path):
    generate(run_dir, tmp_path / "a", "--num", "2", "--no-wav", "--seed", "5")
    generate(run_dir, tmp_path / "b", "--num", "2", "--no-wav", "--seed", "5")
    generate(run_dir, tmp_path / "c", "--num", "2", "--no-wav", "--seed", "6")
    same = (tmp_path / "a" / "track-02.mid").read_bytes()
    assert same == (tmp_path / "b" / "track-02.mid").read_bytes()
    assert same != (tmp_path / "c" / "track-02.mid").read_bytes()


def test_bars_chains_samples_into_a_longer_track(run_dir, tmp_path):
    generate(run_dir, tmp_path, "--num", "1", "--bars", "12", "--no-wav")
    midi = mido.MidiFile(tmp_path / "track-01.mid")
    assert midi.length == pytest.approx(12 * 4 * 60 / 140)


def test_generated_tracks_only_use_notes_of_the_training_data(run_dir, tmp_path, rows):
    generate(run_dir, tmp_path, "--num", "4", "--no-wav")
    used = {LOWEST_NOTE + row for row in rows}
    notes = {m.note for i in range(1, 5) for m in notes_on(tmp_path / f"track-0{i}.mid")}
    assert notes and notes <= used


def test_a_missing_run_is_a_one_line_error(tmp_path):
    with pytest.raises(img2midi.UserError, match="nothing: no such run folder or checkpoint file"):
        generate(tmp_path / "nothing", tmp_path / "out")


def test_images_become_one_midi_file_each_with_exactly_their_hits(tmp_path):
    rng = np.random.default_rng(1)
    images = [(f"gen_00{i}", hits_to_pixels(rng.random((NUM_ROWS, 256)) < 0.05))
              for i in range(2)]
    written = images_to_midi(images, tmp_path, bpm=200)
    assert [pathlib.Path(p).name for p in written] == ["gen_000.mid", "gen_001.mid"]
    roll = midi_to_roll(mido.MidiFile(written[1]))
    assert np.array_equal(hits_to_pixels(roll.hits), images[1][1])


def test_blank_notes_are_silenced_whatever_the_threshold(tmp_path):
    pixels = np.zeros((NUM_ROWS, 32), dtype=np.uint8)          # every cell a hit
    [path] = images_to_midi([("all", pixels)], tmp_path, threshold=256, blank_notes=[36, 38])
    notes = {m.note for m in notes_on(path)}
    assert 36 not in notes and 38 not in notes and 37 in notes


def test_sampled_tracks_are_samples_side_by_side_cut_to_the_bars(run_dir):
    gan = load_gan(checkpoint_paths(run_dir)[-1])
    tracks = sample_tracks(gan, 2, 12, np.random.default_rng(0))
    samples = gan.sample(4, rng=np.random.default_rng(0))     # 2 tracks x 2 samples
    assert tracks.shape == (2, 25, 12 * 32)
    np.testing.assert_array_equal(tracks[1, :, :256], samples[2])
    np.testing.assert_array_equal(tracks[1, :, 256:], samples[3][:, :128])
