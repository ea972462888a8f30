"""drumroll.synth: drum MIDI -> audio. Timing, overlap and choke, loudness, files, bad input."""
import bisect
import io
import os
import pathlib
import subprocess
import sys

import mido
import numpy as np
import pytest
from scipy import signal
from scipy.io import wavfile

from drumroll import kit, synth
from drumroll.cli import UserError
from drumroll.format import DRUM_CHANNEL, HIGHEST_NOTE, LOWEST_NOTE
from drumroll.kit import DECAY_TAIL_SECONDS, SAMPLE_RATE
from drumroll.synth import Hit, mix_hits, read_drum_hits, render_hits, render_midi_file

ROOT = pathlib.Path(__file__).resolve().parents[1]
MGLA = ROOT.parent / "shared" / "data" / "mgla-midi"
TICKS = 480


def write_midi(path, tracks, ticks_per_beat=TICKS):
    """tracks: lists of (absolute tick, message) -> a type 1 MIDI file at `path`."""
    midi = mido.MidiFile(type=1, ticks_per_beat=ticks_per_beat)
    for events in tracks:
        track = mido.MidiTrack()
        now = 0
        for tick, message in sorted(events, key=lambda event: event[0]):
            track.append(message.copy(time=tick - now))
            now = tick
        midi.tracks.append(track)
    midi.save(path)
    return path


def drum_note(tick, note, velocity=100, channel=DRUM_CHANNEL, length=60):
    return [(tick, mido.Message("note_on", note=note, velocity=velocity, channel=channel)),
            (tick + length, mido.Message("note_off", note=note, velocity=0, channel=channel))]


def tempo(tick, bpm):
    return (tick, mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(bpm)))


def sample(seconds):
    return int(round(seconds * SAMPLE_RATE))


# --- an energy-rise onset detector, in two bands so a kick under a cymbal still shows ---

HOP = SAMPLE_RATE // 1000       # one energy value per millisecond
WINDOW = 3 * HOP
LOOKBACK = 20                   # a rise is measured against the loudest of the last 20 ms
RISE = 4.0                      # an onset: energy 4x (6 dB) above anything just before
REFRACTORY = 25                 # ms; a hit's own attack is not a second onset


def band_rise_frames(x):
    power = np.concatenate([[0.0], np.cumsum(x * x)])
    starts = np.arange(0, len(x) - WINDOW, HOP)
    energy = power[starts + WINDOW] - power[starts]
    floor = 1e-4 * energy.max()
    return [k for k in range(1, len(energy))
            if energy[k] > floor and energy[k] > RISE * energy[max(0, k - LOOKBACK):k].max()]


def detect_onsets(audio):
    """Onset times (seconds) where low (< 400 Hz) or high (> 2 kHz) band energy jumps."""
    x = np.concatenate([np.zeros(LOOKBACK * HOP), audio.astype(np.float64)])   # rise from 0
    low = signal.sosfilt(signal.butter(2, 400, "lowpass", fs=SAMPLE_RATE, output="sos"), x)
    high = signal.sosfilt(signal.butter(2, 2000, "highpass", fs=SAMPLE_RATE, output="sos"), x)
    frames = sorted(set(band_rise_frames(low)) | set(band_rise_frames(high)))
    onsets, last = [], None
    for k in frames:
        if last is None or k - last > REFRACTORY:
            # the first loud window holds the attack in its last hop
            onsets.append(((k - LOOKBACK) * HOP + WINDOW - HOP / 2) / SAMPLE_RATE)
            last = k
    return np.array(onsets)


def assert_onsets_match(audio, times, tolerance=0.005):
    found = detect_onsets(audio)
    assert len(found) == len(times), (found, times)
    np.testing.assert_allclose(found, np.sort(times), atol=tolerance)


# --- timing ---

def test_every_voice_starts_within_5_ms_of_its_hit():
    # one hit of every note the rolls hold, far enough apart for each to ring out
    hits = [Hit(0.1 + DECAY_TAIL_SECONDS * i, note, 100)
            for i, note in enumerate(range(LOWEST_NOTE, HIGHEST_NOTE + 1))]
    assert_onsets_match(render_hits(hits), [hit.time for hit in hits])


