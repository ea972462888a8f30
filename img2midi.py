"""Drum-roll images -> MIDI files that any sequencer loads.

Each image becomes `<image stem>.mid`: type 1, 480 ticks per beat, a tempo track and one drum
track on channel 10 with a note_on and a note_off for every hit, exactly as long as the image
(a 256-step image is 8 bars and loops cleanly). A pixel darker than --threshold is a hit.
"""
import argparse
import os
import sys

from drumroll.cli import UserError, run
from drumroll.format import (
    DEFAULT_BPM, DEFAULT_THRESHOLD, DEFAULT_VELOCITY, HIGHEST_NOTE, LOWEST_NOTE, pixels_to_hits,
)
from drumroll.images import find_images, read_png
from drumroll.midi_in import parse_note_range
from drumroll.midi_out import roll_to_midi, write_midi


def note_range(text):
    try:
        return parse_note_range(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def note_list(text):
    """'37,39-40' -> [37, 39, 40]."""
    notes = []
    try:
        for part in filter(None, text.split(",")):
            low, _, high = part.partition("-")
            notes.extend(range(int(low), int(high or low) + 1))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: expected notes like 37,39-40") from None
    return notes


def build_parser():
    parser = argparse.ArgumentParser(
        description="Turn drum-roll PNGs (rows = notes from 36 up, columns = 32nd notes, "
                    "dark = hit) into MIDI drum tracks.",
        epilog="example: python img2midi.py build/dataset/*_0.png --out generated --bpm 160")
    parser.add_argument("images", nargs="*",
                        help="PNG files, folders of PNGs or glob patterns")
    parser.add_argument("--out", default="generated",
                        help="output folder for the .mid files (default: %(default)s)")
    parser.add_argument("--bpm", type=float, default=DEFAULT_BPM,
                        help="tempo written into the MIDI file (default: %(default)s)")
    parser.add_argument("--threshold", type=int, default=DEFAULT_THRESHOLD,
                        help="a pixel darker than this (0-256) is a hit (default: %(default)s)")
    parser.add_argument("--velocity", type=int, default=DEFAULT_VELOCITY,
                        help="MIDI velocity of every hit, 1-127 (default: %(default)s)")
    parser.add_argument("--blank", type=note_list, default=[], metavar="NOTES",
                        help="notes to silence, e.g. 37,39-40 (notes the drummer never plays)")
    parser.add_argument("--notes", type=note_range, default=(LOWEST_NOTE, HIGHEST_NOTE - LOWEST_NOTE + 1),
                        metavar="LOW-HIGH",
                        help=f"notes of the image rows, as given to midi2img.py; sets the image "
                             f"height (default: {LOWEST_NOTE}-{HIGHEST_NOTE})")
    return parser


def check_options(args):
    if not 0 <= args.threshold <= 256:
        raise UserError(f"--threshold {args.threshold}: must be between 0 and 256")
    if not 1 <= args.velocity <= 127:
        raise UserError(f"--velocity {args.velocity}: must be between 1 and 127")
    if not 1 <= args.bpm <= 1000:
        raise UserError(f"--bpm {args.bpm:g}: must be between 1 and 1000")


def prepare_output(folder):
    try:
        os.makedirs(folder, exist_ok=True)
    except OSError as error:
        raise UserError(f"{folder}: cannot create output folder ({error.strerror or error})") from None
    if not os.access(folder, os.W_OK):
        raise UserError(f"{folder}: output folder is not writable")


def convert(named_images, out, bpm=DEFAULT_BPM, threshold=DEFAULT_THRESHOLD,
            velocity=DEFAULT_VELOCITY, blank_notes=(), lowest_note=LOWEST_NOTE):
    """Write one MIDI file per image into folder `out` -> the paths written, in order.

    named_images: iterable of (stem, pixels), pixels (rows, steps) uint8 with 0 = hit; the
    file is `<stem>.mid`. Rows of blank_notes are silenced.
    """
    written = []
    for stem, pixels in named_images:
        hits = pixels_to_hits(pixels, threshold)                   # (rows, steps) bool
        rows = [note - lowest_note for note in blank_notes if 0 <= note - lowest_note < len(hits)]
        hits[rows] = False
        midi = roll_to_midi(hits, velocity, bpm=bpm, lowest_note=lowest_note, name=stem)
        path = os.path.join(out, stem + ".mid")
        write_midi(midi, path)
        written.append(path)
    return written


def main(argv=None):
    args = build_parser().parse_args(argv)
    check_options(args)
    if not args.images:
        raise UserError("no images given (usage: img2midi.py IMAGES... --out DIR)")
    paths = find_images(args.images)
    prepare_output(args.out)
    lowest_note, num_rows = args.notes
    options = dict(bpm=args.bpm, threshold=args.threshold, velocity=args.velocity,
                   blank_notes=args.blank, lowest_note=lowest_note)
    written, failed = [], 0
    for path in paths:
        try:
            pixels = read_png(path, height=num_rows)
            stem = os.path.splitext(os.path.basename(path))[0]
            written += convert([(stem, pixels)], args.out, **options)
        except UserError as error:   # report and go on with the rest of the batch
            print(f"error: {error}", file=sys.stderr)
            failed += 1
    print(f"wrote {len(written)} MIDI files to {args.out} at {args.bpm:g} bpm"
          + (f"; {failed} images failed" if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    run(main)
