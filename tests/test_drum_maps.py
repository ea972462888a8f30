"""Drum maps: every General MIDI and e-kit note on a row, the Roland kit, map files, auto."""
import numpy as np
import pytest

from drumroll.cli import UserError
from drumroll.drum_maps import (NOT_MAPPED, choose_drum_map, gm_map, map_from_arrays,
                                read_drum_map, roland_map)
from drumroll.format import HIGHEST_NOTE, LOWEST_NOTE, NOTE_NAMES

ROLL_NOTES = range(LOWEST_NOTE, HIGHEST_NOTE + 1)


@pytest.mark.parametrize("make_map", [gm_map, roland_map])
def test_every_general_midi_note_and_the_hi_hat_edges_land_on_a_row_of_the_roll(make_map):
    table = make_map().table
    for note in [22, 26, *range(27, 88)]:
        assert table[note] in ROLL_NOTES, note


def test_notes_general_midi_does_not_define_have_no_row_in_gm():
    table = gm_map().table
    assert [note for note in range(128) if table[note] == NOT_MAPPED] == \
        [*range(0, 22), 23, 24, 25, *range(88, 128)]


def test_gm_keeps_the_roll_notes_on_their_own_rows_and_plays_35_as_36():
    table = gm_map().table
    assert [int(table[note]) for note in ROLL_NOTES] == list(ROLL_NOTES)
    assert table[35] == 36


@pytest.mark.parametrize("played, row", [
    (22, 42), (26, 46), (27, 37), (34, 37), (61, 60), (65, 60), (67, 56), (68, 56), (69, 54),
    (70, 54), (75, 56), (77, 56), (80, 53), (81, 53), (82, 54), (83, 54), (84, 53), (86, 41),
    (87, 41)])
def test_gm_puts_a_note_outside_the_roll_on_the_row_that_sounds_nearest(played, row):
    assert gm_map().table[played] == row


def test_gm_names_the_rows_as_general_midi_does():
    assert gm_map().row_names(LOWEST_NOTE, 25).tolist() == [NOTE_NAMES[n] for n in ROLL_NOTES]


@pytest.mark.parametrize("played, row", [
    (22, 42), (26, 46), (58, 43), (50, 48), (47, 45), (40, 38), (55, 49), (52, 57), (59, 51),
    (37, 37), (44, 44), (53, 53), (36, 36), (38, 38), (42, 42), (46, 46), (43, 43), (45, 45),
    (48, 48), (49, 49), (57, 57), (51, 51)])
def test_roland_puts_every_articulation_of_a_pad_on_its_drums_row(played, row):
    assert roland_map().table[played] == row


def test_roland_names_the_kits_drums():
    names = roland_map().names
    assert [names[note] for note in (36, 38, 37, 42, 46, 44, 48, 45, 43, 49, 57, 51, 53)] == [
        "kick", "snare", "cross-stick", "hi-hat closed", "hi-hat open", "hi-hat pedal", "tom 1",
        "tom 2", "tom 3 (floor)", "crash 1", "crash 2", "ride", "ride bell"]


@pytest.mark.parametrize("notes", [{36, 22}, {26, 38}])
def test_auto_picks_roland_when_a_file_plays_a_hi_hat_edge(notes):
    drum_map, reason = choose_drum_map("auto", notes)
    assert drum_map.name == "roland" and "auto" in reason


def test_auto_picks_gm_when_no_file_plays_22_or_26():
    drum_map, reason = choose_drum_map("auto", {35, 36, 38, 42, 58})
    assert drum_map.name == "gm" and "auto" in reason


def test_gm_and_roland_are_chosen_by_name_whatever_is_played():
    assert choose_drum_map("gm", {22})[0].name == "gm"
    assert choose_drum_map("roland", {36})[0].name == "roland"


def write_map(tmp_path, text):
    path = tmp_path / "kit.map"
    path.write_text(text)
    return path


def test_a_map_file_changes_only_the_notes_it_lists(tmp_path):
    path = write_map(tmp_path, "# my kit\n\n58 43 floor tom   # its rim\n22 42\n61 -\n")
    drum_map = read_drum_map(path)
    gm = gm_map().table
    changed = {58: 43, 22: 42, 61: NOT_MAPPED}
    assert drum_map.name == "kit.map"
    assert {note: int(row) for note, row in enumerate(drum_map.table)} == \
        {note: changed.get(note, int(gm[note])) for note in range(128)}
    assert drum_map.row_name(43) == "floor tom" and drum_map.row_name(36) == "bass drum"


def test_a_map_file_is_chosen_by_its_path(tmp_path):
    path = write_map(tmp_path, "58 43\n")
    drum_map, reason = choose_drum_map(str(path))
    assert drum_map.table[58] == 43 and str(path) in reason


@pytest.mark.parametrize("line, reason", [
    ("58", "expected NOTE ROW_NOTE"),
    ("fifty 43", "note 'fifty' is not a MIDI note number"),
    ("58 128", "row note 128 is not a MIDI note"),
    ("-1 43", "note -1 is not a MIDI note"),
    ("58 - rim", "a dropped note (-) takes no name"),
])
def test_a_bad_line_in_a_map_file_is_refused_naming_the_file_and_its_line(tmp_path, line, reason):
    path = write_map(tmp_path, f"# fine\n22 42\n{line}\n")
    with pytest.raises(UserError) as error:
        read_drum_map(path)
    message = str(error.value)
    assert message.startswith(f"{path}, line 3: ") and reason in message
    assert "\n" not in message


def test_a_missing_map_file_is_refused_with_what_can_be_given(tmp_path):
    with pytest.raises(UserError, match=r"--drum-map nothing\.map: not auto, gm, roland or a map "
                                        r"file"):
        choose_drum_map("nothing.map")


def test_a_map_comes_back_from_the_arrays_a_dataset_stores():
    drum_map = roland_map()
    again = map_from_arrays(np.str_(drum_map.name), drum_map.table,
                            drum_map.row_names(LOWEST_NOTE, 25), LOWEST_NOTE)
    assert again.name == "roland"
    assert np.array_equal(again.table, drum_map.table)
    assert [again.row_name(note) for note in ROLL_NOTES] == \
        [drum_map.row_name(note) for note in ROLL_NOTES]
