"""The default corpus composer: deterministic, valid MIDI, genre-typical grooves, song structure."""
import filecmp
import pathlib

import mido
import numpy as np
import pytest

from drumroll import compose
from drumroll.cli import run
from drumroll.format import LOWEST_NOTE, STEPS_PER_BAR
from drumroll.midi_in import read_drum_roll

ROOT = pathlib.Path(__file__).resolve().parent.parent
REAL_DRUMMER_NOTES = {36, 38, 41, 42, 43, 44, 45, 46, 47, 48, 49, 51, 52, 53, 55, 57, 59}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    folder = tmp_path_factory.mktemp("corpus")
    return compose.compose_corpus(folder, seed=0, count=12)


def row(note):
    return note - LOWEST_NOTE


def steps_of(bar, note):
    return np.flatnonzero(bar[row(note)]).tolist()


def test_the_same_seed_gives_the_same_bytes(corpus, tmp_path):
    again = compose.compose_corpus(tmp_path, seed=0, count=12)
    assert [pathlib.Path(p).name for p in again] == [pathlib.Path(p).name for p in corpus]
    for first, second in zip(corpus, again):
        assert pathlib.Path(first).read_bytes() == pathlib.Path(second).read_bytes()


def test_another_seed_gives_other_songs(corpus, tmp_path):
    other = compose.compose_corpus(tmp_path, seed=1, count=3)
    assert [pathlib.Path(p).read_bytes() for p in other] != \
        [pathlib.Path(p).read_bytes() for p in corpus[:3]]


def test_a_corpus_stopped_half_way_leaves_the_folder_as_it_was(tmp_path, monkeypatch):
    (tmp_path / "mine.mid").write_bytes(b"mine")
    real_write = compose.write_midi

    def write_two_then_ctrl_c(midi, path):
        if len(write_two_then_ctrl_c.written) == 2:
            raise KeyboardInterrupt
        write_two_then_ctrl_c.written.append(path)
        real_write(midi, path)

    write_two_then_ctrl_c.written = []
    monkeypatch.setattr(compose, "write_midi", write_two_then_ctrl_c)
    with pytest.raises(KeyboardInterrupt):
        compose.compose_corpus(tmp_path, seed=0, count=12)
    assert [path.name for path in tmp_path.iterdir()] == ["mine.mid"]


def test_the_committed_corpus_is_what_the_composer_writes(corpus):
    committed = sorted((ROOT / "data" / "midi").glob("*.mid"))
    assert [p.name for p in committed] == [pathlib.Path(p).name for p in corpus]
    assert all(filecmp.cmp(a, b, shallow=False) for a, b in zip(committed, corpus))


def test_the_committed_corpus_is_small():
    total = sum(p.stat().st_size for p in (ROOT / "data" / "midi").glob("*.mid"))
    assert 0 < total < 1_000_000


def test_every_song_is_type_1_480_tpb_drums_on_channel_10_with_note_offs(corpus):
    for path in corpus:
        midi = mido.MidiFile(path)
        assert midi.type == 1 and midi.ticks_per_beat == 480
        notes = [m for track in midi.tracks for m in track if m.type in ("note_on", "note_off")]
        assert {m.channel for m in notes} == {9}
        ons = sum(1 for m in notes if m.type == "note_on" and m.velocity > 0)
        offs = sum(1 for m in notes if m.type == "note_off")
        assert ons == offs > 0


def test_every_song_parses_into_a_drum_roll_of_whole_bars(corpus):
    for path in corpus:
        roll = read_drum_roll(path)
        assert roll.bars.whole.all()
        assert roll.moved == 0 and roll.num_dropped == 0


def odd_bars(path):
    """[(bar index, (numerator, denominator))] of a song's bars that are not 4/4."""
    bars = read_drum_roll(path).bars
    return [(index, meter) for index, meter in enumerate(bars.meters()) if meter != (4, 4)]


def test_three_songs_change_meter_for_a_moment(corpus):
    changed = [odd_bars(path) for path in corpus if odd_bars(path)]
    assert [[meter for _, meter in bars] for bars in changed] == [
        [(1, 4)], [(2, 4)], [(7, 8), (7, 8)]]
    (pickup, _), = changed[0]
    (first_7_8, _), (second_7_8, _) = changed[2]
    assert pickup == 0 and second_7_8 == first_7_8 + 1


def test_after_a_change_of_meter_a_section_opens_in_4_4_with_a_crash_or_china(corpus):
    cymbals = [compose.CRASH, compose.CHINA, compose.CRASH_2, compose.SPLASH]
    for path in corpus:
        if not odd_bars(path):
            continue
        roll = read_drum_roll(path)
        after = odd_bars(path)[-1][0] + 1
        assert roll.bars.meters()[after] == (4, 4)
        downbeat = roll.velocities[:, roll.bars.start[after]]
        assert any(downbeat[row(cymbal)] == compose.ACCENT for cymbal in cymbals)


def test_a_pickup_is_a_1_4_bar_of_16ths_before_the_first_bar():
    bar = compose.pickup_bar(np.random.default_rng(0))
    assert bar.shape[1] == 8
    played = np.flatnonzero(bar.any(axis=0)).tolist()
    assert played == [0, 2, 4, 6]


def test_a_change_of_meter_lists_the_step_it_starts_and_ends_on():
    rng = np.random.default_rng(2)
    sections, _ = compose.compose_sections(rng, seconds=60, bpm=160)
    plain = compose.sections_to_roll(sections)
    velocities, changes = compose.change_meter(rng, sections, "7/8 passage")
    (step, numerator, denominator), back = changes
    assert (numerator, denominator) == (7, 8) and back == (step + 56, 4, 4)
    assert step % STEPS_PER_BAR == 0 and step > 0
    assert np.array_equal(velocities[:, :step], plain[:, :step])
    assert np.array_equal(velocities[:, step + 56:], plain[:, step:])


