"""Songs: forms given or drawn, roles per bar, latents per section, primers continued."""
import io

import numpy as np
import pytest

from drumroll import songwriter
from drumroll.cli import Progress
from drumroll.controls import Controls
from drumroll.midi_in import DrumRoll
from drumroll.models import build_gan
from drumroll.models.song import SongConfig
from drumroll.phrases import CHANGE, FILL, ORDINARY, TOM_ROWS, jaccard
from drumroll.songwriter import (FormError, Matched, Primer, PrimerError, Section, continue_song,
                                 draw_form, fit_primer, form_text, one_section_roles, parse_form,
                                 primer_bars, role_habits, section_latents, section_noise,
                                 section_roles, write_song)
from drumroll.windows import Windows

STATS = {"section_lengths": [1, 4, 8, 8, 16], "returns": 0.5,
         "role_transitions": [[0.9, 0.1, 0.0], [0.2, 0.6, 0.2], [0.8, 0.2, 0.0]],
         "fill_before_change": 1.0}


@pytest.fixture(scope="module")
def gan(tiny_images):
    images = tiny_images(16)
    roles = np.random.default_rng(0).choice(3, (16, 8)).astype(np.int8)
    windows = Windows(images=images, velocities=np.where(images == 0, 89, 0).astype(np.uint8),
                      usual=np.full(16, 89), roles=roles, form=STATS)
    return build_gan(SongConfig(latent=6, bar_noise=3, width=4), windows)


def test_a_form_is_letters_and_bar_counts():
    assert parse_form("A8 a8 B4,C16") == [Section("A", 8), Section("A", 8), Section("B", 4),
                                          Section("C", 16)]
    assert form_text(parse_form("A8 B4")) == "A8 B4"


@pytest.mark.parametrize("text, reason", [("", "empty"), ("A8 B", "not a section"),
                                          ("8A", "not a section"), ("AB8", "not a section"),
                                          ("A0", "at least one bar"), ("A-2", "not a section"),
                                          ("A9999", "more than")])
def test_a_bad_form_is_refused_with_its_reason(text, reason):
    with pytest.raises(FormError, match=reason):
        parse_form(text)


def test_a_drawn_form_has_exactly_the_bars_asked_for_and_sections_that_return():
    rng = np.random.default_rng(0)
    forms = [draw_form(STATS, 64, rng) for _ in range(20)]
    assert all(sum(s.bars for s in form) == 64 for form in forms)
    letters = [[s.letter for s in form] for form in forms]
    assert any(len(set(names)) < len(names) for names in letters)     # some groove returns
    assert all(a != b for names in letters for a, b in zip(names, names[1:]))


def test_a_drawn_section_is_at_most_half_the_song():
    rng = np.random.default_rng(0)
    forms = [draw_form({**STATS, "section_lengths": [50, 50]}, 64, rng) for _ in range(10)]
    assert all(form[0].bars == 32 for form in forms)


def test_drawn_sections_start_where_his_start_on_the_phrase_grid():
    # he opens with one bar, then plays 8-bar sections from bar 1 of his phrase grid
    stats = {**STATS, "sections": [[0, 1, 0], [1, 8, 1], [1, 8, 1], [1, 16, 1], [1, 8, 2]]}
    form = draw_form({**stats, "returns": 0.0}, 41, np.random.default_rng(2))
    assert form[0].bars == 1 and all(s.bars in (8, 16) for s in form[1:])


def test_no_stub_is_left_at_the_end_of_a_drawn_form():
    stats = {**STATS, "sections": [[0, 8, 0], [0, 8, 1], [0, 8, 2]], "returns": 0.0}
    form = draw_form(stats, 19, np.random.default_rng(0))
    assert [s.bars for s in form] == [8, 11]


def test_statistics_without_lengths_above_zero_still_draw_a_form():
    form = draw_form({"section_lengths": [0, 0]}, 16, np.random.default_rng(0))
    assert sum(s.bars for s in form) == 16


