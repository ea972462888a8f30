"""A fast reader of what the renderer needs from a MIDI file: drum note-ons, timed as by mido.

    onsets, end_seconds = scan_drum_notes("song.mid", DRUM_CHANNEL)   # [(seconds, note, vel.)]

The plain way (drumroll.midi_in.read_midi, then iterating the mido.MidiFile) builds a Python
object for every message, copies each one three times while merging the tracks, and only then
yields them; for a 10-minute song that is two seconds before the first sample is mixed. This
reader walks the bytes once and keeps only three things: note_on events with velocity > 0 on
one channel, tempo changes, and the tick of every message. The seconds are then computed the
way mido computes them, float operation for float operation, so the times are identical:

- mido merges the tracks by a stable sort on the absolute tick and drops the end_of_track
  events (their time moves to the next message; one end_of_track closes the merged track);
- it then adds up, message after message, `delta_ticks * (tempo * 1e-6 / ticks_per_beat)`
  with the tempo of the last set_tempo before that message. Only the first message at each
  distinct tick has a non-zero delta, so the running sum is taken over the distinct ticks of
  all messages of all tracks (end_of_track excepted, the very end included). np.cumsum adds
  in order, as mido's loop does.

It declines (raises Declined) anything it does not copy exactly, from a malformed file to a
type 2 file, SMPTE time, system messages, or a meta event that mido might refuse to decode.
The caller then reads the file with mido, which gives the same result or the same error.
Checked against mido on the real songs and on generated files in tests/test_midi_scan.py.
"""
import struct

import numpy as np

from drumroll.files import unreadable_input

DEFAULT_TEMPO = 500000          # microseconds per beat (120 bpm) until a set_tempo says otherwise
MAX_DATA_LENGTH = 1000000       # mido refuses longer meta or sysex events
END_OF_TRACK = 0x2F
SET_TEMPO = 0x51
META = 0xFF
SYSEX = (0xF0, 0xF7)
HEADER = struct.Struct(">4sLhhh")     # "MThd", header length, format, tracks, ticks per beat
CHUNK = struct.Struct(">4sL")         # name, length
# The meta event types mido 1.3 decodes (its MetaSpec classes); it has no 0x08.
KNOWN_META_TYPES = frozenset([0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x09, 0x20, 0x21,
                              END_OF_TRACK, SET_TEMPO, 0x54, 0x58, 0x59, 0x7F])


class Declined(Exception):
    """The file is malformed, or holds something this reader leaves to mido."""


def scan_drum_notes(path, channel):
    """Note-ons (velocity > 0) on `channel` of a type 0 or 1 MIDI file, every track.

    Returns (onsets, end_seconds): onsets are (seconds, note, velocity) tuples in the order
    mido's merged track plays them; end_seconds is the length of the file. Both are the exact
    floats iterating mido.MidiFile(path) gives. Raises Declined when mido must read the file.
    """
    if unreadable_input(path):              # a FIFO, a device, a huge file: mido's reader says so
        raise Declined("not a file to read whole")
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError:
        raise Declined("cannot read the file") from None
    if len(data) < HEADER.size:
        raise Declined("no complete header")
    name, header_length, file_type, num_tracks, ticks_per_beat = HEADER.unpack_from(data)
    if name != b"MThd" or header_length < 6:
        raise Declined("no MThd header")
    if file_type not in (0, 1):
        raise Declined(f"format {file_type}")
    if ticks_per_beat <= 0:
        raise Declined("SMPTE time division")

    tracks = []
    position = 8 + header_length
    for _ in range(num_tracks):     # a negative count reads no track, as in mido
        if position + CHUNK.size > len(data):
            raise Declined("truncated")
        name, length = CHUNK.unpack_from(data, position)
        start, end = position + CHUNK.size, position + CHUNK.size + length
        if name != b"MTrk" or end > len(data):
            raise Declined("not a whole MTrk chunk")
        try:
            tracks.append(scan_track(data, start, end, 0x90 | channel))
        except IndexError:          # an event runs past the end of the file
            raise Declined("truncated") from None
        position = end
    return merge_and_time(tracks, ticks_per_beat)


