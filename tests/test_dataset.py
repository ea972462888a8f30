"""dataset.npz: what build_dataset puts in it, how it is saved, how load_dataset checks it."""
import numpy as np
import pytest

from drumroll.cli import UserError
from drumroll.dataset import (Dataset, build_dataset, load_dataset, save_dataset, unused_rows,
                              used_rows)
from drumroll.format import NUM_ROWS, pixels_to_hits
from drumroll.midi_out import roll_to_midi


def write_song(path, hits_by_row, steps, velocity=89):
    """A MIDI file whose roll has hits at {row: [steps]}."""
    hits = np.zeros((NUM_ROWS, steps), dtype=bool)
    for row, columns in hits_by_row.items():
        hits[row, columns] = True
    roll_to_midi(hits, velocity).save(path)
    return hits


@pytest.fixture
def corpus(tmp_path):
    folder = tmp_path / "midi"
    folder.mkdir()
    first = write_song(folder / "one.mid", {0: list(range(0, 512, 8)), 2: [8, 24, 300]}, 512, 100)
    second = write_song(folder / "two.mid", {13: [0], 15: [400]}, 512, 76)
    (folder / "broken.mid").write_bytes(b"not midi at all")
    return folder, {"one": first, "two": second}


def build(folder, **options):
    return build_dataset(sorted(str(path) for path in folder.iterdir()), **options)


def test_every_non_empty_window_is_in_the_dataset_with_its_song_and_start(corpus):
    folder, songs = corpus
    dataset, report = build(folder, hop=128)
    assert list(zip(dataset.song.tolist(), dataset.start.tolist())) == [
        ("one", 0), ("one", 128), ("one", 256), ("two", 0), ("two", 256)]
    for song, start, image in zip(dataset.song, dataset.start, dataset.images):
        expected = songs[song][:, start:start + 256]
        assert np.array_equal(pixels_to_hits(image), expected)
    assert report.windows == 5


def test_arrays_have_the_documented_types_and_shapes(corpus):
    dataset, _ = build(corpus[0])
    count = len(dataset)
    assert dataset.images.dtype == np.uint8 and dataset.images.shape == (count, NUM_ROWS, 256)
    assert dataset.velocities.dtype == np.uint8 and dataset.velocities.shape == dataset.images.shape
    assert dataset.song.dtype.kind == "U" and dataset.song.shape == (count,)
    assert dataset.start.dtype.kind == "i" and dataset.start.shape == (count,)
    assert set(np.unique(dataset.images).tolist()) == {0, 255}


def test_velocities_hold_each_hits_velocity_and_zero_elsewhere(corpus):
    dataset, _ = build(corpus[0])
    assert np.array_equal(dataset.velocities > 0, dataset.images == 0)
    one = dataset.song == "one"
    assert set(np.unique(dataset.velocities[one]).tolist()) == {0, 100}
    assert set(np.unique(dataset.velocities[~one]).tolist()) == {0, 76}


def test_the_default_hop_is_one_bar(corpus):
    dataset, _ = build(corpus[0])
    assert dataset.hop == 32
    assert dataset.start[dataset.song == "one"].tolist() == list(range(0, 257, 32))


def test_a_bad_file_is_skipped_with_its_reason_and_the_batch_goes_on(corpus):
    dataset, report = build(corpus[0])
    assert len(report.read) == 2
    assert [(path.rsplit("/", 1)[-1], "not a MIDI file (no MThd header)" in reason)
            for path, reason in report.skipped] == [("broken.mid", True)]
    assert set(dataset.song.tolist()) == {"one", "two"}


def test_songs_with_the_same_stem_get_distinct_names(tmp_path):
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        write_song(tmp_path / folder / "song.mid", {0: [0]}, 256)
    dataset, report = build_dataset([str(tmp_path / "a/song.mid"), str(tmp_path / "b/song.mid")])
    assert dataset.song.tolist() == ["song", "song-2"]
    assert [name for _, name in report.renamed] == ["song-2"]


def test_report_counts_onsets_rows_and_skipped_files(corpus):
    _, report = build(corpus[0])
    assert report.onsets == 64 + 3 + 2
    assert report.notes_per_row[[0, 2, 13, 15]].tolist() == [64, 3, 1, 1]
    text = "\n".join(report.lines())
    assert "files read: 2, skipped: 1" in text
    assert "broken.mid" in text
    assert "note  36  bass drum" in text
    assert "windows written: " in text


def test_save_and_load_give_back_the_same_arrays_without_pickle(corpus, tmp_path):
    dataset, _ = build(corpus[0], hop=64)
    path = tmp_path / "dataset.npz"
    save_dataset(path, dataset)
    with np.load(path, allow_pickle=False) as raw:
        assert {"images", "velocities", "song", "start", "hop", "window"} <= set(raw.files)
    loaded = load_dataset(path)
    for name in ("images", "velocities", "song", "start"):
        assert np.array_equal(getattr(loaded, name), getattr(dataset, name))
    assert (loaded.hop, loaded.window, loaded.lowest_note) == (64, 256, 36)


