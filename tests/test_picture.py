"""picture.py: labelled drum-roll pictures (SVG) with names, bar and beat lines, velocities."""
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from drumroll.format import LOWEST_NOTE, NOTE_NAMES, NUM_ROWS
from drumroll.picture import (LABEL_WIDTH, LINE_BARS, SECTION_COLOUR, SOFTEST, STEP_WIDTH,
                              roll_picture, track_picture, write_svg)

SVG = "{http://www.w3.org/2000/svg}"


def parse(text):
    root = ET.fromstring(text.encode("utf-8"))
    assert root.tag == SVG + "svg"
    return root


def of_class(root, tag, name):
    return [e for e in root.iter(SVG + tag) if e.get("class") == name]


def groove(bars=8):
    """Kick on every beat, snare on 2 and 4, closed hi-hat on every 8th: (25, bars * 32)."""
    hits = np.zeros((NUM_ROWS, bars * 32), dtype=bool)
    hits[0, ::8] = True
    hits[2, 8::16] = True
    hits[42 - LOWEST_NOTE, ::4] = True
    return hits


def test_the_picture_is_well_formed_svg_with_a_size():
    root = parse(roll_picture([groove()]))
    assert int(root.get("width")) > 8 * 32 and int(root.get("height")) > 3 * 10


def test_every_hit_is_one_mark():
    hits = groove()
    assert len(of_class(parse(roll_picture([hits])), "rect", "hit")) == hits.sum() == 112


def test_the_rows_in_use_are_named_as_in_general_midi_top_to_bottom():
    labels = [e.text for e in of_class(parse(roll_picture([groove()])), "text", "drum")]
    assert labels == [NOTE_NAMES[36], NOTE_NAMES[38], NOTE_NAMES[42]] == \
        ["bass drum", "snare", "closed hi-hat"]


def test_rows_are_named_by_the_names_given():
    hits = np.zeros((NUM_ROWS, 32), dtype=bool)
    hits[[0, 6, 7], 0] = True
    labels = [e.text for e in of_class(parse(roll_picture(
        [hits], names={36: "kick", 42: "hi-hat closed"})), "text", "drum")]
    assert labels == ["kick", "hi-hat closed", "note 43"]
    long_track = np.tile(hits, (1, 2 * LINE_BARS))              # drawn in lines, named alike
    labels = [e.text for e in of_class(parse(track_picture(
        long_track, None, "t", names={36: "kick"})), "text", "drum")]
    assert labels == ["kick", "note 42", "note 43"] * 2


def test_rows_asked_for_are_drawn_even_when_silent():
    labels = [e.text for e in of_class(parse(roll_picture([groove()], rows=[0, 2, 13, 42 - 36])),
                                       "text", "drum")]
    assert labels == ["bass drum", "snare", "crash 1", "closed hi-hat"]


def test_a_bar_line_starts_every_bar_and_ends_the_last_a_beat_line_marks_the_other_beats():
    root = parse(roll_picture([groove(bars=3)]))
    assert len(of_class(root, "line", "bar")) == 4
    assert len(of_class(root, "line", "beat")) == 3 * 3
    assert [e.text for e in of_class(root, "text", "bar-number")] == ["1", "2", "3"]


def test_a_louder_hit_is_a_more_opaque_mark():
    hits = np.zeros((NUM_ROWS, 32), dtype=bool)
    hits[0, [0, 8, 16]] = True
    velocities = np.zeros(hits.shape, dtype=int)
    velocities[0, [0, 8, 16]] = [1, 64, 127]
    marks = of_class(parse(roll_picture([hits], [velocities])), "rect", "hit")
    opacities = [float(mark.get("fill-opacity")) for mark in marks]
    assert opacities[0] == SOFTEST and opacities[0] < opacities[1] < opacities[2] == 1.0


def test_without_velocities_every_mark_is_opaque():
    marks = of_class(parse(roll_picture([groove()])), "rect", "hit")
    assert all(mark.get("fill-opacity") is None for mark in marks)


def test_several_rolls_stack_with_their_titles_and_the_same_rows():
    root = parse(roll_picture([groove(), np.zeros((NUM_ROWS, 256), bool)],
                              titles=["sample 1", "sample 2"], title="runs/bars"))
    assert [e.text for e in of_class(root, "text", "title")] == ["sample 1", "sample 2"]
    assert len(of_class(root, "text", "drum")) == 2 * 3
    assert len(of_class(root, "rect", "hit")) == 112


def test_a_long_track_is_drawn_in_lines_of_bars_numbered_on_from_line_to_line():
    assert LINE_BARS == 8
    hits = groove(20)
    root = parse(track_picture(hits, None, "song-01"))
    assert [e.text for e in of_class(root, "text", "title")] == [
        "song-01, bars 1-8", "song-01, bars 9-16", "song-01, bars 17-20"]
    numbers = [int(e.text) for e in of_class(root, "text", "bar-number")]
    assert numbers == list(range(1, 21))
    assert len(of_class(root, "rect", "hit")) == hits.sum()


def test_a_line_is_narrow_enough_to_show_at_full_size_on_a_page_1200_pixels_wide():
    root = parse(track_picture(groove(64), None, "song-01"))
    assert int(root.get("width")) <= 1200 - 2 * 24          # the page's margins: 1.5em each
    assert root.get("font-size") == "12"


def test_a_songs_sections_are_lettered_where_they_start_and_carried_into_each_line():
    sections = [("A", 0, 6), ("B", 6, 4), ("A", 10, 2)]
    root = parse(track_picture(groove(12), None, "song-01", sections=sections))
    letters = [(e.text, e.get("fill")) for e in of_class(root, "text", "section")]
    assert letters == [("A", SECTION_COLOUR), ("B", SECTION_COLOUR), ("B", "#888"),
                       ("A", SECTION_COLOUR)]
    starts = [float(e.get("x1")) for e in of_class(root, "line", "section-start")]
    bar = 32 * STEP_WIDTH
    assert starts == [LABEL_WIDTH, LABEL_WIDTH + 6 * bar, LABEL_WIDTH + 2 * bar]  # bar 11: line 2


def test_a_tracks_heading_goes_above_all_its_lines():
    root = parse(track_picture(groove(20), None, "song-01", heading="song-01: form A8 B12"))
    assert [e.text for e in of_class(root, "text", "heading")] == ["song-01: form A8 B12"]


def test_a_track_of_one_line_is_one_roll_under_its_own_name():
    root = parse(track_picture(groove(8), None, "track-01"))
    assert [e.text for e in of_class(root, "text", "title")] == ["track-01"]


def test_titles_are_escaped_so_any_name_stays_valid_xml():
    root = parse(roll_picture([groove()], titles=["<drums> & 'fills'"], title="runs/mgła"))
    assert [e.text for e in of_class(root, "text", "title")] == ["<drums> & 'fills'"]


def test_a_roll_without_hits_says_so():
    root = parse(roll_picture([np.zeros((NUM_ROWS, 64), bool)]))
    assert "no hits" in [e.text for e in root.iter(SVG + "text")]


@pytest.mark.parametrize("name", ["track-01.svg", "piste ü.svg"])
def test_write_svg_writes_utf8_text_atomically(tmp_path, name):
    write_svg(tmp_path / name, roll_picture([groove()], title="mgła"))
    parse((tmp_path / name).read_text(encoding="utf-8"))
    assert [p.name for p in tmp_path.iterdir()] == [name]
