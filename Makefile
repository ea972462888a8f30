# drumgan: every step of the pipeline, each target setting up what it needs.
# `make help` lists the targets; variables below can be set on the command line.

PYTHON   ?= python3
VENV     := .venv
PY       := $(VENV)/bin/python

MIDI_DIR ?= data/midi
DATASET_DIR ?= build/dataset
DATASET  := $(DATASET_DIR)/dataset.npz
ARCH     ?= bars
ITER     ?=
SEED     ?= 0
RUN      ?= runs/$(ARCH)
NUM      ?= 8
BPM      ?= 140
OUT      ?= generated
MIDI     ?=
WAV      ?=
ORIGINAL ?=

ITER_ARG := $(if $(ITER),--iterations $(ITER),)

.PHONY: help setup dataset train generate evaluate demo test bench listen corpus clean

help:  ## list the targets
	@grep -E '^[a-z]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | expand -t 12

$(VENV)/.runtime: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

$(VENV)/.dev: requirements-dev.txt $(VENV)/.runtime
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

setup: $(VENV)/.runtime  ## create .venv from requirements.txt (idempotent)

dataset: $(VENV)/.runtime  ## MIDI files in MIDI_DIR -> drum-roll PNGs and dataset.npz
	$(PY) midi2img.py $(MIDI_DIR) --out $(DATASET_DIR)

$(DATASET):
	$(MAKE) dataset

train: $(VENV)/.runtime $(DATASET)  ## train the GAN (ARCH, ITER, SEED) into RUN; continues RUN if stopped
	$(PY) train_gan.py --data $(DATASET) --arch $(ARCH) --seed $(SEED) --out $(RUN) --resume $(ITER_ARG)

generate: $(VENV)/.runtime  ## write NUM new tracks (PNG, MIDI, WAV) from RUN's last checkpoint into OUT
	$(PY) img2midi.py --checkpoint $(RUN) --num $(NUM) --bpm $(BPM) --seed $(SEED) --out $(OUT)

evaluate: $(VENV)/.runtime  ## score RUN's samples against held-out real songs (ORIGINAL=dir adds a column)
	$(PY) evaluate.py --data $(DATASET) --run $(RUN) --seed $(SEED) $(if $(ORIGINAL),--original $(ORIGINAL),)

# The demo keeps to its own dataset and run folders, so it never mixes with your runs.
DEMO := DATASET_DIR=build/demo-dataset RUN=runs/demo ARCH=bars

demo: $(VENV)/.runtime  ## everything on the default corpus: dataset, train, generate, evaluate
	$(MAKE) dataset $(DEMO) MIDI_DIR=data/midi
	$(MAKE) train $(DEMO)
	$(MAKE) generate $(DEMO)
	$(MAKE) evaluate $(DEMO)

test: $(VENV)/.dev  ## run the test suite
	$(PY) -m pytest -q

bench: $(VENV)/.runtime  ## speed and memory benchmarks
	$(PY) bench/run.py

listen: $(VENV)/.runtime  ## render MIDI=path.mid to a WAV (WAV=other.wav to choose)
	@test -n "$(MIDI)" || { echo "usage: make listen MIDI=path.mid [WAV=out.wav]" >&2; exit 2; }
	$(PY) listen.py $(MIDI) $(if $(WAV),--out $(WAV),)

corpus: $(VENV)/.runtime  ## re-compose the default corpus in data/midi
	$(PY) -m drumroll.compose --out data/midi --seed 0

clean:  ## remove the environment and everything generated
	rm -rf $(VENV) build runs generated .pytest_cache .hypothesis
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