def test_onset_detector_finds_every_hit_of_a_sparse_groove_within_5_ms():
    notes = [36, 42, 38, 42, 36, 44, 38, 46, 41, 43, 45, 47, 48, 50, 36, 37, 40, 42,
             49, 36, 38, 51, 36, 53, 38, 55, 36, 52, 57, 59]
    hits = [Hit(0.25 + 1.0 * i, note, 90 + i) for i, note in enumerate(notes)]
    assert_onsets_match(render_hits(hits), [hit.time for hit in hits])


def test_audio_lasts_the_music_plus_the_decay_tail():
    audio = render_hits([Hit(0.0, 36, 100), Hit(1.5, 38, 100)], seconds=2.0)
    assert len(audio) == sample(2.0 + DECAY_TAIL_SECONDS)


def test_music_ends_at_the_last_hit_by_default():
    audio = render_hits([Hit(0.5, 36, 100), Hit(1.25, 49, 100)])
    assert len(audio) == sample(1.25 + DECAY_TAIL_SECONDS)


def test_every_sound_fits_in_the_decay_tail():
    audio = render_hits([Hit(1.0, note, 127) for note in range(LOWEST_NOTE, HIGHEST_NOTE + 1)])
    assert np.any(audio[sample(1.0):] != 0)
    assert len(audio) == sample(1.0 + DECAY_TAIL_SECONDS)


def test_silence_before_the_first_hit_and_where_nothing_plays():
    gap_start, gap_end = 1.0 + DECAY_TAIL_SECONDS, 8.0
    audio = render_hits([Hit(0.5, 36, 100), Hit(1.0, 49, 100), Hit(gap_end, 38, 100)])
    assert np.all(audio[:sample(0.5)] == 0)
    assert np.any(audio[sample(0.5):sample(0.51)] != 0)
    assert np.all(audio[sample(gap_start):sample(gap_end)] == 0)


# --- mixing ---

def test_sounds_overlap_and_add_up_like_a_real_kit():
    crash, kick, snare = Hit(0.0, 49, 110), Hit(0.2, 36, 100), Hit(0.2, 38, 70)
    n = sample(4.0)
    alone = mix_hits([crash], n) + mix_hits([kick], n) + mix_hits([snare], n)
    np.testing.assert_allclose(mix_hits([crash, kick, snare], n), alone, atol=1e-6)
    assert np.any(mix_hits([crash], n)[sample(0.3):] != 0)   # the crash rings on past the kick


def test_a_new_hi_hat_hit_chokes_the_ringing_one():
    open_hat, closed_hat = Hit(0.0, 46, 100), Hit(0.2, 42, 100)
    n = sample(3.0)
    both = mix_hits([open_hat, closed_hat], n)
    closed_alone = mix_hits([closed_hat], n)
    open_alone = mix_hits([open_hat], n)
    fade_end = sample(0.2 + synth.CHOKE_FADE_SECONDS)
    np.testing.assert_array_equal(both[:sample(0.2)], open_alone[:sample(0.2)])
    np.testing.assert_array_equal(both[fade_end:], closed_alone[fade_end:])
    assert np.any(open_alone[fade_end:sample(1.0)] != 0)      # it would have rung on


def test_a_choked_hi_hat_fades_out_instead_of_clicking_off():
    open_hat, closed_hat = Hit(0.0, 46, 127), Hit(0.2, 42, 60)
    n = sample(1.0)
    open_part = mix_hits([open_hat, closed_hat], n) - mix_hits([closed_hat], n)
    choke, fade = sample(0.2), sample(synth.CHOKE_FADE_SECONDS)
    ramp = np.linspace(1.0, 0.0, fade, endpoint=False)
    np.testing.assert_allclose(open_part[choke:choke + fade],
                               mix_hits([open_hat], n)[choke:choke + fade] * ramp, atol=1e-6)


