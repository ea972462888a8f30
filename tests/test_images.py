"""Drum-roll PNGs: exact round trip, tolerant reading of editor output, clear refusals."""
import io
import os

import numpy as np
import pytest
from PIL import Image

from drumroll.cli import UserError
from drumroll.format import NUM_ROWS
from drumroll.images import encode_png, find_images, read_png, write_png, write_pngs


def roll_pixels(seed=0, steps=256):
    rng = np.random.default_rng(seed)
    return np.where(rng.random((NUM_ROWS, steps)) < 0.1, 0, 255).astype(np.uint8)


def save_with_pillow(path, array, mode=None):
    Image.fromarray(array, mode=mode).save(path)
    return path


def test_write_then_read_gives_back_the_same_pixels(tmp_path):
    pixels = roll_pixels()
    write_png(tmp_path / "a.png", pixels)
    assert np.array_equal(read_png(tmp_path / "a.png"), pixels)


def test_written_png_is_8_bit_grayscale_black_for_hits(tmp_path):
    pixels = roll_pixels()
    write_png(tmp_path / "a.png", pixels)
    with Image.open(tmp_path / "a.png") as image:
        assert image.mode == "L"
        assert image.size == (256, NUM_ROWS)
        assert np.array_equal(np.asarray(image), pixels)


def test_encode_png_refuses_anything_but_2d_uint8():
    with pytest.raises(ValueError):
        encode_png(np.zeros((NUM_ROWS, 8), dtype=np.float32))
    with pytest.raises(ValueError):
        encode_png(np.zeros((2, NUM_ROWS, 8), dtype=np.uint8))


def test_a_failed_write_leaves_no_file_behind(tmp_path):
    with pytest.raises(ValueError):
        write_png(tmp_path / "bad.png", np.zeros(3))
    assert list(tmp_path.iterdir()) == []


