"""drumroll.kit: the synthesized voices. Every note has one, each sounds like its drum.
The kit is synthesized once and then read from a cache file that follows its recipe."""
import os

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


# --- the cache file ---

@pytest.fixture
def cache(tmp_path, monkeypatch):
    """An empty cache folder, and a count of how often the kit gets synthesized (the count
    stands in for synthesizing: it hands out copies of the session's kit, which is faster)."""
    session_kit = build_kit()
    calls = []

    def synthesize():
        calls.append(1)
        return {name: sound.copy() for name, sound in session_kit.items()}
    monkeypatch.setattr(kit, "synthesize_kit", synthesize)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    build_kit.cache_clear()
    yield calls
    build_kit.cache_clear()     # the next tests read the session's cache again


def fresh_kit():
    """build_kit() as in a new process."""
    build_kit.cache_clear()
    return build_kit()


def assert_same_kit(first, second):
    assert set(first) == set(second)
    for name in first:
        assert first[name].dtype == second[name].dtype == np.float32, name
        np.testing.assert_array_equal(first[name], second[name], err_msg=name)


def test_a_synthesized_kit_is_bit_for_bit_the_one_read_from_the_cache():
    build_kit()     # synthesized earlier in the session, or read from the session's cache
    fresh = fresh_kit()
    assert_same_kit(kit.synthesize_kit(), fresh)
    assert_same_kit(kit.load_kit(kit.kit_cache_path()), fresh)


def test_the_kit_is_synthesized_once_then_read_from_the_cache(cache):
    first = fresh_kit()
    assert len(cache) == 1 and os.path.isfile(kit.kit_cache_path())
    assert kit.kit_cache_path().startswith(os.environ["XDG_CACHE_HOME"])
    second = fresh_kit()
    assert len(cache) == 1
    assert_same_kit(second, first)


def test_the_voices_read_from_the_cache_are_read_only(cache):
    fresh_kit()
    with pytest.raises(ValueError):
        fresh_kit()["snare"][100] = 0.0


def write_bytes(path, data):
    with open(path, "wb") as handle:
        handle.write(data)


def read_bytes(path):
    with open(path, "rb") as handle:
        return handle.read()


def flip_a_byte_in_the_middle(path):
    data = bytearray(read_bytes(path))
    data[len(data) // 2] ^= 0xFF
    write_bytes(path, bytes(data))


def change_voices(change):
    """A damage: the kit file rewritten with `change` applied to its voices."""
    def damage(path):
        voices = dict(kit.load_kit(path))
        change(voices)
        with open(path, "wb") as handle:
            np.savez(handle, **voices)
    return damage


DAMAGES = {
    "garbage": lambda path: write_bytes(path, b"not a zip file"),
    "truncated": lambda path: write_bytes(path, read_bytes(path)[:os.path.getsize(path) // 2]),
    "empty": lambda path: write_bytes(path, b""),
    "a flipped byte": flip_a_byte_in_the_middle,
    "a voice missing": change_voices(lambda voices: voices.pop("snare")),
    "float64": change_voices(lambda voices: voices.update(kick=voices["kick"].astype("f8"))),
    "an empty voice": change_voices(lambda voices: voices.update(kick=np.zeros(0, "f4"))),
    "a folder": lambda path: (os.remove(path), os.mkdir(path)),
}


@pytest.mark.parametrize("damage", list(DAMAGES))
def test_a_damaged_cache_file_is_synthesized_again_and_rewritten(cache, damage):
    expected = fresh_kit()
    DAMAGES[damage](kit.kit_cache_path())
    assert_same_kit(fresh_kit(), expected)
    assert len(cache) == 2
    if damage != "a folder":
        assert_same_kit(kit.load_kit(kit.kit_cache_path()), expected)   # repaired
    assert not [name for name in os.listdir(os.path.dirname(kit.kit_cache_path()))
                if name.endswith(".tmp")]


def test_a_changed_recipe_makes_a_new_kit_and_removes_the_old_one(cache, monkeypatch):
    fresh_kit()
    old_path = kit.kit_cache_path()
    source = kit.recipe_source()
    monkeypatch.setattr(kit, "recipe_source", lambda: source.replace(b"seed=8", b"seed=80"))
    assert kit.kit_cache_path() != old_path
    fresh_kit()
    assert len(cache) == 2
    assert os.listdir(os.path.dirname(old_path)) == [os.path.basename(kit.kit_cache_path())]


def test_other_numpy_or_scipy_versions_make_a_new_kit(monkeypatch):
    path = kit.kit_cache_path()
    monkeypatch.setattr(kit.scipy, "__version__", "0.1")
    assert kit.kit_cache_path() != path
    monkeypatch.undo()
    monkeypatch.setattr(kit.np, "__version__", "0.1")
    assert kit.kit_cache_path() != path


def test_a_cache_folder_that_cannot_be_written_still_gives_the_kit(cache, tmp_path, monkeypatch):
    blocker = tmp_path / "a file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    assert set(fresh_kit()) == set(kit.VOICE_BUILDERS)
    assert len(cache) == 1 and blocker.read_text() == "not a folder"
