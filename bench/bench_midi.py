"""midi2img speed against its floor, mido's own parsing of the same files.

Goal: the whole midi2img run (read, quantize, cut windows, write every PNG and dataset.npz) takes
at most 1.5x the time mido needs just to read the files, on the real corpus (when
../shared/data/mgla-midi exists) and on a synthetic one-hour drum track (180 bpm, ~1,000 drum
onsets a minute, denser than the real drummer's ~720).

The output goes to a RAM-backed folder when there is one (/dev/shm): on a shared virtual disk,
creating thousands of small files now and then stalls for seconds on the file system's journal,
which says nothing about midi2img. Every system call is still made and timed.
"""
import contextlib
import io
import os
import pathlib
import sys
import tempfile
import time

import mido
import numpy as np

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import midi2img  # noqa: E402
from drumroll.compose import compose_song, song_to_midi  # noqa: E402
from drumroll.midi_in import find_midi_files  # noqa: E402

REAL_CORPUS = HERE.parent.parent / "shared" / "data" / "mgla-midi"
GOAL = 1.5
REPEATS = 3
OUTPUT_ROOT = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None


def time_once(function):
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def run_midi2img(folder):
    """One whole midi2img run into a fresh folder, output silenced (deleting it is not timed)."""
    with tempfile.TemporaryDirectory(dir=OUTPUT_ROOT) as out, \
            contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        return time_once(lambda: midi2img.main([str(folder), "--out", out]))


def read_each(files):
    """mido's parse of every file, one at a time as midi2img does (keeping all of them alive
    would make the garbage collector's work part of the floor)."""
    for path in files:
        mido.MidiFile(path)


def read_and_convert_times(folder, files):
    """Best mido read time and best midi2img time, measured in alternation so that both see
    the same load (the machine is shared: the minimum is the signal)."""
    read = convert = float("inf")
    for _ in range(REPEATS):
        read = min(read, time_once(lambda: read_each(files)))
        convert = min(convert, run_midi2img(folder))
    return read, convert


def one_hour_track(folder):
    rng = np.random.default_rng(0)
    velocities, bpm, _ = compose_song(rng, seconds=3600, bpm=180)
    path = pathlib.Path(folder) / "one-hour.mid"
    song_to_midi(velocities, bpm, "one hour").save(path)
    return path, velocities


def measure(name, folder, rows):
    files = find_midi_files([folder])
    events = sum(len(track) for path in files for track in mido.MidiFile(path).tracks)
    read, convert = read_and_convert_times(folder, files)
    rows.append((name, len(files), events, read, convert, convert / read))


def main():
    rows = []
    if REAL_CORPUS.is_dir():
        measure("real corpus (mgla-midi)", REAL_CORPUS, rows)
    else:
        print(f"({REAL_CORPUS} not found: real corpus skipped)")
    with tempfile.TemporaryDirectory() as folder:
        one_hour_track(folder)
        measure("synthetic one-hour track", folder, rows)

    print(f"output written to {OUTPUT_ROOT or tempfile.gettempdir()}; best of {REPEATS} runs each")
    print(f"{'input':26s} {'files':>5s} {'messages':>9s} {'mido read':>10s} {'midi2img':>9s}"
          f" {'ratio':>6s}  goal <= {GOAL}x")
    for name, files, events, read, convert, ratio in rows:
        verdict = "ok" if ratio <= GOAL else "SLOW"
        print(f"{name:26s} {files:5d} {events:9d} {read:9.2f}s {convert:8.2f}s {ratio:5.2f}x"
              f"  {verdict}")


if __name__ == "__main__":
    main()
