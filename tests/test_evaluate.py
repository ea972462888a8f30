"""evaluate.py: the table of a trained run against held-out songs and other folders."""
import numpy as np
import pytest

import evaluate
from drumroll.dataset import load_dataset
from drumroll.format import hits_to_pixels
from drumroll.images import write_png
from drumroll.training import train


@pytest.fixture(scope="module")
def trained_run(tmp_path_factory, write_tiny_dataset, tiny_configs, quiet):
    folder = tmp_path_factory.mktemp("eval")
    write_tiny_dataset(folder / "data.npz")
    dataset = load_dataset(folder / "data.npz")
    keep = dataset.song != "song3"
    train(*tiny_configs(iterations=2, holdout_songs=["song3"]), dataset.images[keep],
          folder / "run", log=quiet)
    return folder


def test_evaluate_scores_held_out_songs_the_model_and_a_folder_of_pngs(trained_run, capsys):
    samples = trained_run / "pngs"
    samples.mkdir()
    for i in range(3):
        hits = np.zeros((25, 256), dtype=bool)
        hits[0, i::8] = True
        write_png(samples / f"roll{i}.png", hits_to_pixels(hits))
    code = evaluate.main(["--data", str(trained_run / "data.npz"), "--run",
                          str(trained_run / "run"), "--num", "8", "--samples", str(samples),
                          "--out", str(trained_run / "table.md")])
    assert code == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "| measure | real, held out | ours (bars, 2 it.) | pngs |"
    assert "| windows | 4 | 8 | 3 |" in lines
    assert (trained_run / "table.md").read_text().splitlines() == lines


def test_a_run_without_held_out_songs_cannot_be_evaluated(tmp_path, write_tiny_dataset,
                                                        tiny_configs, quiet):
    write_tiny_dataset(tmp_path / "data.npz")
    train(*tiny_configs(iterations=1), load_dataset(tmp_path / "data.npz").images,
          tmp_path / "run", log=quiet)
    with pytest.raises(evaluate.UserError, match="held out no songs"):
        evaluate.main(["--data", str(tmp_path / "data.npz"), "--run", str(tmp_path / "run")])
