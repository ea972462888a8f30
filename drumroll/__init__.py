"""drumroll: the drum-roll image format and everything around it.

An image is a grid of drum hits: rows are MIDI drum notes, columns are 32nd-note steps.
`format` defines it once; `midi_in` / `midi_out` convert MIDI to and from it; `dataset`
builds the trainer's dataset file; `compose` writes the default corpus; `metrics`
compares sets of rolls; `synth` renders drum MIDI to audio with the `kit`, reading files with
`midi_scan` (a fast reader of drum note-ons). None of it knows about GANs.
"""
