# drumgan: every step of the pipeline, each target setting up what it needs.
# `make help` lists the targets; variables below can be set on the command line.

PYTHON   ?= python3
VENV     := .venv
PY       := $(VENV)/bin/python

MIDI_DIR    ?= data/midi
DATASET_DIR ?= build/dataset
DATASET     := $(DATASET_DIR)/dataset.npz
ARCH        ?= song
ITER        ?=
TRAIN_SEED  ?= 0
HOLDOUT_FROM ?=
SEED        ?= 0
# a run folder per network and training seed: runs/song for seed 0, runs/song-seed1 for 1, ...
# (SEED, the sampling seed, never changes the run folder: other tracks from the same run)
RUN         ?= runs/$(ARCH)$(if $(filter-out 0,$(TRAIN_SEED)),-seed$(TRAIN_SEED))
NUM         ?= 8
BARS        ?=
FORM        ?=
BPM         ?=
FEEL        ?= 1
DENSITY     ?= 0
FILLS       ?= 1
VARIATION   ?= 1
REDO        ?=
REDO_SEED   ?=
OUT         ?=
PRIMER      ?=
MIDI        ?=
WAV         ?=
ORIGINAL    ?=
CONTROLS    ?= 0
CHANNEL     ?=
A           ?=
B           ?=
STEPS       ?= 8

# what `make help` says of each variable
HELP_MIDI_DIR    := folder of .mid/.midi files, searched recursively (dataset)
HELP_DATASET_DIR := where dataset.npz and the PNGs go (dataset, train, evaluate)
HELP_ARCH        := network: song, bars or original (train; part of RUN)
HELP_ITER        := total training iterations; empty = the network's default (train)
HELP_TRAIN_SEED  := training seed (train); part of RUN, so it also picks the run read
HELP_HOLDOUT_FROM := hold out the songs whose path holds this text, e.g. session1; empty = a quarter of the songs (train)
HELP_SEED        := sampling seed: other tracks, songs, samples of RUN (generate, song, evaluate)
HELP_RUN         := run folder (train, generate, song, evaluate)
HELP_NUM         := tracks or songs to write (generate, song)
HELP_BARS        := bars per track (generate: 8) or song (song: 64)
HELP_FORM        := sections of every song, e.g. "A8 B8+ A8 C16++ A8-" (+/-: a step more/less intense); empty = drawn per song (song)
HELP_BPM         := tempo; empty = the median tempo of the run's training songs (generate, song; interpolate: a file end's)
HELP_FEEL        := 1 = the drummer's timing as the model learned it, 0 = every hit on the grid (generate, song, interpolate)
HELP_DENSITY     := -1 (sparser) to 1 (busier), in the drummer's vocabulary (generate, song)
HELP_FILLS       := how often he fills, times his rate: 0 to 2 (song)
HELP_VARIATION   := 0 (bars repeat) to 2 (vary more than he does) (generate, song)
HELP_REDO        := draw the N-th section of the songs anew, from REDO_SEED (song)
HELP_REDO_SEED   := the seed of the REDO section; empty = SEED + 1 (song)
HELP_OUT         := folder of the generation, its earlier files replaced (generate, song, humanize, interpolate), or of the toy's picture (toy)
HELP_PRIMER      := a drum MIDI file in 4/4 the songs go on from (song)
HELP_MIDI        := MIDI file to render (listen), or file or folder to humanize (humanize)
HELP_WAV         := WAV file to write; empty = beside the MIDI file (listen)
HELP_ORIGINAL    := folder of the original project's MIDI files, adds a column (evaluate)
HELP_CONTROLS    := 1 = also sweep every control across its range (evaluate)
HELP_CHANNEL     := MIDI channel of the drums, 1-16; empty = 10 (dataset, listen, humanize, interpolate, PRIMER, ORIGINAL)
HELP_A           := where the path starts: a drum MIDI file, or seed:N for the run's sampled groove of seed N (interpolate)
HELP_B           := where the path ends, as A (interpolate)
HELP_STEPS       := windows of 8 bars on the path, both ends counted, 2 to 64 (interpolate)
VARIABLES := MIDI_DIR DATASET_DIR ARCH ITER TRAIN_SEED HOLDOUT_FROM SEED RUN NUM BARS FORM BPM \
             FEEL DENSITY FILLS VARIATION REDO REDO_SEED OUT PRIMER MIDI WAV ORIGINAL CONTROLS \
             CHANNEL A B STEPS

