#!/usr/bin/env python3
"""Drum-roll images -> MIDI files that any sequencer loads; new tracks from a trained GAN; or
a dataset's songs back as they were played.

    python img2midi.py build/dataset/*.png --out converted --bpm 160
    python img2midi.py --checkpoint runs/bars --num 8 --out generated   (make generate)
    python img2midi.py build/dataset/dataset.npz --out songs-midi

Given a dataset.npz (or the folder holding one), every song in it becomes `<song>.mid` as it was
played: type 1 at the song's own ticks per beat, its tempo map and time signatures, every hit at
its cell moved by its offset, with the note played and its exact velocity, drums on channel 10.
--out must be new or empty, or --replace deletes the MIDI files in it first.

With --checkpoint, the generator writes --num tracks into --out, each as `track-NN.png` (the
dataset format), `.svg` (a labelled picture), `.mid` and `.wav`, and an `index.html` to see
and hear them all in a browser (rows the training data never used are blanked). A generation
never mixes with another: --out must be new or empty, or --replace deletes the earlier
generation's files first (other files are left alone). Otherwise each image becomes
`<image stem>.mid`: type 1, 480 ticks per beat, a tempo track and one drum track on channel 10
with a note_on and a note_off for every hit, exactly as long as the image (a 256-step image is
8 bars and loops cleanly). A pixel darker than --threshold is a hit.
"""
import drumroll.interrupts  # noqa: F401  (first: Ctrl-C while NumPy loads is one line too)
import argparse
import os
import sys

from drumroll.cli import (Progress, UserError, argument_type, command_line, few_or_grouped, note,
                          parse_seed, plural, run, warn, without_path)
from drumroll.controls import ControlError, Controls
from drumroll.dataset import DATASET_NAME, load_dataset
from drumroll.files import staged_folder
from drumroll.format import (
    DEFAULT_BPM, DEFAULT_THRESHOLD, DEFAULT_VELOCITY, HIGHEST_NOTE, LOWEST_NOTE, NUM_ROWS,
    WINDOW_BARS,
)
from drumroll.generate import (MAX_BARS, MAX_TRACKS, Generation, images_to_midi, resolve_tempo,
                               write_generation)
from drumroll.images import find_images, read_png
from drumroll.midi_in import parse_note_range
from drumroll.midi_out import MAX_BPM, MIN_BPM, check_bpm
from drumroll.page import PAGE_NAME, open_page_hint
from drumroll.roundtrip import write_songs
from drumroll.models.song import SongGAN
from drumroll.training import load_run

DEFAULT_OUT = "generated"
SONGS_FOLDER = "midi"       # where a dataset's songs go without --out: beside its dataset.npz


def note_list(text):
    """'37,39-40' -> [37, 39, 40]: MIDI notes (0-127), a range from low to high."""
    notes = []
    for part in filter(None, text.split(",")):
        low, _, high = part.partition("-")
        try:
            low, high = int(low), int(high or low)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r}: expected notes like 37,39-40") from None
        if not 0 <= low <= high <= 127:
            raise argparse.ArgumentTypeError(f"{part!r}: notes are 0 to 127, a range from low "
                                             "to high (e.g. 37,39-40)")
        notes.extend(range(low, high + 1))
    return notes


