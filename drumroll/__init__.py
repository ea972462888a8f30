"""drumroll: the drum side of drumgan, from MIDI files to drum GANs and back.

An image is a grid of drum hits: rows are MIDI drum notes, columns are 32nd-note steps.
`format` defines it once; `midi_in` / `midi_out` convert MIDI to and from it; `dataset`
builds the trainer's dataset file; `compose` writes the default corpus; `synth` and `kit`
render drum MIDI to audio. `models` holds the drum GANs (one class per architecture, built
from the gan_numpy engine), `training` the loop with its run folder, `generate` turns a model's
samples into tracks, and `metrics` / `evaluation` score them against real music.
"""