def test_hi_hat_hits_at_the_same_moment_do_not_choke_each_other():
    pedal, closed = Hit(0.5, 44, 100), Hit(0.5, 42, 100)
    n = sample(2.0)
    np.testing.assert_allclose(mix_hits([pedal, closed], n),
                               mix_hits([pedal], n) + mix_hits([closed], n), atol=1e-6)


def test_other_drums_do_not_choke_the_hi_hat():
    open_hat, snare = Hit(0.0, 46, 100), Hit(0.1, 38, 100)
    n = sample(2.0)
    np.testing.assert_allclose(mix_hits([open_hat, snare], n),
                               mix_hits([open_hat], n) + mix_hits([snare], n), atol=1e-6)


def test_mix_places_the_voice_sample_exactly_at_the_onset():
    audio = mix_hits([Hit(0.25, 38, 127)], sample(1.0))
    voice = kit.note_sample(38)
    np.testing.assert_array_equal(audio[sample(0.25):sample(0.25) + len(voice)], voice)


def test_velocity_scales_loudness():
    n = sample(2.0)
    loud = mix_hits([Hit(0.0, 38, 127)], n)
    soft = mix_hits([Hit(0.0, 38, 64)], n)
    np.testing.assert_allclose(soft, loud * 64 / 127, atol=1e-6)
    assert np.all(mix_hits([Hit(0.0, 38, 0)], n) == 0)    # velocity 0 is a note-off


def test_stereo_places_each_voice_with_constant_power():
    hits = [Hit(0.0, 36, 100), Hit(0.5, 42, 80), Hit(1.0, 51, 90)]   # one sound at a time
    n = sample(5.0)
    mono, stereo = mix_hits(hits, n), mix_hits(hits[:1], n, stereo=True)
    assert stereo.shape == (n, 2)
    np.testing.assert_allclose(stereo[:, 0], mix_hits(hits[:1], n) / np.sqrt(2), atol=1e-6)
    np.testing.assert_array_equal(stereo[:, 0], stereo[:, 1])    # the kick sits in the middle
    stereo = mix_hits(hits, n, stereo=True)
    np.testing.assert_allclose((stereo ** 2).sum(axis=1), mono ** 2, atol=1e-5)


def test_stereo_puts_the_hi_hat_left_and_the_ride_right():
    n = sample(4.0)
    hi_hat = mix_hits([Hit(0.0, 42, 100)], n, stereo=True)
    ride = mix_hits([Hit(0.0, 51, 100)], n, stereo=True)
    assert np.abs(hi_hat[:, 0]).max() > 2 * np.abs(hi_hat[:, 1]).max()
    assert np.abs(ride[:, 1]).max() > 2 * np.abs(ride[:, 0]).max()


def test_stereo_audio_is_normalized_over_both_channels():
    audio = render_hits([Hit(0.0, 49, 127), Hit(0.0, 52, 127)], stereo=True)
    assert np.max(np.abs(audio)) == pytest.approx(synth.PEAK, rel=1e-6)


def test_hits_past_the_end_are_dropped_and_long_sounds_cut():
    audio = mix_hits([Hit(0.0, 49, 100), Hit(5.0, 36, 100)], sample(1.0))
    assert len(audio) == sample(1.0)