# the variables given on the command line
GIVEN := $(foreach name,$(VARIABLES),$(if $(filter command,$(firstword $(origin $(name)))),$(name)))

# A value given on the command line or in the environment is taken as it is written: a $ in it
# is a $ (make would read the $H of "$HOME" as a variable of its own, and drop it).
$(foreach name,$(VARIABLES),$(if $(filter command environment,$(firstword $(origin $(name)))),\
  $(eval override $(name) := $$(value $(name)))))

# $(call q,text): text as one shell word, whatever it holds (spaces, quotes, $, non-ASCII)
q = '$(subst ','\'',$(1))'

ITER_ARG := $(if $(ITER),--iterations $(call q,$(ITER)),)
# --quantize when FEEL is 0
QUANTIZE = $(if $(filter 0,$(FEEL)),--quantize,)
# $(call opt,--flag,VALUE): the option only when VALUE is not empty
opt = $(if $(2),$(1) $(call q,$(2)),)

.PHONY: help setup toy dataset train generate song humanize interpolate evaluate demo test bench listen corpus clean

help:  ## list the targets and the variables
	@echo "targets:"
	@grep -E '^[a-z]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | expand -t 12 | sed 's/^/  /'
	@echo
	@echo "variables (make TARGET NAME=value; shown with the value they have now):"
	@$(foreach name,$(VARIABLES),printf '  %-12s %-22s %s\n' $(name) $(call q,$(or $($(name)),(empty))) $(call q,$(HELP_$(name)));)

$(VENV)/.runtime: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

$(VENV)/.dev: requirements-dev.txt $(VENV)/.runtime
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

setup: $(VENV)/.runtime  ## create .venv from requirements.txt (idempotent)

toy: $(VENV)/.runtime  ## a toy GAN on points in the plane that learns in seconds: start here (OUT)
	$(PY) examples/toy_gan.py --out $(call q,$(or $(OUT),toy))

dataset: $(VENV)/.runtime  ## MIDI files in MIDI_DIR -> drum-roll PNGs and dataset.npz
	$(PY) midi2img.py $(call q,$(MIDI_DIR)) --out $(call q,$(DATASET_DIR)) $(call opt,--channel,$(CHANNEL))

# the dataset is made first when missing (a recipe, not a prerequisite: file names with
# spaces cannot be make targets)
train: $(VENV)/.runtime  ## train the GAN (ARCH, ITER, TRAIN_SEED) into RUN; continues RUN if stopped
	@$(if $(and $(filter SEED,$(GIVEN)),$(if $(filter TRAIN_SEED,$(GIVEN)),,given)),\
	  echo "make train: SEED is the sampling seed (generate, song, evaluate); train with TRAIN_SEED="$(call q,$(SEED)) >&2; exit 2)
	@test -f $(call q,$(DATASET)) || $(MAKE) dataset
	$(PY) train_gan.py --data $(call q,$(DATASET)) --arch $(call q,$(ARCH)) --seed $(call q,$(TRAIN_SEED)) --out $(call q,$(RUN)) --resume $(ITER_ARG) $(call opt,--holdout-from,$(HOLDOUT_FROM))

generate: $(VENV)/.runtime  ## write NUM new 8-bar tracks (FEEL) and index.html from RUN into OUT, replacing its earlier tracks
	$(PY) img2midi.py --checkpoint $(call q,$(RUN)) --num $(call q,$(NUM)) $(call opt,--bars,$(BARS)) $(call opt,--bpm,$(BPM)) --seed $(call q,$(SEED)) $(QUANTIZE) --density $(call q,$(DENSITY)) --variation $(call q,$(VARIATION)) --out $(call q,$(or $(OUT),generated)) --replace

