"""Drum-roll pictures people can read: SVG with drum names, bar and beat lines, velocities.

The PNG stays the dataset format (one pixel per cell, no words). This picture is for eyes: one
line per drum in use, named as in General MIDI (format.NOTE_NAMES) or as the `names` given (a
dataset's drum map: Dataset.note_names()), bar numbers on top, a
strong line at every bar and a faint one at every beat, and each hit a mark whose opacity is
its velocity when the roll has velocities, drawn where it sounds when it was played early or
late (its offset); a song's sections are lettered above its bars and their starts drawn across
them. It is plain text written here, so it needs no library, opens in any browser and scales
without blurring.

A picture is at most LINE_BARS bars wide (1,137 pixels), so a page 1,200 pixels wide shows it
at full size: shrunk to fit, the 2,161 pixels of 16 bars left 12-pixel labels 6 pixels tall.

    svg = roll_picture([hits], velocities=[velocities], title="track-01")
    write_svg("track-01.svg", svg)
"""
from xml.sax.saxutils import escape

import numpy as np

from drumroll.files import writing
from drumroll.format import LOWEST_NOTE, NOTE_NAMES, OFFSET_UNITS, STEPS_PER_BAR, STEPS_PER_BEAT

STEP_WIDTH = 4          # pixels per 32nd-note step: a bar is 128 pixels wide
ROW_HEIGHT = 14         # pixels per drum line
LABEL_WIDTH = 112       # the drum names, left of the grid
TITLE_HEIGHT = 20       # a roll's title line
RULER_HEIGHT = 14       # the bar numbers
GAP = 12                # between two rolls
HIT_COLOUR = "#b0102a"  # a red that no line or word of the picture uses
LINE_BARS = 8           # a longer track is drawn in lines of this many bars (see above)
FONT_SIZE = 12          # pixels: drum names, bar numbers
SECTION_HEIGHT = 18     # the band above the bar numbers holding a song's section letters
SECTION_COLOUR = "#1d4f91"   # a blue, apart from the hits' red
SOFTEST = 0.25          # opacity of a hit of velocity 1; velocity 127 is fully opaque


def note_name(note, names=None):
    """The name of a note: from `names` ({note: name}, default General MIDI), else 'note N'."""
    return (NOTE_NAMES if names is None else names).get(note, f"note {note}")


def rows_in_use(rolls):
    """Rows hit at least once in any of the rolls (each (rows, steps) bool), in order."""
    return [int(row) for row in np.flatnonzero(np.any([roll.any(axis=1) for roll in rolls],
                                                      axis=0))]


def hit_opacity(velocity):
    """Velocity 1..127 -> opacity SOFTEST..1 (a louder hit is a darker mark)."""
    return SOFTEST + (1.0 - SOFTEST) * (min(max(int(velocity), 1), 127) - 1) / 126


def roll_height(rows, title, sections=None):
    return ((TITLE_HEIGHT if title else 0) + (SECTION_HEIGHT if sections is not None else 0)
            + RULER_HEIGHT + ROW_HEIGHT * max(len(rows), 1))


def section_elements(sections, band_top, grid_bottom):
    """A song's section letters in the band at y = band_top and a line across the roll down
    to grid_bottom where each starts. sections: [(label, step in this roll, starts here)]; a
    section going on from the line before is lettered in grey, without a line."""
    elements = []
    for label, step, starts in sections:
        x = LABEL_WIDTH + step * STEP_WIDTH
        colour = SECTION_COLOUR if starts else "#888"
        if starts:
            elements.append(f'<line class="section-start" x1="{x}" y1="{band_top + 2}" '
                            f'x2="{x}" y2="{grid_bottom}" stroke="{SECTION_COLOUR}" '
                            f'stroke-width="3"/>')
        elements.append(f'<text class="section" x="{x + 4}" y="{band_top + SECTION_HEIGHT - 4}" '
                        f'font-size="14" font-weight="bold" fill="{colour}">{escape(label)}'
                        '</text>')
    return elements


