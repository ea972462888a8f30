"""dataset.npz: what build_dataset puts in it, how it is saved, how load_dataset checks it."""
import numpy as np
import pytest

from drumroll.cli import UserError
from drumroll.dataset import (FORMAT_VERSION, build_dataset, dataset_arrays, dataset_from_rolls,
                              load_dataset, save_dataset)
from drumroll.drum_maps import roland_map
from drumroll.format import NUM_ROWS, pixels_to_hits
from drumroll.midi_in import DrumRoll, read_drum_roll
from drumroll.midi_out import roll_to_midi
from drumroll.phrases import FILL, ORDINARY
from tests.midifiles import performance


def write_song(path, hits_by_row, steps, velocity=89, bpm=140):
    """A MIDI file whose roll has hits at {row: [steps]}."""
    hits = np.zeros((NUM_ROWS, steps), dtype=bool)
    for row, columns in hits_by_row.items():
        hits[row, columns] = True
    roll_to_midi(hits, velocity, bpm=bpm).save(path)
    return hits


@pytest.fixture
def corpus(tmp_path):
    folder = tmp_path / "midi"
    folder.mkdir()
    first = write_song(folder / "one.mid", {0: list(range(0, 512, 8)), 2: [8, 24, 300]}, 512, 100)
    second = write_song(folder / "two.mid", {13: [0], 15: [400]}, 512, 76, bpm=180)
    (folder / "broken.mid").write_bytes(b"not midi at all")
    return folder, {"one": first, "two": second}


def build(folder, **options):
    return build_dataset(sorted(str(path) for path in folder.iterdir()), **options)


def test_every_non_empty_window_is_in_the_dataset_with_its_song_and_start(corpus):
    folder, songs = corpus
    dataset, report = build(folder, hop=4)
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
    assert dataset.hop_bars == 1 and dataset.hop == 32
    assert dataset.start[dataset.song == "one"].tolist() == list(range(0, 257, 32))


def test_each_window_knows_its_song_and_first_bar(corpus):
    dataset, _ = build(corpus[0], hop=4)
    assert dataset.song_names.tolist() == ["one", "two"]
    assert dataset.song_index.tolist() == [0, 0, 0, 1, 1]
    assert dataset.first_bar.tolist() == [0, 4, 8, 0, 8]
    assert np.array_equal(dataset.song_names[dataset.song_index], dataset.song)


def test_each_song_keeps_its_whole_roll_bars_and_tempo(corpus):
    folder, _ = corpus
    dataset, _ = build(folder)
    for index, name in enumerate(("one", "two")):
        roll = read_drum_roll(folder / f"{name}.mid")
        assert np.array_equal(dataset.song_roll(index), roll.velocities)
        bars = dataset.song_bars(index)
        assert bars.start.tolist() == list(range(0, 512, 32))
        assert set(bars.meters()) == {(4, 4)} and set(bars.steps.tolist()) == {32}
    assert dataset.song_bpm.tolist() == [140.0, 180.0]
    assert dataset.song_step_offsets.tolist() == [0, 512, 1024]
    assert dataset.song_bar_offsets.tolist() == [0, 16, 32]


def test_a_window_is_its_songs_roll_from_its_first_bar(corpus):
    dataset, _ = build(corpus[0])
    for index in range(len(dataset)):
        song = dataset.song_index[index]
        start = dataset.song_bars(song).start[dataset.first_bar[index]]
        assert start == dataset.start[index]
        assert np.array_equal(dataset.velocities[index],
                              dataset.song_roll(song)[:, start:start + 256])


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
    assert "rows without a hit: notes 37 " in text      # row 1 had none
    assert " 36 " not in text.split("rows without a hit")[1]