song: $(VENV)/.runtime  ## write NUM songs of BARS bars (FORM, PRIMER, BPM, FEEL) and index.html from RUN into OUT
	$(PY) song.py --run $(call q,$(RUN)) --num $(call q,$(NUM)) $(call opt,--bars,$(BARS)) $(call opt,--form,$(FORM)) $(call opt,--primer,$(PRIMER)) $(call opt,--bpm,$(BPM)) --seed $(call q,$(SEED)) $(QUANTIZE) --density $(call q,$(DENSITY)) --fills $(call q,$(FILLS)) --variation $(call q,$(VARIATION)) $(call opt,--redo,$(REDO)) $(call opt,--redo-seed,$(REDO_SEED)) --out $(call q,$(or $(OUT),songs)) --replace $(call opt,--channel,$(CHANNEL))

humanize: $(VENV)/.runtime  ## play MIDI (a file or folder) with RUN's drummer's timing and dynamics, into OUT
	@test -n "$(MIDI)" || { echo "usage: make humanize MIDI=my-beat.mid [OUT=folder] [RUN=runs/song]" >&2; exit 2; }
	$(PY) humanize.py $(call q,$(MIDI)) --run $(call q,$(RUN)) --seed $(call q,$(SEED)) --out $(call q,$(or $(OUT),humanized)) --replace $(call opt,--channel,$(CHANNEL))

interpolate: $(VENV)/.runtime  ## the path from groove A to groove B in STEPS windows (files or seed:N), one track and a file per step, into OUT
	@test -n $(call q,$(A)) -a -n $(call q,$(B)) || { echo "usage: make interpolate A=groove-a.mid B=groove-b.mid [STEPS=8] [OUT=folder] [RUN=runs/song] (an end may be seed:N)" >&2; exit 2; }
	$(PY) interpolate.py $(call q,$(A)) $(call q,$(B)) --steps $(call q,$(STEPS)) --run $(call q,$(RUN)) --seed $(call q,$(SEED)) $(call opt,--bpm,$(BPM)) --out $(call q,$(or $(OUT),interpolated)) --replace $(call opt,--channel,$(CHANNEL)) $(QUANTIZE)

evaluate: $(VENV)/.runtime  ## score RUN's samples against held-out real songs (ORIGINAL=dir adds a column)
	$(PY) evaluate.py --data $(call q,$(DATASET)) --run $(call q,$(RUN)) --seed $(call q,$(SEED)) $(if $(ORIGINAL),--original $(call q,$(ORIGINAL)),) $(call opt,--channel,$(CHANNEL)) $(if $(filter 1,$(CONTROLS)),--controls,)

# The demo keeps to its own dataset and run folders, so it never mixes with your runs.
DEMO := DATASET_DIR=build/demo-dataset RUN=runs/demo ARCH=song TRAIN_SEED=$(call q,$(TRAIN_SEED))

demo: $(VENV)/.runtime  ## everything on the default corpus: dataset, train, generate, a song, evaluate
	$(MAKE) dataset $(DEMO) MIDI_DIR=data/midi
	$(MAKE) train $(DEMO)
	$(MAKE) generate $(DEMO)
	$(MAKE) song $(DEMO) NUM=1
	$(MAKE) evaluate $(DEMO)

test: $(VENV)/.dev  ## run the test suite
	$(PY) -m pytest -q

bench: $(VENV)/.runtime  ## speed and memory benchmarks
	$(PY) bench/run.py

listen: $(VENV)/.runtime  ## render MIDI=path.mid to a WAV (WAV=other.wav to choose)
	@test -n $(call q,$(MIDI)) || { echo "usage: make listen MIDI=path.mid [WAV=out.wav]" >&2; exit 2; }
	$(PY) listen.py $(call q,$(MIDI)) $(if $(WAV),--out $(call q,$(WAV)),) $(call opt,--channel,$(CHANNEL))

corpus: $(VENV)/.runtime  ## re-compose the default corpus in data/midi
	$(PY) -m drumroll.compose --out data/midi --seed 0

clean:  ## remove the environment and everything generated
	rm -rf $(VENV) build runs generated songs humanized interpolated toy .pytest_cache .hypothesis
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
