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


ROLAND_KIT = [22, 26, 36, 37, 38, 40, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, 52, 53, 55, 57, 58,
              59]


def performance(seed=0, tpb=TPB, hits=600):
    """A played song as an e-kit records it: three tempos (one changing inside a bar), bars of
    4/4, 7/8 and 1/4, hits anywhere in time on the Roland kit's notes (so some share a cell),
    triplets on the snare. -> (midi, [(tick, note, velocity)] of its hits)."""
    rng = np.random.default_rng(seed)
    bar = 4 * tpb
    seven_eight, one_four = 7 * tpb // 2, tpb
    changes = [0, 2 * bar, 2 * bar + 2 * seven_eight]     # 4/4, then 2 bars of 7/8, then 4/4
    changes += [changes[-1] + 8 * bar, changes[-1] + 8 * bar + one_four]   # a 1/4 bar
    end = changes[-1] + 4 * bar
    meta = meta_track(
        (0, mido.MetaMessage("set_tempo", tempo=500000)), signature(0, 4, 4),
        signature(changes[1], 7, 8),
        (changes[2], mido.MetaMessage("set_tempo", tempo=400000)), signature(changes[2], 4, 4),
        signature(changes[3], 1, 4), signature(changes[4], 4, 4),
        (changes[4] + tpb + 7, mido.MetaMessage("set_tempo", tempo=612345)))
    played = {(int(tick), int(note)): int(velocity) for tick, note, velocity in zip(
        rng.integers(0, end, hits), rng.choice(ROLAND_KIT, hits), rng.integers(1, 128, hits))}
    for beat in range(4, 16):                              # eighth-note triplets on the snare
        for third in range(3):
            played[(beat * tpb + third * tpb // 3, 38)] = 60 + 20 * third
    hits = sorted((tick, note, velocity) for (tick, note), velocity in played.items())
    drums = drum_track(hits, tpb=tpb)
    drums.append(mido.MetaMessage("end_of_track", time=end - sum(m.time for m in drums)))
    return midi_file(meta, drums, tpb=tpb), hits