def plain_mix(hits, num_samples, stereo=False):
    """The mix the plain way, the specification of mix_hits: hit after hit in time order, add
    the voice (a hi-hat cut by the next hi-hat hit: a faded copy) times velocity and pan."""
    hits = sorted(Hit(*hit) for hit in hits if hit.velocity > 0)
    onsets = [int(round(hit.time * SAMPLE_RATE)) for hit in hits]
    hi_hat_onsets = [onset for hit, onset in zip(hits, onsets) if hit.note in kit.CHOKE_NOTES]
    fade = int(synth.CHOKE_FADE_SECONDS * SAMPLE_RATE)
    fade_out = np.linspace(1.0, 0.0, fade, endpoint=False, dtype=np.float32)
    out = np.zeros((2 if stereo else 1, num_samples), dtype=np.float32)
    for hit, onset in zip(hits, onsets):
        if not 0 <= onset < num_samples:
            continue
        sound = kit.note_sample(hit.note)[:num_samples - onset].copy()
        later = bisect.bisect_right(hi_hat_onsets, onset)
        if hit.note in kit.CHOKE_NOTES and later < len(hi_hat_onsets) \
                and hi_hat_onsets[later] - onset < len(sound):
            at = hi_hat_onsets[later] - onset
            sound = sound[:at + fade]
            sound[at:] *= fade_out[:len(sound) - at]
        gain = synth.hit_gain(hit.velocity)
        if stereo:
            left, right = gain * kit.note_pan_gains(hit.note)
            out[0, onset:onset + len(sound)] += left * sound
            out[1, onset:onset + len(sound)] += right * sound
        else:
            out[0, onset:onset + len(sound)] += gain * sound
    return out.T.copy() if stereo else out[0]


def busy_pattern(seconds=12.0, seed=0):
    """Hits of every note, many overlapping, hi-hats choking each other (also on the same
    onset, which does not choke), loud and soft, and a few past the end."""
    rng = np.random.default_rng(seed)
    hits = [Hit(float(t), int(note), int(velocity)) for t, note, velocity in zip(
        np.round(rng.uniform(0, seconds, 400), 3), rng.integers(LOWEST_NOTE, HIGHEST_NOTE + 1, 400),
        rng.integers(1, 128, 400))]
    hats = [Hit(round(0.05 * i, 3), int(rng.choice([42, 44, 46])), int(rng.integers(40, 128)))
            for i in range(int(seconds / 0.05))]
    return hits + hats + [Hit(hats[7].time, 44, 90), Hit(seconds + 1.0, 36, 100)]


@pytest.mark.parametrize("stereo", [False, True])
def test_the_mix_has_the_same_samples_as_the_plain_hit_by_hit_mix(stereo):
    hits = busy_pattern()
    n = sample(12.5)
    np.testing.assert_array_equal(mix_hits(hits, n, stereo), plain_mix(hits, n, stereo))


def test_shared_hit_sounds_cannot_be_changed_by_accident():
    with pytest.raises(ValueError):
        synth.hit_sound(38, 100, True)[0, 0] = 1.0


def test_a_note_without_a_voice_is_refused():
    with pytest.raises(ValueError, match="61"):
        mix_hits([Hit(0.0, 61, 100)], 100)


# --- level ---

def test_audio_is_peak_normalized_below_full_scale():
    # every note at once, twice, at full velocity: the raw mix is far above 1
    hits = [Hit(t, note, 127) for t in (0.0, 0.01)
            for note in range(LOWEST_NOTE, HIGHEST_NOTE + 1)]
    audio = render_hits(hits)
    assert np.max(np.abs(audio)) == pytest.approx(synth.PEAK, rel=1e-6)
    pcm = synth.to_int16(audio)
    assert np.max(np.abs(pcm.astype(np.int32))) < 32767


def test_a_quiet_pattern_is_brought_up_to_the_same_peak():
    audio = render_hits([Hit(0.0, 42, 10)])
    assert np.max(np.abs(audio)) == pytest.approx(synth.PEAK, rel=1e-6)


def plain_to_int16(audio):
    """16-bit conversion the plain way, on the whole array at once."""
    return np.round(np.clip(audio, -1.0, 1.0) * 32767).astype(np.int16)


@pytest.mark.parametrize("shape", [(3 * synth.CONVERT_BLOCK + 17, 2), (synth.CONVERT_BLOCK + 1,)])
def test_int16_conversion_block_by_block_equals_the_whole_array_at_once(shape):
    audio = np.random.default_rng(1).uniform(-1.5, 1.5, shape).astype(np.float32)
    audio[:8].flat = [0.5 / 32767, 1.5 / 32767, -2.5 / 32767, 1.0, -1.0, 2.0, -2.0, 0.0]
    np.testing.assert_array_equal(synth.to_int16(audio), plain_to_int16(audio))