def test_save_and_load_give_back_the_same_arrays_without_pickle(corpus, tmp_path):
    dataset, _ = build(corpus[0], hop=2)
    path = tmp_path / "dataset.npz"
    save_dataset(path, dataset)
    with np.load(path, allow_pickle=False) as raw:
        assert set(raw.files) == set(dataset_arrays(dataset))
        assert int(raw["version"]) == FORMAT_VERSION
    loaded = load_dataset(path)
    for name in ("images", "velocities", "song", "start", "song_index", "first_bar",
                 "song_names", "song_bpm", "song_bar_offsets", "song_step_offsets", "rolls",
                 "offsets", "roll_offsets", "roll_notes", "song_ticks_per_beat", "bar_tick",
                 "song_tempo_offsets", "tempo_tick", "tempo_us", "row_names"):
        assert np.array_equal(getattr(loaded, name), getattr(dataset, name)), name
    for field in ("start", "numerator", "denominator", "steps"):
        assert np.array_equal(getattr(loaded.bars, field), getattr(dataset.bars, field)), field
    assert (loaded.hop_bars, loaded.window, loaded.lowest_note) == (2, 256, 36)
    assert loaded.drum_map.name == "gm"
    assert np.array_equal(loaded.drum_map.table, dataset.drum_map.table)


# ---- how the songs were played ----

@pytest.fixture(scope="module")
def played(tmp_path_factory):
    """A dataset of two e-kit performances, and the rolls read from their files."""
    folder = tmp_path_factory.mktemp("played")
    rolls = []
    for seed in (0, 1):
        midi, _ = performance(seed=seed, tpb=96 * (seed + 1))
        midi.save(folder / f"take{seed}.mid")
        rolls.append(read_drum_roll(folder / f"take{seed}.mid", drum_map=roland_map()))
    dataset, report = build_dataset(sorted(str(path) for path in folder.iterdir()))
    path = folder / "dataset.npz"
    save_dataset(path, dataset)
    return load_dataset(path), rolls


def test_the_arrays_of_how_songs_were_played_have_the_documented_types_and_shapes(played):
    dataset, _ = played
    count, rows, steps = len(dataset), NUM_ROWS, dataset.rolls.shape[1]
    assert dataset.offsets.dtype == np.int8 and dataset.offsets.shape == (count, rows, 256)
    assert dataset.roll_offsets.dtype == np.int8 and dataset.roll_offsets.shape == (rows, steps)
    assert dataset.roll_notes.dtype == np.uint8 and dataset.roll_notes.shape == (rows, steps)
    assert dataset.song_ticks_per_beat.tolist() == [96, 192]
    assert dataset.bar_tick.dtype == np.float64 and dataset.bar_tick.shape == (len(dataset.bars),)
    assert dataset.song_tempo_offsets.tolist() == [0, 3, 6]
    assert dataset.tempo_tick.dtype == dataset.tempo_us.dtype == np.int64
    assert dataset.drum_map.name == "roland" and dataset.drum_map.table.shape == (128,)
    assert dataset.row_names.shape == (rows,) and dataset.row_names[6] == "hi-hat closed"


def test_each_songs_roll_keeps_its_offsets_played_notes_and_extra_hits(played):
    dataset, rolls = played
    for index, roll in enumerate(rolls):
        song = dataset.song_performance(index)
        for field in ("velocities", "offsets", "notes", "bar_ticks"):
            assert np.array_equal(getattr(song, field), getattr(roll, field)), field
        assert (song.ticks_per_beat, song.tempos) == (roll.ticks_per_beat, roll.tempos)
        assert song.bars.meters() == roll.bars.meters()
        for field in ("step", "row", "offset", "velocity", "note"):
            assert np.array_equal(getattr(song.extra, field), getattr(roll.extra, field)), field
        assert len(song.extra) == roll.merged > 0


def test_a_windows_offsets_are_its_songs_offsets_from_its_first_bar(played):
    dataset, _ = played
    for index in range(len(dataset)):
        start, song = dataset.start[index], dataset.song_index[index]
        steps = slice(dataset.song_step_offsets[song] + start,
                      dataset.song_step_offsets[song] + start + 256)
        assert np.array_equal(dataset.offsets[index], dataset.roll_offsets[:, steps])
    assert np.any(dataset.offsets != 0)