def test_sections_open_with_a_change_and_end_with_a_fill_before_another_groove():
    sections = parse_form("A8 B4 B4 A8")
    roles = section_roles(sections, STATS, np.random.default_rng(1))
    assert len(roles) == 24
    assert roles[0] == CHANGE and roles[8] == CHANGE and roles[16] == CHANGE
    assert roles[12] != CHANGE                        # B goes on: no new groove
    assert roles[7] == FILL and roles[15] == FILL     # fill_before_change is 1 here
    assert roles[23] != FILL or STATS["role_transitions"][ORDINARY][FILL] > 0


def test_only_the_first_bar_of_a_section_is_a_change():
    roles = section_roles(parse_form("A32 B32"), {**STATS, "role_transitions": [
        [0.5, 0.25, 0.25], [0.25, 0.5, 0.25], [0.25, 0.25, 0.5]]}, np.random.default_rng(3))
    assert np.flatnonzero(roles == CHANGE).tolist() == [0, 32]
    assert (roles == FILL).sum() > 5 and (roles == ORDINARY).sum() > 5


def test_a_song_after_a_primer_does_not_open_with_a_change():
    roles = section_roles(parse_form("A8"), STATS, np.random.default_rng(1), before="A")
    assert roles[0] != CHANGE


def decoded_latents(monkeypatch, gan, sections, seed, takes=1, **options):
    """The latents write_song gives the model, one array per take of a section (its own
    batch); each section played in one take unless `takes` says more."""
    batches, decode = [], gan.decode

    def record(latents, rng, base=None, hits=None, statistics=None):
        batches.append(latents.copy())
        return decode(latents, rng, base, hits, statistics)

    monkeypatch.setattr(gan, "decode", record)
    song = write_song(gan, sections, np.random.default_rng(seed), takes=takes, **options)
    return batches, song


def test_a_returning_letter_plays_the_same_global_latent_with_new_bar_noise(gan, monkeypatch):
    batches, _ = decoded_latents(monkeypatch, gan, parse_form("A8 B8 A8"), 3)
    size = gan.config.latent
    assert [len(batch) for batch in batches] == [1, 1, 1]          # a batch per section
    assert np.array_equal(batches[0][0, :size], batches[2][0, :size])
    assert not np.array_equal(batches[0][0, :size], batches[1][0, :size])
    assert not np.array_equal(batches[0][0, size:size + 24], batches[2][0, size:size + 24])


def test_bar_noise_repeats_every_four_bars_inside_a_section(gan):
    phrase = np.random.default_rng(4).standard_normal((4, 3)).astype(np.float32)
    latents, used = section_latents(gan, Section("A", 12), np.zeros(12, np.int8),
                                    np.zeros(gan.config.latent, np.float32),
                                    section_noise(phrase, 16))
    assert used == [8, 4]
    noise = latents[:, gan.config.latent:gan.config.latent + 3 * 8].reshape(2, 3, 8)
    assert np.array_equal(noise[0, :, :4], noise[0, :, 4:]) and np.array_equal(noise[0], noise[1])


def test_a_blend_mixes_fresh_noise_into_the_bars_after_the_first_phrase_only():
    phrase = np.random.default_rng(4).standard_normal((4, 3)).astype(np.float32)
    again = section_noise(phrase, 16)
    blended = section_noise(phrase, 16, np.random.default_rng(5), blend=0.6)
    np.testing.assert_array_equal(blended[:4], phrase)
    np.testing.assert_array_equal(again[4:], np.tile(phrase, (3, 1)))
    assert not np.isclose(blended[4:], again[4:]).any()
    assert np.corrcoef(blended[4:].ravel(), again[4:].ravel())[0, 1] > 0.5


@pytest.fixture
def written(monkeypatch):
    """The matching songs stood in for by the Matched they are written with (what the stand-in
    measures read), and every Matched written, in order."""
    calls = []
    monkeypatch.setattr(songwriter, "matching_songs",
                        lambda gan, stats, matched: calls.append(matched) or matched)
    return calls


