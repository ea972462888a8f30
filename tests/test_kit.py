"""drumroll.kit: the synthesized voices. Every note has one, each sounds like its drum."""
import numpy as np
import pytest

from drumroll import kit
from drumroll.format import HIGHEST_NOTE, KIT_PIECES, LOWEST_NOTE
from drumroll.kit import DECAY_TAIL_SECONDS, NOTE_VOICES, SAMPLE_RATE, TOM_PITCHES, build_kit


def spectrum(sound, seconds=0.2):
    """Power spectrum of the first `seconds` of a sound: (frequencies, power)."""
    x = np.asarray(sound[:int(seconds * SAMPLE_RATE)], dtype=np.float64)
    return np.fft.rfftfreq(len(x), 1 / SAMPLE_RATE), np.abs(np.fft.rfft(x)) ** 2


def centroid(sound):
    frequencies, power = spectrum(sound)
    return float((frequencies * power).sum() / power.sum())


def ring_seconds(sound, drop_db=40):
    """Time until the sound stays `drop_db` below its peak."""
    loud = np.nonzero(np.abs(sound) > np.abs(sound).max() * 10 ** (-drop_db / 20))[0]
    return loud[-1] / SAMPLE_RATE


def test_every_note_a_drum_roll_holds_has_a_voice():
    assert set(NOTE_VOICES) == set(range(LOWEST_NOTE, HIGHEST_NOTE + 1))
    assert set(NOTE_VOICES.values()) == set(build_kit())


def test_voices_are_float32_start_at_the_hit_and_end_in_silence():
    for name, sound in build_kit().items():
        assert sound.dtype == np.float32, name
        assert sound[0] == 0 and sound[-1] == 0, name
        assert np.max(np.abs(sound[:int(0.005 * SAMPLE_RATE)])) > 0.1 * np.max(np.abs(sound)), name
        assert 0 < len(sound) <= DECAY_TAIL_SECONDS * SAMPLE_RATE, name
        assert 0 < np.max(np.abs(sound)) <= 1.0, name


def test_the_kit_is_the_same_every_time_it_is_built():
    first = {name: sound.copy() for name, sound in build_kit().items()}
    build_kit.cache_clear()
    for name, sound in build_kit().items():
        np.testing.assert_array_equal(sound, first[name], err_msg=name)


def test_shared_voices_cannot_be_changed_by_accident():
    with pytest.raises(ValueError):
        kit.note_sample(36)[0] = 1.0


def test_kick_is_lowest_and_hi_hats_brightest():
    kick = centroid(kit.note_sample(36))
    snare = centroid(kit.note_sample(38))
    hats = [centroid(kit.note_sample(note)) for note in (42, 46)]
    assert kick < 150 < 2000 < snare < min(hats)
    assert min(hats) > 6000


def test_toms_sit_at_distinct_pitches_from_floor_to_high():
    notes = sorted(TOM_PITCHES, key=TOM_PITCHES.get)
    peaks = []
    for note in notes:
        frequencies, power = spectrum(kit.note_sample(note), seconds=1.0)
        peaks.append(frequencies[np.argmax(power)])
    assert peaks == sorted(peaks) and len(set(peaks)) == len(peaks)
    np.testing.assert_allclose(peaks, [TOM_PITCHES[note] for note in notes], rtol=0.1)


def test_ride_and_bell_ring_with_inharmonic_partials():
    for note in (51, 53):
        frequencies, power = spectrum(kit.note_sample(note), seconds=1.0)
        audible = (frequencies > 200) & (frequencies < 8000)
        top = np.sort(frequencies[audible][np.argsort(power[audible])[-400:]])
        peaks = [group[0] for group in np.split(top, np.nonzero(np.diff(top) > 20)[0] + 1)]
        ratios = np.array(peaks[1:]) / peaks[0]
        assert len(peaks) >= 4, note
        assert np.max(np.abs(ratios - np.round(ratios))) > 0.1, note   # not a harmonic series


def test_cymbals_ring_long_and_closed_hi_hats_are_short():
    for note in KIT_PIECES["crash/china"] + KIT_PIECES["ride"]:
        assert ring_seconds(kit.note_sample(note)) > 1.0, note
    assert ring_seconds(kit.note_sample(46)) > 0.5           # open hi-hat
    for note in (42, 44):
        assert ring_seconds(kit.note_sample(note)) < 0.25, note
    assert ring_seconds(kit.note_sample(55)) < ring_seconds(kit.note_sample(49))   # splash


def test_only_the_hi_hat_notes_choke_each_other():
    assert kit.CHOKE_NOTES == {42, 44, 46}


def test_every_voice_has_a_place_in_the_stereo_kit():
    assert set(kit.VOICE_PAN) == set(build_kit())
    for note in NOTE_VOICES:
        left, right = kit.note_pan_gains(note)
        assert left ** 2 + right ** 2 == pytest.approx(1.0), note