def test_song_to_midi_writes_meter_and_tempo_changes_in_time_order():
    velocities = np.zeros((25, 8 + 64), dtype=np.uint8)
    velocities[0, ::8] = 89
    midi = compose.song_to_midi(velocities, 160, "t", tempo_changes=[(40, 150)],
                                meter_changes=[(0, 1, 4), (8, 4, 4)])
    tick, events = 0, []
    for message in midi.tracks[0]:
        tick += message.time
        if message.type == "time_signature":
            events.append((tick, f"{message.numerator}/{message.denominator}"))
        elif message.type == "set_tempo":
            events.append((tick, round(mido.tempo2bpm(message.tempo))))
    assert events == [(0, 160), (0, "1/4"), (8 * 60, "4/4"), (40 * 60, 150)]


def test_tempos_are_140_to_220_bpm_and_songs_last_1_to_3_minutes(corpus):
    for path in corpus:
        midi = mido.MidiFile(path)
        tempos = [mido.tempo2bpm(m.tempo) for m in midi.tracks[0] if m.type == "set_tempo"]
        assert all(139.9 < bpm < 220.1 for bpm in tempos)
        assert 60 <= midi.length <= 180


def test_some_songs_change_tempo(corpus):
    changes = [sum(m.type == "set_tempo" for m in mido.MidiFile(p).tracks[0]) for p in corpus]
    assert max(changes) == 2 and min(changes) == 1


def test_songs_use_the_notes_the_real_drummer_uses(corpus):
    used = set()
    for path in corpus:
        roll = read_drum_roll(path)
        used |= {LOWEST_NOTE + r for r in np.flatnonzero(roll.notes_per_row)}
    assert used <= REAL_DRUMMER_NOTES
    assert {36, 38, 49, 51, 52} <= used


def test_accents_and_soft_strokes_vary_the_velocity(corpus):
    velocities = set()
    for path in corpus:
        velocities |= set(np.unique(read_drum_roll(path).velocities).tolist())
    assert {compose.SOFT, compose.NORMAL, compose.ACCENT} <= velocities


def test_songs_repeat_their_bars_so_there_is_structure_to_learn(corpus):
    for path in corpus:
        roll = read_drum_roll(path)
        bars = [roll.hits[:, start:start + steps].tobytes()
                for start, steps in zip(roll.bars.start.tolist(), roll.bars.steps.tolist())]
        repeated = sum(bars.count(bar) > 1 for bar in bars)
        assert repeated >= len(bars) // 2


def test_sections_open_with_a_crash_or_china_on_the_downbeat():
    rng = np.random.default_rng(3)
    bars = compose.section_bars(rng, "traditional blast", compose.RIDE, 8, fill="none")
    first = bars[0][:, 0]
    assert first[row(compose.KICK)] == compose.ACCENT
    cymbals = [compose.CRASH, compose.CHINA, compose.CRASH_2, compose.SPLASH]
    assert any(first[row(c)] == compose.ACCENT for c in cymbals)


def test_traditional_blast_alternates_kick_and_snare_on_16ths():
    bar = compose.traditional_blast(compose.RIDE)
    assert steps_of(bar, compose.KICK) == list(range(0, 32, 4))
    assert steps_of(bar, compose.SNARE) == list(range(2, 32, 4))
    assert steps_of(bar, compose.RIDE) == steps_of(bar, compose.KICK)


def test_hammer_blast_hits_kick_snare_and_cymbal_together():
    bar = compose.hammer_blast(compose.CRASH)
    expected = list(range(0, 32, 4))
    for note in (compose.KICK, compose.SNARE, compose.CRASH):
        assert steps_of(bar, note) == expected


def test_gravity_blast_rolls_the_snare_on_every_32nd():
    bar = compose.gravity_blast(compose.RIDE)
    assert steps_of(bar, compose.SNARE) == list(range(32))
    assert set(bar[row(compose.SNARE)].tolist()) == {compose.NORMAL, compose.SOFT}


def test_double_bass_runs_under_a_snare_backbeat():
    bar = compose.double_bass(compose.RIDE)
    assert steps_of(bar, compose.KICK) == list(range(0, 32, 2))
    assert steps_of(bar, compose.SNARE) == [8, 24]


def test_skank_beat_puts_the_snare_on_the_off_beat():
    bar = compose.skank_beat(compose.OPEN_HAT)
    assert steps_of(bar, compose.KICK) == [0, 8, 16, 24]
    assert steps_of(bar, compose.SNARE) == [4, 12, 20, 28]


def test_a_tom_fill_runs_down_the_toms_from_high_to_low():
    bar = compose.double_bass(compose.RIDE)
    compose.tom_fill(bar, np.random.default_rng(0), start_beat=2)
    played = []
    for step in range(16, 32):
        played += [note for note in compose.TOMS if bar[row(note), step]]
    assert played and played == sorted(played, reverse=True)
    assert not bar[row(compose.SNARE), 16:].any()


def test_the_command_line_writes_the_requested_songs(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        run(compose.main, ["--out", str(tmp_path), "--seed", "4", "--count", "2"])
    assert exit_info.value.code == 0
    assert len(list(tmp_path.glob("*.mid"))) == 2
    assert "wrote 2 songs" in capsys.readouterr().out
