#!/usr/bin/env python3
"""Hear a drum MIDI file without a DAW: render it to a WAV with the synthesized kit.

    python listen.py song.mid                  # writes song.wav beside it
    python listen.py song.mid --out take1.wav
    python listen.py generated/*.mid           # one WAV beside each file
    python listen.py song.mid --mono           # half the size

Any drum MIDI works (all tracks, channel 10 or --channel, tempo changes honoured); see
drumroll/synth.py.
"""
import drumroll.interrupts  # noqa: F401  (first: Ctrl-C while NumPy loads is one line too)
import argparse
import pathlib
import sys

from drumroll.cli import UserError, add_channel_option, check_name, plural, run
from drumroll.files import output_file
from drumroll.kit import SAMPLE_RATE
from drumroll.synth import render_midi_file


def parse_args(argv):
    parser = argparse.ArgumentParser(
        description="Render drum MIDI files to 44.1 kHz 16-bit stereo WAV files with a "
                    "synthesized drum kit (kick, snare, hi-hats, toms, ride, crashes).")
    parser.add_argument("midi", nargs="+", help="drum MIDI file(s) to render")
    parser.add_argument("--out", metavar="WAV",
                        help="output WAV file (only with one MIDI file; default: the MIDI path "
                             "with .wav)")
    add_channel_option(parser)
    parser.add_argument("--mono", action="store_true",
                        help="write one channel instead of the kit spread over two")
    return parser.parse_args(argv)


def default_wav_path(midi_path):
    return str(pathlib.Path(midi_path).with_suffix(".wav"))


def main(argv=None):
    args = parse_args(argv)
    if args.out is not None and len(args.midi) > 1:
        raise UserError(f"--out {args.out}: give one MIDI file with --out, not {len(args.midi)}")
    failed = 0
    for midi_path in args.midi:
        try:
            check_name(midi_path, "MIDI file")
            wav_path = default_wav_path(midi_path) if args.out is None else args.out
            output_file(wav_path)           # before rendering: a read-only file is never replaced
            info = render_midi_file(midi_path, wav_path, stereo=not args.mono,
                                    channel=args.channel)
        except UserError as error:       # report and go on with the rest of the batch
            print(f"error: {error}", file=sys.stderr)
            failed += 1
            continue
        ignored = ""
        if info.ignored_notes:
            ignored = f", skipped {plural(info.ignored_notes, 'note')} outside the kit"
        channels = "mono" if args.mono else "stereo"
        print(f"wrote {wav_path}: {info.seconds:.1f} s, {SAMPLE_RATE / 1000:g} kHz {channels}, "
              f"{plural(info.hits, 'hit')}{ignored}")
    if failed and len(args.midi) > 1:
        print(f"{plural(failed, 'file')} of {len(args.midi)} failed", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    run(main)