def test_write_to_an_unwritable_place_names_the_file(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(UserError, match=r"file/a\.png: cannot write"):
        write_png(tmp_path / "file" / "a.png", roll_pixels())


def test_write_pngs_writes_every_image_under_its_name_and_nothing_else(tmp_path):
    images = np.stack([roll_pixels(seed) for seed in range(5)])
    names = [f"song_{32 * index}" for index in range(5)]
    write_pngs(tmp_path, names, images)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(f"{n}.png" for n in names)
    for name, pixels in zip(names, images):
        assert np.array_equal(read_png(tmp_path / f"{name}.png"), pixels)


def test_write_pngs_stages_only_the_images_the_folder_does_not_already_hold(tmp_path):
    folder, staging = tmp_path / "dataset", tmp_path / "staging"
    folder.mkdir()
    staging.mkdir()
    images = np.stack([roll_pixels(1), roll_pixels(2)])
    write_pngs(folder, ["same", "changed"], images)
    images[1, 0, 0] = 255 - images[1, 0, 0]
    write_pngs(staging, ["same", "changed"], images, beside=folder)
    assert [p.name for p in staging.iterdir()] == ["changed.png"]
    assert np.array_equal(read_png(staging / "changed.png"), images[1])


def test_write_pngs_into_a_missing_folder_names_the_file(tmp_path):
    with pytest.raises(UserError, match=r"gone/a\.png: cannot write"):
        write_pngs(tmp_path / "gone", ["a"], roll_pixels()[None])


def test_a_gray_image_saved_as_rgb_reads_as_the_same_gray(tmp_path):
    pixels = roll_pixels()
    path = save_with_pillow(tmp_path / "rgb.png", np.stack([pixels] * 3, axis=-1))
    assert np.array_equal(read_png(path), pixels)


def test_a_colour_image_is_converted_by_luminance(tmp_path):
    rgb = np.full((NUM_ROWS, 16, 3), 255, dtype=np.uint8)
    rgb[0, 0] = (255, 0, 0)      # red: luminance 76, a hit at the default threshold
    rgb[1, 1] = (0, 255, 0)      # green: luminance 150, not a hit
    gray = read_png(save_with_pillow(tmp_path / "colour.png", rgb))
    assert gray[0, 0] == 76 and gray[1, 1] == 150 and gray[2, 2] == 255


def test_transparent_pixels_read_as_white(tmp_path):
    rgba = np.zeros((NUM_ROWS, 16, 4), dtype=np.uint8)   # black but fully transparent
    rgba[0, 0, 3] = 255                                   # one opaque black pixel
    gray = read_png(save_with_pillow(tmp_path / "alpha.png", rgba))
    assert gray[0, 0] == 0
    assert (gray.ravel()[1:] == 255).all()


def test_one_bit_and_16_bit_images_are_read(tmp_path):
    pixels = roll_pixels()
    one_bit = tmp_path / "bits.png"
    Image.fromarray(pixels).convert("1").save(one_bit)
    assert np.array_equal(read_png(one_bit), pixels)
    sixteen = tmp_path / "sixteen.png"
    Image.fromarray(pixels.astype(np.uint16) * 257).save(sixteen)
    assert np.array_equal(read_png(sixteen), pixels)


def test_an_image_of_the_wrong_height_is_refused_with_its_name(tmp_path):
    path = save_with_pillow(tmp_path / "tall.png", np.zeros((28, 256), dtype=np.uint8))
    with pytest.raises(UserError, match=r"tall\.png: image is 28 pixels high, a drum roll is 25"):
        read_png(path)


def test_a_custom_height_is_accepted_when_asked_for(tmp_path):
    path = save_with_pillow(tmp_path / "five.png", np.zeros((5, 64), dtype=np.uint8))
    assert read_png(path, height=5).shape == (5, 64)


def test_a_file_that_is_not_an_image_is_refused_with_its_name(tmp_path):
    path = tmp_path / "song.png"
    path.write_bytes(b"MThd\x00\x00\x00\x06 definitely not a PNG")
    with pytest.raises(UserError, match=r"song\.png: not a readable image"):
        read_png(path)


def test_a_truncated_png_is_refused_with_its_name(tmp_path):
    write_png(tmp_path / "whole.png", roll_pixels())
    (tmp_path / "cut.png").write_bytes((tmp_path / "whole.png").read_bytes()[:60])
    with pytest.raises(UserError, match=r"cut\.png: not a readable image \(.*truncated"):
        read_png(tmp_path / "cut.png")


def test_a_missing_image_is_refused_with_its_name(tmp_path):
    with pytest.raises(UserError, match=r"gone\.png: no such image file"):
        read_png(tmp_path / "gone.png")


def test_find_images_expands_files_folders_and_globs_once_each(tmp_path):
    (tmp_path / "sub").mkdir()
    for name in ("a.png", "b.png", "sub/c.PNG", "notes.txt"):
        (tmp_path / name).write_bytes(b"")
    found = find_images([tmp_path / "a.png", str(tmp_path / "*.png"), tmp_path / "sub"])
    assert [os.path.relpath(path, tmp_path) for path in found] == ["a.png", "b.png", "sub/c.PNG"]


def test_find_images_refuses_a_pattern_matching_nothing(tmp_path):
    with pytest.raises(UserError, match=r"\*\.png: no such file"):
        find_images([str(tmp_path / "*.png")])


def test_find_images_refuses_a_folder_without_images(tmp_path):
    with pytest.raises(UserError, match="no .png images"):
        find_images([tmp_path])


@pytest.mark.parametrize("shape", [(NUM_ROWS, 256), (NUM_ROWS, 1), (1, 7), (5, 1000)])
def test_encoded_bytes_are_a_grayscale_png_pillow_reads_exactly(shape):
    pixels = np.random.default_rng(sum(shape)).integers(0, 256, shape, dtype=np.uint8)
    with Image.open(io.BytesIO(encode_png(pixels))) as image:
        image.verify()      # checks every chunk's CRC
    with Image.open(io.BytesIO(encode_png(pixels))) as image:
        assert image.format == "PNG" and image.mode == "L"
        assert np.array_equal(np.asarray(image), pixels)
