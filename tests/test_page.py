"""index.html of a generation: its links and text, and the page as a real browser renders it
(every picture at full size, a song's sections drawn on it).

The browser test runs Debian's `chromium` headless (.ci/run installs it, so CI always runs
it). Without a browser it fails and says how to get one; DRUMGAN_NO_BROWSER=1 lets a machine
without one skip it.
"""
import html.parser
import os
import shutil
import subprocess

import imageio.v3 as iio
import numpy as np
import pytest

import img2midi
import song
from drumroll.cli import run
from drumroll.dataset import load_dataset
from drumroll.picture import HIT_COLOUR, ROW_HEIGHT, SECTION_COLOUR
from drumroll.training import train

BROWSER = "chromium"
OPT_OUT = "DRUMGAN_NO_BROWSER"


class Tags(html.parser.HTMLParser):
    """Every start tag of a page as (tag, {attribute: value})."""

    def __init__(self, text):
        super().__init__()
        self.tags, self.text = [], []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)

    def sources(self, tag, attribute="src"):
        return [attrs[attribute] for name, attrs in self.tags if name == tag]


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory, tiny_config, tiny_images, quiet):
    folder = tmp_path_factory.mktemp("page") / "run"
    train(tiny_config(iterations=2), tiny_images(), folder, log=quiet)
    return folder


@pytest.fixture(scope="module")
def generation(run_dir, tmp_path_factory):
    """A generation of 3 tracks with WAVs, at seed 5 and 150 bpm."""
    out = tmp_path_factory.mktemp("generated") / "my tracks"
    assert img2midi.main(["--checkpoint", str(run_dir), "--out", str(out), "--num", "3",
                          "--seed", "5", "--bpm", "150"]) == 0
    return out


def test_the_page_has_every_tracks_picture_player_and_midi_by_relative_address(generation):
    page = Tags((generation / "index.html").read_text(encoding="utf-8"))
    names = [f"track-0{i}" for i in (1, 2, 3)]
    assert page.sources("img") == [f"{name}.svg" for name in names]
    assert page.sources("audio") == [f"{name}.wav" for name in names]
    links = page.sources("a", "href")
    assert [f"{name}.mid" for name in names] == [link for link in links if link.endswith(".mid")]
    for address in page.sources("img") + page.sources("audio") + links:
        assert (generation / address).is_file()          # beside the page: opens from disk


def test_the_page_says_which_run_checkpoint_seed_and_tempo_the_tracks_come_from(generation,
                                                                              run_dir):
    text = "".join(Tags((generation / "index.html").read_text(encoding="utf-8")).text)
    for said in (f"run {run_dir}", "checkpoint step_0000002.npz at iteration 2 of 2",
                 "seed 5", "150 bpm", "8 bars per track", "3 tracks from"):
        assert said in text


def test_without_wavs_the_page_has_no_players_and_says_so(run_dir, tmp_path):
    img2midi.main(["--checkpoint", str(run_dir), "--out", str(tmp_path), "--num", "2",
                   "--no-wav"])
    page = Tags((tmp_path / "index.html").read_text(encoding="utf-8"))
    assert page.sources("audio") == [] and len(page.sources("img")) == 2
    assert "no WAVs (--no-wav)" in " ".join(page.text)


# ------------------------------------------------------------------------ in a real browser

def browser():
    path = shutil.which(BROWSER)
    if path is None:
        if os.environ.get(OPT_OUT):
            pytest.skip(f"no {BROWSER}, and {OPT_OUT} is set")
        pytest.fail(f"no '{BROWSER}' on PATH: this test renders index.html in a real headless "
                    f"browser; install it (apt-get install -y chromium, as .ci/run does) or "
                    f"set {OPT_OUT}=1 to skip it on this machine")
    return path


