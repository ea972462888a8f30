"""drumroll.midi_scan: the fast drum reader gives what mido gives, float for float, or declines.

Files are written byte by byte here, so running status, sysex, odd meta events and broken
chunks can be crafted; mido (through synth.drum_note_ons_with_mido) is the reference.
"""
import pathlib
import struct

import mido
import pytest
from hypothesis import given, settings, strategies as st
from mido.midifiles.meta import build_meta_message

from drumroll import synth
from drumroll.cli import UserError
from drumroll.format import DRUM_CHANNEL
from drumroll.midi_scan import Declined, meta_is_plain, scan_drum_notes

ROOT = pathlib.Path(__file__).resolve().parents[1]
MGLA = ROOT.parent / "shared" / "data" / "mgla-midi"
DRUMS = 0x90 | DRUM_CHANNEL


def varint(value):
    """MIDI variable-length quantity: 7 bits per byte, the high bit set on all but the last."""
    groups = [value & 0x7F]
    value >>= 7
    while value:
        groups.append(0x80 | (value & 0x7F))
        value >>= 7
    return bytes(reversed(groups))


def event(delta, *data):
    return varint(delta) + bytes(data)


def meta(delta, meta_type, payload=b""):
    return varint(delta) + bytes([0xFF, meta_type]) + varint(len(payload)) + bytes(payload)


def tempo(delta, bpm):
    return meta(delta, 0x51, round(60_000_000 / bpm).to_bytes(3, "big"))


def end_of_track(delta=0):
    return meta(delta, 0x2F)


def track(*events):
    body = b"".join(events)
    return b"MTrk" + struct.pack(">L", len(body)) + body


def midi_file(*tracks, file_type=1, ticks_per_beat=480, num_tracks=None):
    num_tracks = len(tracks) if num_tracks is None else num_tracks
    return (b"MThd" + struct.pack(">Lhhh", 6, file_type, num_tracks, ticks_per_beat)
            + b"".join(tracks))


def write(tmp_path, data, name="song.mid"):
    path = tmp_path / name
    path.write_bytes(data)
    return path


def with_mido(path):
    """What the plain reader gives: (onsets, seconds), or the UserError's message."""
    try:
        return synth.drum_note_ons_with_mido(path)
    except UserError as error:
        return f"error: {error}"


def assert_same_as_mido(path):
    """The fast reader reads the file (does not decline) and agrees with mido exactly."""
    assert scan_drum_notes(path, DRUM_CHANNEL) == with_mido(path)


def assert_declined_and_same_outcome(path):
    """The fast reader declines; synth.drum_note_ons then gives mido's result or error."""
    with pytest.raises(Declined):
        scan_drum_notes(path, DRUM_CHANNEL)
    try:
        outcome = synth.drum_note_ons(path)
    except UserError as error:
        outcome = f"error: {error}"
    assert outcome == with_mido(path)


# --- files it reads, exactly as mido does ---

def test_a_type_0_file_with_running_status_and_tempo_changes(tmp_path):
    path = write(tmp_path, midi_file(track(
        tempo(0, 140),
        event(0, DRUMS, 36, 100), event(0, 42, 80),        # running status: two note-ons
        event(120, 38, 0), event(0, 42, 0),                 # velocity 0: note-offs
        tempo(120, 93.5),
        event(0, DRUMS, 36, 90), event(77, 38, 110),
        event(333, 0x80 | DRUM_CHANNEL, 36, 64), event(0, 38, 64),   # note_off, running
        tempo(1, 201), event(1000, DRUMS, 49, 127),
        end_of_track(480)), file_type=0))
    onsets, seconds = scan_drum_notes(path, DRUM_CHANNEL)
    assert [note for _, note, _ in onsets] == [36, 42, 36, 38, 49]
    assert_same_as_mido(path)


