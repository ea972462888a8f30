"""Drum maps: which row of the drum roll each MIDI note a drummer plays lands on.

The roll has a row for each note of LOWEST_NOTE..HIGHEST_NOTE (36..60). A kit plays more notes
than that: General MIDI's percussion goes from 27 to 87, and an e-kit sends notes of its own for
the articulations of a pad (the Roland TD kits of the Groove MIDI Dataset send 22 for the closed
hi-hat played on its edge, 58 for the floor tom's rim, ...). A DrumMap sends each played note to
a *row note* (the note of the row it lands on) and names each row note. The note actually played
stays in the dataset beside the hit (DrumRoll.notes), so a map decides only which row a hit is
drawn and learned on, never what is written back.

Built-in maps (`DRUM_MAPS`):

`gm`, General MIDI: 36..60 are their own rows; the other notes go to the row that sounds
nearest (a note shown as `-` has no row; it is dropped and counted):

    played               row   why
    22 hi-hat edge       42    an e-kit's closed hi-hat played on the edge (GM defines no 22)
    26 hi-hat edge       46    an e-kit's open hi-hat played on the edge (GM defines no 26)
    27-34 GM2 clicks     37    high Q, slap, scratches, sticks, square click, metronome click
                               and bell: short clicks, as a side stick
    35 bass drum 2       36    the same kick
    61-66 bongo, conga,  60    hand drums and timbales, onto the one hand drum of the roll
          timbale
    67-68 agogo          56    a struck bell, as the cowbell
    69-70 cabasa, maracas 54   shaken, as the tambourine
    71-72 whistles       56    a short pitched tone, nearest to the cowbell
    73-74 guiro          58    a scraped rattle, as the vibraslap
    75-77 claves, wood   56    a dry struck accent, as the cowbell
          blocks
    78-79 cuica          60    a friction drum, onto the hand drum
    80-81 triangle       53    a ringing bell, as the ride bell
    82 shaker, 83 jingle 54    shaken, as the tambourine
       bell
    84 bell tree         53    ringing bells, as the ride bell
    85 castanets         37    a click, as the side stick
    86-87 surdo          41    a deep drum, as the low floor tom
    0-21, 23-25, 88-127  -     not percussion in General MIDI

`roland`, the Roland TD kits of the Groove MIDI Dataset (its table: the dataset's README and
the GrooVAE paper; Magenta groups the same notes per drum): every articulation of a pad onto its
drum's row, the other notes as in `gm`:

    played                      row   row name
    36 kick                     36    kick
    38 snare head, 40 snare rim 38    snare
    37 snare cross-stick        37    cross-stick
    42 closed bow, 22 closed    42    hi-hat closed
       edge
    46 open bow, 26 open edge   46    hi-hat open
    44 pedal                    44    hi-hat pedal
    48 tom 1, 50 tom 1 rim      48    tom 1
    45 tom 2, 47 tom 2 rim      45    tom 2
    43 tom 3, 58 tom 3 rim      43    tom 3 (floor)
    49 crash 1, 55 crash 1 edge 49    crash 1
    57 crash 2, 52 crash 2 edge 57    crash 2
    51 ride, 59 ride edge       51    ride
    53 ride bell                53    ride bell

A map file (`--drum-map FILE`) changes the `gm` map line by line: `NOTE ROW_NOTE [name...]`
sends NOTE to ROW_NOTE's row (and names that row when a name is given), `NOTE -` drops NOTE,
`#` starts a comment. Only what differs from General MIDI needs a line.

`auto` (what midi2img uses unless told) is `roland` when a file plays note 22 or 26, which
General MIDI does not define and the TD kits send for the hi-hat edge, else `gm`.
"""
import dataclasses
import os

import numpy as np

from drumroll.cli import UserError
from drumroll.format import FOLDED_NOTES, NOTE_NAMES

MIDI_NOTES = 128
NOT_MAPPED = -1             # in a map's table: the note has no row
EDGE_NOTES = (22, 26)       # e-kit hi-hat edges: a file playing them was recorded on an e-kit
BUILT_IN = ("gm", "roland")
AUTO = "auto"

# General MIDI (and GM2) names of the percussion notes outside the roll's 36..60
GM_EXTRA_NAMES = {
    27: "high Q", 28: "slap", 29: "scratch push", 30: "scratch pull", 31: "sticks",
    32: "square click", 33: "metronome click", 34: "metronome bell", 35: "bass drum 2",
    61: "low bongo", 62: "mute high conga", 63: "open high conga", 64: "low conga",
    65: "high timbale", 66: "low timbale", 67: "high agogo", 68: "low agogo", 69: "cabasa",
    70: "maracas", 71: "short whistle", 72: "long whistle", 73: "short guiro", 74: "long guiro",
    75: "claves", 76: "high wood block", 77: "low wood block", 78: "mute cuica",
    79: "open cuica", 80: "mute triangle", 81: "open triangle", 82: "shaker", 83: "jingle bell",
    84: "bell tree", 85: "castanets", 86: "mute surdo", 87: "open surdo",
}
GM_NAMES = {**NOTE_NAMES, **GM_EXTRA_NAMES}


def note_rows(*groups):
    """(row note, played notes) pairs -> {played note: row note}."""
    return {note: row for row, notes in groups for note in notes}