def build_parser():
    parser = argparse.ArgumentParser(
        description="Turn drum-roll PNGs (rows = notes from 36 up, columns = 32nd notes, "
                    "dark = hit) into MIDI\ndrum tracks, or write new tracks (PNG, SVG, MIDI, "
                    "WAV and an index.html page) from a trained\nrun with --checkpoint. A "
                    "generation goes into a new or empty --out folder, or replaces the\n"
                    "earlier generation there with --replace: it never mixes with another.\n"
                    "Given a dataset.npz (or its folder), write its songs back as MIDI as they "
                    "were played\n(their timing offsets, notes, velocities, tempos and meters).",
        epilog="examples: python img2midi.py build/dataset/*_0.png --out converted --bpm 160\n"
               "          python img2midi.py --checkpoint runs/bars --num 8 --out generated\n"
               "          python img2midi.py build/dataset/dataset.npz --out songs-midi",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("images", nargs="*",
                        help="PNG files, folders of PNGs or glob patterns; or one dataset.npz "
                             "(or the folder holding it): its songs as they were played")
    generation = parser.add_argument_group("generating new tracks from a trained model")
    generation.add_argument("--checkpoint", metavar="RUN",
                            help="run folder (its newest checkpoint), its checkpoints folder "
                                 "or a checkpoint file")
    generation.add_argument("--num", type=int, default=8,
                            help=f"tracks to generate, at most {MAX_TRACKS:,} "
                                 "(default: %(default)s)")
    generation.add_argument("--bars", type=int, default=WINDOW_BARS,
                            help="bars per track: several 8-bar samples are chained, at most "
                                 f"{MAX_BARS:,} (default: %(default)s)")
    generation.add_argument("--seed", type=argument_type(parse_seed), default=0,
                            help="sampling seed: the same seed gives the same tracks (default: 0)")
    Controls.add_options(generation, ("density", "variation"), only="; a song model only")
    generation.add_argument("--quantize", action="store_true",
                            help="play every hit on its grid line (make generate FEEL=0): "
                                 "the model's timing is left out, its velocities kept")
    generation.add_argument("--no-wav", action="store_true",
                            help="do not render a .wav beside each generated .mid")
    generation.add_argument("--replace", action="store_true",
                            help=f"--out holds an earlier generation: delete its track-* files "
                                 f"and {PAGE_NAME} and write the new one (without it a "
                                 "non-empty --out is refused); for a dataset's songs: delete the "
                                 "MIDI files in --out first")
    parser.add_argument("--out",
                        help=f"output folder (default: {DEFAULT_OUT}; for a dataset's songs: "
                             f"the folder {SONGS_FOLDER} beside the dataset)")
    parser.add_argument("--bpm", type=float,
                        help=f"tempo written into the MIDI file, {MIN_BPM:.5g} to {MAX_BPM} "
                             "(default: with --checkpoint the median tempo of the run's training "
                             f"songs, else {DEFAULT_BPM})")
    parser.add_argument("--threshold", type=int, default=DEFAULT_THRESHOLD,
                        help="a pixel darker than this (0-256) is a hit (default: %(default)s)")
    parser.add_argument("--velocity", type=int,
                        help="MIDI velocity of every hit, 1-127 (default: with --checkpoint the "
                             f"model's own dynamics when it has them, else {DEFAULT_VELOCITY})")
    parser.add_argument("--blank", type=note_list, default=[], metavar="NOTES",
                        help="notes to silence, e.g. 37,39-40 (notes the drummer never plays)")
    parser.add_argument("--notes", type=argument_type(parse_note_range), metavar="LOW-HIGH",
                        help=f"notes of the image rows, as given to midi2img.py; sets the image "
                             f"height (default: {LOWEST_NOTE}-{HIGHEST_NOTE}; not with "
                             "--checkpoint: a run knows its notes)")
    return parser


def check_options(args):
    try:
        args.controls = Controls(density=args.density, variation=args.variation)
    except ControlError as error:
        raise UserError(str(error)) from None
    if not 0 <= args.threshold <= 256:
        raise UserError(f"--threshold {args.threshold}: must be between 0 and 256")
    if args.velocity is not None and not 1 <= args.velocity <= 127:
        raise UserError(f"--velocity {args.velocity}: must be between 1 and 127")
    if args.bpm is not None:
        check_bpm(args.bpm)
    if args.num < 1 or args.bars < 1:
        raise UserError("--num and --bars must be at least 1")
    if args.checkpoint is not None and args.notes is not None:
        raise UserError("--notes: a run writes the notes of the dataset it was trained on; "
                        "--notes is for converting images")


def dataset_path(paths):
    """The dataset.npz (or folder holding one) given instead of images, else None."""
    def is_dataset(path):
        return path.endswith(".npz") or os.path.isfile(os.path.join(path, DATASET_NAME))

    datasets = [path for path in paths if is_dataset(path)]
    if datasets and len(paths) > 1:
        raise UserError(f"{datasets[0]}: give one dataset, or images, not both")
    return datasets[0] if datasets else None


def write_dataset_songs(path, args):
    """Write every song of the dataset at `path` back to MIDI as it was played."""
    for option, value in (("--bpm", args.bpm), ("--velocity", args.velocity),
                          ("--notes", args.notes), ("--blank", args.blank)):
        if value:
            raise UserError(f"{option}: a dataset's songs are written as they were played (their "
                            f"own tempo, notes and velocities)")
    dataset = load_dataset(path, height=None)
    folder = path if os.path.isdir(path) else os.path.dirname(path)
    out = args.out or os.path.join(folder, SONGS_FOLDER)
    written = write_songs(dataset, out, replace=args.replace,
                          progress=Progress(dataset.num_songs, label="songs "))
    print(f"{path}: wrote {plural(len(written), 'song')} as played to {out}")
    return 0


def generate(args, argv=None):
    """Write a generation of args.num tracks from a checkpoint into args.out."""
    generation = Generation(num=args.num, bars=args.bars, seed=args.seed, bpm=args.bpm,
                            quantize=args.quantize, controls=args.controls,
                            command=command_line("img2midi.py", argv),
                            threshold=args.threshold, velocity=args.velocity,
                            blank_notes=args.blank, wav=not args.no_wav, replace=args.replace)
    generation.check()                      # before loading the model
    gan, path = load_run(args.checkpoint, warn=warn)
    if not args.controls.neutral and not isinstance(gan, SongGAN):
        raise UserError(f"{path}: --density and --variation steer a song model; a "
                        f"{gan.arch} model plays as trained")
    resolve_tempo(generation, gan, say=note)
    tracks = write_generation(gan, path, args.out, generation,
                              progress=Progress(args.num, label="track "), warn=warn)
    kinds = ".png, .svg, .mid" + ("" if args.no_wav else ", .wav")
    print(f"{path}: wrote {plural(len(tracks), 'track')} of {plural(args.bars, 'bar')} at "
          f"{generation.bpm:g} bpm to {args.out} ({kinds}); "
          f"{open_page_hint(args.out, generation.wav)}")
    return 0


def convert_images(paths, folder, num_rows, options):
    """Write each image as <stem>.mid into `folder` -> (paths written, images that failed).
    An image that cannot be read is reported in one line (past a few, counted by reason) and
    the batch goes on; UserError when none could be converted."""
    written, failed, stems = [], [], {}
    for path in paths:
        try:
            stem = os.path.splitext(os.path.basename(path))[0]
            if stem in stems:               # two folders' x.png would both become x.mid
                raise UserError(f"{path}: {stem}.mid is already written from {stems[stem]}")
            pixels = read_png(path, height=num_rows)
            written += images_to_midi([(stem, pixels)], folder, **options)
            stems[stem] = path
        except UserError as error:   # report and go on with the rest of the batch
            failed.append((without_path(path, str(error)), f"error: {error}"))
    for line in few_or_grouped("failed", failed, indent=""):
        print(line, file=sys.stderr)
    if not written:
        raise UserError(f"no image could be converted ({plural(len(failed), 'image')} failed)")
    return written, len(failed)


def main(argv=None):
    args = build_parser().parse_args(argv)
    check_options(args)
    if args.checkpoint is not None:
        if args.images:
            raise UserError("give either images or --checkpoint, not both")
        args.out = args.out or DEFAULT_OUT
        return generate(args, argv)
    if not args.images:
        raise UserError("no images given (usage: img2midi.py IMAGES... --out DIR)")
    dataset = dataset_path(args.images)
    if dataset:
        return write_dataset_songs(dataset, args)
    args.out = args.out or DEFAULT_OUT
    paths = find_images(args.images)
    lowest_note, num_rows = args.notes or (LOWEST_NOTE, NUM_ROWS)
    bpm = args.bpm or DEFAULT_BPM
    options = dict(bpm=bpm, threshold=args.threshold, velocity=args.velocity or DEFAULT_VELOCITY,
                   blank_notes=args.blank, lowest_note=lowest_note)
    with staged_folder(args.out, "wait for it or give another --out") as stage:
        written, failed = convert_images(paths, stage.staging, num_rows, options)
        stage.commit()
    print(f"wrote {plural(len(written), 'MIDI file')} to {args.out} at {bpm:g} bpm"
          + (f"; {plural(failed, 'image')} failed" if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    run(main)
