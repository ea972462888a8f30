"""Interpolation measured on a trained song run: do the ends play their grooves, are the steps
smooth, and are they in the drummer's style?

    python bench/interpolation.py --run RUN --data DATASET A B [A B ...] [--steps 8 16 32]

Each pair of ends (a drum MIDI file, FILE@BAR for the 8 bars of 4/4 from bar BAR (1 = the
first), or seed:N) is interpolated as `make interpolate` does it, for every --steps, and
measured with drumroll.interpolate.path_measures against the run's training windows (those of
DATASET outside the songs the run held out). For a file end, the table gives beside it what the
primer's search reaches on the same bars (songwriter.fit_windows with the candidates' own
batch, as fit_primer calls it), as it reports it and as its window then plays them (decoded
beside random latents, as songs and samples are).
"""
import argparse
import pathlib
import sys

import numpy as np

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from drumroll.dataset import load_dataset  # noqa: E402
from drumroll.evaluation import format_value  # noqa: E402
from drumroll.format import STEPS_PER_BAR, WINDOW_BARS, from_bars  # noqa: E402
from drumroll.interpolate import (alike, decode_path, end_seed, file_end, groove_bars,  # noqa: E402
                                  path_measures, plan_path, sample_context, seed_end,
                                  window_style)
from drumroll.midi_in import read_drum_file  # noqa: E402
from drumroll.phrases import bar_roles  # noqa: E402
from drumroll.songwriter import fit_windows  # noqa: E402
from drumroll.training import load_run  # noqa: E402


def stretch(text):
    """FILE@BAR -> (8, 25, 32) bars of 4/4 from bar BAR; FILE -> groove_bars."""
    path, _, bar = text.partition("@")
    roll = read_drum_file(path)
    if not bar:
        return groove_bars(roll, path)
    first = int(bar) - 1
    if not roll.bars.whole_four_four[first:first + WINDOW_BARS].all():
        sys.exit(f"{text}: the 8 bars from bar {bar} are not all whole 4/4 bars")
    start = roll.bars.start[first]
    hits = roll.hits[:, start:start + WINDOW_BARS * STEPS_PER_BAR]
    return hits.reshape(len(hits), WINDOW_BARS, STEPS_PER_BAR).transpose(1, 0, 2), WINDOW_BARS


def primer_search(gan, bars, seed):
    """What the primer's search reaches on the bars: as fit_windows reports it, and as a
    window decoded beside random latents then plays it."""
    rng = np.random.default_rng(seed)
    latents, reported = fit_windows(gan, [bars], bar_roles(bars)[None], rng)
    played = gan.decode(latents, rng)[0][0] < 0
    return float(reported[0]), alike(played, from_bars(bars))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--run", required=True)
    parser.add_argument("--data", required=True, help="the dataset.npz the run trained on")
    parser.add_argument("ends", nargs="+", help="pairs of ends: FILE, FILE@BAR or seed:N")
    parser.add_argument("--steps", type=int, nargs="+", default=[8, 16, 32])
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if len(args.ends) % 2:
        parser.error("give the ends in pairs")
    gan, checkpoint = load_run(args.run)
    dataset = load_dataset(args.data)
    training = ~np.isin(dataset.song, gan.config.holdout_songs)
    windows = (dataset.images[training] == 0, dataset.song[training])
    statistics = sample_context(gan, args.seed)[1]
    print(f"run {checkpoint} (iteration {gan.step:,}), {training.sum():,} training windows of "
          f"{len(set(windows[1].tolist()))} songs; seed {args.seed}\n")
    for text_a, text_b in zip(args.ends[0::2], args.ends[1::2]):
        ends, primer = [], {}
        rng = np.random.default_rng(args.seed)
        for text in (text_a, text_b):
            seed = end_seed(text)
            if seed is not None:
                ends.append(seed_end(gan, text, seed))
                continue
            bars, used = stretch(text)
            ends.append(file_end(gan, text, bars, used, statistics, rng))
            primer[text] = (*primer_search(gan, bars, args.seed), window_style(
                from_bars(bars)[None]))
        print(f"## A = {text_a}, B = {text_b}\n")
        for text, (reported, played, style) in primer.items():
            print(f"- {text}: the primer's search reports {reported:.3f}, a song plays it "
                  f"{played:.3f} alike; its bars: " + ", ".join(
                      f"{name} {value_text(name, float(values[0]))}"
                      for name, values in style.items()))
        columns = {}
        for steps in args.steps:
            hits = decode_path(gan, plan_path(gan, *ends, steps))[0]
            columns[f"STEPS={steps}"] = path_measures(hits, *ends, windows)
        names = list(columns)
        print("\n| measure | " + " | ".join(names) + " |")
        print("|---|" + "---:|" * len(names))
        for measure in columns[names[0]]:
            cells = [value_text(measure, columns[name][measure]) for name in names]
            print(f"| {measure} | " + " | ".join(cells) + " |")
        print()
    return 0


def value_text(measure, value):
    if value is None:
        return "-"
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, int):
        return str(value)
    name = measure.split(",")[0]
    return format_value(name, value)


if __name__ == "__main__":
    sys.exit(main())