def test_training_windows_carry_the_offsets(played):
    dataset, _ = played
    keep = dataset.song_index == 1
    np.testing.assert_array_equal(dataset.training_windows(keep).offsets, dataset.offsets[keep])


def test_the_note_names_of_a_dataset_are_its_drum_maps():
    dataset = dataset_from_rolls([("x", DrumRoll(velocities=np.full((NUM_ROWS, 256), 9, np.uint8)))],
                                 drum_map=roland_map())
    assert dataset.note_names()[36] == "kick" and dataset.note_names()[39] == "hand clap"


def tiny_dataset():
    roll = np.zeros((NUM_ROWS, 256), np.uint8)
    roll[0, 0] = 89
    return dataset_from_rolls([("x", DrumRoll(velocities=roll))])


def test_a_failed_save_keeps_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "dataset.npz"
    path.write_bytes(b"old")

    def crash_half_way(handle, **arrays):
        handle.write(b"PK half a zip")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(np, "savez", crash_half_way)
    with pytest.raises(UserError, match=r"dataset\.npz: cannot write \(No space left on device\)"):
        save_dataset(path, tiny_dataset())
    assert path.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["dataset.npz"]


def test_saving_into_a_missing_folder_names_the_file(tmp_path):
    with pytest.raises(UserError, match=r"nowhere/dataset\.npz: cannot write"):
        save_dataset(tmp_path / "nowhere" / "dataset.npz", tiny_dataset())


# ---- load_dataset refuses bad files ----

@pytest.fixture
def good_arrays(corpus):
    """{name: array} of a valid dataset.npz: 2 songs of 16 bars, 2 windows each."""
    dataset, _ = build(corpus[0], hop=8)
    return dataset_arrays(dataset)


def save_arrays(path, arrays, **changes):
    arrays = {**arrays, **changes}
    np.savez(path, **{name: value for name, value in arrays.items() if value is not None})
    return path


def test_load_dataset_accepts_a_good_file(tmp_path, good_arrays):
    loaded = load_dataset(save_arrays(tmp_path / "ok.npz", good_arrays))
    assert len(loaded) == 4 and loaded.start.tolist() == [0, 256, 0, 256]


def test_load_dataset_refuses_a_missing_file(tmp_path):
    with pytest.raises(UserError, match=r"none\.npz: no such dataset file"):
        load_dataset(tmp_path / "none.npz")


def test_load_dataset_refuses_a_folder_without_a_dataset_saying_what_to_give(tmp_path):
    (tmp_path / "data.npz").mkdir()
    with pytest.raises(UserError, match=r"data\.npz: a folder without a dataset\.npz; give the "
                                        r"dataset file"):
        load_dataset(tmp_path / "data.npz")


def test_a_folder_holding_a_dataset_stands_for_it(tmp_path):
    songs = [("one", DrumRoll(velocities=np.full((NUM_ROWS, 8 * 32), 89, dtype=np.uint8)))]
    save_dataset(tmp_path / "dataset.npz", dataset_from_rolls(songs))
    assert len(load_dataset(tmp_path)) == 1


def test_load_dataset_refuses_a_file_that_is_not_npz_without_speaking_of_pickles(tmp_path):
    path = tmp_path / "text.npz"
    path.write_text("hello")
    with pytest.raises(UserError) as error:
        load_dataset(path)
    assert str(error.value) == f"{path}: not a dataset file (not an .npz archive of arrays)"


def test_load_dataset_refuses_a_single_array_renamed_npz(tmp_path):
    np.save(tmp_path / "array.npy", np.zeros((2, NUM_ROWS, 256), np.uint8))
    (tmp_path / "array.npy").rename(tmp_path / "array.npz")
    with pytest.raises(UserError, match=r"array\.npz: not a dataset file \(a single NumPy array, "
                                        r"not an \.npz archive"):
        load_dataset(tmp_path / "array.npz")


