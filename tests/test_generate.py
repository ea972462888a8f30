"""img2midi.py --checkpoint: new tracks from a trained model as PNG, MIDI and WAV."""
import mido
import pytest

import img2midi
from drumroll.format import LOWEST_NOTE, MIDI_TICKS_PER_BEAT
from gan_numpy.training import train
from tests.test_dcgan import ROWS, tiny_images
from tests.test_training import config, quiet


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("gen") / "run"
    train(config(iterations=2), tiny_images(), folder, log=quiet)
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


def test_generated_tracks_only_use_notes_of_the_training_data(run_dir, tmp_path):
    generate(run_dir, tmp_path, "--num", "4", "--no-wav")
    used = {LOWEST_NOTE + row for row in ROWS}
    notes = {m.note for i in range(1, 5) for m in notes_on(tmp_path / f"track-0{i}.mid")}
    assert notes and notes <= used


def test_a_missing_run_is_a_one_line_error(tmp_path):
    with pytest.raises(img2midi.UserError, match="no checkpoint found"):
        generate(tmp_path / "nothing", tmp_path / "out")