def scan_track(data, position, end, note_on_status):
    """One MTrk chunk's bytes data[position:end] -> (notes, tempos, event_ticks, end_tick).

    notes: (tick, note, velocity) of note_on events with status `note_on_status`, velocity > 0;
    tempos: (tick, microseconds per beat); event_ticks: each tick at which a message other than
    end_of_track sits, once; end_tick: the tick of the last event, end_of_track included.
    """
    notes, tempos, event_ticks = [], [], []
    tick, last_event_tick = 0, -1
    status = None       # running status: the last status byte that was not a meta event's
    while position < end:
        byte = data[position]                   # delta time: 7 bits per byte, high bit = more
        position += 1
        delta = byte & 0x7F
        while byte & 0x80:
            byte = data[position]
            position += 1
            delta = (delta << 7) | (byte & 0x7F)
        tick += delta

        if data[position] & 0x80:               # a status byte; else running status
            kind = data[position]
            position += 1
            if kind != META:
                status = kind
        elif status is None or status >= 0xF0:
            raise Declined("running status without a channel message before it")
        else:
            kind = status

        if kind < 0xF0:                         # channel message: one or two data bytes
            first = data[position]
            if 0xC0 <= kind < 0xE0:             # program change, channel pressure
                second = 0
                position += 1
            else:
                second = data[position + 1]
                position += 2
            if first > 127 or second > 127:
                raise Declined("a data byte above 127")
            if kind == note_on_status and second > 0:
                notes.append((tick, first, second))
        elif kind == META:
            meta_type = data[position]
            payload, position = read_payload(data, position + 1)
            if meta_type == END_OF_TRACK:
                continue                        # mido drops it when merging: not an event tick
            if not meta_is_plain(meta_type, payload):
                raise Declined(f"meta event 0x{meta_type:02x} that mido might refuse")
            if meta_type == SET_TEMPO:
                tempos.append((tick, (payload[0] << 16) | (payload[1] << 8) | payload[2]))
        elif kind in SYSEX:
            payload, position = read_payload(data, position)
            if any(byte > 127 for byte in payload.removeprefix(b"\xf0").removesuffix(b"\xf7")):
                raise Declined("a sysex data byte above 127")
        else:
            raise Declined(f"system message 0x{kind:02x}")

        if tick != last_event_tick:
            event_ticks.append(tick)
            last_event_tick = tick
    if position != end:
        raise Declined("an event runs past the end of its track")
    return notes, tempos, event_ticks, tick


def read_payload(data, position):
    """A length-prefixed meta or sysex payload at `position` -> (bytes, position after it)."""
    length = 0
    while True:
        byte = data[position]
        position += 1
        length = (length << 7) | (byte & 0x7F)
        if byte < 0x80:
            break
    if length > MAX_DATA_LENGTH or position + length > len(data):
        raise Declined("a meta or sysex event longer than the file")
    return data[position:position + length], position + length


def meta_is_plain(meta_type, payload):
    """True when mido 1.3 decodes this meta event without an error (its MetaSpec decoders)
    and keeps its delta time.

    Text events, tempo, time and key signatures are what real files hold; the rest, and any
    payload mido would choke on, is left to mido. So are the types mido does not know: it
    reads them with their delta time dropped, which moves every later event of the track.
    """
    if meta_type not in KNOWN_META_TYPES:
        return False
    length = len(payload)
    if meta_type == 0x00:                       # sequence_number: two bytes, or none
        return length != 1
    if meta_type == 0x20:                       # channel_prefix
        return length >= 1
    if meta_type == SET_TEMPO:                  # three bytes, big endian
        return length >= 3
    if meta_type == 0x54:                       # smpte_offset: checked field by field by mido
        return False
    if meta_type == 0x58:                       # time_signature: denominator 2 ** payload[1]
        return length >= 4 and payload[1] <= 6
    if meta_type == 0x59:                       # key_signature: -7..7 sharps, major or minor
        return length >= 2 and (payload[0] <= 7 or payload[0] >= 256 - 7) and payload[1] <= 1
    return True     # text types, midi_port, end_of_track, sequencer_specific


def merge_and_time(tracks, ticks_per_beat):
    """Scanned tracks -> (onsets, end_seconds) in seconds, computed as mido computes them."""
    notes = [note for track_notes, _, _, _ in tracks for note in track_notes]
    tempos = [tempo for _, track_tempos, _, _ in tracks for tempo in track_tempos]
    end_tick = max((track_end for _, _, _, track_end in tracks), default=0)
    if end_tick >= 2 ** 53:     # past int64 and exact floats; mido's arithmetic is unbounded
        raise Declined("ticks too large")

    # Where mido's running sum moves on: every event tick, plus the end (see the docstring).
    ticks = np.unique(np.array([0, end_tick] + [tick for _, _, event_ticks, _ in tracks
                                                for tick in event_ticks], dtype=np.int64))
    # The tempo over (ticks[k - 1], ticks[k]]: the last set_tempo at or before ticks[k - 1],
    # tracks merged in mido's order (a stable sort on the tick).
    tempos.sort(key=lambda tempo: tempo[0])
    tempo_ticks = np.array([tick for tick, _ in tempos], dtype=np.int64)
    tempo_values = np.array([DEFAULT_TEMPO] + [value for _, value in tempos], dtype=np.int64)
    in_force = tempo_values[np.searchsorted(tempo_ticks, ticks[:-1], side="right")]
    seconds_per_tick = in_force * 1e-6 / ticks_per_beat       # mido.tick2second's formula
    seconds = np.concatenate([[0.0], np.cumsum(np.diff(ticks) * seconds_per_tick)])

    notes.sort(key=lambda note: note[0])
    note_seconds = seconds[np.searchsorted(ticks, [tick for tick, _, _ in notes])].tolist()
    onsets = [(time, note, velocity) for time, (_, note, velocity) in zip(note_seconds, notes)]
    return onsets, float(seconds[-1])
