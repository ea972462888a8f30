#!/usr/bin/env python3
"""Whole drum songs from a trained song model (`make song`): sections, fills, crashes, accents.

    python song.py                                   # 8 songs of 64 bars from runs/song
    python song.py --form "A8 A8 B8 A8 C16 A8" --seed 3
    python song.py --primer my-intro.mid --bars 32   # goes on from my-intro.mid

Each song is written as song-NN.mid, .wav, .svg (a labelled picture) and .png, with an
index.html to see and hear them all; its form is printed. --out must be new or empty (or give
--replace to delete an earlier generation there).
A form names sections by letter and length in bars; the same letter comes back as the same
groove, played again. Without --form, forms are drawn from the training songs' own statistics.
With --primer, the output starts with the primer's own bars, kept as they are, and goes on in
the primer's groove for the first section.
"""
import drumroll.interrupts  # noqa: F401  (first: Ctrl-C while NumPy loads is one line too)
import argparse

import numpy as np

from drumroll.cli import (Progress, UserError, add_channel_option, add_playing_options,
                          argument_type, command_line, note, parse_seed, plural, run, warn)
from drumroll.controls import ControlError, Controls
from drumroll.format import hits_to_pixels
from drumroll.generate import (MAX_BARS, MAX_TRACKS, SONG, Generation, Played,
                               add_output_options, resolve_tempo, write_generation)
from drumroll.midi_in import read_drum_roll
from drumroll.midi_out import MAX_BPM, MIN_BPM, check_bpm
from drumroll.phrases import ALIKE
from drumroll.models.song import SongGAN
from drumroll.page import open_page_hint
from drumroll.songwriter import (MATCH_LABEL, MATCH_SETTINGS, FormError, PrimerError,
                                 continue_song, draw_form, form_text, parse_form, match_drummer,
                                 primer_bars, write_song)
from drumroll.training import default_run_dir, load_run

DEFAULT_BARS = 64


def parse_args(argv):
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--run", default=default_run_dir(SongGAN.arch),
                        help="run folder (its newest checkpoint) or checkpoint file of a song "
                             "model (default: %(default)s)")
    parser.add_argument("--num", type=int, default=8,
                        help=f"songs to write, at most {MAX_TRACKS:,} (default: %(default)s)")
    parser.add_argument("--bars", type=int,
                        help=f"bars per song, the primer's not counted, at most {MAX_BARS:,} with "
                             f"it (default: {DEFAULT_BARS}, or the form's length)")
    parser.add_argument("--form", help='sections, e.g. "A8 A8 B8 A8 C16 A8" (default: drawn '
                                       "from the training songs, a new form per song)")
    parser.add_argument("--seed", type=argument_type(parse_seed), default=0,
                        help="the same seed writes the same songs (default: %(default)s)")
    parser.add_argument("--bpm", type=float,
                        help=f"tempo, {MIN_BPM:.5g} to {MAX_BPM} (default: the primer's, else the "
                             "median tempo of the run's training songs)")
    parser.add_argument("--primer", metavar="MIDI",
                        help="a drum MIDI file in 4/4 to go on from; its bars are kept, as they "
                             "are, at the start of every song")
    add_channel_option(parser, "the primer's drums")
    add_output_options(parser, "songs", "its song-* and track-* files")
    add_playing_options(parser, "song")
    steering = parser.add_argument_group(
        "steering (drumroll/controls.py; the form's + and - marks too: \"A8 B8+ C16++ A8-\" "
        "plays B a step and C two steps busier and louder, the last A a step sparser and "
        "quieter)")
    Controls.add_options(steering)
    steering.add_argument("--redo", type=int, metavar="N",
                          help="write the songs of --seed with their N-th section (1 = the "
                               "first) drawn anew from --redo-seed; every other bar stays")
    steering.add_argument("--redo-seed", type=argument_type(parse_seed), metavar="SEED",
                          help="the seed the --redo section is drawn from (default: --seed + 1)")
    parser.add_argument("--no-wav", action="store_true", help="do not render WAV files")
    args = parser.parse_args(argv)
    # the counts, before any work (the songs' length is checked again with the form and primer)
    Generation(num=args.num, bars=DEFAULT_BARS if args.bars is None else args.bars, wav=False,
               name=SONG).check()
    if args.bpm is not None:
        check_bpm(args.bpm)
    try:
        args.controls = Controls(args.density, args.fills, args.variation)
    except ControlError as error:
        parser.error(str(error))
    if args.redo is not None and args.redo < 1:
        parser.error(f"--redo {args.redo}: sections are numbered from 1")
    if args.redo_seed is not None and args.redo is None:
        parser.error("--redo-seed goes with --redo N (the section to draw anew)")
    return args


