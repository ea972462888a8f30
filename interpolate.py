#!/usr/bin/env python3
"""Walk from one groove to another in a trained song model's drumming (`make interpolate`).

    python interpolate.py groove-a.mid groove-b.mid            # 8 steps, runs/song
    python interpolate.py seed:3 seed:8 --steps 16 --out walk
    python interpolate.py my-beat.mid seed:5 --run runs/song-seed1

An end (A, B) is a drum MIDI file, whose first 8 bars of 4/4 the model plays as closely as it
can (a groove of 1 to 7 bars is played round until it fills 8), or seed:N, the first pattern
`make generate SEED=N NUM=1` writes. The path has --steps windows of 8 bars, both ends counted,
each a step further from A towards B (drumroll/interpolate.py). It is written as path.mid, .wav,
.svg and .png (every step one after another) and as step-01.* to step-NN.*, with an index.html
to see and hear them, which says how alike each step is to the ends and to the step before.
Every MIDI file holds the command that makes it again (a text event). --out must be new or
empty, or --replace deletes an earlier generation there.
"""
import drumroll.interrupts  # noqa: F401  (first: Ctrl-C while NumPy loads is one line too)
import argparse
import dataclasses
import os
import shlex
import sys

import numpy as np

from drumroll.cli import (Progress, UserError, add_channel_option, add_playing_options,
                          argument_type, note, parse_seed, plural, run, warn)
from drumroll.drum_maps import AUTO, choose_drum_map
from drumroll.format import DRUM_CHANNEL, WINDOW_BARS, hits_to_pixels
from drumroll.generate import (PATH, STEP, Generation, Played, add_output_options,
                               check_output_folder, resolve_tempo, write_generation)
from drumroll.interpolate import (DEFAULT_STEPS, MAX_STEPS, MIN_STEPS, check_steps, decode_path,
                                  end_seed, file_end, file_level, groove_bars, path_measures,
                                  plan_path, sample_context, seed_end, step_notes)
from drumroll.midi_in import read_drum_file
from drumroll.models.song import SongGAN
from drumroll.midi_out import check_bpm
from drumroll.page import open_page_hint
from drumroll.phrases import ALIKE
from drumroll.training import default_run_dir, load_run


def parse_args(argv):
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    for end, place in (("a", "where the path starts"), ("b", "where it ends")):
        parser.add_argument(end, metavar=end.upper(),
                            help=f"{place}: a drum MIDI file, or seed:N for the run's "
                                 "sampled groove of seed N (N = 0, 1, ...)")
    parser.add_argument("--steps", type=int, default=DEFAULT_STEPS,
                        help=f"windows on the path, both ends counted, {MIN_STEPS} to "
                             f"{MAX_STEPS} (default: %(default)s)")
    parser.add_argument("--run", default=default_run_dir(SongGAN.arch),
                        help="run folder (its newest checkpoint) or checkpoint file of a song "
                             "model (default: %(default)s)")
    parser.add_argument("--seed", type=argument_type(parse_seed), default=0,
                        help="the same seed gives the same path: it draws the search's "
                             "starting points and the batch a file's end plays in (default: "
                             "%(default)s)")
    parser.add_argument("--bpm", type=float,
                        help="tempo (default: A's when A is a file, else B's when B is, "
                             "else the median tempo of the run's training songs)")
    add_channel_option(parser, "the drums in A and B")
    parser.add_argument("--drum-map", default=AUTO, metavar="auto|gm|roland|FILE",
                        help="which row of the roll each note of a file lands on, as "
                             "midi2img.py (default: auto)")
    add_playing_options(parser, "interpolate")
    add_output_options(parser, "interpolated")
    parser.add_argument("--no-wav", action="store_true", help="do not render WAV files")
    args = parser.parse_args(argv)
    if args.bpm is not None:
        check_bpm(args.bpm)
    return args


def remake_command(args, checkpoint):
    """The command line that makes this path again (the checkpoint itself, not its run)."""
    words = ["python", "interpolate.py", args.a, args.b, "--steps", str(args.steps),
             "--seed", str(args.seed), "--run", os.fspath(checkpoint)]
    if args.drum_map != AUTO:
        words += ["--drum-map", args.drum_map]
    if args.channel != DRUM_CHANNEL:
        words += ["--channel", str(args.channel + 1)]
    if args.bpm is not None:
        words += ["--bpm", f"{args.bpm:g}"]
    if args.quantize:
        words += ["--quantize"]
    if args.velocity is not None:
        words += ["--velocity", str(args.velocity)]
    return shlex.join(words)