def test_a_type_1_file_with_a_tempo_track_and_several_drum_tracks(tmp_path):
    path = write(tmp_path, midi_file(
        track(meta(0, 0x03, b"tempo map"), meta(0, 0x58, bytes([7, 3, 24, 8])),
              meta(0, 0x59, bytes([0xFD, 1])),                  # 3 flats, minor
              tempo(0, 120), tempo(960, 60), tempo(481, 190), end_of_track(5000)),
        track(meta(0, 0x03, b"drums"), event(0, DRUMS, 36, 100), event(960, DRUMS, 38, 100),
              event(481, DRUMS, 36, 1), event(0, 0x99, 36, 0), end_of_track(10)),
        track(event(480, 0x90, 60, 100),                        # a guitar on channel 1
              event(1, 0xC0, 30), event(0, 31),                  # program changes, running
              event(0, 0xE0, 0, 64), event(5, 0xB0, 7, 100),     # pitch wheel, controller
              event(500, 0x80, 60, 0), end_of_track()),
        track(meta(0, 0x05, b"la"), event(1441, DRUMS, 42, 70), event(0, 46, 90),
              meta(3, 0x01, bytes(range(256))), event(0, 0xF0, 3, 0x7E, 0x01, 0xF7),   # sysex
              event(2, DRUMS, 51, 127))))
    onsets, seconds = scan_drum_notes(path, DRUM_CHANNEL)
    assert len(onsets) == 6
    assert_same_as_mido(path)


def test_tempo_changes_on_the_same_tick_in_two_tracks_apply_in_track_order(tmp_path):
    path = write(tmp_path, midi_file(
        track(tempo(480, 60), end_of_track()),
        track(tempo(480, 240), event(0, DRUMS, 36, 100), event(480, DRUMS, 38, 100))))
    onsets, _ = scan_drum_notes(path, DRUM_CHANNEL)
    assert [time for time, _, _ in onsets] == pytest.approx([0.5, 0.75])    # 240 bpm wins
    assert_same_as_mido(path)


def test_the_length_runs_to_the_last_end_of_track_of_any_track(tmp_path):
    path = write(tmp_path, midi_file(
        track(event(0, DRUMS, 36, 100), end_of_track(480)),
        track(tempo(240, 60), end_of_track(1200))))
    _, seconds = scan_drum_notes(path, DRUM_CHANNEL)
    assert seconds == pytest.approx(0.25 + 1200 / 480)
    assert_same_as_mido(path)


def test_events_after_an_end_of_track_and_bytes_after_the_last_track_are_read_as_mido_does(
        tmp_path):
    path = write(tmp_path, midi_file(
        track(event(0, DRUMS, 36, 100), end_of_track(100), event(23, DRUMS, 38, 100)),
        track(event(50, 0x90, 1, 1))) + b"trailing bytes")
    assert len(scan_drum_notes(path, DRUM_CHANNEL)[0]) == 2
    assert_same_as_mido(path)


def test_a_longer_header_and_a_file_without_tracks(tmp_path):
    data = midi_file(track(event(0, DRUMS, 36, 100)))
    longer = data[:4] + struct.pack(">L", 8) + data[8:14] + b"\0\0" + data[14:]
    assert_same_as_mido(write(tmp_path, longer, "longer.mid"))
    path = write(tmp_path, midi_file(), "empty.mid")
    assert scan_drum_notes(path, DRUM_CHANNEL) == ([], 0.0)
    assert_same_as_mido(path)


def test_every_song_of_the_default_corpus_reads_as_with_mido():
    songs = sorted((ROOT / "data" / "midi").glob("*.mid"))
    assert songs
    for song in songs:
        assert_same_as_mido(song)


# Three of the real songs (mido takes a second or two for each): the one with most tempo
# changes, the one with most tracks, and the 10-minute song of the listen benchmark.
REAL_SONGS = ["the-pallid-scourge.mid", "residual-blight.mid", "with-hearts-toward-none-7.mid"]


@pytest.mark.skipif(not MGLA.is_dir(), reason="../shared/data/mgla-midi is absent")
@pytest.mark.parametrize("name", REAL_SONGS)
def test_real_songs_read_as_with_mido(name):
    assert_same_as_mido(MGLA / name)


# --- files it leaves to mido ---

