"""The drum-roll image format, defined once for the whole project.

A drum roll is a (rows, steps) grid. Row r is MIDI note LOWEST_NOTE + r (row 0 = note 36, the
bass drum); column c is the c-th 32nd-note step. Images keep the original project's PNG
convention so they stay readable by eye: 8-bit grayscale, hit = black (0), no hit = white (255).
The network sees the same picture scaled to [-1, 1], so a hit is -1 there.
"""
import numpy as np

LOWEST_NOTE = 36            # row 0: bass drum 1
NUM_ROWS = 25               # notes 36..60
HIGHEST_NOTE = LOWEST_NOTE + NUM_ROWS - 1
FOLDED_NOTES = {35: 36}     # acoustic bass drum is played as bass drum 1

STEPS_PER_BEAT = 8          # 32nd notes in a quarter note
STEPS_PER_WHOLE_NOTE = 4 * STEPS_PER_BEAT   # a bar in n/d time lasts n * 32 / d steps
STEPS_PER_BAR = 4 * STEPS_PER_BEAT   # 4/4 time, the only meter windows are cut from
OFFSET_UNITS = 256          # a hit's timing offset from its cell's grid line is kept in
                            # 1/256 of a step (int8: -128..127 covers the half step each side)
WINDOW_BARS = 8
WINDOW_STEPS = WINDOW_BARS * STEPS_PER_BAR   # 256
DEFAULT_HOP_BARS = 1        # one window starting at every bar

HIT_PIXEL = 0
EMPTY_PIXEL = 255
DEFAULT_THRESHOLD = 128     # a pixel darker than this is a hit

MIDI_TICKS_PER_BEAT = 480   # what we write
DRUM_CHANNEL = 9            # General MIDI channel 10, counted from 0 as mido does
DEFAULT_VELOCITY = 89
DEFAULT_BPM = 140
MIDI_DEFAULT_TEMPO = 500000  # microseconds per beat (120 bpm) until a file sets its own

# General MIDI names of the notes a drum roll can hold, and the kit piece each belongs to
# (used by the evaluation and the synthesizer).
NOTE_NAMES = {
    36: "bass drum", 37: "side stick", 38: "snare", 39: "hand clap", 40: "electric snare",
    41: "low floor tom", 42: "closed hi-hat", 43: "high floor tom", 44: "pedal hi-hat",
    45: "low tom", 46: "open hi-hat", 47: "low-mid tom", 48: "high-mid tom",
    49: "crash 1", 50: "high tom", 51: "ride", 52: "china", 53: "ride bell",
    54: "tambourine", 55: "splash", 56: "cowbell", 57: "crash 2", 58: "vibraslap",
    59: "ride 2", 60: "high bongo",
}
KIT_PIECES = {
    "kick": (36,),
    "snare": (37, 38, 39, 40),
    "hi-hat": (42, 44, 46),
    "ride": (51, 53, 59),
    "crash/china": (49, 52, 55, 57),
    "toms": (41, 43, 45, 47, 48, 50),
}


def note_to_row(note):
    """Row of a MIDI note (after folding), or None when the roll cannot hold it."""
    note = FOLDED_NOTES.get(note, note)
    if LOWEST_NOTE <= note <= HIGHEST_NOTE:
        return note - LOWEST_NOTE
    return None


def row_to_note(row):
    return LOWEST_NOTE + row


def hits_to_pixels(hits):
    """Boolean hits (..., rows, steps) -> uint8 image, 0 where hit, 255 elsewhere."""
    return np.where(hits, np.uint8(HIT_PIXEL), np.uint8(EMPTY_PIXEL))


def pixels_to_hits(pixels, threshold=DEFAULT_THRESHOLD):
    """uint8 image -> boolean hits: a pixel darker than `threshold` is a hit."""
    return np.asarray(pixels) < threshold


def pixels_to_unit(pixels):
    """uint8 [0, 255] -> float32 [-1, 1] as the network sees it (hit = -1)."""
    return (np.asarray(pixels, dtype=np.float32) / 127.5 - 1.0).astype(np.float32)


def unit_to_pixels(values):
    """Network output in [-1, 1] -> uint8 [0, 255] (hit = 0)."""
    values = np.clip(np.asarray(values, dtype=np.float32), -1.0, 1.0)
    return np.round((values + 1.0) * 127.5).astype(np.uint8)


def as_bars(roll):
    """A roll (rows, bars * 32) -> its bars (bars, rows, 32): a view, no copy."""
    rows, steps = roll.shape
    return roll.reshape(rows, steps // STEPS_PER_BAR, STEPS_PER_BAR).transpose(1, 0, 2)


def from_bars(bars):
    """Bars (bars, rows, 32) -> the roll they make, (rows, bars * 32); as_bars undone."""
    return bars.transpose(1, 0, 2).reshape(bars.shape[1], -1)
