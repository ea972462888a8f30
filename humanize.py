#!/usr/bin/env python3
"""Play your own drum MIDI the way a trained run's drummer plays (`make humanize`).

    python humanize.py my-beat.mid                      # with runs/song, into humanized/
    python humanize.py beats/ --run runs/song-seed1 --out felt

Every note of each file is kept, hit for hit: only its timing against the grid and its velocity
change, to the ones the run's drummer gives that pattern (drumroll/humanize.py). Each file is
written as humanized-NN.mid (its own notes, tempo and meters), .wav, .svg (a labelled picture,
hits drawn where they sound) and .png, with an index.html to see and hear them all; --out must
be new or empty, or --replace deletes an earlier generation there. A file that cannot be read
is reported in one line and the others go on; the exit code is 1 when any failed.
"""
import drumroll.interrupts  # noqa: F401  (first: Ctrl-C while NumPy loads is one line too)
import argparse
import os
import sys

import numpy as np

from drumroll.cli import (Progress, UserError, add_channel_option, argument_type, parse_seed,
                          plural, run, warn)
from drumroll.drum_maps import AUTO, choose_drum_map
from drumroll.format import hits_to_pixels
from drumroll.generate import (HUMANIZED, Generation, Played, add_output_options,
                               write_generation)
from drumroll.humanize import humanize
from drumroll.midi_in import find_midi_files, read_drum_file
from drumroll.models.song import SongGAN
from drumroll.page import PAGE_NAME
from drumroll.training import default_run_dir, load_run


def parse_args(argv):
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("midi", nargs="+", help="drum MIDI files or folders (searched "
                                                "recursively)")
    parser.add_argument("--run", default=default_run_dir(SongGAN.arch),
                        help="run folder (its newest checkpoint) or checkpoint file of a song "
                             "model: whose drummer plays (default: %(default)s)")
    add_output_options(parser, "humanized")
    parser.add_argument("--seed", type=argument_type(parse_seed), default=0,
                        help="the same seed gives the same result (default: 0)")
    parser.add_argument("--drum-map", default=AUTO, metavar="auto|gm|roland|FILE",
                        help="which row of the roll each note lands on, as midi2img.py "
                             "(default: auto)")
    add_channel_option(parser, "the drums in the files")
    parser.add_argument("--no-wav", action="store_true", help="do not render WAV files")
    return parser.parse_args(argv)


def humanized_tracks(gan, rolls, rng):
    """Yield each file humanized, as a Played for generate.write_generation."""
    for path, roll in rolls:
        done = humanize(gan, roll, rng)
        kept = []
        if done.kept_bars:
            kept.append(f"{plural(done.kept_bars, 'bar')} in another meter kept as played")
        if done.kept_notes:
            kept.append(f"{plural(done.kept_notes, 'hit')} of drums the model never learned "
                        "kept as played")
        note = (f"{os.path.basename(path)}, {plural(done.bars, 'bar')} humanized (the model's "
                f"windows play them {done.alike:.2f} alike)" + "".join(f"; {k}" for k in kept))
        yield Played(hits_to_pixels(done.roll.hits), done.roll.velocities, done.roll.offsets,
                     note, performance=done.roll)


def main(argv=None):
    args = parse_args(argv)
    choose_drum_map(args.drum_map)             # a bad map file fails now, before the work
    files = find_midi_files(args.midi)
    gan, path = load_run(args.run, warn=warn)
    if not isinstance(gan, SongGAN):
        raise UserError(f"{path}: a {gan.arch} model learns no timing or dynamics; humanize "
                        "with a song model (train_gan.py --arch song)")
    rolls, failed = [], 0
    for midi_path in files:
        try:
            rolls.append((midi_path, read_drum_file(midi_path, args.drum_map, args.channel)))
        except UserError as error:             # say so, and go on with the others
            print(f"error: {error}", file=sys.stderr)
            failed += 1
    if not rolls:
        raise UserError(f"{', '.join(args.midi)}: no drum MIDI file could be read")
    generation = Generation(num=len(rolls), bars=max(len(roll.bars) for _, roll in rolls),
                            seed=args.seed, bpm=float(np.median([r.bpm for _, r in rolls])),
                            wav=not args.no_wav, replace=args.replace, name=HUMANIZED)
    written = write_generation(gan, path, args.out, generation,
                               progress=Progress(len(rolls), label="file "), warn=warn,
                               tracks=humanized_tracks(gan, rolls, np.random.default_rng(args.seed)))
    for track in written:
        print(f"{os.path.join(args.out, track.name)}.mid: {track.note}")
    print(f"{path}: humanized {plural(len(written), 'file')} into {args.out}; open "
          f"{os.path.join(args.out, PAGE_NAME)} to see and hear them"
          + (f"; {plural(failed, 'file')} could not be read" if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    run(main)
