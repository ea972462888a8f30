"""listen.py: the command line over drumroll.synth. Default paths, messages, exit codes."""
import os
import pathlib
import subprocess
import sys

import mido
import pytest
from scipy.io import wavfile

import listen
from drumroll.format import DRUM_CHANNEL
from drumroll.kit import SAMPLE_RATE

ROOT = pathlib.Path(__file__).resolve().parents[1]


def write_drums(path, notes=(36, 42, 38, 42)):
    midi = mido.MidiFile(ticks_per_beat=480)
    track = mido.MidiTrack()
    for note in notes:
        track.append(mido.Message("note_on", note=note, velocity=100, channel=DRUM_CHANNEL))
        track.append(mido.Message("note_off", note=note, velocity=0, channel=DRUM_CHANNEL,
                                  time=240))
    midi.tracks.append(track)
    midi.save(path)
    return path


def run_listen(*args):
    return subprocess.run([sys.executable, str(ROOT / "listen.py"), *map(str, args)],
                          capture_output=True, text=True, cwd=ROOT)


def test_help_describes_the_script():
    result = run_listen("--help")
    assert result.returncode == 0
    assert "WAV" in result.stdout and "--out" in result.stdout


def test_writes_the_wav_beside_the_midi_by_default(tmp_path, capsys):
    midi = write_drums(tmp_path / "groove.mid")
    assert listen.main([str(midi)]) == 0
    rate, pcm = wavfile.read(tmp_path / "groove.wav")
    assert rate == SAMPLE_RATE and len(pcm) > 0 and pcm.shape[1] == 2
    assert f"wrote {tmp_path / 'groove.wav'}" in capsys.readouterr().out


def test_out_chooses_the_wav_path(tmp_path):
    midi = write_drums(tmp_path / "groove.mid")
    listen.main([str(midi), "--out", str(tmp_path / "take1.wav")])
    assert (tmp_path / "take1.wav").exists() and not (tmp_path / "groove.wav").exists()


def test_mono_writes_one_channel(tmp_path, capsys):
    midi = write_drums(tmp_path / "groove.mid")
    listen.main([str(midi), "--mono"])
    _, pcm = wavfile.read(tmp_path / "groove.wav")
    assert pcm.ndim == 1
    assert "mono" in capsys.readouterr().out


def test_renders_several_files_each_beside_its_midi(tmp_path):
    paths = [write_drums(tmp_path / f"{name}.mid") for name in ("a", "b")]
    listen.main([str(path) for path in paths])
    assert (tmp_path / "a.wav").exists() and (tmp_path / "b.wav").exists()


def test_out_with_several_files_is_refused(tmp_path):
    paths = [write_drums(tmp_path / f"{name}.mid") for name in ("a", "b")]
    result = run_listen(*paths, "--out", tmp_path / "x.wav")
    assert result.returncode != 0 and "--out" in result.stderr
    assert not list(tmp_path.glob("*.wav"))


def test_a_bad_file_prints_one_line_exits_non_zero_and_leaves_no_wav(tmp_path):
    bad = tmp_path / "notes.mid"
    bad.write_text("not a midi file")
    result = run_listen(bad)
    assert result.returncode == 1
    assert result.stderr.splitlines() == [f"error: {bad}: not a MIDI file (no MThd header)"]
    assert "Traceback" not in result.stderr
    assert not list(tmp_path.glob("*.wav"))


def test_a_bad_file_in_a_batch_is_reported_and_the_others_are_rendered(tmp_path):
    good = write_drums(tmp_path / "a.mid")
    bad = tmp_path / "b.mid"
    bad.write_text("not midi")
    last = write_drums(tmp_path / "c.mid", notes=(38, 38))
    result = run_listen(good, bad, last)
    assert result.returncode == 1
    assert (tmp_path / "a.wav").exists() and (tmp_path / "c.wav").exists()
    assert not (tmp_path / "b.wav").exists()
    assert f"error: {bad}: not a MIDI file" in result.stderr
    assert "1 file of 3 failed" in result.stderr


def test_notes_outside_the_kit_are_reported(tmp_path, capsys):
    midi = write_drums(tmp_path / "latin.mid", notes=(36, 75, 76))
    listen.main([str(midi)])
    assert "skipped 2 notes outside the kit" in capsys.readouterr().out


@pytest.mark.parametrize("name", ["song", "song.midi"])
def test_default_wav_path_replaces_the_extension(name):
    assert listen.default_wav_path(f"dir/{name}") == "dir/song.wav"


def test_channel_renders_drums_on_another_channel(tmp_path):
    midi = mido.MidiFile(write_drums(tmp_path / "daw.mid"))
    for message in midi.tracks[0]:
        if not message.is_meta:
            message.channel = 0
    midi.save(tmp_path / "daw.mid")
    assert "--channel 1 reads them" in run_listen(tmp_path / "daw.mid").stderr
    assert run_listen(tmp_path / "daw.mid", "--channel", "1").returncode == 0


@pytest.mark.parametrize("make, kind", [
    (lambda path: os.mkfifo(path), "a FIFO (named pipe)"),            # reading it waited for ever
    (lambda path: path.symlink_to("/dev/zero"), "a character device")])   # or never ended
def test_a_fifo_or_a_device_is_refused_at_once(tmp_path, make, kind):
    make(tmp_path / "odd.mid")
    result = subprocess.run([sys.executable, str(ROOT / "listen.py"), str(tmp_path / "odd.mid")],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert result.stderr == f"error: {tmp_path / 'odd.mid'}: is {kind}, not a MIDI file\n"


def test_a_read_only_wav_is_refused_in_one_line_and_keeps_its_permissions(tmp_path):
    midi = write_drums(tmp_path / "groove.mid")
    wav = tmp_path / "ro.wav"
    wav.write_bytes(b"my take")
    wav.chmod(0o444)
    result = run_listen(midi, "--out", wav)
    assert result.returncode == 1
    assert result.stderr.splitlines() == [f"error: {wav}: cannot write (is read-only; not "
                                          "replaced)"]
    assert wav.read_bytes() == b"my take" and wav.stat().st_mode & 0o777 == 0o444


def test_a_midi_file_whose_name_is_as_long_as_a_name_can_be_is_rendered(tmp_path):
    midi = write_drums(tmp_path / ("x" * 251 + ".mid"))
    assert run_listen(midi).returncode == 0
    assert (tmp_path / ("x" * 251 + ".wav")).exists()