def test_the_blend_is_the_one_whose_songs_repeat_bars_nearest_his_share(gan, monkeypatch,
                                                                        written):
    shares = {0.0: 0.40}
    monkeypatch.setattr(songwriter, "bars_repeating", lambda matched: shares.setdefault(
        matched.blend, 0.40 * (1 - matched.blend)))
    form = {k: v for k, v in gan.config.form.items() if k != "role_transitions"}
    assert songwriter.match_drummer(gan, dict(form, bar_repeats=0.10)) == Matched(0.0, 0.75)
    assert songwriter.match_drummer(gan, dict(form, bar_repeats=0.45)) == Matched(0.0, 0.0)
    assert songwriter.match_drummer(gan, {k: v for k, v in form.items()
                                          if k != "bar_repeats"}) == Matched(0.0, 0.0)


def test_the_changes_kept_are_those_whose_songs_change_nearest_his_share(gan, monkeypatch,
                                                                        written):
    his = [[0.5, 0.2, 0.3], [0.5, 0.2, 0.3], [0.5, 0.2, 0.3]]      # changes 30% of his bars
    monkeypatch.setattr(songwriter, "bars_changing", lambda matched: 0.1 + 0.4 * matched.changes)
    monkeypatch.setattr(songwriter, "bars_repeating", lambda matched: 0.0)
    form = {"role_transitions": his, "bar_repeats": 0.0}
    assert songwriter.match_drummer(gan, form).changes == 0.5
    monkeypatch.setattr(songwriter, "bars_changing", lambda matched: 0.35)
    assert songwriter.match_drummer(gan, form).changes == 0.0     # the model changes enough


def test_the_blend_is_found_with_the_changes_found(gan, monkeypatch, written):
    seen = []
    monkeypatch.setattr(songwriter, "bars_changing", lambda matched: 0.1 + 0.4 * matched.changes)
    monkeypatch.setattr(songwriter, "bars_repeating",
                        lambda matched: seen.append(matched) or 0.0)
    songwriter.match_drummer(gan, {"role_transitions": [[0.5, 0.2, 0.3]] * 3,
                                   "bar_repeats": 0.1})
    assert seen and all(matched.changes == 0.5 for matched in seen)


def test_matching_writes_the_songs_of_each_setting_once(gan, monkeypatch, written):
    monkeypatch.setattr(songwriter, "bars_changing", lambda matched: 0.1 + 0.4 * matched.changes)
    monkeypatch.setattr(songwriter, "bars_repeating", lambda matched: 0.4 * (1 - matched.blend))
    songwriter.match_drummer(gan, {"role_transitions": [[0.5, 0.2, 0.3]] * 3,
                                   "bar_repeats": 0.1})
    assert Matched(0.5, 0.0) in written and len(written) == len(set(written))


def test_matching_reports_its_progress_and_ends_at_its_total(gan, monkeypatch, written):
    monkeypatch.setattr(songwriter, "bars_changing", lambda matched: 0.35)   # no search
    monkeypatch.setattr(songwriter, "bars_repeating", lambda matched: 0.0)
    lines = io.StringIO()
    progress = Progress(songwriter.MATCH_SETTINGS, label="matching ", stream=lines)
    songwriter.match_drummer(gan, {"role_transitions": [[0.5, 0.2, 0.3]] * 3,
                                   "bar_repeats": 0.1}, progress=progress)
    total = songwriter.MATCH_SETTINGS
    reported = lines.getvalue().splitlines()
    assert reported[0] == f"matching 1/{total}"
    assert reported[-1].startswith(f"matching {total}/{total}")


