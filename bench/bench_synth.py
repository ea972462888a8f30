"""How fast drum MIDI becomes audio: an 8-bar pattern and a 10-minute song (issues 6 and 14).

Goals: an 8-bar pattern well under a second; `listen.py` on the 9.8-minute real song
with-hearts-toward-none-7 (when ../shared/data/mgla-midi exists) at least 300x real time,
measured end to end: a new Python process each run, start-up and imports included.
"""
import importlib
import os
import pathlib
import statistics
import subprocess
import sys
import tempfile
import time

import mido

from drumroll import kit
from drumroll.format import DEFAULT_BPM, DRUM_CHANNEL, MIDI_TICKS_PER_BEAT, STEPS_PER_BAR, \
    STEPS_PER_BEAT
from drumroll.synth import Hit, read_drum_hits, render_hits, render_midi_file, to_int16

ROOT = pathlib.Path(__file__).resolve().parents[1]
REAL_SONG = ROOT.parent / "shared" / "data" / "mgla-midi" / "with-hearts-toward-none-7.mid"
LISTEN_GOAL = 300       # x real time
LISTEN_RUNS = 5
STEP_SECONDS = 60.0 / DEFAULT_BPM / STEPS_PER_BEAT
SIXTEENTH = 2   # steps


def blast_beat_bar(bar):
    """(step, note, velocity) of one bar: kick on 16ths, snare and ride on 8ths, crash on one,
    a tom fill every eighth bar, an open hi-hat on the last 8th of the other bars."""
    hits = [(0, 49, 102)]
    for step in range(0, STEPS_PER_BAR, SIXTEENTH):
        hits.append((step, 36, 89))
        if step % 4 == 2:
            hits.append((step, 38, 89))
        if step % 4 == 0:
            hits.append((step, 51 if bar % 2 else 42, 76))
    if bar % 8 == 7:
        toms = (50, 48, 47, 45, 43, 41)
        hits += [(16 + 2 * i, toms[i % len(toms)], 102) for i in range(8)]
    else:
        hits.append((STEPS_PER_BAR - 4, 46, 89))
    return hits


def pattern_hits(bars):
    return [Hit((bar * STEPS_PER_BAR + step) * STEP_SECONDS, note, velocity)
            for bar in range(bars) for step, note, velocity in blast_beat_bar(bar)]


def write_midi(path, hits):
    ticks_per_step = MIDI_TICKS_PER_BEAT // STEPS_PER_BEAT
    events = []
    for hit in hits:
        tick = int(round(hit.time / STEP_SECONDS)) * ticks_per_step
        events.append((tick, 1, mido.Message("note_on", note=hit.note, velocity=hit.velocity,
                                             channel=DRUM_CHANNEL)))
        events.append((tick + ticks_per_step, 0, mido.Message("note_off", note=hit.note,
                                                              channel=DRUM_CHANNEL)))
    track = mido.MidiTrack([mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(DEFAULT_BPM))])
    now = 0
    for tick, _, message in sorted(events, key=lambda event: event[:2]):
        track.append(message.copy(time=tick - now))
        now = tick
    midi = mido.MidiFile(ticks_per_beat=MIDI_TICKS_PER_BEAT)
    midi.tracks.append(track)
    midi.save(path)


def timed(function, *args, repeat=3):
    """(result, fastest of `repeat` runs in seconds): the fastest is the least disturbed by
    other work on a shared machine."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        result = function(*args)
        best = min(best, time.perf_counter() - start)
    return result, best


def run_listen(song, wav, cache):
    """Seconds of one `python listen.py song --out wav` with its own kit cache folder."""
    environment = dict(os.environ, XDG_CACHE_HOME=cache)
    start = time.perf_counter()
    subprocess.run([sys.executable, str(ROOT / "listen.py"), str(song), "--out", str(wav)],
                   check=True, env=environment, cwd=ROOT, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def bench_listen(song):
    """listen.py end to end on a real song: first run (the kit synthesized and cached), then
    LISTEN_RUNS runs with the kit read from the cache."""
    music_seconds = read_drum_hits(song)[1]
    with tempfile.TemporaryDirectory() as folder:
        wav = os.path.join(folder, "song.wav")
        first = run_listen(song, wav, folder)
        runs = [run_listen(song, wav, folder) for _ in range(LISTEN_RUNS)]
    best, median = min(runs), statistics.median(runs)
    print(f"\nlisten.py {song.name} ({music_seconds / 60:.1f} min of music) -> stereo WAV, "
          "a new process each run, start-up included:")
    print(f"  first run (kit synthesized and cached): {first:.2f} s")
    print(f"  kit cached, best / median of {LISTEN_RUNS}: {best:.2f} / {median:.2f} s = "
          f"{music_seconds / best:.0f}x / {music_seconds / median:.0f}x real time "
          f"(goal: {LISTEN_GOAL}x, {music_seconds / LISTEN_GOAL:.2f} s)")


def main():
    import_seconds = None
    if "scipy.signal" not in sys.modules:
        _, import_seconds = timed(importlib.import_module, "scipy.signal", repeat=1)
    _, synthesis_seconds = timed(kit.synthesize_kit, repeat=1)
    kit.build_kit()     # makes sure the cache file exists
    voices, load_seconds = timed(kit.load_kit, kit.kit_cache_path())
    imported = ""
    if import_seconds is not None:
        imported = f" after importing scipy.signal ({import_seconds:.2f} s)"
    print(f"the kit ({len(voices)} voices): synthesized in {synthesis_seconds:.2f} s{imported}; "
          f"read from the cache in {load_seconds:.3f} s\n")

    bar_seconds = STEPS_PER_BAR * STEP_SECONDS
    cases = [("8-bar pattern", 8), ("10-minute song", int(round(600 / bar_seconds)))]
    print(f"{DEFAULT_BPM} bpm blast beat, 44.1 kHz, fastest of 3 runs: render_hits in mono and "
          "stereo, then the whole MIDI file -> stereo WAV file")
    print(f"{'case':<16}{'hits':>7}{'audio s':>9}{'mono s':>8}{'stereo s':>10}"
          f"{'MIDI->WAV s':>13}{'x realtime':>12}")
    with tempfile.TemporaryDirectory() as folder:
        for name, bars in cases:
            hits = pattern_hits(bars)
            audio, mono_seconds = timed(lambda: to_int16(render_hits(hits, bars * bar_seconds)))
            _, stereo_seconds = timed(
                lambda: to_int16(render_hits(hits, bars * bar_seconds, stereo=True)))
            midi_path = os.path.join(folder, "song.mid")
            write_midi(midi_path, hits)
            _, file_seconds = timed(render_midi_file, midi_path, os.path.join(folder, "song.wav"))
            audio_seconds = len(audio) / kit.SAMPLE_RATE
            print(f"{name:<16}{len(hits):>7}{audio_seconds:>9.1f}{mono_seconds:>8.3f}"
                  f"{stereo_seconds:>10.3f}{file_seconds:>13.3f}"
                  f"{audio_seconds / file_seconds:>12.0f}")
    if REAL_SONG.is_file():
        bench_listen(REAL_SONG)


if __name__ == "__main__":
    main()