def test_a_dataset_written_by_the_old_version_is_refused_with_make_dataset(tmp_path):
    old = dict(images=np.zeros((2, NUM_ROWS, 256), np.uint8),
               velocities=np.zeros((2, NUM_ROWS, 256), np.uint8),
               song=np.array(["a", "b"]), start=np.array([0, 32]),
               hop=np.int64(32), window=np.int64(256), lowest_note=np.int64(36))
    np.savez(tmp_path / "old.npz", **old)
    with pytest.raises(UserError) as error:
        load_dataset(tmp_path / "old.npz")
    assert str(error.value) == (f"{tmp_path / 'old.npz'}: a dataset in an older format "
                                f"(no version number); run `make dataset` again")


def test_a_dataset_of_another_format_version_is_refused(tmp_path, good_arrays):
    path = save_arrays(tmp_path / "new.npz", good_arrays, version=np.int64(FORMAT_VERSION + 1))
    with pytest.raises(UserError, match=rf"new\.npz: a dataset in format version "
                                        rf"{FORMAT_VERSION + 1}, this program reads version "
                                        rf"{FORMAT_VERSION}; run `make dataset` again"):
        load_dataset(path)


def test_a_version_2_dataset_without_offsets_is_refused_with_make_dataset(tmp_path, good_arrays):
    old = {name: value for name, value in good_arrays.items()
           if name not in ("offsets", "roll_offsets", "roll_notes")}
    path = save_arrays(tmp_path / "v2.npz", old, version=np.int64(2))
    with pytest.raises(UserError, match=r"v2\.npz: a dataset in format version 2, this program "
                                        r"reads version 3; run `make dataset` again"):
        load_dataset(path)


def test_an_npz_that_is_no_dataset_is_refused(tmp_path):
    np.savez(tmp_path / "weights.npz", w=np.zeros(3))
    with pytest.raises(UserError, match=r"weights\.npz: not a dataset file"):
        load_dataset(tmp_path / "weights.npz")