@pytest.mark.parametrize("stereo", [False, True])
def test_converting_with_the_normalizing_gain_equals_normalizing_first(stereo):
    hits = busy_pattern(seconds=4.0)
    audio = mix_hits(hits, sample(7.0), stereo)
    expected = plain_to_int16(render_hits(hits, 4.0, stereo))
    np.testing.assert_array_equal(synth.to_int16(audio, synth.normalizing_gain(audio)), expected)


def test_silence_is_not_amplified():
    assert synth.normalizing_gain(np.zeros((10, 2), dtype=np.float32)) == 1.0


# --- reading MIDI ---

def test_reads_drums_from_every_track_and_only_from_channel_10(tmp_path):
    path = write_midi(tmp_path / "song.mid", [
        [tempo(0, 120)] + drum_note(0, 36) + drum_note(480, 38),
        drum_note(240, 42, velocity=70) + drum_note(240, 60, channel=0),   # a guitar note
    ])
    hits, seconds, ignored = read_drum_hits(path)
    assert hits == [Hit(0.0, 36, 100), Hit(0.25, 42, 70), Hit(0.5, 38, 100)]
    assert seconds == pytest.approx(0.5 + 60 / TICKS * 0.5)
    assert ignored == 0


def test_tempo_changes_are_honoured(tmp_path):
    # 120 bpm for one beat (0.5 s), then 60 bpm: the next beat lasts a whole second
    path = write_midi(tmp_path / "song.mid", [
        [tempo(0, 120), tempo(480, 60)] + drum_note(0, 36) + drum_note(480, 38)
        + drum_note(960, 36) + drum_note(1440, 38)])
    hits, _, _ = read_drum_hits(path)
    assert [hit.time for hit in hits] == pytest.approx([0.0, 0.5, 1.5, 2.5])


def test_acoustic_bass_drum_plays_the_kick_and_foreign_notes_are_counted(tmp_path):
    path = write_midi(tmp_path / "song.mid", [drum_note(0, 35) + drum_note(0, 75)
                                              + drum_note(0, 0)])
    hits, _, ignored = read_drum_hits(path)
    assert [hit.note for hit in hits] == [36]
    assert ignored == 2


# --- files ---

@pytest.mark.parametrize("stereo, shape", [(True, (2,)), (False, ())])
def test_writes_a_44k_16_bit_wav_as_long_as_the_midi_plus_the_tail(tmp_path, stereo, shape):
    path = write_midi(tmp_path / "song.mid", [
        [tempo(0, 150)] + drum_note(0, 36) + drum_note(240, 42) + drum_note(480, 38)])
    info = render_midi_file(path, tmp_path / "song.wav", stereo=stereo)
    rate, pcm = wavfile.read(tmp_path / "song.wav")
    assert rate == SAMPLE_RATE and pcm.dtype == np.int16 and pcm.shape[1:] == shape
    midi_seconds = mido.MidiFile(path).length
    assert len(pcm) == sample(midi_seconds + DECAY_TAIL_SECONDS)
    assert info.hits == 3 and info.seconds == pytest.approx(len(pcm) / SAMPLE_RATE)


def test_the_wav_onsets_follow_the_midi_timing(tmp_path):
    path = write_midi(tmp_path / "song.mid", [
        [tempo(0, 100), tempo(960, 180)] + drum_note(0, 36) + drum_note(480, 38)
        + drum_note(960, 36) + drum_note(1440, 38) + drum_note(1920, 36)])
    render_midi_file(path, tmp_path / "song.wav")
    _, pcm = wavfile.read(tmp_path / "song.wav")
    assert_onsets_match(pcm.mean(axis=1) / 32768.0, [0.0, 0.6, 1.2, 1.2 + 1 / 3, 1.2 + 2 / 3])