def roll_elements(hits, velocities, rows, lowest_note, title, top, first_bar=1, names=None,
                  offsets=None, sections=None):
    """SVG elements (strings) of one roll whose top edge is at y = top; its first bar is
    numbered first_bar; its rows named by note_name(note, names); sections: None, or its
    section letters (see section_elements)."""
    steps = hits.shape[1]
    elements = []
    if title:
        elements.append(f'<text class="title" x="0" y="{top + 14}" font-size="13" '
                        f'font-weight="bold">{escape(title)}</text>')
        top += TITLE_HEIGHT
    band_top = top
    if sections is not None:
        top += SECTION_HEIGHT
    grid_top, grid_height = top + RULER_HEIGHT, ROW_HEIGHT * max(len(rows), 1)
    for index, row in enumerate(rows):
        y = grid_top + index * ROW_HEIGHT
        if index % 2:
            elements.append(f'<rect x="{LABEL_WIDTH}" y="{y}" width="{steps * STEP_WIDTH}" '
                            f'height="{ROW_HEIGHT}" fill="#f2f2f2"/>')
        elements.append(f'<text class="drum" x="{LABEL_WIDTH - 6}" y="{y + ROW_HEIGHT - 3}" '
                        f'text-anchor="end">{escape(note_name(lowest_note + row, names))}</text>')
    if not rows:
        elements.append(f'<text x="{LABEL_WIDTH + 6}" y="{grid_top + ROW_HEIGHT - 3}" '
                        f'fill="#666">no hits</text>')
    for step in range(0, steps + 1, STEPS_PER_BEAT):
        x = LABEL_WIDTH + step * STEP_WIDTH
        if step % STEPS_PER_BAR == 0 or step == steps:
            elements.append(f'<line class="bar" x1="{x}" y1="{grid_top - 3}" x2="{x}" '
                            f'y2="{grid_top + grid_height}" stroke="#333" stroke-width="1.5"/>')
            if step < steps:
                elements.append(f'<text class="bar-number" x="{x + 3}" y="{grid_top - 3}" '
                                f'fill="#555">{first_bar + step // STEPS_PER_BAR}</text>')
        else:
            elements.append(f'<line class="beat" x1="{x}" y1="{grid_top}" x2="{x}" '
                            f'y2="{grid_top + grid_height}" stroke="#ccc" stroke-width="1"/>')
    for index, row in enumerate(rows):
        y = grid_top + index * ROW_HEIGHT + 2
        for step in np.flatnonzero(hits[row]).tolist():
            opacity = "" if velocities is None else \
                f' fill-opacity="{hit_opacity(velocities[row, step]):.2f}"'
            at = step if offsets is None else step + offsets[row, step] / OFFSET_UNITS
            elements.append(f'<rect class="hit" x="{LABEL_WIDTH + at * STEP_WIDTH:g}" y="{y}" '
                            f'width="{STEP_WIDTH - 1}" height="{ROW_HEIGHT - 4}" '
                            f'fill="{HIT_COLOUR}"{opacity}/>')
    if sections is not None:
        elements += section_elements(sections, band_top, grid_top + grid_height)
    return elements


