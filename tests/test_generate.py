"""New tracks from a trained model (img2midi.py --checkpoint) and images written as MIDI."""
import os
import pathlib
import subprocess
import sys

import mido
import numpy as np
import pytest
from scipy.io import wavfile

import img2midi
from drumroll import generate as generate_module
from drumroll.cli import UserError
from drumroll.format import LOWEST_NOTE, MIDI_TICKS_PER_BEAT, NUM_ROWS, hits_to_pixels
from drumroll.generate import images_to_midi, sample_tracks
from drumroll.kit import DECAY_TAIL_SECONDS, SAMPLE_RATE
from drumroll.midi_in import midi_to_roll
from drumroll.models import load_gan
from drumroll.windows import Windows
from drumroll.training import checkpoint_paths
from drumroll.training import train
from gan_numpy.checkpoint import load_checkpoint, save_checkpoint


ROOT = pathlib.Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory, tiny_config, tiny_images, quiet):
    folder = tmp_path_factory.mktemp("gen") / "run"
    train(tiny_config(iterations=2), tiny_images(), folder, log=quiet)
    return folder


def generate(run_dir, out, *extra):
    return img2midi.main(["--checkpoint", str(run_dir), "--out", str(out), *extra])


def notes_on(path):
    midi = mido.MidiFile(path)
    return [m for track in midi.tracks for m in track if m.type == "note_on" and m.velocity > 0]


def test_generation_writes_a_png_an_svg_a_midi_and_a_wav_per_track_and_a_page(run_dir, tmp_path):
    assert generate(run_dir, tmp_path, "--num", "3") == 0
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["index.html"] + [f"track-0{i}.{ext}" for i in (1, 2, 3)
                                      for ext in ("mid", "png", "svg", "wav")]
    midi = mido.MidiFile(tmp_path / "track-01.mid")
    assert midi.ticks_per_beat == MIDI_TICKS_PER_BEAT
    assert midi.length == pytest.approx(8 * 4 * 60 / 140)      # 8 bars at 140 bpm


def test_no_wav_writes_no_wav(run_dir, tmp_path):
    generate(run_dir, tmp_path, "--num", "1", "--no-wav")
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "index.html", "track-01.mid", "track-01.png", "track-01.svg"]


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
    tracks = np.stack([roll for roll, _, _ in sample_tracks(gan, 2, 12,
                                                            np.random.default_rng(0))])
    samples = gan.sample(4, rng=np.random.default_rng(0))     # 2 tracks x 2 samples
    assert tracks.shape == (2, 25, 12 * 32)
    np.testing.assert_array_equal(tracks[1, :, :256], samples[2])
    np.testing.assert_array_equal(tracks[1, :, 256:], samples[3][:, :128])


def file_names(folder):
    return sorted(p.name for p in folder.iterdir())


# ------------------------------------------------------------ a generation never mixes with another

def test_a_folder_holding_files_is_refused_and_left_as_it_was(run_dir, tmp_path):
    generate(run_dir, tmp_path, "--num", "3", "--no-wav", "--seed", "1")
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    with pytest.raises(UserError, match=r"not empty \(10 files: index.html, track-01.mid, "
                                        r"track-01.png, ...\); a generation never mixes"):
        generate(run_dir, tmp_path, "--num", "2", "--no-wav", "--seed", "5")
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before


def test_replace_deletes_the_earlier_generation_and_keeps_other_files(run_dir, tmp_path):
    generate(run_dir, tmp_path, "--num", "3", "--seed", "1")
    (tmp_path / "my notes.txt").write_text("mine")
    generate(run_dir, tmp_path, "--num", "2", "--no-wav", "--seed", "5", "--replace")
    assert file_names(tmp_path) == ["index.html", "my notes.txt"] + [
        f"track-0{i}.{ext}" for i in (1, 2) for ext in ("mid", "png", "svg")]
    generate(run_dir, tmp_path / "fresh", "--num", "2", "--no-wav", "--seed", "5")
    assert (tmp_path / "track-02.mid").read_bytes() == \
        (tmp_path / "fresh" / "track-02.mid").read_bytes()


