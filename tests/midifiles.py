"""Small MIDI files for the tests, built in memory."""
import mido
import numpy as np

TPB = 480
QUARTER = TPB


def drum_track(hits, channel=9, tpb=480):
    """hits: list of (absolute tick, note, velocity) -> MidiTrack with note_on/note_off pairs."""
    events = []
    for tick, note, velocity in hits:
        events.append((tick, 1, mido.Message("note_on", channel=channel, note=note,
                                             velocity=velocity)))
        events.append((tick + tpb // 16, 0, mido.Message("note_off", channel=channel, note=note)))
    events.sort(key=lambda event: (event[0], event[1]))
    track, previous = mido.MidiTrack(), 0
    for tick, _, message in events:
        track.append(message.copy(time=tick - previous))
        previous = tick
    return track


def midi_file(*tracks, tpb=480, type=1):
    midi = mido.MidiFile(type=type, ticks_per_beat=tpb)
    midi.tracks.extend(tracks)
    return midi


def cells(roll):
    """Hit cells as a set of (note, step)."""
    rows, steps = np.nonzero(roll.velocities)
    return {(int(row) + roll.lowest_note, int(step)) for row, step in zip(rows, steps)}


def signature(tick, numerator, denominator):
    return tick, mido.MetaMessage("time_signature", numerator=numerator, denominator=denominator)


def meta_track(*events):
    """(absolute tick, MetaMessage) pairs, in the order given -> MidiTrack."""
    track, previous = mido.MidiTrack(), 0
    for tick, message in events:
        track.append(message.copy(time=tick - previous))
        previous = tick
    return track


def meter_song(segments, tpb=TPB):
    """[(bars, numerator, denominator)] -> (signature track, bar line ticks, end tick)."""
    events, lines, tick = [], [], 0
    for count, numerator, denominator in segments:
        events.append(signature(tick, numerator, denominator))
        length = numerator * 4 * tpb // denominator
        lines += [tick + index * length for index in range(count)]
        tick += count * length
    return meta_track(*events), lines, tick


def song_with_meters(segments):
    """A file whose drums hit every 8th note and an accent on each bar line; -> (midi, lines)."""
    track, lines, end = meter_song(segments)
    eighths = [(tick, 42, 70) for tick in range(0, end, QUARTER // 2)]
    accents = [(tick, 49, 110) for tick in lines]
    drums = drum_track(eighths + accents)
    drums.append(mido.MetaMessage("end_of_track", time=end - sum(m.time for m in drums)))
    return midi_file(track, drums), lines
