"""What the command-line scripts share: one-line errors, exit codes, progress with ETA."""
import argparse
import os
import re
import shlex
import signal
import sys
import time

from drumroll.format import DRUM_CHANNEL

DEFAULT_DATASET = os.path.join("build", "dataset", "dataset.npz")   # what `make dataset` writes


class UserError(Exception):
    """A mistake the user can fix (bad file, bad option). Printed as one line, no traceback."""


class Terminated(KeyboardInterrupt):
    """The process was asked to stop (SIGTERM: kill, timeout): it stops as at Ctrl-C."""


def terminate(number, frame):
    raise Terminated


def run(main, argv=None):
    """Call main(argv); turn user mistakes into a one-line message and a non-zero exit.

    Ctrl-C (exit 130) and a kill's SIGTERM (exit 143) stop it the same way, through every
    `finally` on the way out, so no half-written output is left behind. A file name that is
    not UTF-8 is printed with its own bytes, as `ls` shows it, on any terminal.
    """
    reconfigure = getattr(sys.stdout, "reconfigure", None)
    if reconfigure is not None:
        reconfigure(errors="surrogateescape")
    before = signal.signal(signal.SIGTERM, terminate)
    try:
        code = main(argv)
    except UserError as error:
        print(f"error: {error}", file=sys.stderr)
        code = 1
    except KeyboardInterrupt as stop:
        terminated = isinstance(stop, Terminated)
        print("terminated" if terminated else "interrupted", file=sys.stderr)
        code = 143 if terminated else 130
    finally:
        signal.signal(signal.SIGTERM, before)
    sys.exit(code or 0)


def check_name(path, what):
    """UserError when a path given as `what` is empty (a Makefile variable set to nothing): an
    empty name would stand for the current folder, or for no file at all."""
    if not os.fspath(path):
        raise UserError(f"an empty name was given as the {what}")
    return path


def argument_type(parse):
    """An argparse `type=` from a parser that raises ValueError, keeping its message."""
    def convert(text):
        try:
            return parse(text)
        except ValueError as error:
            raise argparse.ArgumentTypeError(str(error)) from None
    convert.__name__ = parse.__name__
    return convert


def parse_seed(text):
    """'7' -> 7: a random seed is a whole number from 0 (NumPy takes no negative seeds)."""
    try:
        value = int(text)
    except ValueError:
        raise ValueError(f"{text!r}: a seed is a whole number, 0 or more") from None
    if value < 0:
        raise ValueError(f"{text}: a seed is a whole number, 0 or more")
    return value


# options that say where and in what files a generation goes, not what it plays (with the
# number of values each takes): a generation's own files leave them out of its command
WHERE_OPTIONS = {"--out": 1, "--replace": 0, "--no-wav": 0}


def command_line(script, argv=None):
    """The command that ran `script` with these arguments (sys.argv's when None), quoted as a
    shell reads it, without WHERE_OPTIONS: what plays the same generation again."""
    given, kept = list(sys.argv[1:] if argv is None else map(str, argv)), []
    while given:
        word = given.pop(0)
        name = word.split("=")[0]
        if name in WHERE_OPTIONS:
            del given[:WHERE_OPTIONS[name] if "=" not in word else 0]
        else:
            kept.append(word)
    return shlex.join(["python", script, *kept])


def parse_channel(text):
    """'10' -> 9: a MIDI channel as musicians count them (1-16) -> as mido does (0-15)."""
    try:
        number = int(text)
    except ValueError:
        number = 0
    if not 1 <= number <= 16:
        raise ValueError(f"{text!r}: a MIDI channel is 1 to 16 (drums: 10)")
    return number - 1


def add_channel_option(parser, drums="the drums"):
    """--channel, the MIDI channel of `drums` as musicians count it (1-16), read as mido's
    (0-15); General MIDI's 10 by default."""
    parser.add_argument("--channel", type=argument_type(parse_channel),
                        default=str(DRUM_CHANNEL + 1), metavar="1-16",
                        help=f"MIDI channel of {drums} (default: %(default)s, General MIDI's)")