DECLINED = {
    "type 2": midi_file(track(event(0, DRUMS, 36, 100)), file_type=2),
    "type 3, which mido merges like type 1": midi_file(track(event(0, DRUMS, 36, 100)),
                                                       file_type=3),
    "SMPTE time": midi_file(track(event(0, DRUMS, 36, 100)), ticks_per_beat=-7440),
    "no MThd": b"RIFF" + midi_file(track(event(0, DRUMS, 36, 100)))[4:],
    "a short header": b"MThd" + struct.pack(">L", 4) + b"\0\1\0\1",
    "a truncated track": midi_file(track(event(0, DRUMS, 36, 100), event(0, DRUMS, 38)))[:-3],
    "a missing track": midi_file(track(event(0, DRUMS, 36, 100)), num_tracks=2),
    "a chunk that is not MTrk": midi_file(b"MTrx" + track(event(0, DRUMS, 36, 100))[4:]),
    "running status first": midi_file(track(event(0, 36, 100))),
    "a data byte above 127": midi_file(track(event(0, DRUMS, 36, 200))),
    "a system message": midi_file(track(event(0, 0xF8), event(0, DRUMS, 36, 100))),
    "running status after sysex": midi_file(track(event(0, 0xF0, 1, 0xF7), event(0, 36, 100))),
    "a sysex byte above 127": midi_file(track(event(0, 0xF0, 2, 0x90, 0xF7),
                                              event(0, DRUMS, 36, 100))),
    "an event past the end of its track": midi_file(
        b"MTrk" + struct.pack(">L", 3) + event(0, DRUMS, 36, 100),
        track(event(0, DRUMS, 38, 100))),
    "a meta event longer than the file": midi_file(track(event(0, DRUMS, 36, 100),
                                                         event(0, 0xFF, 0x01, 0x7F))),
    "a key signature of 8 sharps": midi_file(track(meta(0, 0x59, bytes([8, 0])),
                                                   event(0, DRUMS, 36, 100))),
    "a short tempo": midi_file(track(meta(0, 0x51, bytes([7, 161])), event(0, DRUMS, 36, 100))),
    "a one-byte sequence number": midi_file(track(meta(0, 0x00, b"\1"),
                                                  event(0, DRUMS, 36, 100))),
    "an SMPTE offset": midi_file(track(meta(0, 0x54, bytes([0x60, 0, 0, 0, 0])),
                                       event(0, DRUMS, 36, 100))),
    "a meta type mido does not know (it drops its delta time)": midi_file(track(
        event(0, DRUMS, 36, 100), meta(480, 0x08, b"piano"), event(480, DRUMS, 38, 100))),
    "ticks beyond 2**53": midi_file(track(event(0, DRUMS, 36, 100), end_of_track(2 ** 60))),
}


@pytest.mark.parametrize("case", list(DECLINED))
def test_declines_and_mido_gives_the_same_result_or_error(tmp_path, case):
    assert_declined_and_same_outcome(write(tmp_path, DECLINED[case]))


def test_declines_a_missing_file(tmp_path):
    assert_declined_and_same_outcome(tmp_path / "absent.mid")


# --- anything at all: what it reads is what mido reads, what mido refuses it declines ---

def odd_event(draw, delta):
    """An event that is unusual, or that mido refuses."""
    kind = draw(st.sampled_from(["meta", "tempo", "system", "data", "sysex", "running"]))
    if kind == "meta":
        return meta(delta, draw(st.sampled_from([0, 0x08, 0x20, 0x21, 0x54, 0x58, 0x59, 0x99])),
                    draw(st.binary(max_size=6)))
    if kind == "tempo":
        return meta(delta, 0x51, draw(st.binary(max_size=4)))
    if kind == "system":
        return event(delta, draw(st.integers(0xF1, 0xFE)))
    if kind == "data":
        return event(delta, DRUMS, draw(st.integers(0, 255)), draw(st.integers(100, 255)))
    if kind == "sysex":
        return event(delta, 0xF0) + varint(3) + draw(st.binary(min_size=3, max_size=3))
    return event(delta, draw(st.integers(0, 127)), 100)     # running status, maybe after sysex