def test_songs_keeping_his_changes_play_the_change_role_inside_sections(gan, monkeypatch):
    played = []
    monkeypatch.setattr(songwriter, "one_section_roles", lambda *args, **kwargs: played.append(
        one_section_roles(*args, **kwargs)) or played[-1])
    stats = dict(gan.config.form, role_transitions=[[0.5, 0.2, 0.3]] * 3)
    for changes in (0.0, 1.0):
        played.clear()
        songwriter.matching_songs(gan, stats, Matched(changes))
        inside = np.concatenate([roles[1:] for roles in played])
        assert (np.mean(inside == CHANGE) > 0.2) == bool(changes)


def test_the_changing_share_of_a_chain_is_its_long_run_share_of_changes():
    assert songwriter.changing_inside([[0.5, 0.2, 0.3]] * 3) == pytest.approx(0.3)
    assert songwriter.changing_inside([[0.9, 0.0, 0.1], [0.0, 1.0, 0.0], [0.9, 0.0, 0.1]]) \
        == pytest.approx(0.1)


def test_the_model_repeats_bars_less_the_more_fresh_noise_its_sections_mix_in(gan):
    stats = gan.config.form
    assert songwriter.bars_repeating(songwriter.matching_songs(gan, stats, Matched(blend=0.0))) \
        > songwriter.bars_repeating(songwriter.matching_songs(gan, stats, Matched(blend=1.0)))


def groove(step, bars):
    """(bars, 25, 32) bool: one groove, a hit on row 0 at `step` and on row 1 at 0 of every bar."""
    played = np.zeros((bars, 25, 32), dtype=bool)
    played[:, 0, step] = played[:, 1, 0] = True
    return played


def test_a_section_holding_its_groove_has_no_section_heard_inside_it():
    assert songwriter.heard_inside(groove(8, 4), groove(16, 8)) == 0


def test_a_new_groove_lasting_inside_a_section_is_heard_as_a_section_start():
    drifting = np.concatenate([groove(16, 3), groove(24, 5)])
    assert songwriter.heard_inside(groove(8, 4), drifting) == 1


def test_a_section_heard_a_bar_late_has_a_section_start_inside_it():
    late = np.concatenate([groove(16, 1), groove(24, 7)])
    assert songwriter.heard_inside(groove(8, 4), late) == 1


def test_a_section_returning_to_the_groove_before_it_is_no_new_section_inside_it():
    returning = np.concatenate([groove(16, 1), groove(8, 7)])    # one bar, then the old groove
    assert songwriter.heard_inside(groove(8, 4), returning) == 0
    assert songwriter.heard_inside(groove(16, 4), returning) == 1


def takes_of(*sections):
    """A take function over whole sections of bars, and the takes it was asked to play."""
    asked = []

    def take(seed):
        asked.append(int(seed))
        bars = sections[int(seed)]
        rolls = np.where(bars, -1.0, 1.0).transpose(1, 0, 2).reshape(1, 25, -1)
        return np.zeros(len(bars), np.int8), [len(bars)], (rolls, None, None)
    return take, asked


def test_a_section_plays_the_first_take_heard_to_hold_its_groove():
    drifting = np.concatenate([groove(16, 3), groove(24, 5)])
    take, asked = takes_of(drifting, groove(16, 8), groove(24, 8), drifting)
    number, _ = songwriter.section_take(take, np.arange(4), groove(8, 4))
    assert number == 1 and asked == [0, 1]


def test_without_a_take_that_holds_the_one_with_the_fewest_sections_inside_is_played():
    twice = np.concatenate([groove(16, 2), groove(24, 4), groove(0, 4)])
    once = np.concatenate([groove(16, 3), groove(24, 5)])
    take, asked = takes_of(twice, once, twice)
    number, (_, used, _) = songwriter.section_take(take, np.arange(3), groove(8, 4))
    assert number == 1 and used == [8] and asked == [0, 1, 2]


def test_a_take_asked_for_is_played_as_it_is(gan):
    drifting = np.concatenate([groove(16, 3), groove(24, 5)])
    take, asked = takes_of(drifting, groove(16, 8))
    assert songwriter.section_take(take, np.arange(2), groove(8, 4), number=0)[0] == 0
    assert asked == [0]