def test_same_midi_gives_the_same_bytes(tmp_path):
    path = write_midi(tmp_path / "song.mid", [
        [tempo(0, 180)] + [event for step in range(32)
                           for event in drum_note(step * 120, (36, 42, 38, 46)[step % 4],
                                                  velocity=60 + step)]])
    render_midi_file(path, tmp_path / "a.wav")
    kit.build_kit.cache_clear()      # the kit built again, as in a new process
    render_midi_file(path, tmp_path / "b.wav")
    assert (tmp_path / "a.wav").read_bytes() == (tmp_path / "b.wav").read_bytes()


@pytest.mark.parametrize("shape", [(2 * synth.CONVERT_BLOCK + 1000, 2), (999,), (0, 2)])
def test_the_wav_file_has_the_bytes_scipy_writes(shape):
    audio = np.random.default_rng(2).uniform(-1.1, 1.1, shape).astype(np.float32)
    ours, scipys = io.BytesIO(), io.BytesIO()
    synth.write_wav(ours, audio, gain=0.9)
    wavfile.write(scipys, SAMPLE_RATE, plain_to_int16(audio * 0.9))
    assert ours.getvalue() == scipys.getvalue()


def plain_render(hits, seconds, stereo):
    """WAV bytes the plain way: plain mix, normalize, whole-array conversion, scipy's writer."""
    audio = plain_mix(hits, sample(seconds + DECAY_TAIL_SECONDS), stereo)
    audio *= synth.PEAK / float(np.max(np.abs(audio)))
    wav = io.BytesIO()
    wavfile.write(wav, SAMPLE_RATE, plain_to_int16(audio))
    return wav.getvalue()


def test_the_wav_has_the_bytes_of_the_plain_render(tmp_path):
    path = write_midi(tmp_path / "song.mid", [
        [tempo(0, 170), tempo(1920, 93)] + [event for step in range(64) for event in drum_note(
            step * 120, (36, 42, 38, 46, 36, 44, 49, 51)[step % 8], velocity=40 + step)],
        drum_note(60, 42, velocity=30) + drum_note(1000, 46) + drum_note(1920, 41)])
    render_midi_file(path, tmp_path / "song.wav")
    hits, seconds, _ = read_drum_hits(path)
    assert (tmp_path / "song.wav").read_bytes() == plain_render(hits, seconds, stereo=True)


def test_rendering_imports_neither_mido_nor_scipy_signal_nor_scipy_io(tmp_path):
    # the slowest imports: with the kit cached and an ordinary file, none is needed
    path = write_midi(tmp_path / "song.mid", [[tempo(0, 120)] + drum_note(0, 36)])
    kit.build_kit()     # the kit is in the cache folder the subprocess inherits
    code = ("import sys; from drumroll.synth import render_midi_file; "
            f"render_midi_file({str(path)!r}, {str(tmp_path / 'song.wav')!r}); "
            "print([m for m in ('mido', 'scipy.signal', 'scipy.io') if m in sys.modules])")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=ROOT, check=True)
    assert result.stdout.strip() == "[]"


# --- bad input ---

def assert_no_wav_left(folder):
    assert not [name for name in os.listdir(folder) if name.endswith((".wav", ".tmp"))]


def test_a_file_that_is_not_midi_gives_a_one_line_error_and_no_wav(tmp_path):
    path = tmp_path / "notes.mid"
    path.write_text("kick snare kick snare\n")
    with pytest.raises(UserError, match=r"notes\.mid: not a MIDI file") as caught:
        render_midi_file(path, tmp_path / "notes.wav")
    assert "\n" not in str(caught.value)
    assert_no_wav_left(tmp_path)


def test_a_truncated_midi_file_is_refused_as_truncated(tmp_path):
    good = write_midi(tmp_path / "good.mid", [drum_note(0, 36) + drum_note(480, 38)])
    path = tmp_path / "cut.mid"
    path.write_bytes(good.read_bytes()[:20])
    with pytest.raises(UserError, match=r"cut\.mid: truncated MIDI file"):
        render_midi_file(path, tmp_path / "cut.wav")
    assert not (tmp_path / "cut.wav").exists()


def test_a_missing_midi_file_is_named(tmp_path):
    with pytest.raises(UserError, match=r"absent\.mid: cannot read"):
        render_midi_file(tmp_path / "absent.mid", tmp_path / "absent.wav")
    assert_no_wav_left(tmp_path)


