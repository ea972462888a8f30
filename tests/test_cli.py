"""What the scripts share: one-line errors with exit codes, and progress lines with an ETA."""
import io
import os
import signal
import time

import pytest

from drumroll.cli import (Progress, UserError, argument_type, format_seconds, plural, run,
                          some_names)
from drumroll.format import hits_to_pixels, pixels_to_hits, pixels_to_unit, unit_to_pixels

import numpy as np


def test_a_user_error_prints_one_line_and_exits_with_1(capsys):
    def main(argv):
        raise UserError("song.mid: not a MIDI file")
    with pytest.raises(SystemExit) as exit_info:
        run(main)
    assert exit_info.value.code == 1
    assert capsys.readouterr().err == "error: song.mid: not a MIDI file\n"


def test_main_returning_a_code_is_the_exit_code():
    with pytest.raises(SystemExit) as exit_info:
        run(lambda argv: 3)
    assert exit_info.value.code == 3


def test_format_seconds_reads_like_a_clock():
    assert [format_seconds(s) for s in (5, 65, 3725)] == ["5s", "1m05s", "1h02m"]


def test_progress_shows_no_rate_for_the_first_item_and_an_eta_later():
    stream = io.StringIO()
    progress = Progress(10, label="it ", interval=0, stream=stream)
    progress.update(1)
    progress.update(5)
    first, later = stream.getvalue().splitlines()
    assert first == "it 1/10"
    assert later.startswith("it 5/10  ") and "ETA" in later


def test_progress_is_throttled_but_always_prints_the_last_item():
    stream = io.StringIO()
    progress = Progress(3, interval=3600, stream=stream)
    for count in (1, 2, 3):
        progress.update(count)
    assert [line.split()[0] for line in stream.getvalue().splitlines()] == ["1/3", "3/3"]


def test_pixels_and_unit_values_convert_both_ways():
    hits = np.array([[True, False]])
    pixels = hits_to_pixels(hits)
    assert pixels.dtype == np.uint8 and pixels.tolist() == [[0, 255]]
    assert pixels_to_unit(pixels).tolist() == [[-1.0, 1.0]]
    assert unit_to_pixels(pixels_to_unit(pixels)).tolist() == [[0, 255]]
    assert pixels_to_hits(pixels).tolist() == hits.tolist()


def test_argument_type_keeps_the_parsers_message():
    import argparse

    def parse_even(text):
        if int(text) % 2:
            raise ValueError(f"{text!r}: not even")
        return int(text)

    convert = argument_type(parse_even)
    assert convert("4") == 4
    with pytest.raises(argparse.ArgumentTypeError, match="'3': not even"):
        convert("3")


@pytest.mark.parametrize("script", ["evaluate", "img2midi", "train_gan"])
def test_a_negative_seed_is_refused_by_the_parser(script, capsys):
    module = __import__(script)
    with pytest.raises(SystemExit) as exit_info:
        module.main(["--seed", "-1"])
    assert exit_info.value.code == 2
    assert "--seed: -1: a seed is a whole number, 0 or more" in capsys.readouterr().err


def test_counts_read_as_english():
    assert plural(1, "track") == "1 track"
    assert plural(0, "track") == "0 tracks"
    assert plural(1200, "window") == "1,200 windows"


def test_the_command_of_a_generation_leaves_out_where_it_was_written():
    from drumroll.cli import command_line
    assert command_line("song.py", ["--seed", "7", "--out", "my songs", "--replace",
                                    "--form=A8 B8", "--out=x", "--no-wav"]) == \
        "python song.py --seed 7 '--form=A8 B8'"


def test_some_names_keeps_a_long_list_to_a_few_and_a_count():
    assert some_names(["a", "b"]) == "a, b"
    assert some_names([f"song{i}" for i in range(97)]) == "song0, song1, song2, song3 and 93 more"


def test_a_kill_stops_like_ctrl_c_through_every_finally_and_exits_143(capsys):
    cleaned = []

    def main(argv):
        try:
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(5)                        # never reached: the signal stops it at once
        finally:
            cleaned.append(True)

    with pytest.raises(SystemExit) as exit_info:
        run(main, [])
    assert exit_info.value.code == 143 and cleaned == [True]
    assert capsys.readouterr().err == "terminated\n"
    assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL     # given back after the run