def test_an_untrained_model_needs_more_than_one_take_for_its_sections_to_hold(gan):
    form = parse_form("A8 B8 A8 B8 A8 B8")
    _, chosen = songwriter.sections_played(
        gan, form, np.random.default_rng(5), None, None, None, None, None, Controls(), None,
        None, None, Matched(), songwriter.TAKES)
    assert len(chosen) == len(form) and max(chosen) > 0


def test_redoing_a_section_changes_its_bars_and_no_other(gan):
    form = parse_form("A8 B8 A8")                      # the sections after it keep their takes
    song = write_song(gan, form, np.random.default_rng(5))
    again = write_song(gan, form, np.random.default_rng(5), redo=(1, 9))
    assert np.array_equal(song.hits[:, :256], again.hits[:, :256])
    assert np.array_equal(song.velocities[:, 512:], again.velocities[:, 512:])
    assert np.array_equal(song.offsets[:, 512:], again.offsets[:, 512:])
    assert not np.array_equal(song.hits[:, 256:512], again.hits[:, 256:512])


def test_a_form_marks_sections_more_or_less_intense():
    assert parse_form("A8 B8+ C16++ A8-") == [Section("A", 8, 0), Section("B", 8, 1),
                                             Section("C", 16, 2), Section("A", 8, -1)]
    assert form_text(parse_form("a8 c16++ a8--")) == "A8 C16++ A8--"


@pytest.mark.parametrize("text, reason", [("A8+++", "at most 2"), ("A8+-", "not a section"),
                                          ("A8*", "not a section")])
def test_a_bad_mark_is_refused_with_its_reason(text, reason):
    with pytest.raises(FormError, match=reason):
        parse_form(text)


def test_a_section_marked_up_plays_louder(gan, monkeypatch):
    _, plain = decoded_latents(monkeypatch, gan, parse_form("A8"), 6)
    _, loud = decoded_latents(monkeypatch, gan, parse_form("A8++"), 6)
    assert loud.velocities[loud.hits].mean() > plain.velocities[plain.hits].mean()


def test_a_denser_section_walks_its_groove_once_for_all_its_windows(gan, monkeypatch):
    plain, _ = decoded_latents(monkeypatch, gan, parse_form("A16"), 6)
    busier, _ = decoded_latents(monkeypatch, gan, parse_form("A16"), 6,
                                controls=Controls(density=1))
    size = gan.config.latent
    assert len(busier[0]) == 2                                 # two windows, one groove
    np.testing.assert_array_equal(busier[0][0, :size], busier[0][1, :size])
    assert not np.array_equal(busier[0][0, :size], plain[0][0, :size])
    np.testing.assert_array_equal(busier[0][:, size:], plain[0][:, size:])


def test_without_fills_no_bar_is_a_fill():
    roles = section_roles(parse_form("A32 B32"), STATS, np.random.default_rng(3), fills=0)
    assert not (roles == FILL).any() and roles[32] == CHANGE


def test_a_song_is_exactly_as_long_as_its_form(gan):
    song = write_song(gan, parse_form("A5 B12 A3"), np.random.default_rng(5))
    assert song.hits.shape == song.velocities.shape == song.offsets.shape == (25, 20 * 32)
    assert len(song.roles) == 20 and np.all((song.velocities > 0) == song.hits)
    assert not song.offsets[~song.hits].any()


def test_the_same_seed_writes_the_same_song(gan):
    a = write_song(gan, parse_form("A8 B8"), np.random.default_rng(6))
    b = write_song(gan, parse_form("A8 B8"), np.random.default_rng(6))
    c = write_song(gan, parse_form("A8 B8"), np.random.default_rng(7))
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
    assert not np.array_equal(a[0], c[0])


def primer_roll(bars, seed=0, steps=None):
    rng = np.random.default_rng(seed)
    velocities = np.where(rng.random((25, bars * 32)) < 0.1, 89, 0).astype(np.uint8)
    return DrumRoll(velocities=velocities[:, :steps])


