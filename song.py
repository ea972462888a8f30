#!/usr/bin/env python3
"""Whole drum songs from a trained song model (`make song`): sections, fills, crashes, accents.

    python song.py                                   # 8 songs of 64 bars from runs/song
    python song.py --form "A8 A8 B8 A8 C16 A8" --seed 3
    python song.py --primer my-intro.mid --bars 32   # goes on from my-intro.mid

Each song is written as song-NN.mid, song-NN.wav and song-NN.png, and its form is printed.
A form names sections by letter and length in bars; the same letter comes back as the same
groove, played again. Without --form, forms are drawn from the training songs' own statistics.
With --primer, the output starts with the primer's own bars, kept as they are, and goes on in
the primer's groove for the first section.
"""
import argparse
import os
import sys

import numpy as np

from drumroll.cli import UserError, run
from drumroll.files import output_folder
from drumroll.format import DEFAULT_BPM, STEPS_PER_BAR, hits_to_pixels
from drumroll.images import write_png
from drumroll.midi_in import read_drum_roll
from drumroll.midi_out import roll_to_midi, write_midi
from drumroll.models.song import SongGAN
from drumroll.songwriter import (FormError, PrimerError, continue_song, draw_form, form_text,
                                 parse_form, primer_bars, write_song)
from drumroll.synth import render_midi_file
from drumroll.training import default_run_dir, load_run


def parse_args(argv):
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--run", default=default_run_dir(SongGAN.arch),
                        help="run folder (its newest checkpoint) or checkpoint file of a song "
                             "model (default: %(default)s)")
    parser.add_argument("--num", type=int, default=8, help="songs to write (default: %(default)s)")
    parser.add_argument("--bars", type=int,
                        help="bars per song, the primer's not counted (default: 64, or the "
                             "form's length)")
    parser.add_argument("--form", help='sections, e.g. "A8 A8 B8 A8 C16 A8" (default: drawn '
                                       "from the training songs, a new form per song)")
    parser.add_argument("--seed", type=int, default=0,
                        help="the same seed writes the same songs (default: %(default)s)")
    parser.add_argument("--bpm", type=float, default=DEFAULT_BPM,
                        help="tempo (default: %(default)s)")
    parser.add_argument("--primer", metavar="MIDI",
                        help="a drum MIDI file in 4/4 to go on from; its bars are kept at the "
                             "start of every song")
    parser.add_argument("--velocity", type=int,
                        help="play every hit at this velocity, 1-127 (default: the model's "
                             "own dynamics)")
    parser.add_argument("--out", default="songs", help="output folder (default: %(default)s)")
    parser.add_argument("--no-wav", action="store_true", help="do not render WAV files")
    args = parser.parse_args(argv)
    if args.num < 1:
        parser.error("--num must be at least 1")
    if args.bars is not None and args.bars < 1:
        parser.error("--bars must be at least 1")
    if args.velocity is not None and not 1 <= args.velocity <= 127:
        parser.error("--velocity must be between 1 and 127")
    if not 1 <= args.bpm <= 1000:
        parser.error("--bpm must be between 1 and 1000")
    if args.seed < 0:
        parser.error("--seed must not be negative")
    return args


def song_forms(args, gan, rng):
    """The form of each song: the one given (checked against --bars), or drawn per song."""
    if args.form is not None:
        try:
            sections = parse_form(args.form)
        except FormError as error:
            raise UserError(f"--form: {error}") from None
        total = sum(section.bars for section in sections)
        if args.bars is not None and args.bars != total:
            raise UserError(f"--form has {total} bars but --bars says {args.bars}; "
                            "give one of them")
        return [sections] * args.num
    return [draw_form(gan.model.form or {}, args.bars or 64, rng) for _ in range(args.num)]


def main(argv=None):
    args = parse_args(argv)
    gan, path = load_run(args.run)
    if not isinstance(gan, SongGAN):
        raise UserError(f"{path}: a {gan.arch} model writes 8-bar patterns, not songs; train a "
                        f"song model (train_gan.py --arch song) or use img2midi.py")
    primer = None
    if args.primer:
        try:
            primer = primer_bars(read_drum_roll(args.primer), args.primer)
        except PrimerError as error:
            raise UserError(str(error)) from None
    output_folder(args.out)
    rng = np.random.default_rng(args.seed)
    for index, sections in enumerate(song_forms(args, gan, rng), start=1):
        if primer is None:
            hits, velocities, _ = write_song(gan, sections, rng)
            note = ""
        else:
            hits, velocities, wrong = continue_song(gan, primer, sections, rng)
            note = f", after the primer's {len(primer[0])} bars ({wrong:.1%} of its cells missed)"
        if args.velocity is not None:
            velocities = np.where(hits, args.velocity, 0)
        stem = os.path.join(args.out, f"song-{index:02d}")
        write_png(stem + ".png", hits_to_pixels(hits))
        write_midi(roll_to_midi(hits, velocities, bpm=args.bpm, name=f"song-{index:02d}"),
                   stem + ".mid")
        if not args.no_wav:
            render_midi_file(stem + ".mid", stem + ".wav")
        print(f"{stem}.mid: {hits.shape[1] // STEPS_PER_BAR} bars, form {form_text(sections)}"
              + note)
    print(f"{path}: wrote {args.num} song{'s' if args.num > 1 else ''} at {args.bpm:g} bpm to "
          f"{args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    run(main)