def roll_picture(rolls, velocities=None, titles=None, rows=None, lowest_note=LOWEST_NOTE,
                 title=None, first_bars=None, names=None, offsets=None, sections=None):
    """Drum rolls stacked one under the other -> the text of one SVG picture.

    rolls:      list of (rows, steps) bool hits, row r = note lowest_note + r.
    velocities: None, or one (rows, steps) array of MIDI velocities per roll (opacity).
    titles:     None, or a title per roll. title: a heading for the whole picture.
    rows:       the rows to draw (default: those hit in any roll), top to bottom.
    first_bars: None, or the number of each roll's first bar (default 1).
    names:      None (General MIDI), or {note: name} of the rows (a dataset's drum map).
    offsets:    None, or one (rows, steps) array of offsets per roll (1/OFFSET_UNITS of a
                step): a hit played early or late is drawn off its cell line, where it sounds.
    sections:   None, or each roll's section letters (see section_elements).
    """
    rolls = [np.asarray(roll, dtype=bool) for roll in rolls]
    rows = rows_in_use(rolls) if rows is None else [int(row) for row in rows]
    titles = titles or [None] * len(rolls)
    velocities = velocities if velocities is not None else [None] * len(rolls)
    offsets = offsets if offsets is not None else [None] * len(rolls)
    top = TITLE_HEIGHT if title else 0
    elements = []
    if title:
        elements.append(f'<text class="heading" x="0" y="14" font-size="14" '
                        f'font-weight="bold">{escape(title)}</text>')
    first_bars = first_bars or [1] * len(rolls)
    sections = sections or [None] * len(rolls)
    for roll, roll_velocities, roll_offsets, roll_title, first_bar, roll_sections in zip(
            rolls, velocities, offsets, titles, first_bars, sections):
        elements += roll_elements(roll, roll_velocities, rows, lowest_note, roll_title, top,
                                  first_bar, names, roll_offsets, roll_sections)
        top += roll_height(rows, roll_title, roll_sections) + GAP
    width = LABEL_WIDTH + max((roll.shape[1] for roll in rolls), default=0) * STEP_WIDTH + 1
    height = max(top - GAP, 1)
    return "\n".join([
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="{FONT_SIZE}">',
        f'<title>{escape(title or ", ".join(filter(None, titles)) or "drum roll")}</title>',
        f'<rect width="{width}" height="{height}" fill="white"/>',
        *elements,
        "</svg>", ""])


def line_sections(sections, start, steps):
    """A song's sections [(label, first bar, bars)] -> those of its line of `steps` steps from
    step `start`, for section_elements: the one going on into the line, then those starting
    in it."""
    marks = []
    for label, first_bar, bars in sections:
        first, end = first_bar * STEPS_PER_BAR, (first_bar + bars) * STEPS_PER_BAR
        if start <= first < start + steps:
            marks.append((label, first - start, True))
        elif first < start < end:
            marks.append((label, 0, False))
    return marks


def track_picture(hits, velocities, title, rows=None, lowest_note=LOWEST_NOTE, heading=None,
                  names=None, offsets=None, sections=None):
    """One track (rows, steps) -> SVG text. A track longer than LINE_BARS bars is drawn in
    lines of LINE_BARS bars, one under the other as in a score, each titled with its bars;
    heading: an optional line above it all (a song's form); names, offsets: as in
    roll_picture; sections: None, or a song's sections as [(label, first bar counted from 0,
    bars)], lettered above the bars where they start, with a line across the roll there."""
    line = LINE_BARS * STEPS_PER_BAR
    steps = hits.shape[1]
    if steps <= line:
        return roll_picture([hits], [velocities], titles=[title], rows=rows,
                            lowest_note=lowest_note, title=heading, names=names,
                            offsets=[offsets],
                            sections=None if sections is None else [
                                line_sections(sections, 0, steps)])
    starts = range(0, steps, line)
    last_bar = -(-steps // STEPS_PER_BAR)
    return roll_picture(
        [hits[:, start:start + line] for start in starts],
        None if velocities is None else [velocities[:, start:start + line] for start in starts],
        titles=[f"{title}, bars {start // STEPS_PER_BAR + 1}-"
                f"{min(last_bar, (start + line) // STEPS_PER_BAR)}" for start in starts],
        rows=rows, lowest_note=lowest_note, title=heading,
        first_bars=[start // STEPS_PER_BAR + 1 for start in starts], names=names,
        offsets=None if offsets is None else [offsets[:, start:start + line]
                                              for start in starts],
        sections=None if sections is None else [line_sections(sections, start, line)
                                                for start in starts])


def write_svg(path, text):
    """Write an SVG picture atomically (UserError naming the file when it cannot be)."""
    with writing(path) as handle:
        handle.write(text.encode("utf-8"))

