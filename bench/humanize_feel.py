"""Does `make humanize` give a drummer's held-out songs his feel back?

    python bench/humanize_feel.py DATASET RUN [RUN...]

For each held-out song of the run (its config names them): the song as a sequencer plays it
(every hit on its grid line at the song's median velocity, flams and double strokes dropped),
then that grid version humanized by the run (drumroll.humanize, as `make humanize` does it).
Both are measured against the songs as he played them, with the feel table of `make evaluate`
(drumroll/feel.py), on the dataset's 8-bar windows of those songs; beside them, his training
songs against his held-out ones: the distance a model has to come within (issue 20).
"""
import dataclasses
import pathlib
import sys

import numpy as np

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from drumroll.dataset import load_dataset  # noqa: E402
from drumroll.evaluation import table  # noqa: E402
from drumroll.feel import Playing, feel_table_columns  # noqa: E402
from drumroll.humanize import humanize  # noqa: E402
from drumroll.midi_in import ExtraHits  # noqa: E402
from drumroll.training import load_run  # noqa: E402

WINDOW = 256


def on_the_grid(roll):
    """A song's DrumRoll as a sequencer plays it: hits on their grid lines, one velocity."""
    hits = roll.velocities > 0
    level = int(np.median(roll.velocities[hits]))
    return dataclasses.replace(roll, velocities=np.where(hits, level, 0).astype(np.uint8),
                               offsets=np.zeros(hits.shape, dtype=np.int8), extra=ExtraHits.none())


def windows_of(dataset, songs, velocities, offsets):
    """The dataset's windows of the given songs, cut from their rolls ({index: (rows, steps)})
    -> Playing, each at its song's tempo."""
    picked = [i for i in range(len(dataset)) if int(dataset.song_index[i]) in songs]
    cut = [(int(dataset.song_index[i]), int(dataset.start[i])) for i in picked]
    loud = np.stack([velocities[song][:, start:start + WINDOW] for song, start in cut])
    early = np.stack([offsets[song][:, start:start + WINDOW] for song, start in cut])
    return Playing(loud > 0, loud, early, dataset.song_bpm[[song for song, _ in cut]])


def measure(dataset, run, seed=0):
    gan, _ = load_run(run)
    names = dataset.song_names.tolist()
    held = [names.index(name) for name in gan.config.holdout_songs]
    training = [index for index in range(len(names)) if index not in held]
    real = {index: dataset.song_performance(index) for index in range(len(names))}
    grid = {index: on_the_grid(real[index]) for index in held}
    rng = np.random.default_rng(seed)
    humanized = {index: humanize(gan, grid[index], rng).roll for index in held}

    def playing(rolls, songs):
        return windows_of(dataset, set(songs), {i: rolls[i].velocities for i in songs},
                          {i: rolls[i].offsets for i in songs})

    sets = {"his held-out songs": playing(real, held),
            "his training songs": playing(real, training),
            "held-out songs on the grid (sequencer)": playing(grid, held),
            "those humanized": playing(humanized, held)}
    return feel_table_columns(sets, "his held-out songs")


def main(argv):
    if len(argv) < 2:
        print(__doc__)
        return 2
    dataset = load_dataset(argv[0], height=None)
    for run in argv[1:]:
        print(f"## {run}\n")
        print(table(measure(dataset, run)))
        print()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