GM_ROWS = {
    **{note: note for note in NOTE_NAMES},          # 36..60: their own rows
    **FOLDED_NOTES,                                  # 35 -> 36
    **note_rows((42, [22]), (46, [26]), (37, range(27, 35)), (60, range(61, 67)), (56, [67, 68]), (54, [69, 70]), (56, [71, 72]),
                (58, [73, 74]), (56, [75, 76, 77]), (60, [78, 79]), (53, [80, 81]),
                (54, [82, 83]), (53, [84]), (37, [85]), (41, [86, 87])),
}
ROLAND_ROWS = {
    **GM_ROWS,
    **note_rows((42, [22]), (46, [26]), (43, [58]), (48, [50]), (45, [47]), (38, [40]),
                (49, [55]), (57, [52]), (51, [59])),
}
ROLAND_NAMES = {
    **NOTE_NAMES,
    36: "kick", 38: "snare", 37: "cross-stick", 42: "hi-hat closed", 46: "hi-hat open",
    44: "hi-hat pedal", 48: "tom 1", 45: "tom 2", 43: "tom 3 (floor)", 49: "crash 1",
    57: "crash 2", 51: "ride", 53: "ride bell",
}


@dataclasses.dataclass
class DrumMap:
    """Where each played note lands, and the name of each row note.

    name:  what the map is called (gm, roland, or a map file's name)
    table: (128,) int16, the row note of each played MIDI note, NOT_MAPPED (-1) for none
    names: {row note: name}; a row note without one is called "note N"
    """
    name: str
    table: np.ndarray
    names: dict

    def row_name(self, note):
        return self.names.get(note, f"note {note}")

    def row_names(self, lowest_note, num_rows):
        """(rows,) unicode: the name of each row of a roll whose row 0 is lowest_note."""
        return np.array([self.row_name(lowest_note + row) for row in range(num_rows)],
                        dtype=np.str_)


def make_map(name, rows, names):
    """{played note: row note} -> DrumMap."""
    table = np.full(MIDI_NOTES, NOT_MAPPED, dtype=np.int16)
    table[list(rows)] = list(rows.values())
    return DrumMap(name=name, table=table, names=dict(names))


def gm_map():
    return make_map("gm", GM_ROWS, NOTE_NAMES)


def roland_map():
    return make_map("roland", ROLAND_ROWS, ROLAND_NAMES)


DRUM_MAPS = {"gm": gm_map, "roland": roland_map}


def parse_midi_note(text, what):
    """'42' -> 42; ValueError naming `what` unless a whole number 0..127."""
    try:
        note = int(text)
    except ValueError:
        raise ValueError(f"{what} {text!r} is not a MIDI note number") from None
    if not 0 <= note < MIDI_NOTES:
        raise ValueError(f"{what} {note} is not a MIDI note (0..127)")
    return note


def read_drum_map(path):
    """A map file -> DrumMap: the gm map with the file's lines applied in order.

    One mapping a line, `NOTE ROW_NOTE [name words...]` or `NOTE -` (drop the note); `#` starts
    a comment, blank lines are skipped. UserError naming the file (and the line) on anything
    wrong.
    """
    path = os.fspath(path)
    try:
        with open(path, encoding="utf-8") as handle:
            lines = handle.read().splitlines()
    except (OSError, UnicodeDecodeError) as error:
        reason = getattr(error, "strerror", None) or "not UTF-8 text"
        raise UserError(f"{path}: cannot read the drum map ({reason})") from None
    rows, names = dict(GM_ROWS), dict(NOTE_NAMES)
    for number, line in enumerate(lines, start=1):
        words = line.split("#", 1)[0].split()
        if not words:
            continue
        try:
            if len(words) < 2:
                raise ValueError("expected NOTE ROW_NOTE [name], or NOTE - to drop the note")
            note = parse_midi_note(words[0], "note")
            if words[1] == "-":
                if len(words) > 2:
                    raise ValueError("a dropped note (-) takes no name")
                rows.pop(note, None)
                continue
            row = parse_midi_note(words[1], "row note")
        except ValueError as error:
            raise UserError(f"{path}, line {number}: {error} (got {line.strip()!r})") from None
        rows[note] = row
        if len(words) > 2:
            names[row] = " ".join(words[2:])
    return make_map(os.path.basename(path), rows, names)


def choose_drum_map(choice, played_notes=()):
    """--drum-map auto|gm|roland|FILE -> (DrumMap, why it was chosen, for the report).

    played_notes: every note the files play (only `auto` looks at it). UserError for a FILE
    that does not exist or is not a valid map.
    """
    if choice == AUTO:
        edges = sorted(set(EDGE_NOTES) & set(played_notes))
        if edges:
            notes = " and ".join(map(str, edges))
            return roland_map(), (f"auto: note {notes} played, e-kit hi-hat edges that General "
                                  f"MIDI does not define")
        return gm_map(), "auto: no note 22 or 26 played, so General MIDI"
    if choice in DRUM_MAPS:
        return DRUM_MAPS[choice](), f"--drum-map {choice}"
    if not os.path.isfile(choice):
        raise UserError(f"--drum-map {choice}: not auto, gm, roland or a map file (no such "
                        f"file)")
    return read_drum_map(choice), f"gm changed by the lines of {choice}"


def map_from_arrays(name, table, row_names, lowest_note):
    """A DrumMap as a dataset stores it (its name, its (128,) table, the name of each row)."""
    names = {lowest_note + row: str(text) for row, text in enumerate(row_names.tolist())}
    return DrumMap(name=str(name), table=np.asarray(table, dtype=np.int16), names=names)
