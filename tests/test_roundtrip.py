"""The round trip: a dataset's songs written back give every hit within 1 ms, velocity exact."""
import pathlib

import mido
import pytest

from drumroll.cli import UserError
from drumroll.dataset import build_dataset
from drumroll.midi_in import find_midi_files
from drumroll.roundtrip import compare_hits, round_trip, write_songs
from tests.midifiles import drum_track, midi_file, performance

ROOT = pathlib.Path(__file__).resolve().parent.parent
MGLA = ROOT.parent / "shared" / "data" / "mgla-midi"
GMD = ROOT.parent / "shared" / "data" / "gmd"
GOAL = 0.995            # of the hits: within 1 ms of the original, and the velocity exact


def events(hits):
    """[(tick, note, velocity)] at 120 bpm and 480 ticks a beat -> [(seconds, note, velocity)]."""
    return [(tick * 0.5 / 480, note, velocity) for tick, note, velocity in hits]


def test_a_file_compared_with_itself_gives_back_every_hit():
    played = events([(0, 36, 90), (100, 38, 40), (100, 42, 70), (333, 38, 41)])
    trip = compare_hits(played, played)
    assert (trip.hits, trip.within, trip.velocity, trip.worst) == (4, 4, 4, 0.0)


def test_a_hit_further_than_a_millisecond_away_is_not_given_back():
    # at 120 bpm and 480 ticks a beat, a tick is 1.04 ms
    trip = compare_hits(events([(0, 36, 90), (480, 36, 90)]), events([(0, 36, 90), (481, 36, 90)]))
    assert (trip.hits, trip.within) == (2, 1)


def test_a_hit_in_time_with_another_velocity_counts_in_time_but_not_as_its_velocity():
    trip = compare_hits(events([(0, 36, 90), (480, 36, 90)]), events([(0, 36, 90), (480, 36, 91)]))
    assert (trip.within, trip.velocity) == (2, 1)


def test_a_lost_hit_leaves_the_others_matched_to_their_own_originals():
    # the quiet one of a flam is lost: the loud one must match the loud original, not the quiet
    trip = compare_hits(events([(0, 38, 30), (1, 38, 100), (480, 38, 90)]),
                        events([(1, 38, 100), (480, 38, 90)]))
    assert (trip.hits, trip.within, trip.velocity) == (3, 2, 2)


def test_a_hit_of_another_note_does_not_stand_for_a_lost_one():
    trip = compare_hits(events([(0, 22, 80)]), events([(0, 42, 80)]))
    assert trip.within == 0


def test_a_song_with_tempo_and_meter_changes_and_shared_cells_comes_back_exactly(tmp_path):
    for seed in (0, 1):
        midi, _ = performance(seed=seed, tpb=(480, 384)[seed])
        midi.save(tmp_path / f"take{seed}.mid")
    trip, report = round_trip(sorted(str(path) for path in tmp_path.glob("*.mid")),
                              str(tmp_path))
    assert report.merged > 0 and report.drum_map.name == "roland"
    assert (trip.within, trip.velocity) == (trip.hits, trip.hits)
    assert trip.worst < 1e-9            # the same ticks: seconds differ by float rounding only
    assert trip.hits == report.onsets


def test_notes_without_a_row_are_the_only_hits_not_given_back(tmp_path):
    drums = drum_track([(tick, 36, 90) for tick in range(0, 16 * 1920, 480)]
                       + [(100, 0, 50), (200, 100, 60)])
    midi_file(drums).save(tmp_path / "stray.mid")
    trip, report = round_trip([str(tmp_path / "stray.mid")], str(tmp_path))
    assert dict(report.unmapped) == {0: 1, 100: 1}
    assert (trip.hits, trip.within, trip.velocity) == (66, 64, 64)


def test_songs_are_written_into_a_new_or_empty_folder_one_file_each(tmp_path):
    midi, _ = performance()
    midi.save(tmp_path / "take.mid")
    dataset, _ = build_dataset([str(tmp_path / "take.mid")])
    written = write_songs(dataset, str(tmp_path / "out"))
    assert written == [str(tmp_path / "out" / "take.mid")]
    assert [path.name for path in (tmp_path / "out").iterdir()] == ["take.mid"]
    with pytest.raises(UserError, match=r"out: not empty \(1 file: take\.mid\); give a new or "
                                        r"empty --out, or --replace"):
        write_songs(dataset, str(tmp_path / "out"))


def test_replace_deletes_the_earlier_midi_files_and_keeps_the_rest(tmp_path):
    midi, _ = performance()
    midi.save(tmp_path / "take.mid")
    dataset, _ = build_dataset([str(tmp_path / "take.mid")])
    out = tmp_path / "out"
    out.mkdir()
    (out / "old-song.mid").write_bytes(b"MThd")
    (out / "notes.txt").write_text("mine")
    write_songs(dataset, str(out), replace=True)
    assert sorted(path.name for path in out.iterdir()) == ["notes.txt", "take.mid"]


def test_a_failure_half_way_leaves_the_folder_as_it_was(tmp_path, monkeypatch):
    midi, _ = performance()
    for name in ("a", "b"):
        midi.save(tmp_path / f"{name}.mid")
    dataset, _ = build_dataset([str(tmp_path / "a.mid"), str(tmp_path / "b.mid")])
    out = tmp_path / "out"
    out.mkdir()
    (out / "earlier.mid").write_bytes(b"MThd")
    saved = []

    def fail_on_the_second(self, filename=None, file=None):
        saved.append(file)
        if len(saved) == 2:
            raise OSError(28, "No space left on device")
        file.write(b"MThd")

    monkeypatch.setattr(mido.MidiFile, "save", fail_on_the_second)
    with pytest.raises(UserError, match="No space left on device"):
        write_songs(dataset, str(out), replace=True)
    assert [path.name for path in out.iterdir()] == ["earlier.mid"]


def assert_the_goal(trip, report):
    assert trip.within / trip.hits >= GOAL, (trip, report.merged)
    assert trip.velocity / trip.hits >= GOAL, (trip, report.merged)


@pytest.mark.skipif(not MGLA.is_dir(), reason="../shared/data/mgla-midi is not here")
def test_the_mgla_songs_come_back_within_a_millisecond_with_their_velocities(tmp_path):
    trip, report = round_trip(find_midi_files([MGLA]), str(tmp_path))
    assert len(report.read) == 14 and trip.hits == report.onsets == 72296
    assert_the_goal(trip, report)
    assert report.moved > 4000                  # the triplets, off the 32nd grid, come back too
    assert trip.hits - trip.within == sum(report.unmapped.values()) == 2   # the stray note 0


@pytest.mark.skipif(not GMD.is_dir(), reason="../shared/data/gmd is not here")
@pytest.mark.parametrize("drummer", ["drummer2", "drummer10"])
def test_gmd_drummers_come_back_within_a_millisecond_with_their_velocities(tmp_path, drummer):
    trip, report = round_trip(find_midi_files([GMD / drummer]), str(tmp_path))
    assert report.drum_map.name == "roland" and report.read
    assert_the_goal(trip, report)