def test_midi_without_drum_notes_gives_an_error_and_no_wav(tmp_path):
    path = write_midi(tmp_path / "guitar.mid", [drum_note(0, 40, channel=0)])
    with pytest.raises(UserError, match=r"guitar\.mid: no drum notes on MIDI channel 10 \(its "
                                        r"notes are on channel 1: --channel 1 reads them\)$"):
        render_midi_file(path, tmp_path / "guitar.wav")
    assert_no_wav_left(tmp_path)


def test_drums_on_another_channel_are_rendered_when_asked_for(tmp_path):
    path = write_midi(tmp_path / "daw.mid", [drum_note(0, 36, channel=0)
                                             + drum_note(480, 38, channel=0)])
    assert render_midi_file(path, tmp_path / "daw.wav", channel=0).hits == 2


def test_a_file_lasting_hours_is_refused_before_anything_is_mixed(tmp_path):
    beats = int(synth.MAX_SECONDS / 0.5) + 2      # at 120 bpm, just past the limit
    path = write_midi(tmp_path / "endless.mid", [drum_note(0, 36) + drum_note(beats * TICKS, 38)])
    with pytest.raises(UserError, match=r"endless\.mid: lasts 60 minutes, longer than"):
        render_midi_file(path, tmp_path / "endless.wav")
    assert_no_wav_left(tmp_path)


def test_a_bad_midi_file_leaves_an_existing_wav_untouched(tmp_path):
    wav = tmp_path / "take.wav"
    wav.write_bytes(b"an earlier take")
    path = write_midi(tmp_path / "empty.mid", [[tempo(0, 120)]])
    with pytest.raises(UserError):
        render_midi_file(path, wav)
    assert wav.read_bytes() == b"an earlier take"


def test_an_unwritable_output_is_named_and_nothing_is_left(tmp_path):
    path = write_midi(tmp_path / "song.mid", [drum_note(0, 36)])
    with pytest.raises(UserError, match=r"missing-folder.*cannot write"):
        render_midi_file(path, tmp_path / "missing-folder" / "song.wav")
    (tmp_path / "folder.wav").mkdir()
    with pytest.raises(UserError, match=r"folder\.wav: cannot write"):
        render_midi_file(path, tmp_path / "folder.wav")
    assert_no_wav_left(tmp_path / "folder.wav")
    assert [name for name in os.listdir(tmp_path) if name.endswith(".tmp")] == []


def test_refuses_to_write_the_wav_over_its_own_midi_file(tmp_path):
    path = write_midi(tmp_path / "song.mid", [drum_note(0, 36)])
    before = path.read_bytes()
    with pytest.raises(UserError, match="input MIDI file"):
        render_midi_file(path, path)
    assert path.read_bytes() == before


# --- the real corpus, when it is there ---

@pytest.mark.skipif(not MGLA.is_dir(), reason="../shared/data/mgla-midi is absent")
def test_a_real_song_has_the_bytes_of_the_plain_render(tmp_path):
    song = min(MGLA.glob("*.mid"), key=lambda path: path.stat().st_size)
    render_midi_file(song, tmp_path / "song.wav")
    hits, seconds, _ = read_drum_hits(song)
    assert (tmp_path / "song.wav").read_bytes() == plain_render(hits, seconds, stereo=True)


@pytest.mark.skipif(not MGLA.is_dir(), reason="../shared/data/mgla-midi is absent")
def test_renders_a_whole_song_of_the_real_corpus(tmp_path):
    song = min(MGLA.glob("*.mid"), key=lambda path: path.stat().st_size)
    info = render_midi_file(song, tmp_path / "song.wav", stereo=False)
    rate, pcm = wavfile.read(tmp_path / "song.wav")
    assert info.hits > 1000
    assert len(pcm) == sample(mido.MidiFile(song).length + DECAY_TAIL_SECONDS)
    assert 0 < np.max(np.abs(pcm.astype(np.int32))) < 32767