def test_a_failed_save_keeps_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "dataset.npz"
    path.write_bytes(b"old")

    def crash_half_way(handle, **arrays):
        handle.write(b"PK half a zip")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(np, "savez", crash_half_way)
    dataset = Dataset(images=np.zeros((1, NUM_ROWS, 256), np.uint8),
                      velocities=np.zeros((1, NUM_ROWS, 256), np.uint8),
                      song=np.array(["x"]), start=np.zeros(1, np.int64))
    with pytest.raises(UserError, match=r"dataset\.npz: cannot write \(No space left on device\)"):
        save_dataset(path, dataset)
    assert path.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["dataset.npz"]


def test_saving_into_a_missing_folder_names_the_file(tmp_path):
    dataset = Dataset(images=np.zeros((1, NUM_ROWS, 256), np.uint8),
                      velocities=np.zeros((1, NUM_ROWS, 256), np.uint8),
                      song=np.array(["x"]), start=np.zeros(1, np.int64))
    with pytest.raises(UserError, match=r"nowhere/dataset\.npz: cannot write"):
        save_dataset(tmp_path / "nowhere" / "dataset.npz", dataset)


# ---- load_dataset refuses bad files ----

def save_arrays(path, **arrays):
    good = dict(images=np.zeros((2, NUM_ROWS, 256), np.uint8),
                velocities=np.zeros((2, NUM_ROWS, 256), np.uint8),
                song=np.array(["a", "b"]), start=np.array([0, 32]))
    good.update(arrays)
    np.savez(path, **{name: value for name, value in good.items() if value is not None})
    return path


def test_load_dataset_accepts_a_good_file(tmp_path):
    loaded = load_dataset(save_arrays(tmp_path / "ok.npz"))
    assert len(loaded) == 2 and loaded.start.tolist() == [0, 32]


def test_load_dataset_refuses_a_missing_file(tmp_path):
    with pytest.raises(UserError, match=r"none\.npz: no such dataset file"):
        load_dataset(tmp_path / "none.npz")


def test_load_dataset_refuses_a_file_that_is_not_npz(tmp_path):
    path = tmp_path / "text.npz"
    path.write_text("hello")
    with pytest.raises(UserError, match=r"text\.npz: not a dataset file"):
        load_dataset(path)


@pytest.mark.parametrize("arrays, reason", [
    (dict(velocities=None), "missing arrays: velocities"),
    (dict(images=np.zeros((2, NUM_ROWS, 256), np.float32)), "images must be uint8"),
    (dict(images=np.zeros((2, 24, 256), np.uint8),
          velocities=np.zeros((2, 24, 256), np.uint8)), "24 rows high, expected 25"),
    (dict(velocities=np.zeros((2, NUM_ROWS, 128), np.uint8)), "velocities must be uint8 shaped"),
    (dict(song=np.array(["a"])), "song must be"),
    (dict(song=np.array([1, 2])), "song must be"),
    (dict(start=np.array([0.0, 1.0])), "start must be"),
    (dict(images=np.zeros((0, NUM_ROWS, 256), np.uint8),
          velocities=np.zeros((0, NUM_ROWS, 256), np.uint8),
          song=np.array([], dtype=str), start=np.array([], int)), "holds no images"),
    (dict(hop=np.array([1, 2])), "hop must be a single integer"),
])
def test_load_dataset_refuses_inconsistent_arrays_naming_the_file(tmp_path, arrays, reason):
    path = save_arrays(tmp_path / "bad.npz", **arrays)
    with pytest.raises(UserError, match=r"bad\.npz: .*" + reason):
        load_dataset(path)


def test_load_dataset_refuses_pickled_object_arrays(tmp_path):
    path = save_arrays(tmp_path / "pickled.npz", song=np.array(["a", None], dtype=object))
    with pytest.raises(UserError, match=r"pickled\.npz: not a dataset file"):
        load_dataset(path)


def test_unused_rows_lists_rows_never_hit():
    images = np.full((3, NUM_ROWS, 8), 255, np.uint8)
    images[0, 0, 0] = 0
    images[2, 13, 5] = 0
    assert unused_rows(images) == [row for row in range(NUM_ROWS) if row not in (0, 13)]


def test_used_rows_lists_rows_hit_at_least_once():
    images = np.full((2, NUM_ROWS, 8), 255, dtype=np.uint8)
    images[1, 13, 3] = 0
    images[0, 2, 0] = 0
    assert used_rows(images) == [2, 13]