def run_browser(page, profile, *action):
    """Open a page in headless chromium and do one action (screenshot, DOM dump)."""
    command = [browser(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
               "--no-first-run", "--disable-background-networking", "--disable-component-update",
               "--disable-sync", f"--user-data-dir={profile}", "--window-size=1200,2000",
               *action, page.as_uri()]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def hit_red(red, green, blue):
    """Whether a colour is the red of the hits (blended with white, as soft hits are)."""
    return (red > 140) & (red - green > 80) & (red - blue > 60)


def colour_bands(mask, gap=20):
    """Number of groups of screen rows holding masked pixels, groups more than `gap` apart."""
    rows = np.flatnonzero(mask.any(axis=1))
    return 0 if len(rows) == 0 else 1 + int(np.sum(np.diff(rows) > gap))


def test_a_headless_browser_renders_every_tracks_picture_and_player(generation, tmp_path):
    page = generation / "index.html"
    dom = Tags(run_browser(page, tmp_path / "profile", "--dump-dom"))
    assert dom.sources("audio") == [f"track-0{i}.wav" for i in (1, 2, 3)]
    assert dom.sources("img") == [f"track-0{i}.svg" for i in (1, 2, 3)]

    run_browser(page, tmp_path / "profile", f"--screenshot={tmp_path / 'page.png'}")
    pixels = iio.imread(tmp_path / "page.png")[..., :3].astype(int)     # (2000, 1200, 3)
    assert len(np.unique(pixels.reshape(-1, 3), axis=0)) > 1, "the page is blank"
    # the hits of the pictures are drawn in a red (HIT_COLOUR, lighter for softer hits) that
    # nothing else on the page uses: one band of it per track means every picture was drawn
    hit_pixels = hit_red(pixels[..., 0], pixels[..., 1], pixels[..., 2])
    assert hit_red(*(int(HIT_COLOUR[i:i + 2], 16) for i in (1, 3, 5)))
    assert hit_pixels.sum() > 1000
    assert colour_bands(hit_pixels) == 3


def vertical_runs(mask):
    """Lengths of the runs of True down every column of a (rows, columns) mask."""
    padded = np.zeros((mask.shape[0] + 2, mask.shape[1]), dtype=np.int8)
    padded[1:-1] = mask
    edges = np.diff(padded, axis=0)                       # +1 where a run starts, -1 after it
    starts, ends = np.nonzero(edges.T == 1), np.nonzero(edges.T == -1)
    return ends[1] - starts[1]


@pytest.fixture(scope="module")
def songs_page(tmp_path_factory, write_tiny_dataset, tiny_config, quiet):
    """A page of one 24-bar song of the form A12 B4 A8, from a tiny song model."""
    folder = tmp_path_factory.mktemp("songs")
    write_tiny_dataset(folder / "data.npz")
    dataset = load_dataset(folder / "data.npz")
    train(tiny_config("song", iterations=2),
          dataset.training_windows(np.ones(len(dataset), dtype=bool)), folder / "run", log=quiet)
    with pytest.raises(SystemExit) as exit_info:
        run(song.main, ["--run", str(folder / "run"), "--num", "1", "--form", "A12 B4 A8",
                        "--no-wav", "--out", str(folder / "songs")])
    assert exit_info.value.code == 0
    return folder / "songs" / "index.html"


def test_a_songs_page_shows_its_pictures_at_full_size_with_their_sections(songs_page, tmp_path):
    run_browser(songs_page, tmp_path / "profile", f"--screenshot={tmp_path / 'page.png'}")
    pixels = iio.imread(tmp_path / "page.png")[..., :3].astype(int)
    hits = hit_red(pixels[..., 0], pixels[..., 1], pixels[..., 2])
    # a hit is drawn ROW_HEIGHT - 4 = 10 pixels tall: shrunk to the page's width it was 5
    assert np.median(vertical_runs(hits)) == ROW_HEIGHT - 4
    blue = [int(SECTION_COLOUR[i:i + 2], 16) for i in (1, 3, 5)]
    section_lines = (np.abs(pixels - blue).sum(axis=2) < 30)
    # the starts of A, B and A again: lines across the roll, taller than its 4 rows
    assert (vertical_runs(section_lines) > 4 * ROW_HEIGHT).sum() >= 3