def test_a_generation_that_fails_half_way_leaves_the_earlier_one_untouched(
        run_dir, tmp_path, monkeypatch):
    generate(run_dir, tmp_path, "--num", "3", "--no-wav", "--seed", "1")
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    rendered = []

    def render_then_fail(midi_path, wav_path):
        if rendered:
            raise UserError(f"{wav_path}: cannot write (No space left on device)")
        rendered.append(wav_path)

    monkeypatch.setattr(generate_module, "render_midi_file", render_then_fail)
    with pytest.raises(UserError, match="No space left"):
        generate(run_dir, tmp_path, "--num", "3", "--seed", "5", "--replace")
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before   # no staging left


def test_two_generations_into_one_folder_at_the_same_time_never_both_succeed(run_dir, tmp_path):
    out = tmp_path / "out"
    command = [sys.executable, str(ROOT / "img2midi.py"), "--checkpoint", str(run_dir), "--out",
               str(out), "--num", "3", "--no-wav", "--bpm", "140"]
    both = [subprocess.Popen(command + ["--seed", seed], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True) for seed in ("1", "2")]
    results = [(process.wait(timeout=120), process.stderr.read()) for process in both]
    assert sorted(code for code, _ in results) == [0, 1], results
    [refused] = [err for code, err in results if code == 1]
    assert refused.count("\n") == 1          # refused while the first writes, or after it
    assert "another drumgan command" in refused or "not empty" in refused
    assert file_names(out) == ["index.html"] + [f"track-0{i}.{ext}" for i in (1, 2, 3)
                                                for ext in ("mid", "png", "svg")]
    [winner] = [seed for seed, (code, _) in zip(("1", "2"), results) if code == 0]
    generate(run_dir, tmp_path / "alone", "--num", "3", "--no-wav", "--bpm", "140", "--seed",
             winner)
    for name in file_names(out):
        if not name.endswith(".html"):
            assert (out / name).read_bytes() == (tmp_path / "alone" / name).read_bytes()


def test_a_generation_started_while_another_writes_the_folder_is_refused(run_dir, tmp_path):
    refusals = []

    def tracks_while_another_generation_starts(gan, generation, rng):
        try:
            generate(run_dir, tmp_path, "--num", "1", "--no-wav")
        except UserError as error:
            refusals.append(str(error))
        yield from real_tracks(gan, generation, rng)

    real_tracks = generate_module.pattern_tracks
    generate_module.pattern_tracks = tracks_while_another_generation_starts
    try:
        generate(run_dir, tmp_path, "--num", "2", "--no-wav")
    finally:
        generate_module.pattern_tracks = real_tracks
    assert refusals == [f"{tmp_path}: another drumgan command (pid {os.getpid()}) is using this "
                        f"folder; wait for it or give another --out (if pid {os.getpid()} is not "
                        f"one, delete {tmp_path / '.lock'})"]
    assert len(file_names(tmp_path)) == 7