def test_a_primer_is_cut_into_bars_and_a_short_last_bar_filled_with_silence():
    primer = primer_bars(primer_roll(3, steps=80), "p.mid")
    assert primer.bars.shape == primer.offsets.shape == (3, 25, 32)
    assert not primer.bars[2, :, 16:].any()


def test_a_primer_with_a_bar_in_another_meter_is_refused():
    roll = primer_roll(3)
    roll.bars.numerator[1], roll.bars.denominator[1] = 2, 4
    with pytest.raises(PrimerError, match="p.mid: bar 2 is in 2/4; a primer must be in 4/4"):
        primer_bars(roll, "p.mid")


def test_a_primer_of_one_bar_is_too_short():
    with pytest.raises(PrimerError, match="p.mid: 1 bar.*at least 2"):
        primer_bars(primer_roll(1), "p.mid")


def test_the_primer_search_finds_a_latent_that_replays_it_better_than_chance(gan):
    bars = gan.sample(1, rng=np.random.default_rng(8))[0] < 0          # (25, 256)
    primer = bars.reshape(25, 8, 32).transpose(1, 0, 2)
    fit = fit_primer(gan, primer, np.random.default_rng(9), steps=30)
    unsearched = fit_primer(gan, primer, np.random.default_rng(9), steps=0)
    assert fit.alike > unsearched.alike
    assert fit.groove.shape == (gan.config.latent,)
    assert fit.phrase.shape == (8, gan.config.bar_noise)           # one noise per primer bar


def test_a_song_after_a_primer_plays_its_window_as_alike_as_the_search_said(gan):
    bars = gan.sample(1, rng=np.random.default_rng(8))[0] < 0          # (25, 256)
    hits = bars.reshape(25, 8, 32).transpose(1, 0, 2)
    primer = Primer(hits, np.where(hits, 89, 0).astype(np.uint8), np.zeros(hits.shape, np.int8))
    song, fit = continue_song(gan, primer, [Section("A", 8)], np.random.default_rng(4))
    new = song.hits[:, 8 * 32:].reshape(25, 8, 32).transpose(1, 0, 2)
    played = jaccard(new.reshape(1, -1), hits.reshape(1, -1))[0]
    assert played == pytest.approx(fit.alike)


def test_a_short_primer_gives_a_phrase_as_long_as_it_is(gan):
    fit = fit_primer(gan, primer_bars(primer_roll(3), "p.mid")[0], np.random.default_rng(0),
                     steps=2)
    assert fit.phrase.shape == (3, gan.config.bar_noise)


def test_a_fitted_phrase_is_played_bar_after_bar_and_again(gan):
    phrase = np.arange(3 * gan.config.bar_noise, dtype=np.float32).reshape(3, -1)
    latents, _ = section_latents(gan, Section("A", 8), np.zeros(8, np.int8),
                                 np.zeros(gan.config.latent, np.float32), section_noise(phrase, 8))
    size, noise = gan.config.latent, gan.config.bar_noise
    played = latents[0, size:size + noise * 8].reshape(noise, 8).T         # (8 bars, B)
    assert np.array_equal(played, phrase[[0, 1, 2, 0, 1, 2, 0, 1]])


def recorded_song(monkeypatch, gan, primer):
    """continue_song's call of write_song, recorded: its keyword arguments."""
    calls = []

    def record(*args, **kwargs):
        calls.append(kwargs)
        return songwriter.Song(np.zeros((25, 8 * 32), bool), np.zeros((25, 8 * 32), np.uint8),
                               np.zeros((25, 8 * 32), np.int8), np.zeros(8, np.int8))

    monkeypatch.setattr(songwriter, "write_song", record)
    continue_song(gan, primer, parse_form("A8"), np.random.default_rng(1))
    return calls[0]


