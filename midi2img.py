#!/usr/bin/env python3
"""MIDI drum tracks -> drum-roll PNGs and the trainer's dataset.npz (`make dataset`).

Reads every *.mid / *.midi under the given folders, puts the drums (MIDI channel 10, --channel)
on the rows of a drum map and on 32nd-note cells on the bars of each file's time-signature map,
cuts each song into windows (8 whole 4/4 bars, one starting at every bar by default; bars in
other meters are never in a window) and writes one PNG per window with a hit, plus dataset.npz
holding them and the whole songs with how every hit was played (its timing offset from its
cell, velocity and note; `img2midi.py DATASET --out DIR` writes the songs back). Bad files, and
songs without 8 bars of 4/4 in a row, are reported and skipped; the exit code is non-zero only
when nothing usable was found.
"""
import drumroll.interrupts  # noqa: F401  (first: Ctrl-C while NumPy loads is one line too)
import argparse
import os
import sys

from drumroll.cli import Progress, UserError, add_channel_option, argument_type, run
from drumroll.files import staged_folder
from drumroll.dataset import (DATASET_NAME, build_dataset, check_window, load_dataset,
                              save_dataset)
from drumroll.drum_maps import AUTO, choose_drum_map
from drumroll.format import (DEFAULT_HOP_BARS, HIGHEST_NOTE, LOWEST_NOTE, STEPS_PER_BAR,
                             WINDOW_STEPS)
from drumroll.images import write_pngs
from drumroll.midi_in import MAX_SONG_BARS, find_midi_files, parse_note_range

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_MIDI_DIR = os.path.join(HERE, "data", "midi")


def positive(text):
    value = int(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text!r}: must be a positive integer")
    return value


def build_parser():
    parser = argparse.ArgumentParser(
        description="Turn MIDI drum tracks into drum-roll PNGs (rows = notes, columns = 32nd "
                    "notes, black = hit) and a dataset.npz for train_gan.py.",
        epilog="example: python midi2img.py ../shared/data/mgla-midi --out build/dataset")
    parser.add_argument("midi", nargs="*", default=[DEFAULT_MIDI_DIR],
                        help="MIDI files or folders, searched recursively "
                             "(default: the project's own corpus in data/midi)")
    parser.add_argument("--out", default="build/dataset",
                        help="output folder for the PNGs and dataset.npz (default: %(default)s)")
    parser.add_argument("--hop", type=positive, default=DEFAULT_HOP_BARS,
                        help="bars between window starts, counted from the first bar of each "
                             "run of 4/4 bars (default: %(default)s = a window at every bar)")
    parser.add_argument("--window", type=positive, default=WINDOW_STEPS,
                        help="window length in 32nd-note steps, a whole number of 4/4 bars "
                             "(default: %(default)s = 8 bars)")
    parser.add_argument("--notes", type=argument_type(parse_note_range), metavar="LOW-HIGH",
                        default=(LOWEST_NOTE, HIGHEST_NOTE - LOWEST_NOTE + 1),
                        help=f"MIDI notes kept, one image row each; others are dropped and "
                             f"counted (default: {LOWEST_NOTE}-{HIGHEST_NOTE})")
    parser.add_argument("--drum-map", default=AUTO, metavar="auto|gm|roland|FILE",
                        help="which row each played note lands on: gm (General MIDI), roland "
                             "(the Roland TD kits of the Groove MIDI Dataset), or a text file of "
                             "lines `NOTE ROW_NOTE [name]` (`NOTE -` drops it) changing gm; "
                             "auto: roland when a file plays note 22 or 26 (e-kit hi-hat "
                             "edges), else gm (default: %(default)s)")
    add_channel_option(parser)
    parser.add_argument("--no-png", action="store_true",
                        help="write only dataset.npz, not one PNG per window")
    return parser


def check_sizes(hop, window):
    """UserError for a --hop or --window longer than a song may last (MAX_SONG_BARS bars)."""
    if hop > MAX_SONG_BARS:
        raise UserError(f"--hop {hop:,}: at most {MAX_SONG_BARS:,} bars, the longest a song may "
                        "last")
    if window > MAX_SONG_BARS * STEPS_PER_BAR:
        raise UserError(f"--window {window:,}: at most {MAX_SONG_BARS * STEPS_PER_BAR:,} steps "
                        f"({MAX_SONG_BARS:,} bars), the longest a song may last")


def earlier_pngs(dataset_path, dataset):
    """The names of the PNGs an earlier dataset in the same folder wrote that the new one does
    not: they are deleted when the new dataset is moved in, so the folder never holds both."""
    try:
        earlier = load_dataset(dataset_path, height=None)
    except UserError:                 # none, or not one of ours: nothing to clean up
        return []
    kept = set(dataset.names())
    return [name + ".png" for name in earlier.names() if name not in kept]


def write_dataset(stage, dataset, pngs):
    """Write dataset.npz (and one PNG per window when `pngs`) into the folder of `stage` (a
    files.StagedFolder) by the rule of every folder a command writes: all of it is staged and
    moved in at the end, the earlier dataset's PNGs that the new one does not have deleted at
    that moment; a failure or Ctrl-C before leaves the folder as it was. -> the dataset's
    path."""
    dataset_path = os.path.join(stage.folder, DATASET_NAME)
    if pngs:
        progress = Progress(len(dataset), label="PNGs ")
        progress.update(0)
        write_pngs(stage.staging, dataset.names(), dataset.images, progress, beside=stage.folder)
    save_dataset(stage.path(DATASET_NAME), dataset)
    stage.commit(delete=earlier_pngs(dataset_path, dataset))
    return dataset_path


def main(argv=None):
    args = build_parser().parse_args(argv)
    check_window(args.window)
    check_sizes(args.hop, args.window)
    if args.drum_map != AUTO:
        choose_drum_map(args.drum_map)       # a bad map file fails now, before the work
    files = find_midi_files(args.midi)
    # the folder is held from the start: a second command writing into it is refused at once
    with staged_folder(args.out) as stage:
        return make_dataset(args, files, stage)


def make_dataset(args, files, stage):
    """Read the MIDI files into a dataset, write it into the staged folder, print the report."""
    lowest_note, num_rows = args.notes
    progress = Progress(len(files), label="MIDI files ")
    progress.update(0)
    dataset, report = build_dataset(files, window=args.window, hop=args.hop,
                                    lowest_note=lowest_note, num_rows=num_rows, progress=progress,
                                    drum_map=args.drum_map, channel=args.channel)
    if len(dataset) == 0:
        print("\n".join(report.lines()), file=sys.stderr)
        raise UserError(f"{', '.join(args.midi)}: no usable drum track found "
                        f"({len(report.skipped)} of {len(files)} files skipped)")
    dataset_path = write_dataset(stage, dataset, pngs=not args.no_png)

    print("\n".join(report.lines()))
    print(f"wrote {dataset_path}: images {dataset.images.shape}"
          + ("" if args.no_png else f" and {len(dataset)} PNGs"))
    return 0


if __name__ == "__main__":
    run(main)