def test_a_failed_generation_into_a_new_folder_leaves_no_folder(run_dir, tmp_path, monkeypatch):
    def fail(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(generate_module, "write_track", fail)
    with pytest.raises(KeyboardInterrupt):
        generate(run_dir, tmp_path / "new" / "tracks", "--num", "2")
    assert file_names(tmp_path) == []


# ------------------------------------------------------------------------ silent tracks

def test_a_track_with_no_hits_gets_a_silent_wav_and_a_warning_the_others_are_rendered(
        run_dir, tmp_path, monkeypatch, capsys):
    silence = np.ones((NUM_ROWS, 256), dtype=np.float32)             # +1 = no hit anywhere
    groove = silence.copy()
    groove[0, ::8] = -1.0                                            # a kick on every beat
    monkeypatch.setattr(generate_module, "sample_tracks",
                        lambda *args, **kwargs: iter([(silence, None, None), (groove, None, None)]))
    assert generate(run_dir, tmp_path, "--num", "2") == 0
    assert "warning: track-01: no hits; its WAV is silence" in capsys.readouterr().err
    rate, silent = wavfile.read(tmp_path / "track-01.wav")
    _, rendered = wavfile.read(tmp_path / "track-02.wav")
    assert rate == SAMPLE_RATE and not silent.any() and rendered.any()
    assert len(silent) == len(rendered)                              # as long as the others
    assert len(silent) == pytest.approx((8 * 4 * 60 / 140 + DECAY_TAIL_SECONDS) * SAMPLE_RATE,
                                        abs=1)


# ------------------------------------------------------------------ sizes, runs, checkpoints

def test_more_tracks_than_the_cap_are_refused_before_the_model_is_loaded(tmp_path):
    with pytest.raises(UserError, match=r"--num 200000: give 1 to 1,000 tracks per generation"):
        generate(tmp_path / "no run", tmp_path / "out", "--num", "200000")


def test_tracks_too_long_for_a_wav_are_refused_before_the_model_is_loaded(tmp_path):
    with pytest.raises(UserError, match="500 bars at 20 bpm last 100 minutes, longer than the 60 "
                                        "minutes a WAV may last"):
        generate(tmp_path / "no run", tmp_path / "out", "--bars", "500", "--bpm", "20")


def test_tracks_are_sampled_in_batches_of_256_windows(run_dir):
    gan = load_gan(checkpoint_paths(run_dir)[-1])
    sizes = []
    real_sample = gan.sample
    gan.sample = lambda n, **options: sizes.append(n) or real_sample(n, **options)
    tracks = list(sample_tracks(gan, 150, 16, np.random.default_rng(0)))   # 300 windows
    assert sizes == [256, 44] and len(tracks) == 150 and tracks[0][0].shape == (NUM_ROWS, 512)


def test_the_checkpoints_folder_of_a_run_is_accepted(run_dir, tmp_path):
    assert generate(run_dir / "checkpoints", tmp_path, "--num", "1", "--no-wav") == 0


def test_generating_from_an_unfinished_run_warns_with_its_step(tmp_path, tiny_config,
                                                               tiny_images, quiet, capsys):
    train(tiny_config(iterations=6), tiny_images(), tmp_path / "run", log=quiet, stop_after=3)
    generate(tmp_path / "run", tmp_path / "out", "--num", "1", "--no-wav")
    assert "step_0000002.npz: iteration 2 of the run's 6: training has not finished" in \
        capsys.readouterr().err


def test_a_checkpoint_full_of_nan_is_refused_in_one_line(run_dir, tmp_path):
    arrays, meta = load_checkpoint(checkpoint_paths(run_dir)[-1])
    for name in arrays:
        if name.startswith("G_ema/") and arrays[name].dtype.kind == "f":
            arrays[name] = np.full_like(arrays[name], np.nan)
    save_checkpoint(tmp_path / "nan.npz", arrays, meta)
    with pytest.raises(UserError, match=r"nan\.npz: holds NaN or infinite values"):
        generate(tmp_path / "nan.npz", tmp_path / "out", "--num", "1")
    assert not (tmp_path / "out").exists()


def test_generation_counts_in_english(run_dir, tmp_path, capsys):
    generate(run_dir, tmp_path, "--num", "1", "--bars", "1", "--no-wav")
    assert "wrote 1 track of 1 bar at 140 bpm" in capsys.readouterr().out


def test_tracks_carry_the_models_velocities_unless_one_is_forced(run_dir, tmp_path,
                                                                 monkeypatch):
    groove = np.ones((NUM_ROWS, 256), dtype=np.float32)
    groove[0, ::8] = -1.0                                            # a kick on every beat
    loud = np.where(groove < 0, 76, 0).astype(np.uint8)
    loud[0, ::32] = 102                                              # accented downbeats
    monkeypatch.setattr(generate_module, "sample_tracks",
                        lambda *args, **kwargs: iter([(groove, loud, None)]))
    generate(run_dir, tmp_path / "own", "--num", "1", "--no-wav")
    generate(run_dir, tmp_path / "forced", "--num", "1", "--no-wav", "--velocity", "100")
    own = midi_to_roll(mido.MidiFile(tmp_path / "own" / "track-01.mid")).velocities
    forced = midi_to_roll(mido.MidiFile(tmp_path / "forced" / "track-01.mid")).velocities
    assert np.array_equal(own, loud)
    assert set(forced[forced > 0].tolist()) == {100}


def test_a_training_tempo_no_midi_file_should_hold_gives_the_default_tempo_and_says_so(
        tmp_path, tiny_config, tiny_images, quiet, capsys):
    train(tiny_config(iterations=1), Windows(tiny_images(), tempo=5000.0), tmp_path / "run",
          log=quiet)
    generate(tmp_path / "run", tmp_path / "out", "--num", "1", "--no-wav")
    assert mido.MidiFile(tmp_path / "out" / "track-01.mid").length == pytest.approx(
        8 * 4 * 60 / 140)
    assert ("note: playing at 140 bpm, the default tempo (5000 bpm, its training songs' median, "
            "is no tempo to write)") in capsys.readouterr().err


def test_without_a_tempo_tracks_play_at_the_training_songs_median_tempo(run_dir, tmp_path,
                                                                        capsys):
    gan = load_gan(checkpoint_paths(run_dir)[-1])
    generate(run_dir, tmp_path, "--num", "1", "--no-wav")
    tempo = gan.config.tempo or 140
    assert mido.MidiFile(tmp_path / "track-01.mid").length == pytest.approx(8 * 4 * 60 / tempo)
    assert "bpm, the " in capsys.readouterr().err


def test_a_run_writes_the_notes_of_the_dataset_it_was_cut_from(tmp_path, tiny_config,
                                                               tiny_images, quiet, rows):
    train(tiny_config(iterations=1), Windows(images=tiny_images(), lowest_note=35),
          tmp_path / "run", log=quiet)
    generate(tmp_path / "run", tmp_path / "out", "--num", "2", "--no-wav")
    notes = {m.note for i in (1, 2) for m in notes_on(tmp_path / "out" / f"track-0{i}.mid")}
    assert notes and notes <= {35 + row for row in rows}


def test_notes_are_refused_with_a_checkpoint(run_dir, tmp_path):
    with pytest.raises(UserError, match="--notes: a run writes the notes of the dataset"):
        generate(run_dir, tmp_path, "--notes", "35-59")


def test_tracks_play_the_models_timing_unless_quantized(run_dir, tmp_path, monkeypatch):
    groove = np.ones((NUM_ROWS, 256), dtype=np.float32)
    groove[0, ::8] = -1.0                                            # a kick on every beat
    offsets = np.where(groove < 0, -64, 0).astype(np.int8)           # a quarter step early
    monkeypatch.setattr(generate_module, "sample_tracks",
                        lambda *args, **kwargs: iter([(groove, None, offsets)]))
    generate(run_dir, tmp_path / "felt", "--num", "1", "--no-wav")
    generate(run_dir, tmp_path / "grid", "--num", "1", "--no-wav", "--quantize")
    felt = midi_to_roll(mido.MidiFile(tmp_path / "felt" / "track-01.mid"))
    grid = midi_to_roll(mido.MidiFile(tmp_path / "grid" / "track-01.mid"))
    assert np.array_equal(felt.hits, groove < 0) and np.array_equal(grid.hits, groove < 0)
    # 1 tick = 4.3 units; the very first hit cannot be early: it plays at tick 0
    np.testing.assert_allclose(felt.offsets[groove < 0][1:], -64, atol=2)
    assert not grid.offsets.any()
    svg = (tmp_path / "felt" / "track-01.svg").read_text()
    assert 'class="hit" x="111"' in svg                              # drawn a quarter step early