@pytest.mark.parametrize("changes, reason", [
    (dict(velocities=None), "missing arrays: velocities"),
    (dict(rolls=None), "missing arrays: rolls"),
    (dict(images=np.zeros((4, NUM_ROWS, 256), np.float32)), "images must be uint8"),
    (dict(images=np.zeros((4, 24, 256), np.uint8),
          velocities=np.zeros((4, 24, 256), np.uint8)), "24 rows high, expected 25"),
    (dict(velocities=np.zeros((4, NUM_ROWS, 128), np.uint8)), "velocities must be uint8 shaped"),
    (dict(song=np.array(["one"])), "song must be"),
    (dict(song=np.array([1, 2, 3, 4])), "song must be"),
    (dict(start=np.array([0.0, 1.0, 2.0, 3.0])), "start must be"),
    (dict(images=np.zeros((0, NUM_ROWS, 256), np.uint8),
          velocities=np.zeros((0, NUM_ROWS, 256), np.uint8),
          song=np.array([], dtype=str), start=np.array([], int)), "holds no images"),
    (dict(hop_bars=np.array([1, 2])), "hop_bars must be a single integer"),
    (dict(song_index=np.array([0, 0, 1, 2])), "song_index out of range"),
    (dict(song_index=np.array([0, 1, 1, 1])), "song differs from song_names"),
    (dict(first_bar=np.array([0, 8, 0, 16])), "first_bar out of range"),
    (dict(first_bar=np.array([0, 7, 0, 8])), "start differs from its first bar"),
    (dict(song_bpm=np.array([140.0])), "song_bpm must be"),
    (dict(song_step_offsets=np.array([0, 512, 1000])), "song_step_offsets must rise from 0"),
    (dict(bar_steps=np.full(32, 31)), "bars do not tile"),
    (dict(bar_denominator=np.zeros(32, int)), "positive meter"),
    (dict(rolls=np.zeros((NUM_ROWS, 1024), np.float32)), "rolls must be uint8"),
    (dict(offsets=np.zeros((4, NUM_ROWS, 256), np.int16)), "offsets must be int8 shaped"),
    (dict(offsets=np.ones((4, NUM_ROWS, 256), np.int8)), "offsets must be 0 where there is no hit"),
    (dict(roll_offsets=np.zeros((NUM_ROWS, 1000), np.int8)), "roll_offsets must be int8 shaped"),
    (dict(roll_notes=np.full((NUM_ROWS, 1024), 36, np.uint8)), "roll_notes must be 0 where"),
    (dict(roll_notes=None), "missing arrays: roll_notes"),
    (dict(song_ticks_per_beat=np.array([480, 0])), "song_ticks_per_beat must be"),
    (dict(bar_tick=np.full(32, 0.1)), "a whole number of eighths"),
    (dict(bar_tick=np.zeros(32)), "bar_tick must rise"),
    (dict(song_tempo_offsets=np.array([0, 2, 1])), "song_tempo_offsets must rise"),
    (dict(tempo_us=np.array([0, 500000])), "tempo_us must be"),
    (dict(drum_map=np.full(128, 200)), "drum_map must be"),
    (dict(drum_map_name=np.array(["gm", "roland"])), "drum_map_name must be one string"),
    (dict(row_names=np.array(["kick"])), "row_names must be"),
    (dict(extra_step=np.array([0]), extra_row=np.array([0]), extra_offset=np.zeros(1, np.int8),
          extra_velocity=np.array([101], np.uint8), extra_note=np.array([36], np.uint8)),
     "an extra hit must share a cell with a hit of the roll at least as loud"),
    (dict(extra_step=np.array([0]), extra_row=np.array([0]), extra_offset=np.zeros(1, np.int16),
          extra_velocity=np.array([50], np.uint8), extra_note=np.array([36], np.uint8)),
     "extra_offset must be"),
    (dict(lowest_note=np.int64(-50)), "lowest_note is -50; with 25 rows it must be a MIDI note "
                                      "from 0 to 103"),
    (dict(hop_bars=np.int64(0)), "hop_bars must be at least 1"),
])
def test_load_dataset_refuses_inconsistent_arrays_naming_the_file(tmp_path, good_arrays, changes,
                                                                  reason):
    path = save_arrays(tmp_path / "bad.npz", good_arrays, **changes)
    with pytest.raises(UserError, match=r"bad\.npz: .*" + reason):
        load_dataset(path)


def test_load_dataset_refuses_pickled_object_arrays(tmp_path, good_arrays):
    path = save_arrays(tmp_path / "pickled.npz", good_arrays,
                       song=np.array(["one", None, "two", "two"], dtype=object))
    with pytest.raises(UserError) as error:
        load_dataset(path)
    assert str(error.value) == (f"{path}: not a dataset file (it holds Python objects, not plain "
                                "arrays)")


def test_training_windows_carry_velocities_usual_levels_roles_and_forms():
    loud = np.zeros((NUM_ROWS, 10 * 32), dtype=np.uint8)
    loud[0, ::8] = 89                                   # a kick on every beat, at 89
    loud[0, ::32] = 102                                 # accented downbeats
    loud[9, 9 * 32 + 16:10 * 32:2] = 89                 # a tom fill in the last bar
    quiet = np.where(loud > 0, 76, 0).astype(np.uint8)
    dataset = dataset_from_rolls([("loud", DrumRoll(velocities=loud)),
                                  ("quiet", DrumRoll(velocities=quiet))])
    keep = dataset.song == "loud"
    windows = dataset.training_windows(keep)
    assert len(windows) == keep.sum() == 3
    assert windows.usual.tolist() == [89, 89, 89]
    np.testing.assert_array_equal(windows.velocities, dataset.velocities[keep])
    assert windows.roles.shape == (3, 8)
    assert windows.roles[2, 7] == FILL and windows.roles[0, 0] == ORDINARY
    assert windows.form["section_lengths"] == [10]
