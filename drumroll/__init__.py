"""drumroll: the drum side of drumgan, from MIDI files to drum GANs and back.

An image is a grid of drum hits: rows are MIDI drum notes, columns are 32nd-note steps.
`format` defines it once; `midi_in` / `midi_out` convert MIDI to and from it; `dataset`
builds the trainer's dataset file; `compose` writes the default corpus; `synth` renders drum
MIDI to audio with the `kit`, reading files with `midi_scan` (a fast reader of drum note-ons).
`models` holds the drum GANs (one class per architecture, built from the gan_numpy engine),
`training` the loop with its run folder, `generate` and `songwriter` turn a model's samples
into tracks and songs (`phrases` and `dynamics` say what a song and its accents are), and
`metrics` / `evaluation` score them against real music.
"""