def read_grooves(args):
    """{end text: (groove bars, bars of the file, tempo, usual velocity)} of the ends that
    are files."""
    grooves = {}
    for text in (args.a, args.b):
        if end_seed(text) is None and text not in grooves:
            roll = read_drum_file(text, args.drum_map, args.channel)
            grooves[text] = (*groove_bars(roll, text), roll.bpm, file_level(roll))
    return grooves


def find_ends(gan, args, grooves):
    """The path's two Ends: a seed's sampled groove, or the window that plays a file's."""
    rng = np.random.default_rng(args.seed)
    statistics = None
    ends = []
    for letter, text in (("A", args.a), ("B", args.b)):
        seed = end_seed(text)
        if seed is not None:
            ends.append(seed_end(gan, text, seed))
            continue
        if statistics is None:
            statistics = sample_context(gan, args.seed)[1]
        print(f"{letter}: searching the model's window that plays {text}", file=sys.stderr,
              flush=True)
        bars, used, _, level = grooves[text]
        ends.append(file_end(gan, text, bars, used, statistics, rng, level=level))
        if ends[-1].alike < ALIKE:
            warn(f"{text}: the model's closest window plays it only {ends[-1].alike:.2f} alike "
                 f"({ALIKE} is one groove); {letter} is the model's nearest groove")
    return ends


def path_tracks(hits, velocities, offsets, notes, a, b):
    """The path as one track, then every step, as Played for generate.write_generation."""
    def joined(parts):
        return np.concatenate(list(parts), axis=1)

    yield Played(hits_to_pixels(joined(hits)), joined(velocities), joined(offsets),
                 f"the {len(hits)} steps one after another, {len(hits) * WINDOW_BARS} bars, "
                 f"from A ({os.path.basename(a.name)}) to B ({os.path.basename(b.name)})",
                 name=PATH)
    for index, about in enumerate(notes):
        yield Played(hits_to_pixels(hits[index]), velocities[index], offsets[index], about,
                     name=f"{STEP}-{index + 1:02d}")


def main(argv=None):
    args = parse_args(argv)
    check_steps(args.steps)
    for text in (args.a, args.b):
        end_seed(text)                         # a bad seed fails now, before the work
    choose_drum_map(args.drum_map)
    grooves = read_grooves(args)
    gan, checkpoint = load_run(args.run, warn=warn)
    if not isinstance(gan, SongGAN):
        raise UserError(f"{checkpoint}: a {gan.arch} model has no roles to play a groove with; "
                        "interpolate with a song model (train_gan.py --arch song)")
    generation = Generation(num=args.steps + 1, bars=WINDOW_BARS, seed=args.seed, bpm=args.bpm,
                            quantize=args.quantize, velocity=args.velocity,
                            wav=not args.no_wav, replace=args.replace, name=STEP,
                            heading=f"{args.steps} steps from {os.path.basename(args.a)} "
                                    f"to {os.path.basename(args.b)}",
                            command=remake_command(args, checkpoint))
    tempo = next(((grooves[text][2], whose) for text, whose in ((args.a, "A's"), (args.b, "B's"))
                  if text in grooves), (None, None))
    resolve_tempo(generation, gan, say=note, primer_bpm=tempo[0], whose=tempo[1])
    dataclasses.replace(generation, bars=WINDOW_BARS * args.steps).check()   # path.wav
    check_output_folder(args.out, args.replace)        # before the search, not after
    a, b = find_ends(gan, args, grooves)
    path = plan_path(gan, a, b, args.steps)
    hits, velocities, offsets = decode_path(gan, path)
    notes = step_notes(hits, a, b)
    written = write_generation(gan, checkpoint, args.out, generation,
                               progress=Progress(args.steps + 1, label="file "), warn=warn,
                               tracks=path_tracks(hits, velocities, offsets, notes, a, b))
    for track in written:
        print(f"{os.path.join(args.out, track.name)}.mid: {track.note}")
    measures = path_measures(hits, a, b)
    print(f"{checkpoint}: wrote a path of {plural(args.steps, 'step')} from {args.a} to "
          f"{args.b} into {args.out} (neighbouring steps alike: lowest "
          f"{measures['neighbours alike, lowest']:.2f}, mean "
          f"{measures['neighbours alike, mean']:.2f}); "
          f"{open_page_hint(args.out, generation.wav)}")
    if measures["neighbours alike, lowest"] < ALIKE and args.steps < MAX_STEPS:
        warn(f"two neighbouring steps are less than {ALIKE} alike; more --steps make the path "
             "smoother")
    return 0


if __name__ == "__main__":
    run(main)