def parse_velocity(text):
    """'100' -> 100: a MIDI velocity, a whole number from 1 to 127."""
    try:
        value = int(text)
    except ValueError:
        raise ValueError(f"{text!r}: a velocity is a whole number, 1 to 127") from None
    if not 1 <= value <= 127:
        raise ValueError(f"{text}: a velocity is 1 to 127")
    return value


def add_playing_options(parser, target):
    """--quantize (make `target` FEEL=0) and --velocity: how a model's hits are played, when
    not as the drummer plays them."""
    parser.add_argument("--quantize", action="store_true",
                        help=f"play every hit on its grid line (make {target} FEEL=0): the "
                             "model's timing is left out, its velocities kept")
    parser.add_argument("--velocity", type=argument_type(parse_velocity), metavar="1-127",
                        help="play every hit at this velocity (default: the model's own "
                             "dynamics)")


def plural(count, noun):
    """'1 track', '2 tracks', '1,000 tracks': a count and its noun, in English."""
    return f"{count:,} {noun}" if count == 1 else f"{count:,} {noun}s"


def some_names(names, shown=4):
    """'a, b, c' or, past `shown` names, 'a, b, c, d and 93 more': a line that stays short."""
    names = list(names)
    if len(names) <= shown:
        return ", ".join(names)
    return f"{', '.join(names[:shown])} and {len(names) - shown:,} more"


LISTED = 10             # a report names up to this many skipped or failed files one by one
EXAMPLES = 3            # past that, it counts them by reason and names this many of each


def few_or_grouped(verb, entries, indent="  "):
    """Report lines on the files `verb` (skipped, renamed, failed): entries are (reason, the
    line naming the file). One line each when there are at most LISTED; else one line per
    reason (its details in parentheses left out) with a count and EXAMPLES of its lines, so
    that a folder of a thousand files still gives a screen of text."""
    if len(entries) <= LISTED:
        return [f"{indent}{line}" for _, line in entries]
    groups = {}
    for reason, line in entries:
        groups.setdefault(re.sub(r" \([^()]*\)", "", reason), []).append(line)
    lines = []
    for reason, group in sorted(groups.items(), key=lambda item: -len(item[1])):
        lines.append(f"{indent}{verb} {plural(len(group), 'file')}: {reason}; e.g.")
        lines += [f"{indent}  {line}" for line in group[:EXAMPLES]]
    return lines


def without_path(path, message):
    """'song.mid: not a MIDI file' -> 'not a MIDI file': the reason of an error naming a file."""
    prefix = f"{os.fspath(path)}: "
    return message[len(prefix):] if message.startswith(prefix) else message


def warn(message):
    """Print a warning that does not stop the work: 'warning: ...' on stderr."""
    print(f"warning: {message}", file=sys.stderr, flush=True)


def note(message):
    """Print what the user should know, nothing being wrong: 'note: ...' on stderr."""
    print(f"note: {message}", file=sys.stderr, flush=True)


def format_seconds(seconds):
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds}s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m{seconds:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


class Progress:
    """Prints `label i/total  rate  ETA` at most every `interval` seconds (and at the end)."""

    def __init__(self, total, label="", interval=2.0, stream=None, start=0):
        self.total = total
        self.label = label
        self.interval = interval
        self.stream = stream if stream is not None else sys.stderr
        self.start_count = start
        self.start_time = time.perf_counter()
        self.last_print = -float("inf")

    def rate(self, count):
        elapsed = time.perf_counter() - self.start_time
        done = count - self.start_count
        return done / elapsed if elapsed > 0 and done > 0 else 0.0

    def update(self, count, extra="", force=False):
        """Report that `count` of `total` are done; `extra` is appended to the line."""
        now = time.perf_counter()
        if not force and count < self.total and now - self.last_print < self.interval:
            return False
        self.last_print = now
        rate = self.rate(count)
        line = f"{self.label}{count}/{self.total}"
        # a rate measured on the first item alone would be noise (it includes start-up)
        if rate > 0 and count - self.start_count > 1:
            line += f"  {rate:.2f}/s  ETA {format_seconds((self.total - count) / rate)}"
        if extra:
            line += "  " + extra
        print(line, file=self.stream, flush=True)
        return True