def given_form(args):
    """The sections of --form (checked against --bars), or None when no form is given."""
    if args.form is None:
        return None
    try:
        sections = parse_form(args.form)
    except FormError as error:
        raise UserError(f"--form: {error}") from None
    total = sum(section.bars for section in sections)
    if args.bars is not None and args.bars != total:
        raise UserError(f"--form has {total} bars but --bars says {args.bars}; "
                        "give one of them")
    return sections


def song_forms(args, sections, gan, rng):
    """The form of each song: the one given (given_form), or drawn per song."""
    if sections is not None:
        return [sections] * args.num
    return [draw_form(gan.config.form or {}, args.bars or DEFAULT_BARS, rng)
            for _ in range(args.num)]


def picture_sections(sections, primer_bars):
    """A song's form -> its sections for the picture, [(label, first bar, bars)], after a
    primer's bars (labelled "primer") when there are any."""
    marks, first = ([("primer", 0, primer_bars)] if primer_bars else []), primer_bars
    for section in sections:
        marks.append((section.letter, first, section.bars))
        first += section.bars
    return marks


def songs(gan, forms, rng, primer, args):
    """Yield every song, Played, for generate.write_generation."""
    redo = None if args.redo is None else (args.redo - 1, args.redo_seed if args.redo_seed
                                            is not None else args.seed + 1)
    steering = dict(controls=args.controls, redo=redo, matched=match_drummer(
        gan, progress=Progress(MATCH_SETTINGS, label=MATCH_LABEL)))
    for sections in forms:
        note = f"form {form_text(sections)}"
        if primer is None:
            song = write_song(gan, sections, rng, **steering)
        else:
            song, fit = continue_song(gan, primer, sections, rng, **steering)
            note += (f", after the primer's {plural(len(primer.bars), 'bar')} (the model's "
                     f"closest window plays them {fit.alike:.2f} alike)")
            if fit.alike < ALIKE:
                warn(f"the model cannot play the primer's groove closely: its closest window "
                     f"is {fit.alike:.2f} alike the primer's last bars, where {ALIKE} is one "
                     "groove; the song goes on in a groove of the model's own")
        yield Played(hits_to_pixels(song.hits), song.velocities, song.offsets, note,
                     sections=picture_sections(sections, 0 if primer is None
                                               else len(primer.bars)))


def main(argv=None):
    args = parse_args(argv)
    form = given_form(args)
    primer, primer_bpm = None, None
    if args.primer is not None:
        roll = read_drum_roll(args.primer, channel=args.channel)
        try:
            primer, primer_bpm = primer_bars(roll, args.primer), roll.bpm
        except PrimerError as error:
            raise UserError(str(error)) from None
    gan, path = load_run(args.run, warn=warn)
    if not isinstance(gan, SongGAN):
        article = "an" if gan.arch[0] in "aeiou" else "a"
        raise UserError(f"{path}: {article} {gan.arch} model writes 8-bar patterns, not songs; "
                        "train a song model (train_gan.py --arch song) or use img2midi.py")
    rng = np.random.default_rng(args.seed)
    forms = song_forms(args, form, gan, rng)
    if args.redo is not None and any(args.redo > len(sections) for sections in forms):
        fewest = min(len(sections) for sections in forms)
        raise UserError(f"--redo {args.redo}: a song has only {plural(fewest, 'section')} "
                        f"({form_text(min(forms, key=len))})")
    extra = len(primer.bars) if primer is not None else 0
    bars = max(sum(section.bars for section in sections) for sections in forms)
    if bars + extra > MAX_BARS:
        raise UserError(f"the songs would have {bars + extra:,} bars ({bars:,} and the primer's "
                        f"{extra:,}), more than the {MAX_BARS:,} a song may have")
    generation = Generation(num=args.num, bars=bars + extra, seed=args.seed,
                            quantize=args.quantize, controls=args.controls,
                            bpm=args.bpm, velocity=args.velocity, wav=not args.no_wav,
                            replace=args.replace, name=SONG,
                            command=command_line("song.py", argv))
    generation.check()
    resolve_tempo(generation, gan, say=note, primer_bpm=primer_bpm)
    written = write_generation(gan, path, args.out, generation,
                               progress=Progress(args.num, label="song "), warn=warn,
                               tracks=songs(gan, forms, rng, primer, args))
    for track in written:
        print(f"{args.out}/{track.name}.mid: {track.note}")
    print(f"{path}: wrote {plural(len(written), 'song')} at {generation.bpm:g} bpm to "
          f"{args.out}; {open_page_hint(args.out, generation.wav)}")
    return 0


if __name__ == "__main__":
    run(main)