@st.composite
def midi_bytes(draw):
    """Small files of every kind of event; some odd events, and one in four files broken."""
    tracks = []
    for _ in range(draw(st.integers(0, 3))):
        events, status = [], None
        for _ in range(draw(st.integers(0, 12))):
            delta = draw(st.sampled_from([0, 0, 1, 60, 480, 1000, 200_000]))
            kind = draw(st.sampled_from(["note"] * 6 + ["channel"] * 3 + [
                "short", "tempo", "text", "signature", "sysex", "end", "odd"]))
            if kind == "note":
                velocity = draw(st.sampled_from([0, 1, 64, 127]))
                if status is not None and status < 0xC0 and draw(st.booleans()):
                    events.append(event(delta, draw(st.integers(30, 80)), velocity))   # running
                else:
                    status = draw(st.sampled_from([DRUMS, DRUMS, 0x90, 0x80 | DRUM_CHANNEL]))
                    events.append(event(delta, status, draw(st.integers(30, 80)), velocity))
            elif kind == "channel":
                status = draw(st.sampled_from([0xB0, 0xE0, 0xA9]))
                events.append(event(delta, status, draw(st.integers(0, 127)),
                                    draw(st.integers(0, 127))))
            elif kind == "short":
                status = draw(st.sampled_from([0xC9, 0xD0]))
                events.append(event(delta, status, draw(st.integers(0, 127))))
            elif kind == "tempo":
                events.append(meta(delta, 0x51, draw(st.binary(min_size=3, max_size=3))))
            elif kind == "text":
                events.append(meta(delta, draw(st.sampled_from([1, 2, 3, 5, 6, 0x7F])),
                                   draw(st.binary(max_size=6))))
            elif kind == "signature":
                events.append(meta(delta, 0x58, bytes([draw(st.integers(1, 15)),
                                                       draw(st.integers(0, 5)), 24, 8]))
                              + meta(0, 0x59, bytes([draw(st.integers(-7, 7)) & 0xFF,
                                                     draw(st.integers(0, 1))])))
            elif kind == "sysex":
                status = 0xF0
                events.append(event(delta, 0xF0, 3, 0x7E, draw(st.integers(0, 127)), 0xF7))
            elif kind == "end":
                events.append(end_of_track(delta))
            else:
                events.append(odd_event(draw, delta))
                status = None
        tracks.append(track(*events))
    data = midi_file(*tracks, file_type=draw(st.sampled_from([0, 1, 1, 1, 1, 2])),
                     ticks_per_beat=draw(st.sampled_from([96, 480, 960, 960, -7440])))
    if draw(st.integers(0, 3)) == 0:    # cut it short, or change one byte
        cut = draw(st.integers(0, len(data)))
        if draw(st.booleans()):
            data = data[:cut]
        elif cut < len(data):
            data = data[:cut] + bytes([draw(st.integers(0, 255))]) + data[cut + 1:]
    return data


@settings(max_examples=300, deadline=None)
@given(data=midi_bytes())
def test_what_it_reads_equals_mido_and_what_mido_refuses_it_declines(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("scan") / "song.mid"
    path.write_bytes(data)
    expected = with_mido(path)
    try:
        scanned = scan_drum_notes(path, DRUM_CHANNEL)
    except Declined:
        scanned = None
    if isinstance(expected, str):       # mido's error: the fast reader must have declined
        assert scanned is None
    elif scanned is not None:
        assert scanned == expected


@settings(max_examples=500, deadline=None)
@given(meta_type=st.integers(0, 255), payload=st.binary(max_size=8))
def test_a_meta_event_it_accepts_is_one_mido_decodes(meta_type, payload):
    if meta_is_plain(meta_type, payload):
        build_meta_message(meta_type, list(payload))   # raises if mido refuses it


def test_accepts_the_time_and_key_signatures_real_files_hold():
    for exponent in range(7):           # x/1 .. x/64
        assert meta_is_plain(0x58, bytes([4, exponent, 24, 8]))
        build_meta_message(0x58, [4, exponent, 24, 8])
    for sharps in range(-7, 8):
        for minor in (0, 1):
            assert meta_is_plain(0x59, bytes([sharps & 0xFF, minor]))


def test_mido_writes_what_these_helpers_write(tmp_path):
    # the helpers build real MIDI: mido reads them back as the messages they stand for
    path = write(tmp_path, midi_file(track(tempo(0, 120), event(10, DRUMS, 36, 100),
                                           event(0, 38, 90), end_of_track(5))))
    messages = list(mido.MidiFile(path).tracks[0])
    assert [message.type for message in messages] == ["set_tempo", "note_on", "note_on",
                                                      "end_of_track"]
    assert messages[2].note == 38 and messages[2].channel == DRUM_CHANNEL
    assert messages[0].tempo == 500000 and messages[3].time == 5