def test_a_continued_song_plays_the_primers_groove_and_phrase(gan, monkeypatch):
    primer = primer_bars(primer_roll(4, seed=3), "p.mid")
    primer.bars[:, TOM_ROWS] = False                                   # no toms: no fill
    call = recorded_song(monkeypatch, gan, primer)
    assert call["before"] == "A" and set(call["grooves"]) == set(call["phrases"]) == {"A"}
    assert call["phrases"]["A"].shape == (4, gan.config.bar_noise)


def test_a_primer_ending_on_a_fill_is_followed_by_a_new_groove(gan, monkeypatch):
    primer = primer_bars(primer_roll(4, seed=3), "p.mid")
    primer.bars[-1, 9, ::4] = True                                     # a tom run: a fill
    call = recorded_song(monkeypatch, gan, primer)
    assert not call.get("grooves") and call.get("before") is None


def test_a_section_playing_a_primers_phrase_is_played_in_one_take(gan, monkeypatch):
    offered, section_take = [], songwriter.section_take
    monkeypatch.setattr(songwriter, "section_take", lambda take, seeds, *args: offered.append(
        len(seeds)) or section_take(take, seeds, *args))
    rng = np.random.default_rng(4)
    write_song(gan, parse_form("A16 B8"), rng, before="A",
               grooves={"A": rng.standard_normal(gan.config.latent).astype(np.float32)},
               phrases={"A": rng.standard_normal((4, 3)).astype(np.float32)},
               phrase_roles={"A": np.zeros(4, np.int8)})
    assert offered == [1, songwriter.TAKES]


def test_a_continued_song_starts_with_the_primer_bars_as_played(gan):
    roll = primer_roll(4, seed=3)
    roll.offsets[roll.velocities > 0] = -30                            # played a little early
    song, _ = continue_song(gan, primer_bars(roll, "p.mid"), parse_form("A8"),
                            np.random.default_rng(1))
    assert song.hits.shape == song.offsets.shape == (25, 12 * 32) and len(song.roles) == 12
    assert np.array_equal(song.velocities[:, :128], roll.velocities)
    assert np.array_equal(song.offsets[:, :128], roll.offsets)


def test_his_phrases_return_as_often_as_the_statistics_say():
    habits = role_habits({**STATS, "role_transitions": [[0.5, 0.5, 0], [0.5, 0.5, 0],
                                                        [0.5, 0.5, 0]]})
    rng = np.random.default_rng(0)
    always = one_section_roles(Section("A", 24), None, None, habits, rng, repeats=1.0)
    assert np.array_equal(always[8:16], always[:8]) or always[0] == CHANGE
    assert np.array_equal(always[16:], always[8:16])
    never = one_section_roles(Section("A", 64), None, None, habits, rng, repeats=0.0)
    assert not np.array_equal(never[8:16], never[:8])


def test_a_given_phrase_of_roles_is_played_bar_after_bar():
    phrase = np.array([ORDINARY, ORDINARY, FILL, CHANGE], np.int8)
    roles = one_section_roles(Section("A", 8), "A", None, role_habits(STATS),
                              np.random.default_rng(0), phrase=phrase)
    assert roles.tolist() == [ORDINARY, ORDINARY, FILL, ORDINARY] * 2   # no change inside


def test_inside_a_section_he_plays_on_where_he_changed_and_fills_as_often():
    transitions, _ = role_habits({**STATS, "role_transitions": [[0.5, 0.2, 0.3],
                                                                [0.5, 0.2, 0.3],
                                                                [0.5, 0.2, 0.3]]})
    assert transitions[ORDINARY].tolist() == pytest.approx([0.8, 0.2, 0.0])


def test_a_share_of_his_changes_inside_a_section_can_be_kept():
    his = {**STATS, "role_transitions": [[0.5, 0.2, 0.3]] * 3}
    transitions, _ = role_habits(his, changes=0.5)
    assert transitions[ORDINARY].tolist() == pytest.approx([0.65, 0.2, 0.15])
    assert role_habits(his, changes=1.0)[0][FILL].tolist() == pytest.approx([0.5, 0.2, 0.3])
